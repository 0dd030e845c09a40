"""Where one `POST /api/v1/sms/opt-out/` spends the web process's CPU, in-process.

Not a benchmark of its own (`make bench` skips files starting with `_`): a tool for reading the
request bench/api.py loads. Settings as bench/api.py's servers get them (DEBUG off, Redis cache,
PostgreSQL, the throttle out of the way); requests go through Django's WSGI handler, as gunicorn
calls it, one new number each, with a token. Prints the CPU per request (process time, so
PostgreSQL's and Redis's side are not in it), the statements of one request, and a cProfile of
the rest.

    .venv/bin/python bench/_opt_out_profile.py [REQUESTS] [--sort tottime|cumulative] [--top N]
    .venv/bin/py-spy record -r 500 -f raw -o /tmp/opt-out.txt -- \
        .venv/bin/python bench/_opt_out_profile.py 5000 --no-cprofile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time

from _common import django_setup, drop_database

DB = "bench_opt_out_profile"


def environ(token: str, number: str) -> dict:
    body = json.dumps({"phone_number": number}).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/sms/opt-out/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "HTTP_USER_AGENT": "wrk",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("requests", nargs="?", type=int, default=2000)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument(
        "--no-cprofile", action="store_true", help="only the timing (e.g. under py-spy)"
    )
    args = parser.parse_args()
    os.environ.update(
        {
            "DEBUG": "false",
            "ENV_FILE": "",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "STATIC_MANIFEST": "false",
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/8"),
            "API_THROTTLE_USER": "100000000/min",
            "DATABASE_CONN_MAX_AGE": "60",
        }
    )
    django_setup(DB)
    from api import seed  # bench/api.py's agent, token and seeded list
    from django.core.cache import cache
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    token = seed()
    app = get_wsgi_application()
    numbers = iter(f"+1415{n:07d}" for n in range(3_000_000, 9_999_999))

    def request() -> None:
        statuses = []
        body = b"".join(app(environ(token, next(numbers)), lambda s, h: statuses.append(s)))
        assert statuses[0].startswith("200"), (statuses, body)

    for _ in range(200):  # warm: imports, connection, caches
        request()
    with CaptureQueriesContext(connection) as queries:
        request()
    print(f"{len(queries)} statements in one request:")
    for query in queries.captured_queries:
        print("  ", query["sql"][:220])

    start = time.process_time()
    for _ in range(args.requests):
        request()
    cpu = (time.process_time() - start) * 1000 / args.requests
    print(f"\nweb CPU per request, no profiler: {cpu:.2f} ms ({args.requests} requests)")

    if args.no_cprofile:
        drop_database()
        return
    # CPU time, not wall time: waits on PostgreSQL and Redis are not the web process's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(args.requests):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.top)
    drop_database()


if __name__ == "__main__":
    main()
