"""Admin pages of the lead import; imported by leads.admin.

The job list is the usual changelist; "add" is the upload page, and a job's page is its
progress and report. Every view checks the import permission (admin_view only checks is_staff).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from leads.imports import views
from leads.imports.forms import ImportMappingAdminForm
from leads.imports.models import ImportJob, ImportMapping
from leads.imports.permissions import user_can_import
from leads.imports.selectors import import_job_list


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    # The job's name is its link and the counts share one cell: at 1280 pixels beside the side
    # menu, eleven columns pushed the last one (the link) out of sight.
    list_display = ["job_link", "status", "created_by", "created_at", "results"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        return import_job_list()

    def has_module_permission(self, request):
        return user_can_import(request.user)

    def has_view_permission(self, request, obj=None):
        return user_can_import(request.user)

    def has_add_permission(self, request):
        return user_can_import(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Import", ordering="-id")
    def job_link(self, obj):
        draft = obj.status == ImportJob.Status.DRAFT
        name = "mapping" if draft else "progress"
        label = "continue the mapping" if draft else "progress and report"
        return format_html(
            '<a href="{}">{}</a><div class="help">{}</div>',
            reverse(f"admin:leads_importjob_{name}", args=[obj.pk]),
            obj,
            label,
        )

    @admin.display(description="Rows")
    def results(self, obj):
        if obj.status == ImportJob.Status.DRAFT:
            return "-"
        counts = [
            (obj.created_count, "created"),
            (obj.updated_count, "updated"),
            (obj.skipped_count, "skipped"),
            (obj.opted_out_count, "opted out"),
            (obj.rejected_count, "rejected"),
        ]
        return format_html(
            "{} read: {}",
            f"{obj.rows_done:,}",
            format_html_join(
                ", ", '<span class="nowrap">{} {}</span>', ((f"{n:,}", w) for n, w in counts)
            ),
        )

    def get_urls(self):
        def wrap(view):
            def bound(request, *args, **kwargs):
                return view(request, self, *args, **kwargs)

            return self.admin_site.admin_view(bound)

        return [
            path("add/", wrap(views.upload_view), name="leads_importjob_add"),
            path("<int:job_id>/mapping/", wrap(views.mapping_view), name="leads_importjob_mapping"),
            path("<int:job_id>/preview/", wrap(views.preview_view), name="leads_importjob_preview"),
            path(
                "<int:job_id>/progress.json",
                wrap(views.progress_json_view),
                name="leads_importjob_progress_json",
            ),
            path(
                "<int:job_id>/rejected.csv",
                wrap(views.rejected_csv_view),
                name="leads_importjob_rejected_csv",
            ),
            path("<int:job_id>/resume/", wrap(views.resume_view), name="leads_importjob_resume"),
            path("<int:job_id>/", wrap(views.progress_view), name="leads_importjob_progress"),
            path("<int:job_id>/change/", wrap(views.progress_view), name="leads_importjob_change"),
            *super().get_urls(),
        ]


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    form = ImportMappingAdminForm
    list_display = ["name", "created_by", "updated_at"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    search_fields = ["name"]

    def has_module_permission(self, request):
        return user_can_import(request.user)

    def has_view_permission(self, request, obj=None):
        return user_can_import(request.user)

    def has_add_permission(self, request):
        return user_can_import(request.user)

    def has_change_permission(self, request, obj=None):
        return user_can_import(request.user)

    def has_delete_permission(self, request, obj=None):
        return user_can_import(request.user)
