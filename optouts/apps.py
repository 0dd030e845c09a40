from importlib import import_module

from django.apps import AppConfig


class OptoutsConfig(AppConfig):
    name = "optouts"
    verbose_name = "SMS opt-outs"
    default_auto_field = "django.db.models.BigAutoField"

    def import_models(self) -> None:
        """The consent core's models, then the SMS channel's, both under the app label optouts.

        Django imports only `optouts.models`; the channel builds on the core and the core never
        imports it, so this wiring module registers the channel's models (same label, same
        tables, permissions and admin URLs as ever; docs/decisions.md).
        """
        super().import_models()
        import_module("optouts.messaging.models")

    def ready(self) -> None:
        from optouts.evidence import checks as evidence_checks  # noqa: F401 (registers them)
        from optouts.evidence.bundle import message_log_set
        from optouts.messaging import checks as messaging_checks  # noqa: F401 (registers them)
        from optouts.messaging.evidence_messages import EvidenceMessageLog
        from optouts.messaging.roles import MESSAGING_GRANTS
        from optouts.roles import grants_register

        grants_register(MESSAGING_GRANTS)
        # The evidence bundle sits below the SMS channel: it is handed the message log.
        message_log_set(EvidenceMessageLog())

        # Revoke-all asks the SMS channel which numbers have a revocation waiting for review;
        # the deploy checks come with the app.
        from optouts import checks  # noqa: F401
        from optouts.call_consent import revocation_pending_lookup_register
        from optouts.messaging.selectors import phones_revocation_pending

        revocation_pending_lookup_register(phones_revocation_pending)
