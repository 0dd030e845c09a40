"""URL map. Each feature owns its own url module; this file only mounts them."""

from django.contrib import admin
from django.urls import include, path

from velocify_sms import health

urlpatterns = [
    path("admin/", admin.site.urls),
    # REST API (DESIGN.md section 4)
    path("api/v1/sms/", include("optouts.urls_api")),
    path("api/v1/sms/", include("optouts.messaging.urls_api")),
    path("api/v1/sms/", include("optouts.evidence.urls_api")),
    path("api/v1/leads/", include("leads.imports.urls_api")),
    path("api/v1/", include("leads.urls_api")),
    path("api/v1/", include("optouts.urls_account")),
    path("api/", include("velocify_sms.urls_schema")),
    # Provider webhooks
    path("webhooks/sms/", include("optouts.messaging.urls_webhooks")),
    # Probes (issue 8)
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# An uncaught database outage outside a view (e.g. in a middleware) on /api/ or /webhooks/ still
# answers 503 JSON; everything else gets Django's 500 page.
handler500 = "velocify_sms.middleware.server_error"
