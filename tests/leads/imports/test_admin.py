"""Admin import pages: the whole flow, permissions on the server, escaping, the rejected CSV."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leads.imports.models import ImportJob, ImportMapping
from leads.models import Lead
from optouts.models import OptOut

pytestmark = pytest.mark.django_db

CSV = (
    "External ID,First Name,Mobile Phone,Home Phone,SMS Opt Out,Notes\n"
    "E1,Ann,4155552671,4155552672,TRUE,x\n"
    "E2,<script>alert(1)</script>,4155552673,,FALSE,y\n"
    "E3,Cy,12,,TRUE,=HYPERLINK(1)\n"
)


def url(name, *args):
    return reverse(f"admin:leads_importjob_{name}", args=args)


def test_the_whole_flow_upload_mapping_preview_import_report(admin_client, upload):
    response = admin_client.post(url("add"), {"file": upload("leads.csv", CSV)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == url("mapping", job.pk)

    page = admin_client.get(url("mapping", job.pk)).content.decode()
    assert 'value="sms_opt_out" selected' in page
    assert "Not imported" in page and "<strong>Notes</strong>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page

    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    form["save_as"] = "Vendor A"
    response = admin_client.post(url("mapping", job.pk), form)
    assert response.url == url("preview", job.pk)
    assert ImportMapping.objects.filter(name="Vendor A").exists()

    page = admin_client.get(url("preview", job.pk)).content.decode()
    assert 'id="preview-create">2<' in page
    assert 'id="preview-errors">1<' in page
    assert 'id="preview-partial"' not in page
    assert "&#x27;12&#x27; is not a valid phone number" in page
    assert Lead.objects.count() == 0

    response = admin_client.post(url("preview", job.pk))
    assert response.url == url("progress", job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded"
    page = admin_client.get(url("progress", job.pk)).content.decode()
    assert 'id="report-created">2<' in page
    assert 'id="report-opted-out">2<' in page
    assert 'id="report-rejected">1<' in page
    assert OptOut.objects.count() == 2

    progress = admin_client.get(url("progress_json", job.pk)).json()
    assert progress["finished"] is True and progress["rows_done"] == 3

    response = admin_client.get(url("rejected_csv", job.pk))
    text = b"".join(response.streaming_content).decode()
    assert (
        text.splitlines()[0]
        == "Row,External ID,First Name,Mobile Phone,Home Phone,SMS Opt Out,Notes,Reason"
    )
    assert "4,E3,Cy,12,,TRUE,'=HYPERLINK(1),Mobile Phone: '12' is not a valid phone number" in text


def test_a_preview_out_of_time_says_so_on_the_page(admin_client, upload, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "PREVIEW_SECONDS": 0}
    big = "First Name,Cell\n" + "".join(f"N{i},41555{i:05d}\n" for i in range(1500))
    admin_client.post(url("add"), {"file": upload("big.csv", big)})
    job = ImportJob.objects.get()
    page = admin_client.get(url("preview", job.pk)).content.decode()
    assert 'id="preview-partial"' in page
    assert "are for the first 1000 rows only" in page
    assert 'id="preview-total">1000<' in page


def test_a_bad_file_shows_its_message_and_stores_nothing(admin_client, upload):
    response = admin_client.post(url("add"), {"file": upload("x.xlsx", b"%PDF-1.7 ...")})
    assert response.status_code == 200
    assert "is a PDF, not a spreadsheet" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_limit_is_refused_with_a_clear_message(admin_client, upload, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "MAX_UPLOAD_MB": 1}
    big = "First Name,Cell\n" + "Ann,4155552671\n" * 80_000
    response = admin_client.post(url("add"), {"file": upload("big.csv", big)})
    assert "the largest file you can import is 1 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_a_mapping_error_is_shown_and_nothing_changes(admin_client, upload):
    admin_client.post(url("add"), {"file": upload("leads.csv", CSV)})
    job = ImportJob.objects.get()
    form = {f"col_{i}": "first_name" for i in range(len(job.headers))}
    page = admin_client.post(url("mapping", job.pk), form).content.decode()
    assert "First name is mapped from more than one column" in page


@pytest.mark.parametrize("name", ["add", "mapping", "preview", "progress", "progress_json"])
def test_agents_cannot_import(agent_client, admin_user, upload, name):
    from leads.imports.services import import_job_create

    job = import_job_create(file=upload("leads.csv", CSV), name="leads.csv", user=admin_user)
    response = agent_client.get(url(name) if name == "add" else url(name, job.pk))
    assert response.status_code == 403


def test_agents_cannot_start_an_import(agent_client, admin_user, upload):
    from leads.imports.services import import_job_create

    job = import_job_create(file=upload("leads.csv", CSV), name="leads.csv", user=admin_user)
    assert agent_client.post(url("preview", job.pk)).status_code == 403
    assert Lead.objects.count() == 0


def test_superuser_can_open_the_upload_page(client, superuser):
    client.force_login(superuser)
    assert client.get(url("add")).status_code == 200
    assert client.get(reverse("admin:leads_importjob_changelist")).status_code == 200


def test_a_stalled_job_offers_resume(admin_client, admin_user, upload):
    from leads.imports.services import import_job_create

    job = import_job_create(file=upload("leads.csv", CSV), name="leads.csv", user=admin_user)
    ImportJob.objects.filter(pk=job.pk).update(status="failed", error="worker lost")
    page = admin_client.get(url("progress", job.pk)).content.decode()
    assert 'id="job-resume-form"' in page
    admin_client.post(url("resume", job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert Lead.objects.count() == 2


def test_an_importer_who_may_not_opt_out_is_told_on_the_mapping_page(importer_client, upload):
    importer_client.post(url("add"), {"file": upload("leads.csv", CSV)})
    job = ImportJob.objects.get()

    page = importer_client.get(url("mapping", job.pk)).content.decode()
    assert 'id="mapping-errors"' in page
    assert "Column &quot;SMS Opt Out&quot; is mapped to SMS Opt Out" in page

    form = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    page = importer_client.post(url("mapping", job.pk), form).content.decode()
    assert "ivy may not opt phone numbers out" in page

    # Straight to the preview or the start: sent back to the mapping, nothing imported.
    response = importer_client.get(url("preview", job.pk), follow=True)
    assert response.redirect_chain[0][0] == url("mapping", job.pk)
    response = importer_client.post(url("preview", job.pk))
    assert response.url == url("mapping", job.pk)
    job.refresh_from_db()
    assert job.status == "draft" and Lead.objects.count() == 0

    form[f"col_{job.headers.index('SMS Opt Out')}"] = "ignore"
    assert importer_client.post(url("mapping", job.pk), form).url == url("preview", job.pk)
    assert importer_client.post(url("preview", job.pk)).url == url("progress", job.pk)
    assert Lead.objects.count() == 2 and OptOut.objects.count() == 0
