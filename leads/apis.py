"""The lead API (docs/api.md): leads with nested phones and the computed SMS Opt-Out.

`sms_opt_out` in answers comes from the selector's EXISTS annotation, never from a column. On
create, `"sms_opt_out": true` opts every phone of the lead out (source agent, channel api) in the
same transaction as the lead; `false` or absent never opts a number in. A POST whose
`external_id` names an existing lead updates that lead (200) instead of creating a duplicate (201).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from leads.models import (
    US_STATE_CHOICES,
    Lead,
    LeadStatus,
    PhoneKind,
    validate_time_zone,
)
from leads.selectors import lead_list, lead_search
from leads.services import lead_create, lead_update, lead_upsert
from optouts.models import Channel
from optouts.permissions import user_can_opt_out
from velocify_sms.api_errors import api_errors
from velocify_sms.api_limits import PagePagination

MAX_PHONES = 20


class CanWorkLeads(BasePermission):
    """Read leads with view_lead; create with add_lead; change with change_lead."""

    message = "You do not have permission to work with leads."
    PERMS = {
        "GET": ["leads.view_lead"],
        "HEAD": ["leads.view_lead"],
        "OPTIONS": ["leads.view_lead"],
        "POST": ["leads.add_lead", "leads.change_lead"],  # a POST may update (external_id)
        "PATCH": ["leads.change_lead"],
    }

    def has_permission(self, request, view):
        user = request.user
        # A method the view lacks passes here so that the caller gets 405, not 403.
        perms = self.PERMS.get(request.method, [])
        return bool(user and user.is_active and user.has_perms(perms))


# --- serializers ------------------------------------------------------------------------------
class LeadPhoneSerializer(serializers.Serializer):
    number = serializers.CharField(
        max_length=40, help_text="Any form on input (`(415) 555-2671`); E.164 on output."
    )
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.MOBILE)


class LeadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    company = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=LeadStatus.choices)
    assigned_agent = serializers.IntegerField(source="assigned_agent_id", allow_null=True)
    state = serializers.CharField(allow_blank=True)
    time_zone = serializers.CharField(allow_blank=True)
    phones = LeadPhoneSerializer(many=True)
    sms_opt_out = serializers.BooleanField(
        help_text="Computed, read-only: true when any of the lead's numbers is on the opt-out list."
    )
    textable_phones = serializers.IntegerField(
        help_text="Computed, read-only: how many of its numbers may be texted now (not on the "
        "opt-out list, no revocation waiting for review, not held as unreachable)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class LeadWriteSerializer(serializers.Serializer):
    """The writable lead fields, shared by the create and update inputs."""

    external_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Your system's id. A POST with an existing one updates that lead (200).",
    )
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    assigned_agent = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="User id of the agent working the lead.",
    )
    state = serializers.ChoiceField(
        choices=US_STATE_CHOICES,
        required=False,
        allow_blank=True,
        help_text="USPS code of the US state the lead lives in: its SMS rules apply too.",
    )
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        validators=[validate_time_zone],
        help_text="IANA time zone (America/Chicago): SMS quiet hours are kept there instead "
        "of in the time zone of the number's area code.",
    )
    phones = LeadPhoneSerializer(
        many=True,
        required=False,
        max_length=MAX_PHONES,
        help_text="Replaces the lead's phones when given. A number dropped from a lead stays "
        "on the opt-out list.",
    )
    sms_opt_out = serializers.BooleanField(
        required=False,
        help_text="true: opt every phone of the lead out (source agent, channel api), in the "
        "same transaction. false or absent: change nothing (never opts a number in).",
    )


def _write_arguments(data: dict) -> dict:
    """Validated input -> keyword arguments of the lead services."""
    arguments = dict(data)
    if "external_id" in arguments:
        arguments["external_id"] = arguments["external_id"] or None
    return arguments


class _LeadSearchFilterSerializer(serializers.Serializer):
    sms_opt_out = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true or false."
    )
    textable = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: leads with at least one number that may be texted now; false: none.",
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=(
            "Name, email or company (every word), an external id, or a phone number: a whole "
            "number in any form, its first 3+ digits, or its last 4+ digits (`0142`)."
        ),
    )


# --- /api/v1/leads/ ---------------------------------------------------------------------------
class LeadListCreateApi(generics.GenericAPIView):
    """GET: the leads, with their computed SMS Opt-Out. POST: add (or update) a lead."""

    permission_classes = [IsAuthenticated, CanWorkLeads]
    pagination_class = PagePagination
    serializer_class = LeadOutputSerializer
    filter_backends: list = []

    LeadListFilterSerializer = _LeadSearchFilterSerializer

    class LeadCreateInputSerializer(LeadWriteSerializer):
        def validate(self, data):
            # An external_id alone may update the lead it names (e.g. only to opt it out).
            wanted = ("external_id", "first_name", "last_name", "email", "company", "phones")
            if not any(data.get(name) for name in wanted):
                raise serializers.ValidationError(
                    "A lead needs at least an external id, a name, an email, a company or a "
                    "phone number."
                )
            return data

    @extend_schema(
        operation_id="leads_list",
        summary="List leads",
        description="Newest first. `sms_opt_out` is computed in the query.",
        parameters=[_LeadSearchFilterSerializer],
        responses={200: LeadOutputSerializer(many=True), **api_errors(400, 404)},
        tags=["leads"],
    )
    def get(self, request):
        filters = self.LeadListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = lead_list(
            sms_opt_out=filters.validated_data.get("sms_opt_out"),
            textable=filters.validated_data.get("textable"),
        )
        queryset = lead_search(queryset=queryset, term=filters.validated_data.get("search", ""))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(LeadOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="leads_create",
        summary="Add a lead (or update the one with this external_id)",
        description=(
            "201 when a lead is created. When `external_id` names an existing lead, that lead "
            "is updated instead (200): given fields are replaced, `phones` (when given) becomes "
            "its phone set. `sms_opt_out: true` opts all its numbers out in the same "
            "transaction; `false` or absent leaves every number's consent as it is."
        ),
        request=LeadCreateInputSerializer,
        responses={
            201: OpenApiResponse(LeadOutputSerializer, description="Created."),
            200: OpenApiResponse(LeadOutputSerializer, description="Updated (external_id)."),
            **api_errors(400, 413, 415),
        },
        examples=[
            OpenApiExample(
                "A lead who asked for no texts",
                value={
                    "external_id": "crm-1001",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "phones": [{"number": "(415) 555-2671", "kind": "mobile"}],
                    "sms_opt_out": True,
                },
            )
        ],
        tags=["leads"],
    )
    def post(self, request):
        serializer = self.LeadCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = _write_arguments(serializer.validated_data)
        if arguments.get("sms_opt_out") and not user_can_opt_out(request.user):
            self.permission_denied(request, "You do not have permission to opt numbers out.")
        arguments.setdefault("phones", None if arguments.get("external_id") else ())
        external_id = arguments.pop("external_id", None)
        write = lead_upsert if external_id else lead_create
        try:
            result = write(
                external_id=external_id, actor=request.user, channel=Channel.API, **arguments
            )
        except IntegrityError:
            # Two POSTs with the same new external_id at once: the loser updates the winner's.
            result = lead_upsert(
                external_id=external_id, actor=request.user, channel=Channel.API, **arguments
            )
        lead = lead_list().get(pk=result.lead.pk)
        return Response(
            LeadOutputSerializer(lead).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


# --- /api/v1/leads/<id>/ ----------------------------------------------------------------------
class LeadDetailApi(generics.GenericAPIView):
    """GET one lead; PATCH some of its fields (and phones)."""

    permission_classes = [IsAuthenticated, CanWorkLeads]
    serializer_class = LeadOutputSerializer

    class LeadUpdateInputSerializer(LeadWriteSerializer):
        pass

    def _get_lead(self, lead_id: int) -> Lead:
        lead = lead_list().filter(pk=lead_id).first()
        if lead is None:
            raise Http404
        return lead

    @extend_schema(
        operation_id="leads_retrieve",
        summary="Get a lead",
        responses={200: LeadOutputSerializer, **api_errors(404)},
        tags=["leads"],
    )
    def get(self, request, lead_id: int):
        return Response(LeadOutputSerializer(self._get_lead(lead_id)).data)

    @extend_schema(
        operation_id="leads_partial_update",
        summary="Change a lead",
        description=(
            "Only the fields sent change. `phones`, when sent, becomes the lead's phone set "
            "(numbers dropped stay on the opt-out list). `sms_opt_out: true` opts all the "
            "lead's numbers out; `false` changes nothing."
        ),
        request=LeadUpdateInputSerializer,
        responses={200: LeadOutputSerializer, **api_errors(400, 404, 413, 415)},
        tags=["leads"],
    )
    def patch(self, request, lead_id: int):
        lead = self._get_lead(lead_id)
        serializer = self.LeadUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        arguments = _write_arguments(serializer.validated_data)
        if arguments.get("sms_opt_out") and not user_can_opt_out(request.user):
            self.permission_denied(request, "You do not have permission to opt numbers out.")
        lead_update(lead=lead, actor=request.user, channel=Channel.API, **arguments)
        return Response(LeadOutputSerializer(self._get_lead(lead_id)).data)
