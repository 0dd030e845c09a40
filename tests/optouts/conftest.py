"""The race tests' switches: the per-number lock on or off, and the interleaving of two workers."""

from __future__ import annotations

import os

import pytest

from tests.optouts.interleaving import Interleaving

LOCKS_ENV = "VELOCIFY_TEST_LOCKS"


@pytest.fixture
def consent_locks(monkeypatch) -> bool:
    """`phone_numbers_lock` as the environment asks: on (unset or `on`), or off (`off`).

    Only tests/optouts/test_race_meta.py sets `VELOCIFY_TEST_LOCKS=off`, in a child pytest, to
    prove the race tests fail without the lock (also `make race-check`). The race modules use
    this fixture for every test; nothing in the application reads the variable.
    """
    value = os.environ.get(LOCKS_ENV, "on").strip().lower()
    if value not in {"on", "off"}:
        raise ValueError(f"{LOCKS_ENV} must be on or off, not {value!r}")
    if value == "off":
        monkeypatch.setattr("optouts.services.locks._ENABLED", False)
    return value == "on"


@pytest.fixture
def interleaving(transactional_db, consent_locks):
    """Workers on their own connections and the gates they stop at; all released at teardown,
    before the database is flushed."""
    run = Interleaving()
    yield run
    run.close()
