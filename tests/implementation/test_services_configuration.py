"""The configuration log's rules: numbering, team members, phases, corrections, capability,
the append-only model, and the demo log."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from implementation.choices import Environment, PhaseKind
from implementation.demo_configuration import seed_configuration_log
from implementation.models import ConfigurationChange
from implementation.models.configuration import AppendOnlyError
from implementation.services.configuration import newest_correction
from projects.choices import Role
from projects.demo import DEMO_USERS, demo_seed
from projects.models import User
from tests.factories import MembershipFactory, PhaseFactory, ProjectFactory, UserFactory
from tests.implementation.conftest import APPLIED_AT

WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
READERS_ONLY = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]


def log_rows(project=None) -> list[dict]:
    queryset = ConfigurationChange.objects.order_by("pk")
    if project is not None:
        queryset = queryset.filter(project=project)
    return list(queryset.values())


# --- Numbering and recording --------------------------------------------------------------


def test_first_entry_gets_number_1_and_the_actor_as_recorder(
    project, pm, consultant, record_change
):
    change = record_change(pm, requested_by=consultant, approved_by=pm)

    change.refresh_from_db()
    assert change.number == 1
    assert change.display_number == "CFG-1"
    assert change.recorded_by == pm
    assert change.requested_by == consultant
    assert change.approved_by == pm
    assert change.project == project
    assert change.applied_at == APPLIED_AT
    assert change.supersedes is None


def test_numbers_follow_the_highest_number_of_the_same_project(
    project, pm, record_change, change_factory
):
    change_factory(project=project, number=7, recorded_by=pm)
    other_project = ProjectFactory()
    change_factory(project=other_project, number=40)

    change = record_change(pm)

    assert change.number == 8
    assert ConfigurationChange.objects.filter(project=other_project).get().number == 40


def test_each_project_numbers_its_own_log_from_1(project, pm, record_change):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)

    first = record_change(pm)
    second = record_change(pm)
    elsewhere = record_change(pm, project=other)

    assert [first.number, second.number, elsewhere.number] == [1, 2, 1]


def test_area_setting_and_reference_are_trimmed(pm, record_change):
    change = record_change(
        pm, area="  Inventory ", setting=" Warehouse WH-LB  ", reference=" REQ-21 "
    )

    change.refresh_from_db()
    assert (change.area, change.setting, change.reference) == (
        "Inventory",
        "Warehouse WH-LB",
        "REQ-21",
    )


def test_old_value_reference_approver_and_phase_are_optional(pm, record_change):
    change = record_change(pm, old_value="", reference="", approved_by=None, phase=None)

    change.refresh_from_db()
    assert (change.old_value, change.reference, change.approved_by, change.phase) == (
        "",
        "",
        None,
        None,
    )


def test_phase_of_the_project_is_kept(project, pm, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)

    change = record_change(pm, phase=design)

    change.refresh_from_db()
    assert change.phase == design


# --- Team members and phases --------------------------------------------------------------


def test_requester_outside_the_team_is_a_field_error_and_nothing_is_saved(
    pm, outsider, record_change
):
    with pytest.raises(ValidationError) as caught:
        record_change(pm, requested_by=outsider)

    assert caught.value.message_dict == {
        "requested_by": ["Choose a member of this project's team."]
    }
    assert log_rows() == []


def test_approver_outside_the_team_is_a_field_error_and_nothing_is_saved(
    pm, outsider, record_change
):
    with pytest.raises(ValidationError) as caught:
        record_change(pm, approved_by=outsider)

    assert caught.value.message_dict == {"approved_by": ["Choose a member of this project's team."]}
    assert log_rows() == []


def test_unknown_requester_and_approver_are_reported_together(pm, record_change):
    stranger, other_stranger = UserFactory(), UserFactory()

    with pytest.raises(ValidationError) as caught:
        record_change(pm, requested_by=stranger, approved_by=other_stranger)

    assert set(caught.value.message_dict) == {"requested_by", "approved_by"}
    assert log_rows() == []


def test_phase_of_another_project_is_a_field_error_and_nothing_is_saved(pm, record_change):
    foreign_phase = PhaseFactory(kind=PhaseKind.DESIGN)

    with pytest.raises(ValidationError) as caught:
        record_change(pm, phase=foreign_phase)

    assert caught.value.message_dict == {"phase": ["Choose a phase of this project."]}
    assert log_rows() == []


def test_missing_and_invalid_values_are_field_errors_and_nothing_is_saved(pm, record_change):
    with pytest.raises(ValidationError) as caught:
        record_change(pm, area="", setting="", new_value="", reason="", environment="moon")

    assert set(caught.value.message_dict) == {
        "area",
        "setting",
        "new_value",
        "reason",
        "environment",
    }
    assert log_rows() == []


def test_time_without_a_time_zone_is_a_field_error(pm, record_change):
    with pytest.raises(ValidationError) as caught:
        record_change(pm, applied_at=datetime.datetime(2026, 3, 2, 14, 30))  # noqa: DTZ001

    assert caught.value.message_dict == {"applied_at": ["Give the time with its time zone."]}
    assert log_rows() == []


def test_too_long_area_is_a_field_error(pm, record_change):
    with pytest.raises(ValidationError) as caught:
        record_change(pm, area="A" * 121)

    assert list(caught.value.message_dict) == ["area"]
    assert log_rows() == []


# --- Corrections --------------------------------------------------------------------------


def test_correction_points_to_the_entry_it_corrects(pm, record_change):
    wrong = record_change(pm, new_value="200,000,000 ₫")

    correction = record_change(
        pm, old_value="200,000,000 ₫", new_value="20,000,000 ₫", supersedes=wrong
    )

    wrong.refresh_from_db()
    assert correction.number == 2
    assert correction.supersedes == wrong
    assert wrong.superseded_by == correction
    assert wrong.new_value == "200,000,000 ₫"  # history stays as it was


def test_entry_already_corrected_cannot_be_corrected_again_and_the_newest_is_named(
    pm, record_change
):
    first = record_change(pm)
    second = record_change(pm, supersedes=first)
    third = record_change(pm, supersedes=second)
    before = log_rows()

    with pytest.raises(ValidationError) as caught:
        record_change(pm, supersedes=first)

    assert caught.value.message_dict == {
        "supersedes": [
            "CFG-1 has already been corrected by CFG-2. "
            "Record a correction of the newest entry, CFG-3, instead."
        ]
    }
    assert log_rows() == before
    assert newest_correction(first) == third


def test_entry_of_another_project_cannot_be_corrected_here(
    project, pm, record_change, change_factory
):
    foreign = change_factory(project=ProjectFactory())
    before = log_rows()

    with pytest.raises(ValidationError) as caught:
        record_change(pm, supersedes=foreign)

    assert caught.value.message_dict == {
        "supersedes": ["Only an entry of this project's log can be corrected here."]
    }
    assert log_rows() == before


# --- Capability ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_project_managers_consultants_and_it_record_entries(members, record_change, role):
    change = record_change(members[role])

    assert ConfigurationChange.objects.get().recorded_by == members[role]
    assert change.number == 1


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_are_refused_and_nothing_is_saved(
    members, record_change, role
):
    with pytest.raises(PermissionDenied) as caught:
        record_change(members[role], requested_by=members[Role.PROJECT_MANAGER])

    assert str(caught.value) == (
        "Your role on this project does not allow you to write to the configuration log."
    )
    assert log_rows() == []


def test_outsider_is_refused_and_nothing_is_saved(pm, outsider, record_change):
    with pytest.raises(PermissionDenied):
        record_change(outsider, requested_by=pm)

    assert log_rows() == []


def test_capability_is_checked_before_the_input(viewer, outsider, record_change):
    # a member without the capability learns that first, even when the input is wrong too
    with pytest.raises(PermissionDenied):
        record_change(viewer, requested_by=outsider, new_value="")

    assert log_rows() == []


def test_superuser_records_without_being_a_member(pm, superuser, record_change):
    change = record_change(superuser, requested_by=pm)

    assert change.recorded_by == superuser


# --- The model is append-only --------------------------------------------------------------


def test_saving_an_existing_entry_raises_and_changes_nothing(pm, record_change):
    change = record_change(pm)
    before = log_rows()

    change.new_value = "Rewritten history"
    with pytest.raises(AppendOnlyError):
        change.save()

    assert log_rows() == before


def test_deleting_an_entry_raises_and_keeps_it(pm, record_change):
    change = record_change(pm)
    before = log_rows()

    with pytest.raises(AppendOnlyError):
        change.delete()

    assert log_rows() == before


def test_queryset_update_raises_and_changes_nothing(pm, record_change):
    record_change(pm)
    before = log_rows()

    with pytest.raises(AppendOnlyError):
        ConfigurationChange.objects.filter(number=1).update(new_value="Rewritten")

    assert log_rows() == before


def test_queryset_delete_raises_and_keeps_every_entry(pm, record_change):
    record_change(pm)
    record_change(pm)
    before = log_rows()

    with pytest.raises(AppendOnlyError):
        ConfigurationChange.objects.all().delete()

    assert log_rows() == before


# --- Demo log -----------------------------------------------------------------------------


@pytest.fixture
def demo_project(db):
    today = datetime.date(2026, 11, 23)
    project = demo_seed(password="demo-password", today=today)
    users = {spec.username: User.objects.get(username=spec.username) for spec in DEMO_USERS}
    return project, users, today


def test_demo_log_records_forty_believable_entries_with_two_corrections(demo_project):
    project, users, today = demo_project

    seed_configuration_log(project=project, users=users, today=today)

    changes = list(ConfigurationChange.objects.filter(project=project).order_by("number"))
    assert [change.number for change in changes] == list(range(1, 41))
    corrections = [change for change in changes if change.supersedes_id]
    assert [(c.number, c.supersedes.number) for c in corrections] == [(32, 17), (33, 21)]
    assert corrections[0].reason.startswith("CFG-17 recorded the limit with an extra zero")
    assert {change.environment for change in changes} == set(Environment)
    assert {change.phase.kind for change in changes} == {
        PhaseKind.DISCOVERY,
        PhaseKind.DESIGN,
        PhaseKind.DEVELOPMENT,
        PhaseKind.TESTING,
    }
    assert sum(change.approved_by_id is not None for change in changes) >= 5
    applied = [change.applied_at for change in changes]
    assert applied == sorted(applied)
    assert applied[0].date() >= max(today - datetime.timedelta(days=150), project.start_date)
    assert applied[-1] < datetime.datetime.combine(
        today, datetime.time.min, tzinfo=APPLIED_AT.tzinfo
    )
    assert {change.recorded_by.username for change in changes} <= {"pm", "consultant", "it"}


def test_demo_log_leaves_a_project_that_already_has_a_log_alone(demo_project):
    project, users, today = demo_project
    seed_configuration_log(project=project, users=users, today=today)
    before = log_rows(project)

    seed_configuration_log(project=project, users=users, today=today)

    assert log_rows(project) == before
