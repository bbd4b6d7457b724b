"""Defect pages: who sees and does what, the buttons each role gets, HTMX fragments, bulk
actions, my defects and query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.choices import Role
from tests.factories import UserFactory
from tests.uat.test_attachments import PDF, tiny_png
from uat.choices import DEFECT_TRANSITIONS, DefectStatus
from uat.models import Attachment, Defect, DefectComment, DefectEvent
from uat.services.defects import defect_report, defect_transition

S = DefectStatus
HTMX = {"HX-Request": "true"}
ALL_ROLES = list(Role)
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
LOGGERS = [*MANAGERS, Role.KEY_USER, Role.PILOT_USER]
COMMENTERS = LOGGERS
TESTERS = [Role.KEY_USER, Role.PILOT_USER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def defect(project, pilot_user):
    return defect_report(actor=pilot_user, project=project, title="Wrong VAT", severity="high")


def url(name, project, *args) -> str:
    return reverse(f"uat:{name}", args=[project.code, *args])


def move(defect, actor, *targets):
    for target in targets:
        extra = {"comment": "Checked."}
        if target == S.DEFERRED:
            extra |= {
                "deferral_reason": "Later",
                "workaround": "Manual",
                "target_date": datetime.date(2026, 12, 1),
            }
        defect = defect_transition(actor=actor, defect=defect, to_status=target, **extra)
    return defect


def buttons(response) -> set[str]:
    content = response.content.decode()
    return {status for status in S.values if f'data-transition="{status}"' in content}


# --- Policy matrix ----------------------------------------------------------------------

GET_PAGES = [
    ("defect-list", (), ALL_ROLES),
    ("defect-create", (), LOGGERS),
    ("defect-detail", (1,), ALL_ROLES),
    ("my-defects", (), ALL_ROLES),
]


@pytest.mark.parametrize(("name", "args", "allowed"), GET_PAGES)
def test_pages_by_role(client, project, members, defect, name, args, allowed):
    for role, user in members.items():
        client.force_login(user)
        expected = 200 if role in allowed else 403
        assert client.get(url(name, project, *args)).status_code == expected, role


@pytest.mark.parametrize(
    "name_args",
    [
        ("defect-list", ()),
        ("defect-create", ()),
        ("defect-detail", (1,)),
        ("defect-edit", (1,)),
        ("my-defects", ()),
    ],
)
def test_outsiders_get_404_and_anonymous_users_log_in(client, project, defect, outsider, name_args):
    name, args = name_args
    response = client.get(url(name, project, *args))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    client.force_login(outsider)
    assert client.get(url(name, project, *args)).status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("defect-transition", {"to_status": "triaged"}),
        ("defect-comment", {"body": "Hi"}),
        ("attachment-upload", {}),
    ],
)
def test_outsiders_cannot_post(client, project, defect, outsider, name, data):
    client.force_login(outsider)
    assert client.post(url(name, project, 1), data).status_code == 404
    assert DefectEvent.objects.filter(defect=defect).count() == 1


def test_a_missing_defect_is_404(client, project, pm):
    client.force_login(pm)
    assert client.get(url("defect-detail", project, 999)).status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_edit_page_for_each_role_on_someone_elses_defect(client, project, members, role):
    reporter = UserFactory()
    project.memberships.create(user=reporter, role=Role.KEY_USER)
    defect = defect_report(actor=reporter, project=project, title="X", severity="low")
    client.force_login(members[role])

    response = client.get(url("defect-edit", project, defect.number))

    assert response.status_code == (200 if role in MANAGERS else 403)


# --- Buttons and transitions ------------------------------------------------------------


def test_each_role_sees_exactly_the_moves_it_may_make(client, project, members, defect, it_member):
    expectations = {
        S.NEW: dict.fromkeys(MANAGERS, DEFECT_TRANSITIONS[S.NEW]),
        S.FIXED: dict.fromkeys(TESTERS, DEFECT_TRANSITIONS[S.FIXED]),
    }
    for status, allowed in expectations.items():
        if status == S.FIXED:
            defect = move(defect, it_member, S.TRIAGED, S.IN_PROGRESS, S.FIXED)
        for role, user in members.items():
            client.force_login(user)
            response = client.get(url("defect-detail", project, defect.number))
            assert buttons(response) == set(allowed.get(role, set())), (status, role)


def test_whoever_fixed_gets_no_retest_buttons_and_cannot_close(client, project, defect, superuser):
    move(defect, superuser, S.TRIAGED, S.IN_PROGRESS, S.FIXED)
    client.force_login(superuser)

    assert buttons(client.get(url("defect-detail", project, defect.number))) == set()
    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "closed"}
    )

    assert response.status_code == 403
    defect.refresh_from_db()
    assert defect.status == S.FIXED


def test_pilot_users_cannot_triage_through_the_page(client, project, defect, pilot_user):
    client.force_login(pilot_user)

    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "triaged"}
    )

    assert response.status_code == 403
    defect.refresh_from_db()
    assert defect.status == S.NEW


def test_readers_cannot_post_moves(client, project, defect, executive):
    client.force_login(executive)
    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "triaged"}
    )
    assert response.status_code == 403


def test_the_page_moves_a_defect_and_redirects(client, project, defect, consultant):
    client.force_login(consultant)

    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "triaged", "comment": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == url("defect-detail", project, defect.number)
    defect.refresh_from_db()
    assert defect.status == S.TRIAGED


def test_a_pilot_user_closes_a_fixed_defect_through_the_page(
    client, project, defect, it_member, pilot_user
):
    move(defect, it_member, S.TRIAGED, S.IN_PROGRESS, S.FIXED)
    client.force_login(pilot_user)

    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "closed"}
    )

    assert response.status_code == 302
    defect.refresh_from_db()
    assert defect.status == S.CLOSED


def test_rejecting_without_a_comment_shows_the_error(client, project, defect, pm):
    client.force_login(pm)

    response = client.post(
        url("defect-transition", project, defect.number), {"to_status": "rejected"}
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    defect.refresh_from_db()
    assert defect.status == S.NEW


def test_deferring_through_the_page_stores_the_deferral(client, project, defect, pm):
    client.force_login(pm)

    response = client.post(
        url("defect-transition", project, defect.number),
        {
            "to_status": "deferred",
            "deferral_reason": "After go-live",
            "workaround": "Manual entry",
            "target_date": "2026-12-01",
        },
    )

    assert response.status_code == 302
    defect.refresh_from_db()
    assert (defect.status, defect.workaround, defect.target_date) == (
        S.DEFERRED,
        "Manual entry",
        datetime.date(2026, 12, 1),
    )
    page = client.get(url("defect-detail", project, defect.number)).content.decode()
    assert "Manual entry" in page


def test_marking_a_duplicate_through_the_page(client, project, defect, pm, pilot_user):
    original = defect_report(actor=pilot_user, project=project, title="First", severity="low")
    client.force_login(pm)

    page = client.get(url("defect-detail", project, defect.number)).content.decode()
    assert f'value="{original.pk}"' in page  # the duplicate_of selector offers it

    client.post(
        url("defect-transition", project, defect.number),
        {"to_status": "duplicate", "duplicate_of": original.pk},
    )

    defect.refresh_from_db()
    assert (defect.status, defect.duplicate_of) == (S.DUPLICATE, original)


def test_detail_shows_the_full_history(client, project, defect, pm):
    move(defect, pm, S.TRIAGED)
    client.force_login(pm)
    client.post(
        url("defect-edit", project, defect.number),
        {"title": "VAT rounding", "severity": "high", "priority": "medium", "environment": "test"},
    )

    page = client.get(url("defect-detail", project, defect.number)).content.decode()

    assert "Reported." in page
    assert "Wrong VAT → VAT rounding" in page
    assert "Triaged" in page


# --- Create, edit -----------------------------------------------------------------------


def test_a_pilot_user_reports_with_a_screenshot(client, project, pilot_user):
    client.force_login(pilot_user)

    response = client.post(
        url("defect-create", project),
        {
            "title": "Cannot print invoice",
            "severity": "high",
            "actual_result": "Error 500",
            "expected_result": "A PDF",
            "screenshot": SimpleUploadedFile("shot.png", tiny_png(), content_type="image/png"),
        },
    )

    defect = Defect.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("defect-detail", project, defect.number)
    assert (defect.reporter, defect.actual_result, defect.expected_result) == (
        pilot_user,
        "Error 500",
        "A PDF",
    )
    assert defect.attachments.get().original_name == "shot.png"


def test_a_bad_screenshot_reports_nothing(client, project, pilot_user):
    client.force_login(pilot_user)

    response = client.post(
        url("defect-create", project),
        {
            "title": "Cannot print",
            "severity": "high",
            "actual_result": "Error",
            "screenshot": SimpleUploadedFile("shot.png", PDF, content_type="image/png"),
        },
    )

    assert response.status_code == 422
    assert Defect.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_readers_cannot_report(client, project, viewer):
    client.force_login(viewer)
    response = client.post(
        url("defect-create", project), {"title": "x", "severity": "low", "actual_result": "x"}
    )
    assert response.status_code == 403
    assert Defect.objects.count() == 0


def test_the_reporter_edits_only_wording_of_a_new_defect(client, project, defect, pilot_user):
    client.force_login(pilot_user)

    page = client.get(url("defect-edit", project, defect.number)).content.decode()
    assert 'name="title"' in page
    assert 'name="severity"' not in page

    response = client.post(
        url("defect-edit", project, defect.number),
        {"title": "Wrong VAT rate", "description": "", "steps_to_reproduce": "1. Open"},
    )

    assert response.status_code == 302
    defect.refresh_from_db()
    assert (defect.title, defect.steps_to_reproduce) == ("Wrong VAT rate", "1. Open")


def test_the_reporter_cannot_edit_after_triage(client, project, defect, pilot_user, pm):
    move(defect, pm, S.TRIAGED)
    client.force_login(pilot_user)
    assert client.get(url("defect-edit", project, defect.number)).status_code == 403


# --- Comments and attachments -----------------------------------------------------------


def test_htmx_comment_returns_the_comments_fragment(client, project, defect, key_user):
    client.force_login(key_user)

    response = client.post(
        url("defect-comment", project, defect.number), {"body": "Same here."}, headers=HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="comments"' in content
    assert "Same here." in content
    assert "defectsChanged" in response["HX-Trigger"]
    assert DefectComment.objects.get().author == key_user


def test_an_empty_htmx_comment_is_422_with_the_error(client, project, defect, key_user):
    client.force_login(key_user)
    response = client.post(
        url("defect-comment", project, defect.number), {"body": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert DefectComment.objects.count() == 0


def test_a_plain_comment_redirects(client, project, defect, pm):
    client.force_login(pm)
    response = client.post(url("defect-comment", project, defect.number), {"body": "Noted"})
    assert response.status_code == 302


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.VIEWER])
def test_readers_cannot_comment_or_upload(client, project, defect, members, role):
    client.force_login(members[role])
    assert (
        client.post(url("defect-comment", project, defect.number), {"body": "x"}).status_code == 403
    )
    upload = SimpleUploadedFile("a.png", tiny_png())
    response = client.post(url("attachment-upload", project, defect.number), {"file": upload})
    assert response.status_code == 403
    assert DefectComment.objects.count() == Attachment.objects.count() == 0


def test_htmx_upload_lists_the_file(client, project, defect, pilot_user):
    client.force_login(pilot_user)

    response = client.post(
        url("attachment-upload", project, defect.number),
        {"file": SimpleUploadedFile("log.txt", b"trace", content_type="text/plain")},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "log.txt" in response.content.decode()


def test_a_disguised_upload_is_refused_on_the_page(client, project, defect, pilot_user):
    client.force_login(pilot_user)

    response = client.post(
        url("attachment-upload", project, defect.number),
        {"file": SimpleUploadedFile("shot.png", PDF, content_type="image/png")},
    )

    assert response.status_code == 422
    assert Attachment.objects.count() == 0


# --- List, filters, bulk ----------------------------------------------------------------


def test_list_filters_and_counts(client, project, pilot_user, pm, it_member):
    a = defect_report(actor=pilot_user, project=project, title="VAT wrong", severity="critical")
    defect_report(actor=pilot_user, project=project, title="Slow report", severity="low")
    move(a, pm, S.TRIAGED)
    client.force_login(pm)

    page = client.get(url("defect-list", project), {"severity": "critical"}).content.decode()

    assert "VAT wrong" in page
    assert "Slow report" not in page
    assert 'id="defect-counts"' in page
    search = client.get(url("defect-list", project), {"q": "slow"}).content.decode()
    assert "Slow report" in search
    assert "VAT wrong" not in search


def test_list_htmx_returns_the_results_fragment(client, project, defect, pm):
    client.force_login(pm)
    response = client.get(url("defect-list", project), {"status": "open"}, headers=HTMX)
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="results"' in content
    assert "Wrong VAT" in content
    assert "HX-Request" in response["Vary"]


def test_list_pages_25_at_a_time(client, project, pilot_user, pm):
    for number in range(30):
        defect_report(actor=pilot_user, project=project, title=f"D{number}", severity="low")
    client.force_login(pm)
    page = client.get(url("defect-list", project))
    assert len(page.context["page"].object_list) == 25


def test_bulk_checkboxes_only_for_managers(client, project, defect, pm, pilot_user):
    client.force_login(pilot_user)
    assert 'name="defects"' not in client.get(url("defect-list", project)).content.decode()
    client.force_login(pm)
    assert 'name="defects"' in client.get(url("defect-list", project)).content.decode()


def test_bulk_assign_through_the_page(client, project, defect, pilot_user, pm, it_member):
    second = defect_report(actor=pilot_user, project=project, title="B", severity="low")
    client.force_login(pm)

    response = client.post(
        url("defect-bulk", project),
        {"action": "assign", "defects": [defect.number, second.number], "assignee": it_member.pk},
    )

    assert response.status_code == 302
    assert set(Defect.objects.values_list("assignee", flat=True)) == {it_member.pk}


def test_bulk_transition_through_the_page_is_all_or_nothing(
    client, project, defect, pilot_user, pm
):
    second = defect_report(actor=pilot_user, project=project, title="B", severity="low")
    move(second, pm, S.TRIAGED, S.IN_PROGRESS)
    client.force_login(pm)

    response = client.post(
        url("defect-bulk", project),
        {"action": "transition", "defects": [defect.number, second.number], "to_status": "triaged"},
        follow=True,
    )

    assert second.display_number in response.content.decode()
    assert set(Defect.objects.values_list("status", flat=True)) == {S.NEW, S.IN_PROGRESS}


def test_bulk_is_403_for_testers(client, project, defect, key_user):
    client.force_login(key_user)
    response = client.post(
        url("defect-bulk", project),
        {"action": "transition", "defects": [defect.number], "to_status": "triaged"},
    )
    assert response.status_code == 403


def _list_queries(client, project, pilot_user, pm, count) -> int:
    for number in range(count):
        defect = defect_report(
            actor=pilot_user, project=project, title=f"D{number}", severity="low"
        )
        if number % 2:
            Defect.objects.filter(pk=defect.pk).update(assignee=pm)
    client.force_login(pm)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("defect-list", project)).status_code == 200
    Defect.objects.all().delete()
    return len(queries)


def test_list_queries_do_not_grow_with_rows(client, project, pilot_user, pm):
    assert _list_queries(client, project, pilot_user, pm, 2) == _list_queries(
        client, project, pilot_user, pm, 20
    )


# --- My defects --------------------------------------------------------------------------


def test_my_defects_lists_reported_assigned_and_awaiting_retest(
    client, project, pilot_user, key_user, it_member, pm
):
    mine = defect_report(actor=pilot_user, project=project, title="Mine", severity="low")
    theirs = defect_report(actor=key_user, project=project, title="Theirs", severity="low")
    other = defect_report(actor=key_user, project=project, title="Other", severity="low")
    move(theirs, it_member, S.TRIAGED, S.IN_PROGRESS, S.FIXED)
    Defect.objects.filter(pk=other.pk).update(assignee=pilot_user)
    client.force_login(pilot_user)

    context = client.get(url("my-defects", project)).context

    assert context["reported"] == [mine]
    assert context["assigned"] == [other]
    assert context["awaiting_retest"] == [theirs]

    client.force_login(it_member)  # fixed it, may not re-test it
    context = client.get(url("my-defects", project)).context
    assert context["awaiting_retest"] == []
    assert context["can_retest"] is False


def test_a_hand_made_bad_move_is_422_with_a_message(client, project, defect, pm):
    client.force_login(pm)

    response = client.post(url("defect-transition", project, defect.number), {"to_status": "bogus"})

    assert response.status_code == 422
    assert "Select a valid choice." in response.content.decode()
    defect.refresh_from_db()
    assert defect.status == S.NEW


def test_an_impossible_move_is_422_and_changes_nothing(client, project, defect, pm):
    client.force_login(pm)

    response = client.post(url("defect-transition", project, defect.number), {"to_status": "fixed"})

    assert response.status_code == 422
    assert "cannot become" in response.content.decode()
    assert DefectEvent.objects.filter(defect=defect).count() == 1


def test_bulk_never_redirects_off_site(client, project, defect, pm, it_member):
    client.force_login(pm)

    response = client.post(
        url("defect-bulk", project),
        {
            "action": "assign",
            "defects": [defect.number],
            "assignee": it_member.pk,
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == url("defect-list", project)


def test_bulk_with_an_unknown_number_changes_nothing(client, project, defect, pm, it_member):
    client.force_login(pm)
    client.post(
        url("defect-bulk", project),
        {"action": "assign", "defects": [defect.number, 999], "assignee": it_member.pk},
    )
    defect.refresh_from_db()
    assert defect.assignee is None
