"""History is immutable: the list and its events keep who and which lead as they were.

1. `actor` and `lead` stop being foreign keys: each becomes a plain nullable id column
   (`actor_id`, `lead_id`, the same columns with every value kept), so deleting a user or a lead
   no longer SET_NULLs them. The database drops the FK constraint and its index; the model state
   swaps the ForeignKey for an integer field of the same column and type.
2. `actor_label` and `lead_label` snapshot how they were named, filled here from today's users
   and leads (one UPDATE per table and column).
3. On PostgreSQL a trigger refuses UPDATE and DELETE of consent events (TRUNCATE, a table event,
   is left to the table owner: test databases are flushed with it).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim

MODELS = ("optout", "consentevent")

TRIGGER_SQL = """
CREATE FUNCTION optouts_consentevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Consent events are append-only: % of optouts_consentevent id % refused.',
        TG_OP, OLD.id
        USING HINT = 'The consent history is evidence; write a new event instead.';
END;
$$;
CREATE TRIGGER optouts_consentevent_append_only
    BEFORE UPDATE OR DELETE ON optouts_consentevent
    FOR EACH ROW EXECUTE FUNCTION optouts_consentevent_append_only();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS optouts_consentevent_append_only ON optouts_consentevent;
DROP FUNCTION IF EXISTS optouts_consentevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no client-side merge of the % signs

    return run


def labels_fill(apps, schema_editor):
    """Name every actor and lead as they are named today (Lead.__str__, User.get_username)."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    lead_model = apps.get_model("leads", "Lead")
    # Historical models carry no USERNAME_FIELD; read the attribute off the real class.
    from django.contrib.auth import get_user_model

    username = get_user_model().USERNAME_FIELD
    username_of = Subquery(user_model.objects.filter(pk=OuterRef("actor_id")).values(username)[:1])
    # leads.directory.lead_label in SQL: full name, else email, else "Lead #<id>".
    lead_named = lead_model.objects.filter(pk=OuterRef("lead_id")).annotate(
        label=Coalesce(
            NullIf(Trim(Concat(F("first_name"), Value(" "), F("last_name"))), Value("")),
            NullIf(F("email"), Value("")),
            Concat(Value("Lead #"), Cast(F("pk"), CharField())),
            output_field=CharField(),
        )
    )
    lead_name_of = Subquery(lead_named.values("label")[:1])
    for name in MODELS:
        model = apps.get_model("optouts", name)
        model.objects.filter(actor_id__isnull=False).update(
            actor_label=Coalesce(username_of, Value(""), output_field=CharField())
        )
        model.objects.filter(lead_id__isnull=False).update(
            lead_label=Coalesce(lead_name_of, Value(""), output_field=CharField())
        )


def _unlink(model_name):
    """FK -> plain id column for `actor` and `lead` of one model, keeping column and values."""
    return [
        # Database: drop the FK constraint and its index; the column and its values stay.
        migrations.AlterField(
            model_name=model_name,
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                db_constraint=False,
                db_index=False,
            ),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="lead",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.DO_NOTHING,
                related_name="+",
                to="leads.lead",
                db_constraint=False,
                db_index=False,
            ),
        ),
        # State only: the same actor_id/lead_id columns, now plain integers of the same type.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name=model_name, name="actor"),
                migrations.RemoveField(model_name=model_name, name="lead"),
                migrations.AddField(
                    model_name=model_name,
                    name="actor_id",
                    field=models.IntegerField(blank=True, null=True, verbose_name="actor id"),
                ),
                migrations.AddField(
                    model_name=model_name,
                    name="lead_id",
                    field=models.BigIntegerField(blank=True, null=True, verbose_name="lead id"),
                ),
            ]
        ),
        migrations.AddField(
            model_name=model_name,
            name="actor_label",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="actor"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="lead_label",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="lead"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("optouts", "0003_messaging"),
        # labels_fill reads leads.Lead through the migration registry.
        ("leads", "0003_import_permission_for_admins"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *_unlink("optout"),
        *_unlink("consentevent"),
        migrations.RunPython(labels_fill, migrations.RunPython.noop),
        migrations.RunPython(
            _on_postgresql(TRIGGER_SQL), reverse_code=_on_postgresql(DROP_TRIGGER_SQL)
        ),
    ]
