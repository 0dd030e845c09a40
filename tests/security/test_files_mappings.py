"""Issue 13, the list of 500s: saved import mappings.

A saved mapping's JSON is checked where it is written (the admin's form, the API's `mapping`),
and a bad one already stored (an old row, a fixture, a hand edit in the database) never breaks a
later upload: the admin, the API and `import_leads --mapping` each answer with a clear message.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from leads.imports.models import ImportJob, ImportMapping

pytestmark = pytest.mark.django_db

ADD = "/admin/leads/importmapping/add/"
CSV = b"Who,Tel\nAnn,4155552671\n"
DEEP = "[" * 20_000 + "]" * 20_000  # under the length limit, past the recursion limit

BAD_SHAPES = [
    ('["first_name"]', "must be a JSON object"),
    ('"first_name"', "must be a JSON object"),
    ('{"Tel": ["phone:mobile"]}', "is not a field"),
    ('{"Tel": 5}', "is not a field"),
    ('{"Tel": "phone:fax"}', "is not a field"),
    ('{"Tel": {"x": "y"}}', "is not a field"),
    ('{"": "first_name"}', "is not a column name"),
    ('{"Tel": "phone:mobile", "TEL": "phone:home"}', "name the same column"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.parametrize(("columns", "message"), [*BAD_SHAPES, (DEEP, "nested too deeply")])
def test_the_admin_form_refuses_a_bad_mapping_shape(admin_client, columns, message):
    response = admin_client.post(ADD, {"name": "Vendor", "columns": columns})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportMapping.objects.exists()


def test_the_admin_form_saves_a_good_mapping(admin_client):
    response = admin_client.post(
        ADD, {"name": "Vendor", "columns": '{"Tel": "phone:work", "Who": "first_name"}'}
    )
    assert response.status_code == 302
    assert ImportMapping.objects.get().columns == {"Tel": "phone:work", "Who": "first_name"}


@pytest.mark.parametrize(
    "columns", [["first_name"], "first_name", {"Tel": ["phone:mobile"]}, {"Tel": {"a": 1}}]
)
@pytest.mark.parametrize("door", ["admin", "api", "cli"])
def test_a_bad_saved_mapping_never_breaks_an_upload(
    door, columns, admin_client, admin_api, tmp_path
):
    ImportMapping.objects.create(name="Broken", columns=columns)
    expected = "The saved mapping cannot be used"
    if door == "admin":
        response = admin_client.post(
            "/admin/leads/importjob/add/",
            {"file": SimpleUploadedFile("x.csv", CSV), "saved_mapping": "Broken"},
        )
        assert response.status_code == 200
        assert expected in response.content.decode()
    elif door == "api":
        response = admin_api.post(
            "/api/v1/leads/imports/",
            {"file": SimpleUploadedFile("x.csv", CSV), "mapping_name": "Broken"},
            format="multipart",
        )
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid_mapping"
        assert expected in response.json()["detail"]
    else:
        path = tmp_path / "x.csv"
        path.write_bytes(CSV)
        with pytest.raises(CommandError, match=expected) as caught:
            call_command("import_leads", str(path), "--mapping", "Broken")
        assert caught.value.returncode == 2
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [(DEEP, "nested too deeply"), ('{"Who": "first_name"' + ", " * 40_000 + "}", "at most")],
)
def test_the_api_refuses_a_mapping_it_cannot_read_with_a_400(admin_api, mapping, message):
    response = admin_api.post(
        "/api/v1/leads/imports/",
        {"file": SimpleUploadedFile("x.csv", CSV), "mapping": mapping},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert message in str(response.json())
    assert not ImportJob.objects.exists()
