from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # optouts sits below leads and never imports it: it asks this directory instead.
        from leads.directory import LeadsDirectory
        from leads.imports.roles import IMPORT_GRANTS
        from optouts.lead_directory import lead_directory_set
        from optouts.roles import grants_register

        lead_directory_set(LeadsDirectory())
        grants_register(IMPORT_GRANTS)
