"""Keep each test run's project on the run, with an index to list a project's runs latest
first (the test-executions API) without sorting every run through the entry and the cycle."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_project(apps, schema_editor):
    TestExecution = apps.get_model("uat", "TestExecution")
    CycleScenario = apps.get_model("uat", "CycleScenario")
    project = CycleScenario.objects.filter(pk=OuterRef("entry_id")).values("cycle__project_id")
    TestExecution.objects.using(schema_editor.connection.alias).update(
        project_id=Subquery(project[:1])
    )
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now: PostgreSQL refuses to alter a table with deferred
        # constraint checks pending in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0003_membership_champion_hypercare"),
        ("uat", "0004_defect_severity_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="testexecution",
            name="project",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="projects.project",
                verbose_name="project",
            ),
        ),
        migrations.RunPython(backfill_project, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="testexecution",
            name="project",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="projects.project",
                verbose_name="project",
            ),
        ),
        migrations.AddIndex(
            model_name="testexecution",
            index=models.Index(
                fields=["project", "-executed_at", "-id"], name="execution_project_idx"
            ),
        ),
    ]
