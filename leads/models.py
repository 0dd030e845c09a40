from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower, Now, Reverse

from optouts.lead_directory import LeadRef
from optouts.messaging.policy_rules import US_STATES

US_STATE_CHOICES = sorted(US_STATES.items(), key=lambda item: item[1])


def validate_time_zone(value: str) -> None:
    """An IANA time zone name such as America/Chicago."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{value!r} is not a time zone; use an IANA name such as America/Chicago.",
            code="invalid_time_zone",
        ) from None


def lead_listed() -> Exists:
    """TRUE for a lead (the outer query's row) with a number on the opt-out list: one EXISTS per
    lead (the unique (lead, number) index, then OptOut's unique phone_number), never a join."""
    from optouts.models import OptOut

    on_list = OptOut.objects.filter(phone_number=OuterRef("number"))
    return Exists(LeadPhone.objects.filter(lead_id=OuterRef("pk")).filter(Exists(on_list)))


class LeadQuerySet(models.QuerySet):
    def with_sms_opt_out(self) -> LeadQuerySet:
        """Annotate `sms_opt_out`: TRUE if any of the lead's numbers is on the opt-out list.

        One EXISTS per row inside the same query (index on LeadPhone.lead and on OptOut's unique
        phone_number), so a list of any length costs one query, not one per lead.
        """
        return self.annotate(sms_opt_out=lead_listed())

    def filter_sms_opt_out(self, value: bool) -> LeadQuerySet:
        """The leads whose `sms_opt_out` (annotated first) is `value`, read from the list itself.

        Not opted out also asks the stored hint (`sms_listed` false), which a partial index keeps:
        where nearly every lead has a number on the list, the few without one are found there
        instead of by reading every lead's phones against the list. The hint never decides on
        its own: a lead it lets through is still checked against the list."""
        if value:
            return self.filter(sms_opt_out=True)
        return self.filter(sms_listed=False, sms_opt_out=False)

    def with_textable_phones(self) -> LeadQuerySet:
        """Annotate `textable_phones`: how many of the lead's numbers may be texted now (none of
        them on the opt-out list, with a revocation waiting for review, or held as unreachable),
        and `phone_count`. Counted in the query (one sub-select each), never per row."""
        from optouts.messaging.models import (
            PossibleOptOut,
            PossibleOptOutStatus,
            UnreachableHold,
        )
        from optouts.models import OptOut

        number = OuterRef("number")
        blocked = (
            Exists(OptOut.objects.filter(phone_number=number))
            | Exists(
                PossibleOptOut.objects.filter(phone_number=number, status=PossibleOptOutStatus.OPEN)
            )
            | Exists(UnreachableHold.objects.filter(phone_number=number, retry_after__gt=Now()))
        )
        phones = LeadPhone.objects.filter(lead_id=OuterRef("pk")).order_by().values("lead_id")
        textable = phones.exclude(blocked).annotate(n=Count("id")).values("n")
        every = phones.annotate(n=Count("id")).values("n")
        return self.annotate(
            textable_phones=Coalesce(Subquery(textable), 0),
            phone_count=Coalesce(Subquery(every), 0),
        )


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    APPLICATION = "application", "Application"
    CLOSED = "closed", "Closed"
    LOST = "lost", "Lost"


class Lead(models.Model):
    Status = LeadStatus

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    company = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_leads",
    )
    # Lets a repeated import or API POST update the lead it made before instead of duplicating it.
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # Where the lead is, when known: the SMS send policy (quiet hours, state rules) uses the time
    # zone instead of the one its number's area code gives, and the state's rules on top of the
    # area code's (optouts.lead_directory.LeadLocation).
    # db_default: rows written without these columns (the lead import's COPY, a process still
    # on the previous release during a deploy) get "" rather than a NOT NULL error.
    state = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",
        choices=US_STATE_CHOICES,
        help_text="US state the lead lives in, if known: its texting rules apply too.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        validators=[validate_time_zone],
        help_text="IANA time zone (America/Chicago), if known: texts respect quiet hours there "
        "instead of in the time zone of the number's area code.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Whether one of the lead's numbers was on the opt-out list when last looked at: a hint for
    # the list's "Textable" filter only (LeadQuerySet.filter_sms_opt_out), never shown and never
    # the answer. Kept by the lead writer in the batch's own transaction and, after each change
    # of the list commits, for the leads with those numbers (leads.services.listed).
    sms_listed = models.BooleanField(default=False, db_default=False, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=LeadStatus.values), name="lead_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["", *US_STATES]), name="lead_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="lead_name_idx"),
            # The import matches a row's email without case.
            models.Index(Lower("email"), name="lead_email_lower_idx"),
            # The lead list's default order, and its pages by cursor (leads/changelist.py).
            models.Index(fields=["-created_at", "-id"], name="lead_newest_first_idx"),
            # The status filter in that order: a status no lead has is an empty range, not a
            # walk through every lead.
            models.Index(fields=["status", "-created_at", "-id"], name="lead_status_newest_idx"),
            # "Textable" in that order: at a million leads nearly all opted out, the few others.
            models.Index(
                fields=["-created_at", "-id"],
                name="lead_unlisted_newest_idx",
                condition=Q(sms_listed=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or f"Lead #{self.pk}"

    @property
    def ref(self) -> LeadRef:
        """How the consent core names this lead (optouts.lead_directory)."""
        return LeadRef(self.pk, str(self))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"
    OTHER = "other", "Other"


class LeadPhone(models.Model):
    Kind = PhoneKind

    # No index of its own: the unique (lead, number) index starts with the lead and serves every
    # look-up by lead; a second one only doubled the index work of each import batch.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="phones", db_index=False)
    # E.164, normalised by velocify_sms.phones.phone_normalize before it gets here.
    number = models.CharField(max_length=16, db_index=True)
    kind = models.CharField(max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    # The number backwards (`+14155550142` -> `24105555141+`), computed and stored by the
    # database on every insert and update, whoever writes the row (services, the import's COPY,
    # the seeders): "ends with 0142" becomes "starts with 2410", which a b-tree index answers
    # (leads.selectors.lead_search). Never written by the application.
    number_reversed = models.GeneratedField(
        expression=Reverse("number"),
        output_field=models.CharField(max_length=16),
        db_persist=True,
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            # varchar_pattern_ops (PostgreSQL only; ignored elsewhere) lets LIKE 'digits%' use
            # the index whatever the database's collation.
            models.Index(
                fields=["number_reversed"],
                name="leadphone_number_reversed_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead", "number"], name="leadphone_unique_per_lead"),
            models.CheckConstraint(
                condition=Q(kind__in=PhoneKind.values), name="leadphone_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(number__startswith="+"), name="leadphone_number_e164"
            ),
        ]

    def __str__(self) -> str:
        return self.number
