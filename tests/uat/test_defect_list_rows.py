"""The defect list's rows and count table on a big project: a page finds its numbers first,
loads only what a row shows, and the table counts from the index. What users see is kept."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.uat.test_cycles_factories import make_cycle, make_defect
from uat.choices import DefectStatus, Severity
from uat.models import Defect
from uat.selectors.defects import defect_counts, defects_by_numbers


def _rows(project, pilot_user, pm, count):
    cycle = make_cycle(project)
    for n in range(count):
        defect = make_defect(
            project,
            pilot_user,
            cycle=cycle if n % 2 else None,
            severity=Severity.HIGH if n % 3 else Severity.LOW,
        )
        if n % 2:
            Defect.objects.filter(pk=defect.pk).update(assignee=pm)


def _page_queries(client, project, params) -> int:
    url = reverse("uat:defect-list", args=[project.code])
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_a_filtered_deep_page_costs_the_same_queries_with_5_or_60_defects(
    client, project, pm, pilot_user
):
    client.force_login(pm)
    _rows(project, pilot_user, pm, 5)
    small = _page_queries(client, project, {"severity": Severity.HIGH})
    Defect.objects.all().delete()
    _rows(project, pilot_user, pm, 60)

    large = _page_queries(client, project, {"severity": Severity.HIGH, "page": 2})

    assert small == large


def test_rows_link_to_their_defects_and_name_assignee_cycle_and_reporter(
    client, project, pm, pilot_user
):
    cycle = make_cycle(project, name="Round two")
    defect = make_defect(project, pilot_user, cycle=cycle)
    Defect.objects.filter(pk=defect.pk).update(assignee=pm)
    client.force_login(pm)

    html = client.get(reverse("uat:defect-list", args=[project.code])).content.decode()

    detail = reverse("uat:defect-detail", args=[project.code, defect.number])
    assert html.count(f'<a href="{detail}">') == 2
    assert pm.display_name in html
    assert pilot_user.display_name in html
    assert "Round two" in html


def test_a_page_of_numbers_loads_its_defects_newest_first_in_one_query(
    project, pilot_user, django_assert_num_queries
):
    cycle = make_cycle(project)
    for _n in range(4):
        make_defect(project, pilot_user, cycle=cycle)
    numbers = Defect.objects.filter(project=project).order_by("-number").values("number")[1:3]

    with django_assert_num_queries(1):
        defects = defects_by_numbers(numbers, project=project)
        shown = [
            (d.number, d.project.code, d.reporter.username, d.cycle.name, d.assignee)
            for d in defects
        ]

    assert shown == [
        (3, project.code, pilot_user.username, cycle.name, None),
        (2, project.code, pilot_user.username, cycle.name, None),
    ]


def test_the_count_table_counts_each_severity_and_status(project, pilot_user):
    make_defect(project, pilot_user, severity=Severity.HIGH, status=DefectStatus.NEW)
    make_defect(project, pilot_user, severity=Severity.HIGH, status=DefectStatus.NEW)
    make_defect(project, pilot_user, severity=Severity.HIGH, status=DefectStatus.TRIAGED)
    make_defect(project, pilot_user, severity=Severity.LOW, status=DefectStatus.NEW)

    counts = defect_counts(Defect.objects.filter(project=project))

    by_severity = {row["severity"]: row for row in counts["rows"]}
    new, triaged = (counts["statuses"].index(s) for s in (DefectStatus.NEW, DefectStatus.TRIAGED))
    assert by_severity[Severity.HIGH]["counts"][new] == 2
    assert by_severity[Severity.HIGH]["counts"][triaged] == 1
    assert by_severity[Severity.HIGH]["total"] == 3
    assert by_severity[Severity.LOW]["total"] == 1
    assert by_severity[Severity.CRITICAL]["total"] == 0
    assert counts["totals"][new] == 3
    assert counts["total"] == 4
