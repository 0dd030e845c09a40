"""GET /api/v1/sms/opt-outs/: admins only, the report's filters, cursor pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from optouts.models import Source
from tests.factories import OptOutFactory

URL = "/api/v1/sms/opt-outs/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def test_admin_lists_the_opt_out_list_newest_first(admin_api):
    old = OptOutFactory(phone_number="+14155550001", opted_out_at=timezone.now() - timedelta(1))
    new = OptOutFactory(phone_number="+14155550002", source=Source.CONTACT)

    response = admin_api.get(URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["phone_number"] for r in rows] == [new.phone_number, old.phone_number]
    assert rows[0]["source"] == "contact"
    assert rows[0]["can_opt_in"] is False
    assert rows[1]["can_opt_in"] is True


def test_filters_source_prefix_and_time(admin_api):
    now = timezone.now()
    OptOutFactory(phone_number="+14155550001", source=Source.AGENT, opted_out_at=now)
    OptOutFactory(phone_number="+12125550001", source=Source.CONTACT, opted_out_at=now)
    OptOutFactory(
        phone_number="+14155550003", source=Source.CONTACT, opted_out_at=now - timedelta(days=10)
    )

    def numbers(**params):
        response = admin_api.get(URL, params)
        assert response.status_code == 200, response.json()
        return sorted(r["phone_number"] for r in response.json()["results"])

    assert numbers(source="contact") == ["+12125550001", "+14155550003"]
    assert numbers(phone_prefix="415") == ["+14155550001", "+14155550003"]
    since = (now - timedelta(days=1)).isoformat()
    assert numbers(since=since, source="contact") == ["+12125550001"]


def test_a_prefix_under_3_digits_is_a_400_json(admin_api):
    response = admin_api.get(URL, {"phone_prefix": "41"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "phone_prefix" in body["errors"]
    assert "3 digits" in body["errors"]["phone_prefix"][0]


def test_cursor_pagination_walks_every_row_once(admin_api):
    for n in range(7):
        OptOutFactory(phone_number=f"+1415555{n:04d}")

    seen, url = [], URL + "?page_size=3"
    while url:
        body = admin_api.get(url).json()
        seen += [r["phone_number"] for r in body["results"]]
        url = body["next"]

    assert sorted(seen) == [f"+1415555{n:04d}" for n in range(7)]


def test_agents_may_not_read_the_list(agent_api):
    response = agent_api.get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("since", "status"),
    [("0391-01-29T07:38:04+23:49", 200), ("0001-01-01T00:00:00+23:59", 400)],
)
def test_an_offset_postgresql_cannot_store_is_read_in_utc_not_a_500(admin_api, since, status):
    # Found by the schema fuzz (tests/velocify_sms/test_schema.py) on PostgreSQL.
    response = admin_api.get(URL, {"since": since})
    assert response.status_code == status, response.content
