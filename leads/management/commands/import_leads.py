"""python manage.py import_leads FILE [--mapping NAME | --map "Header=field" ...] [--dry-run]

Runs the same job code as the admin's background import, in this process: a progress bar on a
terminal, plain lines otherwise, the report at the end, exit status 1 when rows were rejected
(2 when the file or mapping cannot be used). `--resume ID` continues a job whose worker died.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from leads.imports.mapping import MappingError, mapping_parse_pairs, mapping_unmapped
from leads.imports.models import ImportJob
from leads.imports.permissions import user_can_import
from leads.imports.readers import ImportFileError
from leads.imports.selectors import import_job_progress
from leads.imports.services import (
    import_job_create,
    import_job_preview,
    import_job_resume,
    import_job_run,
)


class Command(BaseCommand):
    help = "Import leads (and their SMS Opt Out) from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="CSV or XLSX file with a header row")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--mapping", help="name of a saved mapping")
        group.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="map a column, e.g. --map 'Cell=phone:mobile' (repeatable; others are ignored)",
        )
        parser.add_argument("--dry-run", action="store_true", help="preview only, write nothing")
        parser.add_argument("--user", help="username of the importing admin (the actor)")
        parser.add_argument("--delimiter", choices=[",", ";", "tab"], help="CSV delimiter")
        parser.add_argument("--encoding", choices=["utf-8", "utf-8-sig", "cp1252"])
        parser.add_argument("--sheet", help="XLSX sheet name (default: the first)")
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="continue a job")

    def handle(self, *args, **options):
        user = self._user(options["user"])
        if options["resume"]:
            job = self._resume(options["resume"])
        else:
            if not options["file"]:
                raise CommandError("Give a FILE to import (or --resume JOB_ID).")
            job = self._create(options, user)
            if options["dry_run"]:
                return self._preview(job)
        self.stdout.write(f"Importing {job.original_name} as import #{job.pk}")
        job = import_job_run(job_id=job.pk, progress=self._progress_printer())
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"Import #{job.pk} failed: {job.error}", returncode=2)
        if job.rejected_count:
            raise CommandError(
                f"{job.rejected_count} row(s) were rejected (see the report above).", returncode=1
            )

    def _user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.", returncode=2)
        if not user_can_import(user):
            raise CommandError(f"{username} may not import leads (admins only).", returncode=2)
        return user

    def _create(self, options, user) -> ImportJob:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.", returncode=2)
        delimiter = "\t" if options["delimiter"] == "tab" else options["delimiter"] or ""
        try:
            mapping = mapping_parse_pairs(options["map"]) if options["map"] else None
            with open(path, "rb") as handle:
                job = import_job_create(
                    file=File(handle, name=path.name),
                    name=path.name,
                    user=user,
                    options={
                        "delimiter": delimiter,
                        "encoding": options["encoding"] or "",
                        "sheet": options["sheet"] or "",
                    },
                    mapping=mapping,
                    mapping_name=options["mapping"] or "",
                )
        except (ImportFileError, MappingError) as exc:
            raise CommandError(f"{path.name}: {exc}", returncode=2) from None
        self.stdout.write("Columns:")
        for header in job.headers:
            self.stdout.write(f"  {header} -> {job.mapping[header]}")
        unmapped = mapping_unmapped(mapping=job.mapping, headers=job.headers)
        if unmapped:
            self.stdout.write("Not imported: " + ", ".join(unmapped))
        return job

    def _resume(self, job_id: int) -> ImportJob:
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"No import #{job_id}.", returncode=2)
        try:
            return import_job_resume(job=job, enqueue=False)
        except Exception as exc:
            raise CommandError(str(exc), returncode=2) from None

    def _preview(self, job: ImportJob) -> None:
        try:
            preview = import_job_preview(job=job)
        except ImportFileError as exc:  # a reading limit met past the header (issue 13)
            raise CommandError(f"{job.original_name}: {exc}", returncode=2) from None
        finally:
            job.file.delete(save=False)
            job.delete()
        self.stdout.write(
            f"Dry run, nothing written: {preview.total_rows} rows; {preview.to_create} leads to "
            f"create, {preview.to_update} to update; {preview.numbers_to_opt_out} numbers to opt "
            f"out ({preview.numbers_already_opted_out} already on the list); "
            f"{preview.rows_with_errors} rows with errors."
        )
        for error in preview.errors:
            self.stdout.write(
                f"  row {error['row']}, column {error['column']!r}, value {error['value']!r}: "
                f"{error['detail']}"
            )
        if preview.rows_with_errors:
            raise CommandError(
                f"{preview.rows_with_errors} row(s) would be rejected.", returncode=1
            )

    def _progress_printer(self):
        tty = self.stdout.isatty()
        last = {"at": 0.0}

        def show(job: ImportJob) -> None:
            data = import_job_progress(job=job)
            total = data["total_rows"] or 0
            line = (
                f"{data['rows_done']}/{total} rows ({data['percent']}%), "
                f"{data['rows_per_second']:.0f} rows/s, {data['rows_rejected']} rejected"
            )
            if tty:
                width = 30
                filled = int(width * data["percent"] / 100)
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}", ending="")
                self.stdout.flush()
            elif time.monotonic() - last["at"] >= 1 or data["rows_done"] >= total:
                last["at"] = time.monotonic()
                self.stdout.write(line)

        return show

    def _report(self, job: ImportJob) -> None:
        if self.stdout.isatty():
            self.stdout.write("")
        self.stdout.write(
            f"Import #{job.pk} {job.get_status_display().lower()}: {job.created_count} created, "
            f"{job.updated_count} updated, {job.opted_out_count} numbers opted out, "
            f"{job.rejected_count} rows rejected."
        )
        for error in job.row_errors.order_by("row_number", "id")[:50]:
            self.stdout.write(
                f"  row {error.row_number}, column {error.column!r}, value {error.value!r}: "
                f"{error.detail}"
            )
        if job.rejected_count > 50:
            self.stdout.write("  ... the admin's report page has a CSV of every rejected row.")
