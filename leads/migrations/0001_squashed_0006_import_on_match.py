"""The leads app's schema as migrations 0001 to 0006 left it, in one migration (a squash).

Every model as it stood at 0006 and the groups' grants on leads (granted until now by
optouts.0002_roles and leads.0003 from live code), frozen here. The one reference to the app's code
is the time zone field's validator, as Django writes any field's validators: it runs no code of
the app while migrating.

`replaces`: a database on which 0001 to 0006 are all applied (today's head) counts it as applied.
Their files are deleted, so a database with only some of them applied cannot migrate with this code
(docs/operations.md, "Upgrading").
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import leads.models

# (model, codename, name) of every permission granted below, named as Django names them, so the
# permissions Django creates after migrating find them already there.
PERMISSIONS = [
    ("importjob", "add_importjob", "Can add lead import"),
    ("importmapping", "add_importmapping", "Can add import mapping"),
    ("lead", "add_lead", "Can add lead"),
    ("leadphone", "add_leadphone", "Can add lead phone"),
    ("importmapping", "change_importmapping", "Can change import mapping"),
    ("lead", "change_lead", "Can change lead"),
    ("leadphone", "change_leadphone", "Can change lead phone"),
    ("importmapping", "delete_importmapping", "Can delete import mapping"),
    ("lead", "delete_lead", "Can delete lead"),
    ("leadphone", "delete_leadphone", "Can delete lead phone"),
    ("importjob", "import_leads", "Can import leads from a file"),
    ("importjob", "view_importjob", "Can view lead import"),
    ("importmapping", "view_importmapping", "Can view import mapping"),
    ("lead", "view_lead", "Can view lead"),
    ("leadphone", "view_leadphone", "Can view lead phone"),
]
GRANTS = {
    "Admins": [
        "add_importjob",
        "add_importmapping",
        "add_lead",
        "add_leadphone",
        "change_importmapping",
        "change_lead",
        "change_leadphone",
        "delete_importmapping",
        "delete_lead",
        "delete_leadphone",
        "import_leads",
        "view_importjob",
        "view_importmapping",
        "view_lead",
        "view_leadphone",
    ],
    "Agents": [
        "add_lead",
        "add_leadphone",
        "change_lead",
        "change_leadphone",
        "delete_leadphone",
        "view_lead",
        "view_leadphone",
    ],
}


def grants_create(apps, schema_editor):
    db = schema_editor.connection.alias
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    by_codename = {}
    for model, codename, name in PERMISSIONS:
        ct, _ = content_type.objects.using(db).get_or_create(app_label="leads", model=model)
        by_codename[codename], _ = permission.objects.using(db).get_or_create(
            content_type=ct, codename=codename, defaults={"name": name}
        )
    for name, codenames in GRANTS.items():
        holder, _ = group.objects.using(db).get_or_create(name=name)
        holder.permissions.add(*(by_codename[c] for c in codenames))


class Migration(migrations.Migration):

    replaces = [
        ("leads", "0001_initial"),
        ("leads", "0002_import_jobs"),
        ("leads", "0003_import_permission_for_admins"),
        ("leads", "0004_send_location"),
        ("leads", "0005_phone_suffix_search"),
        ("leads", "0006_import_on_match"),
    ]

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(upload_to='imports/%Y/%m/')),
                ('original_name', models.CharField(max_length=255)),
                ('file_format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'XLSX')], max_length=4)),
                ('options', models.JSONField(blank=True, default=dict)),
                ('headers', models.JSONField(blank=True, default=list)),
                ('mapping', models.JSONField(blank=True, default=dict)),
                ('on_match', models.CharField(choices=[('update', 'Update the lead it matches'), ('skip', 'Skip the row (leave the lead as it is)'), ('create', 'Create a new lead (match by External ID only)')], db_default='update', default='update', max_length=6)),
                ('status', models.CharField(choices=[('draft', 'Draft (mapping)'), ('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Finished'), ('failed', 'Failed')], default='draft', max_length=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('task_id', models.CharField(blank=True, max_length=64)),
                ('total_rows', models.PositiveIntegerField(blank=True, null=True)),
                ('rows_done', models.PositiveIntegerField(default=0)),
                ('created_count', models.PositiveIntegerField(default=0)),
                ('updated_count', models.PositiveIntegerField(default=0)),
                ('opted_out_count', models.PositiveIntegerField(default=0)),
                ('rejected_count', models.PositiveIntegerField(default=0)),
                ('skipped_count', models.PositiveIntegerField(db_default=0, default=0)),
                ('error', models.TextField(blank=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'lead import',
                'ordering': ['-created_at', '-id'],
                'permissions': [('import_leads', 'Can import leads from a file')],
            },
        ),
        migrations.CreateModel(
            name='ImportMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('columns', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'import mapping',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ImportRowError',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('row_number', models.PositiveIntegerField()),
                ('column', models.CharField(blank=True, max_length=255)),
                ('value', models.TextField(blank=True)),
                ('detail', models.TextField()),
                ('values', models.JSONField(blank=True, default=list)),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='row_errors', to='leads.importjob')),
            ],
            options={
                'ordering': ['job', 'row_number', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Lead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_name', models.CharField(blank=True, max_length=100)),
                ('last_name', models.CharField(blank=True, max_length=100)),
                ('email', models.EmailField(blank=True, db_index=True, max_length=254)),
                ('company', models.CharField(blank=True, max_length=200)),
                ('status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('qualified', 'Qualified'), ('application', 'Application'), ('closed', 'Closed'), ('lost', 'Lost')], default='new', max_length=20)),
                ('external_id', models.CharField(blank=True, max_length=100, null=True, unique=True)),
                ('state', models.CharField(blank=True, choices=[('AL', 'Alabama'), ('AK', 'Alaska'), ('AZ', 'Arizona'), ('AR', 'Arkansas'), ('CA', 'California'), ('CO', 'Colorado'), ('CT', 'Connecticut'), ('DE', 'Delaware'), ('DC', 'District of Columbia'), ('FL', 'Florida'), ('GA', 'Georgia'), ('HI', 'Hawaii'), ('ID', 'Idaho'), ('IL', 'Illinois'), ('IN', 'Indiana'), ('IA', 'Iowa'), ('KS', 'Kansas'), ('KY', 'Kentucky'), ('LA', 'Louisiana'), ('ME', 'Maine'), ('MD', 'Maryland'), ('MA', 'Massachusetts'), ('MI', 'Michigan'), ('MN', 'Minnesota'), ('MS', 'Mississippi'), ('MO', 'Missouri'), ('MT', 'Montana'), ('NE', 'Nebraska'), ('NV', 'Nevada'), ('NH', 'New Hampshire'), ('NJ', 'New Jersey'), ('NM', 'New Mexico'), ('NY', 'New York'), ('NC', 'North Carolina'), ('ND', 'North Dakota'), ('OH', 'Ohio'), ('OK', 'Oklahoma'), ('OR', 'Oregon'), ('PA', 'Pennsylvania'), ('RI', 'Rhode Island'), ('SC', 'South Carolina'), ('SD', 'South Dakota'), ('TN', 'Tennessee'), ('TX', 'Texas'), ('UT', 'Utah'), ('VT', 'Vermont'), ('VA', 'Virginia'), ('WA', 'Washington'), ('WV', 'West Virginia'), ('WI', 'Wisconsin'), ('WY', 'Wyoming')], db_default='', default='', help_text='US state the lead lives in, if known: its texting rules apply too.', max_length=2)),
                ('time_zone', models.CharField(blank=True, db_default='', default='', help_text="IANA time zone (America/Chicago), if known: texts respect quiet hours there instead of in the time zone of the number's area code.", max_length=64, validators=[leads.models.validate_time_zone])),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('assigned_agent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_leads', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LeadPhone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(db_index=True, max_length=16)),
                ('kind', models.CharField(choices=[('mobile', 'Mobile'), ('home', 'Home'), ('work', 'Work'), ('other', 'Other')], default='mobile', max_length=10)),
                ('number_reversed', models.GeneratedField(db_persist=True, expression=django.db.models.functions.text.Reverse('number'), output_field=models.CharField(max_length=16))),
                ('lead', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='phones', to='leads.lead')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddConstraint(
            model_name='importjob',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'queued', 'running', 'succeeded', 'failed'])), name='importjob_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='importjob',
            constraint=models.CheckConstraint(condition=models.Q(('on_match__in', ['update', 'skip', 'create'])), name='importjob_on_match_valid'),
        ),
        migrations.AddIndex(
            model_name='importrowerror',
            index=models.Index(fields=['job', 'row_number'], name='importrowerror_job_row_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['last_name', 'first_name'], name='lead_name_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(django.db.models.functions.text.Lower('email'), name='lead_email_lower_idx'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['new', 'contacted', 'qualified', 'application', 'closed', 'lost'])), name='lead_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(('state__in', ['', 'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY'])), name='lead_state_valid'),
        ),
        migrations.AddIndex(
            model_name='leadphone',
            index=models.Index(fields=['number_reversed'], name='leadphone_number_reversed_idx', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddConstraint(
            model_name='leadphone',
            constraint=models.UniqueConstraint(fields=('lead', 'number'), name='leadphone_unique_per_lead'),
        ),
        migrations.AddConstraint(
            model_name='leadphone',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['mobile', 'home', 'work', 'other'])), name='leadphone_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='leadphone',
            constraint=models.CheckConstraint(condition=models.Q(('number__startswith', '+')), name='leadphone_number_e164'),
        ),
            migrations.RunPython(grants_create, migrations.RunPython.noop),
    ]
