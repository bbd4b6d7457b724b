"""Edits, assignment, comments and bulk moves of defects."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.choices import Role
from tests.factories import MembershipFactory, UserFactory
from uat.choices import DefectStatus
from uat.models import Defect, DefectComment, DefectEvent
from uat.services.defects import (
    allowed_transitions,
    defect_assign,
    defect_comment_add,
    defect_report,
    defect_transition,
    defect_update,
    defects_bulk_assign,
    defects_bulk_transition,
)

S = DefectStatus


@pytest.fixture
def defect(project, pilot_user):
    return defect_report(actor=pilot_user, project=project, title="Wrong VAT", severity="high")


def report(project, actor, title="Another"):
    return defect_report(actor=actor, project=project, title=title, severity="low")


def last_event(defect) -> DefectEvent:
    return DefectEvent.objects.filter(defect=defect).order_by("-pk").first()


def test_update_records_every_changed_field_old_and_new(defect, consultant, it_member):
    defect_update(
        actor=consultant,
        defect=defect,
        title="VAT rounded wrongly",
        severity="critical",
        module="Finance",
        assignee=it_member,
        description="",  # unchanged: not recorded
    )

    event = last_event(defect)
    assert (event.actor, event.from_status, event.to_status) == (consultant, S.NEW, S.NEW)
    assert event.changes == {
        "title": ["Wrong VAT", "VAT rounded wrongly"],
        "severity": ["high", "critical"],
        "module": ["", "Finance"],
        "assignee": [None, it_member.username],
    }
    defect.refresh_from_db()
    assert (defect.title, defect.severity, defect.assignee) == (
        "VAT rounded wrongly",
        "critical",
        it_member,
    )


def test_an_update_that_changes_nothing_records_nothing(defect, pm):
    before = DefectEvent.objects.count()
    defect_update(actor=pm, defect=defect, title="Wrong VAT")
    assert DefectEvent.objects.count() == before


def test_the_reporter_rewords_a_new_defect(defect, pilot_user):
    defect_update(actor=pilot_user, defect=defect, title="Wrong VAT on invoices")
    assert last_event(defect).changes == {"title": ["Wrong VAT", "Wrong VAT on invoices"]}


def test_the_reporter_cannot_change_severity(defect, pilot_user):
    with pytest.raises(PermissionDenied):
        defect_update(actor=pilot_user, defect=defect, severity="critical")
    defect.refresh_from_db()
    assert defect.severity == "high"


def test_the_reporter_cannot_edit_once_triaged(defect, pilot_user, consultant):
    defect_transition(actor=consultant, defect=defect, to_status=S.TRIAGED)
    with pytest.raises(PermissionDenied):
        defect_update(actor=pilot_user, defect=defect, title="Changed")
    defect.refresh_from_db()
    assert defect.title == "Wrong VAT"


@pytest.mark.parametrize("role", [Role.KEY_USER, Role.EXECUTIVE, Role.VIEWER])
def test_other_members_cannot_edit(defect, members, role):
    with pytest.raises(PermissionDenied):
        defect_update(actor=members[role], defect=defect, title="Changed")


def test_assign_needs_a_member_and_is_recorded(defect, pm, it_member):
    defect_assign(actor=pm, defect=defect, assignee=it_member)
    assert last_event(defect).changes == {"assignee": [None, it_member.username]}

    with pytest.raises(ValidationError) as excinfo:
        defect_assign(actor=pm, defect=defect, assignee=UserFactory())
    assert "assignee" in excinfo.value.message_dict


def test_pilot_users_cannot_assign(defect, pilot_user, it_member):
    with pytest.raises(PermissionDenied):
        defect_assign(actor=pilot_user, defect=defect, assignee=it_member)
    defect.refresh_from_db()
    assert defect.assignee is None


def test_comments_need_the_comment_capability_and_a_body(defect, executive, key_user):
    comment = defect_comment_add(actor=key_user, defect=defect, body="  Seen it too.  ")
    assert (comment.author, comment.body) == (key_user, "Seen it too.")

    with pytest.raises(PermissionDenied):
        defect_comment_add(actor=executive, defect=defect, body="Hm")
    with pytest.raises(ValidationError):
        defect_comment_add(actor=key_user, defect=defect, body="   ")
    assert DefectComment.objects.count() == 1


def test_bulk_assign_changes_all(project, defect, pilot_user, pm, it_member):
    second = report(project, pilot_user)

    defects_bulk_assign(actor=pm, project=project, defects=[defect, second], assignee=it_member)

    assert set(Defect.objects.values_list("assignee", flat=True)) == {it_member.pk}


def test_bulk_transition_is_all_or_nothing_with_errors_per_defect(
    project, defect, pilot_user, consultant
):
    second = report(project, pilot_user)
    defect_transition(actor=consultant, defect=second, to_status=S.TRIAGED)
    events_before = DefectEvent.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        defects_bulk_transition(
            actor=consultant, project=project, defects=[defect, second], to_status=S.TRIAGED
        )

    assert list(excinfo.value.message_dict) == [second.display_number]
    defect.refresh_from_db()
    assert defect.status == S.NEW  # the first one was rolled back
    assert DefectEvent.objects.count() == events_before


def test_bulk_transition_moves_all_when_all_may_move(project, defect, pilot_user, consultant):
    second = report(project, pilot_user)

    moved = defects_bulk_transition(
        actor=consultant, project=project, defects=[defect, second], to_status=S.TRIAGED
    )

    assert [d.status for d in moved] == [S.TRIAGED, S.TRIAGED]


def test_bulk_needs_manage_defects(project, defect, key_user, it_member):
    with pytest.raises(PermissionDenied):
        defects_bulk_assign(actor=key_user, project=project, defects=[defect], assignee=it_member)
    with pytest.raises(PermissionDenied):
        defects_bulk_transition(
            actor=key_user, project=project, defects=[defect], to_status=S.TRIAGED
        )


def test_bulk_refuses_defects_of_other_projects(project, defect, pm):
    other = MembershipFactory(user=pm, role=Role.PROJECT_MANAGER).project
    with pytest.raises(ValidationError):
        defects_bulk_transition(actor=pm, project=other, defects=[defect], to_status=S.TRIAGED)


def test_allowed_transitions_follow_the_map_and_the_role(
    defect, consultant, it_member, pilot_user, key_user
):
    assert allowed_transitions(pilot_user, defect) == []
    assert allowed_transitions(consultant, defect) == [
        S.TRIAGED,
        S.REJECTED,
        S.DUPLICATE,
        S.DEFERRED,
    ]
    for target in (S.TRIAGED, S.IN_PROGRESS, S.FIXED):
        defect = defect_transition(actor=it_member, defect=defect, to_status=target)
    assert allowed_transitions(it_member, defect) == []
    assert allowed_transitions(pilot_user, defect) == [S.CLOSED, S.REOPENED]
    assert allowed_transitions(key_user, defect) == [S.CLOSED, S.REOPENED]
