"""The layering contracts in pyproject.toml ([tool.importlinter], run by `make lint`) bite.

`make lint` proves the project keeps them; this proves they would catch a break: a copy of the
five packages, with one upward or forbidden import added per contract, fails lint-imports naming
the contract and the import.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (module file, import added at its end, the contract that must break)
APPS = "leads and apitokens above optouts above velocify_sms"
ALONE = "optouts never imports leads"
BREAKS = [
    # A migration of optouts is held to it too (consent migrates without the leads app).
    ("optouts/migrations/0018_outbound_lead_unlinked.py", "leads.directory", ALONE),
    ("optouts/selectors.py", "leads.models", APPS),
    ("velocify_sms/phones.py", "optouts.models", APPS),
    ("preferences/selectors.py", "optouts.models", APPS),
    ("optouts/permissions.py", "optouts.messaging.keywords", "optouts: the SMS channel above"),
    ("leads/selectors.py", "leads.imports.mapping", "leads: the lead import above"),
    # The evidence is in the consent core: the bundle may not read the SMS logs itself.
    ("optouts/evidence/bundle.py", "optouts.messaging.models", "optouts: the SMS channel above"),
    ("optouts/evidence/chain.py", "optouts.evidence.store", "optouts.evidence: pure chain"),
]


def _copy_project(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "static", "*.pyc")
    for package in ("apitokens", "leads", "optouts", "preferences", "velocify_sms"):
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        # The copies, not the installed packages, are what grimp must find.
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_upward_import_breaks_its_contract(tmp_path):
    _copy_project(tmp_path)
    for path, imported, _contract in BREAKS:
        with open(tmp_path / path, "a") as module:
            module.write(f"\nimport {imported}  # the break under test\n")

    result = _lint_imports(tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Contracts: 0 kept, 5 broken." in output, output
    for path, imported, contract in BREAKS:
        importer = path.removesuffix(".py").replace("/", ".")
        assert f"{contract}" in output.split("Broken contracts")[1], output
        assert f"{importer} -> {imported}" in output, output
