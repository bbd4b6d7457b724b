"""Defect API: outsiders 404, wrong roles 403 before validation, bad input 400 with field
keys, the same workflow rules as the pages, and query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory
from tests.uat.test_attachments import PDF, tiny_png
from uat.choices import DefectStatus
from uat.models import Attachment, Defect, DefectComment
from uat.services.defects import defect_report, defect_transition

S = DefectStatus
DEFECTS = "/api/v1/defects/"
COMMENTS = "/api/v1/defect-comments/"
ATTACHMENTS = "/api/v1/attachments/"
MANAGERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
LOGGERS = [*MANAGERS, Role.KEY_USER, Role.PILOT_USER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def defect(project, pilot_user):
    return defect_report(actor=pilot_user, project=project, title="Wrong VAT", severity="high")


def move(defect, actor, *targets):
    for target in targets:
        defect = defect_transition(actor=actor, defect=defect, to_status=target)
    return defect


def transition_url(defect) -> str:
    return f"{DEFECTS}{defect.pk}/transition/"


# --- Read -------------------------------------------------------------------------------


def test_members_list_their_projects_defects(api_as, project, defect, executive):
    response = api_as(executive).get(DEFECTS, {"project": project.code})

    assert response.status_code == 200
    assert [row["display_number"] for row in response.json()["results"]] == ["DEF-1"]
    row = response.json()["results"][0]
    assert (row["status"], row["reporter"], row["project"]) == (
        "new",
        defect.reporter.username,
        project.code,
    )


def test_outsiders_see_nothing_and_get_404(api_as, project, defect, outsider):
    client = api_as(outsider)
    assert client.get(DEFECTS, {"project": project.code}).json()["results"] == []
    assert client.get(f"{DEFECTS}{defect.pk}/").status_code == 404
    assert client.patch(f"{DEFECTS}{defect.pk}/", {"title": "x"}, format="json").status_code == 404
    assert (
        client.post(transition_url(defect), {"to_status": "triaged"}, format="json").status_code
        == 404
    )
    assert (
        client.post(COMMENTS, {"defect": defect.pk, "body": "x"}, format="json").status_code == 404
    )
    assert client.get(COMMENTS, {"defect": defect.pk}).json()["results"] == []


def test_anonymous_clients_get_401(api_client, defect):
    assert api_client.get(DEFECTS).status_code == 401


def test_non_numeric_pk_is_404(api_as, pm):
    assert api_as(pm).get(f"{DEFECTS}abc/").status_code == 404


def test_filters(api_as, project, pilot_user, pm):
    defect_report(actor=pilot_user, project=project, title="VAT", severity="critical")
    defect_report(actor=pilot_user, project=project, title="Slow", severity="low")
    client = api_as(pm)

    titles = [r["title"] for r in client.get(DEFECTS, {"severity": "critical"}).json()["results"]]
    assert titles == ["VAT"]
    assert client.get(DEFECTS, {"assignee": "none"}).json()["count"] == 2
    assert client.get(DEFECTS, {"status": "bogus"}).status_code == 400


# --- Create and edit --------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_create_by_role(api_as, project, members, role):
    response = api_as(members[role]).post(
        DEFECTS,
        {"project": project.code, "title": "Broken", "severity": "high"},
        format="json",
    )
    assert response.status_code == (201 if role in LOGGERS else 403)
    assert Defect.objects.count() == (1 if role in LOGGERS else 0)


def test_wrong_role_is_403_before_validating_the_rest(api_as, project, viewer):
    response = api_as(viewer).post(DEFECTS, {"project": project.code}, format="json")
    assert response.status_code == 403


def test_create_bad_input_is_400_with_field_keys(api_as, project, pilot_user):
    response = api_as(pilot_user).post(
        DEFECTS,
        {"project": project.code, "severity": "catastrophic", "assignee": "nobody"},
        format="json",
    )
    assert response.status_code == 400
    assert {"title", "severity", "assignee"} <= set(response.json())


def test_create_in_a_hidden_project_is_400(api_as, project, outsider):
    response = api_as(outsider).post(
        DEFECTS, {"project": project.code, "title": "x", "severity": "low"}, format="json"
    )
    assert response.status_code == 400
    assert "project" in response.json()


@pytest.mark.parametrize("body", [[], "text", {"project": 5}])
def test_odd_bodies_never_500(api_as, pm, body):
    assert api_as(pm).post(DEFECTS, body, format="json").status_code == 400


def test_patch_records_the_changes(api_as, project, defect, consultant, it_member):
    response = api_as(consultant).patch(
        f"{DEFECTS}{defect.pk}/",
        {"severity": "critical", "assignee": it_member.username},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["severity"], response.json()["assignee"]) == (
        "critical",
        it_member.username,
    )
    assert defect.events.last().changes == {
        "severity": ["high", "critical"],
        "assignee": [None, it_member.username],
    }


def test_patch_by_the_reporter_is_limited(api_as, defect, pilot_user):
    client = api_as(pilot_user)
    assert (
        client.patch(f"{DEFECTS}{defect.pk}/", {"title": "Better"}, format="json").status_code
        == 200
    )
    assert (
        client.patch(f"{DEFECTS}{defect.pk}/", {"severity": "low"}, format="json").status_code
        == 403
    )
    defect.refresh_from_db()
    assert (defect.title, defect.severity) == ("Better", "high")


def test_patch_by_a_reader_is_403_before_validation(api_as, defect, executive):
    response = api_as(executive).patch(
        f"{DEFECTS}{defect.pk}/", {"severity": "nope"}, format="json"
    )
    assert response.status_code == 403


# --- Transitions ------------------------------------------------------------------------


def test_transition_follows_the_workflow(api_as, defect, consultant, it_member, pilot_user):
    assert (
        api_as(consultant)
        .post(transition_url(defect), {"to_status": "triaged"}, format="json")
        .status_code
        == 200
    )
    move(defect, it_member, S.IN_PROGRESS, S.FIXED)

    response = api_as(pilot_user).post(
        transition_url(defect), {"to_status": "closed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_pilot_users_cannot_triage(api_as, defect, pilot_user):
    response = api_as(pilot_user).post(
        transition_url(defect), {"to_status": "triaged"}, format="json"
    )
    assert response.status_code == 403
    defect.refresh_from_db()
    assert defect.status == S.NEW


def test_whoever_fixed_cannot_close(api_as, defect, superuser):
    move(defect, superuser, S.TRIAGED, S.IN_PROGRESS, S.FIXED)
    response = api_as(superuser).post(
        transition_url(defect), {"to_status": "closed"}, format="json"
    )
    assert response.status_code == 403


def test_readers_get_403_before_validation(api_as, defect, executive):
    response = api_as(executive).post(transition_url(defect), {"to_status": "bogus"}, format="json")
    assert response.status_code == 403


def test_impossible_moves_and_bad_input_are_400(api_as, defect, pm):
    client = api_as(pm)
    assert (
        "detail"
        in client.post(transition_url(defect), {"to_status": "closed"}, format="json").json()
    )
    assert (
        "to_status"
        in client.post(transition_url(defect), {"to_status": "bogus"}, format="json").json()
    )
    assert (
        "comment"
        in client.post(transition_url(defect), {"to_status": "rejected"}, format="json").json()
    )
    response = client.post(
        transition_url(defect), {"to_status": "deferred", "target_date": "99999-1-1"}, format="json"
    )
    assert response.status_code == 400
    assert "target_date" in response.json()
    response = client.post(transition_url(defect), {"to_status": "deferred"}, format="json")
    assert {"deferral_reason", "workaround", "target_date"} <= set(response.json())


def test_duplicate_of_another_projects_defect_is_400(api_as, project, defect, pm):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    foreign = defect_report(actor=pm, project=other, title="x", severity="low")

    response = api_as(pm).post(
        transition_url(defect),
        {"to_status": "duplicate", "duplicate_of": foreign.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "duplicate_of" in response.json()


def test_deferral_through_the_api(api_as, defect, pm):
    response = api_as(pm).post(
        transition_url(defect),
        {
            "to_status": "deferred",
            "deferral_reason": "Later",
            "workaround": "Manual",
            "target_date": "2026-12-01",
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["target_date"] == "2026-12-01"


# --- Comments and attachments -----------------------------------------------------------


def test_comments_list_and_create(api_as, defect, key_user, executive):
    response = api_as(key_user).post(COMMENTS, {"defect": defect.pk, "body": "Seen"}, format="json")
    assert response.status_code == 201
    assert (
        api_as(executive).get(COMMENTS, {"defect": defect.pk}).json()["results"][0]["body"]
        == "Seen"
    )
    assert (
        api_as(executive)
        .post(COMMENTS, {"defect": defect.pk, "body": "x"}, format="json")
        .status_code
        == 403
    )
    assert api_as(key_user).post(COMMENTS, {"defect": "abc"}, format="json").status_code == 400
    assert api_as(key_user).post(COMMENTS, {"defect": defect.pk}, format="json").status_code == 400
    assert DefectComment.objects.count() == 1


def test_attachments_upload_list_and_metadata(
    api_as, project, defect, pilot_user, outsider, viewer
):
    client = api_as(pilot_user)
    response = client.post(
        ATTACHMENTS,
        {"defect": defect.pk, "file": SimpleUploadedFile("a.png", tiny_png())},
        format="multipart",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["original_name"], body["content_type"]) == ("a.png", "image/png")
    assert body["download_url"] == f"/projects/{project.code}/uat/attachments/{body['pk']}/"
    assert client.get(ATTACHMENTS, {"defect": defect.pk}).json()["count"] == 1
    assert client.get(f"{ATTACHMENTS}{body['pk']}/").status_code == 200
    assert api_as(outsider).get(f"{ATTACHMENTS}{body['pk']}/").status_code == 404


def test_attachment_refusals(api_as, defect, pilot_user, viewer, outsider):
    bad = {"defect": defect.pk, "file": SimpleUploadedFile("a.png", PDF)}
    response = api_as(pilot_user).post(ATTACHMENTS, bad, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert (
        api_as(pilot_user).post(ATTACHMENTS, {"defect": defect.pk}, format="multipart").status_code
        == 400
    )
    assert (
        api_as(viewer).post(ATTACHMENTS, {"defect": defect.pk}, format="multipart").status_code
        == 403
    )
    assert (
        api_as(outsider).post(ATTACHMENTS, {"defect": defect.pk}, format="multipart").status_code
        == 404
    )
    assert Attachment.objects.count() == 0


# --- Query counts -----------------------------------------------------------------------


def _queries(api_as, project, pilot_user, pm, url, count) -> int:
    for number in range(count):
        defect = defect_report(
            actor=pilot_user, project=project, title=f"D{number}", severity="low"
        )
        Defect.objects.filter(pk=defect.pk).update(assignee=pm)
        DefectComment.objects.create(defect=defect, author=pm, body="x")
        Attachment.objects.create(
            project=project,
            defect=defect,
            file="attachments/x.png",
            original_name="x.png",
            content_type="image/png",
            size=1,
            uploaded_by=pm,
        )
    client = api_as(pm)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    Attachment.objects.all().delete()
    Defect.objects.all().delete()
    return len(queries)


@pytest.mark.parametrize("url", [DEFECTS, COMMENTS, ATTACHMENTS])
def test_list_queries_do_not_grow_with_rows(api_as, project, pilot_user, pm, url):
    assert _queries(api_as, project, pilot_user, pm, url, 2) == _queries(
        api_as, project, pilot_user, pm, url, 20
    )
