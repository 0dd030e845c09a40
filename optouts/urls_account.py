from django.urls import path

from optouts.apis_account import MeApi

# Mounted at /api/v1/.
urlpatterns = [
    path("me/", MeApi.as_view(), name="api-me"),
]
