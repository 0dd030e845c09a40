"""Background work of the SMS channel (django-tasks; TASKS_BACKEND picks database, rq or immediate).

With `database` or `rq`, a worker (`manage.py db_worker`, or an rq worker) runs the hand-off;
with `immediate` it runs inside the caller's request. A message held for quiet hours is enqueued
with `run_after` = its `held_until` (`.using(run_after=...)`), so the worker runs it at the next
allowed minute; only backends with `supports_defer` (database, rq) can, so with `immediate` such a
send is refused instead (optouts.messaging.policy.quiet_hours_hold_possible). The rq worker needs
`--with-scheduler` for deferred jobs (`make worker` passes it).
"""

from __future__ import annotations

from django_tasks import task


@task()
def message_deliver_task(message_id: int) -> str:
    """The guarded hand-off of one queued or held message; returns its status."""
    from optouts.messaging.services import message_deliver

    return message_deliver(message_id=message_id).status
