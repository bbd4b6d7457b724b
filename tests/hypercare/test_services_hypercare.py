"""The hypercare plan, SLA targets, the weekly feedback round and module reviews through
their services, and who may call every hypercare service."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from implementation.choices import Environment, ReviewDecision, TicketStatus
from implementation.models import FeedbackResponse, HypercarePlan, ModuleReview, SlaTarget
from implementation.services import hypercare
from implementation.services.configuration import configuration_change_record
from projects import services as project_services
from projects.models import Membership
from tests.factories import ProjectFactory
from tests.hypercare.factories import (
    HANOI_MONDAY_9AM,
    a_ticket,
    answered,
    frozen,
    local,
    moved,
    on_hypercare_team,
)

pytestmark = pytest.mark.django_db


# --- The plan --------------------------------------------------------------------------------


def test_reading_the_plan_gives_the_defaults_without_writing(project):
    plan = hypercare.hypercare_plan_of(project)

    assert plan.pk is None
    assert (plan.work_starts, plan.work_ends) == (datetime.time(8), datetime.time(17))
    assert (plan.sla_weeks, plan.inflow_weeks) == (4, 4)
    assert plan.satisfaction_threshold == Decimal("4.0")
    assert hypercare.planned_end(project) == datetime.date(2027, 1, 5)  # go-live 2026-10-05
    assert not HypercarePlan.objects.exists()


@pytest.mark.parametrize(
    ("go_live", "end"),
    [
        (datetime.date(2026, 11, 30), datetime.date(2027, 2, 28)),
        (datetime.date(2027, 11, 30), datetime.date(2028, 2, 29)),
        (datetime.date(2026, 5, 31), datetime.date(2026, 8, 31)),
        (datetime.date(2026, 12, 31), datetime.date(2027, 3, 31)),
    ],
)
def test_the_default_end_is_three_months_after_go_live(go_live, end):
    project = ProjectFactory(target_go_live=go_live)
    assert hypercare.planned_end(project) == end


def test_the_plan_is_saved_cleaned(project, pm):
    plan = hypercare.hypercare_plan_update(
        actor=pm,
        project=project,
        planned_end=datetime.date(2027, 3, 31),
        working_days="5,0,1,2,3,4,4",
        holidays=["2026-12-31", datetime.date(2026, 9, 2), "2026-12-31"],
        sla_weeks=3,
        satisfaction_threshold=Decimal("3.5"),
    )

    plan.refresh_from_db()
    assert plan.working_days == "0,1,2,3,4,5"
    assert plan.holidays == ["2026-09-02", "2026-12-31"]
    assert (plan.sla_weeks, plan.inflow_weeks) == (3, 4)
    assert plan.updated_by == pm
    assert hypercare.planned_end(project) == datetime.date(2027, 3, 31)
    hours = hypercare.working_time(project)
    assert hours.weekdays == frozenset(range(6))
    assert datetime.date(2026, 9, 2) in hours.holidays


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"work_starts": datetime.time(17), "work_ends": datetime.time(8)}, {"work_ends"}),
        ({"work_ends": datetime.time(8)}, {"work_ends"}),
        ({"work_ends": "25:00"}, {"work_ends"}),
        ({"work_starts": "early", "work_ends": "late"}, {"work_starts", "work_ends"}),
        ({"working_days": "0,1,7"}, {"working_days"}),
        ({"working_days": "mon,tue"}, {"working_days"}),
        ({"working_days": " , "}, {"working_days"}),
        ({"holidays": ["2026-02-30"]}, {"holidays"}),
        ({"holidays": ["Tết"]}, {"holidays"}),
        ({"holidays": "2026-09-02"}, {"holidays"}),
        ({"holidays": [20260902]}, {"holidays"}),
        ({"holidays": ["1890-01-01"]}, {"holidays"}),
        ({"planned_end": datetime.date(2026, 10, 5)}, {"planned_end"}),
        ({"planned_end": datetime.date(2026, 9, 1)}, {"planned_end"}),
        ({"sla_weeks": 0, "inflow_weeks": 27}, {"sla_weeks", "inflow_weeks"}),
        ({"satisfaction_threshold": Decimal("5.5")}, {"satisfaction_threshold"}),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_saved(project, pm, changes, fields):
    with pytest.raises(ValidationError) as error:
        hypercare.hypercare_plan_update(actor=pm, project=project, **changes)

    assert set(error.value.message_dict) == fields
    assert not HypercarePlan.objects.exists()


def test_times_given_as_text_are_read(project, pm):
    plan = hypercare.hypercare_plan_update(
        actor=pm, project=project, work_starts="07:30", work_ends="16:30"
    )

    plan.refresh_from_db()
    assert (plan.work_starts, plan.work_ends) == (datetime.time(7, 30), datetime.time(16, 30))


def test_a_refused_change_leaves_the_saved_plan_alone(project, pm):
    hypercare.hypercare_plan_update(actor=pm, project=project, working_days="0,1,2,3,4,5")

    with pytest.raises(ValidationError):
        hypercare.hypercare_plan_update(
            actor=pm, project=project, working_days="0,1", work_ends=datetime.time(7)
        )

    assert HypercarePlan.objects.get().working_days == "0,1,2,3,4,5"


def test_unknown_plan_fields_are_a_programming_error(project, pm):
    with pytest.raises(TypeError):
        hypercare.hypercare_plan_update(actor=pm, project=project, project_id=3)


# --- SLA targets -----------------------------------------------------------------------------


def test_targets_are_the_defaults_until_set(project, consultant):
    assert hypercare.targets(project) == {
        "critical": ((1, "hours"), (4, "hours")),
        "high": ((4, "hours"), (1, "business_days")),
        "medium": ((1, "business_days"), (3, "business_days")),
        "low": ((3, "business_days"), (10, "business_days")),
    }

    hypercare.sla_target_set(
        actor=consultant,
        project=project,
        severity="low",
        response_value=2,
        response_unit="business_days",
        resolution_value=5,
        resolution_unit="business_days",
    )
    again = hypercare.sla_target_set(
        actor=consultant,
        project=project,
        severity="low",
        response_value=1,
        response_unit="business_days",
        resolution_value=5,
        resolution_unit="business_days",
    )

    assert SlaTarget.objects.get() == again
    assert hypercare.targets(project)["low"] == ((1, "business_days"), (5, "business_days"))
    assert hypercare.targets(project)["critical"] == ((1, "hours"), (4, "hours"))


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"response_value": 0}, {"response_value"}),
        ({"resolution_value": 1000}, {"resolution_value"}),
        ({"response_unit": "minutes"}, {"response_unit"}),
        ({"severity": "blocker"}, {"severity"}),
        # 10 working hours is more than 1 business day of 9 hours.
        ({"response_value": 10, "resolution_value": 1}, {"resolution_value"}),
    ],
)
def test_bad_targets_are_refused(project, pm, values, fields):
    arguments = {
        "severity": "high",
        "response_value": 4,
        "response_unit": "hours",
        "resolution_value": 1,
        "resolution_unit": "business_days",
    } | values

    with pytest.raises(ValidationError) as error:
        hypercare.sla_target_set(actor=pm, project=project, **arguments)

    assert set(error.value.message_dict) == fields
    assert not SlaTarget.objects.exists()


# --- Weekly feedback -------------------------------------------------------------------------


def test_feedback_belongs_to_this_week_and_a_second_answer_replaces_it(project, pilot_user):
    tuesday = local(project, 2026, 11, 17, 10)
    first = answered(project, pilot_user, 2, at=tuesday, blockers="Slow price lookup.")

    second = answered(
        project, pilot_user, 4, at=tuesday + datetime.timedelta(days=3), helps="  Hotline.  "
    )

    assert first.pk == second.pk
    response = FeedbackResponse.objects.get()
    assert response.week == datetime.date(2026, 11, 16)
    assert (response.satisfaction, response.blockers, response.helps) == (4, "", "Hotline.")
    assert response.department == "sales"


def test_a_new_week_is_a_new_answer_in_the_projects_time_zone(project, pilot_user):
    # Sunday 23:30 in Hanoi is still the week of Monday 16 November (16:30 UTC).
    answered(project, pilot_user, 3, at=local(project, 2026, 11, 22, 23, 30))
    answered(project, pilot_user, 4, at=local(project, 2026, 11, 23, 0, 30))

    assert list(FeedbackResponse.objects.order_by("week").values_list("week", "satisfaction")) == [
        (datetime.date(2026, 11, 16), 3),
        (datetime.date(2026, 11, 23), 4),
    ]


def test_champions_answer_whatever_their_role(project, pm, executive, it_member):
    membership = Membership.objects.get(project=project, user=executive)
    project_services.membership_set_go_live_roles(actor=pm, membership=membership, is_champion=True)

    response = answered(project, executive, 5, at=HANOI_MONDAY_9AM)

    assert response.department == "management"
    with pytest.raises(PermissionDenied):
        answered(project, it_member, 5, at=HANOI_MONDAY_9AM)


def test_a_key_user_who_is_not_a_champion_answers(project, pm, key_user):
    membership = Membership.objects.get(project=project, user=key_user)
    project_services.membership_set_go_live_roles(
        actor=pm, membership=membership, is_champion=False
    )

    assert answered(project, key_user, 4, at=HANOI_MONDAY_9AM).satisfaction == 4


@pytest.mark.parametrize("value", [0, 6, None, -1])
def test_satisfaction_is_one_to_five(project, pilot_user, value):
    with pytest.raises(ValidationError) as error:
        answered(project, pilot_user, value, at=HANOI_MONDAY_9AM)

    assert list(error.value.message_dict) == ["satisfaction"]
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize("value", [1, 5])
def test_satisfaction_bounds_are_accepted(project, pilot_user, value):
    assert answered(project, pilot_user, value, at=HANOI_MONDAY_9AM).satisfaction == value


def test_a_refused_second_answer_keeps_the_first(project, pilot_user):
    answered(project, pilot_user, 3, at=HANOI_MONDAY_9AM, blockers="Printing.")

    with pytest.raises(ValidationError):
        answered(project, pilot_user, 9, at=HANOI_MONDAY_9AM)

    response = FeedbackResponse.objects.get()
    assert (response.satisfaction, response.blockers) == (3, "Printing.")


# --- Module reviews --------------------------------------------------------------------------


def test_a_module_review_is_history(project, consultant):
    with frozen(HANOI_MONDAY_9AM):
        first = hypercare.module_review_record(
            actor=consultant,
            project=project,
            module=" Sales ",
            decision=ReviewDecision.NEEDS_TRAINING,
            note="Returns are keyed as new orders.",
            reviewed_on=datetime.date(2026, 11, 9),
        )
        second = hypercare.module_review_record(
            actor=consultant,
            project=project,
            module="Sales",
            decision=ReviewDecision.FINE,
            note="Returns keyed right after the refresher.",
        )

    assert first.module == "Sales"
    assert second.reviewed_on == datetime.date(2026, 11, 16)  # today in Hanoi
    assert second.reviewer == consultant
    assert ModuleReview.objects.filter(module="Sales").count() == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reviewed_on": datetime.date(2026, 11, 17)}, "reviewed_on"),  # tomorrow
        ({"reviewed_on": datetime.date(1899, 1, 1)}, "reviewed_on"),
        ({"decision": "maybe"}, "decision"),
        ({"note": "   "}, "note"),
        ({"module": ""}, "module"),
    ],
)
def test_bad_module_reviews_are_refused(project, pm, values, field):
    arguments = {
        "module": "Inventory",
        "decision": ReviewDecision.NEEDS_CHANGE,
        "note": "Transfers need a second approval.",
    } | values

    with frozen(HANOI_MONDAY_9AM), pytest.raises(ValidationError) as error:
        hypercare.module_review_record(actor=pm, project=project, **arguments)

    assert list(error.value.message_dict) == [field]
    assert not ModuleReview.objects.exists()


# --- Who may call what -----------------------------------------------------------------------

ROLES = ["pm", "consultant", "it_member", "key_user", "pilot_user", "executive", "viewer"]
SUPPORT = {"pm", "consultant", "it_member"}
RAISERS = {"pm", "consultant", "it_member", "key_user", "pilot_user", "executive"}
MANAGERS = {"pm", "consultant"}

# Who may call each service, written out (key and pilot users are champions in conftest).
ALLOWED = {
    "ticket_raise": RAISERS,
    "ticket_update": SUPPORT,
    "ticket_transition": SUPPORT,
    "ticket_comment_add": RAISERS,
    "ticket_attach": RAISERS,
    "ticket_convert_to_defect": SUPPORT,
    "ticket_link_change": SUPPORT,
    "sla_target_set": MANAGERS,
    "hypercare_plan_update": MANAGERS,
    "feedback_answer": {"key_user", "pilot_user"},
    "module_review_record": MANAGERS,
}


def call(service, actor, project, people):
    """Call `service` as `actor` with valid input."""
    raiser = people["pm"]
    if service == "ticket_raise":
        return a_ticket(project, actor)
    if service == "ticket_update":
        return hypercare.ticket_update(actor=actor, ticket=a_ticket(project, raiser), title="New")
    if service == "ticket_transition":
        return moved(a_ticket(project, raiser), actor, TicketStatus.ACKNOWLEDGED)
    if service == "ticket_comment_add":
        return hypercare.ticket_comment_add(actor=actor, ticket=a_ticket(project, raiser), body="?")
    if service == "ticket_attach":
        upload = SimpleUploadedFile("note.txt", b"The till prints no VAT line.\n")
        return hypercare.ticket_attach(actor=actor, ticket=a_ticket(project, raiser), upload=upload)
    if service == "ticket_convert_to_defect":
        return hypercare.ticket_convert_to_defect(actor=actor, ticket=a_ticket(project, raiser))
    if service == "ticket_link_change":
        change = configuration_change_record(
            actor=people["it_member"],
            project=project,
            area="Sales",
            setting="Default price list",
            new_value="Retail 2026",
            reason="TCK-1",
            requested_by=people["it_member"],
            environment=Environment.PRODUCTION,
            applied_at=HANOI_MONDAY_9AM,
        )
        ticket = a_ticket(project, raiser)
        return hypercare.ticket_link_change(actor=actor, ticket=ticket, change=change)
    if service == "sla_target_set":
        return hypercare.sla_target_set(
            actor=actor,
            project=project,
            severity="high",
            response_value=2,
            response_unit="hours",
            resolution_value=2,
            resolution_unit="business_days",
        )
    if service == "hypercare_plan_update":
        return hypercare.hypercare_plan_update(actor=actor, project=project, sla_weeks=3)
    if service == "feedback_answer":
        return hypercare.feedback_answer(actor=actor, project=project, satisfaction=4)
    assert service == "module_review_record"
    return hypercare.module_review_record(
        actor=actor, project=project, module="Sales", decision="fine", note="Used daily."
    )


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.usefixtures("_media")
@pytest.mark.parametrize("role", [*ROLES, "outsider"])
@pytest.mark.parametrize("service", list(ALLOWED))
def test_policy_of_every_service_for_every_role(request, project, members, service, role):
    people = {name: request.getfixturevalue(name) for name in ROLES}
    actor = request.getfixturevalue(role)

    if role in ALLOWED[service]:
        assert call(service, actor, project, people) is not None
    else:
        with pytest.raises(PermissionDenied):
            call(service, actor, project, people)


@pytest.mark.usefixtures("_media")
@pytest.mark.parametrize("service", list(ALLOWED))
def test_a_pilot_user_on_the_hypercare_team_handles_tickets_but_manages_nothing(
    request, project, members, service
):
    people = {name: request.getfixturevalue(name) for name in ROLES}
    on_hypercare_team(project, people["pm"], people["pilot_user"])
    handles = ALLOWED[service] | (
        {"pilot_user"} if service.startswith("ticket_") and service != "ticket_raise" else set()
    )

    if "pilot_user" in handles:
        assert call(service, people["pilot_user"], project, people) is not None
    else:
        with pytest.raises(PermissionDenied):
            call(service, people["pilot_user"], project, people)
