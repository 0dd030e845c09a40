import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_admin_logs_in_to_the_admin(page, login, live_server, admin_user, screenshot):
    login("alice")
    assert page.locator("#site-name").inner_text() == "Velocify SMS"
    screenshot("admin-index")
