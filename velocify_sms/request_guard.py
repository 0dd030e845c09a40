"""Turn away addresses that carry a NUL character, for every page and endpoint, with a 400.

PostgreSQL refuses NUL in any text value, so a `\\x00` in a query string that reaches a query
unchecked (an admin list filter: `?status=%00`) raised ValueError, a 500. Forms and DRF fields
already refuse NUL one by one; no link, form or client of ours ever sends one, so the request
is refused whole before any view runs: JSON `{"code", "detail"}` under /api/, a plain 400 page
elsewhere.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

DETAIL = "The address contains a NUL character (%00), which no field accepts."


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class NulInAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "detail": DETAIL}, status=400)
            return HttpResponseBadRequest(DETAIL, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
