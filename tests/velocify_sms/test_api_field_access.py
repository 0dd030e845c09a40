"""What each role reads in the API's answers (optouts/field_access.py), for every endpoint.

The endpoints and their answers' serializers are discovered the way drf-spectacular finds them
for /api/schema/, never listed here: a new endpoint, serializer or field is walked as soon as it
exists, and fails here until optouts/field_access.py classifies it. Then real requests of every
role: an agent (session or token) never receives an admin's opt-in reason, the consent evidence
or `requested_by`; an admin (session or token) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.test import APIClient, APIRequestFactory

from apitokens.services import api_token_create
from optouts.field_access import (
    EVENT_DETAIL_KEYS,
    EVENT_DETAILS_ADMIN_SENTENCE,
    FIELD_ACCESS,
    UNSERIALIZED_ANSWERS,
    Access,
    FieldAccessMixin,
    answer_readable,
    event_details_readable,
    field_access,
    serializer_label,
)
from optouts.models import EventAction, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

NUMBER = "+14155552671"
AGENT_NOTE = "Asked us by email to stop, ticket 5521"
OPT_IN_NOTE = "Customer called on 2 Dec to get texts again"
EVIDENCE = "https://example.com/consent/DOC-8841"
REFUSED_NOTE = "Trying again after the STOP, per the branch manager"
ADMIN_ONLY_TEXTS = (OPT_IN_NOTE, EVIDENCE, REFUSED_NOTE, "requested_by")


# --- The endpoints and their answers, as drf-spectacular sees them ------------------------------


@dataclass
class Endpoint:
    method: str
    path: str
    view: object
    # (status, serializer instance or None for an answer written without a serializer)
    answers: list[tuple[str, serializers.BaseSerializer | None]]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def view_label(self) -> str:
        return f"{type(self.view).__module__}.{type(self.view).__qualname__}"


def _serializer(response) -> serializers.BaseSerializer | None:
    if isinstance(response, OpenApiResponse):
        response = response.response
    if isinstance(response, type) and issubclass(response, serializers.BaseSerializer):
        return response()
    if isinstance(response, serializers.BaseSerializer):
        return response
    return None  # dict, OpenApiTypes, a description only


def _endpoints() -> list[Endpoint]:
    generator = SchemaGenerator()
    found = []
    for path, path_regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view = generator.create_view(callback, method)
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        if view.schema.get_operation(path, path_regex, "", method, generator.registry) is None:
            continue  # the schema and docs views, left out of the schema itself
        responses = view.schema.get_response_serializers()
        if not isinstance(responses, dict):
            responses = {"200": responses}
        answers = []
        for status, response in responses.items():
            code = str(status[0] if isinstance(status, tuple) else status)
            if isinstance(response, OpenApiResponse) and response.response is None:
                continue  # a status described in words, with no body schema
            answers.append((code, _serializer(response)))
        found.append(Endpoint(method=method, path=path, view=view, answers=answers))
    return found


ENDPOINTS = _endpoints()


def _fields(serializer, seen=None):
    """(serializer, field name, field) for every field of `serializer` and of those it nests."""
    seen = set() if seen is None else seen
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    label = serializer_label(serializer=serializer)
    if label in seen:
        return
    seen.add(label)
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        yield serializer, name, field
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.BaseSerializer):
            yield from _fields(nested, seen)


def _answer_fields(endpoint: Endpoint, *, success_only=False):
    for status, serializer in endpoint.answers:
        if serializer is not None and (not success_only or status.startswith("2")):
            yield from _fields(serializer)


def test_the_walk_finds_every_api_endpoint_and_the_answers_with_admin_only_data():
    names = {e.name for e in ENDPOINTS}
    assert {"GET /api/v1/sms/phone-numbers/{number}/", "POST /api/v1/sms/messages/"} <= names
    assert {"GET /api/v1/me/", "GET /api/v1/leads/imports/{job_id}/"} <= names
    labels = {serializer_label(serializer=s) for e in ENDPOINTS for s, _, _ in _answer_fields(e)}
    assert "optouts.apis.ConsentEventOutputSerializer" in labels  # nested in the look-up


def test_every_field_of_every_answer_is_classified():
    unclassified = sorted(
        f"{endpoint.name}: {serializer_label(serializer=owner)}.{name}"
        for endpoint in ENDPOINTS
        for owner, name, _ in _answer_fields(endpoint)
        if field_access(serializer=owner, field=name) is None
    )
    assert unclassified == [], "classify these in optouts/field_access.py FIELD_ACCESS"


def test_every_answer_without_a_serializer_is_classified():
    unclassified = sorted(
        f"{endpoint.name} ({endpoint.view_label}) answers {status} without a serializer"
        for endpoint in ENDPOINTS
        for status, serializer in endpoint.answers
        if serializer is None and endpoint.view_label not in UNSERIALIZED_ANSWERS
    )
    assert unclassified == [], "classify these in optouts/field_access.py UNSERIALIZED_ANSWERS"


def test_the_table_names_only_serializers_and_fields_that_answer():
    walked = {
        (serializer_label(serializer=owner), name)
        for endpoint in ENDPOINTS
        for owner, name, _ in _answer_fields(endpoint)
    }
    listed = {(label, name) for label, fields in FIELD_ACCESS.items() for name in fields}
    assert listed - walked == set()
    views = {endpoint.view_label for endpoint in ENDPOINTS}
    assert set(UNSERIALIZED_ANSWERS) <= views


def test_a_serializer_with_a_field_not_for_everyone_applies_the_table():
    not_applied = sorted(
        {
            f"{serializer_label(serializer=owner)}.{name}"
            for endpoint in ENDPOINTS
            for owner, name, _ in _answer_fields(endpoint, success_only=True)
            if field_access(serializer=owner, field=name) != Access.EVERYONE
            and not isinstance(owner, FieldAccessMixin)
        }
    )
    assert not_applied == [], "these serializers must inherit FieldAccessMixin"


# --- The roles --------------------------------------------------------------------------------


@dataclass
class Role:
    name: str
    user: object
    key: str | None  # a token's key; None: a logged-in session
    is_admin: bool

    def drf_request(self, endpoint: Endpoint):
        """The request the endpoint's view sees from this role, authenticated by the view's
        own authentication classes (the token, or the session's user)."""
        headers = {"HTTP_AUTHORIZATION": f"Token {self.key}"} if self.key else {}
        django_request = APIRequestFactory().generic(endpoint.method, "/", **headers)
        if not self.key:
            django_request.user = self.user
            django_request._dont_enforce_csrf_checks = True
        request = endpoint.view.initialize_request(django_request)
        assert request.user == self.user
        assert (request.auth is not None) == bool(self.key)
        return request

    def client(self):
        if self.key:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.key}")
            return client
        client = Client()
        client.force_login(self.user)
        return client


ROLES = ["admin", "agent", "admin_token", "agent_token"]


@pytest.fixture(params=ROLES)
def role(request, admin_user, agent_user) -> Role:
    user = admin_user if request.param.startswith("admin") else agent_user
    key = api_token_create(user=user)[1] if request.param.endswith("_token") else None
    return Role(name=request.param, user=user, key=key, is_admin=user is admin_user)


def _admits(endpoint: Endpoint, request) -> bool:
    return all(p.has_permission(request, endpoint.view) for p in endpoint.view.get_permissions())


def _fields_sent(owner, request) -> set[str]:
    """The fields `owner` writes for the request's user (the table applied as it answers)."""
    names = {name for name, field in owner.fields.items() if not field.write_only}
    if not isinstance(owner, FieldAccessMixin):
        return names
    data = dict.fromkeys(names, {})
    return set(answer_readable(serializer=owner, data=data, instance=None, user=request.user))


def test_each_role_reads_every_field_for_everyone_and_only_admins_the_others(role):
    reached = 0
    for endpoint in ENDPOINTS:
        request = role.drf_request(endpoint)
        if not _admits(endpoint, request):
            continue
        reached += 1
        for owner, name, _ in _answer_fields(endpoint, success_only=True):
            access = field_access(serializer=owner, field=name)
            sent = name in _fields_sent(owner, request)
            expected = role.is_admin or access in (Access.EVERYONE, Access.EVENT_DETAILS)
            assert sent is expected, (role.name, endpoint.name, name, access)
    assert reached >= 5  # opt-out, look-up, leads, lead, me, messages: every role has these


def test_only_admins_reach_the_answers_written_without_a_serializer(role):
    for endpoint in ENDPOINTS:
        if endpoint.view_label in UNSERIALIZED_ANSWERS:
            assert _admits(endpoint, role.drf_request(endpoint)) is role.is_admin, endpoint.name


@pytest.mark.parametrize("action", [*EventAction.values, "an_action_not_known"])
def test_each_role_reads_the_details_keys_of_its_role(role, action):
    details = {key: f"value of {key}" for key in EVENT_DETAIL_KEYS} | {"a_new_key": "?"}

    shown = event_details_readable(details=details, action=action, user=role.user)

    if role.is_admin:
        assert shown == details
        return
    assert "consent_evidence" not in shown
    assert "requested_by" not in shown
    assert "a_new_key" not in shown  # not classified: admins only
    admins_opt_in = action in ("opt_in", "opt_in_refused") or action not in EventAction.values
    assert ("note" in shown) is not admins_opt_in
    assert {"text", "api_auth", "user_agent", "error_code", "reason"} <= set(shown)


# --- Real requests ------------------------------------------------------------------------------


def _post(user, path, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(f"/api/v1/sms/{path}/", body, format="json").json()["results"][0]


@pytest.fixture
def history(admin_user, agent_user):
    """Through the API: an agent's opt-out with a note, an admin's opt-in with a reason and the
    consent evidence; the contact's STOP; an admin's opt-in refused (its reason kept)."""
    assert _post(agent_user, "opt-out", {"phone_number": NUMBER, "note": AGENT_NOTE})
    body = {"phone_numbers": [NUMBER], "note": OPT_IN_NOTE, "evidence": EVIDENCE}
    assert _post(admin_user, "opt-in", body)["outcome"] == "opted_in"
    given_opt_out(number=NUMBER, source=Source.CONTACT, details={"text": "STOP"})
    body = {"phone_numbers": [NUMBER], "note": REFUSED_NOTE}
    assert _post(admin_user, "opt-in", body)["outcome"] == "refused"


def test_the_look_up_gives_only_admins_the_opt_in_reason_evidence_and_requester(role, history):
    response = role.client().get(f"/api/v1/sms/phone-numbers/{quote(NUMBER, safe='+')}/")

    assert response.status_code == 200
    body = response.content.decode()
    events = response.json()["history"]  # newest first
    assert [e["action"] for e in events] == ["opt_in_refused", "opt_out", "opt_in", "opt_out"]
    refused, stop, opt_in, agent_opt_out = (e["details"] for e in events)
    # Everyone: the agent's own note, the contact's text, the API client, the refusal's reason.
    assert agent_opt_out == {"note": AGENT_NOTE, "api_auth": "session", "user_agent": ""}
    assert stop == {"text": "STOP"}
    assert refused["reason"] == "contact_opt_out"
    assert opt_in["api_auth"] == "session"
    if role.is_admin:
        assert opt_in["note"] == OPT_IN_NOTE
        assert opt_in["consent_evidence"] == EVIDENCE
        assert opt_in["requested_by"] == refused["requested_by"] == "admin"
        assert refused["note"] == REFUSED_NOTE
    else:
        for text in ADMIN_ONLY_TEXTS:
            assert text not in body, (role.name, text)
        assert {"note", "consent_evidence", "requested_by"}.isdisjoint({*opt_in, *refused})


def test_who_asked_for_an_opt_out_staff_took_down_is_for_admins(role, agent_user):
    number = "+14155550188"
    body = {"phone_number": number, "asked_by": "contact_call", "note": AGENT_NOTE}
    assert _post(agent_user, "opt-out", body)["source"] == "contact"

    response = role.client().get(f"/api/v1/sms/phone-numbers/{quote(number, safe='+')}/")

    (event,) = response.json()["history"]
    assert (event["source"], event["channel"], event["actor"]) == ("contact", "call", "bob")
    assert event["details"]["recorded_through"] == "api"
    assert event["details"]["note"] == AGENT_NOTE
    assert ("requested_by" in event["details"]) is role.is_admin


def test_no_answer_an_agent_can_get_carries_an_admin_only_value(role, history):
    number = quote(NUMBER, safe="+")
    gets = [
        f"/api/v1/sms/phone-numbers/{number}/",
        f"/api/v1/sms/phone-numbers/{number}/evidence/",
        f"/api/v1/sms/phone-numbers/{number}/evidence/?format=csv",
        f"/api/v1/sms/phone-numbers/{number}/evidence/?format=html",
        "/api/v1/sms/opt-outs/",
        "/api/v1/leads/",
        "/api/v1/me/",
    ]
    client = role.client()
    answers = {url: client.get(url) for url in gets}

    for url, response in answers.items():
        body = response.content.decode()
        if role.is_admin:
            assert response.status_code == 200, url
            continue
        assert response.status_code in (200, 403), url
        for text in ADMIN_ONLY_TEXTS:
            assert text not in body, (role.name, url, text)
    if role.is_admin:
        evidence = answers[gets[1]].content.decode()
        assert OPT_IN_NOTE in evidence and EVIDENCE in evidence and REFUSED_NOTE in evidence


# --- The schema says it ---------------------------------------------------------------------


def test_the_schema_names_the_keys_only_admins_receive():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    event = schema["components"]["schemas"]["ConsentEventOutput"]["properties"]["details"]
    assert event["x-admin-only-keys"] == ["consent_evidence", "note", "requested_by"]
    assert EVENT_DETAILS_ADMIN_SENTENCE in event["description"]
