"""Production-shape middleware: a clean 503 when the database is away, and login throttling."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html

from velocify_sms.throttling import cache_key, client_address, counter_increment

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
    return _login_path_under(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=16)
def _login_path_under(urlconf, prefix: str) -> str | None:
    """The admin login page's path for a URLconf and script prefix (what reverse() reads from
    the request's thread), worked out once per process: every POST asks, the API's included."""
    try:
        return reverse("admin:login", urlconf=urlconf)
    except NoReverseMatch:  # a URLconf without the admin (some tests)
        return None


def _account_key(typed_name: str) -> tuple[str, str]:
    """The counter of the account a typed name logs in to, and a label for the log.

    Read the way Django's login reads it: the form strips the name and NFKC-normalises it (so
    "ａｌｉｃｅ" is "alice") and ModelBackend looks it up with get_by_natural_key. Doing the same
    here keys every spelling of one account on that account's pk. A name with no account is
    keyed on its normalised form.
    """
    user_model = get_user_model()
    name = user_model.normalize_username(typed_name.strip())
    if "\x00" in name:  # the form refuses it; PostgreSQL would raise on it
        return cache_key("login-failures:name", name), "an unknown name"
    try:
        user = user_model._default_manager.get_by_natural_key(name)
    except user_model.DoesNotExist:
        return cache_key("login-failures:name", name), "an unknown name"
    return cache_key("login-failures:user", str(user.pk)), f"user id {user.pk}"


class LoginThrottleMiddleware:
    """Slow down password guessing on the admin login form.

    Failed logins are counted in the shared cache (Redis when CACHE_URL is set, so every web
    process sees them) per account, whatever spelling or address was used, and per client
    address. Once the account's count reaches LOGIN_FAILURE_LIMIT, or the address's
    LOGIN_FAILURE_IP_LIMIT, further login POSTs for that account (from any address), or from
    that address, are refused with 429 without checking the password, until
    LOGIN_LOCKOUT_SECONDS after the first counted failure. A successful login clears the
    account's count. A failure is the login view answering 200 to a POST (the form shown again
    with its error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != _login_path():
            return self.get_response(request)
        account_key, account = _account_key(request.POST.get("username") or "")
        address = client_address(request)
        address_key = cache_key("login-failures:address", address)
        if (
            cache.get(account_key, 0) >= settings.LOGIN_FAILURE_LIMIT
            or cache.get(address_key, 0) >= settings.LOGIN_FAILURE_IP_LIMIT
        ):
            logger.warning("login throttled for %s from %s", account, address)
            return self._throttled(request)
        response = self.get_response(request)
        if response.status_code == 200:
            for key in (account_key, address_key):
                counter_increment(key, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        elif response.status_code in (301, 302, 303):
            cache.delete(account_key)
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
