"""What every API endpoint shares: the one error format, pagination, throttling, schema helpers.

Every error leaves the API as JSON `{"code": "...", "detail": "..."}` with a stable machine code and
a sentence; validation errors add `"errors"` ({field: [messages]} or, for batches of phone numbers,
{field: [{"index", "input", "detail"}]}). `api_exception_handler` is registered in settings
(REST_FRAMEWORK["EXCEPTION_HANDLER"]), so every DRF view of every app uses it; views and
serializers raise `ApiError` for their own codes (e.g. 409 `recipient_opted_out`).
"""

from __future__ import annotations

import logging
from datetime import UTC

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings

from velocify_sms.errors import InputError
from velocify_sms.phones import InvalidPhoneNumber

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An error with our own code, status and optional per-field `errors`."""

    def __init__(
        self,
        *,
        code: str,
        detail: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        errors: dict | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status_code
        self.code = code
        self.errors = errors
        self.headers = headers or {}


def phone_batch_error(*, field: str, errors: list[dict], total: int) -> ApiError:
    """The 400 for a batch with malformed numbers: each bad item by index and input."""
    return ApiError(
        code="invalid_phone_numbers",
        detail=(
            f"{len(errors)} of {total} phone numbers could not be read; "
            "nothing was applied. Fix them and send the whole batch again."
        ),
        errors={field: errors},
    )


def _stringify(value):
    """DRF ErrorDetail trees -> plain JSON (str, list, dict)."""
    if isinstance(value, dict):
        return {str(key): _stringify(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_stringify(item) for item in value]
    return str(value)


def _validation_payload(errors) -> dict:
    if isinstance(errors, list):
        errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
    errors = _stringify(errors)
    fields = ", ".join(errors)
    return {
        "code": "invalid",
        "detail": f"The request has invalid values in: {fields}. Nothing was changed.",
        "errors": errors,
    }


def _django_validation_errors(exc: DjangoValidationError) -> dict | list:
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return list(exc.messages)


def error_payload(exc: BaseException) -> tuple[int, dict, dict] | None:
    """(status, body, headers) for a known error, or None for an unexpected one."""
    if isinstance(exc, ApiError):
        body = {"code": exc.code, "detail": str(exc.detail)}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return exc.status_code, body, exc.headers
    if isinstance(exc, exceptions.ValidationError):
        return 400, _validation_payload(exc.detail), {}
    if isinstance(exc, DjangoValidationError):
        return 400, _validation_payload(_django_validation_errors(exc)), {}
    from leads.services import LeadPhoneError  # imported late: apps load after settings

    if isinstance(exc, LeadPhoneError):
        body = {
            "code": "invalid_phone_numbers",
            "detail": f"{len(exc.errors)} of the lead's phones could not be read; "
            "nothing was saved.",
            "errors": {"phones": exc.errors},
        }
        return 400, body, {}
    if isinstance(exc, InputError):
        body = {"code": exc.code, "detail": exc.detail}
        if exc.errors is not None:
            body["errors"] = exc.errors
        return 400, body, {}
    if isinstance(exc, InvalidPhoneNumber):
        return 400, {"code": "invalid_phone_number", "detail": str(exc)}, {}
    if isinstance(exc, RequestDataTooBig):
        return (
            413,
            {
                "code": "request_too_large",
                "detail": "The request body is larger than this server accepts; "
                "send fewer items per request.",
            },
            {},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = exc.get_codes()
        code = code if isinstance(code, str) else "error"
        return exc.status_code, {"code": code, "detail": str(exc.detail)}, headers
    return None


def api_exception_handler(exc: BaseException, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error as {"code", "detail"[, "errors"]}."""
    # DRF has already set 401 + WWW-Authenticate (TokenAuthentication is the first
    # authenticator, so there always is one) before it calls this handler.
    request = context.get("request")
    view = context.get("view")
    payload = error_payload(exc)
    if payload is None:
        if isinstance(exc, DatabaseError):
            return None  # the database-outage middleware answers 503 (or Django its 500)
        logger.exception("Unhandled error in API view %s", type(view).__name__, exc_info=exc)
        got_request_exception.send(sender=None, request=getattr(request, "_request", request))
        payload = (
            500,
            {
                "code": "server_error",
                "detail": "Something went wrong on our side; nothing was changed. "
                "Retry later or report the time of this request.",
            },
            {},
        )
    # Imported here: DRF imports this module while rest_framework.views is still loading
    # (settings name our throttle class), so a top-level import would be circular.
    from rest_framework.views import set_rollback

    status_code, body, headers = payload
    set_rollback()
    return Response(body, status=status_code, headers=headers)


def json_error_response(request, *, status_code: int, code: str, detail: str) -> JsonResponse:
    """A JSON error for code paths outside DRF views (unknown URLs under /api/)."""
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


@csrf_exempt  # it changes nothing; without this a cookie-carrying PATCH got Django's HTML 403
def api_not_found(request, path: str = ""):
    """Catch-all under /api/: an unknown address answers JSON 404, not Django's HTML page."""
    detail = f"There is no API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "api-not-found":
            detail += f" Did you mean {request.path}/ (with the trailing slash)?"
    return json_error_response(
        request,
        status_code=404,
        code="not_found",
        detail=f"{detail} See /api/docs/ for the endpoints.",
    )


# --- pagination -------------------------------------------------------------------------------
class PagePagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M` (at most 500) with the total count."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestFirstCursorPagination(pagination.CursorPagination):
    """`?cursor=...`: stable pages over a large, growing table, newest first, no COUNT."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = "-opted_out_at"

    def decode_cursor(self, request):
        """DRF's decoding, then the position checked: a cursor is the client's text, and its
        position goes into the query as the ordering field's value (a date-time here). Anything
        but a date-time Python holds is an invalid cursor (404), and it reaches the database in
        UTC: PostgreSQL refuses offsets past 15:59, SQLite's adapter overflows near years 1/9999.
        """
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        try:
            position = parse_datetime(cursor.position)
            if position is None:
                raise ValueError(cursor.position)
            if position.tzinfo is None:
                position = position.replace(tzinfo=UTC)
            position = position.astimezone(UTC)
        except (ValueError, OverflowError):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        return cursor._replace(position=position.isoformat())


# --- throttling -------------------------------------------------------------------------------
class _LiveRatesMixin:
    """Read the rate at request time, so settings overrides (tests, env) always take effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    """Per-user rate (`user`), counted in the default cache: shared by all web processes when
    CACHE_URL points at Redis. Anonymous callers are counted per IP under the same scope."""


# --- schema helpers ---------------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (schema only)."""

    code = serializers.CharField(help_text="Stable machine-readable code.")
    detail = serializers.CharField(help_text="A sentence for humans.")
    errors = serializers.DictField(
        required=False,
        help_text=(
            "Per-field errors: {field: [message]} or, for a batch of phone numbers, "
            '{field: [{"index", "input", "detail"}]}.'
        ),
    )


ERROR_DESCRIPTIONS = {
    400: "Invalid input (`invalid`, `invalid_phone_number`, `invalid_phone_numbers`, "
    "`parse_error`); nothing was changed.",
    401: "No or bad credentials (`not_authenticated`, `authentication_failed`).",
    403: "Authenticated but not allowed (`permission_denied`).",
    404: "No such object (`not_found`).",
    405: "Method not allowed (`method_not_allowed`).",
    409: "Conflict with the current state.",
    413: "Request body too large (`request_too_large`).",
    415: "Body is not JSON (`unsupported_media_type`).",
    429: "Too many requests (`throttled`); see the Retry-After header.",
}


def api_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema responses for error statuses; 401, 403 and 429 are added to every call."""
    wanted = sorted({*statuses, 401, 403, 429})
    return {
        code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in wanted
    }


def api_write_errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """api_errors plus what any request with a body can get: 400, 413, 415."""
    return api_errors(400, 413, 415, *statuses)
