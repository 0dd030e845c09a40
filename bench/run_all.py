"""`make bench`: run every benchmark under bench/, rewrite docs/benchmarks.md, print one table.

Each benchmark rewrites its own section and prints a `BENCH-RESULT {json}` line per target it
checks (`_common.result_record`). This script passes the children's output through, collects
those lines, and at the end prints one table (target, figure, before, floor, ratio, met) with
the machine (cores, CPU, RAM, PostgreSQL, load average), and writes the same table at the top
of docs/benchmarks.md. A failing benchmark is reported and makes the run fail, after the others
have run. The load/soak/fault run (soak.py, 10 minutes, restarts PostgreSQL) runs only with
BENCH_SOAK=1.

    .venv/bin/python bench/run_all.py            # all of them (soak.py only with BENCH_SOAK=1)
    .venv/bin/python bench/run_all.py api        # only those whose file name contains a word
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import RESULT_PREFIX, RESULTS, ROOT, machine

# first_page.py clones and runs `make run` (minutes cold, needs the package index): by hand.
SKIP = {"run_all.py", "first_page.py"}
# Arguments a benchmark gets from `make bench`: the import also runs its 1,000,000-row memory
# check (about three minutes more; BENCH_IMPORT_MEMORY_ROWS=0 leaves it out) and BENCH_IMPORT_REPEAT
# rounds (3).
# The export seeds 1,000,000 leads and numbers (about ten minutes) unless BENCH_EXPORT_DATABASE
# names a database seeded already (`seed_demo --leads 1000000 --optouts 1000000`, kept).
ARGS = {
    "import.py": [
        "--memory-rows",
        os.environ.get("BENCH_IMPORT_MEMORY_ROWS", "1000000"),
        "--repeat",
        os.environ.get("BENCH_IMPORT_REPEAT", "3"),
    ],
    "export.py": (
        ["--database", os.environ["BENCH_EXPORT_DATABASE"]]
        if os.environ.get("BENCH_EXPORT_DATABASE")
        else []
    ),
}
# Rows of the summary table keep the benchmark's file name in their first cell, so a run of
# some benchmarks keeps the rows of the others (marked with their own date).
ROW = re.compile(r"^\| `(?P<bench>[\w.]+)`\s*\|")


def benchmarks(words: list[str]) -> list[Path]:
    files = sorted(
        p
        for p in (ROOT / "bench").glob("*.py")
        if p.name not in SKIP and not p.name.startswith("_")
    )
    # The load/soak/fault run last: it is the longest and measures everything together.
    files.sort(key=lambda p: p.name == "soak.py")
    return [p for p in files if not words or any(w in p.stem for w in words)]


def number(value, unit: str = "") -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def result_row(record: dict) -> list[str]:
    unit = record.get("unit") or ""
    ratio = record.get("ratio")
    return [
        f"`{record.get('bench', '?')}`",
        str(record.get("target", "?")).replace("|", "/"),
        number(record.get("figure"), unit),
        number(record.get("before"), unit),
        number(record.get("floor"), unit),
        "-" if ratio is None else f"{ratio:.2f}x",
        "**yes**" if record.get("met") else "**no**",
    ]


HEAD = ["benchmark", "target", "figure", "before", "floor / baseline", "ratio", "met"]


def table(rows: list[list[str]]) -> list[str]:
    """Markdown table (the docs) that also reads as plain text (the terminal)."""
    widths = [max(len(r[i]) for r in [HEAD, *rows]) for i in range(len(HEAD))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(HEAD), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def run_one(path: Path) -> tuple[int, list[dict]]:
    """Run one benchmark, echoing its output, and return its exit code and result records."""
    records = []
    with subprocess.Popen(
        [sys.executable, str(path), *ARGS.get(path.name, [])],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    ) as child:
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if line.startswith(RESULT_PREFIX):
                try:
                    records.append(json.loads(line[len(RESULT_PREFIX) :]))
                except json.JSONDecodeError:
                    print(f"unreadable result line from {path.name}: {line!r}", file=sys.stderr)
        code = child.wait()
    for record in records:
        record["bench"] = path.name
    return code, records


def earlier_rows(ran: set[str]) -> list[str]:
    """Summary rows from the file for benchmarks this run did not run."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    match = re.search(r"<!-- bench:machine -->(.*?)<!-- /bench:machine -->", text, re.DOTALL)
    if not match:
        return []
    rows = []
    for line in match.group(1).splitlines():
        found = ROW.match(line)
        if found and found["bench"] not in ran and line.count("|") == len(HEAD) + 1:
            rows.append(line)
    return rows


def write_header(body: str) -> None:
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
    runs, results, failed, ran = [], [], [], set()
    soak = os.environ.get("BENCH_SOAK") == "1"
    for path in benchmarks(sys.argv[1:]):
        if path.name == "soak.py" and not soak:
            print(
                "== bench/soak.py skipped (10 minutes, restarts PostgreSQL): BENCH_SOAK=1 runs it"
            )
            continue
        print(f"== {path.relative_to(ROOT)}", flush=True)
        start = time.perf_counter()
        code, records = run_one(path)
        took = time.perf_counter() - start
        ran.add(path.name)
        runs.append(f"`{path.name}` {'ok' if code == 0 else f'FAILED (exit {code})'} {took:.0f} s")
        results += records
        if code:
            failed.append(path.name)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = table([result_row(r) for r in results])
    kept = earlier_rows(ran)
    lines = [
        f"_`make bench` run {stamp} on {machine(load=True)}._",
        "",
        "Ran: " + ("; ".join(runs) or "nothing") + ".",
        "",
        *rows,
        *kept,
        "",
        "One row per target checked (`_common.result_record`): the figure of this run, the same "
        "figure for the code before the work where the run measured it (`before`), the floor or "
        "baseline measured in the same run, their ratio, and whether the target is met. Other "
        "work shares this machine (see the load average), so the ratios are the comparable "
        "figures. Each section below is rewritten by its own script.",
    ]
    if kept:
        lines.append("Rows of benchmarks this run did not rerun are kept from their last run.")
    body = "\n".join(lines)
    print("\n" + body)
    write_header(body)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
