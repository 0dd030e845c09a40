from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "apitokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What a cached token may do (apitokens.authentication) is looked up again after any
        # change to tokens, users, groups or permissions.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from apitokens.authentication import api_auth_cache_invalidate
        from apitokens.models import ApiToken

        user_model = get_user_model()
        for model in (ApiToken, user_model, Group, Permission):
            for signal in (post_save, post_delete):
                signal.connect(api_auth_cache_invalidate, sender=model, weak=False)
        for through in (
            user_model.groups.through,
            user_model.user_permissions.through,
            Group.permissions.through,
        ):
            m2m_changed.connect(api_auth_cache_invalidate, sender=through, weak=False)
