"""manage.py import_leads: mapping options, dry run, report and exit status."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leads.imports.models import ImportJob
from leads.imports.services import import_mapping_save
from leads.models import Lead
from optouts.models import ConsentEvent, OptOut

pytestmark = pytest.mark.django_db


class Terminal(StringIO):
    """An output stream that says it is a terminal, as a shell's stderr does."""

    def isatty(self):
        return True


def run(*args, stderr=None):
    out = StringIO()
    call_command("import_leads", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


def test_imports_a_fixture_and_reports(fixture_path, admin_user):
    err = StringIO()
    out = run(str(fixture_path("leads_utf8.csv")), "--user", "alice", stderr=err)
    assert "General.Sms.OptOut -> sms_opt_out" in out
    assert (
        "3 created, 0 updated, 0 skipped (matching a lead), 2 numbers opted out, 0 rows rejected"
        in out
    )
    assert err.getvalue() == ""  # no progress bar when the output is not a terminal
    assert ConsentEvent.objects.filter(actor_id=admin_user.pk).count() == 2


def test_a_terminal_gets_a_progress_bar(fixture_path, admin_user):
    err = Terminal()

    run(str(fixture_path("leads_utf8.csv")), "--user", "alice", stderr=err)

    bar = err.getvalue()
    assert "leads_utf8.csv: 100%" in bar
    assert "3/3" in bar
    assert "rejected=0" in bar


def test_no_progress_keeps_a_terminal_quiet(fixture_path, admin_user):
    err = Terminal()

    run(str(fixture_path("leads_utf8.csv")), "--user", "alice", "--no-progress", stderr=err)

    assert err.getvalue() == ""


def test_rejected_rows_give_a_non_zero_exit(tmp_path, admin_user):
    path = tmp_path / "x.csv"
    path.write_text("Who,Tel\nAnn,4155552671\nBo,12\n")
    with pytest.raises(CommandError, match="^1 row was rejected") as caught:
        run(str(path), "--map", "Who=first_name", "--map", "Tel=phone:mobile")
    assert caught.value.returncode == 1
    assert Lead.objects.count() == 1


def test_saved_mapping_by_name(tmp_path):
    import_mapping_save(name="Vendor", mapping={"Tel": "phone:work", "Who": "first_name"})
    path = tmp_path / "x.csv"
    path.write_text("Who,Tel\nAnn,4155552671\n")
    run(str(path), "--mapping", "Vendor")
    assert Lead.objects.get().phones.get().kind == "work"


def test_dry_run_writes_nothing(fixture_path, admin_user):
    out = run(str(fixture_path("leads_openpyxl.xlsx")), "--dry-run", "--user", "alice")
    assert "Dry run, nothing written: 2 rows; 2 leads to create" in out
    assert Lead.objects.count() == 0 and OptOut.objects.count() == 0
    assert ImportJob.objects.count() == 0


def test_a_bad_file_exits_2_with_its_message(fixture_path):
    with pytest.raises(CommandError, match="truncated.xlsx: The XLSX file is damaged") as caught:
        run(str(fixture_path("truncated.xlsx")))
    assert caught.value.returncode == 2


def test_an_agent_may_not_import(fixture_path, agent_user):
    with pytest.raises(CommandError, match="may not import"):
        run(str(fixture_path("leads_utf8.csv")), "--user", "bob")


def test_an_opt_out_column_without_a_user_who_may_opt_out_exits_2_before_reading(fixture_path):
    with pytest.raises(CommandError, match='Column "General.Sms.OptOut" is mapped') as caught:
        run(str(fixture_path("leads_utf8.csv")))
    assert caught.value.returncode == 2
    assert "Give --user NAME" in str(caught.value)
    assert Lead.objects.count() == 0 and ImportJob.objects.count() == 0


def test_an_importer_who_may_not_opt_out_is_refused_too(fixture_path, importer_user):
    with pytest.raises(CommandError, match="ivy may not opt phone numbers out") as caught:
        run(str(fixture_path("leads_utf8.csv")), "--user", "ivy", "--dry-run")
    assert caught.value.returncode == 2
    assert ImportJob.objects.count() == 0


def test_dry_run_counts_read_as_english_for_one(tmp_path, admin_user):
    path = tmp_path / "x.csv"
    path.write_text("Who,Tel,SMS Opt Out\nAnn,4155552671,TRUE\nBo,12,\n")

    out = StringIO()
    with pytest.raises(CommandError, match="^1 row would be rejected"):
        call_command(
            "import_leads",
            str(path),
            "--dry-run",
            "--user",
            "alice",
            "--map",
            "Who=first_name",
            "--map",
            "Tel=phone:mobile",
            "--map",
            "SMS Opt Out=sms_opt_out",
            stdout=out,
        )

    assert (
        "Dry run, nothing written: 2 rows; 1 lead to create, 0 to update, 0 to skip (0 rows "
        "matching existing leads, on_match update); 1 number to opt out "
        "(0 already on the list); 1 row with errors." in out.getvalue()
    )
