"""POST /api/v1/sms/call-consent/: the dialer's question, many numbers at once (revoke-all).

A lender's dialer asks before each campaign (and before each call, if it can) whether it may
place autodialed or prerecorded calls to each number; optouts.call_consent answers. Agents and
admins may ask, as they may look a number up.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from optouts.apis import MAX_BATCH, RawPhoneNumberField
from optouts.call_consent import CALL_REASON_CHOICES, phones_call_consent
from optouts.permissions import CanOptOut
from optouts.selectors import phones_opted_out
from velocify_sms.api_errors import api_errors, phone_batch_error
from velocify_sms.phones import phone_normalize_many


class CallConsentResultSerializer(serializers.Serializer):
    input = serializers.CharField(help_text="The number as sent.")
    phone_number = serializers.CharField(help_text="E.164.")
    autodialed_calls_allowed = serializers.BooleanField()
    sms_opted_out = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=CALL_REASON_CHOICES,
        allow_null=True,
        help_text="Why calls are not allowed; null when they are.",
    )
    detail = serializers.CharField(help_text="The reason in a sentence; empty when allowed.")


class CallConsentApi(APIView):
    """May the business place autodialed or prerecorded calls to these numbers?"""

    permission_classes = [IsAuthenticated, CanOptOut]

    class CallConsentInputSerializer(serializers.Serializer):
        phone_numbers = serializers.ListField(
            child=RawPhoneNumberField(),
            min_length=1,
            max_length=MAX_BATCH,
            help_text=f"Up to {MAX_BATCH:,} numbers, in any form; a malformed one refuses all.",
        )

    class CallConsentOutputSerializer(serializers.Serializer):
        results = CallConsentResultSerializer(many=True)

    @extend_schema(
        operation_id="calls_consent",
        summary="Ask whether autodialed or prerecorded calls are allowed (revoke-all)",
        description=(
            "For each number: `autodialed_calls_allowed` is false when the contact revoked "
            "consent (a STOP, a revocation in words, or a request staff took down on a call, by "
            "email or in person) or a possible revocation waits for review; an agent's or the "
            "carrier's opt-out (SMS facts) leaves calls allowed. With "
            "CONSENT_REVOCATION_SCOPE=sms every number answers true. Answers are in input order."
        ),
        request=CallConsentInputSerializer,
        responses={200: CallConsentOutputSerializer, **api_errors(400, 413, 415)},
        examples=[
            OpenApiExample("A batch", value={"phone_numbers": ["(415) 555-2671", "+12125550100"]})
        ],
        tags=["sms consent"],
    )
    def post(self, request):
        serializer = self.CallConsentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inputs = serializer.validated_data["phone_numbers"]
        numbers, errors = phone_normalize_many(inputs)
        if errors:
            raise phone_batch_error(field="phone_numbers", errors=errors, total=len(inputs))
        calls = phones_call_consent(numbers=numbers)
        listed = phones_opted_out(numbers=numbers)
        results = [
            {
                "input": str(raw),
                "phone_number": number,
                "autodialed_calls_allowed": calls[number].autodialed_calls_allowed,
                "sms_opted_out": number in listed,
                "reason": calls[number].reason or None,
                "detail": calls[number].detail,
            }
            for raw, number in zip(inputs, numbers, strict=True)
        ]
        return Response(self.CallConsentOutputSerializer({"results": results}).data)
