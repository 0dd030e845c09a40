from django.contrib.auth.decorators import login_required
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from velocify_sms.api_errors import api_not_found

# Mounted at /api/, after every API module, so its catch-all only sees unknown addresses.
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (no inline <script>, CSP-friendly),
    # and the Swagger UI assets come from drf-spectacular-sidecar's static files, not a CDN.
    # People reach it through the admin login; programs read /api/schema/ with their token.
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    re_path(r"^(?P<path>.*)$", api_not_found, name="api-not-found"),
]
