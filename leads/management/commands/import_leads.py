"""python manage.py import_leads FILE [--mapping NAME | --map "Header=field" ...] [--dry-run]

Runs the same job code as the admin's background import, in this process: a progress bar on a
terminal (none when the output is not one, or with --no-progress), the report at the end, exit
status 1 when rows were rejected (2 when the file or mapping cannot be used). `--resume ID`
continues a job whose worker died, here; `--resume-stale` queues every import whose worker went
silent for IMPORT_STALE_SECONDS again for the task worker (the scheduler runs it every minute).
"""

from __future__ import annotations

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
    import_jobs_resume_stale,
    import_mapping_opt_out_errors,
)
from leads.management.progress import ProgressBars, progress_wanted
from velocify_sms.text import count_of


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
        parser.add_argument(
            "--resume-stale",
            action="store_true",
            help="queue every stalled import again for the task worker, then exit",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (there is none anyway when the output is not a terminal)",
        )

    def handle(self, *args, **options):
        if options["resume_stale"]:
            return self._resume_stale()
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
        bars = ProgressBars(
            stream=self.stderr,
            enabled=progress_wanted(stream=self.stderr, no_progress=options["no_progress"]),
        )
        try:
            job = import_job_run(job_id=job.pk, progress=self._progress(bars))
        finally:
            bars.close()
        self._report(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"Import #{job.pk} failed: {job.error}", returncode=2)
        if job.rejected_count:
            rejected = count_of(job.rejected_count, "row was", "rows were")
            raise CommandError(f"{rejected} rejected (see the report above).", returncode=1)

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
        # Refused before any row is read (the TRUE rows would fail the job midway).
        refusal = import_mapping_opt_out_errors(mapping=job.mapping, user=user)
        if refusal:
            job.file.delete(save=False)
            job.delete()
            hint = " Give --user NAME of an admin." if user is None else ""
            raise CommandError(f"{path.name}: {' '.join(refusal)}{hint}", returncode=2)
        return job

    def _resume(self, job_id: int) -> ImportJob:
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"No import #{job_id}.", returncode=2)
        try:
            return import_job_resume(job=job, enqueue=False)
        except Exception as exc:
            raise CommandError(str(exc), returncode=2) from None

    def _resume_stale(self) -> None:
        resumed = import_jobs_resume_stale()
        if resumed:
            ids = ", ".join(f"#{pk}" for pk in resumed)
            self.stdout.write(f"Queued again (their worker went silent): import {ids}.")

    def _preview(self, job: ImportJob) -> None:
        try:
            preview = import_job_preview(job=job)
        except ImportFileError as exc:  # a reading limit met past the header
            raise CommandError(f"{job.original_name}: {exc}", returncode=2) from None
        finally:
            job.file.delete(save=False)
            job.delete()
        self.stdout.write(
            f"Dry run, nothing written: {count_of(preview.total_rows, 'row')}; "
            f"{count_of(preview.to_create, 'lead')} to create, {preview.to_update} to update; "
            f"{count_of(preview.numbers_to_opt_out, 'number')} to opt out "
            f"({preview.numbers_already_opted_out} already on the list); "
            f"{count_of(preview.rows_with_errors, 'row')} with errors."
        )
        for error in preview.errors:
            self.stdout.write(
                f"  row {error['row']}, column {error['column']!r}, value {error['value']!r}: "
                f"{error['detail']}"
            )
        if preview.rows_with_errors:
            rejected = count_of(preview.rows_with_errors, "row", "rows")
            raise CommandError(f"{rejected} would be rejected.", returncode=1)

    def _progress(self, bars: ProgressBars):
        def show(job: ImportJob) -> None:
            data = import_job_progress(job=job)
            bars.update(
                job.original_name,
                data["rows_done"],
                data["total_rows"],
                rejected=data["rows_rejected"],
            )

        return show

    def _report(self, job: ImportJob) -> None:
        self.stdout.write(
            f"Import #{job.pk} {job.get_status_display().lower()}: {job.created_count} created, "
            f"{job.updated_count} updated, {count_of(job.opted_out_count, 'number')} opted out, "
            f"{count_of(job.rejected_count, 'row')} rejected."
        )
        for error in job.row_errors.order_by("row_number", "id")[:50]:
            self.stdout.write(
                f"  row {error.row_number}, column {error.column!r}, value {error.value!r}: "
                f"{error.detail}"
            )
        if job.rejected_count > 50:
            self.stdout.write("  ... the admin's report page has a CSV of every rejected row.")
