# Issue 15: held and refused messages, with their reason code.

from django.db import migrations, models


def blocked_reason_code(apps, schema_editor):
    """Messages blocked before reason codes existed were all blocked by the opt-out list."""
    OutboundMessage = apps.get_model("optouts", "OutboundMessage")
    OutboundMessage.objects.filter(status="blocked", reason_code="").update(
        reason_code="recipient_opted_out"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0005_webhook_hardening"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="outboundmessage",
            name="sms_message_status_valid",
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="held_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="outboundmessage",
            name="reason_code",
            field=models.CharField(
                blank=True,
                choices=[
                    ("recipient_opted_out", "Recipient opted out"),
                    ("quiet_hours", "Outside allowed hours"),
                    ("frequency_cap", "Frequency cap reached"),
                ],
                db_default="",
                default="",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("held", "Held (quiet hours)"),
                    ("sent", "Sent"),
                    ("delivered", "Delivered"),
                    ("failed", "Failed"),
                    ("blocked", "Blocked (opted out)"),
                    ("refused", "Refused (send policy)"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        ["queued", "held", "sent", "delivered", "failed", "blocked", "refused"],
                    )
                ),
                name="sms_message_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboundmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reason_code__in", ["", "recipient_opted_out", "quiet_hours", "frequency_cap"])
                ),
                name="sms_message_reason_code_valid",
            ),
        ),
        migrations.RunPython(blocked_reason_code, migrations.RunPython.noop),
    ]
