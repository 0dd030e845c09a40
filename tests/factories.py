from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.models import Lead, LeadPhone
from optouts.models import Channel, ConsentEvent, OptOut, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-for-tests")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttributeSequence(lambda o, n: f"lead{n}@example.com")


class LeadPhoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadPhone

    lead = factory.SubFactory(LeadFactory)
    # +1 415 555 01xx..: valid US numbers, distinct per test object.
    number = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    kind = LeadPhone.Kind.MOBILE


class OptOutFactory(factory.django.DjangoModelFactory):
    """A row on the list without its event: for reads. Writes in tests go through the services."""

    class Meta:
        model = OptOut

    phone_number = factory.Sequence(lambda n: f"+1212555{n % 10000:04d}")
    source = Source.AGENT
    channel = Channel.UI
    opted_out_at = factory.LazyFunction(timezone.now)


class ConsentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentEvent

    phone_number = "+14155552671"
    action = ConsentEvent.Action.OPT_OUT
    source = Source.AGENT
    channel = Channel.UI
    created_at = factory.LazyFunction(timezone.now)


# --- Consent state for a test's set-up, through the intent services -----------------------------


def _staff_user():
    return UserFactory(username="consent-helper", is_staff=True, is_superuser=True)


def given_opt_out(
    *, number, source=Source.AGENT, channel=None, actor=None, lead=None, note="", details=None
):
    """Put `number` on the list with `source` the way a real request would (set-up only)."""
    from optouts.services import (
        STAFF_OPT_OUT_CHANNELS,
        phone_opt_out_by_carrier,
        phone_opt_out_by_contact,
        phones_opt_out_by_staff,
    )

    if source == Source.CONTACT:
        return phone_opt_out_by_contact(number=number, details=details)
    if source == Source.SYSTEM:
        return phone_opt_out_by_carrier(number=number, lead=_ref(lead), details=details)
    if channel not in STAFF_OPT_OUT_CHANNELS:
        channel = Channel.UI
    (result,) = phones_opt_out_by_staff(
        numbers=[number],
        user=actor or _staff_user(),
        channel=channel,
        lead=_ref(lead),
        note=note,
        details=details,
    )
    return result


def _ref(lead):
    """The consent services name a lead by its LeadRef; set-up code hands them a Lead."""
    return lead.ref if lead is not None else None


def given_opt_in(*, number, by="admin", channel=None, actor=None, lead=None, note="", details=None):
    """Opt `number` in as an admin (`by="admin"`) or the contact (`by="contact"`)."""
    from optouts.services import (
        ADMIN_OPT_IN_CHANNELS,
        phone_opt_in_by_contact,
        phones_opt_in_by_admin,
    )

    if by == "contact":
        return phone_opt_in_by_contact(number=number, details=details)
    if channel not in ADMIN_OPT_IN_CHANNELS:
        channel = Channel.UI
    (result,) = phones_opt_in_by_admin(
        numbers=[number],
        user=actor or _staff_user(),
        channel=channel,
        note=note or "test set-up",
        lead=_ref(lead),
        details=details,
    )
    return result
