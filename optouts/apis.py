"""The opt-out API (docs/api.md): one view per operation, its serializers beside it.

Views translate HTTP to `optouts.services` / `optouts.selectors` and back; the consent rules
live in the services only. Errors are shaped by velocify_sms.api_errors.api_exception_handler.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from optouts.call_consent import CALL_REASON_CHOICES, phones_call_consent
from optouts.field_access import FieldAccessMixin
from optouts.models import CarrierReason, Channel, EventAction, Source
from optouts.permissions import CanOptIn, CanOptOut, IsAdminForOptOutReport
from optouts.selectors import optout_list, phone_history, phone_status
from optouts.services import (
    ASKED_BY_AGENT,
    ASKED_BY_CHOICES,
    CONSENT_EVIDENCE_MAX,
    Outcome,
    RefusalReason,
    admin_may_opt_in,
    phones_opt_in_by_admin,
    phones_opt_out_as_asked,
)
from velocify_sms.api_errors import ErrorSerializer, api_errors, phone_batch_error
from velocify_sms.api_limits import NewestFirstCursorPagination
from velocify_sms.phones import phone_normalize_many

MAX_BATCH = 1000
HISTORY_LIMIT = 200


# --- shared input -----------------------------------------------------------------------------
@extend_schema_field(
    {"type": "string", "example": "(415) 555-2671", "description": "A phone number in any form."}
)
class RawPhoneNumberField(serializers.Field):
    """Passes the value through untouched: phone_normalize_many judges every item itself, so a
    bad one is reported by its index and input like the others (never as a type error)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class PhoneNumbersInputSerializer(serializers.Serializer):
    phone_number = RawPhoneNumberField(required=False, help_text="One number.")
    phone_numbers = serializers.ListField(
        child=RawPhoneNumberField(),
        required=False,
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"Up to {MAX_BATCH:,} numbers, in any form; all or nothing.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default="", help_text="Kept in the log."
    )

    def validate(self, data):
        if ("phone_number" in data) == ("phone_numbers" in data):
            raise serializers.ValidationError(
                "Send either `phone_number` (one number) or `phone_numbers` (a list), not both "
                "and not neither."
            )
        if "phone_numbers" in data:
            field, inputs = "phone_numbers", data["phone_numbers"]
        else:
            field, inputs = "phone_number", [data["phone_number"]]
        numbers, errors = phone_normalize_many(inputs)
        if errors:
            raise phone_batch_error(field=field, errors=errors, total=len(inputs))
        return {
            "inputs": inputs,
            "numbers": numbers,
            "note": data.get("note", ""),
            "single": field == "phone_number",
        }


def _api_details(request) -> dict:
    """What the audit event records about the API client."""
    return {
        "api_auth": "token" if request.auth is not None else "session",
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


def _per_input(inputs, numbers, results) -> list[dict]:
    """One answer per input, in input order (the services answer once per distinct number)."""
    by_number = {result.phone_number: result for result in results}
    answers = []
    for raw, number in zip(inputs, numbers, strict=True):
        result = by_number[number]
        answers.append(
            {
                "input": str(raw),
                "phone_number": result.phone_number,
                "outcome": result.outcome,
                "source": result.source,
                "reason": result.reason,
                "detail": result.detail,
            }
        )
    return answers


_EXAMPLE_BODY = OpenApiExample(
    "A batch",
    value={
        "phone_numbers": ["(415) 555-2671", "+1 212 555 0100"],
        "note": "Customer asked by phone on 2 Dec to receive texts again",
    },
)


# --- POST /api/v1/sms/opt-out/ ----------------------------------------------------------------
class OptOutResultSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="The number as sent.")
    phone_number = serializers.CharField(help_text="E.164.")
    outcome = serializers.ChoiceField(
        choices=[Outcome.OPTED_OUT, Outcome.ALREADY_OPTED_OUT],
        help_text="`opted_out`: put on the list now; `already_opted_out`: it was on the "
        "list (its source is never downgraded).",
    )
    source = serializers.ChoiceField(
        choices=Source.choices, help_text="The number's source after the call."
    )


# The answer's fields, as OptOutResultSerializer documents them. Written directly: the values are
# already the strings it would give, and building the serializer (a deep copy of its fields for
# every answer, one child per item) was a tenth of a request's web CPU.
OPT_OUT_RESULT_FIELDS = ("input", "phone_number", "outcome", "source")


def opt_out_results(items: list[dict]) -> list[dict]:
    """What OptOutResultSerializer(items, many=True).data gives, without building it."""
    return [{name: str(item[name]) for name in OPT_OUT_RESULT_FIELDS} for item in items]


class OptOutApi(APIView):
    """Opt phone numbers out of SMS (source agent, channel api, actor: the caller)."""

    permission_classes = [IsAuthenticated, CanOptOut]

    class OptOutInputSerializer(PhoneNumbersInputSerializer):
        asked_by = serializers.ChoiceField(
            choices=ASKED_BY_CHOICES,
            default=ASKED_BY_AGENT,
            help_text="Who asked: `agent` (the default: the caller's decision, source `agent`, "
            "an admin may undo it) or the contact, said to a person: `contact_call`, "
            "`contact_email`, `contact_in_person` (source `contact` through that channel, the "
            "caller recorded as who took it down; only the contact's START undoes it).",
        )

        def validate(self, data):
            asked_by = data.get("asked_by", ASKED_BY_AGENT)
            return {**super().validate(data), "asked_by": asked_by}

    class OptOutOutputSerializer(serializers.Serializer):
        results = OptOutResultSerializer(many=True)

    @extend_schema(
        operation_id="sms_opt_out",
        summary="Opt phone numbers out of SMS messaging",
        description=(
            "Puts each number on the opt-out list with source `agent` (channel `api`, actor the "
            "caller), or with source `contact` when `asked_by` says the contact asked on a call, "
            "by email or in person. A number already opted out keeps a stronger source. A "
            "batch with any malformed number is refused whole (400 `invalid_phone_numbers`, "
            "each bad item by index and input) and nothing is applied."
        ),
        request=OptOutInputSerializer,
        responses={200: OptOutOutputSerializer, **api_errors(400, 413, 415)},
        examples=[_EXAMPLE_BODY],
        tags=["sms consent"],
    )
    def post(self, request):
        serializer = self.OptOutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = phones_opt_out_as_asked(
            numbers=data["numbers"],
            user=request.user,
            asked_by=data["asked_by"],
            channel=Channel.API,
            note=data["note"],
            details=_api_details(request),
        )
        items = _per_input(data["inputs"], data["numbers"], results)
        return Response({"results": opt_out_results(items)})


# --- POST /api/v1/sms/opt-in/ -----------------------------------------------------------------
class OptInResultSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="The number as sent.")
    phone_number = serializers.CharField(help_text="E.164.")
    outcome = serializers.ChoiceField(
        choices=[Outcome.OPTED_IN, Outcome.NOT_OPTED_OUT, Outcome.REFUSED],
        help_text="`opted_in`: taken off the list; `not_opted_out`: it was not on the list; "
        "`refused`: the contact or the carrier opted it out, see `reason`.",
    )
    source = serializers.ChoiceField(
        choices=Source.choices,
        allow_null=True,
        help_text="The number's source after the call; null when it is opted in.",
    )
    reason = serializers.ChoiceField(
        choices=[RefusalReason.CONTACT_OPT_OUT, RefusalReason.SYSTEM_OPT_OUT],
        allow_null=True,
        help_text="Why it was refused (only with `refused`).",
    )
    detail = serializers.CharField(allow_blank=True, help_text="The refusal as a sentence.")


class OptInApi(APIView):
    """Opt phone numbers back in (admins): only agent opt-outs; STOP and carrier are refused."""

    permission_classes = [IsAuthenticated, CanOptIn]

    class OptInInputSerializer(PhoneNumbersInputSerializer):
        note = serializers.CharField(
            max_length=1000,
            help_text="Required: why the number may be texted again (kept in its history).",
            error_messages={
                "required": "Give the reason for the opt-in in `note`.",
                "blank": "Give the reason for the opt-in in `note`.",
            },
        )
        evidence = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=CONSENT_EVIDENCE_MAX,
            default="",
            help_text="Optional: how the contact gave consent (a URL or a document reference); "
            "kept in the history and the evidence export.",
        )

        def validate(self, data):
            evidence = data.get("evidence", "")
            return {**super().validate(data), "evidence": evidence}

    class OptInOutputSerializer(serializers.Serializer):
        results = OptInResultSerializer(many=True)

    @extend_schema(
        operation_id="sms_opt_in",
        summary="Opt phone numbers in to SMS messaging",
        description=(
            "Admins only. Takes numbers an agent opted out off the list. A number the contact "
            "opted out (STOP) or the carrier reported is refused, and the refusal is logged; only "
            "the contact texting START opts it in. In a batch (`phone_numbers`) a refusal is a "
            "per-item outcome with a `reason` and a sentence, in a 200 answer; a request naming "
            "one number (`phone_number`) that is refused answers 409 with `code` = the reason. "
            "Malformed numbers: 400, nothing applied."
        ),
        request=OptInInputSerializer,
        responses={
            200: OptInOutputSerializer,
            **api_errors(400, 413, 415),
            409: OpenApiResponse(
                ErrorSerializer,
                description="One number (`phone_number`) refused by the rules: `code` is the "
                "reason (`contact_opt_out`, `system_opt_out`), `detail` the sentence; the "
                "refusal is in the number's history.",
            ),
        },
        examples=[_EXAMPLE_BODY],
        tags=["sms consent"],
    )
    def post(self, request):
        serializer = self.OptInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = phones_opt_in_by_admin(
            numbers=data["numbers"],
            user=request.user,
            channel=Channel.API,
            note=data["note"],
            evidence=data["evidence"],
            details=_api_details(request),
        )
        if data["single"] and results[0].outcome == Outcome.REFUSED:
            # Answered, not raised: the refusal's audit event is already written and must stay
            # even if requests ever run in one transaction (an exception would roll it back).
            refused = results[0]
            return Response({"code": refused.reason, "detail": refused.detail}, status=409)
        items = _per_input(data["inputs"], data["numbers"], results)
        return Response(self.OptInOutputSerializer({"results": items}).data)


# --- GET /api/v1/sms/phone-numbers/<number>/ --------------------------------------------------
REASON_HELP = (
    "For a `system` opt-out, what the carrier reported: `unreachable`, `unknown` or `landline`; "
    "null for a carrier-side STOP (error 21610) and for every other source."
)


class ConsentEventOutputSerializer(FieldAccessMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=EventAction.choices)
    source = serializers.SerializerMethodField()
    previous_source = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    actor = serializers.SerializerMethodField(
        help_text="Username of who asked, as it was then (kept if the user is renamed or "
        "deleted); null for the contact and the carrier."
    )
    lead = serializers.IntegerField(
        source="lead_id",
        allow_null=True,
        help_text="Id of the lead the request came from; the lead may since have been deleted.",
    )
    created_at = serializers.DateTimeField()
    details = serializers.DictField(help_text="Note, keyword text, provider error, API client.")

    @extend_schema_field(serializers.ChoiceField(choices=Source.choices, allow_null=True))
    def get_source(self, event):
        return event.source or None

    @extend_schema_field(serializers.ChoiceField(choices=Source.choices, allow_null=True))
    def get_previous_source(self, event):
        return event.previous_source or None

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event) -> str | None:
        # The username at the time of the event, kept when the user is renamed or deleted.
        return event.actor_label or None


class PhoneNumberApi(APIView):
    """Where one number stands, and how it got there."""

    permission_classes = [IsAuthenticated, CanOptOut]

    class PhoneNumberOutputSerializer(serializers.Serializer):
        phone_number = serializers.CharField(help_text="E.164.")
        sms_opted_out = serializers.BooleanField()
        source = serializers.ChoiceField(choices=Source.choices, allow_null=True)
        reason = serializers.ChoiceField(
            choices=CarrierReason.choices, allow_null=True, help_text=REASON_HELP
        )
        opted_out_at = serializers.DateTimeField(allow_null=True)
        can_opt_in = serializers.BooleanField(
            help_text="Whether an admin could opt it in now (agent opt-outs only)."
        )
        autodialed_calls_allowed = serializers.BooleanField(
            help_text="Revoke-all: false when the contact revoked consent (in any channel) or a "
            "possible revocation waits for review; an agent's or the carrier's opt-out leaves "
            "calls allowed."
        )
        calls_reason = serializers.ChoiceField(
            choices=CALL_REASON_CHOICES,
            allow_null=True,
            help_text="Why calls are not allowed; null when they are.",
        )
        history = ConsentEventOutputSerializer(
            many=True, help_text=f"Newest first, at most {HISTORY_LIMIT} events."
        )

    @extend_schema(
        operation_id="sms_phone_number_retrieve",
        summary="Look up a phone number",
        description=(
            "Opted out or not, the source and since when, whether an admin could opt it in, and "
            "its consent history. The number may be in any form (`+14155552671`, "
            "`4155552671`, `(415)%20555-2671`)."
        ),
        parameters=[
            OpenApiParameter(
                "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Any form."
            )
        ],
        responses={200: PhoneNumberOutputSerializer, **api_errors(400)},
        tags=["sms consent"],
    )
    def get(self, request, number: str):
        status = phone_status(number=number)
        calls = phones_call_consent(numbers=[status.phone_number])[status.phone_number]
        history = list(phone_history(numbers=[status.phone_number])[:HISTORY_LIMIT])
        data = {
            "phone_number": status.phone_number,
            "sms_opted_out": status.sms_opted_out,
            "source": status.source,
            "reason": (status.optout.reason or None) if status.optout else None,
            "opted_out_at": status.opted_out_at,
            "can_opt_in": status.can_opt_in,
            "autodialed_calls_allowed": calls.autodialed_calls_allowed,
            "calls_reason": calls.reason or None,
            "history": history,
        }
        return Response(self.PhoneNumberOutputSerializer(data, context={"request": request}).data)


# --- GET /api/v1/sms/opt-outs/ ----------------------------------------------------------------
class OptOutListApi(generics.ListAPIView):
    """The opt-out list for admins, filtered by the report's FilterSet (optouts.filters)."""

    permission_classes = [IsAuthenticated, IsAdminForOptOutReport]
    pagination_class = NewestFirstCursorPagination
    filter_backends: list = []  # filtering happens in the selector, as in the report page

    class OptOutListOutputSerializer(serializers.Serializer):
        phone_number = serializers.CharField()
        source = serializers.ChoiceField(choices=Source.choices)
        reason = serializers.SerializerMethodField(help_text=REASON_HELP)
        channel = serializers.ChoiceField(choices=Channel.choices)
        opted_out_at = serializers.DateTimeField()
        actor = serializers.SerializerMethodField()
        lead = serializers.IntegerField(source="lead_id", allow_null=True)
        note = serializers.CharField(allow_blank=True)
        can_opt_in = serializers.SerializerMethodField()

        @extend_schema_field(OpenApiTypes.STR)
        def get_actor(self, row) -> str | None:
            return row.actor_label or None

        @extend_schema_field(
            serializers.ChoiceField(choices=CarrierReason.choices, allow_null=True)
        )
        def get_reason(self, row) -> str | None:
            return row.reason or None

        def get_can_opt_in(self, row) -> bool:
            return admin_may_opt_in(source=row.source)

    serializer_class = OptOutListOutputSerializer

    def get_queryset(self):
        return optout_list(filters=self.request.query_params)

    @extend_schema(
        operation_id="sms_opt_outs_list",
        summary="List the opt-out list",
        description="Admins only. Newest first, cursor-paginated (`next`/`previous` links).",
        parameters=[
            OpenApiParameter(
                "source",
                OpenApiTypes.STR,
                enum=Source.values,
                many=True,
                explode=True,
                description="Repeat for several sources.",
            ),
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, description="opted_out_at >= since (ISO 8601)."
            ),
            OpenApiParameter(
                "until", OpenApiTypes.DATETIME, description="opted_out_at < until (ISO 8601)."
            ),
            OpenApiParameter(
                "phone_prefix",
                OpenApiTypes.STR,
                description="The first digits of the number, at least 3 (`415`, `+44 20`).",
            ),
        ],
        responses={200: OptOutListOutputSerializer(many=True), **api_errors(400, 404)},
        tags=["sms consent"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
