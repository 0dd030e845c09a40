"""python manage.py lead_listed_rebuild

Recomputes every lead's `sms_listed`, the stored hint behind the lead list's "Textable" filter
(leads.services.listed), from the opt-out list. The lead writer and every change of the list keep
it in step by themselves; the scheduler runs this hourly to mend a change whose process died
between its commit and the hint's update, and it is the step after loading leads, phones or
opt-outs by hand. Running it again changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from leads.services import leads_listed_rebuild


class Command(BaseCommand):
    help = "Recompute the lead list's stored opt-out hint (Lead.sms_listed) from the list."

    def handle(self, *args, **options):
        changed = leads_listed_rebuild()
        self.stdout.write(f"Lead list hint rebuilt: {changed:,} lead(s) corrected.")
