"""The code as it stood before the speed work, so one run measures before and after.

`baseline_tree()` unpacks BASELINE_REV (git archive, nothing registered as a worktree) into a
temporary directory once per machine and returns it. Run the old code by starting a process
there with this checkout's interpreter: the script's own directory comes first on sys.path, so
`python manage.py ...` (cwd=baseline_tree()) imports the old packages, not these.

    from _baseline import baseline_tree, BASELINE_REV
    subprocess.run([sys.executable, "manage.py", "import_leads", ...], cwd=baseline_tree(), env=env)

BENCH_BASELINE_REV overrides the revision (any commit-ish git knows).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from _common import ROOT

# main when the speed work was taken up: the figures of docs/benchmarks.md before it.
BASELINE_REV = os.environ.get("BENCH_BASELINE_REV", "29a3eac")


def baseline_tree(rev: str = BASELINE_REV) -> Path:
    full = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = Path(tempfile.gettempdir()) / f"velocify-baseline-{full[:12]}"
    if (target / "manage.py").exists():
        return target
    partial = target.with_name(target.name + ".partial")
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    partial.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", full], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(partial)], input=archive.stdout, check=True)
    partial.rename(target)
    return target
