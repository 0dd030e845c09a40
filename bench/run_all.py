"""`make bench`: run every benchmark under bench/ and rewrite docs/benchmarks.md.

Each benchmark rewrites its own section; this script then writes the header section (machine,
date, which benchmarks ran and how long each took) at the top of the file. A failing benchmark
is reported and makes the run fail, after the others have run.

    .venv/bin/python bench/run_all.py            # all of them
    .venv/bin/python bench/run_all.py leads_list # only those whose file name contains a word
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import RESULTS, ROOT, machine

SKIP = {"run_all.py"}


def benchmarks(words: list[str]) -> list[Path]:
    files = sorted(
        p
        for p in (ROOT / "bench").glob("*.py")
        if p.name not in SKIP and not p.name.startswith("_")
    )
    # The load/soak/fault run last: it is the longest and measures everything together.
    files.sort(key=lambda p: p.name == "soak.py")
    return [p for p in files if not words or any(w in p.stem for w in words)]


def write_header(rows: list[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            f"_`make bench` run {stamp} on {machine()}._",
            "",
            "| benchmark | result | wall time |",
            "| --- | --- | --- |",
            *rows,
            "",
            "Each section below is rewritten by its own script; every figure is printed with its "
            "ratio to a baseline measured in the same run.",
        ]
    )
    start, end = "<!-- bench:machine -->", "<!-- /bench:machine -->"
    block = f"{start}\n{body}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    elif text.startswith("# "):
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{block}\n{rest}"
    else:
        text = f"# Benchmarks\n\n{block}\n\n{text}"
    RESULTS.write_text(text)


def main() -> int:
    rows, failed = [], []
    for path in benchmarks(sys.argv[1:]):
        print(f"== {path.relative_to(ROOT)}", flush=True)
        start = time.perf_counter()
        code = subprocess.run([sys.executable, str(path)], cwd=ROOT, check=False).returncode
        took = time.perf_counter() - start
        result = "ok" if code == 0 else f"FAILED (exit {code})"
        rows.append(f"| `{path.name}` | {result} | {took:.0f} s |")
        if code:
            failed.append(path.name)
    write_header(rows)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
