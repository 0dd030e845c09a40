import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "velocify_sms.settings")
application = get_asgi_application()
