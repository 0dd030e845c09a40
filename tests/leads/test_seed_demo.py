"""seed_demo (run by every `make run`): demo data goes only into an empty database, and a rerun
never changes existing rows or a number's consent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from leads.management.commands.seed_demo import DEMO_PASSWORD_HASHES
from leads.models import Lead
from leads.services import lead_update
from optouts.models import ConsentEvent, OptOut, Source
from optouts.selectors import phone_status
from tests.factories import LeadFactory, given_opt_in

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_a_first_run_makes_the_logins_leads_and_opt_outs_of_every_source(groups):
    out = seed()
    assert "50 demo leads added" in out
    assert "login admin / admin-demo-pass (Admins)" in out
    assert Lead.objects.filter(external_id__startswith="demo-").count() == 50
    assert set(OptOut.objects.values_list("source", flat=True)) == set(Source.values)
    assert ConsentEvent.objects.count() == OptOut.objects.count()


def test_a_second_run_leaves_an_opt_in_a_lead_edit_and_the_events_as_they_were(groups, admin_user):
    seed()
    number = OptOut.objects.filter(source=Source.AGENT).first().phone_number
    given_opt_in(number=number, actor=admin_user, note="customer called to opt back in")
    lead = Lead.objects.get(external_id="demo-001")
    lead_update(lead=lead, first_name="Edited", phones=[{"number": "+12125550199"}])
    events = ConsentEvent.objects.count()
    before = sorted(Lead.objects.values_list("id", "first_name", "updated_at"))

    out = seed()

    assert "Demo data already present; nothing changed." in out
    assert not phone_status(number=number).sms_opted_out
    assert ConsentEvent.objects.count() == events
    assert sorted(Lead.objects.values_list("id", "first_name", "updated_at")) == before
    assert list(lead.phones.values_list("number", flat=True)) == ["+12125550199"]


def test_existing_demo_users_keep_their_password_and_groups(groups):
    seed()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-by-the-owner")
    admin.save()
    admin.groups.clear()

    out = seed()

    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-owner")
    assert not admin.groups.exists()
    assert "login admin: existing user, password unchanged" in out


def test_no_demo_leads_are_added_to_a_database_that_has_leads(groups):
    LeadFactory(first_name="Real")
    out = seed()
    assert "The database already has leads" in out and "left as they are" in out
    assert Lead.objects.count() == 1 and not OptOut.objects.exists()
    assert get_user_model().objects.filter(username__in=["admin", "agent"]).count() == 2


def test_demo_opt_outs_skip_a_number_with_any_consent_history(groups, admin_user):
    seed()
    number = OptOut.objects.filter(source=Source.AGENT).first().phone_number
    given_opt_in(number=number, actor=admin_user, note="customer called to opt back in")
    Lead.objects.all().delete()  # an empty lead table again: the demo leads come back

    out = seed()

    assert "50 demo leads added" in out
    assert not phone_status(number=number).sms_opted_out
    assert ConsentEvent.objects.filter(phone_number=number).count() == 2  # out, then in


def test_the_ready_made_demo_hashes_are_those_of_the_demo_passwords(groups, settings):
    # Production's hasher (the tests' default is MD5, for speed): the kept hashes are used as is.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    seed()
    User = get_user_model()
    for username, password in (("admin", "admin-demo-pass"), ("agent", "agent-demo-pass")):
        user = User.objects.get(username=username)
        assert user.password == DEMO_PASSWORD_HASHES[password]
        assert user.check_password(password)


def test_with_another_hasher_the_demo_passwords_are_hashed_by_it(groups):
    seed()
    user = get_user_model().objects.get(username="agent")
    assert user.password.startswith("md5$")
    assert user.check_password("agent-demo-pass")


def test_with_migrate_it_migrates_first_in_the_same_process(groups):
    out = StringIO()
    call_command("seed_demo", "--migrate", stdout=out)
    assert "No migrations to apply" in out.getvalue() or "Operations to perform" in out.getvalue()
    assert "50 demo leads added" in out.getvalue()
