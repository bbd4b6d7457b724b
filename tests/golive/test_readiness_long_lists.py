"""The readiness panel on a project with many open defects: the page lists the first 50
blocking and deferred defects and says how many more there are, with links to the defect
list; the go-live sign-off's snapshot still lists them all."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation import readiness
from implementation.views.readiness import DEFECT_ROWS
from tests.uat.test_cycles_factories import make_defect
from uat.choices import DefectStatus, Severity

pytestmark = pytest.mark.django_db


def _defects(project, reporter, count, **fields):
    return [make_defect(project, reporter, **fields) for _n in range(count)]


def _page(client, project) -> str:
    return client.get(reverse("golive:readiness", args=[project.code])).content.decode()


def test_the_page_shows_50_blocking_defects_and_says_how_many_more(client, project, pm, pilot_user):
    _defects(project, pilot_user, DEFECT_ROWS + 3, severity=Severity.CRITICAL)
    client.force_login(pm)

    html = _page(client, project)

    blocking = html.split('id="defects-title"')[1].split("Deferred defects")[0]
    assert blocking.count("DEF-") == DEFECT_ROWS
    assert "DEF-1<" in blocking
    assert f"DEF-{DEFECT_ROWS + 1}<" not in blocking
    assert "And 3 more:" in blocking
    defects_url = reverse("uat:defect-list", args=[project.code])
    assert f"{defects_url}?status=open&amp;severity=critical" in blocking
    assert f"{defects_url}?status=open&amp;severity=high" in blocking


def test_the_page_shows_50_deferred_defects_and_says_how_many_more(client, project, pm, pilot_user):
    _defects(project, pilot_user, DEFECT_ROWS + 2, status=DefectStatus.DEFERRED)
    client.force_login(pm)

    html = _page(client, project)

    deferred = html.split("Deferred defects")[1].split("</section>")[0]
    assert deferred.count("DEF-") == DEFECT_ROWS
    assert "And 2 more deferred defects" in deferred
    assert reverse("uat:defect-list", args=[project.code]) + "?status=deferred" in deferred


def test_a_short_list_has_no_more_line(client, project, pm, pilot_user):
    _defects(project, pilot_user, 2, severity=Severity.HIGH)
    _defects(project, pilot_user, 2, status=DefectStatus.DEFERRED)
    client.force_login(pm)

    html = _page(client, project)

    assert 'id="blocking-more"' not in html
    assert 'id="deferred-more"' not in html


def test_the_snapshot_lists_every_defect(project, pilot_user):
    _defects(project, pilot_user, DEFECT_ROWS + 3, severity=Severity.HIGH)
    _defects(project, pilot_user, DEFECT_ROWS + 2, status=DefectStatus.DEFERRED)

    content = readiness.snapshot_content(project, None)
    page = readiness.panel(project, defect_rows=DEFECT_ROWS)

    assert len(content["blocking_defects"]) == DEFECT_ROWS + 3
    assert len(content["deferred_defects"]) == DEFECT_ROWS + 2
    assert "total" not in content["deferred_defects"][0]
    assert (page.blocking_total, page.deferred_total) == (DEFECT_ROWS + 3, DEFECT_ROWS + 2)
    assert len(page.blocking_defects) == len(page.deferred_defects) == DEFECT_ROWS


def test_the_page_queries_do_not_grow_with_the_defects(client, project, pm, pilot_user):
    client.force_login(pm)
    url = reverse("golive:readiness", args=[project.code])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _defects(project, pilot_user, DEFECT_ROWS + 5, severity=Severity.CRITICAL)
    _defects(project, pilot_user, DEFECT_ROWS + 5, status=DefectStatus.DEFERRED)
    with CaptureQueriesContext(connection) as many:
        client.get(url)

    assert len(many) == len(few)


def test_deferred_defects_of_every_severity_are_counted(project, pilot_user):
    for severity in (Severity.LOW, Severity.MEDIUM, Severity.CRITICAL):
        _defects(project, pilot_user, 2, severity=severity, status=DefectStatus.DEFERRED)

    page = readiness.panel(project, defect_rows=4)

    assert (page.deferred_total, len(page.deferred_defects)) == (6, 4)
    assert page.facts.deferred == 2  # only critical and high ones weigh on the criterion
