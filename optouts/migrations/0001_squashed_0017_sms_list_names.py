"""The opt-out app's schema as migrations 0001 to 0017 left it, in one migration (a squash).

Written so that it imports nothing of the app and depends on no other app of the project: every
model as it stood at 0017, the consent events' triggers (0004, 0007, 0015), the PostgreSQL-only
suffix index (0016) and the groups' grants (0002, 0003, 0012), all frozen here. The data steps of
0004, 0006, 0007 and 0010 had rows to rewrite; a database this migration builds has none.

`replaces` names the migrations it stands for: a database on which 0001 to 0017 are all applied
(today's head) counts it as applied and goes on with 0018. Their files are deleted, so a database
with only some of them applied cannot migrate with this code (docs/operations.md, "Upgrading").

One difference from 0017: `OutboundMessage.lead` was a foreign key to leads.Lead; here it is the
plain `lead_id` column it was stored in (same column, same index), and 0018 drops the foreign key
constraint of a database that has one.
"""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

# --- Consent events are append-only below the app (0004, 0007, 0015) --------------------------

# PostgreSQL: UPDATE and DELETE refused, except sealing an empty chain hash once (0007).
PG_EVENT_TRIGGERS_SQL = """
CREATE FUNCTION optouts_consentevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Sealing: an empty chain hash may be set once, and nothing else about the row may change.
    IF TG_OP = 'UPDATE' AND OLD.chain_hash = '' AND NEW.chain_hash ~ '^[0-9a-f]{64}$'
       AND (to_jsonb(NEW) - 'chain_hash') = (to_jsonb(OLD) - 'chain_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Consent events are append-only: % of optouts_consentevent id % refused.',
        TG_OP, OLD.id
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
CREATE TRIGGER optouts_consentevent_append_only
    BEFORE UPDATE OR DELETE ON optouts_consentevent
    FOR EACH ROW EXECUTE FUNCTION optouts_consentevent_append_only();
CREATE FUNCTION optouts_consentevent_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Consent events are append-only: TRUNCATE of optouts_consentevent refused.'
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
CREATE TRIGGER optouts_consentevent_no_truncate
    BEFORE TRUNCATE ON optouts_consentevent
    FOR EACH STATEMENT EXECUTE FUNCTION optouts_consentevent_no_truncate();
"""

PG_EVENT_TRIGGERS_DROP_SQL = """
DROP TRIGGER IF EXISTS optouts_consentevent_no_truncate ON optouts_consentevent;
DROP FUNCTION IF EXISTS optouts_consentevent_no_truncate();
DROP TRIGGER IF EXISTS optouts_consentevent_append_only ON optouts_consentevent;
DROP FUNCTION IF EXISTS optouts_consentevent_append_only();
"""

# SQLite: the same rule; every column but chain_hash, which sealing may set once.
SEALED_COLUMNS = (
    "id",
    "phone_number",
    "action",
    "source",
    "previous_source",
    "channel",
    "actor_id",
    "actor_label",
    "lead_id",
    "lead_label",
    "created_at",
    "details",
)
_UNCHANGED = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SEALED_COLUMNS)

SQLITE_EVENT_TRIGGERS_SQL = [
    f"""
CREATE TRIGGER optouts_consentevent_no_update
BEFORE UPDATE ON optouts_consentevent
WHEN NOT (
    OLD.chain_hash = '' AND length(NEW.chain_hash) = 64
    AND NEW.chain_hash NOT GLOB '*[^0-9a-f]*' AND {_UNCHANGED}
)
BEGIN
    SELECT RAISE(ABORT, 'Consent events are append-only: UPDATE of optouts_consentevent refused.');
END
""",
    """
CREATE TRIGGER optouts_consentevent_no_delete
BEFORE DELETE ON optouts_consentevent
BEGIN
    SELECT RAISE(ABORT, 'Consent events are append-only: DELETE of optouts_consentevent refused.');
END
""",
]

SQLITE_EVENT_TRIGGERS_DROP_SQL = [
    "DROP TRIGGER IF EXISTS optouts_consentevent_no_update",
    "DROP TRIGGER IF EXISTS optouts_consentevent_no_delete",
]

# --- The report's search by last digits (0016): PostgreSQL only, not declared on the model -----

PG_SUFFIX_INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS optout_number_suffix_idx "
    "ON optouts_optout ((reverse(phone_number)) varchar_pattern_ops)"
)
PG_SUFFIX_INDEX_DROP_SQL = "DROP INDEX IF EXISTS optout_number_suffix_idx"


def _per_vendor(postgresql, sqlite):
    def run(apps, schema_editor):
        statements = {"postgresql": postgresql, "sqlite": sqlite}
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # no client-side merge of the % signs

    return run


# --- The groups' grants on this app (0002, 0003, 0012), frozen ---------------------------------

# (model, codename, name) of every permission granted below, named as Django names them, so the
# permissions Django creates after migrating find them already there.
PERMISSIONS = [
    ("possibleoptout", "change_possibleoptout", "Can change possible opt-out"),
    ("optout", "opt_in_phone", "Can opt a phone number back in to SMS"),
    ("optout", "opt_out_phone", "Can opt a phone number out of SMS"),
    ("outboundmessage", "send_sms", "Can send an SMS"),
    ("consentevent", "view_consentevent", "Can view consent event"),
    ("inboundmessage", "view_inboundmessage", "Can view inbound SMS"),
    ("optout", "view_optout", "Can view opt-out"),
    ("optout", "view_optout_report", "Can view the opt-out report"),
    ("outboundmessage", "view_outboundmessage", "Can view outbound SMS"),
    ("outboxentry", "view_outboxentry", "Can view local outbox entry"),
    ("possibleoptout", "view_possibleoptout", "Can view possible opt-out"),
    ("statuscallbackevent", "view_statuscallbackevent", "Can view SMS status callback"),
    ("unreachablehold", "view_unreachablehold", "Can view unreachable number"),
]
GRANTS = {
    "Admins": [
        "change_possibleoptout",
        "opt_in_phone",
        "opt_out_phone",
        "send_sms",
        "view_consentevent",
        "view_inboundmessage",
        "view_optout",
        "view_optout_report",
        "view_outboundmessage",
        "view_outboxentry",
        "view_possibleoptout",
        "view_statuscallbackevent",
        "view_unreachablehold",
    ],
    "Agents": [
        "change_possibleoptout",
        "opt_out_phone",
        "send_sms",
        "view_inboundmessage",
        "view_outboundmessage",
        "view_possibleoptout",
        "view_unreachablehold",
    ],
}


def grants_create(apps, schema_editor):
    db = schema_editor.connection.alias
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    by_codename = {}
    for model, codename, name in PERMISSIONS:
        ct, _ = content_type.objects.using(db).get_or_create(app_label="optouts", model=model)
        by_codename[codename], _ = permission.objects.using(db).get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for name, codenames in GRANTS.items():
        holder, _ = group.objects.using(db).get_or_create(name=name)
        holder.permissions.add(*(by_codename[c] for c in codenames))


class Migration(migrations.Migration):

    replaces = [
        ("optouts", "0001_initial"),
        ("optouts", "0002_roles"),
        ("optouts", "0003_messaging"),
        ("optouts", "0004_immutable_history"),
        ("optouts", "0005_webhook_hardening"),
        ("optouts", "0006_send_policy"),
        ("optouts", "0007_event_chain"),
        ("optouts", "0008_optout_reason"),
        ("optouts", "0009_possible_opt_out_deadline"),
        ("optouts", "0010_optout_day"),
        ("optouts", "0011_consent_in_words"),
        ("optouts", "0012_unreachable_hold_grants"),
        ("optouts", "0013_message_sending"),
        ("optouts", "0014_inbound_intent"),
        ("optouts", "0015_append_only_everywhere"),
        ("optouts", "0016_optout_number_suffix"),
        ("optouts", "0017_sms_list_names"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='UnreachableHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone_number', models.CharField(max_length=16, unique=True)),
                ('held_at', models.DateTimeField(db_index=True)),
                ('retry_after', models.DateTimeField()),
                ('failures', models.JSONField(blank=True, default=list)),
            ],
            options={
                'verbose_name': 'unreachable number',
                'ordering': ['-held_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ConsentEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone_number', models.CharField(max_length=16)),
                ('action', models.CharField(choices=[('opt_out', 'Opted out'), ('opt_in', 'Opted in'), ('opt_in_refused', 'Opt-in refused'), ('revocation_pending', 'Possible revocation: texts paused for review'), ('revocation_dismissed', 'Possible revocation dismissed'), ('unreachable_hold', 'Unreachable: texts on hold'), ('unreachable_cleared', 'Reachable again: hold lifted')], max_length=20)),
                ('source', models.CharField(blank=True, choices=[('agent', 'Agent'), ('system', 'System'), ('contact', 'Contact')], max_length=10)),
                ('previous_source', models.CharField(blank=True, choices=[('agent', 'Agent'), ('system', 'System'), ('contact', 'Contact')], max_length=10)),
                ('channel', models.CharField(choices=[('ui', 'Lead page'), ('report', 'Opt-out report'), ('api', 'API'), ('import', 'Import'), ('keyword', 'Inbound SMS keyword'), ('carrier', 'Carrier / provider'), ('sms', "Inbound SMS (the contact's words)"), ('call', 'Phone call with the contact'), ('email', 'Email from the contact'), ('in_person', 'In person with the contact')], max_length=10)),
                ('actor_id', models.IntegerField(blank=True, null=True, verbose_name='actor id')),
                ('actor_label', models.TextField(blank=True, db_default='', default='', verbose_name='actor')),
                ('lead_id', models.BigIntegerField(blank=True, null=True, verbose_name='lead id')),
                ('lead_label', models.TextField(blank=True, db_default='', default='', verbose_name='lead')),
                ('created_at', models.DateTimeField(db_index=True)),
                ('details', models.JSONField(blank=True, default=dict)),
                ('chain_hash', models.CharField(blank=True, db_default='', default='', editable=False, max_length=64, verbose_name='chain hash')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['phone_number', 'id'], name='event_number_idx'), models.Index(condition=models.Q(('chain_hash', '')), fields=['phone_number', 'id'], name='event_unsealed_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('action__in', ['opt_out', 'opt_in', 'opt_in_refused', 'revocation_pending', 'revocation_dismissed', 'unreachable_hold', 'unreachable_cleared'])), name='event_action_valid'), models.CheckConstraint(condition=models.Q(('source__in', ['agent', 'system', 'contact', ''])), name='event_source_valid'), models.CheckConstraint(condition=models.Q(('channel__in', ['ui', 'report', 'api', 'import', 'keyword', 'carrier', 'sms', 'call', 'email', 'in_person'])), name='event_channel_valid')],
            },
        ),
        migrations.CreateModel(
            name='InboundMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message_sid', models.CharField(max_length=64, unique=True)),
                ('from_raw', models.CharField(max_length=40, verbose_name='from (as received)')),
                ('phone_number', models.CharField(blank=True, max_length=16, verbose_name='from')),
                ('to_number', models.CharField(blank=True, max_length=40, verbose_name='to')),
                ('body', models.TextField(blank=True)),
                ('opt_out_type', models.CharField(blank=True, max_length=20)),
                ('action', models.CharField(choices=[('stop', 'Stop word: opted out'), ('revocation', 'Revocation in words: opted out'), ('start', 'Start word or consent in words: opted in'), ('start_ignored', 'Start word: ignored'), ('help', 'Help word: help text sent'), ('possible_opt_out', 'Possible opt-out: flagged for review'), ('none', 'No keyword'), ('invalid_sender', 'Sender is not a valid phone number')], max_length=20)),
                ('outcome', models.CharField(blank=True, max_length=20)),
                ('received_at', models.DateTimeField(db_index=True)),
                ('provider_created_at', models.DateTimeField(blank=True, null=True)),
                ('rule', models.CharField(blank=True, db_default='', default='', max_length=60)),
                ('matched', models.CharField(blank=True, db_default='', default='', max_length=200)),
            ],
            options={
                'verbose_name': 'inbound SMS',
                'verbose_name_plural': 'inbound SMS',
                'ordering': ['-received_at', '-id'],
                'indexes': [models.Index(fields=['phone_number'], name='sms_inbound_number_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('action__in', ['stop', 'revocation', 'start', 'start_ignored', 'help', 'possible_opt_out', 'none', 'invalid_sender'])), name='sms_inbound_action_valid')],
            },
        ),
        migrations.CreateModel(
            name='OptOut',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone_number', models.CharField(max_length=16, unique=True)),
                ('source', models.CharField(choices=[('agent', 'Agent'), ('system', 'System'), ('contact', 'Contact')], max_length=10)),
                ('channel', models.CharField(choices=[('ui', 'Lead page'), ('report', 'Opt-out report'), ('api', 'API'), ('import', 'Import'), ('keyword', 'Inbound SMS keyword'), ('carrier', 'Carrier / provider'), ('sms', "Inbound SMS (the contact's words)"), ('call', 'Phone call with the contact'), ('email', 'Email from the contact'), ('in_person', 'In person with the contact')], max_length=10)),
                ('opted_out_at', models.DateTimeField()),
                ('actor_id', models.IntegerField(blank=True, null=True, verbose_name='actor id')),
                ('actor_label', models.TextField(blank=True, db_default='', default='', verbose_name='actor')),
                ('lead_id', models.BigIntegerField(blank=True, null=True, verbose_name='lead id')),
                ('lead_label', models.TextField(blank=True, db_default='', default='', verbose_name='lead')),
                ('note', models.TextField(blank=True)),
                ('reason', models.CharField(blank=True, choices=[('unreachable', 'unreachable'), ('unknown', 'unknown number'), ('landline', 'landline')], db_default='', default='', max_length=20)),
            ],
            options={
                'verbose_name': 'opt-out',
                'ordering': ['-opted_out_at', '-id'],
                'permissions': [('opt_out_phone', 'Can opt a phone number out of SMS'), ('opt_in_phone', 'Can opt a phone number back in to SMS'), ('view_optout_report', 'Can view the opt-out report')],
                'indexes': [models.Index(fields=['phone_number'], name='optout_number_prefix_idx', opclasses=['varchar_pattern_ops']), models.Index(fields=['opted_out_at'], name='optout_opted_out_at_idx'), models.Index(fields=['source', 'opted_out_at'], name='optout_source_time_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('source__in', ['agent', 'system', 'contact'])), name='optout_source_valid'), models.CheckConstraint(condition=models.Q(('channel__in', ['ui', 'report', 'api', 'import', 'keyword', 'carrier', 'sms', 'call', 'email', 'in_person'])), name='optout_channel_valid'), models.CheckConstraint(condition=models.Q(('reason', ''), models.Q(('reason__in', ['unreachable', 'unknown', 'landline']), ('source', 'system')), _connector='OR'), name='optout_reason_valid')],
            },
        ),
        migrations.CreateModel(
            name='OptOutDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('source', models.CharField(choices=[('agent', 'Agent'), ('system', 'System'), ('contact', 'Contact')], max_length=10)),
                ('count', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'opt-outs of a day',
                'constraints': [models.UniqueConstraint(fields=('day', 'source'), name='optoutday_day_source_uniq')],
            },
        ),
        migrations.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('to_number', models.CharField(max_length=16, verbose_name='to')),
                ('body', models.TextField()),
                ('lead_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='lead id')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('held', 'Held (quiet hours)'), ('sending', 'Sending'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('failed', 'Failed'), ('blocked', 'Blocked (opted out)'), ('refused', 'Refused (send policy)'), ('replied', 'Replied (webhook answer)')], default='queued', max_length=10)),
                ('backend', models.CharField(blank=True, max_length=100)),
                ('provider_id', models.CharField(blank=True, max_length=64, verbose_name='provider message id')),
                ('provider_status', models.CharField(blank=True, max_length=20)),
                ('error_code', models.CharField(blank=True, max_length=10)),
                ('reason', models.TextField(blank=True)),
                ('reason_code', models.CharField(blank=True, choices=[('recipient_opted_out', 'Recipient opted out'), ('revocation_pending', 'Possible revocation waiting for review'), ('unreachable', 'Number unreachable'), ('quiet_hours', 'Outside allowed hours'), ('frequency_cap', 'Frequency cap reached')], db_default='', default='', max_length=20)),
                ('held_until', models.DateTimeField(blank=True, null=True)),
                ('blocked_source', models.CharField(blank=True, max_length=10)),
                ('created_at', models.DateTimeField(db_index=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('status_changed_at', models.DateTimeField()),
                ('in_reply_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replies', to='optouts.inboundmessage')),
                ('sender', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'outbound SMS',
                'verbose_name_plural': 'outbound SMS',
                'ordering': ['-created_at', '-id'],
                'permissions': [('send_sms', 'Can send an SMS')],
            },
        ),
        migrations.CreateModel(
            name='OutboxEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('to_number', models.CharField(max_length=16)),
                ('body', models.TextField()),
                ('handed_off_at', models.DateTimeField()),
                ('message', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='optouts.outboundmessage')),
            ],
            options={
                'verbose_name': 'local outbox entry',
                'verbose_name_plural': 'local outbox entries',
                'ordering': ['-handed_off_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PossibleOptOut',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone_number', models.CharField(max_length=16)),
                ('matched_word', models.CharField(max_length=40)),
                ('status', models.CharField(choices=[('open', 'Open'), ('opted_out', 'Opted out'), ('dismissed', 'Dismissed')], default='open', max_length=10)),
                ('created_at', models.DateTimeField(db_index=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('resolved_by_system', models.BooleanField(db_default=False, default=False)),
                ('dismiss_reason', models.TextField(blank=True, db_default='', default='')),
                ('inbound', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='possible_opt_out', to='optouts.inboundmessage')),
                ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'possible opt-out',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='StatusCallbackEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message_sid', models.CharField(max_length=64)),
                ('to_number', models.CharField(blank=True, max_length=40)),
                ('provider_status', models.CharField(max_length=20)),
                ('error_code', models.CharField(blank=True, max_length=10)),
                ('action', models.CharField(max_length=20)),
                ('outcome', models.CharField(blank=True, max_length=20)),
                ('received_at', models.DateTimeField(db_index=True)),
                ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='optouts.outboundmessage')),
            ],
            options={
                'verbose_name': 'SMS status callback',
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='outboundmessage',
            index=models.Index(fields=['provider_id'], name='sms_message_provider_id_idx'),
        ),
        migrations.AddIndex(
            model_name='outboundmessage',
            index=models.Index(fields=['to_number', 'created_at'], name='sms_message_to_idx'),
        ),
        migrations.AddConstraint(
            model_name='outboundmessage',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'held', 'sending', 'sent', 'delivered', 'failed', 'blocked', 'refused', 'replied'])), name='sms_message_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='outboundmessage',
            constraint=models.CheckConstraint(condition=models.Q(('reason_code__in', ['', 'recipient_opted_out', 'revocation_pending', 'unreachable', 'quiet_hours', 'frequency_cap'])), name='sms_message_reason_code_valid'),
        ),
        migrations.AddIndex(
            model_name='possibleoptout',
            index=models.Index(fields=['status', 'created_at'], name='sms_possible_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='possibleoptout',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'opted_out', 'dismissed'])), name='sms_possible_optout_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='possibleoptout',
            constraint=models.CheckConstraint(condition=models.Q(('resolved_by_system', False), ('resolved_by__isnull', True), _connector='OR'), name='sms_possible_optout_one_decider'),
        ),
        migrations.AddIndex(
            model_name='statuscallbackevent',
            index=models.Index(fields=['message_sid'], name='sms_status_sid_idx'),
        ),
            # Last: on SQLite a later step that rebuilds the events table would drop its triggers.
        migrations.RunPython(
            _per_vendor([PG_EVENT_TRIGGERS_SQL], SQLITE_EVENT_TRIGGERS_SQL),
            reverse_code=_per_vendor([PG_EVENT_TRIGGERS_DROP_SQL], SQLITE_EVENT_TRIGGERS_DROP_SQL),
        ),
        migrations.RunPython(
            _per_vendor([PG_SUFFIX_INDEX_SQL], []),
            reverse_code=_per_vendor([PG_SUFFIX_INDEX_DROP_SQL], []),
        ),
        migrations.RunPython(grants_create, migrations.RunPython.noop),
    ]
