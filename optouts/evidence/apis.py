"""GET /api/v1/sms/phone-numbers/<number>/evidence/: the evidence bundle of one number (admins).

`?format=json` (default), `csv` or `html` (a printable page). The view parses, calls the
selector once and renders; errors are JSON like every other API error whatever the format asked,
because the format is this view's own parameter, not DRF's content negotiation.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from optouts.evidence.bundle import phone_evidence
from optouts.evidence.render import evidence_csv_response, evidence_html_response
from optouts.permissions import IsAdminForEvidence
from velocify_sms.api_errors import ApiError, api_errors

FORMATS = ("json", "csv", "html")


class JsonFirst(BaseContentNegotiation):
    """Always the view's first renderer (JSON): `?format=` is read by the view itself."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class PhoneEvidenceApi(APIView):
    """The self-contained evidence bundle of one number, for counsel."""

    permission_classes = [IsAuthenticated, IsAdminForEvidence]
    content_negotiation_class = JsonFirst

    @extend_schema(
        operation_id="sms_phone_number_evidence",
        summary="Export the consent evidence of a phone number",
        description=(
            "Admins only. Every consent event of the number, oldest first, with its canonical "
            "form and evidence-chain hash, UTC and recipient-local times, actor, channel, lead, "
            "the SMS that caused it, the opt-in reason and consent evidence; the number's list "
            "row and leads now; and `verification` (`ok`, or `broken` with the first event id "
            "whose hash no longer matches). `format=csv` gives the same as CSV, `format=html` a "
            "printable self-contained page. docs/compliance.md says how to verify the chain "
            "without this app."
        ),
        parameters=[
            OpenApiParameter(
                "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Any form."
            ),
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                enum=list(FORMATS),
                description="`json` (default), `csv` or `html`.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The bundle (docs/api.md lists its fields)."
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="A header block, then one row per event."
            ),
            (200, "text/html"): OpenApiResponse(
                OpenApiTypes.STR, description="A printable page, no external assets."
            ),
            **api_errors(400),
        },
        tags=["sms consent"],
    )
    def get(self, request, number: str):
        wanted = request.query_params.get("format", "json") or "json"
        if wanted not in FORMATS:
            raise ApiError(
                code="invalid_format",
                detail=f"`format` must be one of {', '.join(FORMATS)}; got {wanted[:20]!r}.",
                errors={"format": [f"Choose one of {', '.join(FORMATS)}."]},
            )
        bundle = phone_evidence(number=number, generated_by=request.user.get_username())
        if wanted == "csv":
            return evidence_csv_response(bundle=bundle)
        if wanted == "html":
            # str() generates the nonce (django-csp's lazy object is falsy until then), and the
            # middleware then puts it in this response's policy header.
            nonce = getattr(request._request, "csp_nonce", None)
            nonce = str(nonce) if nonce is not None else ""
            return evidence_html_response(bundle=bundle, csp_nonce=nonce)
        return Response(bundle)
