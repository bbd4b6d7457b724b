"""Health counts open defects of the severities its rules read, over every open status,
in one query whatever the number of defects."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import health
from projects.health import Level
from tests.projects.test_health import staffed_project
from uat.models import Defect

pytestmark = pytest.mark.django_db


def _defects(project, rows):
    reporter = project.memberships.first().user
    start = Defect.objects.filter(project=project).count() + 1
    Defect.objects.bulk_create(
        Defect(
            project=project,
            number=number,
            title="x",
            severity=severity,
            status=status,
            reporter=reporter,
        )
        for number, (severity, status) in enumerate(rows, start=start)
    )


def test_open_critical_defects_are_summed_over_every_open_status():
    project = staffed_project()
    _defects(
        project,
        [
            ("critical", "new"),
            ("critical", "triaged"),
            ("critical", "reopened"),
            ("critical", "deferred"),
            ("critical", "rejected"),
            ("medium", "new"),
            ("low", "in_progress"),
        ],
    )

    facts = health.load_facts([project])[project.pk]
    result = health.evaluate(facts)

    assert facts.open_defects == {"critical": 3}
    assert result.level == Level.RED
    assert [f.message for f in result.findings] == ["3 critical defects are open."]


def test_defect_counts_cost_the_same_queries_for_few_and_many_defects():
    projects = [staffed_project(), staffed_project()]
    _defects(projects[0], [("high", "new")])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            health.health_for(projects)
        return len(captured)

    few = queries()
    _defects(projects[0], [(s, st) for s in ("critical", "high", "low") for st in ("new", "fixed")])
    _defects(projects[1], [("high", "reopened")] * 5)

    assert queries() == few
    assert [f.message for f in health.health_for(projects)[projects[1].pk].findings] == [
        "5 high-severity defects are open."
    ]
