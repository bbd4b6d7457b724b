"""The communication plan page: ordered by date, overdue activities flagged, filters, counts
per kind; who plans activities, bad input, query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import ActivityStatus, CommunicationKind
from implementation.models import CommunicationActivity
from implementation.services import training
from projects.choices import Department, Role
from tests.factories import UserFactory

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER]
OTHERS = [Role.IT, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]


def url(name, project, *args) -> str:
    return reverse(f"golive:{name}", args=[project.code, *args])


def an_activity(project, actor, *, days=7, **fields) -> CommunicationActivity:
    values = {
        "title": "Kick-off workshop for sales",
        "kind": CommunicationKind.WORKSHOP,
        "planned_on": project.local_today() + datetime.timedelta(days=days),
        "owner": actor,
    } | fields
    return training.activity_create(actor=actor, project=project, **values)


def form_data(owner, **changes) -> dict:
    return {
        "title": "What the new system brings the warehouse",
        "kind": CommunicationKind.VIDEO,
        "planned_on": "2026-05-04",
        "audience_department": Department.WAREHOUSE,
        "audience_role": "",
        "owner": owner.pk,
        "status": ActivityStatus.PLANNED,
        "notes": "Three minutes, shown in the canteen.",
    } | changes


def plan() -> list[tuple]:
    return list(CommunicationActivity.objects.order_by("pk").values_list("title", "kind", "status"))


# --- Access ---------------------------------------------------------------------------------


def test_pages_declare_the_capability_they_check():
    from django.urls import resolve

    assert {
        name: resolve(url(name, _Code(), *args)).func.rollout_policy
        for name, args in [
            ("communication", ()),
            ("communication-new", ()),
            ("communication-edit", (1,)),
        ]
    } == {
        "communication": "project:view_project",
        "communication-new": "project:manage_training",
        "communication-edit": "project:manage_training",
    }


class _Code:
    code = "ANY"


def test_anonymous_user_is_sent_to_login(client, project, pm):
    activity = an_activity(project, pm)

    for page in [
        url("communication", project),
        url("communication-new", project),
        url("communication-edit", project, activity.pk),
    ]:
        response = client.get(page)

        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={page}"


def test_outsider_gets_404_and_adds_nothing(client, project, pm, outsider):
    activity = an_activity(project, pm)
    client.force_login(outsider)

    codes = [
        client.get(url("communication", project)).status_code,
        client.get(url("communication-new", project)).status_code,
        client.get(url("communication-edit", project, activity.pk)).status_code,
        client.post(url("communication-new", project), form_data(pm)).status_code,
    ]

    assert codes == [404] * 4
    assert plan() == [("Kick-off workshop for sales", "workshop", "planned")]


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_plan(client, project, members, role):
    an_activity(project, members[Role.PROJECT_MANAGER])
    client.force_login(members[role])

    response = client.get(url("communication", project))

    assert response.status_code == 200
    assert "Kick-off workshop for sales" in response.content.decode()


@pytest.mark.parametrize("role", MANAGERS)
def test_training_managers_see_add_activity_and_plan_one(client, project, members, role):
    client.force_login(members[role])

    page = client.get(url("communication", project)).content.decode()
    response = client.post(url("communication-new", project), form_data(members[role]))

    assert url("communication-new", project) in page
    assert "Add activity" in page
    assert response.status_code == 302
    assert response.url == url("communication", project)
    activity = CommunicationActivity.objects.get()
    assert (activity.title, activity.kind, activity.audience, activity.owner) == (
        "What the new system brings the warehouse",
        "video",
        "Warehouse",
        members[role],
    )
    assert activity.created_by == members[role]


@pytest.mark.parametrize("role", OTHERS)
def test_other_members_cannot_plan_or_change_activities(client, project, members, role):
    activity = an_activity(project, members[Role.PROJECT_MANAGER])
    client.force_login(members[role])

    page = client.get(url("communication", project)).content.decode()
    codes = [
        client.get(url("communication-new", project)).status_code,
        client.post(url("communication-new", project), form_data(members[role])).status_code,
        client.post(
            url("communication-edit", project, activity.pk),
            form_data(members[role], status=ActivityStatus.DONE),
        ).status_code,
    ]

    assert "Add activity" not in page
    assert url("communication-edit", project, activity.pk) not in page
    assert codes == [403, 403, 403]
    assert plan() == [("Kick-off workshop for sales", "workshop", "planned")]


def test_an_activity_of_another_project_is_404(client, project, pm):
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    foreign = an_activity(other, pm)
    client.force_login(pm)

    assert client.get(url("communication-edit", project, foreign.pk)).status_code == 404


# --- The table ------------------------------------------------------------------------------


def test_activities_are_listed_by_date_with_the_overdue_flagged(client, project, pm, key_user):
    later = an_activity(project, pm, days=10, title="Poster in the canteen", kind="poster")
    overdue = an_activity(project, pm, days=-3, title="Newsletter", kind="email", owner=key_user)
    done = an_activity(project, pm, days=-5, title="Demo", kind="demo", status="done")
    an_activity(project, pm, days=-1, title="Video", kind="video", status="cancelled")
    client.force_login(pm)

    response = client.get(url("communication", project))

    rows = response.context["rows"]
    assert [row["activity"].title for row in rows] == ["Demo", "Newsletter", "Video", later.title]
    assert [row["overdue"] for row in rows] == [False, True, False, False]
    content = response.content.decode()
    assert f'<tr id="activity-{overdue.pk}" class="is-overdue">' in content
    assert f'<tr id="activity-{done.pk}">' in content
    assert key_user.display_name in content
    assert "1 overdue" in content


def test_audience_shows_department_and_role_or_everyone(client, project, pm):
    an_activity(project, pm, title="For everyone")
    an_activity(
        project,
        pm,
        title="For sales key users",
        audience_department=Department.SALES,
        audience_role=Role.KEY_USER,
    )
    client.force_login(pm)

    content = client.get(url("communication", project)).content.decode()

    assert "<td>Everyone</td>" in content
    assert "<td>Sales · Key user</td>" in content


def test_filters_by_status_and_kind(client, project, pm):
    an_activity(project, pm, title="Workshop planned")
    an_activity(project, pm, title="Workshop done", status="done")
    an_activity(project, pm, title="E-mail planned", kind="email")
    client.force_login(pm)

    by_status = client.get(url("communication", project), {"status": "planned"})
    by_both = client.get(url("communication", project), {"status": "planned", "kind": "workshop"})

    assert [r["activity"].title for r in by_status.context["rows"]] == [
        "Workshop planned",
        "E-mail planned",
    ]
    assert [r["activity"].title for r in by_both.context["rows"]] == ["Workshop planned"]


@pytest.mark.parametrize(
    "params", [{"status": "nonsense"}, {"kind": "<script>"}, {"status": "", "kind": "x" * 500}]
)
def test_bad_filter_values_are_reported_and_ignored(client, project, pm, params):
    an_activity(project, pm)
    client.force_login(pm)

    response = client.get(url("communication", project), params)

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_counts_per_kind_cover_the_whole_plan(client, project, pm):
    an_activity(project, pm)
    an_activity(project, pm, status="done")
    an_activity(project, pm, kind="email")
    client.force_login(pm)

    response = client.get(url("communication", project), {"kind": "email"})

    counts = {item["kind"]: item["count"] for item in response.context["kind_counts"]}
    assert counts == {
        "workshop": 2,
        "email": 1,
        "chat_group": 0,
        "poster": 0,
        "video": 0,
        "demo": 0,
    }
    assert response.context["total"] == 3


def test_filtering_over_htmx_returns_the_results_fragment(client, project, pm):
    an_activity(project, pm)
    client.force_login(pm)

    response = client.get(url("communication", project), {"kind": "email"}, headers=HTMX)

    content = response.content.decode()
    assert "<html" not in content
    assert 'id="results"' in content
    assert "No activities match these filters." in content


def test_an_empty_plan_says_so(client, project, pm):
    client.force_login(pm)

    content = client.get(url("communication", project)).content.decode()

    assert "No communication activities planned yet." in content


# --- Writes ---------------------------------------------------------------------------------


def test_marking_an_activity_done_clears_its_overdue_flag(client, project, pm, consultant):
    activity = an_activity(project, pm, days=-2)
    client.force_login(consultant)

    response = client.post(
        url("communication-edit", project, activity.pk),
        form_data(
            pm,
            title=activity.title,
            kind=activity.kind,
            planned_on=activity.planned_on.isoformat(),
            audience_department="",
            status=ActivityStatus.DONE,
        ),
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.DONE
    rows = client.get(url("communication", project)).context["rows"]
    assert [row["overdue"] for row in rows] == [False]


def test_edit_form_shows_the_current_values(client, project, pm):
    activity = an_activity(project, pm, title="Chat group for warehouse", kind="chat_group")
    client.force_login(pm)

    content = client.get(url("communication-edit", project, activity.pk)).content.decode()

    assert 'value="Chat group for warehouse"' in content
    assert '<option value="chat_group" selected>' in content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"planned_on": "9999-01-01"}, "Enter a date between 2000-01-01 and 2100-12-31."),
        ({"planned_on": "tomorrow"}, "Enter a valid date."),
        ({"kind": "carrier_pigeon"}, "Select a valid choice."),
        ({"title": "  "}, "This field is required."),
        ({"audience_role": "emperor"}, "Select a valid choice."),
    ],
)
def test_bad_input_answers_422_and_plans_nothing(client, project, pm, changes, message):
    client.force_login(pm)

    response = client.post(url("communication-new", project), form_data(pm, **changes))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert plan() == []


def test_an_owner_off_the_team_is_refused(client, project, pm):
    client.force_login(pm)

    response = client.post(url("communication-new", project), form_data(UserFactory()))

    assert response.status_code == 422
    assert "Choose a member of this project&#x27;s team." in response.content.decode()
    assert plan() == []


def test_editing_into_year_9999_changes_nothing(client, project, pm):
    activity = an_activity(project, pm)
    before = activity.planned_on
    client.force_login(pm)

    response = client.post(
        url("communication-edit", project, activity.pk), form_data(pm, planned_on="9999-01-01")
    )

    activity.refresh_from_db()
    assert response.status_code == 422
    assert activity.planned_on == before


def test_bad_input_over_htmx_returns_the_form_fragment(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("communication-new", project), form_data(pm, planned_on="9999-01-01"), headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert 'id="activity-form"' in content


def test_a_saved_activity_over_htmx_redirects_the_whole_page(client, project, pm):
    client.force_login(pm)

    response = client.post(url("communication-new", project), form_data(pm), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == url("communication", project)
    assert len(plan()) == 1


# --- Query counts ---------------------------------------------------------------------------


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_plan_query_count_is_the_same_for_2_and_20_activities(client, project, pm, key_user):
    kinds = list(CommunicationKind)
    for i in range(2):
        an_activity(project, pm, days=i - 1, kind=kinds[i % len(kinds)])
    client.force_login(pm)
    client.get(url("communication", project))
    with_2 = _count(client, url("communication", project))

    for i in range(2, 20):
        owner = key_user if i % 2 else pm
        an_activity(project, pm, days=i - 10, kind=kinds[i % len(kinds)], owner=owner)

    assert _count(client, url("communication", project)) == with_2
