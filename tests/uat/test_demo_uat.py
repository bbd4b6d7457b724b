import pytest
from django.core.management import call_command
from django.db.models import F

from projects.choices import Role
from projects.demo import DEMO_CODE
from projects.models import Membership
from uat import models
from uat.choices import DefectStatus, ExecutionResult, Severity
from uat.models import Defect, DefectEvent
from uat.selectors.cycles import cycle_status


def _counts():
    return tuple(
        model.objects.count()
        for model in (
            models.TestScenario,
            models.TestCycle,
            models.TestExecution,
            Defect,
            DefectEvent,
        )
    )


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_project_two_uat_rounds():
    call_command("seed_demo")
    scenarios = models.TestScenario.objects.filter(project__code=DEMO_CODE)
    assert 55 <= scenarios.count() <= 65
    assert "e-invoice" in scenarios.get(code="UAT-FIN-07").title.lower()
    cycles = models.TestCycle.objects.filter(project__code=DEMO_CODE).order_by("starts_on")
    assert [c.name for c in cycles] == ["UAT round 1", "UAT round 2"]
    round1, round2 = cycles

    status1 = cycle_status(round1)
    assert status1.planned == scenarios.count()
    assert status1.executed == status1.planned

    defects = Defect.objects.filter(cycle=round1)
    assert 35 <= defects.count() <= 40
    assert defects.filter(status=DefectStatus.CLOSED).count() > defects.count() / 2
    assert defects.filter(status=DefectStatus.REOPENED).exists()
    assert not Defect.objects.filter(severity=Severity.CRITICAL).exists()
    deferred = defects.get(status=DefectStatus.DEFERRED)
    assert deferred.deferral_reason
    assert deferred.workaround
    assert deferred.target_date

    status2 = cycle_status(round2)
    assert 0 < status2.executed < status2.planned
    assert status2.passed > status2.executed / 2


@pytest.mark.django_db
def test_demo_retests_are_by_business_users_who_did_not_fix_the_defect():
    call_command("seed_demo")
    business = set(
        Membership.objects.filter(
            project__code=DEMO_CODE, role__in=[Role.KEY_USER, Role.PILOT_USER]
        ).values_list("user_id", flat=True)
    )
    retests = DefectEvent.objects.filter(
        defect__project__code=DEMO_CODE,
        to_status__in=[DefectStatus.CLOSED, DefectStatus.REOPENED],
    ).exclude(from_status=F("to_status"))
    assert retests.count() > 20
    for event in retests.select_related("defect"):
        assert event.actor_id in business
        assert event.actor_id != event.defect.fixed_by_id


@pytest.mark.django_db
def test_demo_uat_history_is_dated_within_the_cycles():
    call_command("seed_demo")
    for cycle in models.TestCycle.objects.filter(project__code=DEMO_CODE):
        runs = models.TestExecution.objects.filter(entry__cycle=cycle)
        days = {run.executed_at.date() for run in runs}
        assert min(days) >= cycle.starts_on
        assert max(days) <= cycle.ends_on
        assert len(days) > 2
    assert not models.TestExecution.objects.filter(result=ExecutionResult.NOT_RUN).exists()
    for defect in Defect.objects.filter(project__code=DEMO_CODE).prefetch_related("events"):
        moments = [event.at for event in defect.events.all()]
        assert moments == sorted(moments)
        assert moments[0] == defect.created_at


@pytest.mark.django_db
def test_seed_demo_twice_adds_no_uat_data():
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
