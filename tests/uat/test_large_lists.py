"""Pages that stay light on large projects: the cycle dashboard pages its scope, and deep
pages of the defect list load only their own rows."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.uat.test_cycles_factories import make_cycle, make_defect, make_scope
from uat.choices import DefectStatus, Severity
from uat.views.cycles import SCOPE_ROWS


def test_dashboard_shows_50_scenarios_and_says_how_many_there_are(client, project, pm):
    cycle = make_cycle(project)
    make_scope(cycle, SCOPE_ROWS + 5)
    client.force_login(pm)
    url = reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert first.count("<td>UAT-S-") == SCOPE_ROWS
    assert "Scenarios 1 to 50 of 55." in first
    assert "?page=2" in first
    assert second.count("<td>UAT-S-") == 5
    assert "Scenarios 51 to 55 of 55." in second
    assert "0 of 55 executed" in first


def test_dashboard_of_a_small_cycle_has_no_pages(client, project, pm):
    cycle = make_cycle(project)
    make_scope(cycle, 3)
    client.force_login(pm)

    html = client.get(reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])).content
    html = html.decode()

    assert html.count("<td>UAT-S-") == 3
    assert "scope-shown" not in html
    assert 'class="pagination"' not in html


def test_dashboard_queries_do_not_grow_with_the_scope(client, project, pm):
    small, large = make_cycle(project, name="Small"), make_cycle(project, name="Large")
    make_scope(small, 2, prefix="SM")
    make_scope(large, SCOPE_ROWS + 10, prefix="LG")
    client.force_login(pm)

    counts = []
    for cycle in (small, large):
        url = reverse("uat:cycle-dashboard", args=[project.code, cycle.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))

    assert counts[0] == counts[1]


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r">DEF-(\d+)<", html)]


def test_a_deep_filtered_page_shows_its_own_rows_newest_first(client, project, pm, pilot_user):
    for n in range(1, 61):
        make_defect(project, pilot_user, severity=Severity.HIGH if n % 2 else Severity.LOW)
    client.force_login(pm)
    url = reverse("uat:defect-list", args=[project.code])

    html = client.get(url, {"severity": Severity.HIGH, "page": 2}).content.decode()

    high = sorted(range(1, 61, 2), reverse=True)  # 30 high defects, 25 a page
    assert _numbers(html) == high[25:30]
    assert "Page 2 of 2" in html


def test_the_list_counts_its_rows_once_for_pages_and_table(client, project, pm, pilot_user):
    for _n in range(30):
        make_defect(project, pilot_user, status=DefectStatus.NEW)
    client.force_login(pm)
    url = reverse("uat:defect-list", args=[project.code])
    client.get(url)

    with CaptureQueriesContext(connection) as captured:
        html = client.get(url, {"page": 2}).content.decode()

    assert _numbers(html) == list(range(5, 0, -1))
    assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"]]


def test_an_empty_or_out_of_range_page_of_the_list_still_answers(client, project, pm):
    client.force_login(pm)
    url = reverse("uat:defect-list", args=[project.code])

    assert client.get(url).status_code == 200
    assert client.get(url, {"page": 99}).status_code == 200
    assert client.get(url, {"page": "x"}).status_code == 200
