"""Both task backends a deployment may choose (TASKS_BACKEND): the database and RQ on Redis.

RQ needs Redis at 127.0.0.1:6379 (RQ_TEST_REDIS_URL to point elsewhere). A local run without it
skips with a message; under CI=true a missing Redis is a failure, like a missing PostgreSQL.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import TaskResultStatus, task

from leads.models import Lead

REDIS_URL = os.environ.get("RQ_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[1]


@task()
def lead_count_plus(offset: int) -> int:
    """A task that reads the database, so the worker is proven to reach it."""
    return Lead.objects.count() + offset


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc}): the RQ backend test"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " cannot be skipped in CI.")
        pytest.skip(message + " is skipped.")
    return REDIS_URL


# transaction=True: db_worker closes the database connection between tasks, as a real worker must,
# which would end a test wrapped in one transaction.
@pytest.mark.django_db(transaction=True)
def test_database_backend_runs_an_enqueued_task_through_db_worker():
    Lead.objects.create(first_name="Ana")
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        result = lead_count_plus.enqueue(10)
        assert result.status == TaskResultStatus.READY
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
        result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 11


@pytest.mark.django_db
def test_rq_backend_runs_an_enqueued_task_through_an_rq_worker(redis_url):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queue_name = f"test-{uuid.uuid4().hex[:8]}"  # other test runs may share this Redis
    Lead.objects.create(first_name="Ben")
    with override_settings(
        # "default" too: the backend fetches results through django-rq's default connection.
        RQ_QUEUES={"default": {"URL": redis_url}, queue_name: {"URL": redis_url}},
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}},
    ):
        result = lead_count_plus.using(queue_name=queue_name).enqueue(20)
        assert result.status == TaskResultStatus.READY
        queue = django_rq.get_queue(queue_name, job_class=Job)
        try:
            # In-process (SimpleWorker) so the task sees this test's database transaction.
            SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
            result.refresh()
        finally:
            queue.empty()
            queue.connection.delete(*queue.connection.keys(f"rq:*{result.id}*") or ["-"])
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 21


def test_tasks_backend_rq_configures_django_rq_and_passes_checks():
    env = {**os.environ, "DEBUG": "true", "TASKS_BACKEND": "rq", "RQ_REDIS_URL": REDIS_URL}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from django.core.management import call_command; "
        "assert 'django_rq' in settings.INSTALLED_APPS; "
        "assert settings.TASKS['default']['BACKEND'] == 'django_tasks_rq.RQBackend'; "
        f"assert settings.RQ_QUEUES['default']['URL'] == {REDIS_URL!r}; "
        "call_command('check')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "velocify_sms.settings"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
