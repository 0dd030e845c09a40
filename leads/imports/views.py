"""Admin pages of the lead import: upload -> mapping -> preview -> import -> progress/report.

Mounted by leads/imports/admin.py inside admin_view (is_staff); each view checks the import
permission itself. Views translate HTTP to services/selectors and back, nothing more.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads.imports.forms import ImportMappingForm, ImportOnMatchForm, ImportUploadForm
from leads.imports.mapping import TARGETS, mapping_unmapped
from leads.imports.models import ImportJob
from leads.imports.permissions import user_can_import
from leads.imports.readers import ImportFileError
from leads.imports.selectors import (
    import_job_errors,
    import_job_progress,
    import_job_rejected_header,
    import_job_rejected_rows,
    import_job_sample,
)
from leads.imports.services import (
    ImportConflict,
    MappingError,
    import_job_can_resume,
    import_job_create,
    import_job_mapping_set,
    import_job_on_match_set,
    import_job_preview,
    import_job_resume,
    import_job_start,
    import_mapping_opt_out_errors,
    import_mapping_save,
)
from velocify_sms.csv_export import csv_streaming_response

REPORT_ERRORS_SHOWN = 100


def importers_only(view):
    @wraps(view)
    def wrapper(request, model_admin, *args, **kwargs):
        if not user_can_import(request.user):
            raise PermissionDenied("Only an admin can import leads.")
        return view(request, model_admin, *args, **kwargs)

    return wrapper


def _context(model_admin, request, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


def _url(name: str, job: ImportJob) -> str:
    return reverse(f"admin:leads_importjob_{name}", args=[job.pk])


@importers_only
@require_http_methods(["GET", "POST"])
def upload_view(request, model_admin):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    file_error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = import_job_create(
                file=upload,
                name=upload.name,
                user=request.user,
                options={k: data[k] for k in ("delimiter", "encoding", "sheet")},
                mapping_name=data["saved_mapping"].name if data["saved_mapping"] else "",
            )
        except (ImportFileError, MappingError) as exc:
            file_error = str(exc)
        else:
            return redirect(_url("mapping", job))
    return TemplateResponse(
        request,
        "admin/leads/import/upload.html",
        _context(model_admin, request, "Import leads", form=form, file_error=file_error),
    )


def _draft_or_progress(job: ImportJob):
    if job.status != ImportJob.Status.DRAFT:
        return redirect(_url("progress", job))
    return None


@importers_only
@require_http_methods(["GET", "POST"])
def mapping_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    if response := _draft_or_progress(job):
        return response
    form = ImportMappingForm(
        request.POST or None, headers=job.headers, mapping=job.mapping, on_match=job.on_match
    )
    # Said before the user goes on: a guessed SMS Opt Out column they may not import.
    mapping_errors = import_mapping_opt_out_errors(mapping=job.mapping, user=job.created_by)
    if request.method == "POST" and form.is_valid():
        try:
            import_job_mapping_set(job=job, mapping=form.mapping())
            import_job_on_match_set(job=job, on_match=form.cleaned_data["on_match"] or job.on_match)
            if form.cleaned_data["save_as"]:
                saved = import_mapping_save(
                    name=form.cleaned_data["save_as"], mapping=job.mapping, user=request.user
                )
                messages.success(request, f"Mapping saved as “{saved.name}”.")
        except MappingError as exc:
            mapping_errors = exc.errors
        else:
            return redirect(_url("preview", job))
    try:
        samples = import_job_sample(job=job)
    except ImportFileError as exc:  # a limit met in the first rows: say it, no 500
        samples = []
        messages.error(request, str(exc))
    columns = [
        (header, field, [row[index] for row in samples if index < len(row)])
        for index, (header, field) in enumerate(form.columns())
    ]
    return TemplateResponse(
        request,
        "admin/leads/import/mapping.html",
        _context(
            model_admin,
            request,
            f"Map the columns of {job.original_name}",
            job=job,
            form=form,
            columns=columns,
            mapping_errors=mapping_errors,
            unmapped=mapping_unmapped(mapping=job.mapping, headers=job.headers),
        ),
    )


@importers_only
@require_http_methods(["GET", "POST"])
def preview_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    if response := _draft_or_progress(job):
        return response
    if request.method == "POST" and "on_match" in request.POST:
        # Another choice for the rows that match a lead: count again with it.
        on_match_form = ImportOnMatchForm(request.POST)
        if on_match_form.is_valid() and on_match_form.cleaned_data["on_match"]:
            import_job_on_match_set(job=job, on_match=on_match_form.cleaned_data["on_match"])
        return redirect(_url("preview", job))
    if request.method == "POST":
        try:
            job = import_job_start(job=job)
        except MappingError as exc:
            messages.error(request, str(exc))
            return redirect(_url("mapping", job))
        return redirect(_url("progress", job))
    try:
        preview = import_job_preview(job=job, seconds=settings.LEAD_IMPORT["PREVIEW_SECONDS"])
    except (ImportFileError, MappingError) as exc:
        messages.error(request, str(exc))
        return redirect(_url("mapping", job))
    lead_columns = [
        (target, TARGETS[target])
        for target in ("external_id", "first_name", "last_name", "email", "company", "status")
        if target in job.mapping.values()
    ]
    sample = [
        {
            "row": row.row_number,
            "fields": [row.fields.get(target, "") for target, _ in lead_columns],
            "phones": row.phones,
            "sms_opt_out": row.sms_opt_out,
        }
        for row in preview.sample
    ]
    return TemplateResponse(
        request,
        "admin/leads/import/preview.html",
        _context(
            model_admin,
            request,
            f"Preview of {job.original_name}",
            job=job,
            preview=preview,
            lead_columns=lead_columns,
            sample=sample,
            on_match_form=ImportOnMatchForm(initial={"on_match": job.on_match}),
            unmapped=mapping_unmapped(mapping=job.mapping, headers=job.headers),
        ),
    )


@importers_only
@require_GET
def progress_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.status == ImportJob.Status.DRAFT:
        return redirect(_url("mapping", job))
    return TemplateResponse(
        request,
        "admin/leads/import/progress.html",
        _context(
            model_admin,
            request,
            f"Import of {job.original_name}",
            job=job,
            progress=import_job_progress(job=job),
            errors=import_job_errors(job=job)[:REPORT_ERRORS_SHOWN],
            errors_shown=REPORT_ERRORS_SHOWN,
            can_resume=import_job_can_resume(job=job),
        ),
    )


@importers_only
@require_GET
def progress_json_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    data = import_job_progress(job=job)
    data["can_resume"] = import_job_can_resume(job=job)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@importers_only
@require_GET
def rejected_csv_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    return csv_streaming_response(
        filename=f"import-{job.pk}-rejected-rows.csv",
        header=import_job_rejected_header(job=job),
        rows=import_job_rejected_rows(job=job),
    )


@importers_only
@require_POST
def resume_view(request, model_admin, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    try:
        import_job_resume(job=job)
    except ImportConflict as exc:
        messages.error(request, f"Cannot resume: {exc}")
    else:
        messages.success(request, "The import continues from its last committed batch.")
    return redirect(_url("progress", job))
