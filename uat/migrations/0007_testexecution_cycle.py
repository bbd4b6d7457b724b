"""Keep each test run's cycle on the run, with an index that hands the cycle dashboard's
trend a cycle's runs scenario by scenario in order (PostgreSQL read the whole runs table
through a join instead), and let the latest-run lookup read the result from its index."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill_cycle(apps, schema_editor):
    TestExecution = apps.get_model("uat", "TestExecution")
    CycleScenario = apps.get_model("uat", "CycleScenario")
    cycle = CycleScenario.objects.filter(pk=OuterRef("entry_id")).values("cycle_id")
    TestExecution.objects.using(schema_editor.connection.alias).update(cycle_id=Subquery(cycle[:1]))
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now: PostgreSQL refuses to alter a table with deferred
        # constraint checks pending in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("uat", "0006_defect_project_index_dropped"),
    ]

    operations = [
        migrations.AddField(
            model_name="testexecution",
            name="cycle",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="uat.testcycle",
                verbose_name="cycle",
            ),
        ),
        migrations.RunPython(backfill_cycle, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="testexecution",
            name="cycle",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="uat.testcycle",
                verbose_name="cycle",
            ),
        ),
        migrations.RemoveIndex(
            model_name="testexecution",
            name="execution_latest_idx",
        ),
        migrations.AddIndex(
            model_name="testexecution",
            index=models.Index(
                fields=["entry", "-executed_at", "-id", "result"], name="execution_latest_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="testexecution",
            index=models.Index(
                fields=["cycle", "entry", "executed_at", "id", "result"],
                name="execution_cycle_idx",
            ),
        ),
    ]
