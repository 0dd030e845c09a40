"""The project's AdminSite: apps add pages through their ModelAdmins' site_urls/index_entries."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import path

from tests.factories import UserFactory
from velocify_sms.admin_site import VelocifyAdminSite

pytestmark = pytest.mark.django_db

ENTRY = {"name": "Role matrix", "object_name": "RoleMatrix", "admin_url": "/admin/auth/roles/"}


class GroupAdminWithAPage(admin.ModelAdmin):
    """A ModelAdmin that adds one page, listed only for users named alice."""

    def site_urls(self):
        return [path("auth/roles/", self.admin_site.admin_view(HttpResponse), name="auth_roles")]

    def index_entries(self, request):
        return [ENTRY] if request.user.username == "alice" else []


@pytest.fixture
def site():
    site = VelocifyAdminSite(name="test_admin")
    site.register(Group, GroupAdminWithAPage)
    return site


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _app(app_list, label):
    return next((app for app in app_list if app["app_label"] == label), None)


def test_admin_site_is_the_project_site():
    assert isinstance(admin.site, VelocifyAdminSite)


def test_site_urls_are_mounted_at_the_root_before_djangos_own(site):
    urls = site.get_urls()
    assert (str(urls[0].pattern), urls[0].name) == ("auth/roles/", "auth_roles")


def test_an_entry_goes_first_in_its_app(site):
    alice = UserFactory(username="alice", is_staff=True, is_superuser=True)

    auth = _app(site.get_app_list(_request(alice)), "auth")

    assert [model["name"] for model in auth["models"]] == ["Role matrix", "Groups"]
    assert auth["models"][0] == {
        **ENTRY,
        "perms": {"view": True},
        "add_url": None,
        "view_only": True,
    }


def test_a_user_who_sees_no_model_of_the_app_still_gets_the_app_for_the_entry(site):
    alice = UserFactory(username="alice", is_staff=True)

    auth = _app(site.get_app_list(_request(alice)), "auth")

    assert auth["name"] == "Authentication and Authorization"
    assert auth["app_url"] == "/admin/auth/"
    assert [model["name"] for model in auth["models"]] == ["Role matrix"]


def test_no_entry_when_the_hook_gives_none(site):
    bob = UserFactory(username="bob", is_staff=True)
    assert _app(site.get_app_list(_request(bob)), "auth") is None

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    auth = _app(site.get_app_list(_request(root)), "auth")
    assert [model["name"] for model in auth["models"]] == ["Groups"]


def test_an_app_page_lists_only_its_own_entries(site):
    alice = UserFactory(username="alice", is_staff=True)
    assert site.get_app_list(_request(alice), app_label="optouts") == []
    assert _app(site.get_app_list(_request(alice), app_label="auth"), "auth")["models"][0] == {
        **ENTRY,
        "perms": {"view": True},
        "add_url": None,
        "view_only": True,
    }


# --- Branding ----------------------------------------------------------------------


def test_the_header_and_tab_name_the_site(client):
    html = client.get("/admin/login/").content.decode()

    assert '<div id="site-name"><a href="/admin/">Velocify SMS</a></div>' in html
    assert "<title>Log in | Velocify SMS</title>" in html
    assert "Django administration" not in html


def test_the_name_follows_site_header(client, settings):
    settings.SITE_HEADER = "Acme Mortgage"

    html = client.get("/admin/login/").content.decode()

    assert '<div id="site-name"><a href="/admin/">Acme Mortgage</a></div>' in html
    assert "<title>Log in | Acme Mortgage</title>" in html


def test_the_index_is_the_dashboard_without_a_view_site_link(agent_client):
    html = agent_client.get("/admin/").content.decode()

    assert "<title>Dashboard | Velocify SMS</title>" in html
    assert "<h1>Dashboard</h1>" in html
    assert "View site" not in html
