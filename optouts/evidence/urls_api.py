from django.urls import path

from optouts.evidence.apis import PhoneEvidenceApi

# Mounted at /api/v1/sms/ beside optouts.urls_api (whose layer may not import this package).
urlpatterns = [
    path(
        "phone-numbers/<str:number>/evidence/",
        PhoneEvidenceApi.as_view(),
        name="api-sms-phone-number-evidence",
    ),
]
