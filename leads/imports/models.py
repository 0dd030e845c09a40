"""Import job models; leads.models imports this module so Django registers them (label leads)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportMapping(models.Model):
    """A named column mapping, reusable from the admin, the API and `import_leads --mapping`.

    `columns` maps a normalised header (see mapping.header_key) to a target such as
    `first_name`, `phone:mobile`, `sms_opt_out` or `ignore`.
    """

    name = models.CharField(max_length=100, unique=True)
    columns = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "import mapping"

    def __str__(self) -> str:
        return self.name


class ImportJobStatus(models.TextChoices):
    DRAFT = "draft", "Draft (mapping)"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class ImportOnMatch(models.TextChoices):
    """The values of leads.services.plan's ON_MATCH_* (this module cannot import the services:
    leads.models imports it)."""

    UPDATE = "update", "Update the lead it matches"
    SKIP = "skip", "Skip the row (leave the lead as it is)"
    CREATE = "create", "Create a new lead (match by External ID only)"


class ImportJob(models.Model):
    """One import of one file. Progress counters change only in the transaction of a batch.

    `rows_done` is the number of data rows (after the header) whose batch has committed, so a job
    whose worker died resumes from exactly there.
    """

    Status = ImportJobStatus
    OnMatch = ImportOnMatch

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    # Reader options: delimiter, encoding (CSV), sheet (XLSX); detected values are stored back.
    options = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # Header (as in the file) -> target, one entry per column.
    mapping = models.JSONField(default=dict, blank=True)
    # What a row matching a stored lead (external id, else phone, else email) does: update it,
    # skip the row, or create a new lead anyway (leads.services.plan).
    on_match = models.CharField(
        max_length=6,
        choices=ImportOnMatch.choices,
        default=ImportOnMatch.UPDATE,
        db_default=ImportOnMatch.UPDATE,
    )
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    opted_out_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0, db_default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "lead import"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportJobStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(on_match__in=ImportOnMatch.values), name="importjob_on_match_valid"
            ),
        ]
        permissions = [("import_leads", "Can import leads from a file")]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportJobStatus.SUCCEEDED, ImportJobStatus.FAILED)


class ImportRowError(models.Model):
    """A rejected row: its number in the file, the column and value at fault, and the raw row."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    column = models.CharField(max_length=255, blank=True)
    value = models.TextField(blank=True)
    detail = models.TextField()
    values = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["job", "row_number", "id"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrowerror_job_row_idx")]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.detail}"
