import contextlib
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.choices import Role
from projects.errors import ApplicationError
from uat.choices import DEFECT_TRANSITIONS, DefectStatus, Severity
from uat.models import Defect, DefectEvent
from uat.services.defects import defect_report, defect_transition

S = DefectStatus
TARGET_DATE = datetime.date(2026, 12, 31)


@pytest.fixture
def defect(project, pilot_user):
    return defect_report(actor=pilot_user, project=project, title="Wrong VAT", severity="high")


def move(defect, actor, to_status, **extra):
    extra.setdefault("comment", "Checked.")
    if to_status == S.DEFERRED:
        extra.update(deferral_reason="After go-live", workaround="Manual", target_date=TARGET_DATE)
    return defect_transition(actor=actor, defect=defect, to_status=to_status, **extra)


def test_report_numbers_defects_per_project_and_records_the_report(project, pilot_user):
    first = defect_report(actor=pilot_user, project=project, title="A", severity=Severity.LOW)
    second = defect_report(actor=pilot_user, project=project, title="B", severity=Severity.LOW)

    assert (first.number, second.number) == (1, 2)
    assert first.status == S.NEW
    assert DefectEvent.objects.filter(defect=first).count() == 1


@pytest.mark.parametrize("role_fixture", ["executive", "viewer"])
def test_readers_cannot_report(request, project, role_fixture):
    with pytest.raises(PermissionDenied):
        defect_report(
            actor=request.getfixturevalue(role_fixture), project=project, title="x", severity="low"
        )
    assert Defect.objects.count() == 0


def test_the_happy_path_ends_closed_by_a_pilot_user(defect, consultant, it_member, pilot_user):
    move(defect, consultant, S.TRIAGED)
    move(defect, it_member, S.IN_PROGRESS)
    move(defect, it_member, S.FIXED)
    closed = move(defect, pilot_user, S.CLOSED)

    assert closed.status == S.CLOSED
    assert closed.fixed_by == it_member
    steps = list(DefectEvent.objects.filter(defect=defect).values_list("from_status", "to_status"))
    assert steps[1:] == [
        (S.NEW, S.TRIAGED),
        (S.TRIAGED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.FIXED),
        (S.FIXED, S.CLOSED),
    ]


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_mapped_moves_are_possible(defect, pm, key_user, source, target):
    Defect.objects.filter(pk=defect.pk).update(
        status=source, duplicate_of=defect if source == S.DUPLICATE else None
    )
    defect.refresh_from_db()
    actor = key_user if target in {S.CLOSED, S.REOPENED} else pm
    extra = {}
    if target == S.DUPLICATE:
        extra["duplicate_of"] = defect_report(
            actor=pm, project=defect.project, title="Original", severity="low"
        )

    if target in DEFECT_TRANSITIONS[source]:
        assert move(defect, actor, target, **extra).status == target
    else:
        with pytest.raises(ApplicationError):
            move(defect, actor, target, **extra)
        defect.refresh_from_db()
        assert defect.status == source


def test_whoever_fixed_it_cannot_retest_it(defect, pm, key_user):
    move(defect, pm, S.TRIAGED)
    move(defect, pm, S.IN_PROGRESS)
    Defect.objects.filter(pk=defect.pk).update(status=S.FIXED, fixed_by=key_user)
    defect.refresh_from_db()

    with pytest.raises(PermissionDenied):
        move(defect, key_user, S.CLOSED)
    with pytest.raises(PermissionDenied):
        move(defect, pm, S.CLOSED)  # the project manager does not re-test either


@pytest.mark.parametrize("role_fixture", ["pilot_user", "key_user", "executive", "viewer"])
def test_only_defect_managers_triage(request, defect, role_fixture):
    with pytest.raises(PermissionDenied):
        move(defect, request.getfixturevalue(role_fixture), S.TRIAGED)
    defect.refresh_from_db()
    assert defect.status == S.NEW


def test_defer_needs_reason_workaround_and_date(defect, pm):
    with pytest.raises(ValidationError) as error:
        defect_transition(actor=pm, defect=defect, to_status=S.DEFERRED, deferral_reason="Later")
    assert set(error.value.message_dict) == {"workaround", "target_date"}


def test_reject_and_reopen_need_a_comment(defect, pm):
    with pytest.raises(ValidationError) as error:
        defect_transition(actor=pm, defect=defect, to_status=S.REJECTED, comment=" ")
    assert list(error.value.message_dict) == ["comment"]


def test_a_duplicate_names_an_original_of_the_same_project(defect, pm):
    with pytest.raises(ValidationError):
        move(defect, pm, S.DUPLICATE)
    with pytest.raises(ValidationError):
        move(defect, pm, S.DUPLICATE, duplicate_of=defect)
    original = defect_report(actor=pm, project=defect.project, title="First", severity="low")
    assert move(defect, pm, S.DUPLICATE, duplicate_of=original).duplicate_of == original


ROLES = ["pm", "consultant", "it_member", "key_user", "pilot_user", "executive", "viewer"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(list(S)), st.sampled_from(ROLES)), max_size=12))
def test_random_requests_never_reach_a_forbidden_state(request, project, members, steps):
    """Whatever is asked, by whomever: each recorded move is in the map, and its rules hold."""
    actors = {name: request.getfixturevalue(name) for name in ROLES}
    defect = defect_report(actor=actors["pilot_user"], project=project, title="P", severity="low")
    original = defect_report(actor=actors["pm"], project=project, title="O", severity="low")
    for target, who in steps:
        with contextlib.suppress(ApplicationError, PermissionDenied, ValidationError):
            move(defect, actors[who], target, duplicate_of=original)
    defect.refresh_from_db()
    events = list(defect.events.order_by("pk").select_related("actor"))
    assert events[-1].to_status == defect.status
    for event in events[1:]:
        assert event.to_status in DEFECT_TRANSITIONS[event.from_status]
        role = event.actor.memberships.get(project=project).role
        if event.to_status in {S.CLOSED, S.REOPENED}:
            assert role in {Role.KEY_USER, Role.PILOT_USER}
        else:
            assert role in {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT}
    if defect.status == S.DEFERRED:
        assert defect.deferral_reason
        assert defect.workaround
        assert defect.target_date
    if defect.status == S.DUPLICATE:
        assert defect.duplicate_of == original
