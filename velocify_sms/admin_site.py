"""The project's admin site: Django's, plus pages that the apps add through their ModelAdmins.

The site knows no app. A registered ModelAdmin may define either or both of these hooks:

- `site_urls() -> list[URLPattern]`: URL patterns mounted at the site's root, before Django's own
  (so `optouts/report/` lives at /admin/optouts/report/, not under a model's URLs). Wrap each view
  in `self.admin_site.admin_view(...)`; the names are reversed as `admin:<name>`.
- `index_notices(request) -> list[str]`: sentences (safe HTML, built with format_html) shown at
  the top of the dashboard, such as decisions waiting for the user; none for a user who may not
  act on them.
- `index_entries(request) -> list[dict]`: links listed first under the model's app on the index,
  the app page and the nav sidebar. Each is `{"name", "object_name", "admin_url"}`. Return none
  for a user who may not open the page: admin_view only checks `is_staff`, so the page checks
  its own permission too, and the link is shown only to those who pass it.

Set as `admin.site` by velocify_sms.apps.VelocifyAdminConfig (INSTALLED_APPS).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, reverse


class VelocifyAdminSite(admin.AdminSite):
    # The admin is the whole application: there is no other site to "view" (docs/decisions.md).
    site_url = None
    index_title = "Dashboard"

    # Read from settings at each use rather than at import, so the name follows SITE_HEADER
    # (and override_settings in tests).
    @property
    def site_header(self) -> str:
        return settings.SITE_HEADER

    @property
    def site_title(self) -> str:
        return settings.SITE_HEADER

    def _hooks(self, name: str) -> list:
        """The bound `name` hook of every registered ModelAdmin that defines it."""
        hooks = (getattr(model_admin, name, None) for model_admin in self._registry.values())
        return [hook for hook in hooks if hook is not None]

    def index(self, request, extra_context=None):
        notices = [notice for hook in self._hooks("index_notices") for notice in hook(request)]
        return super().index(request, {**(extra_context or {}), "index_notices": notices})

    def get_urls(self) -> list[URLPattern]:
        extra = [pattern for site_urls in self._hooks("site_urls") for pattern in site_urls()]
        return [*extra, *super().get_urls()]

    def get_app_list(self, request, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        for index_entries in self._hooks("index_entries"):
            opts = index_entries.__self__.model._meta
            if app_label not in (None, opts.app_label):
                continue
            entries = index_entries(request)
            if entries:
                app = self._app_entry(app_list, opts)
                app["models"][:0] = [
                    {"perms": {"view": True}, "add_url": None, "view_only": True, **entry}
                    for entry in entries
                ]
        return app_list

    def _app_entry(self, app_list: list[dict], opts) -> dict:
        """The app's dict in `app_list`, added (in Django's name order) when the user may see
        none of the app's models but may open one of its extra pages."""
        for app in app_list:
            if app["app_label"] == opts.app_label:
                return app
        app = {
            "name": opts.app_config.verbose_name,
            "app_label": opts.app_label,
            "app_url": reverse("admin:app_list", args=[opts.app_label], current_app=self.name),
            "has_module_perms": True,
            "models": [],
        }
        app_list.append(app)
        app_list.sort(key=lambda entry: entry["name"].lower())
        return app
