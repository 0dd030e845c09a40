"""Opt-outs of a number while its SMS sits in a slow provider call (simulated 5 s).

The send guard reserves a message under the number's lock, then calls the provider outside any
transaction and lock (optouts.messaging.services.message_deliver). So an opt-out of the same
number must not wait for the provider. This runs a send whose provider call sleeps
SLOW_SECONDS in a thread and, while it sleeps, times opt-outs of that number (a STOP through the
consent service, as the webhook applies it). The baseline is the same opt-out of another number
with no send in flight, measured in the same run. Target: the opt-out during the slow call
within 2x of the baseline, and far below the provider's 5 s.

Run: .venv/bin/python bench/slow_provider.py   (creates and drops database bench_slow_provider)
"""

from __future__ import annotations

import statistics
import threading
import time

from _common import django_setup, drop_database, result_record, section

SLOW_SECONDS = 5.0
ROUNDS = 5


def main() -> None:
    django_setup("bench_slow_provider")
    from django.conf import settings
    from django.db import connection

    from optouts.messaging.backends.local import LocalBackend
    from optouts.messaging.services import message_send
    from optouts.services import phone_opt_in_by_contact, phone_opt_out_by_contact

    started = threading.Event()

    class SlowBackend(LocalBackend):
        def send(self, message):
            started.set()
            time.sleep(SLOW_SECONDS)
            return super().send(message)

    import optouts.messaging.backends as backends

    backends.SlowBackend = SlowBackend
    settings.SMS_BACKEND = "optouts.messaging.backends.SlowBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from optouts.messaging import policy

    policy._QUIET_HOURS_ENFORCED = False

    def stop(number: str) -> float:
        start = time.perf_counter()
        phone_opt_out_by_contact(number=number, details={"text": "STOP"})
        elapsed = (time.perf_counter() - start) * 1000
        phone_opt_in_by_contact(number=number, details={"text": "START"})
        return elapsed

    baseline, during = [], []
    for i in range(ROUNDS):
        number, other = f"+1415555{1000 + i:04d}", f"+1415555{2000 + i:04d}"
        baseline.append(stop(other))
        started.clear()

        def send(number=number):
            try:
                message_send(to=number, body="Your rate lock expires Friday")
            finally:
                connection.close()

        thread = threading.Thread(target=send)
        thread.start()
        if not started.wait(30):
            raise SystemExit("the send never reached the provider: nothing was measured")
        during.append(stop(number))
        thread.join()
    base, slow = statistics.median(baseline), statistics.median(during)
    ratio = slow / base if base else None
    with section("slow_provider", "Opt-outs while the provider is slow (simulated 5 s)") as lines:
        lines += [
            f"Median of {ROUNDS}: an opt-out (STOP) of a number whose SMS is in a "
            f"{SLOW_SECONDS:.0f} s provider call, against the same opt-out of a number with no "
            "send in flight, in the same run.",
            "",
            "| case | median | ratio |",
            "| --- | ---: | ---: |",
            f"| opt-out, no send in flight (floor) | {base:.1f} ms | 1.00x |",
            f"| opt-out during a {SLOW_SECONDS:.0f} s provider call | {slow:.1f} ms | "
            f"{ratio:.2f}x |",
        ]
    result_record(
        target="opt-out during a 5 s provider call within 2x of one without",
        figure=round(slow, 1),
        unit="ms",
        floor=round(base, 1),
        ratio=round(ratio, 2) if ratio else None,
        met=bool(ratio is not None and ratio <= 2.0),
    )
    drop_database()


if __name__ == "__main__":
    main()
