"""POST /api/v1/leads/imports/ and GET /api/v1/leads/imports/<id>/."""

from __future__ import annotations

import json

import pytest

from leads.imports.models import ImportJob
from leads.models import Lead
from optouts.models import OptOut, Source
from tests.factories import given_opt_out

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads/imports/"
CSV = "Tel,Who,Stop\n4155552671,Ann,yes\n4155552672,Bo,nope\n"
MAPPING = json.dumps({"Tel": "phone:mobile", "Who": "first_name", "Stop": "sms_opt_out"})


def test_admin_posts_a_file_and_reads_the_job(admin_api, upload):
    response = admin_api.post(
        URL, {"file": upload("x.csv", CSV), "mapping": MAPPING}, format="multipart"
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "succeeded"  # the immediate task backend in tests
    assert (body["created"], body["numbers_opted_out"], body["rows_rejected"]) == (1, 1, 1)
    detail = admin_api.get(f"{URL}{body['id']}/").json()
    assert detail["errors"][0]["row"] == 3 and detail["errors"][0]["column"] == "Stop"
    assert OptOut.objects.filter(phone_number="+14155552671").exists()


def test_dry_run_writes_nothing(admin_api, upload):
    response = admin_api.post(
        URL,
        {"file": upload("x.csv", CSV), "mapping": MAPPING, "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["to_create"] == 1 and response.json()["complete"] is True
    assert Lead.objects.count() == 0 and ImportJob.objects.count() == 0


def test_a_dry_run_says_which_of_its_numbers_are_already_on_the_list(admin_api, upload):
    given_opt_out(number="+14155552671", source=Source.CONTACT)
    content = CSV + "4155552673,Cy,TRUE\n"
    body = {"file": upload("x.csv", content), "mapping": MAPPING, "dry_run": "true"}
    preview = admin_api.post(URL, body, format="multipart").json()
    assert (preview["numbers_to_opt_out"], preview["numbers_already_opted_out"]) == (2, 1)
    body = {"file": upload("x.csv", content), "mapping": MAPPING}
    job = admin_api.post(URL, body, format="multipart").json()
    assert job["numbers_opted_out"] == 2 - 1


def test_a_dry_run_out_of_time_answers_with_the_rows_it_checked(admin_api, upload, settings):
    settings.LEAD_IMPORT = {**settings.LEAD_IMPORT, "PREVIEW_SECONDS": 0}
    big = "Tel,Who,Stop\n" + "".join(f"41555{i:05d},N{i},\n" for i in range(1500))
    response = admin_api.post(
        URL,
        {"file": upload("x.csv", big), "mapping": MAPPING, "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["complete"], body["rows"], body["to_create"]) == (False, 1000, 1000)


def test_a_bad_file_is_a_400_with_a_code(admin_api, upload):
    response = admin_api.post(URL, {"file": upload("x.xlsx", b"%PDF-1.4")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_spreadsheet"


def test_a_bad_mapping_is_a_400(admin_api, upload):
    response = admin_api.post(
        URL,
        {"file": upload("x.csv", CSV), "mapping": json.dumps({"Tel": "fax"})},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_mapping"


def test_agents_get_403_and_nobody_401(agent_api, api_client, upload):
    assert (
        agent_api.post(URL, {"file": upload("x.csv", CSV)}, format="multipart").status_code == 403
    )
    assert api_client.get(f"{URL}1/").status_code == 401


@pytest.fixture
def importer_api(importer_user):
    from tests.conftest import token_client

    return token_client(importer_user)


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_an_opt_out_column_from_a_user_who_may_not_opt_out_is_a_403(importer_api, upload, dry_run):
    response = importer_api.post(
        URL,
        {"file": upload("x.csv", CSV), "mapping": MAPPING, "dry_run": dry_run},
        format="multipart",
    )
    assert response.status_code == 403, response.json()
    body = response.json()
    assert body["code"] == "opt_out_not_permitted"
    assert 'Column "Stop" is mapped to SMS Opt Out' in body["detail"]
    assert Lead.objects.count() == 0 and ImportJob.objects.count() == 0


def test_the_same_file_without_the_opt_out_column_imports(importer_api, upload):
    mapping = json.dumps({"Tel": "phone:mobile", "Who": "first_name"})
    response = importer_api.post(
        URL, {"file": upload("x.csv", CSV), "mapping": mapping}, format="multipart"
    )
    assert response.status_code == 202
    assert Lead.objects.count() == 2 and OptOut.objects.count() == 0
