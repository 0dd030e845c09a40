from django.urls import path

from optouts.messaging import webhooks

urlpatterns = [
    path("inbound/", webhooks.inbound_webhook, name="sms-webhook-inbound"),
    path("status/", webhooks.status_webhook, name="sms-webhook-status"),
]
