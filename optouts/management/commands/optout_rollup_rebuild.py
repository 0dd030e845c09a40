"""python manage.py optout_rollup_rebuild

Recounts the report's daily roll-up (OptOutDay) from the opt-out list. The consent services keep
it in step by themselves; run this after changing TIME_ZONE (the roll-up's days are site days) or
after loading OptOut rows by hand without optout_rollup_add. Running it again changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from optouts.services import optout_rollup_rebuild


class Command(BaseCommand):
    help = "Recount the opt-out report's daily roll-up from the opt-out list."

    def handle(self, *args, **options):
        written = optout_rollup_rebuild()
        self.stdout.write(f"Roll-up rebuilt: {written:,} (day, source) row(s).")
