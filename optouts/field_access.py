"""Who reads which field of the API's answers: the one table, and what applies it.

Every field of every answer's serializer is classified in FIELD_ACCESS, by the serializer's
module and qualified name: `everyone` (every caller the endpoint admits) or `admin` (only callers
who may read the opt-out report: the Admins group and superusers, the same check as the report,
a number's history page and its evidence export). A consent event's `details` is read by
everyone except for the keys the pages keep for admins (EVENT_DETAIL_KEYS): the reason an admin
gave for an opt-in, done or refused (`note` on those events), the contact's consent evidence
(`consent_evidence`) and who asked (`requested_by`, on opt-ins and on the contact's requests
staff recorded). The lead page's consent history applies the same key rule.

Unclassified fields and keys are for admins only (fail closed), and
tests/velocify_sms/test_api_field_access.py fails for every field of an answer not classified
here and for every serializer with a field not for everyone that does not apply the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from drf_spectacular.extensions import OpenApiSerializerExtension

from optouts.models import EventAction
from optouts.permissions import user_can_view_report


class Access(StrEnum):
    EVERYONE = "everyone"
    ADMIN = "admin"
    # A consent event's `details`: everyone reads it, without the keys EVENT_DETAIL_KEYS keeps
    # for admins.
    EVENT_DETAILS = "event_details"
    # A key of `details` only admins read on an admin's opt-in event (done or refused) and
    # everyone on the other events: there `note` is the agent's, the import's or the system's,
    # or why an admin dismissed a possible revocation (its inbox item shows agents that too).
    ADMIN_ON_OPT_IN = "admin_on_opt_in"


def _everyone(*names: str) -> dict[str, Access]:
    return dict.fromkeys(names, Access.EVERYONE)


FIELD_ACCESS: dict[str, dict[str, Access]] = {
    "optouts.apis.OptOutApi.OptOutOutputSerializer": _everyone("results"),
    "optouts.apis.OptOutResultSerializer": _everyone("input", "phone_number", "outcome", "source"),
    "optouts.apis.OptInApi.OptInOutputSerializer": _everyone("results"),
    "optouts.apis.OptInResultSerializer": _everyone(
        "input", "phone_number", "outcome", "source", "reason", "detail"
    ),
    "optouts.apis.PhoneNumberApi.PhoneNumberOutputSerializer": _everyone(
        "phone_number",
        "sms_opted_out",
        "source",
        "reason",
        "opted_out_at",
        "can_opt_in",
        "autodialed_calls_allowed",
        "calls_reason",
        "history",
    ),
    "optouts.apis_calls.CallConsentApi.CallConsentOutputSerializer": _everyone("results"),
    "optouts.apis_calls.CallConsentResultSerializer": _everyone(
        "input", "phone_number", "autodialed_calls_allowed", "sms_opted_out", "reason", "detail"
    ),
    "optouts.apis.ConsentEventOutputSerializer": {
        **_everyone(
            "action", "source", "previous_source", "channel", "actor", "lead", "created_at"
        ),
        "details": Access.EVENT_DETAILS,
    },
    # The list row's note is the opt-out's (an opt-in removes the row): the agent's own words.
    "optouts.apis.OptOutListApi.OptOutListOutputSerializer": _everyone(
        "phone_number",
        "source",
        "reason",
        "channel",
        "opted_out_at",
        "actor",
        "lead",
        "note",
        "can_opt_in",
    ),
    "optouts.apis_account.MeApi.MeOutputSerializer": _everyone(
        "username", "can_opt_out", "can_opt_in", "can_view_opt_out_list"
    ),
    "optouts.messaging.apis.MessageOutputSerializer": _everyone(
        "id",
        "to",
        "body",
        "lead",
        "status",
        "provider_id",
        "error_code",
        "reason_code",
        "reason",
        "held_until",
        "created_at",
        "sent_at",
    ),
    "leads.apis.LeadOutputSerializer": _everyone(
        "id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "company",
        "status",
        "assigned_agent",
        "state",
        "time_zone",
        "phones",
        "sms_opt_out",
        "textable_phones",
        "created_at",
        "updated_at",
    ),
    "leads.apis.LeadPhoneSerializer": _everyone("number", "kind"),
    "velocify_sms.api_errors.ErrorSerializer": _everyone("code", "detail", "errors"),
}

# Answers written without a serializer, by view: only admins' requests reach them (the view's
# permission), which the test checks by calling each as an agent.
UNSERIALIZED_ANSWERS: dict[str, Access] = {
    "optouts.evidence.apis.PhoneEvidenceApi": Access.ADMIN,
    "leads.imports.apis.ImportJobCreateApi": Access.ADMIN,
    "leads.imports.apis.ImportJobDetailApi": Access.ADMIN,
}

# The keys the services write into a consent event's `details`.
EVENT_DETAIL_KEYS: dict[str, Access] = {
    "note": Access.ADMIN_ON_OPT_IN,
    "consent_evidence": Access.ADMIN,
    "requested_by": Access.ADMIN,
    # A refused opt-in's reason, or what the carrier reported: both also in the answer's fields.
    "reason": Access.EVERYONE,
    # The API client (optouts.apis).
    **_everyone("api_auth", "user_agent"),
    # How staff recorded the contact's own request (the lead page, the API).
    "recorded_through": Access.EVERYONE,
    # The contact's text (inbound keyword, possible revocation, its review or deadline).
    **_everyone(
        "text",
        "message_sid",
        "opt_out_type",
        "leading_stop_word",
        "possible_stop_word",
        "possible_opt_out",
        "decided",
        "applied",
        "deadline",
        "keyword",
    ),
    # The carrier's report and the message it was about; an unreachable hold and its end.
    **_everyone("error_code", "provider_status", "message_id", "on"),
    **_everyone("at", "failures", "renewed", "why"),
    # Imports of numbers and leads, and the demo data.
    **_everyone("import_file", "import_job", "demo"),
}
ADMIN_OPT_IN_ACTIONS = frozenset({EventAction.OPT_IN, EventAction.OPT_IN_REFUSED})
EVENT_DETAILS_ADMIN_SENTENCE = (
    "Only admins receive `consent_evidence`, `requested_by` (who asked), and `note` on "
    "`opt_in` and `opt_in_refused` events (the admin's reason); other callers get the other "
    "keys, and a key not listed in the app reaches admins only."
)


def serializer_label(*, serializer) -> str:
    """The key of a serializer (class or instance) in FIELD_ACCESS: module and qualified name."""
    cls = serializer if isinstance(serializer, type) else type(serializer)
    return f"{cls.__module__}.{cls.__qualname__}"


def field_access(*, serializer, field: str) -> Access | None:
    """How a serializer's field is classified; None when it is not (read as admin-only)."""
    return FIELD_ACCESS.get(serializer_label(serializer=serializer), {}).get(field)


def user_reads_admin_fields(*, user) -> bool:
    """Whether `user` reads what only admins read: the opt-out report's permission, the check
    of the pages that show it (the report, a number's history page, the evidence export)."""
    return user_can_view_report(user)


def detail_key_access(*, key: str, action: str) -> Access:
    """Who reads `key` of the `details` of a consent event with this action."""
    access = EVENT_DETAIL_KEYS.get(key, Access.ADMIN)
    if access == Access.ADMIN_ON_OPT_IN:
        # Fail closed: only the events known not to be an admin's opt-in show it to everyone.
        known_other = action in EventAction.values and action not in ADMIN_OPT_IN_ACTIONS
        return Access.EVERYONE if known_other else Access.ADMIN
    return access


def event_details_readable(*, details: Mapping, action: str, user) -> dict:
    """The keys of a consent event's `details` that `user` reads (every key for an admin)."""
    if user_reads_admin_fields(user=user):
        return dict(details)
    return {
        key: value
        for key, value in details.items()
        if detail_key_access(key=key, action=action) == Access.EVERYONE
    }


def answer_readable(*, serializer, data: dict, instance, user) -> dict:
    """`data` (one serialized object) without what `user` may not read: fields not classified
    for everyone, and the admins' keys of a consent event's `details`."""
    if user_reads_admin_fields(user=user):
        return data
    for name in list(data):
        access = field_access(serializer=serializer, field=name)
        if access == Access.EVENT_DETAILS and isinstance(data[name], Mapping):
            action = getattr(instance, "action", "")
            data[name] = event_details_readable(details=data[name], action=action, user=user)
        elif access != Access.EVERYONE:
            del data[name]
    return data


class FieldAccessMixin:
    """For an answer's serializer: each object it writes carries only what the request's user
    reads (FIELD_ACCESS). The view passes `context={"request": request}`; without a request
    nothing only for admins is written."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return answer_readable(serializer=self, data=data, instance=instance, user=user)


class FieldAccessSchema(OpenApiSerializerExtension):
    """The schema says what only admins read: `x-admin-only` on such a field (which is then
    not required), and on `details` the keys only admins receive (`x-admin-only-keys`)."""

    target_class = FieldAccessMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "response":
            return schema
        for name, field_schema in schema.get("properties", {}).items():
            access = field_access(serializer=self.target, field=name)
            if access == Access.EVENT_DETAILS:
                keys = sorted(k for k, a in EVENT_DETAIL_KEYS.items() if a != Access.EVERYONE)
                field_schema["x-admin-only-keys"] = keys
                field_schema["description"] = (
                    field_schema.get("description", "") + " " + EVENT_DETAILS_ADMIN_SENTENCE
                ).strip()
            elif access != Access.EVERYONE:
                field_schema["x-admin-only"] = True
                field_schema["description"] = (
                    "Admins only. " + field_schema.get("description", "")
                ).strip()
                if name in schema.get("required", []):
                    schema["required"].remove(name)
                    if not schema["required"]:
                        del schema["required"]
        return schema
