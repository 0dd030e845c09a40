from __future__ import annotations

from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    """Why a number is on the list. Order is strength: a stronger source is never downgraded."""

    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"
    CONTACT = "contact", "Contact"


SOURCE_RANK = {Source.AGENT: 1, Source.SYSTEM: 2, Source.CONTACT: 3}


class Channel(models.TextChoices):
    """How a request reached the system (docs/rules.md, "Channels")."""

    UI = "ui", "Lead page"
    REPORT = "report", "Opt-out report"
    API = "api", "API"
    IMPORT = "import", "Import"
    KEYWORD = "keyword", "Inbound SMS keyword"
    CARRIER = "carrier", "Carrier / provider"
    # The contact's own words, not a keyword: an inbound SMS read for intent, or said to a person
    # (phone call, email, in person) and recorded by staff.
    SMS = "sms", "Inbound SMS (the contact's words)"
    CALL = "call", "Phone call with the contact"
    EMAIL = "email", "Email from the contact"
    IN_PERSON = "in_person", "In person with the contact"


# The channels a contact's own request arrives through; the three a person records it from.
CONTACT_CHANNELS = frozenset(
    {Channel.KEYWORD, Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.IN_PERSON}
)
SPOKEN_CHANNELS = frozenset({Channel.CALL, Channel.EMAIL, Channel.IN_PERSON})


class CarrierReason(models.TextChoices):
    """Why the carrier or provider reported a number (system opt-outs only; blank for the rest,
    and for a plain carrier-side opt-out such as Twilio's 21610). The codes that map to each are
    in optouts/messaging/carrier_codes.py."""

    UNREACHABLE = "unreachable", "unreachable"
    UNKNOWN = "unknown", "unknown number"
    LANDLINE = "landline", "landline"


class OptOut(models.Model):
    """The opt-out list: one row per number; a number absent from it is opted in."""

    phone_number = models.CharField(max_length=16, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    opted_out_at = models.DateTimeField()
    # Who and which lead, as they were: plain ids plus how they were named then, no foreign key,
    # so deleting a user or a lead never rewrites the list or its history (docs/decisions.md).
    # actor_id is auth.User's integer pk, lead_id Lead's bigint. db_default: a raw COPY that
    # leaves a label out (the benchmarks' list loads) stores "" instead of failing.
    actor_id = models.IntegerField("actor id", null=True, blank=True)
    actor_label = models.TextField("actor", blank=True, default="", db_default="")
    lead_id = models.BigIntegerField("lead id", null=True, blank=True)
    lead_label = models.TextField("lead", blank=True, default="", db_default="")
    note = models.TextField(blank=True)
    # What the carrier said about a system opt-out, so an admin can tell "revoked" from
    # "unreachable"; db_default for raw inserts that leave it out.
    reason = models.CharField(
        max_length=20, choices=CarrierReason.choices, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["-opted_out_at", "-id"]
        verbose_name = "opt-out"
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="optout_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="optout_channel_valid"
            ),
            # A reason only on a system row: a contact's STOP over a "landline" row clears it.
            models.CheckConstraint(
                condition=Q(reason="") | Q(source=Source.SYSTEM, reason__in=CarrierReason.values),
                name="optout_reason_valid",
            ),
        ]
        indexes = [
            # Prefix search (`LIKE '+1415%'`) can use a btree only with pattern ops on PostgreSQL;
            # other databases ignore opclasses and keep the unique index for it.
            models.Index(
                fields=["phone_number"],
                name="optout_number_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["opted_out_at"], name="optout_opted_out_at_idx"),
            models.Index(fields=["source", "opted_out_at"], name="optout_source_time_idx"),
        ]
        permissions = [
            ("opt_out_phone", "Can opt a phone number out of SMS"),
            ("opt_in_phone", "Can opt a phone number back in to SMS"),
            ("view_optout_report", "Can view the opt-out report"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_number} ({self.get_source_display()})"

    @property
    def source_label(self) -> str:
        """The source in words, with the carrier's reason when there is one: "System · landline"."""
        return source_label(source=self.source, reason=self.reason)


def source_label(*, source: str, reason: str = "") -> str:
    """ "Agent", "Contact", "System", or "System · landline" when the carrier gave a reason."""
    label = Source(source).label if source in Source.values else source
    if reason:
        label = (
            f"{label} · {CarrierReason(reason).label if reason in CarrierReason.values else reason}"
        )
    return label


class OptOutDay(models.Model):
    """The list's daily roll-up: how many numbers now on it were opted out on `day` by `source`.

    `day` is the calendar day of `opted_out_at` in the site's time zone (TIME_ZONE). The consent
    services keep it in the same transaction as each change (optouts.services.rollup), so the
    report's summary and chart read a few thousand rows instead of the whole list. A writer that
    loads OptOut rows itself must call optout_rollup_add or optout_rollup_rebuild; after a change
    of TIME_ZONE, run `manage.py optout_rollup_rebuild`.
    """

    day = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices)
    # Zero once every number of the day and source left the list; readers skip such rows.
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = "opt-outs of a day"
        constraints = [
            models.UniqueConstraint(fields=["day", "source"], name="optoutday_day_source_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source}: {self.count}"


class EventAction(models.TextChoices):
    OPT_OUT = "opt_out", "Opted out"
    OPT_IN = "opt_in", "Opted in"
    OPT_IN_REFUSED = "opt_in_refused", "Opt-in refused"
    # Not list changes, but the number's consent story all the same (docs/rules.md): a text that
    # may revoke consent waits for a person (no SMS meanwhile); an admin dismissed one; the
    # carrier keeps failing to reach the number, so texts stop without an opt-out, or it is
    # reachable again.
    REVOCATION_PENDING = "revocation_pending", "Possible revocation: texts paused for review"
    REVOCATION_DISMISSED = "revocation_dismissed", "Possible revocation dismissed"
    UNREACHABLE_HOLD = "unreachable_hold", "Unreachable: texts on hold"
    UNREACHABLE_CLEARED = "unreachable_cleared", "Reachable again: hold lifted"


APPEND_ONLY = "Consent events are append-only: an event is never updated or deleted."


class AppendOnlyError(ValueError):
    """An attempt to rewrite or delete a consent event through the ORM."""

    def __init__(self) -> None:
        super().__init__(APPEND_ONLY)


class ConsentEventQuerySet(models.QuerySet):
    """Refuses every ORM path that rewrites or deletes events in bulk.

    Model.save()/delete() refuse single events below. Below the ORM, triggers refuse raw UPDATE
    and DELETE on PostgreSQL and SQLite, and TRUNCATE on PostgreSQL (migrations 0004, 0007 and
    0015), except sealing an empty chain hash once.
    """

    def update(self, **kwargs):
        raise AppendOnlyError()

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError()

    bulk_update.alters_data = True

    def delete(self):
        raise AppendOnlyError()

    delete.alters_data = True
    delete.queryset_only = True


class ConsentEvent(models.Model):
    """Append-only audit trail: every change to the list and every refused opt-in."""

    Action = EventAction

    phone_number = models.CharField(max_length=16)
    action = models.CharField(max_length=20, choices=EventAction.choices)
    # For an opt-out, the source it set; for an opt-in, the source it removed; for a refusal,
    # the source that blocked it (empty when the number was not on the list).
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    previous_source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # As on OptOut: ids and the names they had when the event was written, never rewritten.
    actor_id = models.IntegerField("actor id", null=True, blank=True)
    actor_label = models.TextField("actor", blank=True, default="", db_default="")
    lead_id = models.BigIntegerField("lead id", null=True, blank=True)
    lead_label = models.TextField("lead", blank=True, default="", db_default="")
    created_at = models.DateTimeField(db_index=True)
    details = models.JSONField(default=dict, blank=True)
    # The evidence chain (optouts/evidence/chain.py): sha256 of the previous event's hash and
    # this event's canonical form, written with the event by the services under the number's
    # lock. Empty only for an event written without it (a process older than migration 0007, a
    # raw bulk load) until `manage.py sms_evidence_seal` seals it; db_default so such inserts
    # still work.
    chain_hash = models.CharField(
        "chain hash", max_length=64, blank=True, default="", db_default="", editable=False
    )

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=EventAction.values), name="event_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=[*Source.values, ""]), name="event_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="event_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["phone_number", "id"], name="event_number_idx"),
            # Only events still waiting for their chain hash: tiny, and what sealing looks for.
            models.Index(
                fields=["phone_number", "id"],
                condition=Q(chain_hash=""),
                name="event_unsealed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone_number} {self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs) -> None:
        # The audit trail is evidence: an event, once written, is never rewritten by the app.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError()
