"""The project without the leads app: consent is kept per number and must work alone
(tests/optouts/test_without_leads.py runs `migrate`, `check` and the consent services with it)."""

from velocify_sms.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "leads"]  # noqa: F405
ROOT_URLCONF = "tests.urls_without_leads"
# The API schema names two leads enums; without the app there is nothing to name.
SPECTACULAR_SETTINGS = {  # noqa: F405
    **SPECTACULAR_SETTINGS,  # noqa: F405
    "ENUM_NAME_OVERRIDES": {
        name: path
        for name, path in SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}).items()  # noqa: F405
        if not path.startswith("leads.")
    },
}
