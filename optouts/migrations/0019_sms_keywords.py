"""The keywords and replies admins edit (optouts/messaging/keyword_lists.py): added words, the
three replies (one row each, blank: the default) and the record of every change. Admins may see
and change them; agents may not.

Additive only. The grants and the reply kinds are frozen here, not imported from the app, so
this migration keeps meaning what it meant when it was written.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GRANTS = {
    "Admins": [
        "view_smskeyword",
        "add_smskeyword",
        "delete_smskeyword",
        "view_smskeywordreply",
        "change_smskeywordreply",
        "view_smskeywordchange",
    ]
}
REPLY_KINDS = ("stop", "start", "help")


def grant_and_seed(apps, schema_editor):
    app_config = apps.get_app_config("optouts")
    had_models = getattr(app_config, "models_module", None)
    app_config.models_module = had_models or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="optouts", codename__in=codenames)
        )
    Reply = apps.get_model("optouts", "SmsKeywordReply")
    for kind in REPLY_KINDS:
        Reply.objects.get_or_create(kind=kind)


class Migration(migrations.Migration):

    dependencies = [
        ('optouts', '0018_outbound_lead_unlinked'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name='SmsKeyword',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=60, unique=True)),
                ('kind', models.CharField(choices=[('stop', 'Stop (opts the number out)'), ('start', 'Start (opts the number back in)'), ('help', 'Help')], max_length=5)),
                ('created_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'SMS keyword',
                'ordering': ['kind', 'word'],
            },
        ),
        migrations.CreateModel(
            name='SmsKeywordChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True)),
                ('user_label', models.CharField(max_length=150)),
                ('action', models.CharField(choices=[('word_added', 'Word added'), ('word_removed', 'Word removed'), ('reply_changed', 'Reply changed')], max_length=20)),
                ('kind', models.CharField(choices=[('stop', 'Stop (opts the number out)'), ('start', 'Start (opts the number back in)'), ('help', 'Help')], max_length=5)),
                ('word', models.CharField(blank=True, max_length=60)),
                ('before', models.TextField(blank=True)),
                ('after', models.TextField(blank=True)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'keyword or reply change',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SmsKeywordReply',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('stop', 'Stop (opts the number out)'), ('start', 'Start (opts the number back in)'), ('help', 'Help')], max_length=5, unique=True)),
                ('text', models.TextField(blank=True)),
                ('updated_at', models.DateTimeField(blank=True, null=True)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'SMS keyword reply',
                'verbose_name_plural': 'SMS keyword replies',
                'ordering': ['kind'],
            },
        ),
        migrations.RunPython(grant_and_seed, migrations.RunPython.noop),
    ]
