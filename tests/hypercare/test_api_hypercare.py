"""Hypercare API beyond tickets: the overview with the exit criteria and the plan, SLA
targets, the weekly feedback round and module reviews; the policy for every role,
outsiders 404 or no rows, anonymous 401, bad input 400 with nothing saved, query counts
and the schema."""

import datetime
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from implementation.choices import TicketStatus
from implementation.models import FeedbackResponse, HypercarePlan, ModuleReview, SlaTarget
from implementation.services import hypercare
from projects.choices import Department, Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.hypercare.factories import HANOI_MONDAY_9AM, a_ticket, moved

OVERVIEW = "/api/v1/hypercare/"
TARGETS = "/api/v1/sla-targets/"
FEEDBACK = "/api/v1/feedback/"
REVIEWS = "/api/v1/module-reviews/"
MANAGERS = {Role.PROJECT_MANAGER, Role.CONSULTANT}
ANSWERING = {Role.KEY_USER, Role.PILOT_USER}
HOUR = datetime.timedelta(hours=1)
# Tuesday 24 November 2026, 10:00 in Hanoi: the last complete week began on 16 November.
NEXT_TUESDAY = HANOI_MONDAY_9AM + datetime.timedelta(days=8) + HOUR


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def plan_row(project):
    return HypercarePlan.objects.filter(project=project).values().first()


# --- The overview -----------------------------------------------------------------------------


def test_an_empty_project_reads_with_the_defaults_and_saves_nothing(api_as, project, viewer):
    with at(NEXT_TUESDAY):
        response = api_as(viewer).get(f"{OVERVIEW}{project.code.lower()}/")

    assert response.status_code == 200
    assert response.json() == {
        "project": project.code,
        "planned_end": "2027-01-05",  # three months after go-live on 5 October
        "exit_ready": False,
        "exit_criteria": [
            {
                "key": "no_open_critical_tickets",
                "label": "No open critical support tickets",
                "met": True,
                "actual": 0,
                "threshold": 0,
                "reasons": [],
            },
            {
                "key": "sla_met",
                "label": "SLA met in each of the last weeks",
                "met": True,
                "actual": 4,
                "threshold": 4,
                "reasons": [],
            },
            {
                "key": "inflow_falling",
                "label": "Ticket inflow falling week after week",
                "met": True,
                "actual": "0 → 0 → 0 → 0 → 0",
                "threshold": 4,
                "reasons": [],
            },
            {
                "key": "satisfaction",
                "label": "User satisfaction at or above the threshold (1-5)",
                "met": False,
                "actual": "-",
                "threshold": "4.0",
                "reasons": ["Nobody answered last week's feedback round."],
            },
        ],
        "weeks": [
            {
                "week": week,
                "raised": 0,
                "resolved": 0,
                "breaches": 0,
                "satisfaction": None,
                "answers": 0,
            }
            for week in ("2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16")
        ],
        "open_tickets": {"critical": 0, "high": 0, "medium": 0, "low": 0},
        "plan": {
            "planned_end": None,
            "work_starts": "08:00:00",
            "work_ends": "17:00:00",
            "working_days": "0,1,2,3,4",
            "holidays": [],
            "sla_weeks": 4,
            "inflow_weeks": 4,
            "satisfaction_threshold": "4.0",
            "updated_by": None,
            "updated_at": None,
        },
    }
    assert plan_row(project) is None


def test_the_overview_counts_weeks_breaches_and_open_tickets(
    api_as, project, pm, key_user, pilot_user
):
    a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="critical")
    answered = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="low")
    moved(answered, pm, TicketStatus.RESOLVED, at=HANOI_MONDAY_9AM + HOUR)
    a_ticket(project, key_user, at=HANOI_MONDAY_9AM + HOUR, severity="medium")
    with at(HANOI_MONDAY_9AM):
        hypercare.feedback_answer(actor=key_user, project=project, satisfaction=5)
        hypercare.feedback_answer(actor=pilot_user, project=project, satisfaction=4)

    with at(NEXT_TUESDAY):
        body = api_as(pilot_user).get(f"{OVERVIEW}{project.code}/").json()

    assert body["weeks"][-1] == {
        "week": "2026-11-16",
        "raised": 3,
        "resolved": 1,
        # Both clocks of the critical ticket (1 and 4 hours) and of the medium one (1 and 3
        # business days: due on Tuesday and Thursday) ran out unanswered that week.
        "breaches": 4,
        "satisfaction": "4.5",
        "answers": 2,
    }
    assert body["open_tickets"] == {"critical": 1, "high": 0, "medium": 1, "low": 0}
    criteria = {c["key"]: c for c in body["exit_criteria"]}
    assert (
        criteria["no_open_critical_tickets"]["met"],
        criteria["no_open_critical_tickets"]["reasons"],
    ) == (
        False,
        ["1 critical ticket is open."],
    )
    assert criteria["sla_met"]["actual"] == 0
    assert criteria["sla_met"]["reasons"] == ["Week of 2026-11-16: 4 SLA breaches."]
    assert (criteria["inflow_falling"]["met"], criteria["inflow_falling"]["actual"]) == (
        False,
        "0 → 0 → 0 → 0 → 3",
    )
    assert (criteria["satisfaction"]["met"], criteria["satisfaction"]["actual"]) == (True, "4.5")
    assert body["exit_ready"] is False


def test_the_project_manager_changes_the_plan(api_as, project, pm):
    response = api_as(pm).patch(
        f"{OVERVIEW}{project.code}/",
        {
            "planned_end": "2027-03-31",
            "work_starts": "07:30",
            "work_ends": "16:30",
            "working_days": "5, 0,1,2,3,4",
            "holidays": ["2027-01-01", "2026-12-31", "2027-01-01"],
            "sla_weeks": 2,
            "satisfaction_threshold": "3.5",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["planned_end"] == "2027-03-31"
    assert body["plan"] | {"updated_at": None} == {
        "planned_end": "2027-03-31",
        "work_starts": "07:30:00",
        "work_ends": "16:30:00",
        "working_days": "0,1,2,3,4,5",
        "holidays": ["2026-12-31", "2027-01-01"],
        "sla_weeks": 2,
        "inflow_weeks": 4,
        "satisfaction_threshold": "3.5",
        "updated_by": pm.username,
        "updated_at": None,
    }
    assert body["plan"]["updated_at"] is not None
    criteria = {c["key"]: c for c in body["exit_criteria"]}
    assert (criteria["sla_met"]["threshold"], criteria["satisfaction"]["threshold"]) == (2, "3.5")
    assert plan_row(project)["holidays"] == ["2026-12-31", "2027-01-01"]


def test_working_hours_apply_to_tickets_raised_afterwards(api_as, project, pm, key_user):
    api_as(pm).patch(
        f"{OVERVIEW}{project.code}/",
        {"work_starts": "10:00", "holidays": ["2026-11-16"]},
        format="json",
    )

    ticket = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="critical")

    # Monday is a holiday: Tuesday 10:00 + 1 working hour.
    assert ticket.response_due_at == HANOI_MONDAY_9AM + datetime.timedelta(days=1, hours=2)


@pytest.mark.parametrize("role", list(Role))
def test_change_the_plan_by_role(api_as, project, members, role):
    response = api_as(members[role]).patch(
        f"{OVERVIEW}{project.code}/", {"sla_weeks": 6}, format="json"
    )

    assert response.status_code == (200 if role in MANAGERS else 403)
    row = plan_row(project)
    assert (row and row["sla_weeks"]) == (6 if role in MANAGERS else None)


def test_a_member_without_the_capability_gets_403_before_the_input_is_read(
    api_as, project, it_member
):
    response = api_as(it_member).patch(
        f"{OVERVIEW}{project.code}/", {"holidays": "someday"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"holidays": ["someday"]}, {"holidays"}),
        ({"holidays": ["2026-02-30"]}, {"holidays"}),
        ({"holidays": "2026-12-31"}, {"holidays"}),
        ({"holidays": [20261231]}, {"holidays"}),
        ({"holidays": ["1066-10-14"]}, {"holidays"}),
        ({"work_ends": "07:00"}, {"work_ends"}),
        ({"work_starts": "18:00", "work_ends": "09:00"}, {"work_ends"}),
        ({"work_starts": "25:00"}, {"work_starts"}),
        ({"working_days": "7"}, {"working_days"}),
        ({"working_days": "mon,tue"}, {"working_days"}),
        ({"working_days": ""}, {"working_days"}),
        ({"sla_weeks": 0}, {"sla_weeks"}),
        ({"inflow_weeks": 27}, {"inflow_weeks"}),
        ({"satisfaction_threshold": "6"}, {"satisfaction_threshold"}),
        ({"satisfaction_threshold": "x"}, {"satisfaction_threshold"}),
        ({"planned_end": "2026-10-01"}, {"planned_end"}),  # before go-live
        ({"planned_end": "9999-12-31"}, {"planned_end"}),
        ({"planned_end": "soon"}, {"planned_end"}),
        ([], {"non_field_errors"}),
        ("text", {"non_field_errors"}),
    ],
)
def test_bad_plan_input_is_400_and_saves_nothing(api_as, project, pm, body, fields):
    response = api_as(pm).patch(f"{OVERVIEW}{project.code}/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert plan_row(project) is None


def test_a_bad_change_leaves_a_saved_plan_as_it_was(api_as, project, pm):
    hypercare.hypercare_plan_update(actor=pm, project=project, holidays=["2026-12-31"])
    before = plan_row(project)

    response = api_as(pm).patch(
        f"{OVERVIEW}{project.code}/",
        {"holidays": ["2027-01-01"], "work_starts": "18:00"},
        format="json",
    )

    assert response.status_code == 400
    assert plan_row(project) == before


def test_the_overview_is_not_put_listed_or_deleted(api_as, project, pm):
    client = api_as(pm)

    assert client.put(f"{OVERVIEW}{project.code}/", {}, format="json").status_code == 405
    assert client.delete(f"{OVERVIEW}{project.code}/").status_code == 405
    assert client.get(OVERVIEW).status_code == 404


def test_outsiders_get_404_for_the_overview(api_as, project, pm, outsider):
    client = api_as(outsider)

    assert client.get(f"{OVERVIEW}{project.code}/").status_code == 404
    response = client.patch(f"{OVERVIEW}{project.code}/", {"sla_weeks": 2}, format="json")
    assert response.status_code == 404
    assert api_as(pm).get(f"{OVERVIEW}NOPE-1/").status_code == 404
    assert plan_row(project) is None


# --- SLA targets ------------------------------------------------------------------------------


def target_body(project, /, **overrides) -> dict:
    return {
        "project": project.code,
        "severity": "high",
        "response_value": 2,
        "response_unit": "hours",
        "resolution_value": 2,
        "resolution_unit": "business_days",
    } | overrides


def test_targets_read_with_the_defaults(api_as, project, viewer):
    response = api_as(viewer).get(TARGETS, {"project": project.code})

    assert response.status_code == 200
    assert response.json() == [
        {
            "project": project.code,
            "severity": severity,
            "response_value": response_value,
            "response_unit": response_unit,
            "resolution_value": resolution_value,
            "resolution_unit": resolution_unit,
            "is_default": True,
        }
        for severity, response_value, response_unit, resolution_value, resolution_unit in [
            ("critical", 1, "hours", 4, "hours"),
            ("high", 4, "hours", 1, "business_days"),
            ("medium", 1, "business_days", 3, "business_days"),
            ("low", 3, "business_days", 10, "business_days"),
        ]
    ]
    assert not SlaTarget.objects.exists()


def test_set_a_target_and_tickets_raised_afterwards_keep_it(api_as, project, pm, key_user):
    response = api_as(pm).post(TARGETS, target_body(project), format="json")

    assert response.status_code == 200
    assert response.json() == target_body(project) | {"is_default": False}
    rows = api_as(key_user).get(TARGETS, {"project": project.code}).json()
    assert [(r["severity"], r["is_default"]) for r in rows] == [
        ("critical", True),
        ("high", False),
        ("medium", True),
        ("low", True),
    ]
    ticket = a_ticket(project, key_user, at=HANOI_MONDAY_9AM, severity="high")
    assert ticket.response_due_at == HANOI_MONDAY_9AM + 2 * HOUR
    assert ticket.resolution_due_at == HANOI_MONDAY_9AM + datetime.timedelta(days=2)


def test_setting_a_target_again_replaces_it(api_as, project, pm):
    api_as(pm).post(TARGETS, target_body(project), format="json")

    response = api_as(pm).post(TARGETS, target_body(project, response_value=3), format="json")

    assert response.status_code == 200
    assert SlaTarget.objects.get().response_value == 3


@pytest.mark.parametrize("role", list(Role))
def test_set_a_target_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(TARGETS, target_body(project), format="json")

    assert response.status_code == (200 if role in MANAGERS else 403)
    assert SlaTarget.objects.count() == (1 if role in MANAGERS else 0)


def test_targets_403_before_the_input_is_read(api_as, project, it_member):
    response = api_as(it_member).post(
        TARGETS, {"project": project.code, "severity": "urgent"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"severity": "urgent"}, {"severity"}),
        ({"response_unit": "weeks"}, {"response_unit"}),
        ({"response_value": 0}, {"response_value"}),
        ({"resolution_value": 1000}, {"resolution_value"}),
        ({"response_value": "x"}, {"response_value"}),
        (
            {"response_value": 5, "resolution_value": 4, "resolution_unit": "hours"},
            {"resolution_value"},
        ),
        ({"project": ""}, {"project"}),
        ({"project": "NOPE-1"}, {"project"}),
    ],
)
def test_bad_targets_are_400_and_save_nothing(api_as, project, pm, overrides, fields):
    response = api_as(pm).post(TARGETS, target_body(project, **overrides), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not SlaTarget.objects.exists()


def test_targets_need_a_project_and_hide_other_projects(api_as, project, pm, outsider):
    assert api_as(pm).get(TARGETS).status_code == 400
    assert set(api_as(pm).get(TARGETS).json()) == {"project"}
    assert api_as(outsider).get(TARGETS, {"project": project.code}).json() == []
    assert api_as(pm).get(TARGETS, {"project": "NOPE-1"}).json() == []
    response = api_as(outsider).post(TARGETS, target_body(project), format="json")
    assert (response.status_code, set(response.json())) == (400, {"project"})
    assert not SlaTarget.objects.exists()


def test_targets_are_not_put_or_deleted(api_as, project, pm):
    client = api_as(pm)

    assert client.put(TARGETS, target_body(project), format="json").status_code == 405
    assert client.delete(TARGETS).status_code == 405


# --- Weekly feedback --------------------------------------------------------------------------


def feedback_body(project, /, **overrides) -> dict:
    return {
        "project": project.code,
        "satisfaction": 4,
        "blockers": "Credit notes are slow.",
        "helps": "The champions' chat group.",
    } | overrides


def test_answer_this_weeks_round_and_answer_again(api_as, project, key_user):
    client = api_as(key_user)

    first = client.post(FEEDBACK, feedback_body(project), format="json")
    again = client.post(FEEDBACK, feedback_body(project, satisfaction=2), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    answer = FeedbackResponse.objects.get()
    assert (answer.satisfaction, answer.department, answer.week) == (
        2,
        Department.ACCOUNTING_FINANCE,
        hypercare.week_of(project.local_today()),
    )
    assert again.json() == {
        "pk": answer.pk,
        "project": project.code,
        "week": answer.week.isoformat(),
        "department": "accounting_finance",
        "satisfaction": 2,
        "blockers": "Credit notes are slow.",
        "helps": "The champions' chat group.",
        "submitted_at": again.json()["submitted_at"],
        "mine": True,
    }


@pytest.mark.parametrize("role", list(Role))
def test_answer_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(FEEDBACK, feedback_body(project), format="json")

    assert response.status_code == (201 if role in ANSWERING else 403)
    assert FeedbackResponse.objects.count() == (1 if role in ANSWERING else 0)


def test_a_champion_of_any_role_answers(api_as, project):
    champion = MembershipFactory(project=project, role=Role.EXECUTIVE, is_champion=True).user

    response = api_as(champion).post(FEEDBACK, feedback_body(project), format="json")

    assert response.status_code == 201


def test_feedback_403_before_the_input_is_read(api_as, project, pm):
    response = api_as(pm).post(
        FEEDBACK, {"project": project.code, "satisfaction": "x"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"satisfaction": 0}, {"satisfaction"}),
        ({"satisfaction": 6}, {"satisfaction"}),
        ({"satisfaction": "x"}, {"satisfaction"}),
        ({"satisfaction": None}, {"satisfaction"}),
        ({"satisfaction": 4.5}, {"satisfaction"}),
        ({"blockers": ["a"]}, {"blockers"}),
        ({"project": "NOPE-1"}, {"project"}),
    ],
)
def test_bad_feedback_is_400_and_saves_nothing(api_as, project, pilot_user, overrides, fields):
    response = api_as(pilot_user).post(FEEDBACK, feedback_body(project, **overrides), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not FeedbackResponse.objects.exists()


@pytest.mark.parametrize("body", [[], "text", 3])
def test_feedback_that_is_not_an_object_is_400(api_as, project, pilot_user, body):
    response = api_as(pilot_user).post(FEEDBACK, body, format="json")

    assert (response.status_code, set(response.json())) == (400, {"non_field_errors"})
    assert not FeedbackResponse.objects.exists()


def test_members_read_the_answers_without_names(
    api_as, project, key_user, pilot_user, viewer, outsider
):
    with at(HANOI_MONDAY_9AM):
        hypercare.feedback_answer(actor=key_user, project=project, satisfaction=5)
    hypercare.feedback_answer(actor=pilot_user, project=project, satisfaction=3)
    client = api_as(pilot_user)

    def answers(**query):
        response = client.get(FEEDBACK, query)
        assert response.status_code == 200
        return [(a["week"], a["satisfaction"], a["mine"]) for a in response.json()["results"]]

    this_week = hypercare.week_of(project.local_today()).isoformat()
    assert answers(project=project.code) == [(this_week, 3, True), ("2026-11-16", 5, False)]
    assert answers(week="2026-11-19") == [("2026-11-16", 5, False)]  # any day of the week
    assert "respondent" not in client.get(FEEDBACK).json()["results"][0]
    assert len(api_as(viewer).get(FEEDBACK).json()["results"]) == 2
    assert api_as(outsider).get(FEEDBACK).json()["results"] == []
    assert api_as(outsider).get(FEEDBACK, {"project": project.code}).json()["results"] == []
    assert client.get(FEEDBACK, {"week": "someday"}).status_code == 400


def test_feedback_is_not_changed_or_deleted_by_pk(api_as, project, key_user):
    answer = hypercare.feedback_answer(actor=key_user, project=project, satisfaction=4)
    client = api_as(key_user)

    assert client.patch(f"{FEEDBACK}{answer.pk}/", {"satisfaction": 1}).status_code == 404
    assert client.delete(f"{FEEDBACK}{answer.pk}/").status_code == 404
    assert client.put(FEEDBACK, feedback_body(project), format="json").status_code == 405
    assert FeedbackResponse.objects.get().satisfaction == 4


# --- Module reviews ---------------------------------------------------------------------------


def review_body(project, /, **overrides) -> dict:
    return {
        "project": project.code,
        "module": "Sales - Quotations",
        "decision": "needs_training",
        "note": "Half the reps still quote in spreadsheets.",
    } | overrides


def test_record_a_module_review(api_as, project, consultant, viewer):
    response = api_as(consultant).post(REVIEWS, review_body(project), format="json")

    assert response.status_code == 201
    review = ModuleReview.objects.get()
    assert response.json() == {
        "pk": review.pk,
        "project": project.code,
        "module": "Sales - Quotations",
        "reviewed_on": project.local_today().isoformat(),
        "decision": "needs_training",
        "note": "Half the reps still quote in spreadsheets.",
        "reviewer": consultant.username,
    }
    assert api_as(viewer).get(REVIEWS).json()["results"] == [response.json()]


@pytest.mark.parametrize("role", list(Role))
def test_record_a_review_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(REVIEWS, review_body(project), format="json")

    assert response.status_code == (201 if role in MANAGERS else 403)
    assert ModuleReview.objects.count() == (1 if role in MANAGERS else 0)


def test_reviews_403_before_the_input_is_read(api_as, project, key_user):
    response = api_as(key_user).post(
        REVIEWS, {"project": project.code, "decision": "maybe"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"decision": "great"}, {"decision"}),
        ({"note": ""}, {"note"}),
        ({"module": ""}, {"module"}),
        ({"module": "x" * 121}, {"module"}),
        ({"reviewed_on": "2999-01-01"}, {"reviewed_on"}),
        ({"reviewed_on": "yesterday"}, {"reviewed_on"}),
        ({"reviewed_on": "1066-10-14"}, {"reviewed_on"}),
        ({"project": "NOPE-1"}, {"project"}),
    ],
)
def test_bad_reviews_are_400_and_save_nothing(api_as, project, pm, overrides, fields):
    response = api_as(pm).post(REVIEWS, review_body(project, **overrides), format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not ModuleReview.objects.exists()


def test_reviews_list_newest_first_per_module_and_filter(api_as, project, pm, outsider):
    today = project.local_today()
    for module, days in [("Sales", 14), ("Sales", 0), ("Inventory", 7)]:
        hypercare.module_review_record(
            actor=pm,
            project=project,
            module=module,
            decision="fine",
            note="Used daily.",
            reviewed_on=today - datetime.timedelta(days=days),
        )
    client = api_as(pm)

    def reviews(**query):
        return [
            (r["module"], r["reviewed_on"]) for r in client.get(REVIEWS, query).json()["results"]
        ]

    assert reviews(project=project.code) == [
        ("Inventory", (today - datetime.timedelta(days=7)).isoformat()),
        ("Sales", today.isoformat()),
        ("Sales", (today - datetime.timedelta(days=14)).isoformat()),
    ]
    assert [m for m, _day in reviews(module="sales")] == ["Sales", "Sales"]
    assert api_as(outsider).get(REVIEWS).json()["results"] == []
    assert api_as(outsider).get(REVIEWS, {"project": project.code}).json()["results"] == []


# --- Anonymous, query counts, schema ----------------------------------------------------------


def test_anonymous_clients_get_401(api_client, project):
    for endpoint in (FEEDBACK, REVIEWS, f"{TARGETS}?project={project.code}"):
        assert api_client.get(endpoint).status_code == 401
    assert api_client.get(f"{OVERVIEW}{project.code}/").status_code == 401
    assert api_client.patch(f"{OVERVIEW}{project.code}/", {"sla_weeks": 2}).status_code == 401
    assert api_client.post(TARGETS, target_body(project), format="json").status_code == 401
    assert api_client.post(FEEDBACK, feedback_body(project), format="json").status_code == 401
    assert api_client.post(REVIEWS, review_body(project), format="json").status_code == 401
    for model in (HypercarePlan, SlaTarget, FeedbackResponse, ModuleReview):
        assert not model.objects.exists()


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_counts_do_not_grow(api_as, pm):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
        for number in range(size):
            user = MembershipFactory(project=other, role=Role.PILOT_USER).user
            hypercare.feedback_answer(actor=user, project=other, satisfaction=1 + number % 5)
            hypercare.module_review_record(
                actor=pm, project=other, module=f"Module {number}", decision="fine", note="Ok"
            )
            ticket = a_ticket(
                other,
                user,
                at=timezone.now() - datetime.timedelta(days=number),
                severity=["critical", "high", "medium", "low"][number % 4],
            )
            if number % 2:
                moved(ticket, pm, TicketStatus.RESOLVED)
        client = api_as(pm)
        counts.append(
            (
                _count(client, f"{FEEDBACK}?project={other.code}"),
                _count(client, FEEDBACK),
                _count(client, f"{REVIEWS}?project={other.code}"),
                _count(client, f"{OVERVIEW}{other.code}/"),
                _count(client, f"{TARGETS}?project={other.code}"),
            )
        )

    assert counts[0] == counts[1]


def test_schema_documents_the_hypercare_endpoints(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    expected = {
        "/api/v1/tickets/": {"get", "post"},
        "/api/v1/tickets/{id}/": {"get", "patch"},
        "/api/v1/tickets/{id}/transition/": {"post"},
        "/api/v1/tickets/{id}/comments/": {"get", "post"},
        "/api/v1/tickets/{id}/history/": {"get"},
        "/api/v1/tickets/{id}/attachments/": {"get", "post"},
        "/api/v1/tickets/{id}/convert-to-defect/": {"post"},
        "/api/v1/tickets/{id}/link-change/": {"post"},
        "/api/v1/ticket-board/{code}/": {"get"},
        "/api/v1/hypercare/{code}/": {"get", "patch"},
        "/api/v1/sla-targets/": {"get", "post"},
        "/api/v1/feedback/": {"get", "post"},
        "/api/v1/module-reviews/": {"get", "post"},
    }
    assert {path: set(paths[path]) for path in expected} == expected
    ticket_filters = {p["name"] for p in paths["/api/v1/tickets/"]["get"]["parameters"]}
    assert {"project", "status", "open", "severity", "module", "assignee", "breached"} <= (
        ticket_filters
    )
    target_filters = paths["/api/v1/sla-targets/"]["get"]["parameters"]
    assert [(p["name"], p["required"]) for p in target_filters] == [("project", True)]


def test_the_schema_is_valid_and_generated_without_warnings(tmp_path, db):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    schema = (tmp_path / "schema.yaml").read_text()
    assert "TicketStatusEnum" in schema
    assert "SlaUnitEnum" in schema
