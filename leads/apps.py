from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # optouts sits below leads and never imports it: it asks this directory instead.
        from leads.directory import LeadsDirectory
        from optouts.lead_directory import lead_directory_set

        lead_directory_set(LeadsDirectory())
