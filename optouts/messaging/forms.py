from __future__ import annotations

from django import forms

from optouts.lead_directory import LEAD_ID_MAX, lead_exists
from optouts.messaging.services import MAX_BODY_LENGTH


class MessageSendForm(forms.Form):
    """The lead page's short send form (templates/admin/optouts/messaging/_send_form.html)."""

    to = forms.CharField(max_length=40, widget=forms.HiddenInput)
    body = forms.CharField(max_length=MAX_BODY_LENGTH, widget=forms.Textarea)
    lead = forms.IntegerField(
        required=False, min_value=1, max_value=LEAD_ID_MAX, widget=forms.HiddenInput
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_lead(self) -> int | None:
        lead_id = self.cleaned_data["lead"]
        if lead_id is not None and not lead_exists(lead_id):
            raise forms.ValidationError(f"There is no lead with id {lead_id}.", code="invalid")
        return lead_id
