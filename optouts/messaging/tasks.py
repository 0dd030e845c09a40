"""Background work of the SMS channel (django-tasks; TASKS_BACKEND picks database, rq or immediate).

With `database` or `rq`, a worker (`manage.py db_worker`, or an rq worker) runs the hand-off;
with `immediate` it runs inside the caller's request.
"""

from __future__ import annotations

from django_tasks import task


@task()
def message_deliver_task(message_id: int) -> str:
    """The guarded hand-off of one queued message; returns its status."""
    from optouts.messaging.services import message_deliver

    return message_deliver(message_id=message_id).status
