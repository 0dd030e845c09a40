"""optouts/field_access.py: the rule applied to one serializer, and what the schema says of it.

Every endpoint and role is walked in tests/velocify_sms/test_api_field_access.py; here the parts
no endpoint exercises today: a whole field only admins read, and reading without a request.
"""

from __future__ import annotations

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from optouts import field_access
from optouts.apis import ConsentEventOutputSerializer
from optouts.field_access import Access, FieldAccessMixin, serializer_label
from tests.factories import ConsentEventFactory

pytestmark = pytest.mark.django_db


class SecretOutputSerializer(FieldAccessMixin, serializers.Serializer):
    shown = serializers.CharField()
    secret = serializers.CharField(help_text="Kept for admins.")
    new = serializers.CharField()  # never classified


@pytest.fixture
def classified(monkeypatch):
    label = serializer_label(serializer=SecretOutputSerializer)
    table = {label: {"shown": Access.EVERYONE, "secret": Access.ADMIN}}
    monkeypatch.setattr(field_access, "FIELD_ACCESS", {**field_access.FIELD_ACCESS, **table})


def _request(user):
    request = APIRequestFactory().get("/")
    request.user = user
    return request


ROW = {"shown": "a", "secret": "b", "new": "c"}


def test_an_agent_gets_only_the_fields_for_everyone_and_never_an_unclassified_one(
    classified, agent_user
):
    data = SecretOutputSerializer(ROW, context={"request": _request(agent_user)}).data

    assert data == {"shown": "a"}


def test_an_admin_gets_every_field(classified, admin_user, superuser):
    for user in (admin_user, superuser):
        assert SecretOutputSerializer(ROW, context={"request": _request(user)}).data == ROW


def test_without_a_request_nothing_only_for_admins_is_written(admin_user):
    event = ConsentEventFactory(
        action="opt_in", details={"note": "why", "consent_evidence": "doc", "text": "START"}
    )

    without = ConsentEventOutputSerializer(event).data
    admin = ConsentEventOutputSerializer(event, context={"request": _request(admin_user)}).data

    assert without["details"] == {"text": "START"}
    assert admin["details"] == event.details


class SecretApi(APIView):
    @extend_schema(responses=SecretOutputSerializer)
    def get(self, request):
        return Response({})


def test_the_schema_marks_a_field_only_admins_read_and_does_not_require_it(classified):
    generator = SchemaGenerator(patterns=[path("secret/", SecretApi.as_view())])

    schema = generator.get_schema(request=None, public=True)["components"]["schemas"]

    secret = schema["SecretOutput"]["properties"]["secret"]
    assert secret["x-admin-only"] is True
    assert secret["description"] == "Admins only. Kept for admins."
    assert "x-admin-only" not in schema["SecretOutput"]["properties"]["shown"]
    assert "secret" not in schema["SecretOutput"]["required"]
    assert "shown" in schema["SecretOutput"]["required"]
