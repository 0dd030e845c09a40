"""The per-user API throttle: one counter per user and window, whatever the rate allowed."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/"


def test_the_user_throttle_keeps_one_number_per_window_not_a_list_of_times(agent_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, "user": "1000/min"},
    }

    for _ in range(5):
        assert agent_api.get(URL).status_code == 200

    # Local memory keys are ":<version>:<key>".
    keys = [k.split(":", 2)[2] for k in cache._cache if "throttle_user" in k]
    counters = [cache.get(k) for k in keys]
    assert [type(c) for c in counters] == [int] and counters == [5]
