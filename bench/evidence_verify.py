"""Verifying the evidence of 1,000,000 numbers: `sms_evidence_verify --all` against an anchor.

Seeds 1,000,000 opted-out numbers with their real chained events through the bulk path
(leads/management/bulk_seed.py: consent_events_insert, COPY), then gives 100,000 of them two
more events (the contact's START and STOP), so 1,200,000 events. Then, each as its own process
(as an operator runs them, RSS measured per process with wait4):
- `sms_evidence_anchor`: seal, check every number, sign and store anchor #1;
- `sms_evidence_verify --all --anchors DIR`: every chain recomputed, every list row replayed,
  every number compared with the anchor's leaf;
- the same with `--limit 100000`, to show memory does not grow with the numbers.
Baseline in the same run: `COPY (SELECT the same columns ... ORDER BY phone_number, id) TO
STDOUT`, the bare read of what the verifier reads. Target: --all within 120 s.

Run: .venv/bin/python bench/evidence_verify.py   (creates and drops database bench_evidence; a
few minutes)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

from _common import ROOT, django_setup, drop_database, result_record, section

NUMBERS = int(os.environ.get("BENCH_EVIDENCE_NUMBERS", 1_000_000))
EXTRA = NUMBERS // 10  # numbers with three events instead of one
TARGET_SECONDS = 120
KEY = "3c" * 32


def seed() -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from leads.management.bulk_seed import NO_LEAD_OFFSET, bulk_number, bulk_optouts_ensure
    from optouts.models import Channel, ConsentEvent, Source
    from optouts.services import consent_events_insert

    start = time.perf_counter()
    bulk_optouts_ensure(count=NUMBERS)
    # Contact opt-outs (every third bulk number) get a START and a STOP after it: the list row
    # stays the contact's, three events chained.
    now = timezone.now()
    extra = [bulk_number(NO_LEAD_OFFSET + j) for j in range(1, 3 * EXTRA, 3)]
    for at in range(0, len(extra), 50_000):
        chunk = extra[at : at + 50_000]
        events = []
        for number in chunk:
            for action, keyword in (("opt_in", "START"), ("opt_out", "STOP")):
                events.append(
                    ConsentEvent(
                        phone_number=number,
                        action=action,
                        source=Source.CONTACT,
                        previous_source=Source.CONTACT if action == "opt_in" else "",
                        channel=Channel.KEYWORD,
                        created_at=now,
                        details={"keyword": keyword, "requested_by": "contact"},
                    )
                )
        with transaction.atomic():
            consent_events_insert(events=events)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE optouts_consentevent")
        cursor.execute("VACUUM ANALYZE optouts_optout")
    return time.perf_counter() - start


def copy_baseline() -> float:
    from django.db import connection

    sql = (
        "COPY (SELECT id, phone_number, action, source, previous_source, channel, actor_id, "
        "actor_label, lead_id, lead_label, created_at, details, chain_hash "
        "FROM optouts_consentevent ORDER BY phone_number, id) TO STDOUT"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for _ in copy:
            pass
    return time.perf_counter() - start


# The child prints its own peak RSS as it exits: VmHWM belongs to the process's memory since its
# exec, whereas getrusage's maxrss starts from the forking parent's (this script, after seeding).
_RUN = (
    "import atexit, re, runpy, sys\n"
    "def hwm():\n"
    "    kb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]\n"
    "    print(f'PEAK-RSS-KB {kb}', file=sys.stderr)\n"
    "atexit.register(hwm)\n"
    "sys.argv = ['manage.py', *sys.argv[1:]]\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
)


def command(*args: str, env: dict) -> tuple[float, float, str]:
    """(seconds, peak RSS in MiB, output) of `manage.py ARGS` in its own process."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    peak = re.search(r"PEAK-RSS-KB (\d+)", result.stderr)
    return seconds, int(peak[1]) / 1024, result.stdout.strip()


def main() -> None:
    django_setup("bench_evidence")
    seconds_seed = seed()
    from optouts.models import ConsentEvent, OptOut

    events = ConsentEvent.objects.count()
    listed = OptOut.objects.count()
    baseline = min(copy_baseline() for _ in range(2))
    folder = tempfile.mkdtemp(prefix="bench-anchors-")
    env = {
        **os.environ,
        "SMS_EVIDENCE_SIGNING_KEY": KEY,
        "SMS_EVIDENCE_ANCHOR_DIR": folder,
        "PYTHONPATH": str(ROOT),
    }
    anchor_s, anchor_mb, anchor_out = command("sms_evidence_anchor", env=env)
    verify_s, verify_mb, verify_out = command(
        "sms_evidence_verify", "--all", "--anchors", folder, env=env
    )
    small_s, small_mb, _ = command(
        "sms_evidence_verify", "--all", "--limit", str(NUMBERS // 10), "--anchors", folder, env=env
    )
    leaves_mb = sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder)) / (
        1024 * 1024
    )
    drop_database()

    ratio = verify_s / baseline
    print(f"seeded {NUMBERS:,} numbers, {events:,} events in {seconds_seed:.0f} s")
    print(anchor_out)
    print(verify_out)
    result_record(
        target=f"sms_evidence_verify --all, {NUMBERS:,} numbers <= {TARGET_SECONDS} s",
        figure=round(verify_s, 1),
        unit="s",
        floor=round(baseline, 1),
        ratio=round(ratio, 1),
        met=verify_s <= TARGET_SECONDS,
    )
    with section("evidence_verify", f"Evidence verification at {NUMBERS:,} numbers") as lines:
        lines += [
            f"{NUMBERS:,} numbers on the list, {events:,} chained events ({EXTRA:,} numbers "
            f"with three), {listed:,} list rows; seeded through the bulk path in "
            f"{seconds_seed:.0f} s. Each command ran as its own process; RSS is its peak.",
            "",
            "| step | time | peak RSS |",
            "| --- | --- | --- |",
            f"| baseline: `COPY (SELECT ... ORDER BY phone_number, id) TO STDOUT` of the events "
            f"| {baseline:.1f} s | (server side) |",
            f"| `sms_evidence_anchor` (seal, check every number, sign, store) "
            f"| {anchor_s:.1f} s | {anchor_mb:.0f} MiB |",
            f"| `sms_evidence_verify --all --anchors DIR` | {verify_s:.1f} s "
            f"| {verify_mb:.0f} MiB |",
            f"| the same, `--limit {NUMBERS // 10:,}` | {small_s:.1f} s | {small_mb:.0f} MiB |",
            "",
            f"Verify at {ratio:.1f}x the bare COPY of what it reads; target {TARGET_SECONDS} s: "
            f"{'met' if verify_s <= TARGET_SECONDS else 'NOT met'}. Memory stays flat: "
            f"{small_mb:.0f} MiB for a tenth of the numbers, {verify_mb:.0f} MiB for all of "
            f"them (one number's events, the anchor's leaves streamed). The anchor and its "
            f"leaves file take {leaves_mb:.1f} MiB on disk.",
            "",
            "Verify's output: `" + verify_out.splitlines()[-1] + "`",
        ]


if __name__ == "__main__":
    main()
