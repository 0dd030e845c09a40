from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    """The long-running processes beside the web: task worker, scheduler, supervisor."""

    name = "velocify_sms.processes"
    label = "processes"
    verbose_name = "Background processes"
    default_auto_field = "django.db.models.BigAutoField"
