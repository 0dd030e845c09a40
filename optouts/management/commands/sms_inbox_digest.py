"""python manage.py sms_inbox_digest

Emails the admins the possible opt-outs still waiting for a decision, with their deadlines
(optouts.messaging.inbox.possible_opt_outs_digest_send); nothing when the inbox is empty. Run it
once a day (the scheduler does, or cron). EMAIL_BACKEND says how mail leaves (the console under
`make run`).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from optouts.messaging.inbox import possible_opt_outs_digest_send


class Command(BaseCommand):
    help = "Email the admins the possible opt-outs waiting for a decision."

    def handle(self, *args, **options):
        sent = possible_opt_outs_digest_send()
        self.stdout.write(f"Digest emails sent: {sent}.")
