"""A person logged in to the admin opening the API in a browser: JSON or a 406, never a 500.

The browsable API (DRF's HTML renderer) is switched off (docs/decisions.md): it built forms from
view internals and failed on the lead list. /api/docs/ is the API's page for people.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import LeadFactory, given_opt_out

pytestmark = pytest.mark.django_db

GETS = [
    "/api/v1/leads/",
    "/api/v1/leads/?page=2",
    "/api/v1/leads/{lead}/",
    "/api/v1/sms/opt-outs/",
    "/api/v1/sms/opt-outs/?since=bad",
    "/api/v1/sms/phone-numbers/4155550101/",
    "/api/v1/leads/imports/999/",
    "/api/v1/me/",
    "/api/v1/sms/opt-out/",
    "/api/v1/sms/messages/",
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def lead(db):
    cache.clear()
    given_opt_out(number="+14155550101")
    return LeadFactory()


@pytest.mark.parametrize("url", GETS)
def test_a_browser_gets_json(admin_client, lead, url):
    admin_client.raise_request_exception = False

    response = admin_client.get(url.format(lead=lead.pk), HTTP_ACCEPT=BROWSER)

    assert response.status_code < 500, response.status_code
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", GETS)
def test_asking_for_html_only_is_a_406_in_json(admin_client, lead, url):
    admin_client.raise_request_exception = False

    response = admin_client.get(url.format(lead=lead.pk), HTTP_ACCEPT="text/html")

    assert response.status_code == 406, response.status_code
    assert response.json()["code"] == "not_acceptable"
