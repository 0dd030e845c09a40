from django.urls import path

from leads.imports.apis import ImportJobCreateApi, ImportJobDetailApi

urlpatterns = [
    path("imports/", ImportJobCreateApi.as_view(), name="api-lead-import-create"),
    path("imports/<int:job_id>/", ImportJobDetailApi.as_view(), name="api-lead-import-detail"),
]
