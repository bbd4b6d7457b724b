"""The weekly feedback round: who answers, answering again the same week, bad input answered
with 422 and nothing saved, and the results per week and department with their numbers."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.models import FeedbackResponse
from implementation.services import hypercare as services
from projects.choices import Department, Role
from tests.factories import MembershipFactory, UserFactory


def url(name, project) -> str:
    return reverse(f"hypercare:{name}", args=[project.code])


def this_week(project) -> datetime.date:
    return services.week_of(project.local_today())


def answer(project, weeks_ago, satisfaction, department, *, blockers="", helps="", user=None):
    """A stored answer of an earlier week (the service answers only the current one)."""
    return FeedbackResponse.objects.create(
        project=project,
        week=this_week(project) - datetime.timedelta(weeks=weeks_ago),
        respondent=user or UserFactory(),
        department=department,
        satisfaction=satisfaction,
        blockers=blockers,
        helps=helps,
    )


# --- Answering ----------------------------------------------------------------------------------


def test_a_pilot_user_answers_this_week(client, project, pilot_user):
    client.force_login(pilot_user)

    form = client.get(url("feedback", project))
    response = client.post(
        url("feedback", project),
        {"satisfaction": "4", "blockers": " Printing delivery notes is slow. ", "helps": ""},
    )

    assert form.status_code == 200
    assert 'id="feedback-form"' in form.content.decode()
    assert response.status_code == 302
    stored = FeedbackResponse.objects.get()
    assert (
        stored.project,
        stored.week,
        stored.respondent,
        stored.department,
        stored.satisfaction,
        stored.blockers,
        stored.helps,
    ) == (
        project,
        this_week(project),
        pilot_user,
        Department.SALES,
        4,
        "Printing delivery notes is slow.",
        "",
    )


def test_answering_again_the_same_week_replaces_the_answer(client, project, pilot_user):
    client.force_login(pilot_user)
    client.post(url("feedback", project), {"satisfaction": "4", "blockers": "Slow printing."})

    client.post(url("feedback", project), {"satisfaction": "2", "helps": "The champion."})
    page = client.get(url("feedback", project))

    stored = FeedbackResponse.objects.get()
    assert (stored.satisfaction, stored.blockers, stored.helps) == (2, "", "The champion.")
    assert page.context["form"].initial == {
        "satisfaction": 2,
        "blockers": "",
        "helps": "The champion.",
    }
    assert "You answered this week" in page.content.decode()
    assert "Update my answer" in page.content.decode()


def test_a_champion_key_user_answers_too(client, project, key_user):
    client.force_login(key_user)

    response = client.post(url("feedback", project), {"satisfaction": "5"})

    assert response.status_code == 302
    assert FeedbackResponse.objects.get().department == Department.ACCOUNTING_FINANCE


@pytest.mark.parametrize("role", [Role.IT, Role.PROJECT_MANAGER, Role.EXECUTIVE, Role.VIEWER])
def test_members_who_are_not_asked_see_a_note_and_cannot_answer(client, project, members, role):
    client.force_login(members[role])

    page = client.get(url("feedback", project))
    response = client.post(url("feedback", project), {"satisfaction": "3"})

    assert page.status_code == 200
    assert 'id="feedback-form"' not in page.content.decode()
    assert "The weekly feedback round asks pilot and key users" in page.content.decode()
    assert url("feedback-results", project) in page.content.decode()
    assert response.status_code == 403
    assert not FeedbackResponse.objects.exists()


def test_an_it_champion_is_asked(client, project):
    champion = MembershipFactory(
        project=project, role=Role.IT, department=Department.IT, is_champion=True
    ).user
    client.force_login(champion)

    response = client.post(url("feedback", project), {"satisfaction": "3"})

    assert response.status_code == 302
    assert FeedbackResponse.objects.get().respondent == champion


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"satisfaction": "6"}, "satisfaction"),
        ({"satisfaction": "0"}, "satisfaction"),
        ({"satisfaction": "great"}, "satisfaction"),
        ({"blockers": "Nothing."}, "satisfaction"),
        ({"satisfaction": "3", "blockers": "x" * 2001}, "blockers"),
    ],
)
def test_a_bad_answer_is_refused_with_422_and_nothing_saved(
    client, project, pilot_user, data, field
):
    client.force_login(pilot_user)

    response = client.post(url("feedback", project), data)

    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert not FeedbackResponse.objects.exists()


def test_a_bad_answer_keeps_the_earlier_one(client, project, pilot_user):
    client.force_login(pilot_user)
    client.post(url("feedback", project), {"satisfaction": "4", "blockers": "Slow."})

    response = client.post(url("feedback", project), {"satisfaction": "6", "blockers": "New."})

    assert response.status_code == 422
    stored = FeedbackResponse.objects.get()
    assert (stored.satisfaction, stored.blockers) == (4, "Slow.")


# --- Results ------------------------------------------------------------------------------------


@pytest.fixture
def answers(project, pilot_user):
    """Three weeks of answers from sales and finance."""
    answer(project, 2, 2, Department.SALES, blockers="Cannot find the price list.")
    answer(project, 1, 5, Department.SALES, helps="Quotes are quick now.")
    answer(project, 1, 4, Department.SALES, blockers="Printing is slow.")
    answer(
        project, 1, 3, Department.ACCOUNTING_FINANCE, blockers="Bank import fails.", user=pilot_user
    )
    answer(project, 0, 4, Department.ACCOUNTING_FINANCE, helps="The hotline answers fast.")


def test_results_per_week_and_department(client, project, viewer, answers):
    client.force_login(viewer)

    response = client.get(url("feedback-results", project))
    results = response.context["results"]
    by_start = {week.start: week for week in results.weeks}
    week = this_week(project)
    one, two = week - datetime.timedelta(weeks=1), week - datetime.timedelta(weeks=2)

    assert response.status_code == 200
    assert len(results.weeks) == 12
    assert results.weeks[-1].start == week
    assert results.departments == [Department.SALES, Department.ACCOUNTING_FINANCE]
    assert (by_start[one].answers, by_start[one].satisfaction) == (3, Decimal("4.0"))
    assert by_start[one].by_department == {
        Department.SALES: (2, Decimal("4.5")),
        Department.ACCOUNTING_FINANCE: (1, Decimal("3.0")),
    }
    assert (by_start[two].answers, by_start[two].satisfaction) == (1, Decimal("2.0"))
    assert by_start[two].by_department == {Department.SALES: (1, Decimal("2.0"))}
    assert (by_start[week].answers, by_start[week].satisfaction) == (1, Decimal("4.0"))
    assert by_start[week - datetime.timedelta(weeks=3)].answers == 0
    page = response.content.decode()
    row = page.split(f'id="week-{one.isoformat()}"', 1)[1].split("</tr>", 1)[0]
    assert "<strong>4.0</strong> (3)" in row
    assert "4.5 (2)" in row
    assert "3.0 (1)" in row
    assert "Average satisfaction per week" in page
    assert "<svg" in page


def test_the_current_week_is_read_by_default_and_another_week_on_request(
    client, project, viewer, pilot_user, answers
):
    client.force_login(viewer)
    one = this_week(project) - datetime.timedelta(weeks=1)

    default = client.get(url("feedback-results", project)).content.decode()
    chosen = client.get(url("feedback-results", project), {"week": one.isoformat()})
    nonsense = client.get(url("feedback-results", project), {"week": "2026-13-01"})

    assert "The hotline answers fast." in default
    assert "Printing is slow." not in default
    page = chosen.content.decode()
    assert chosen.context["results"].selected == one
    assert "Printing is slow." in page
    assert "Bank import fails." in page
    assert "Quotes are quick now." in page
    assert "3 answers, average 4.0 of 5." in page
    # Answers show the department, never the person.
    assert pilot_user.display_name not in page
    assert nonsense.status_code == 200
    assert nonsense.context["results"].selected == this_week(project)


def test_an_empty_current_week_falls_back_to_the_last_week_answered(client, project, viewer):
    answer(project, 3, 3, Department.WAREHOUSE, blockers="Scanner logs out.")
    client.force_login(viewer)

    response = client.get(url("feedback-results", project))

    assert response.context["results"].selected == this_week(project) - datetime.timedelta(weeks=3)
    assert "Scanner logs out." in response.content.decode()


def test_results_queries_do_not_grow_with_answers(client, project, viewer):
    client.force_login(viewer)
    departments = [Department.SALES, Department.WAREHOUSE, Department.ACCOUNTING_FINANCE]

    def build(count):
        for n in range(count):
            answer(project, n % 4, 1 + n % 5, departments[n % 3], blockers=f"Blocker {n}")

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("feedback-results", project)).status_code == 200
        return len(queries)

    build(2)
    few = count_queries()
    build(18)
    many = count_queries()

    assert few == many


def test_the_survey_page_costs_the_same_queries_whatever_the_answers(client, project, pilot_user):
    client.force_login(pilot_user)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("feedback", project)).status_code == 200
        return len(queries)

    for n in range(2):
        answer(project, n, 3, Department.SALES)
    few = count_queries()
    for n in range(18):
        answer(project, n % 6, 3, Department.SALES)
    many = count_queries()

    assert few == many
