import pytest

from apitokens.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_superuser_creates_a_token_and_sees_its_key_only_once(
    page, login, live_server, superuser, agent_user, screenshot
):
    login("root")
    page.goto(f"{live_server.url}/admin/apitokens/apitoken/add/")
    page.fill("#id_user", str(agent_user.pk))
    page.fill("#id_name", "web form")
    page.click("input[name=_save]")

    key = page.input_value("#api-token-key")
    assert ApiToken.objects.get().prefix == key[:8]
    assert "will not be shown again" in page.content()
    screenshot("api-token-created")

    page.click("text=Back to the tokens")
    # Wait for the list itself: content() read mid-navigation holds only the new page's head.
    page.wait_for_selector("#result_list")
    assert f"{key[:8]}…" in page.content()
    assert key not in page.content()
    screenshot("api-token-list")
