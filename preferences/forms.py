from django import forms

from preferences.selectors import time_zone_choices


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Show times in",
        help_text=(
            "Every time on these pages and in CSV exports is shown in this zone. The opt-out "
            "report's days and its presets (Today, This week...) stay in the site's zone: they "
            "are the days its counts are kept by."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
