"""requirements.lock (what `make venv` installs, with --no-deps) keeps up with pyproject.toml:
every dependency there, the dev ones included, is pinned in the lock at a version its range
allows. Otherwise a fresh clone would install the old pin, or miss a new package; `make lock`
rewrites it."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"not pinned with ==: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def _wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in (*project["dependencies"], *project["optional-dependencies"]["dev"])
    ]


def test_every_dependency_of_pyproject_is_pinned_in_the_lock_within_its_range():
    pins = _pins()
    missing, outside = [], []
    for requirement in _wanted():
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(pin, prereleases=True):
            outside.append(f"{requirement.name}=={pin} (pyproject: {requirement.specifier})")
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            if canonicalize_name(f"{requirement.name}-{extra}") not in pins:
                missing.append(f"{requirement.name}[{extra}]")
    assert not missing and not outside, f"run make lock: missing {missing}, outside {outside}"


def test_the_lock_does_not_pin_the_project_or_the_installers():
    assert not {"velocify-sms", "pip", "setuptools"} & set(_pins())
