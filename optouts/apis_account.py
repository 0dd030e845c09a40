"""GET /api/v1/me/: who the credentials belong to and what they may do with consent.

Mounted at /api/v1/ by optouts/urls_account.py (the project's urls.py includes it), not under
/api/v1/sms/: it is the client's first call, whatever it then uses.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from optouts.permissions import user_can_opt_in, user_can_opt_out, user_can_view_report
from velocify_sms.api_errors import api_errors


# --- GET /api/v1/me/ --------------------------------------------------------------------------
class MeApi(APIView):
    """Who the credentials belong to and what they may do: a client's first call to test its
    token (and the benchmark's floor: authentication, throttling, no database work beyond it)."""

    class MeOutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        can_opt_out = serializers.BooleanField()
        can_opt_in = serializers.BooleanField()
        can_view_opt_out_list = serializers.BooleanField()

    @extend_schema(
        operation_id="me_retrieve",
        summary="Who am I",
        responses={200: MeOutputSerializer, **api_errors()},
        tags=["account"],
    )
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "can_opt_out": user_can_opt_out(user),
            "can_opt_in": user_can_opt_in(user),
            "can_view_opt_out_list": user_can_view_report(user),
        }
        return Response(self.MeOutputSerializer(data).data)
