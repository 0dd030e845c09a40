"""The race tests can fail: without the per-number lock, every deterministic one does.

Runs the `interleaving` tests of the race modules in a child pytest with `VELOCIFY_TEST_LOCKS=off`
(tests/optouts/conftest.py then turns `phone_numbers_lock` into a no-op) on a database of its own,
and expects each of them to fail, for the lock's reason: the failure names "the advisory lock of"
the number. A race test that passes without the lock proves nothing about it. `make race-check`
runs this after twenty runs of the race tests with the lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.optouts import test_services_race
from tests.optouts.interleaving import LOCK_PHRASE
from tests.optouts.messaging import test_deadline_race, test_policy_race, test_send_race

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"),
    reason="the race tests run on PostgreSQL only",
)

RACE_MODULES = [test_services_race, test_send_race, test_policy_race, test_deadline_race]


def _interleaving_tests() -> set[str]:
    names = set()
    for module in RACE_MODULES:
        for name, function in vars(module).items():
            marks = getattr(function, "pytestmark", [])
            if name.startswith("test_") and any(mark.name == "interleaving" for mark in marks):
                names.add(name)
    return names


def _own_database_url() -> str:
    """The child creates and drops its own test database, next to this run's."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"{url.path}_locks_off"))


def test_every_interleaving_race_test_fails_with_the_locks_off(tmp_path):
    expected = _interleaving_tests()
    assert len(expected) >= 6
    report = tmp_path / "locks-off.xml"
    paths = [str(Path(module.__file__).relative_to(settings.BASE_DIR)) for module in RACE_MODULES]
    child = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "interleaving"]
        + [f"--junitxml={report}", *paths],
        cwd=settings.BASE_DIR,
        env={**os.environ, "VELOCIFY_TEST_LOCKS": "off", "DATABASE_URL": _own_database_url()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = child.stdout[-3000:] + child.stderr[-2000:]
    assert child.returncode == 1, output  # 1: tests ran and some failed; others: it broke

    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            outcomes[case.get("name")] = "passed" if len(case) == 0 else case[0].tag
        elif LOCK_PHRASE not in (failure.get("message") or ""):
            outcomes[case.get("name")] = f"failed for another reason: {failure.get('message')}"
        else:
            outcomes[case.get("name")] = "failed"
    assert outcomes == dict.fromkeys(expected, "failed"), output
