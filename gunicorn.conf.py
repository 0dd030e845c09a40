"""gunicorn settings of `make serve` (and of bench/api.py, so the benchmark measures them).

Every value can be set from the environment (docs/operations.md).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Workers are recycled every few thousand requests (a guard against slow leaks). Without
# preload, the new worker imported Django and the project before serving (~1 s of CPU on a
# 2-core machine) while its share of the clients waited: that was the trivial endpoint's p99 of
# 850-950 ms at 16 clients (bench/api.py; p99 34 ms with no recycling at all). With preload the
# master imports once and a recycled worker is a fork: p99 63 ms. The jitter is half the limit:
# with a small one, workers that share the load evenly reached it together and were replaced
# at the same moment. New code therefore needs a
# restart of the master, not a HUP (docs/operations.md).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# A recycled worker costs its clients: while it is replaced the others take its share, and the
# new one opens its database and cache connections and fills its caches on their requests
# (bench/api.py at 16 clients: opt-out p99 220-630 ms with a worker recycled every few thousand
# requests, 130-140 ms without). Recycling stays, as the guard against a slow leak, but rare.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 5
accesslog = "-"
errorlog = "-"


def when_ready(server):
    # Runs in the master after the preload and before the first fork: every worker, recycled
    # ones too, starts with the URLconf and the modules of every view already imported, which
    # a worker used to do on its first request (several hundred ms, its clients waiting).
    if not preload_app:
        return
    from django.db import connections
    from django.urls import get_resolver

    get_resolver()._populate()
    connections.close_all()  # nothing opened a connection; a fork must never share one


def post_worker_init(worker):
    # Before the worker takes its first request: its database and cache connections, which the
    # first requests would otherwise open while their clients wait. A failure here is left to
    # the first request to report, as it would have without this.
    from contextlib import suppress

    from django.core.cache import cache
    from django.db import DatabaseError, connections

    with suppress(DatabaseError):
        connections["default"].ensure_connection()
    with suppress(Exception):
        cache.get("warm-up")
