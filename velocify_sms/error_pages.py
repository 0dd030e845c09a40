"""The error pages (400, 403, 404, 500, CSRF failure): the admin's look, a sentence, a way back.

People get a page with the site's header, one plain sentence of what happened and a link back to
the dashboard (or to the login page when they are not logged in). Programs keep JSON: under
`/api/` and `/webhooks/` every handler answers `{"code", "detail"}` instead. (DRF views shape
their own errors in `velocify_sms.api_errors`; these handlers cover what happens outside them,
such as an unknown webhook address or a request Django refuses before any view runs.)

Set in `velocify_sms/urls.py` (`handler400`, `handler403`, `handler404`; `handler500` is
`velocify_sms.middleware.server_error`, which answers a database outage with 503 and calls
`server_error_page` for everything else) and in settings (`CSRF_FAILURE_VIEW`).

With DEBUG on, Django shows its technical pages for 400 and 500 instead of these; a 404 keeps
this page there too (DebugNotFoundMiddleware): `make run` runs with DEBUG on, and what someone
trying the product meets at a wrong address should be the product's page, not Django's list of
URL patterns.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from velocify_sms.middleware import JSON_PREFIXES

logger = logging.getLogger(__name__)

FORBIDDEN_SENTENCE = "You do not have permission to open this page."
SERVER_ERROR_SENTENCE = (
    "Something went wrong on our side. Try again in a moment; if it keeps happening, "
    "tell your administrator what you were doing and when."
)


def _for_a_program(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _json(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _site_name() -> dict:
    """The header and tab name: settings only, no request, no query."""
    return {"site_header": admin.site.site_header, "site_title": admin.site.site_title}


def _page(request: HttpRequest, template: str, *, status: int, title: str, **extra) -> HttpResponse:
    """The error template with the admin's context (header, user tools, the nav sidebar)."""
    # Without request.user the request was refused before AuthenticationMiddleware ran
    # (CommonMiddleware's bad Host header): the page as for someone not logged in.
    site_context = admin.site.each_context(request) if hasattr(request, "user") else _site_name()
    context = {**site_context, "title": title, **extra}
    return render(request, template, context, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a SuspiciousOperation (a bad Host header, a form with too many fields)."""
    if _for_a_program(request):
        return _json(400, "bad_request", "The request could not be read; nothing was changed.")
    return _page(request, "400.html", status=400, title="Bad request")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403. Our views' PermissionDenied messages are sentences written for the user
    ("Only an admin can use the opt-out report."), so the page shows them; a bare one gets
    a general sentence."""
    sentence = str(exception) or FORBIDDEN_SENTENCE
    if _for_a_program(request):
        return _json(403, "permission_denied", sentence)
    return _page(request, "403.html", status=403, title="Permission denied", sentence=sentence)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404. Unknown addresses under /api/ are answered by its catch-all view first."""
    if _for_a_program(request):
        return _json(404, "not_found", f"There is nothing at {request.path}.")
    return _page(request, "404.html", status=404, title="Page not found", request_path=request.path)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. Django logs the reason (logger django.security.csrf); the page says
    what the user can do about it. Same code as DRF's session CSRF refusal on the API."""
    if _for_a_program(request):
        return _json(
            403,
            "permission_denied",
            "CSRF check failed: send the CSRF token with a session-authenticated write, "
            "or authenticate with a token.",
        )
    return _page(request, "403_csrf.html", status=403, title="Form expired")


def server_error_page(request: HttpRequest) -> HttpResponse:
    """The 500 answer for anything but a database outage (see middleware.server_error).

    Rendered without the request: no context processor, no user, no session, no query, so it
    renders whatever failed (tests/velocify_sms/test_error_pages.py runs it with the database
    closed). The site name comes from settings alone.
    """
    if _for_a_program(request):
        return _json(
            500,
            "server_error",
            "Something went wrong on our side; retry later or report the time of this request.",
        )
    context = {**_site_name(), "title": "Server error", "sentence": SERVER_ERROR_SENTENCE}
    try:
        body = loader.get_template("500.html").render(context)
    except Exception:
        # The last answer the request gets: a broken template (or a missing static file in the
        # manifest) must not turn it into the web server's bare 500 and hide the first error.
        logger.exception("the 500 page could not be rendered")
        body = format_html(
            "<!doctype html><title>{}</title><h1>{}</h1><p>{}</p>",
            "Server error",
            "Server error",
            SERVER_ERROR_SENTENCE,
        )
    return HttpResponse(body, status=500)


class DebugNotFoundMiddleware:
    """With DEBUG on, answer a 404 with page_not_found, as without it. Django's own 404 handling
    shows its technical page whenever DEBUG is on, for an address no pattern matches (resolved
    before any view, so it is resolved here first) and for a view's Http404. Last in MIDDLEWARE:
    the user is known by then (the page's way back), and CommonMiddleware still redirects
    `/admin` to `/admin/` from the 404 it gets back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
