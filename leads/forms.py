"""Forms of the lead admin: they read what people type; leads.services does the writing."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from leads.models import Lead, LeadPhone
from velocify_sms.phones import InvalidPhoneNumber, phone_display, phone_normalize

# What the lead page edits. `sms_opt_out` is not here on purpose: it is computed from the opt-out
# list, so a posted value for it (an old bookmark, a forged form) is simply ignored.
LEAD_FORM_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "company",
    "status",
    "assigned_agent",
    "state",
    "time_zone",
]


class LeadForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "assigned_agent" in self.fields:
            # Leads are assigned to people who can log in to work them.
            self.fields["assigned_agent"].queryset = (
                get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
            )


class LeadPhoneForm(forms.ModelForm):
    """One phone row: any format in, E.164 out; a bad number is an error on its own row."""

    # Wider than the stored E.164 so "+1 (415) 555-2671 ext. 3" reaches the parser.
    number = forms.CharField(
        max_length=40,
        help_text="Any format: (415) 555-2671, +44 20 7946 0958. Stored as E.164.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    class Meta:
        model = LeadPhone
        fields = ["number", "kind"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.number:
            # The box shows the saved number as every page does; clean_number reads it back.
            self.initial["number"] = phone_display(self.instance.number)

    def clean_number(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["number"])
        except InvalidPhoneNumber as exc:
            raise ValidationError(str(exc), code="invalid_phone") from None


class LeadPhoneFormSet(forms.BaseInlineFormSet):
    """Two rows that are the same number in different formats are one error, not a crash."""

    def clean(self) -> None:
        super().clean()
        seen: dict[str, int] = {}
        for index, form in enumerate(self.forms):
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            number = form.cleaned_data.get("number")
            if not number:
                continue
            if number in seen:
                form.add_error(
                    "number",
                    ValidationError(
                        f"{phone_display(number)} is already in row {seen[number] + 1}.",
                        code="duplicate_phone",
                    ),
                )
            else:
                seen[number] = index

    def validate_unique(self) -> None:
        # clean() above reports repeats on the row; the model's (lead, number) constraint would
        # add a second, vaguer message for the same thing.
        return None

    def phones_wanted(self) -> list[dict]:
        """The phone set the lead should have after saving: kept and new rows, not deleted ones."""
        phones = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            number = form.cleaned_data.get("number")
            if number:
                phones.append({"number": number, "kind": form.cleaned_data.get("kind")})
        return phones
