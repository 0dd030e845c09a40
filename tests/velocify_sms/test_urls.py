"""The project's URL map: the bare address opens the admin (docs/decisions.md)."""

import pytest


def test_the_root_address_redirects_to_the_admin(client):
    response = client.get("/")

    assert response.status_code == 302  # temporary: browsers do not remember it
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_the_root_address_takes_someone_logged_out_to_the_login(client):
    response = client.get("/", follow=True)

    assert response.redirect_chain[-1] == ("/admin/login/?next=/admin/", 302)
    assert response.status_code == 200
