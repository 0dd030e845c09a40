from django.apps import AppConfig


class OptoutsConfig(AppConfig):
    name = "optouts"
    verbose_name = "SMS opt-outs"
    default_auto_field = "django.db.models.BigAutoField"
