"""Reads of leads, always with the computed SMS Opt-Out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Prefetch, Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from leads.models import Lead, LeadPhone
from optouts.call_consent import CallConsent, phones_call_consent
from optouts.selectors import PhoneStatus, phones_status
from optouts.services import opt_out_explanation
from velocify_sms.phones import phone_display, phone_search_parse


def lead_list(*, sms_opt_out: bool | None = None, textable: bool | None = None) -> QuerySet[Lead]:
    """Leads with `sms_opt_out`, `textable_phones` and `phone_count` annotated in the query, and
    their phones prefetched. `textable`: only leads with at least one number that may be texted
    now (True), or with none (False)."""
    queryset = (
        Lead.objects.with_sms_opt_out()
        .with_textable_phones()
        .select_related("assigned_agent")
        .prefetch_related(Prefetch("phones", queryset=LeadPhone.objects.order_by("id")))
    )
    if sms_opt_out is not None:
        queryset = queryset.filter_sms_opt_out(sms_opt_out)
    if textable is True:
        queryset = queryset.filter(textable_phones__gt=0)
    elif textable is False:
        queryset = queryset.filter(textable_phones=0)
    return queryset


@dataclass(frozen=True)
class LeadPhoneConsent:
    """One phone of a lead with its place on the opt-out list and the other leads sharing it."""

    phone: LeadPhone
    status: PhoneStatus
    other_leads: list[Lead] = field(default_factory=list)
    calls: CallConsent | None = None  # revoke-all: may autodialed calls be placed to it

    @property
    def number_display(self) -> str:
        return phone_display(self.phone.number)

    @property
    def undo(self) -> str:
        """What it takes to opt this number back in, in the words of the rules."""
        if not self.status.sms_opted_out:
            return ""
        return opt_out_explanation(source=self.status.source)


def lead_phones_consent(*, lead: Lead) -> list[LeadPhoneConsent]:
    """The consent status of each of a lead's phones, in five queries whatever their number."""
    phones = list(LeadPhone.objects.filter(lead=lead).order_by("id"))
    numbers = [p.number for p in phones]
    statuses = phones_status(numbers=numbers)
    others: dict[str, list[Lead]] = {n: [] for n in numbers}
    sharing = (
        LeadPhone.objects.filter(number__in=numbers)
        .exclude(lead=lead)
        .select_related("lead")
        .order_by("lead_id")
    )
    for shared in sharing:
        others[shared.number].append(shared.lead)
    calls = phones_call_consent(numbers=numbers)
    return [
        LeadPhoneConsent(p, statuses[p.number], others[p.number], calls[p.number]) for p in phones
    ]


def lead_ids_existing(*, ids: Iterable[int | None]) -> set[int]:
    """Those of `ids` whose lead still exists, in one query.

    Consent events keep the id of a lead that was later deleted (history is never rewritten);
    the lead page links only the ones still there.
    """
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    return set(Lead.objects.filter(pk__in=wanted).values_list("pk", flat=True))


# What a phone number looks like when typed: digits and the usual separators, maybe a leading +.
_TEXT_FIELDS = ("first_name", "last_name", "email", "company")


# The lead list sorts the leads of a phone search itself up to this many (leads/changelist.py).
SEARCH_FEW_PHONES = 20_000


def lead_search(*, queryset: QuerySet[Lead], term: str) -> QuerySet[Lead]:
    """Narrow `queryset` to the leads `term` finds: the one search of the lead list page and of
    the lead API (`?search=`).

    A term that looks like a phone number (digits and separators, at least 3 digits) searches
    phones only (see phones_matching), plus an external id equal to the term; it skips the name
    columns so that it stays an index lookup at millions of leads. Any other term matches leads
    whose name, email or company contains each of its words (quotes keep a phrase together, as
    in the admin), or whose external id is the term.
    """
    text = term.strip()
    if not text:
        return queryset
    phones = phones_matching(term=text)
    if phones is None:
        return queryset.filter(_text_condition(text) | Q(external_id=text))
    # Two IN lists rather than one OR inside the query: PostgreSQL turns `id IN (phones)` into
    # an index join, but an OR with another condition into a scan of every lead.
    by_external_id = list(Lead.objects.filter(external_id=text).values_list("pk", flat=True))
    return queryset.filter(Q(pk__in=phones.values("lead_id")) | Q(pk__in=by_external_id))


def phones_matching(*, term: str) -> QuerySet[LeadPhone] | None:
    """The phones a typed `term` finds, or None if `term` is not a phone search (the rule is
    velocify_sms.phones.phone_search_parse, shared with the opt-out report). Both lookups are
    index range scans: `number` and the reversed `number_reversed` (LIKE 'x%')."""
    search = phone_search_parse(term)
    if search is None:
        return None
    if search.exact:
        return LeadPhone.objects.filter(number=search.exact)
    condition = Q(number__startswith=search.prefix)
    if search.suffix:
        condition |= Q(number_reversed__startswith=search.suffix[::-1])
    return LeadPhone.objects.filter(condition)


def _text_condition(text: str) -> Q:
    """Each word (or "quoted phrase") in one of the text columns, as the admin's search does."""
    condition = Q()
    for word in smart_split(text):
        if len(word) >= 2 and word[0] in "\"'" and word[-1] == word[0]:
            word = unescape_string_literal(word)
        either = Q()
        for name in _TEXT_FIELDS:
            either |= Q(**{f"{name}__icontains": word})
        condition &= either
    return condition


# --- The lead list at millions of leads (leads/changelist.py) -------------------------------


def lead_count_estimate(*, using: str = "default") -> int:
    """PostgreSQL's estimate of the number of leads (pg_class.reltuples, kept by ANALYZE and
    autovacuum), 0 where there is none (SQLite, a table never analysed)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [Lead._meta.db_table],
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def lead_agents_with_leads(*, limit: int, including: str | int | None = None) -> list[tuple]:
    """[(user id, username)] of the users that have leads assigned, at most `limit` of them (the
    first by id), by username, plus the user `including` (a filter's chosen value).

    One step of the assigned_agent index per agent (a "loose index scan": the next agent id above
    the last one found), never a DISTINCT over every lead. Asking from the users' side does not
    do: PostgreSQL estimates that a user with no lead has the million of the one who has them and
    reads the whole table to find none.
    """
    table = connections[Lead.objects.db].ops.quote_name(Lead._meta.db_table)
    sql = (
        "WITH RECURSIVE agents(id) AS ("  # noqa: S608 - the table name only
        f" SELECT MIN(assigned_agent_id) FROM {table}"
        " UNION ALL"
        f" SELECT (SELECT MIN(l.assigned_agent_id) FROM {table} l"
        " WHERE l.assigned_agent_id > agents.id)"
        " FROM agents WHERE agents.id IS NOT NULL"
        ") SELECT id FROM agents WHERE id IS NOT NULL LIMIT %s"
    )
    with connections[Lead.objects.db].cursor() as cursor:
        cursor.execute(sql, [limit])
        ids = [row[0] for row in cursor.fetchall()]
    try:
        chosen = int(including) if including not in (None, "") else None
    except (TypeError, ValueError):
        chosen = None
    if chosen is not None and 0 < chosen < 2**63 and chosen not in ids:
        ids.append(chosen)  # shown as chosen even past the limit (an empty list then says why)
    User = get_user_model()
    users = User.objects.filter(pk__in=ids).order_by(User.USERNAME_FIELD)
    return [(user.pk, str(user)) for user in users]
