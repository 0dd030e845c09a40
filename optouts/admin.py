from functools import partial

from django.contrib import admin
from django.urls import path, reverse

# Django's autodiscover imports only this admin module of the app: the SMS channel's admin
# (messaging.admin) registers when imported here.
from optouts import views_report, views_report_actions
from optouts.messaging import admin as messaging_admin  # noqa: F401
from optouts.messaging import (
    admin_holds,  # noqa: F401
    admin_inbox,  # noqa: F401
    admin_keywords,  # noqa: F401
)
from optouts.models import ConsentEvent, OptOut
from optouts.permissions import user_can_view_report
from velocify_sms.admin_lists import phone_cell, time_cell


class ReadOnlyAdmin(admin.ModelAdmin):
    """The list and its history change only through the services, never by editing rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Numbers and times as every page shows them, sorted by the stored value.
    @admin.display(description="phone number", ordering="phone_number")
    def number(self, obj):
        return phone_cell(obj.phone_number)


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    list_display = ["number", "source", "channel", "when", "actor_label"]
    list_filter = ["source", "channel"]
    search_fields = ["phone_number"]
    show_full_result_count = False

    @admin.display(description="opted out at", ordering="opted_out_at")
    def when(self, obj):
        return time_cell(obj.opted_out_at)

    # --- the opt-out report: extra admin pages (velocify_sms/admin_site.py hooks) -------------

    def site_urls(self) -> list:
        """The opt-out report's pages (optouts/views_report.py, views_report_actions.py), mounted
        at /admin/optouts/report/ rather than under /admin/optouts/optout/, so the URL stays
        short and stable.

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
                view(views_report_actions.export_view),
                name="optouts_report_export",
            ),
            path(
                "optouts/report/import/",
                view(views_report_actions.import_view),
                name="optouts_report_import",
            ),
            path(
                "optouts/report/opt-in/",
                view(views_report_actions.bulk_opt_in_view),
                name="optouts_report_bulk_opt_in",
            ),
            path(
                "optouts/report/number/<str:number>/",
                view(views_report.history_view),
                name="optouts_report_history",
            ),
            path(
                "optouts/report/number/<str:number>/opt-in/",
                view(views_report_actions.opt_in_view),
                name="optouts_report_opt_in",
            ),
        ]

    def index_entries(self, request) -> list[dict]:
        """The report's link on the admin index, app page and nav sidebar, for admins only."""
        if not user_can_view_report(request.user):
            return []
        url = reverse("admin:optouts_report", current_app=self.admin_site.name)
        return [{"name": "Opt-out report", "object_name": "OptOutReport", "admin_url": url}]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["number", "action", "source", "channel", "actor_label", "when"]
    list_filter = ["action", "source", "channel"]
    search_fields = ["phone_number"]
    show_full_result_count = False

    @admin.display(description="created at", ordering="created_at")
    def when(self, obj):
        return time_cell(obj.created_at)
