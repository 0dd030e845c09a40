from importlib import import_module

from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self) -> None:
        """The lead core's models, then the lead import's, both under the app label leads (the
        core never imports the import: optouts.apps.OptoutsConfig.import_models does the same)."""
        super().import_models()
        import_module("leads.imports.models")

    def ready(self) -> None:
        # optouts sits below leads and never imports it: it asks this directory instead.
        from leads.directory import LeadsDirectory
        from leads.roles import LEAD_GRANTS
        from optouts.lead_directory import lead_directory_set
        from optouts.roles import grants_register

        lead_directory_set(LeadsDirectory())
        # The leads app grants its own permissions; the consent core's table names none of them.
        grants_register(LEAD_GRANTS)
