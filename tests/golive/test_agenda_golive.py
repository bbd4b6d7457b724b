"""The go-live readiness section of the weekly review agenda."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.agenda import build_agenda
from implementation.choices import PhaseKind, PhaseStatus
from projects.choices import Role
from tests.factories import PhaseFactory
from tests.golive.factories import a_load, an_object, team_project

pytestmark = pytest.mark.django_db


def project_going_live_in(days: int):
    today = timezone.localdate()
    return team_project(
        start_date=today - datetime.timedelta(days=200),
        target_go_live=today + datetime.timedelta(days=days),
    )


def readiness_section(project):
    sections = build_agenda(project=project).sections
    return next((s for s in sections if s.key == "go_live_readiness"), None)


@pytest.mark.parametrize("days", [61, -1])
def test_no_readiness_section_far_from_go_live_or_after_it(days):
    project, _people = project_going_live_in(days)
    assert readiness_section(project) is None


def test_red_criteria_are_listed_with_their_reasons_within_two_months_of_go_live():
    project, people = project_going_live_in(60)

    section = readiness_section(project)

    assert section.title == "Go-live readiness (60 days to go-live)"
    texts = {item.text: item.detail for item in section.items}
    assert len(texts) == 6  # everything but "no open critical or high defects"
    assert texts["Every data object reconciled and signed off on its last load"] == (
        "No data objects are listed for migration."
    )
    assert texts["Hypercare team and support plan named"] == (
        "Nobody is named on the hypercare team. The support plan is not written."
    )
    assert all(item.url == f"/projects/{project.code}/go-live/" for item in section.items)


def test_a_criterion_turning_green_leaves_the_agenda():
    project, people = project_going_live_in(10)
    pm, owner = people[Role.PROJECT_MANAGER], people[Role.KEY_USER]
    label = "Every data object reconciled and signed off on its last load"
    obj = an_object(project, owner, pm)
    load = a_load(obj, pm, loaded_count=90, rejected_count=10)
    assert (
        "failed reconciliation"
        in {i.text: i.detail for i in readiness_section(project).items}[label]
    )

    from implementation.services.migration import load_record, load_sign_off

    good = load_record(
        actor=pm,
        obj=obj,
        kind=load.kind,
        loaded_at=load.loaded_at,
        source_count=100,
        loaded_count=100,
    )
    load_sign_off(actor=owner, load=good)

    assert label not in {item.text for item in readiness_section(project).items}


def test_no_readiness_section_once_the_go_live_phase_is_completed():
    project, _people = project_going_live_in(5)
    PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, status=PhaseStatus.COMPLETED)
    assert readiness_section(project) is None


def test_the_section_costs_the_same_queries_for_few_and_many_rows():
    def queries(objects: int) -> int:
        project, people = project_going_live_in(20)
        pm = people[Role.PROJECT_MANAGER]
        for n in range(objects):
            a_load(an_object(project, pm, pm, name=f"Object {n}"), pm)
        with CaptureQueriesContext(connection) as context:
            readiness_section(project)
        return len(context)

    assert queries(2) == queries(20)
