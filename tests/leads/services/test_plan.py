"""The lead writer's decisions, made before anything is written (the writer and the preview)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from leads.models import Lead
from leads.services.plan import LeadRow, leads_plan, leads_plan_keys, opt_outs_plan, phones_wanted


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
