from functools import partial

from django.contrib import admin
from django.urls import path, reverse

from optouts import views_report
from optouts.models import ConsentEvent, OptOut
from optouts.permissions import user_can_view_report


class ReadOnlyAdmin(admin.ModelAdmin):
    """The list and its history change only through the services, never by editing rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "source", "channel", "opted_out_at", "actor_label"]
    list_filter = ["source", "channel"]
    search_fields = ["phone_number"]
    show_full_result_count = False

    def report_urls(self) -> list:
        """The opt-out report's pages (optouts/views_report.py), mounted at /admin/optouts/report/.

        Each is wrapped in admin_view (login, staff, CSRF, never cached) and checks the report
        permission itself, since admin_view only checks is_staff.
        """
        site = self.admin_site

        def view(function):
            return site.admin_view(partial(function, site=site))

        return [
            path("optouts/report/", view(views_report.report_view), name="optouts_report"),
            path(
                "optouts/report/export.csv",
                view(views_report.export_view),
                name="optouts_report_export",
            ),
            path(
                "optouts/report/import/",
                view(views_report.import_view),
                name="optouts_report_import",
            ),
            path(
                "optouts/report/opt-in/",
                view(views_report.bulk_opt_in_view),
                name="optouts_report_bulk_opt_in",
            ),
            path(
                "optouts/report/number/<str:number>/",
                view(views_report.history_view),
                name="optouts_report_history",
            ),
            path(
                "optouts/report/number/<str:number>/opt-in/",
                view(views_report.opt_in_view),
                name="optouts_report_opt_in",
            ),
        ]


def _mount_report(site: admin.AdminSite, model_admin: OptOutAdmin) -> None:
    """Put the report at /admin/optouts/report/ and list it on the admin index, admins only.

    A ModelAdmin's own get_urls() lives under /admin/optouts/optout/, and the index lists models
    only, so the report extends the site's get_urls() and get_app_list() instead: the URL stays
    short and stable, and its link appears (index, app page, nav sidebar) only for users who
    may open it.
    """
    site_get_urls, site_get_app_list = site.get_urls, site.get_app_list

    def get_urls():
        return [*model_admin.report_urls(), *site_get_urls()]

    def get_app_list(request, app_label=None):
        app_list = site_get_app_list(request, app_label)
        if app_label not in (None, "optouts") or not user_can_view_report(request.user):
            return app_list
        entry = {
            "name": "Opt-out report",
            "object_name": "OptOutReport",
            "perms": {"view": True},
            "admin_url": reverse("admin:optouts_report", current_app=site.name),
            "add_url": None,
            "view_only": True,
        }
        for app in app_list:
            if app["app_label"] == "optouts":
                app["models"].insert(0, entry)
                return app_list
        app_list.append(
            {
                "name": "Optouts",
                "app_label": "optouts",
                "app_url": reverse("admin:app_list", args=["optouts"], current_app=site.name),
                "has_module_perms": True,
                "models": [entry],
            }
        )
        return app_list

    site.get_urls = get_urls
    site.get_app_list = get_app_list


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["phone_number", "action", "source", "channel", "actor_label", "created_at"]
    list_filter = ["action", "source", "channel"]
    search_fields = ["phone_number"]
    show_full_result_count = False


_mount_report(admin.site, admin.site.get_model_admin(OptOut))

from optouts import admin_tokens as _admin_tokens  # noqa: E402, F401 - API tokens (issue 5)
from optouts.messaging import admin as _messaging_admin  # noqa: E402, F401 - registers messages
