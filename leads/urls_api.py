from django.urls import path

from leads.apis import LeadDetailApi, LeadListCreateApi

# Mounted at /api/v1/.
urlpatterns = [
    path("leads/", LeadListCreateApi.as_view(), name="api-leads"),
    path("leads/<int:lead_id>/", LeadDetailApi.as_view(), name="api-lead"),
]
