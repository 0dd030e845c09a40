"""JSON bodies a client can send that Python parses but nothing can store or answer: 400 naming
the field. Huge exponents (1e999999 is float inf), lone UTF-16 surrogates ("\\ud800" cannot be
encoded to UTF-8, so neither stored nor echoed back), deep nesting (Python's parser, or the code
answering, runs out of stack), NUL characters and values of the wrong type anywhere in the body."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.models import Lead
from optouts.models import ConsentEvent
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

OPT_OUT = "/api/v1/sms/opt-out/"
OPT_IN = "/api/v1/sms/opt-in/"
LEADS = "/api/v1/leads/"
MESSAGES = "/api/v1/sms/messages/"
IMPORTS = "/api/v1/leads/imports/"
DEEP = 100_000


@pytest.fixture(autouse=True)
def _fresh_throttle_counters(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead(db):
    return LeadFactory()


def _post(client, url, body: str | bytes, method="post"):
    client.raise_request_exception = False
    return getattr(client, method)(url, body, content_type="application/json")


def _is_400_naming(response, field: str) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] and body["detail"], body
    assert field in body.get("errors", {}), body
    return body


def _deep(inner: str = "1", depth: int = DEEP) -> str:
    return "[" * depth + inner + "]" * depth


# (url, raw JSON body, field that must be named); "{lead}" is a lead's detail URL.
CASES = [
    # huge exponents: float inf
    (OPT_OUT, '{"phone_number": 1e999999}', "phone_number"),
    (OPT_OUT, '{"phone_numbers": ["+14155552671", -1e999999]}', "phone_numbers"),
    (OPT_OUT, '{"phone_number": "+14155552671", "note": 1e999}', "note"),
    (LEADS, '{"first_name": "Ada", "assigned_agent": 1e999999}', "assigned_agent"),
    (LEADS, '{"phones": [{"number": 1e999999}]}', "phones"),
    ("{lead}", '{"assigned_agent": -1e999}', "assigned_agent"),
    (MESSAGES, '{"to": "+14155552671", "body": "hi", "lead": 1e999999}', "lead"),
    # lone surrogates, in values and in keys
    (OPT_OUT, '{"phone_numbers": ["\\ud800"]}', "phone_numbers"),
    (OPT_OUT, '{"phone_number": "+14155552671", "note": "stop \\udfff"}', "note"),
    (OPT_IN, '{"phone_number": "+14155552671", "note": "\\ud83d"}', "note"),
    (LEADS, '{"first_name": "\\ud800", "last_name": "x"}', "first_name"),
    (LEADS, '{"phones": [{"number": "+14155552671", "\\udc00": 1}]}', "phones"),
    ("{lead}", '{"company": "a\\udbffb"}', "company"),
    (MESSAGES, '{"to": "+14155552671", "body": "\\ud800"}', "body"),
    # NUL characters (the fields refuse them)
    (OPT_OUT, '{"phone_numbers": ["+1415555267\\u0000"]}', "phone_numbers"),
    (LEADS, '{"first_name": "a\\u0000b"}', "first_name"),
    # deep nesting: past the parser's stack, and deeper than any field of ours goes
    (OPT_OUT, '{"phone_numbers": ' + _deep() + "}", "phone_numbers"),
    (OPT_OUT, '{"note": "x", "phone_numbers": ' + _deep(depth=500) + "}", "phone_numbers"),
    # parsed, but deep enough that answering it runs out of stack
    (LEADS, '{"phones": [{"number": ' + _deep('"1"', depth=900) + "}]}", "phones"),
    (LEADS, '{"first_name": "a", "phones": [' + _deep('{"a": 1}') + "]}", "phones"),
    ("{lead}", '{"phones": ' + _deep(depth=60) + "}", "phones"),
    (MESSAGES, '{"to": "+14155552671", "body": ' + _deep('"x"') + "}", "body"),
    # wrong types
    (OPT_OUT, '{"phone_numbers": 5}', "phone_numbers"),
    (OPT_OUT, '{"phone_numbers": "+14155552671"}', "phone_numbers"),
    (OPT_OUT, '{"phone_number": {"number": "+14155552671"}}', "phone_number"),
    (OPT_OUT, '{"phone_number": ["+14155552671"]}', "phone_number"),
    (OPT_OUT, '{"phone_number": "+14155552671", "note": {"a": 1}}', "note"),
    (OPT_IN, '{"phone_numbers": [true, null], "note": "x"}', "phone_numbers"),
    (LEADS, '{"phones": {"number": "+14155552671"}}', "phones"),
    (LEADS, '{"phones": [5]}', "phones"),
    (LEADS, '{"phones": [{"number": {"x": 1}}]}', "phones"),
    (LEADS, '{"first_name": "a", "assigned_agent": "abc"}', "assigned_agent"),
    (LEADS, '{"first_name": "a", "assigned_agent": [1]}', "assigned_agent"),
    (LEADS, '{"first_name": "a", "assigned_agent": {"id": 1}}', "assigned_agent"),
    (
        LEADS,
        '{"first_name": "a", "assigned_agent": 100000000000000000000000000000}',
        "assigned_agent",
    ),
    (LEADS, '{"first_name": "a", "assigned_agent": 1e300}', "assigned_agent"),
    (LEADS, '{"first_name": "a", "sms_opt_out": "maybe"}', "sms_opt_out"),
    (LEADS, '{"first_name": "a", "status": ["new"]}', "status"),
    ("{lead}", '{"email": 5}', "email"),
    (MESSAGES, '{"to": {"a": 1}, "body": "x"}', "to"),
    (MESSAGES, '{"to": "+14155552671", "body": ["x"]}', "body"),
    (MESSAGES, '{"to": "+14155552671", "body": "x", "lead": "abc"}', "lead"),
    (
        MESSAGES,
        '{"to": "+14155552671", "body": "x", "lead": 100000000000000000000000000000}',
        "lead",
    ),
]


@pytest.mark.parametrize(
    ("url", "body", "field"), CASES, ids=[f"{u}:{b[:50]}" for u, b, _ in CASES]
)
def test_a_body_nothing_can_store_is_a_400_naming_the_field(admin_api, lead, url, body, field):
    method = "post"
    if url == "{lead}":
        url, method = f"{LEADS}{lead.pk}/", "patch"

    _is_400_naming(_post(admin_api, url, body, method), field)

    assert not ConsentEvent.objects.exists()
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    ["[]", '"x"', "null", "5", "true", "[" * DEEP, _deep(), '{"a": ' * DEEP + "1" + "}" * DEEP],
    ids=["list", "string", "null", "number", "bool", "unclosed", "deep-list", "deep-object"],
)
@pytest.mark.parametrize("url", [OPT_OUT, OPT_IN, LEADS, MESSAGES, "{lead}"])
def test_a_body_that_is_not_an_object_is_a_400(admin_api, lead, url, body):
    method = "post"
    if url == "{lead}":
        url, method = f"{LEADS}{lead.pk}/", "patch"

    response = _post(admin_api, url, body, method)

    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response.json()["code"] in ("invalid", "parse_error")


def test_raw_surrogate_bytes_are_a_parse_error(admin_api):
    response = _post(admin_api, OPT_OUT, b'{"phone_number": "\xed\xa0\x80"}')

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_an_ordinary_body_with_astral_characters_is_still_taken(admin_api):
    # A real emoji arrives as a surrogate *pair* in JSON escapes: that is text, and it is kept.
    body = '{"phone_number": "+14155552671", "note": "asked by text \\ud83d\\ude00"}'

    response = _post(admin_api, OPT_OUT, body)

    assert response.status_code == 200, response.content
    assert ConsentEvent.objects.get().details["note"] == "asked by text \U0001f600"


# --- the import API's `mapping` field is JSON inside a form ----------------------------------
@pytest.mark.parametrize(
    "mapping",
    [
        _deep(),
        '{"Tel": ' + _deep('"phone:mobile"', depth=60) + "}",
        '{"\\ud800": "first_name"}',
        '{"Tel": "phone:mobile", "Who": "first_\\u0000name"}',
        '{"Tel": 1e999999}',
    ],
    ids=["deep", "nested-value", "surrogate-key", "nul", "inf"],
)
def test_a_mapping_nothing_can_store_is_a_400_naming_it(admin_api, mapping):
    upload = SimpleUploadedFile("x.csv", b"Tel,Who\n4155552671,Ann\n")
    admin_api.raise_request_exception = False

    response = admin_api.post(IMPORTS, {"file": upload, "mapping": mapping}, format="multipart")

    _is_400_naming(response, "mapping")


@pytest.mark.parametrize("depth", [33, 60, 500])
def test_nesting_past_32_levels_is_refused_as_such(admin_api, depth):
    body = '{"first_name": "a", "phones": [{"number": ' + _deep('"1"', depth) + "}]}"

    answer = _is_400_naming(_post(admin_api, LEADS, body), "phones")

    assert "nested more than 32 levels deep" in answer["errors"]["phones"][0]
