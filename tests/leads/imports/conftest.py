from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def fixture_path():
    return lambda name: FIXTURES / name


@pytest.fixture
def upload():
    """upload("name.csv", b"...") or upload("leads_utf8.csv") for a committed fixture."""

    def make(name: str, content: bytes | str | None = None) -> SimpleUploadedFile:
        if content is None:
            content = (FIXTURES / name).read_bytes()
        if isinstance(content, str):
            content = content.encode()
        return SimpleUploadedFile(name, content)

    return make


@pytest.fixture
def groups(db):
    """The role groups plus the import grants (transactional tests flush what migrations made)."""
    from optouts.roles import roles_ensure

    roles_ensure()


@pytest.fixture
def importer_user(groups):
    """Ivy: may import leads (and work them) but holds no optouts.opt_out_phone."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(username="ivy", is_staff=True)
    codenames = ["import_leads", "add_lead", "view_lead", "add_importjob", "view_importjob"]
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="leads", codename__in=codenames)
    )
    return user


@pytest.fixture
def importer_client(client, importer_user):
    client.force_login(importer_user)
    return client
