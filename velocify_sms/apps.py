from django.contrib.admin.apps import AdminConfig


class VelocifyAdminConfig(AdminConfig):
    """django.contrib.admin with our site as `admin.site` (INSTALLED_APPS names this instead)."""

    default_site = "velocify_sms.admin_site.VelocifyAdminSite"

    def ready(self) -> None:
        super().ready()
        # The project's deploy checks come with the project's own app config.
        from velocify_sms import checks  # noqa: F401
