"""velocify_sms/urls.py without the leads app's URLs (tests/settings_without_leads.py)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from velocify_sms import health

urlpatterns = [
    # The admin is the application: the bare address opens it (docs/decisions.md). Temporary,
    # so browsers do not remember it if the root ever serves a page of its own.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    # REST API (docs/api.md)
    path("api/v1/sms/", include("optouts.urls_api")),
    path("api/v1/sms/", include("optouts.messaging.urls_api")),
    path("api/v1/sms/", include("optouts.evidence.urls_api")),
    path("api/v1/", include("optouts.urls_account")),
    path("api/", include("velocify_sms.urls_schema")),
    # Provider webhooks
    path("webhooks/sms/", include("optouts.messaging.urls_webhooks")),
    # Probes
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Error pages in the admin's look for people, JSON {"code", "detail"} under /api/ and /webhooks/
# (velocify_sms/error_pages.py). An uncaught database outage outside a view (e.g. in a
# middleware) still answers 503 (JSON for programs); any other uncaught error gets the 500 page.
handler400 = "velocify_sms.error_pages.bad_request"
handler403 = "velocify_sms.error_pages.permission_denied"
handler404 = "velocify_sms.error_pages.page_not_found"
handler500 = "velocify_sms.middleware.server_error"
