"""`make run` from a fresh clone: seconds from `git clone` to the first HTTP 200.

    .venv/bin/python bench/first_page.py [--ref BRANCH] [--cold] [--repo PATH]

Clones `--ref` (default: the current branch) of this checkout into a temporary directory, runs
`make run` there on a free port and polls http://127.0.0.1:PORT/admin/login/ until it answers 200;
prints the seconds of each phase (from make's own output) and the total, then stops make and
everything it started. `--cold` gives pip an empty cache directory (PIP_CACHE_DIR), so every
wheel is fetched again; without it the machine's pip cache (and the wheelhouse make keeps in it)
is used. Not part of run_all.py: it takes minutes cold and needs the package index. The figures
go in docs/benchmarks.md ("make run from a fresh clone") by hand.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="")
    parser.add_argument("--repo", default=str(ROOT))
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    ref = (
        args.ref
        or subprocess.check_output(
            ["git", "-C", args.repo, "rev-parse", "--abbrev-ref", "HEAD"], text=True
        ).strip()
    )
    with tempfile.TemporaryDirectory(prefix="first-page-") as tmp:
        clone = Path(tmp) / "clone"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV")}
        if args.cold:
            env["PIP_CACHE_DIR"] = str(Path(tmp) / "empty-pip-cache")
        port = free_port()
        url = f"http://127.0.0.1:{port}/admin/login/"
        started = time.monotonic()
        subprocess.run(
            ["git", "clone", "--quiet", "--branch", ref, args.repo, str(clone)], check=True
        )
        log = open(Path(tmp) / "make-run.log", "w")  # noqa: SIM115 (read after the run)
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        marks: list[tuple[float, str]] = []
        seen = 0
        try:
            while not answers_200(url):
                if make.poll() is not None:
                    print(Path(log.name).read_text()[-3000:], file=sys.stderr)
                    raise SystemExit(f"make run ended ({make.returncode}) before a 200")
                if time.monotonic() - started > args.timeout:
                    raise SystemExit(f"no 200 from {url} within {args.timeout:.0f} s")
                lines = Path(log.name).read_text().splitlines()
                for line in lines[seen:]:
                    if line.startswith((".venv/bin/python", "test -x", "touch ")):
                        marks.append((time.monotonic() - started, line[:70]))
                seen = len(lines)
                time.sleep(0.1)
            total = time.monotonic() - started
        finally:
            os.killpg(make.pid, signal.SIGTERM)
            try:
                make.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
            log.close()
        warnings = sum("WARNING" in line for line in Path(log.name).read_text().splitlines())
        # Said before the clone is removed (its venv takes a while to delete).
        for at, line in marks:
            print(f"  {at:6.1f} s  started: {line}")
        load = os.getloadavg()[0]
        kind = "cold (empty pip cache)" if args.cold else "warm"
        print(f"make run, fresh clone of {ref}, {kind}: first 200 after {total:.1f} s")
        print(f"  {warnings} lines of warnings; load average {load:.2f} on {os.cpu_count()} CPUs")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
