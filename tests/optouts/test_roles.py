"""The group table: the core grants plus every table an AppConfig registered."""

from leads.roles import LEAD_GRANTS
from optouts.messaging.roles import MESSAGING_GRANTS
from optouts.roles import GROUPS, all_grants, grants_register


def test_all_grants_holds_the_core_and_the_tables_the_apps_registered_in_ready():
    grants = all_grants()
    for table in (GROUPS, MESSAGING_GRANTS, LEAD_GRANTS):
        for group, per_app in table.items():
            for app_label, codenames in per_app.items():
                assert set(codenames) <= set(grants[group][app_label]), (group, app_label)


def test_the_consent_core_grants_only_its_own_app():
    assert {app for per_app in GROUPS.values() for app in per_app} == {"optouts"}
    assert {app for per_app in LEAD_GRANTS.values() for app in per_app} == {"leads"}


def test_registering_a_table_twice_grants_each_permission_once():
    before = all_grants()
    grants_register(MESSAGING_GRANTS)
    assert all_grants() == before
    assert all_grants()["Agents"]["optouts"].count("send_sms") == 1
