from django.apps import AppConfig


class OptoutsConfig(AppConfig):
    name = "optouts"
    verbose_name = "SMS opt-outs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from optouts.messaging.roles import HOLD_GRANTS, MESSAGING_GRANTS
        from optouts.roles import grants_register

        grants_register(MESSAGING_GRANTS)
        grants_register(HOLD_GRANTS)
