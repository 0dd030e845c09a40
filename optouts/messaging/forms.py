from __future__ import annotations

from django import forms

from leads.models import Lead
from optouts.messaging.services import MAX_BODY_LENGTH


class MessageSendForm(forms.Form):
    """The lead page's short send form (templates/admin/optouts/messaging/_send_form.html)."""

    to = forms.CharField(max_length=40, widget=forms.HiddenInput)
    body = forms.CharField(max_length=MAX_BODY_LENGTH, widget=forms.Textarea)
    lead = forms.ModelChoiceField(
        queryset=Lead.objects.all(), required=False, widget=forms.HiddenInput
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
