"""The lead writer's decisions, made before anything is written (the writer and the preview)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from leads.models import Lead
from leads.services import plan as plan_module
from leads.services.plan import (
    ON_MATCH_UPDATE,
    LeadContacts,
    LeadRow,
    leads_plan,
    leads_plan_keys,
    opt_outs_plan,
    phones_wanted,
)


def test_rows_name_stored_leads_by_id_else_by_external_id():
    rows = [
        LeadRow({"external_id": "X1"}, lead_id=7),
        LeadRow({"external_id": "X2"}),
        LeadRow({"external_id": "X3"}, create_only=True),
        LeadRow({"first_name": "Ann"}),
    ]
    assert leads_plan_keys(rows=rows) == ({7}, {"X2"})


def test_a_later_row_updates_the_lead_an_earlier_row_creates_or_the_stored_one():
    stored = SimpleNamespace(pk=5)
    rows = [
        LeadRow({"external_id": "X1", "first_name": "Ann"}),
        LeadRow({"external_id": "S", "first_name": "Sue"}),
        LeadRow({"external_id": "X1", "last_name": "Lee"}),
        LeadRow({"first_name": "Bo"}),
    ]
    plan = leads_plan(rows=rows, by_id={}, by_external_id={"S": stored})
    assert plan.created == [True, False, False, True]
    assert plan.new_leads == [
        {"external_id": "X1", "first_name": "Ann", "last_name": "Lee"},
        {"first_name": "Bo"},
    ]
    assert (plan.to_update, stored.first_name, plan.update_fields) == (
        {5: stored},
        "Sue",
        {"external_id", "first_name"},
    )
    assert [lead_id for _, lead_id in plan.row_leads([100, 101])] == [100, 5, 100, 101]


def test_a_row_naming_a_lead_that_is_not_stored_is_refused():
    with pytest.raises(Lead.DoesNotExist):
        leads_plan(rows=[LeadRow({}, lead_id=9)], by_id={}, by_external_id={})


def test_a_true_row_opts_out_its_phones_else_its_leads_for_the_first_rows_lead():
    a, b, c = "+14155552671", "+14155552672", "+12125550101"
    row_leads = [
        (LeadRow({}, phones=[(a, "mobile")], sms_opt_out=True), 1),
        (LeadRow({}, phones=None, sms_opt_out=True), 2),  # 2's phones come from a later row
        (LeadRow({}, phones=[(b, "home"), (a, "work")]), 2),
        (LeadRow({}, phones=None, sms_opt_out=True), 3),  # 3 keeps its stored phones
        (LeadRow({}, phones=None, sms_opt_out=False), 4),
    ]
    asked = []

    def stored(ids):
        asked.append(ids)
        return {3: [c, a]}

    wanted = phones_wanted(row_leads=row_leads)
    lead_of = opt_outs_plan(row_leads=row_leads, wanted=wanted, phones_stored=stored)
    assert lead_of == {a: 1, b: 2, c: 3}
    assert asked == [{3}]  # once, and only for the lead whose stored phones decide


def test_stored_phones_are_not_read_when_no_true_row_needs_them():
    row_leads = [(LeadRow({}, phones=None, sms_opt_out=False), 1)]
    lead_of = opt_outs_plan(
        row_leads=row_leads, wanted={}, phones_stored=lambda ids: pytest.fail("read")
    )
    assert lead_of == {}


def test_the_contact_index_is_built_only_once_a_row_is_matched_by_phone_or_email(monkeypatch):
    built = []

    class Counted(LeadContacts):
        def __init__(self, contacts):
            built.append(contacts)
            super().__init__(contacts)

    monkeypatch.setattr(plan_module, "LeadContacts", Counted)
    a, b = "+14155552671", "+14155552672"
    ann = {"external_id": "X1", "email": "Ann@example.com"}
    rows = [
        LeadRow(ann, [(a, "mobile")], phones_add=True),
        LeadRow({"external_id": "X2"}, [(b, "mobile")], phones_add=True),
    ]
    plan = leads_plan(rows=rows, by_id={}, by_external_id={}, on_match=ON_MATCH_UPDATE, contacts={})
    assert built == []  # every row has an external id: nothing is matched by contact
    # Asked for, it is what a row-by-row index would hold.
    assert plan.contacts == {(True, 0): ("ann@example.com", {a}), (True, 1): ("", {b})}
    assert len(built) == 1

    # Later rows without an external id find the leads the earlier rows made, as they left them.
    built.clear()
    rows += [
        LeadRow({"first_name": "Bo"}, [(b, "home")], phones_add=True),
        LeadRow({"email": "ANN@example.com", "last_name": "Lee"}),
    ]
    plan = leads_plan(rows=rows, by_id={}, by_external_id={}, on_match=ON_MATCH_UPDATE, contacts={})
    assert len(built) == 1
    assert plan.created == [True, True, False, False]
    assert [(ref, new) for _, ref, new in plan.refs] == [(0, True), (1, True), (1, True), (0, True)]
    assert plan.new_leads[0]["last_name"] == "Lee"
    assert plan.contacts == {(True, 0): ("ann@example.com", {a}), (True, 1): ("", {b})}
