"""The configuration log page loads only what a row shows (fewer joins to plan), and its rows
still link to their entries, name the people and phase, and mark corrections."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import PhaseKind
from implementation.models import ConfigurationChange
from implementation.selectors.configuration import configuration_change_page_rows
from tests.factories import PhaseFactory


def _log(phase, pm, consultant, record_change, count):
    for n in range(count):
        change = record_change(pm, approved_by=consultant if n % 2 else None, phase=phase)
        if n % 3 == 2:
            record_change(consultant, supersedes=change)


def _list_queries(client, project) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("implementation:config-list", args=[project.code]))
    assert response.status_code == 200
    return len(captured)


def test_the_log_page_costs_the_same_queries_with_3_or_30_entries(
    client, project, pm, consultant, record_change
):
    phase = PhaseFactory(project=project, kind=PhaseKind.TESTING, position=4)
    client.force_login(pm)
    _log(phase, pm, consultant, record_change, 3)
    small = _list_queries(client, project)
    _log(phase, pm, consultant, record_change, 27)  # the log is append-only: 30 now

    assert _list_queries(client, project) == small


def test_rows_link_to_their_entries_and_mark_corrections(
    client, project, pm, consultant, record_change
):
    wrong = record_change(pm, approved_by=consultant)
    record_change(consultant, supersedes=wrong)
    client.force_login(pm)

    html = client.get(reverse("implementation:config-list", args=[project.code])).content.decode()

    for number in (1, 2):
        entry = reverse("implementation:config-detail", args=[project.code, number])
        assert f'<a href="{entry}"><strong>CFG-{number}</strong></a>' in html
    assert "corrected by CFG-2" in html
    assert "corrects CFG-1" in html
    assert f"approved by {consultant.display_name}" in html


def test_page_rows_keep_filter_and_order_and_load_what_a_row_shows_in_one_query(
    project, pm, consultant, record_change, django_assert_num_queries
):
    phase = PhaseFactory(project=project, kind=PhaseKind.TESTING, position=4)
    wrong = record_change(pm, approved_by=consultant, phase=phase)
    record_change(consultant, supersedes=wrong)
    record_change(pm, area="Inventory")
    queryset = ConfigurationChange.objects.filter(project=project, area="Finance - Tax")

    with django_assert_num_queries(1):
        rows = [
            (
                change.number,
                change.requested_by.username,
                change.approved_by and change.approved_by.username,
                change.phase and change.phase.kind,
                change.supersedes and change.supersedes.number,
                getattr(change, "superseded_by", None) and change.superseded_by.number,
            )
            for change in configuration_change_page_rows(queryset.order_by("-number"))
        ]

    assert rows == [
        (2, consultant.username, None, None, 1, None),
        (1, pm.username, consultant.username, PhaseKind.TESTING, None, 2),
    ]
