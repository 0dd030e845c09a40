"""System checks of the project's own settings (`manage.py check`, `check --deploy`).

- velocify_sms.E001 (`check --deploy`): several web workers over a process-local cache.
- velocify_sms.E002: PROCESS_HEARTBEAT_STALE_SECONDS under twice PROCESS_HEARTBEAT_SECONDS.
"""

from __future__ import annotations

import os
import runpy

from django.conf import settings
from django.core.checks import Error, Tags, register

# Caches whose contents one web process cannot see from another (the file cache is shared by
# the processes of one machine only, and its increments are not atomic).
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


def web_workers_configured() -> int:
    """The gunicorn processes `make serve` starts: `workers` as gunicorn.conf.py computes it
    (from WEB_CONCURRENCY), or WEB_CONCURRENCY itself when the file is not there."""
    path = settings.BASE_DIR / "gunicorn.conf.py"
    try:
        return int(runpy.run_path(str(path))["workers"])
    except (OSError, KeyError, ValueError):
        try:
            return int(os.environ.get("WEB_CONCURRENCY", "1"))
        except ValueError:
            return 1


@register(Tags.caches, Tags.security, deploy=True)
def shared_cache_check(app_configs=None, **kwargs):
    """Error when several web processes would each keep their own lockout and throttle counts."""
    if settings.DEBUG:
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    workers = web_workers_configured()
    if backend not in PROCESS_LOCAL_CACHES or workers <= 1:
        return []
    return [
        Error(
            f"The cache ({backend.rsplit('.', 1)[-1]}) is local to each process, but "
            f"{workers} web workers are configured (WEB_CONCURRENCY): each would count failed "
            "logins and API throttles on its own, so a guesser gets the limits that many times.",
            hint="Set CACHE_URL=redis://host:6379/0 (docs/operations.md), or WEB_CONCURRENCY=1.",
            id="velocify_sms.E001",
        )
    ]


@register()
def heartbeat_check(app_configs=None, **kwargs):
    """Error when a process counts as stale before it has missed two beats: one late beat (a
    slow database write, a paused container) would fail /readyz."""
    beat, stale = settings.PROCESS_HEARTBEAT_SECONDS, settings.PROCESS_HEARTBEAT_STALE_SECONDS
    if not 0 < stale < 2 * beat:
        return []
    return [
        Error(
            f"PROCESS_HEARTBEAT_STALE_SECONDS={stale} is under twice "
            f"PROCESS_HEARTBEAT_SECONDS={beat}: one late beat would fail /readyz.",
            hint="Set PROCESS_HEARTBEAT_STALE_SECONDS to at least twice the beat (0: not checked).",
            id="velocify_sms.E002",
        )
    ]
