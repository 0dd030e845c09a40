from django.urls import path

from optouts.apis import OptInApi, OptOutApi, OptOutListApi, PhoneNumberApi
from optouts.apis_calls import CallConsentApi

# Mounted at /api/v1/sms/.
urlpatterns = [
    path("opt-out/", OptOutApi.as_view(), name="api-sms-opt-out"),
    path("opt-in/", OptInApi.as_view(), name="api-sms-opt-in"),
    path("phone-numbers/<str:number>/", PhoneNumberApi.as_view(), name="api-sms-phone-number"),
    path("opt-outs/", OptOutListApi.as_view(), name="api-sms-opt-outs"),
    path("call-consent/", CallConsentApi.as_view(), name="api-sms-call-consent"),
]
