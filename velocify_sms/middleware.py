"""Production-shape middleware: a clean 503 when the database is away, and login throttling."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

logger = logging.getLogger(__name__)

# Paths whose callers are programs: they get JSON and a Retry-After instead of an HTML 500.
JSON_PREFIXES = ("/api/", "/webhooks/")
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (not that a query was wrong)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    # psycopg wraps a dropped connection in a DatabaseError subclass on some paths.
    return isinstance(exc, DatabaseError) and "connection" in str(exc).lower()


def service_unavailable(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(
        {
            "code": "service_unavailable",
            "detail": "The database is unreachable for a moment; nothing was changed. "
            "Retry the request.",
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def service_unavailable_page(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        format_html(
            "<!doctype html><title>{}</title><h1>{}</h1><p>{}</p>",
            "Service unavailable",
            "Service unavailable",
            "The database is unreachable for a moment; nothing was changed. "
            "Reload the page in a few seconds.",
        ),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turn a database outage inside a view into a 503 with Retry-After, not a 500.

    API and webhook callers get JSON `{"code": "service_unavailable", ...}`; pages get a short
    HTML 503. Every write is one transaction, so a request that fails here changed nothing and
    the caller may simply retry (the SMS provider retries webhooks on a 5xx by itself). Any
    other error keeps Django's usual 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_database_outage(exception):
            return None
        logger.warning(
            "database unavailable during %s %s: %s", request.method, request.path, exception
        )
        if request.path.startswith(JSON_PREFIXES):
            return service_unavailable(request)
        return service_unavailable_page(request)


def _login_path() -> str | None:
    try:
        return reverse("admin:login")
    except NoReverseMatch:  # a URLconf without the admin (some tests)
        return None


def _key(*parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


class LoginThrottleMiddleware:
    """Slow down password guessing on the admin login form.

    Failed logins are counted in the shared cache (so every web process sees them) per
    username+IP and per IP. Once a count reaches its limit, further login POSTs from that pair
    (or IP) are refused with 429 without checking the password, until LOGIN_LOCKOUT_SECONDS
    after the first counted failure. A successful login clears the username+IP count.
    A failure is the login view answering 200 to a POST (the form shown again with its error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != _login_path():
            return self.get_response(request)
        username = (request.POST.get("username") or "").strip().lower()
        ip = request.META.get("REMOTE_ADDR", "")
        pair_key, ip_key = _key("pair", username, ip), _key("ip", ip)
        if (
            cache.get(pair_key, 0) >= settings.LOGIN_FAILURE_LIMIT
            or cache.get(ip_key, 0) >= settings.LOGIN_FAILURE_IP_LIMIT
        ):
            logger.warning("login throttled for username=%r ip=%s", username, ip)
            return self._throttled(request)
        response = self.get_response(request)
        if response.status_code == 200:
            for key in (pair_key, ip_key):
                # add() starts the window only on the first failure; incr() is atomic in Redis.
                cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        elif response.status_code in (301, 302, 303):
            cache.delete(pair_key)
        return response

    def _throttled(self, request: HttpRequest) -> HttpResponse:
        minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
        response = TemplateResponse(
            request,
            "velocify_sms/login_throttled.html",
            {
                **admin.site.each_context(request),
                "minutes": minutes,
                "title": "Too many failed logins",
            },
            status=429,
        )
        response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
        return response.render()


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 for a database outage (JSON on API paths), else the 500 page (JSON on
    API paths) of velocify_sms.error_pages."""
    import sys

    # Imported here: error_pages imports this module's JSON_PREFIXES.
    from velocify_sms.error_pages import server_error_page

    exc = sys.exc_info()[1]
    if exc is not None and is_database_outage(exc):
        if request.path.startswith(JSON_PREFIXES):
            return service_unavailable(request)
        return service_unavailable_page(request)
    return server_error_page(request)
