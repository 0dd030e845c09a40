"""Forms of the admin import pages: upload, then one choice per column."""

from __future__ import annotations

from django import forms

from leads.imports.mapping import (
    TARGET_CHOICES,
    TARGETS,
    MappingError,
    mapping_from_json,
    mapping_shape_check,
)
from leads.imports.models import ImportMapping, ImportOnMatch
from leads.imports.selectors import import_mapping_list

DELIMITER_CHOICES = [("", "Detect"), (",", "Comma (,)"), (";", "Semicolon (;)"), ("\t", "Tab")]
ENCODING_CHOICES = [
    ("", "Detect"),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("cp1252", "Windows-1252 (Excel on Windows)"),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File", help_text="CSV (comma, semicolon or tab separated) or Excel .xlsx."
    )
    delimiter = forms.ChoiceField(label="CSV delimiter", choices=DELIMITER_CHOICES, required=False)
    encoding = forms.ChoiceField(label="CSV encoding", choices=ENCODING_CHOICES, required=False)
    sheet = forms.CharField(
        label="Excel sheet",
        required=False,
        max_length=100,
        help_text="Leave empty for the first sheet.",
    )
    saved_mapping = forms.ModelChoiceField(
        label="Saved mapping",
        queryset=None,
        required=False,
        empty_label="Guess from the headers",
        to_field_name="name",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_mapping"].queryset = import_mapping_list()


class ImportOnMatchForm(forms.Form):
    on_match = forms.ChoiceField(
        label="Rows that match a lead",
        choices=ImportOnMatch.choices,
        required=False,  # left out: the job's choice stays
        help_text="A row matches a lead by External ID, else by a phone number, else by email.",
    )


class ImportMappingForm(ImportOnMatchForm):
    """One `col_<n>` choice per column, prefilled; the choice for rows matching a lead; an
    optional name to save the mapping."""

    save_as = forms.CharField(
        label="Save this mapping as",
        required=False,
        max_length=100,
        help_text="Optional: reuse it for the next file here or with import_leads --mapping NAME.",
    )

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], on_match: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on_match"].initial = on_match
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=TARGET_CHOICES, initial=mapping.get(header, "ignore")
            )

    def columns(self):
        return [(header, self[f"col_{index}"]) for index, header in enumerate(self.headers)]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data[f"col_{index}"] for index, header in enumerate(self.headers)
        }


class MappingColumnsField(forms.JSONField):
    """A saved mapping's JSON, read by mapping_from_json: bounded, flat, checked.

    Django's JSONField lets json.loads raise RecursionError (a 500) on deeply nested input, both
    when it cleans the value and when it shows it again with the form's errors.
    """

    def to_python(self, value):
        if value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            return mapping_from_json(value)
        except MappingError as exc:
            raise forms.ValidationError(exc.errors) from None

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        try:
            return mapping_from_json(data) if isinstance(data, str) else data
        except MappingError:
            return forms.fields.InvalidJSONInput(data)

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values:
            try:
                mapping_shape_check(value)
            except MappingError as exc:
                raise forms.ValidationError(exc.errors) from None


class ImportMappingAdminForm(forms.ModelForm):
    columns = MappingColumnsField(
        label="Columns",
        help_text='A JSON object {"Header": "field"}; headers match without case, spaces or '
        f"punctuation. Fields: {', '.join(TARGETS)}.",
    )

    class Meta:
        model = ImportMapping
        fields = ["name", "columns"]
