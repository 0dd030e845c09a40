from django.urls import path

from optouts.messaging.apis import MessageSendApi

urlpatterns = [path("messages/", MessageSendApi.as_view(), name="api-sms-message-send")]
