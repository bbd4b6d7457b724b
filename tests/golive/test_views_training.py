"""Training pages: coverage per department, the end-user roster and its import, sessions,
invitations and attendance; who reads and who writes, bad input, time zones, query counts."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from implementation.golive_rules import percent_text
from implementation.models import Attendance, EndUser, TrainingSession
from implementation.services import golive, training
from projects.choices import Department, Role
from tests.factories import MembershipFactory, UserFactory
from tests.golive.factories import trained_end_users
from tests.projects.test_urls_policy import walk

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER]
OTHERS = [Role.IT, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
TRAINING_NAMES = {
    "training": "project:view_project",
    "end-users": "project:view_project",
    "end-users-import": "project:manage_training",
    "end-user-edit": "project:manage_training",
    "session-new": "project:manage_training",
    "session": "project:view_project",
    "session-edit": "project:manage_training",
    "session-invite": "project:manage_training",
    "session-attendance": "project:manage_training",
    "session-uninvite": "project:manage_training",
}


def url(name, project, *args) -> str:
    return reverse(f"golive:{name}", args=[project.code, *args])


def an_end_user(project, actor, **fields) -> EndUser:
    values = {"name": "Nguyen Van An", "department": Department.SALES} | fields
    return training.end_user_create(actor=actor, project=project, **values)


def a_session(project, actor, *, days=1, **fields) -> TrainingSession:
    values = {
        "title": "Sales orders",
        "starts_at": timezone.now() + datetime.timedelta(days=days),
        "duration_minutes": 90,
    } | fields
    return training.session_create(actor=actor, project=project, **values)


def session_form(trainer, **changes) -> dict:
    return {
        "title": "Invoicing for accountants",
        "module": "Finance",
        "starts_at": "2026-03-02T14:30",
        "duration_minutes": "120",
        "location": "Room 3",
        "trainer": trainer.pk,
        "notes": "",
    } | changes


def roster() -> list[tuple]:
    return list(EndUser.objects.order_by("pk").values_list("name", "department", "email"))


def pages(project, end_user, session) -> list[str]:
    return [
        url("training", project),
        url("end-users", project),
        url("end-users-import", project),
        url("end-user-edit", project, end_user.pk),
        url("session-new", project),
        url("session", project, session.pk),
        url("session-edit", project, session.pk),
    ]


@pytest.fixture
def sample(project, pm):
    return an_end_user(project, pm), a_session(project, pm)


# --- Declared policies, anonymous, outsiders ------------------------------------------------


def test_every_training_page_declares_the_capability_it_checks():
    policies = {
        name.split(":")[1]: getattr(pattern.callback, "rollout_policy", None)
        for _route, _namespace, name, pattern in walk(get_resolver().url_patterns)
        if name and name.startswith("golive:") and name.split(":")[1] in TRAINING_NAMES
    }

    assert policies == TRAINING_NAMES


def test_anonymous_user_is_sent_to_login(client, project, sample):
    for page in pages(project, *sample):
        response = client.get(page)

        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={page}"


def test_outsider_gets_404_everywhere_and_writes_nothing(client, project, sample, outsider):
    end_user, session = sample
    client.force_login(outsider)

    codes = [client.get(page).status_code for page in pages(project, *sample)]
    posts = [
        client.post(url("end-users", project), {"name": "X", "department": "sales"}),
        client.post(url("end-users-import", project), {"text": "X, Sales"}),
        client.post(url("session-invite", project, session.pk), {"department": "sales"}),
    ]

    assert codes == [404] * 7
    assert [p.status_code for p in posts] == [404] * 3
    assert roster() == [("Nguyen Van An", "sales", "")]
    assert Attendance.objects.count() == 0


def test_a_session_of_another_project_is_not_found_through_this_one(client, project, pm):
    other_session = a_session(*_other_project_with(pm))
    client.force_login(pm)

    assert client.get(url("session", project, other_session.pk)).status_code == 404


def _other_project_with(user):
    from tests.factories import ProjectFactory

    other = ProjectFactory()
    MembershipFactory(project=other, user=user, role=Role.PROJECT_MANAGER)
    return other, user


# --- Members: everyone reads, training managers write ---------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_coverage_roster_and_sessions(client, project, members, sample, role):
    end_user, session = sample
    client.force_login(members[role])

    codes = [
        client.get(url("training", project)).status_code,
        client.get(url("end-users", project)).status_code,
        client.get(url("session", project, session.pk)).status_code,
    ]

    assert codes == [200, 200, 200]


@pytest.mark.parametrize("role", MANAGERS)
def test_training_managers_open_the_forms_and_see_the_buttons(
    client, project, members, sample, role
):
    end_user, session = sample
    client.force_login(members[role])

    codes = [client.get(page).status_code for page in pages(project, *sample)]
    overview = client.get(url("training", project)).content.decode()
    detail = client.get(url("session", project, session.pk)).content.decode()

    assert codes == [200] * 7
    assert url("session-new", project) in overview
    assert url("session-invite", project, session.pk) in detail


@pytest.mark.parametrize("role", OTHERS)
def test_other_members_get_403_on_the_forms_and_see_no_buttons(
    client, project, members, sample, role
):
    end_user, session = sample
    client.force_login(members[role])

    codes = [
        client.get(url("end-users-import", project)).status_code,
        client.get(url("end-user-edit", project, end_user.pk)).status_code,
        client.get(url("session-new", project)).status_code,
        client.get(url("session-edit", project, session.pk)).status_code,
    ]
    overview = client.get(url("training", project)).content.decode()
    detail = client.get(url("session", project, session.pk)).content.decode()
    roster_page = client.get(url("end-users", project)).content.decode()

    assert codes == [403] * 4
    assert url("session-new", project) not in overview
    assert url("session-invite", project, session.pk) not in detail
    assert 'name="attended_' not in detail
    assert url("end-users-import", project) not in roster_page


@pytest.mark.parametrize("role", MANAGERS)
def test_training_managers_add_an_end_user(client, project, members, role):
    client.force_login(members[role])

    response = client.post(
        url("end-users", project),
        {"name": " Tran Thi Binh ", "department": "warehouse", "email": "Binh@Example.com"},
    )

    assert response.status_code == 302
    assert response.url == url("end-users", project)
    assert roster() == [("Tran Thi Binh", "warehouse", "binh@example.com")]


@pytest.mark.parametrize("role", OTHERS)
def test_other_members_cannot_add_end_users_or_plan_sessions(client, project, members, role):
    client.force_login(members[role])

    responses = [
        client.post(url("end-users", project), {"name": "Binh", "department": "warehouse"}),
        client.post(url("end-users-import", project), {"text": "Binh, Warehouse"}),
        client.post(url("session-new", project), session_form(members[role])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert roster() == []
    assert TrainingSession.objects.count() == 0


@pytest.mark.parametrize("role", OTHERS)
def test_other_members_cannot_invite_or_record_attendance(client, project, members, pm, role):
    end_user = an_end_user(project, pm)
    session = a_session(project, pm, days=-1)
    training.session_invite(actor=pm, session=session, end_users=[end_user])
    client.force_login(members[role])

    invite = client.post(url("session-invite", project, session.pk), {"department": "sales"})
    record = client.post(
        url("session-attendance", project, session.pk), {f"attended_{end_user.pk}": "came"}
    )

    uninvite = client.post(url("session-uninvite", project, session.pk), {"end_user": end_user.pk})

    assert (invite.status_code, record.status_code, uninvite.status_code) == (403, 403, 403)
    assert list(Attendance.objects.values_list("attended", flat=True)) == [None]


# --- End users: roster, edit, import --------------------------------------------------------


def test_adding_an_end_user_with_a_listed_email_answers_422_and_adds_nobody(client, project, pm):
    an_end_user(project, pm, email="an@example.com")
    client.force_login(pm)

    response = client.post(
        url("end-users", project),
        {"name": "Someone else", "department": "sales", "email": "AN@example.com"},
    )

    assert response.status_code == 422
    assert "An end user with this e-mail is already listed." in response.content.decode()
    assert roster() == [("Nguyen Van An", "sales", "an@example.com")]


def test_adding_an_end_user_over_htmx_returns_the_form_fragment_with_errors(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("end-users", project), {"name": "", "department": "nowhere"}, headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert 'id="end-user-add"' in content
    assert "Select a valid choice." in content
    assert roster() == []


def test_an_end_user_linked_to_someone_off_the_team_is_refused(client, project, pm):
    stranger = UserFactory()
    client.force_login(pm)

    response = client.post(
        url("end-users", project),
        {"name": "Binh", "department": "sales", "user": stranger.pk},
    )

    assert response.status_code == 422
    assert "Choose a member of this project&#x27;s team." in response.content.decode()
    assert roster() == []


def test_an_end_user_is_linked_to_a_team_member(client, project, pm, pilot_user):
    client.force_login(pm)

    client.post(
        url("end-users", project), {"name": "Binh", "department": "sales", "user": pilot_user.pk}
    )

    assert EndUser.objects.get().user == pilot_user
    page = client.get(url("end-users", project)).content.decode()
    assert pilot_user.display_name in page


def test_editing_an_end_user_saves_the_change(client, project, pm):
    end_user = an_end_user(project, pm)
    client.force_login(pm)

    response = client.post(
        url("end-user-edit", project, end_user.pk),
        {"name": "Nguyen Van An", "department": "warehouse", "email": "an@example.com"},
    )

    assert response.status_code == 302
    assert roster() == [("Nguyen Van An", "warehouse", "an@example.com")]


def test_editing_to_another_end_users_email_answers_422_and_changes_nothing(client, project, pm):
    an_end_user(project, pm, email="an@example.com")
    second = an_end_user(project, pm, name="Binh", email="binh@example.com")
    client.force_login(pm)

    response = client.post(
        url("end-user-edit", project, second.pk),
        {"name": "Binh", "department": "sales", "email": "an@example.com"},
    )

    assert response.status_code == 422
    assert EndUser.objects.get(pk=second.pk).email == "binh@example.com"


def test_editing_an_end_user_of_another_project_is_404(client, project, pm):
    other, _user = _other_project_with(pm)
    foreign = an_end_user(other, pm)
    client.force_login(pm)

    assert client.get(url("end-user-edit", project, foreign.pk)).status_code == 404


def test_import_adds_every_line(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("end-users-import", project),
        {"text": "name, department, e-mail\nAn, Sales, an@example.com\nBinh, warehouse\n"},
    )

    assert response.status_code == 302
    assert roster() == [("An", "sales", "an@example.com"), ("Binh", "warehouse", "")]


def test_import_with_an_unknown_department_names_the_line_and_adds_nobody(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("end-users-import", project),
        {"text": "An, Sales\nBinh, Marketing\nChi, Warehouse, not-an-email"},
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "Line 2, department: Marketing is not a department." in content
    assert "Line 3, e-mail: Enter a valid email address." in content
    assert roster() == []


def test_import_of_a_listed_email_adds_nobody(client, project, pm):
    an_end_user(project, pm, email="an@example.com")
    client.force_login(pm)

    response = client.post(
        url("end-users-import", project), {"text": "Binh, Sales\nAn again, Sales, an@example.com"}
    )

    assert response.status_code == 422
    assert "Line 2, e-mail: An end user with this e-mail is already listed." in (
        response.content.decode()
    )
    assert len(roster()) == 1


def test_empty_import_answers_422(client, project, pm):
    client.force_login(pm)

    response = client.post(url("end-users-import", project), {"text": "   "})

    assert response.status_code == 422
    assert roster() == []


def test_roster_is_paginated_by_50_and_filtered_by_department(client, project, pm):
    EndUser.objects.bulk_create(
        [EndUser(project=project, name=f"Sales {i:02}", department="sales") for i in range(51)]
        + [EndUser(project=project, name="Keeper", department="warehouse")]
    )
    client.force_login(pm)

    first = client.get(url("end-users", project))
    second = client.get(url("end-users", project), {"page": 2})
    warehouse = client.get(url("end-users", project), {"department": "warehouse"})

    assert len(first.context["page"].object_list) == 50
    assert second.context["page"].paginator.num_pages == 2
    assert [e.name for e in second.context["page"].object_list] == ["Sales 50", "Keeper"]
    assert [e.name for e in warehouse.context["page"].object_list] == ["Keeper"]


def test_a_bad_department_filter_is_reported_and_ignored(client, project, pm):
    an_end_user(project, pm)
    client.force_login(pm)

    response = client.get(url("end-users", project), {"department": "nowhere", "page": "x"})

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_roster_filter_over_htmx_returns_the_results_fragment(client, project, pm):
    an_end_user(project, pm)
    client.force_login(pm)

    response = client.get(url("end-users", project), {"department": "sales"}, headers=HTMX)

    content = response.content.decode()
    assert "<html" not in content
    assert 'id="results"' in content
    assert "Nguyen Van An" in content


# --- Coverage -------------------------------------------------------------------------------


def _coverage_row(response, label) -> dict:
    return next(row for row in response.context["rows"] if row["label"] == label)


def test_nine_of_ten_trained_meets_the_default_90_percent_threshold(client, project, pm):
    trained_end_users(project, pm, Department.SALES, count=10, trained=9)
    client.force_login(pm)

    response = client.get(url("training", project))

    row = _coverage_row(response, "Sales")
    assert (row["planned"], row["trained"], row["percent"], row["met"]) == (10, 9, "90", True)
    assert response.context["threshold"] == "90"
    assert '<span class="badge badge--green">90%</span>' in response.content.decode()


def test_eight_of_ten_trained_is_below_the_threshold(client, project, pm):
    trained_end_users(project, pm, Department.SALES, count=10, trained=8)
    client.force_login(pm)

    response = client.get(url("training", project))

    row = _coverage_row(response, "Sales")
    assert (row["trained"], row["percent"], row["met"]) == (8, "80", False)
    assert '<span class="badge badge--red">80%</span>' in response.content.decode()
    assert 'class="progress progress--red"' in response.content.decode()


def test_coverage_uses_the_threshold_of_the_go_live_plan(client, project, pm):
    golive.golive_plan_update(actor=pm, project=project, training_threshold=Decimal(80))
    trained_end_users(project, pm, Department.SALES, count=10, trained=8)
    client.force_login(pm)

    response = client.get(url("training", project))

    assert _coverage_row(response, "Sales")["met"] is True
    assert response.context["threshold"] == "80"


def test_coverage_matches_the_readiness_facts_and_totals_every_department(client, project, pm):
    from implementation.readiness import load_facts

    sales, _session = trained_end_users(project, pm, Department.SALES, count=10, trained=9)
    trained_end_users(project, pm, Department.WAREHOUSE, count=4, trained=1)
    an_end_user(project, pm, name="Never invited", department=Department.HR)
    # Two sessions for some: each person still counts once, on both pages.
    again = a_session(project, pm, days=-2)
    training.attendance_record(
        actor=pm, session=again, attended={sales[0].pk: True, sales[9].pk: False}
    )
    client.force_login(pm)

    response = client.get(url("training", project))

    facts = load_facts([project])[project.pk].coverage
    shown = {
        (row["planned"], row["trained"], row["percent"], row["met"])
        for row in response.context["rows"]
    }
    expected = {(c.planned, c.trained, percent_text(c.percent), c.meets(90)) for c in facts}
    assert shown == expected == {(10, 9, "90", True), (4, 1, "25", False), (1, 0, "0", False)}
    assert [row["label"] for row in response.context["rows"]] == ["Sales", "Warehouse", "HR"]
    total = response.context["total"]
    assert (total["planned"], total["trained"], total["percent"], total["met"]) == (
        15,
        10,
        "66.6",
        False,
    )


def test_someone_attending_two_sessions_counts_once(client, project, pm):
    users, _first = trained_end_users(project, pm, Department.SALES, count=2, trained=2)
    again = a_session(project, pm, days=-2)
    training.attendance_record(actor=pm, session=again, attended={users[0].pk: True})
    client.force_login(pm)

    row = _coverage_row(client.get(url("training", project)), "Sales")

    assert (row["planned"], row["trained"]) == (2, 2)


def test_overview_without_end_users_says_so(client, project, pm):
    client.force_login(pm)

    response = client.get(url("training", project))

    assert response.context["rows"] == []
    assert "No end users are listed yet" in response.content.decode()


def test_overview_splits_upcoming_and_past_sessions_with_counts(client, project, pm):
    users, past = trained_end_users(project, pm, Department.SALES, count=3, trained=2)
    upcoming = a_session(project, pm, days=5, title="Warehouse picking")
    training.session_invite(actor=pm, session=upcoming, end_users=users[:1])
    client.force_login(pm)

    response = client.get(url("training", project))

    assert [(s.pk, s.invited, s.attended) for s in response.context["upcoming"]] == [
        (upcoming.pk, 1, 0)
    ]
    assert [(s.pk, s.invited, s.attended) for s in response.context["past"]] == [(past.pk, 3, 2)]


# --- Sessions -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_training_managers_plan_a_session_in_the_projects_time_zone(
    client, project, members, pm, role
):
    project.time_zone = "Europe/Berlin"
    project.save(update_fields=["time_zone"])
    client.force_login(members[role])

    response = client.post(url("session-new", project), session_form(pm))

    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert response.url == url("session", project, session.pk)
    assert session.starts_at == datetime.datetime(
        2026, 3, 2, 14, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")
    )
    assert (session.title, session.trainer, session.created_by) == (
        "Invoicing for accountants",
        pm,
        members[role],
    )


def test_session_page_shows_the_time_in_the_projects_time_zone(client, project, pm):
    session = a_session(
        project,
        pm,
        starts_at=datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC),
        duration_minutes=90,
    )
    client.force_login(pm)

    content = client.get(url("session", project, session.pk)).content.decode()

    assert "2026-03-02 14:30" in content  # Asia/Ho_Chi_Minh, UTC+7
    assert "16:00" in content


def test_a_trainer_off_the_team_is_refused_and_nothing_is_saved(client, project, pm):
    stranger = UserFactory()
    client.force_login(pm)

    response = client.post(url("session-new", project), session_form(stranger))

    assert response.status_code == 422
    assert "Choose a member of this project&#x27;s team." in response.content.decode()
    assert TrainingSession.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"starts_at": "9999-01-01T10:00"}, "Enter a date between 2000-01-01 and 2100-12-31."),
        ({"starts_at": "not a time"}, "Enter a valid date/time."),
        ({"title": "   "}, "This field is required."),
        ({"duration_minutes": "0"}, "Ensure this value is greater than or equal to 1."),
    ],
)
def test_bad_session_input_answers_422_and_saves_nothing(client, project, pm, changes, field_error):
    client.force_login(pm)

    response = client.post(url("session-new", project), session_form(pm, **changes))

    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert TrainingSession.objects.count() == 0


def test_bad_session_input_over_htmx_returns_the_form_fragment(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("session-new", project), session_form(pm, starts_at="9999-01-01T10:00"), headers=HTMX
    )

    assert response.status_code == 422
    assert "<html" not in response.content.decode()
    assert 'id="session-form"' in response.content.decode()


def test_editing_a_session_moves_it_and_keeps_the_rest(client, project, pm, consultant):
    session = a_session(project, pm, trainer=pm)
    client.force_login(consultant)

    response = client.post(
        url("session-edit", project, session.pk),
        session_form(consultant, title="Sales orders", starts_at="2026-04-01T09:00"),
    )

    session.refresh_from_db()
    assert response.status_code == 302
    assert session.trainer == consultant
    assert session.starts_at == datetime.datetime(
        2026, 4, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    )


def test_editing_a_session_into_year_9999_changes_nothing(client, project, pm):
    session = a_session(project, pm)
    before = session.starts_at
    client.force_login(pm)

    response = client.post(
        url("session-edit", project, session.pk), session_form(pm, starts_at="9999-01-01T10:00")
    )

    session.refresh_from_db()
    assert response.status_code == 422
    assert session.starts_at == before


def test_session_edit_form_shows_the_start_in_the_projects_time_zone(client, project, pm):
    session = a_session(
        project, pm, starts_at=datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
    )
    client.force_login(pm)

    content = client.get(url("session-edit", project, session.pk)).content.decode()

    assert 'value="2026-03-02T14:30"' in content


# --- Invitations and attendance -------------------------------------------------------------


def test_inviting_a_whole_department_and_chosen_people(client, project, pm):
    sales = [an_end_user(project, pm, name=f"Sales {i}") for i in range(3)]
    keeper = an_end_user(project, pm, name="Keeper", department=Department.WAREHOUSE)
    an_end_user(project, pm, name="Not invited", department=Department.HR)
    session = a_session(project, pm)
    client.force_login(pm)

    response = client.post(
        url("session-invite", project, session.pk),
        {"department": "sales", "end_users": [keeper.pk, sales[0].pk]},
    )

    assert response.status_code == 302
    invited = set(Attendance.objects.values_list("end_user_id", flat=True))
    assert invited == {*(e.pk for e in sales), keeper.pk}
    follow = client.get(url("session", project, session.pk))
    assert "4 end users invited." in follow.content.decode()


def test_invite_form_offers_only_those_not_yet_invited(client, project, pm):
    first = an_end_user(project, pm, name="Invited")
    second = an_end_user(project, pm, name="Waiting")
    session = a_session(project, pm)
    training.session_invite(actor=pm, session=session, end_users=[first])
    client.force_login(pm)

    response = client.get(url("session", project, session.pk))

    offered = list(response.context["invite_form"].fields["end_users"].queryset)
    assert offered == [second]


@pytest.mark.parametrize(
    "data",
    [{}, {"department": "nowhere"}, {"end_users": ["999999"]}, {"end_users": ["abc"]}],
)
def test_bad_invitations_answer_422_and_invite_nobody(client, project, pm, data):
    an_end_user(project, pm)
    session = a_session(project, pm)
    client.force_login(pm)

    response = client.post(url("session-invite", project, session.pk), data)

    assert response.status_code == 422
    assert Attendance.objects.count() == 0


def test_end_users_of_another_project_cannot_be_invited(client, project, pm):
    other, _user = _other_project_with(pm)
    foreign = an_end_user(other, pm)
    session = a_session(project, pm)
    client.force_login(pm)

    response = client.post(url("session-invite", project, session.pk), {"end_users": [foreign.pk]})

    assert response.status_code == 422
    assert "Choose end users of this project." in response.content.decode()
    assert Attendance.objects.count() == 0


def _invited(project, pm, *, days, count=3):
    people = [an_end_user(project, pm, name=f"Person {i}") for i in range(count)]
    session = a_session(project, pm, days=days)
    training.session_invite(actor=pm, session=session, end_users=people)
    return people, session


@pytest.mark.parametrize("role", MANAGERS)
def test_attendance_is_saved_in_one_post(client, project, members, pm, role):
    people, session = _invited(project, pm, days=-1)
    client.force_login(members[role])

    response = client.post(
        url("session-attendance", project, session.pk),
        {
            f"attended_{people[0].pk}": "came",
            f"attended_{people[1].pk}": "absent",
            f"attended_{people[2].pk}": "",
        },
    )

    assert response.status_code == 302
    recorded = dict(Attendance.objects.values_list("end_user_id", "attended"))
    assert recorded == {people[0].pk: True, people[1].pk: False, people[2].pk: None}
    page = client.get(url("session", project, session.pk))
    assert "Attendance of 2 people saved." in page.content.decode()
    assert (page.context["session"].invited, page.context["session"].attended) == (3, 1)


def test_attendance_can_be_set_back_to_not_known(client, project, pm):
    people, session = _invited(project, pm, days=-1, count=1)
    training.attendance_record(actor=pm, session=session, attended={people[0].pk: True})
    client.force_login(pm)

    client.post(url("session-attendance", project, session.pk), {f"attended_{people[0].pk}": ""})

    assert Attendance.objects.get().attended is None


def test_someone_missing_from_the_post_keeps_their_attendance(client, project, pm):
    people, session = _invited(project, pm, days=-1, count=2)
    training.attendance_record(actor=pm, session=session, attended={people[1].pk: True})
    client.force_login(pm)

    client.post(
        url("session-attendance", project, session.pk), {f"attended_{people[0].pk}": "absent"}
    )

    recorded = dict(Attendance.objects.values_list("end_user_id", "attended"))
    assert recorded == {people[0].pk: False, people[1].pk: True}


def test_attendance_before_the_session_starts_is_refused_with_the_reason(client, project, pm):
    people, session = _invited(project, pm, days=2, count=1)
    client.force_login(pm)

    response = client.post(
        url("session-attendance", project, session.pk), {f"attended_{people[0].pk}": "came"}
    )

    assert response.status_code == 422
    assert "Attendance is recorded once the session has started." in response.content.decode()
    assert Attendance.objects.get().attended is None


def test_attendance_refusal_over_htmx_returns_the_attendance_fragment(client, project, pm):
    people, session = _invited(project, pm, days=2, count=1)
    client.force_login(pm)

    response = client.post(
        url("session-attendance", project, session.pk),
        {f"attended_{people[0].pk}": "came"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert 'id="attendance"' in content
    assert "Attendance is recorded once the session has started." in content


@pytest.mark.parametrize("role", MANAGERS)
def test_someone_not_yet_recorded_is_taken_off_the_list(client, project, members, pm, role):
    people, session = _invited(project, pm, days=2, count=2)
    client.force_login(members[role])

    before = client.get(url("session", project, session.pk)).content.decode()
    response = client.post(url("session-uninvite", project, session.pk), {"end_user": people[0].pk})

    assert f'name="end_user" value="{people[0].pk}"' in before
    assert response.status_code == 302
    assert list(Attendance.objects.values_list("end_user_id", flat=True)) == [people[1].pk]
    page = client.get(url("session", project, session.pk))
    assert "Person 0 is no longer invited." in page.content.decode()
    assert page.context["session"].invited == 1


def test_taking_someone_off_over_htmx_reloads_the_page(client, project, pm):
    people, session = _invited(project, pm, days=2, count=1)
    client.force_login(pm)

    response = client.post(
        url("session-uninvite", project, session.pk), {"end_user": people[0].pk}, headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == url("session", project, session.pk)
    assert Attendance.objects.count() == 0


def test_a_recorded_attendance_cannot_be_taken_off_the_list(client, project, pm):
    people, session = _invited(project, pm, days=-1, count=2)
    training.attendance_record(actor=pm, session=session, attended={people[0].pk: False})
    client.force_login(pm)

    page = client.get(url("session", project, session.pk)).content.decode()
    response = client.post(
        url("session-uninvite", project, session.pk), {"end_user": people[0].pk}, headers=HTMX
    )

    # The button is offered only for whom nothing is recorded.
    assert f'name="end_user" value="{people[0].pk}"' not in page
    assert f'name="end_user" value="{people[1].pk}"' in page
    content = response.content.decode()
    assert response.status_code == 422
    assert 'id="attendance"' in content
    assert "<html" not in content
    assert "Only someone invited whose attendance is not recorded is removed." in content
    recorded = dict(Attendance.objects.values_list("end_user_id", "attended"))
    assert recorded == {people[0].pk: False, people[1].pk: None}


@pytest.mark.parametrize("data", [{}, {"end_user": "abc"}, {"end_user": "999999"}, "foreign"])
def test_a_bad_removal_answers_422_and_removes_nobody(client, project, pm, data):
    people, session = _invited(project, pm, days=2, count=1)
    if data == "foreign":
        other, _user = _other_project_with(pm)
        data = {"end_user": an_end_user(other, pm).pk}
    client.force_login(pm)

    response = client.post(url("session-uninvite", project, session.pk), data)

    assert response.status_code == 422
    assert "Choose someone on this session&#x27;s list." in response.content.decode()
    assert Attendance.objects.count() == 1


def test_viewers_of_a_session_see_no_removal_button(client, project, members, pm):
    _people, session = _invited(project, pm, days=2, count=1)
    client.force_login(members[Role.PILOT_USER])

    page = client.get(url("session", project, session.pk)).content.decode()

    assert url("session-uninvite", project, session.pk) not in page


def test_an_unknown_attendance_value_answers_422_and_saves_nothing(client, project, pm):
    people, session = _invited(project, pm, days=-1, count=1)
    client.force_login(pm)

    response = client.post(
        url("session-attendance", project, session.pk), {f"attended_{people[0].pk}": "maybe"}
    )

    assert response.status_code == 422
    assert Attendance.objects.get().attended is None


def test_session_page_shows_who_came_to_readers(client, project, pm, viewer):
    people, session = _invited(project, pm, days=-1, count=2)
    training.attendance_record(
        actor=pm, session=session, attended={people[0].pk: True, people[1].pk: False}
    )
    client.force_login(viewer)

    content = client.get(url("session", project, session.pk)).content.decode()

    assert '<span class="badge badge--green">Came</span>' in content
    assert '<span class="badge badge--red">Did not come</span>' in content


# --- Query counts ---------------------------------------------------------------------------


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def _grow(project, pm, start, stop):
    for i in range(start, stop):
        department = [Department.SALES, Department.WAREHOUSE, Department.HR][i % 3]
        trained_end_users(project, pm, department, count=1, trained=1)


def test_overview_query_count_is_the_same_for_2_and_20_sessions_and_end_users(client, project, pm):
    _grow(project, pm, 0, 2)
    client.force_login(pm)
    client.get(url("training", project))
    with_2 = _count(client, url("training", project))

    _grow(project, pm, 2, 20)

    assert TrainingSession.objects.count() == 20
    assert _count(client, url("training", project)) == with_2


def test_roster_query_count_is_the_same_for_2_and_20_end_users(client, project, pm, pilot_user):
    for i in range(2):
        an_end_user(project, pm, name=f"Person {i}", user=pilot_user if i == 0 else None)
    client.force_login(pm)
    client.get(url("end-users", project))
    with_2 = _count(client, url("end-users", project))

    for i in range(2, 20):
        an_end_user(project, pm, name=f"Person {i}", email=f"p{i}@example.com")

    assert _count(client, url("end-users", project)) == with_2


def test_session_page_query_count_is_the_same_for_2_and_20_invited(client, project, pm):
    people, session = _invited(project, pm, days=-1, count=2)
    client.force_login(pm)
    client.get(url("session", project, session.pk))
    with_2 = _count(client, url("session", project, session.pk))

    more = [an_end_user(project, pm, name=f"More {i}") for i in range(18)]
    training.session_invite(actor=pm, session=session, end_users=more)
    training.attendance_record(actor=pm, session=session, attended={more[0].pk: True})

    assert Attendance.objects.filter(session=session).count() == 20
    assert _count(client, url("session", project, session.pk)) == with_2
