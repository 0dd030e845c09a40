"""The shell commands of README.md and docs/api.md run as written, in a fresh copy of the checkout.

A newcomer copies them into a new shell after `make run`, with nothing else set: no DEBUG, no
SECRET_KEY, no DATABASE_URL. This test does the same. It copies the checkout's files (those git
tracks or would track: no .env, no database) into a temporary folder, links the existing .venv
(installing it again would take minutes), and runs every fenced `sh`/`bash` block of the docs
below, in order, in bash with `set -euo pipefail`, exported variables carried from one block to
the next. On SQLite, in a clean environment.

Three kinds of command are not run as plain lines:
- servers (`make run`, `make serve`, `make worker`) start in the background, in their own process
  group; the block goes on once the server answers /healthz (or the worker is still alive), and
  all of them are stopped at the end;
- the commands in NOT_RUN are skipped, each for the reason given there;
- `curl` fails on an HTTP error (--fail-with-body), so a documented call that answers 4xx fails
  the test instead of printing an error nobody reads.
The docs say http://127.0.0.1:8000; the copy serves on a free port instead (other checkouts on
the machine may be using 8000), so that address is rewritten in the blocks.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run in this order: README.md starts the server (make run) that the API stories call.
DOCS = ["README.md", "docs/api.md"]
# Docs that are not run, and why (test_every_doc_with_shell_blocks_is_run_or_excused checks it).
NOT_RUN_DOCS = {
    "docs/operations.md": "production operations (backups with pg_dump/pg_restore on a real "
    "PostgreSQL deployment, gunicorn behind a load balancer); its commands are indented "
    "examples with placeholders, not blocks to paste into a development checkout",
    "docs/benchmarks.md": "benchmark results; its blocks are query plans, not commands",
    "docs/decisions.md": "design decisions; no commands",
    "docs/compliance.md": "what the module enforces and its sources; no commands",
    "docs/rules.md": "the consent rules in words; no commands",
}
# Commands that are documented but not run here: each with its reason.
NOT_RUN = {
    "make test": "runs this very suite (it would run itself) and takes minutes; CI runs it",
    "make bench": "minutes of benchmarks that rewrite docs/benchmarks.md",
    "make soak": "a 10-minute load run that needs PostgreSQL and Redis",
}
# Commands that start a long-running process: (kind of readiness check).
SERVERS = {"make run": "http", "make serve": "http", "make worker": "alive"}
DOC_ADDRESS = "127.0.0.1:8000"
BLOCK_TIMEOUT = 240  # seconds; `make run` migrates and seeds a new SQLite database first
SHELL_FENCE = re.compile(r"^```(?:sh|bash|shell|console)\s*\n(.*?)^```", re.M | re.S)

PREAMBLE = r"""
set -euo pipefail
cd "$CHECKOUT"
source "$STATE"
curl() { command curl --fail-with-body --max-time 60 "$@"; }
_not_run() { echo "[not run: $*]"; }
_background() {  # kind, then the command: start it in its own process group and wait for it
  local kind=$1; shift
  local log="$LOGS/server-$(date +%s%N).log"
  setsid "$@" >"$log" 2>&1 </dev/null &
  local pid=$!
  local HEALTHZ="http://127.0.0.1:$PORT/healthz"
  echo "$pid" >>"$PIDS"
  for _ in $(seq 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$* exited early:" >&2; tail -n 40 "$log" >&2; return 1
    fi
    if [ "$kind" = alive ]; then
      sleep 5; kill -0 "$pid" && return 0
    elif command curl -fsS -o /dev/null --max-time 2 "$HEALTHZ" 2>/dev/null; then
      echo "[$* is serving on port $PORT]"; return 0
    fi
    sleep 0.5
  done
  echo "$* did not answer on port $PORT:" >&2; tail -n 40 "$log" >&2; return 1
}
"""
EPILOGUE = '\nexport -p >"$STATE"\n'


def shell_blocks(text: str) -> list[str]:
    """The fenced sh/bash blocks of a Markdown text, in order."""
    return [match.group(1) for match in SHELL_FENCE.finditer(text)]


def _command_of(line: str) -> str:
    """A line without its trailing comment and surrounding blanks."""
    return line.split(" #", 1)[0].strip()


def runnable(block: str, *, port: int) -> str:
    """The block as it runs here: servers in the background, NOT_RUN skipped, our port."""
    lines = []
    for line in block.replace(DOC_ADDRESS, f"127.0.0.1:{port}").splitlines():
        command = _command_of(line)
        if command in NOT_RUN:
            lines.append(f"_not_run {command!r}: {NOT_RUN[command]!r}")
        elif command in SERVERS:
            lines.append(f"_background {SERVERS[command]} {command}")
        else:
            lines.append(line)
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copy_checkout(target: Path) -> None:
    """The files git tracks or would track (not .env, db.sqlite3, .venv), with their mtimes."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    # The Makefile reinstalls .venv when pyproject.toml is newer than its stamp; the .venv is
    # shared with this checkout, so make sure the copy never does.
    stamp = (ROOT / ".venv" / ".installed").stat().st_mtime
    os.utime(target / "pyproject.toml", (stamp - 60, stamp - 60))


def _stop(pids_file: Path) -> None:
    """Stop every background server's process group: TERM, then KILL what is left."""
    pids = [int(p) for p in pids_file.read_text().split()] if pids_file.exists() else []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
        deadline = time.monotonic() + 10
        while any(_group_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not any(_group_alive(p) for p in pids):
            return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _needs() -> str | None:
    if not (ROOT / ".venv" / "bin" / "python").exists():
        return "no .venv in the checkout (make venv)"
    if not (ROOT / ".venv" / ".installed").exists():
        return "the .venv is not installed (make venv)"
    for tool in ("git", "make", "curl", "bash", "setsid"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not (ROOT / ".git").exists():
        return "not a git checkout"
    return None


# --- the docs, run -----------------------------------------------------------------------------
@pytest.mark.readme
def test_every_shell_block_of_the_docs_runs_as_written_in_a_fresh_checkout(tmp_path):
    missing = _needs()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"The README test cannot run: {missing}.")
        pytest.skip(missing)
    checkout, logs = tmp_path / "checkout", tmp_path / "logs"
    checkout.mkdir()
    logs.mkdir()
    _copy_checkout(checkout)
    port = _free_port()
    state, pids = tmp_path / "state.sh", tmp_path / "pids"
    state.write_text("")
    # A new shell: none of DEBUG, SECRET_KEY, DATABASE_URL, ENV_FILE, TWILIO_* ...
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "CHECKOUT": str(checkout),
        "STATE": str(state),
        "LOGS": str(logs),
        "PIDS": str(pids),
    }
    ran = []
    try:
        for doc in DOCS:
            for number, block in enumerate(shell_blocks((ROOT / doc).read_text()), start=1):
                script = PREAMBLE + runnable(block, port=port) + EPILOGUE
                result = subprocess.run(
                    ["bash", "-c", script],
                    cwd=checkout,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=BLOCK_TIMEOUT,
                    check=False,
                )
                ran.append(f"{doc} block {number}")
                assert result.returncode == 0, (
                    f"{doc}, shell block {number} failed (exit {result.returncode}):\n{block}\n"
                    f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
                    + _server_logs(logs)
                )
    finally:
        _stop(pids)
    assert (checkout / ".env").is_file(), "make run did not write .env"
    assert len(ran) >= 4, ran


def _server_logs(logs: Path) -> str:
    return "".join(
        f"\n--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
        for log in sorted(logs.glob("*.log"))
    )


# --- what the runner itself promises -------------------------------------------------------------
def test_every_doc_with_shell_blocks_is_run_or_excused():
    docs = {"README.md", *(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))}
    with_blocks = {doc for doc in docs if shell_blocks((ROOT / doc).read_text())}
    assert with_blocks <= set(DOCS), f"add to DOCS: {sorted(with_blocks - set(DOCS))}"
    assert docs <= set(DOCS) | set(NOT_RUN_DOCS), sorted(docs - set(DOCS) - set(NOT_RUN_DOCS))


def test_no_doc_runs_manage_py_without_the_venv_python():
    # `python manage.py` fails in a new shell (no Django on the system python): the docs say
    # `.venv/bin/python manage.py` everywhere, in blocks and in running text alike.
    for doc in ["README.md", *(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]:
        text = (ROOT / doc).read_text()
        bare = [
            text[max(0, m.start() - 20) : m.end() + 20]
            for m in re.finditer(r"manage\.py (?=[a-z])", text)
            if not text[: m.start()].endswith(".venv/bin/python ")
        ]
        assert not bare, f"{doc}: write `.venv/bin/python manage.py ...`: {bare}"


def test_servers_go_to_the_background_and_slow_commands_are_not_run():
    block = (
        "make run    # serves http://127.0.0.1:8000\nmake test\ncurl -sS http://127.0.0.1:8000/x"
    )

    lines = runnable(block, port=4321).splitlines()

    assert lines[0] == "_background http make run"
    assert lines[1].startswith("_not_run 'make test': ")
    assert lines[2] == "curl -sS http://127.0.0.1:4321/x"


def test_shell_blocks_are_the_sh_and_bash_fences_only():
    text = "```sh\na\n```\n```json\n{}\n```\n```bash\nb\nc\n```\n"
    assert shell_blocks(text) == ["a\n", "b\nc\n"]
