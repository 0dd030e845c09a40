"""Lead import API: POST /api/v1/leads/imports/ starts a job; GET .../imports/<id>/ reads it.

Errors leave through velocify_sms.api_errors' handler as {"code", "detail"} (ApiError).
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.imports.mapping import MAPPING_MAX_CHARS, MappingError, mapping_from_json
from leads.imports.models import ImportJob, ImportOnMatch
from leads.imports.permissions import CanImportLeads
from leads.imports.readers import ImportFileError
from leads.imports.selectors import import_job_errors, import_job_progress
from leads.imports.services import (
    ImportOptOutNotPermitted,
    import_job_create,
    import_job_preview,
    import_job_start,
)
from velocify_sms.api_errors import ApiError, api_errors, api_write_errors

ERRORS_SHOWN = 100


class ImportJobCreateInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX, with a header row.")
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='JSON object {"Header": "field"}; fields: external_id, first_name, last_name, '
        "email, company, status, phone:mobile|home|work|other, sms_opt_out, ignore. "
        "Unlisted columns are ignored. Omit to guess from the headers. "
        f"At most {MAPPING_MAX_CHARS:,} characters.",
    )
    mapping_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    delimiter = serializers.ChoiceField(choices=[",", ";", "\t", ""], required=False)
    encoding = serializers.ChoiceField(choices=["utf-8", "utf-8-sig", "cp1252", ""], required=False)
    sheet = serializers.CharField(required=False, allow_blank=True, max_length=100)
    dry_run = serializers.BooleanField(required=False, default=False)
    on_match = serializers.ChoiceField(
        choices=ImportOnMatch.choices,
        required=False,
        default=ImportOnMatch.UPDATE,
        help_text="A row matching a lead (External ID, else a phone number, else the email "
        "without case): `update` it (default), `skip` the row, or `create` a new lead anyway "
        "(matching by External ID only).",
    )

    def validate_mapping(self, value):
        if not value:
            return None
        try:
            return mapping_from_json(value)
        except MappingError as exc:
            # The same code as a mapping that does not fit the file: one code for "fix the
            # mapping", whatever is wrong with it.
            raise ApiError(
                code="invalid_mapping", detail=str(exc), errors={"mapping": exc.errors}
            ) from None


def job_output(job: ImportJob, *, errors: bool = True) -> dict:
    data = import_job_progress(job=job)
    data["mapping"] = job.mapping
    data["options"] = job.options
    if errors:
        data["errors"] = [
            {"row": e.row_number, "column": e.column, "value": e.value, "detail": e.detail}
            for e in import_job_errors(job=job)[:ERRORS_SHOWN]
        ]
    return data


class ImportJobCreateApi(APIView):
    permission_classes = [CanImportLeads]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="lead_imports_create",
        summary="Import leads from a CSV or XLSX file",
        description=(
            "Stores the file, checks it and the mapping, and queues the import as a background "
            "job (202 with the job). `dry_run=true` answers 200 with the preview and stores "
            "nothing: the counts the import would reach (`numbers_to_opt_out` includes the "
            "`numbers_already_opted_out`, which the import leaves as they are); its `complete` is "
            "false when IMPORT_PREVIEW_SECONDS ran out first, and its figures then cover the "
            "first `rows` rows only. `rows_matching` counts the rows that match a lead (by "
            "External ID, else phone, else email; `to_update` or `to_skip` as `on_match` says). "
            "A file that cannot be imported "
            "(empty, no data rows, duplicate headers, not a spreadsheet, damaged XLSX, "
            "undecodable bytes, too large) or a bad mapping is "
            "a 400 with its own `code`; nothing is written. A file whose mapping has an SMS Opt "
            "Out column, sent by a user who may not opt numbers out, is a 403 "
            "`opt_out_not_permitted` (map that column to `ignore`); nothing is written."
        ),
        request={"multipart/form-data": ImportJobCreateInput},
        responses={202: dict, 200: dict, **api_write_errors(403)},
        tags=["lead imports"],
    )
    def post(self, request):
        serializer = ImportJobCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        try:
            job = import_job_create(
                file=upload,
                name=upload.name,
                user=request.user,
                options={k: data.get(k, "") for k in ("delimiter", "encoding", "sheet")},
                mapping=data.get("mapping"),
                mapping_name=data.get("mapping_name", ""),
                on_match=data["on_match"],
            )
            if data["dry_run"]:
                preview = import_job_preview(
                    job=job, seconds=settings.LEAD_IMPORT["PREVIEW_SECONDS"]
                )
                body = {
                    "dry_run": True,
                    "headers": job.headers,
                    "mapping": job.mapping,
                    "complete": preview.complete,
                    "rows": preview.total_rows,
                    "to_create": preview.to_create,
                    "on_match": preview.on_match,
                    "rows_matching": preview.rows_matching,
                    "to_update": preview.to_update,
                    "to_skip": preview.to_skip,
                    "numbers_to_opt_out": preview.numbers_to_opt_out,
                    "numbers_already_opted_out": preview.numbers_already_opted_out,
                    "rows_with_errors": preview.rows_with_errors,
                    "errors": preview.errors,
                }
                job.file.delete(save=False)
                job.delete()
                return Response(body, status=status.HTTP_200_OK)
            job = import_job_start(job=job)
        except ImportOptOutNotPermitted as exc:
            # Refused before any row is read; the draft goes too, as for a dry run.
            job.file.delete(save=False)
            job.delete()
            raise ApiError(
                code=exc.code,
                detail=str(exc),
                status_code=status.HTTP_403_FORBIDDEN,
                errors={"mapping": exc.errors},
            ) from None
        except ImportFileError as exc:
            raise ApiError(code=exc.code, detail=exc.message) from None
        except MappingError as exc:
            raise ApiError(
                code="invalid_mapping", detail=str(exc), errors={"mapping": exc.errors}
            ) from None
        job.refresh_from_db()
        return Response(job_output(job), status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    permission_classes = [CanImportLeads]

    @extend_schema(
        operation_id="lead_imports_retrieve",
        summary="Progress and report of a lead import",
        responses={200: dict, **api_errors(404)},
        tags=["lead imports"],
    )
    def get(self, request, job_id: int):
        job = get_object_or_404(ImportJob, pk=job_id)
        return Response(job_output(job))
