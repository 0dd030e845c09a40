from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "preferences"
    verbose_name = "My preferences"
    default_auto_field = "django.db.models.BigAutoField"
