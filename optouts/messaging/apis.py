"""POST /api/v1/sms/messages/: send an SMS (docs/api.md).

201 with the recorded message (status `queued` when a worker sends it, `sent` when sent at once,
`held` with `held_until` when it is outside the recipient's allowed hours and will go then);
409 with the reason code when it may not be sent, the attempt recorded: `recipient_opted_out` (the
number is on the opt-out list), `frequency_cap` (the 24-hour cap for the number is reached),
`quiet_hours` (outside allowed hours, when SMS_QUIET_HOURS_ACTION=refuse);
502 `provider_error` when the provider refused the message (recorded as failed).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from optouts.lead_directory import LEAD_ID_MAX, lead_exists
from optouts.messaging.models import MessageStatus, OutboundMessage
from optouts.messaging.services import (
    MAX_BODY_LENGTH,
    MessageInvalid,
    SendRefused,
    message_send,
)
from optouts.permissions import CanSendSms
from velocify_sms.api_errors import ApiError
from velocify_sms.phones import InvalidPhoneNumber


class ProviderRefusedError(APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "provider_error"
    default_detail = "The SMS provider refused the message."


class MessageSendInputSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=40, help_text="The recipient, in any written form.")
    body = serializers.CharField(max_length=MAX_BODY_LENGTH)
    lead = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=LEAD_ID_MAX,
        help_text="The id of the lead the message is about, if any.",
    )

    def validate_lead(self, lead_id: int | None) -> int | None:
        if lead_id is not None and not lead_exists(lead_id):
            raise serializers.ValidationError(f"There is no lead with id {lead_id}.")
        return lead_id


class MessageOutputSerializer(serializers.ModelSerializer):
    to = serializers.CharField(source="to_number")
    lead = serializers.IntegerField(source="lead_id", allow_null=True)

    class Meta:
        model = OutboundMessage
        fields = [
            "id",
            "to",
            "body",
            "lead",
            "status",
            "provider_id",
            "error_code",
            "reason_code",
            "reason",
            "held_until",
            "created_at",
            "sent_at",
        ]


class MessageSendApi(APIView):
    permission_classes = [CanSendSms]

    @extend_schema(
        request=MessageSendInputSerializer,
        responses={
            201: MessageOutputSerializer,
            400: OpenApiResponse(description="Invalid `to`, `body` or `lead`."),
            409: OpenApiResponse(
                description="Not sent, the attempt recorded; `code` says why: "
                "`recipient_opted_out` (the number is on the opt-out list), `frequency_cap` "
                "(24-hour cap for the number reached), `quiet_hours` (outside the recipient's "
                "allowed hours and SMS_QUIET_HOURS_ACTION=refuse)."
            ),
            502: OpenApiResponse(description="`provider_error`: the provider refused it."),
        },
        summary="Send an SMS (never to an opted-out number, never outside allowed hours)",
    )
    def post(self, request):
        serializer = MessageSendInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            message = message_send(
                to=data["to"], body=data["body"], lead_id=data.get("lead"), sender=request.user
            )
        except InvalidPhoneNumber as exc:
            raise serializers.ValidationError({"to": [str(exc)]}) from exc
        except MessageInvalid as exc:
            raise serializers.ValidationError({"body": [str(exc)]}) from exc
        except SendRefused as exc:
            raise ApiError(
                code=exc.code, detail=exc.message.reason, status_code=status.HTTP_409_CONFLICT
            ) from exc
        if message.status == MessageStatus.FAILED:
            raise ProviderRefusedError(
                f"The SMS provider refused message {message.pk}: {message.reason}"
                + (f" (error {message.error_code})." if message.error_code else ".")
            )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
