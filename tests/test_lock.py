"""The lock files (what make installs, with --no-deps) keep up with pyproject.toml: every
dependency of the app is pinned in requirements.lock (all `make run` installs), every dev one in
it or requirements-dev.lock, each at a version its range allows. Otherwise a fresh clone would
install an old pin, or miss a new package; `make lock` rewrites both."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = ("requirements.lock",)
EVERYTHING = ("requirements.lock", "requirements-dev.lock")


def _pins(*names: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    lines = [line.strip() for name in names for line in (ROOT / name).read_text().splitlines()]
    for line in lines:
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and version, f"not pinned with ==: {line!r}"
        assert canonicalize_name(name) not in pins, f"pinned twice: {name}"
        pins[canonicalize_name(name)] = version
    return pins


def _unpinned(wanted: list[str], pins: dict[str, str]) -> tuple[list[str], list[str]]:
    missing, outside = [], []
    for requirement in map(Requirement, wanted):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(pin, prereleases=True):
            outside.append(f"{requirement.name}=={pin} (pyproject: {requirement.specifier})")
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            if canonicalize_name(f"{requirement.name}-{extra}") not in pins:
                missing.append(f"{requirement.name}[{extra}]")
    return missing, outside


def test_every_dependency_of_the_app_is_pinned_in_the_runtime_lock_within_its_range():
    missing, outside = _unpinned(PROJECT["dependencies"], _pins(*RUNTIME))
    assert not missing and not outside, f"run make lock: missing {missing}, outside {outside}"


def test_every_dev_dependency_is_pinned_in_one_of_the_locks_within_its_range():
    wanted = PROJECT["optional-dependencies"]["dev"]
    missing, outside = _unpinned(wanted, _pins(*EVERYTHING))
    assert not missing and not outside, f"run make lock: missing {missing}, outside {outside}"


def test_the_locks_do_not_pin_the_project_or_the_installers():
    assert not {"velocify-sms", "pip", "setuptools"} & set(_pins(*EVERYTHING))
