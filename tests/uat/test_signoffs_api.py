"""Sign-off API: outsiders 404, wrong roles 403 before the input is read, bad input 400 with
field keys, the same signing rules as the services, sealed records that never change, the
PDF, verification by hash or file, and query counts."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.choices import PdfStatus, Role
from tests.factories import PASSWORD, MembershipFactory, ProjectFactory
from tests.uat.signoff_builders import draft, passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_cycle, make_defect
from uat.models import Signatory, Signature, SignOff, SignoffPdf
from uat.services import signoffs as services

SIGNOFFS = "/api/v1/sign-offs/"
VERIFY = f"{SIGNOFFS}verify/"
CHAIN = f"{SIGNOFFS}chain/"
MANAGERS = {Role.PROJECT_MANAGER, Role.CONSULTANT}
PDF_BYTES = b"%PDF-1.4 test"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def cycle(project, pilot_user):
    return passing_cycle(project, pilot_user)


@pytest.fixture
def pending(project, pm, cycle, key_user, executive):
    """A requested sign-off awaiting the key user and the executive, in parallel."""
    return requested(
        project, pm, cycle, (key_user, "Business owner"), (executive, "Executive sponsor")
    )


@pytest.fixture
def signed(pending, key_user, executive):
    sign(key_user, pending)
    sign(executive, pending)
    pending.refresh_from_db()
    return pending


def url(signoff, action: str = "") -> str:
    return f"{SIGNOFFS}{signoff.pk}/" + (f"{action}/" if action else "")


def row(signoff) -> dict:
    return SignOff.objects.filter(pk=signoff.pk).values().get()


def ready_pdf(signoff, content: bytes = PDF_BYTES) -> SignoffPdf:
    pdf = SignoffPdf.objects.get(signoff=signoff)
    pdf.file.save("SO.pdf", ContentFile(content), save=False)
    pdf.status, pdf.sha256, pdf.size = PdfStatus.READY, hashlib.sha256(content).hexdigest(), 13
    pdf.built_at = timezone.now()
    pdf.save()
    return pdf


def draft_body(project, cycle, *signers, **overrides) -> dict:
    return {
        "project": project.code,
        "kind": "uat",
        "cycle": cycle.pk,
        "title": "UAT round 1 accepted",
        "signing_order": "parallel",
        "signatories": [
            {"username": user.username, "role_title": role, "meaning": ""} for user, role in signers
        ],
    } | overrides


# --- Read ---------------------------------------------------------------------------------


def test_list_shows_the_projects_sign_offs_with_signatures(
    api_as, project, pm, pending, key_user, executive
):
    sign(key_user, pending)

    response = api_as(executive).get(SIGNOFFS, {"project": project.code})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    item = response.json()["results"][0]
    assert (item["display_number"], item["status"], item["kind"], item["project"]) == (
        "SO-1",
        "requested",
        "uat",
        project.code,
    )
    assert (item["requested_by"], item["snapshot_hash"], item["pdf"]) == (
        pm.username,
        pending.snapshot_hash,
        None,
    )
    assert [(s["username"], s["role_title"]) for s in item["signatories"]] == [
        (key_user.username, "Business owner"),
        (executive.username, "Executive sponsor"),
    ]
    assert item["signatories"][0]["signature"]["decision"] == "approved"
    assert item["signatories"][1]["signature"] is None
    assert "snapshot" not in item
    assert item["url"] == url(pending)


def test_list_filters_by_project_status_and_kind(api_as, project, pm, cycle, pending, key_user):
    draft(project, pm, cycle, (key_user, "Business owner"))
    client = api_as(pm)

    assert client.get(SIGNOFFS, {"status": "draft"}).json()["count"] == 1
    assert [r["number"] for r in client.get(SIGNOFFS, {"kind": "uat"}).json()["results"]] == [2, 1]
    assert client.get(SIGNOFFS, {"project": "NO-SUCH"}).json()["count"] == 0
    assert client.get(SIGNOFFS, {"status": "bogus"}).status_code == 400
    assert client.get(SIGNOFFS, {"kind": "bogus"}).status_code == 400


def test_retrieve_shows_the_frozen_snapshot_and_who_is_awaited(
    api_as, pending, key_user, executive, pm
):
    response = api_as(key_user).get(url(pending))

    assert response.status_code == 200
    body = response.json()
    assert body["snapshot_hash"] == pending.snapshot_hash
    assert body["snapshot"]["kind"] == "uat"
    assert body["snapshot"]["content"]["exit_criteria"]
    assert hashlib.sha256(pending.snapshot_json.encode()).hexdigest() == body["snapshot_hash"]
    assert (body["awaiting"], body["can_sign"]) == ([key_user.username, executive.username], True)
    assert (body["changes_since"], body["stale_at"], body["override"]) == ([], None, None)
    assert (body["record_hash"], body["sequence"], body["pdf"]) == ("", None, None)
    assert api_as(pm).get(url(pending)).json()["can_sign"] is False


def test_retrieve_of_a_draft_has_no_snapshot(api_as, project, pm, cycle, key_user):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))

    body = api_as(pm).get(url(signoff)).json()

    assert (body["status"], body["snapshot"], body["snapshot_hash"], body["awaiting"]) == (
        "draft",
        None,
        "",
        [],
    )


def test_non_numeric_pk_is_404(api_as, pm):
    assert api_as(pm).get(f"{SIGNOFFS}abc/").status_code == 404


# --- Create, edit, request, sign --------------------------------------------------------


def test_draft_request_and_two_signatures_sign_it_and_build_the_pdf(
    api_as,
    project,
    pm,
    cycle,
    key_user,
    executive,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: PDF_BYTES)
    body = draft_body(project, cycle, (key_user, "Business owner"), (executive, "Sponsor"))

    created = api_as(pm).post(SIGNOFFS, body, format="json")
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["title"]) == ("draft", "UAT round 1 accepted")
    assert created.json()["signatories"][1]["meaning"] == "Accepted as sponsor"
    signoff = SignOff.objects.get(pk=created.json()["pk"])

    asked = api_as(pm).post(url(signoff, "request"), {}, format="json")
    assert asked.status_code == 200
    assert asked.json()["status"] == "requested"

    first = api_as(key_user).post(
        url(signoff, "sign"),
        {"decision": "approved", "password": PASSWORD, "comment": "Fine"},
        format="json",
    )
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["awaiting"]) == ("requested", [executive.username])
    with django_capture_on_commit_callbacks(execute=True):
        second = api_as(executive).post(
            url(signoff, "sign"), {"decision": "approved", "password": PASSWORD}, format="json"
        )

    assert second.status_code == 200
    assert second.json()["status"] == "signed"
    shown = api_as(executive).get(url(signoff)).json()
    assert shown["sequence"] == 1
    assert len(shown["record_hash"]) == 64
    signature = shown["signatories"][0]["signature"]
    assert (signature["printed_name"], signature["decision"], signature["comment"]) == (
        key_user.display_name,
        "approved",
        "Fine",
    )
    assert (signature["ip_address"], signature["snapshot_hash"]) == (
        "127.0.0.1",
        shown["snapshot_hash"],
    )
    assert len(signature["signature_hash"]) == 64
    assert shown["pdf"] == {
        "status": "ready",
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "size": len(PDF_BYTES),
        "error": "",
        "built_at": shown["pdf"]["built_at"],
        "download_url": url(signoff, "pdf"),
    }
    download = api_as(executive).get(shown["pdf"]["download_url"])
    assert b"".join(download.streaming_content) == PDF_BYTES


@pytest.mark.parametrize("role", list(Role))
def test_create_by_role(api_as, project, members, cycle, role):
    body = draft_body(project, cycle, (members[Role.EXECUTIVE], "Sponsor"))

    response = api_as(members[role]).post(SIGNOFFS, body, format="json")

    assert response.status_code == (201 if role in MANAGERS else 403)
    assert SignOff.objects.count() == (1 if role in MANAGERS else 0)


def test_wrong_role_is_403_before_the_input_is_read(api_as, project, executive):
    response = api_as(executive).post(
        SIGNOFFS, {"project": project.code, "kind": "bogus"}, format="json"
    )
    assert response.status_code == 403


def test_create_bad_input_is_400_with_field_keys(api_as, project, pm, viewer, outsider):
    other_cycle = make_cycle(ProjectFactory())
    client = api_as(pm)

    response = client.post(
        SIGNOFFS,
        draft_body(project, other_cycle, (outsider, "Sponsor"), kind="bogus"),
        format="json",
    )
    assert response.status_code == 400
    assert {"kind", "cycle", "signatories"} <= set(response.json())
    assert "username" in response.json()["signatories"]["0"]

    response = client.post(SIGNOFFS, draft_body(project, other_cycle), format="json")
    assert set(response.json()) == {"cycle"}

    own_cycle = make_cycle(project)
    response = client.post(
        SIGNOFFS, draft_body(project, own_cycle, (viewer, "Reader")), format="json"
    )
    assert response.status_code == 400
    assert "cannot sign" in response.json()["signatories"][0]
    response = client.post(
        SIGNOFFS, draft_body(project, own_cycle, signing_order="random"), format="json"
    )
    assert set(response.json()) == {"signing_order"}
    assert SignOff.objects.count() == 0


@pytest.mark.parametrize("body", [[], "text", {"project": 5}, {"project": "NO-SUCH"}])
def test_odd_bodies_never_500(api_as, pm, body):
    assert api_as(pm).post(SIGNOFFS, body, format="json").status_code == 400


def test_create_in_a_hidden_project_is_400(api_as, project, cycle, outsider):
    response = api_as(outsider).post(SIGNOFFS, draft_body(project, cycle), format="json")

    assert response.status_code == 400
    assert "project" in response.json()


def test_patch_changes_a_draft(api_as, project, pm, cycle, key_user, executive):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))

    response = api_as(pm).patch(
        url(signoff),
        {
            "title": "Renamed",
            "signing_order": "sequential",
            "signatories": [{"username": executive.username, "role_title": "Sponsor"}],
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["signing_order"]) == ("Renamed", "sequential")
    assert [s["username"] for s in body["signatories"]] == [executive.username]
    assert (
        api_as(pm).patch(url(signoff), {"title": "Again"}, format="json").json()["signatories"]
        == body["signatories"]
    )


def test_patch_bad_input_is_400_and_changes_nothing(api_as, project, pm, cycle, key_user):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    client = api_as(pm)

    incomplete = client.patch(
        url(signoff), {"signatories": [{"username": key_user.username}]}, format="json"
    )
    unknown = client.patch(
        url(signoff),
        {"signatories": [{"username": "nobody", "role_title": "Owner"}], "title": "x" * 201},
        format="json",
    )
    empty = client.patch(url(signoff), {"signatories": []}, format="json")

    assert (incomplete.status_code, incomplete.json()) == (
        400,
        {"signatories": {"0": {"role_title": ["This field is required."]}}},
    )
    assert (unknown.status_code, set(unknown.json())) == (400, {"signatories", "title"})
    assert (empty.status_code, list(empty.json())) == (400, ["signatories"])
    assert list(Signatory.objects.filter(signoff=signoff).values_list("role_title", flat=True)) == [
        "Business owner"
    ]


def test_patch_by_a_reader_is_403_before_validation(api_as, project, pm, cycle, key_user):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))

    response = api_as(key_user).patch(url(signoff), {"signing_order": "nope"}, format="json")

    assert response.status_code == 403
    assert row(signoff)["signing_order"] == "parallel"


def test_sign_is_refused_for_a_member_not_named(api_as, pending, pm, pilot_user):
    for user in (pm, pilot_user):
        response = api_as(user).post(
            url(pending, "sign"), {"decision": "approved", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 403
    assert Signature.objects.count() == 0
    assert row(pending)["status"] == "requested"


def test_viewer_gets_403_before_the_input_is_read(api_as, pending, viewer):
    response = api_as(viewer).post(url(pending, "sign"), {"decision": "bogus"}, format="json")
    assert response.status_code == 403


def test_sign_with_a_wrong_or_missing_password_is_400(api_as, pending, key_user):
    client = api_as(key_user)

    wrong = client.post(
        url(pending, "sign"), {"decision": "approved", "password": "guess"}, format="json"
    )
    missing = client.post(url(pending, "sign"), {"decision": "approved"}, format="json")
    bad_decision = client.post(
        url(pending, "sign"), {"decision": "maybe", "password": PASSWORD}, format="json"
    )
    silent_rejection = client.post(
        url(pending, "sign"), {"decision": "rejected", "password": PASSWORD}, format="json"
    )

    assert (wrong.status_code, list(wrong.json())) == (400, ["password"])
    assert isinstance(wrong.json()["password"], list)
    assert (missing.status_code, list(missing.json())) == (400, ["password"])
    assert (bad_decision.status_code, list(bad_decision.json())) == (400, ["decision"])
    assert (silent_rejection.status_code, list(silent_rejection.json())) == (400, ["comment"])
    assert Signature.objects.count() == 0


def test_signing_twice_is_400(api_as, pending, key_user):
    body = {"decision": "approved", "password": PASSWORD}
    assert api_as(key_user).post(url(pending, "sign"), body, format="json").status_code == 200

    again = api_as(key_user).post(url(pending, "sign"), body, format="json")

    assert again.status_code == 400
    assert "already signed" in again.json()["detail"]
    assert Signature.objects.count() == 1


def test_a_rejection_ends_the_round_and_a_new_round_starts(api_as, pending, pm, key_user):
    rejected = api_as(key_user).post(
        url(pending, "sign"),
        {"decision": "rejected", "password": PASSWORD, "comment": "Totals wrong"},
        format="json",
    )
    assert rejected.json()["status"] == "rejected"

    response = api_as(pm).post(url(pending, "new-round"))

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["round"]) == ("draft", 2)
    assert response.json()["previous_round"] == pending.pk
    assert api_as(pm).post(url(pending, "new-round")).status_code == 400


@pytest.fixture
def failing_cycle(project, pilot_user):
    cycle = passing_cycle(project, pilot_user, name="Round 2")
    make_defect(project, pilot_user, cycle=cycle, severity="critical")
    return cycle


def test_request_with_failing_criteria_needs_an_override(
    api_as, project, pm, failing_cycle, key_user
):
    signoff = draft(project, pm, failing_cycle, (key_user, "Business owner"))

    refused = api_as(pm).post(url(signoff, "request"), {}, format="json")
    assert refused.status_code == 400
    assert "Exit criteria not met" in refused.json()["detail"]

    response = api_as(pm).post(
        url(signoff, "request"), {"override_reason": "Workaround agreed"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "requested"
    assert response.json()["override"] == {
        "criteria": [{"key": "open_critical", "label": "Open critical defects at most"}],
        "reason": "Workaround agreed",
    }
    assert api_as(key_user).get(url(signoff)).json()["override"]["reason"] == "Workaround agreed"


def test_override_by_a_consultant_is_403(api_as, project, pm, consultant, failing_cycle, key_user):
    signoff = draft(project, pm, failing_cycle, (key_user, "Business owner"))

    response = api_as(consultant).post(
        url(signoff, "request"), {"override_reason": "Trust me"}, format="json"
    )

    assert response.status_code == 403
    assert (row(signoff)["status"], row(signoff)["snapshot_hash"]) == ("draft", "")


def test_request_by_a_reader_is_403(api_as, project, pm, cycle, key_user):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    assert api_as(key_user).post(url(signoff, "request"), {}, format="json").status_code == 403
    assert row(signoff)["status"] == "draft"


def test_cancelling_a_request_needs_a_reason(api_as, pending, pm):
    refused = api_as(pm).post(url(pending, "cancel"), {}, format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["reason"])
    assert row(pending)["status"] == "requested"

    response = api_as(pm).post(url(pending, "cancel"), {"reason": "Scope moved"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "Scope moved",
    )
    assert len(response.json()["record_hash"]) == 64


def test_a_draft_is_cancelled_without_a_reason(api_as, project, pm, cycle, key_user):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    response = api_as(pm).post(url(signoff, "cancel"))
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_a_new_defect_makes_the_request_stale(
    api_as, project, pending, cycle, pilot_user, key_user
):
    make_defect(project, pilot_user, cycle=cycle)

    response = api_as(key_user).post(
        url(pending, "sign"), {"decision": "approved", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 400
    assert "changed since the request" in response.json()["detail"]
    assert Signature.objects.count() == 0
    shown = api_as(key_user).get(url(pending)).json()
    assert shown["stale_at"] is not None
    assert "DEF-1" in shown["stale_reason"]
    assert any("DEF-1" in text for text in shown["changes_since"])
    assert (shown["can_sign"], shown["status"]) == (False, "requested")


def test_reading_a_changed_request_marks_it_stale(api_as, project, pending, cycle, pilot_user, pm):
    make_defect(project, pilot_user, cycle=cycle)

    shown = api_as(pm).get(url(pending)).json()

    assert shown["stale_at"] is not None
    assert row(pending)["stale_at"] is not None


# --- A signed sign-off never changes ----------------------------------------------------


def test_a_signed_sign_off_cannot_be_replaced_changed_or_deleted(api_as, signed, pm, superuser):
    before = row(signed)
    for user in (pm, superuser):
        client = api_as(user)
        assert client.put(url(signed), {"title": "x"}, format="json").status_code == 405
        assert client.delete(url(signed)).status_code == 405
        patched = client.patch(url(signed), {"title": "Rewritten"}, format="json")
        assert patched.status_code == 400
        assert "Only a draft" in patched.json()["detail"]
        assert client.post(url(signed, "cancel"), {"reason": "x"}, format="json").status_code == 400
        assert client.post(url(signed, "request"), {}, format="json").status_code == 400
        assert client.patch(SIGNOFFS, {}, format="json").status_code == 405

    assert row(signed) == before
    assert services.chain_verify(signed.project).is_intact


# --- The PDF ------------------------------------------------------------------------------


def test_an_executive_downloads_the_ready_pdf(api_as, project, signed, executive):
    ready_pdf(signed)

    response = api_as(executive).get(url(signed, "pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (f'attachment; filename="{project.code}-SO-1.pdf"')
    assert b"".join(response.streaming_content) == PDF_BYTES
    accepted = api_as(executive).get(url(signed, "pdf"), HTTP_ACCEPT="application/pdf")
    assert accepted.status_code == 200


def test_the_pdf_is_404_until_it_is_ready(api_as, pending, signed, executive):
    assert SignoffPdf.objects.get(signoff=signed).status == PdfStatus.PENDING
    assert api_as(executive).get(url(signed, "pdf")).status_code == 404
    assert api_as(executive).get(url(pending, "pdf")).status_code == 404


def test_a_failed_pdf_is_queued_again(api_as, signed, pm):
    pdf = SignoffPdf.objects.get(signoff=signed)
    pdf.status, pdf.error = PdfStatus.FAILED, "It broke."
    pdf.save()

    response = api_as(pm).post(url(signed, "pdf-retry"))

    assert response.status_code == 202
    assert (response.json()["status"], response.json()["error"]) == ("pending", "")
    assert api_as(pm).post(url(signed, "pdf-retry")).status_code == 202
    ready_pdf(signed)
    assert api_as(pm).post(url(signed, "pdf-retry")).status_code == 400


# --- Verify and chain ---------------------------------------------------------------------


def test_verify_by_hash_finds_the_record_and_the_snapshot(api_as, project, signed, executive):
    client = api_as(executive)

    by_record = client.post(
        VERIFY, {"project": project.code, "hash": signed.record_hash.upper()}, format="json"
    )
    by_snapshot = client.post(
        VERIFY, {"project": project.code, "hash": signed.snapshot_hash}, format="json"
    )

    assert by_record.status_code == 200
    assert by_record.json() == {
        "matches": True,
        "matched": "record",
        "sign_off": {
            "id": signed.pk,
            "number": 1,
            "title": signed.title,
            "status": "signed",
            "url": url(signed),
        },
        "changes_since": [],
        "chain": {"intact": True, "length": 1, "problems": []},
    }
    assert by_snapshot.json()["matched"] == "snapshot"


def test_verify_by_hash_without_a_match(api_as, project, signed, executive):
    response = api_as(executive).post(
        VERIFY, {"project": project.code, "hash": "0" * 64}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {
        "matches": False,
        "matched": None,
        "sign_off": None,
        "changes_since": [],
        "chain": None,
    }


def test_verify_by_file(api_as, project, signed, executive):
    ready_pdf(signed)
    client = api_as(executive)

    found = client.post(
        VERIFY,
        {"project": project.code, "file": SimpleUploadedFile("so.pdf", PDF_BYTES)},
        format="multipart",
    )
    other = client.post(
        VERIFY,
        {"project": project.code, "file": SimpleUploadedFile("so.pdf", b"%PDF-1.4 forged")},
        format="multipart",
    )

    assert (found.status_code, found.json()["matched"]) == (200, "pdf")
    assert found.json()["sign_off"]["id"] == signed.pk
    assert (other.status_code, other.json()["matches"]) == (200, False)


def test_verify_lists_what_changed_since_signing(api_as, project, signed, cycle, pilot_user, pm):
    make_defect(project, pilot_user, cycle=cycle)

    response = api_as(pm).post(
        VERIFY, {"project": project.code, "hash": signed.record_hash}, format="json"
    )

    assert any("DEF-1" in text for text in response.json()["changes_since"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hash": "abc"}, "hash"),
        ({"hash": "g" * 64}, "hash"),
        ({"file": "not a file"}, "file"),
        ({}, "hash"),
        ({"hash": "0" * 64, "file": "x"}, "file"),
    ],
)
def test_verify_bad_input_is_400(api_as, project, pm, body, field):
    response = api_as(pm).post(VERIFY, {"project": project.code, **body}, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_verify_without_a_project_is_400(api_as, pm):
    response = api_as(pm).post(VERIFY, {"hash": "0" * 64}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["project"])


def test_chain_reports_the_projects_chain(api_as, project, signed, executive):
    response = api_as(executive).get(CHAIN, {"project": project.code.lower()})

    assert response.status_code == 200
    assert response.json() == {"intact": True, "length": 1, "problems": []}
    assert api_as(executive).get(CHAIN).status_code == 400


# --- Strangers ----------------------------------------------------------------------------


@pytest.fixture
def stranger_executive(db):
    """An executive of another project."""
    return MembershipFactory(role=Role.EXECUTIVE).user


@pytest.mark.parametrize("who", ["outsider", "stranger_executive"])
def test_strangers_get_404_for_everything_of_the_project(request, api_as, project, signed, who):
    ready_pdf(signed)
    client = api_as(request.getfixturevalue(who))
    before = row(signed)

    assert client.get(SIGNOFFS, {"project": project.code}).json()["results"] == []
    assert client.get(url(signed)).status_code == 404
    assert client.get(url(signed, "pdf")).status_code == 404
    assert client.patch(url(signed), {"title": "x"}, format="json").status_code == 404
    for action in ("request", "cancel", "sign", "new-round", "pdf-retry"):
        body = {"decision": "approved", "password": PASSWORD, "reason": "x"}
        assert client.post(url(signed, action), body, format="json").status_code == 404
    verify = {"project": project.code, "hash": signed.record_hash}
    assert client.post(VERIFY, verify, format="json").status_code == 404
    assert client.get(CHAIN, {"project": project.code}).status_code == 404
    assert row(signed) == before


def test_anonymous_clients_get_401(api_client, project, signed):
    assert api_client.get(SIGNOFFS).status_code == 401
    assert api_client.get(url(signed)).status_code == 401
    assert api_client.get(url(signed, "pdf")).status_code == 401
    assert api_client.post(url(signed, "sign"), {}, format="json").status_code == 401
    assert api_client.post(VERIFY, {"project": project.code}, format="json").status_code == 401
    assert api_client.get(CHAIN, {"project": project.code}).status_code == 401


# --- Query counts -------------------------------------------------------------------------


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_list_query_count_does_not_grow(api_as, pm, pilot_user):
    counts = []
    for size in (2, 20):
        other = ProjectFactory()
        for role, user in ((Role.PROJECT_MANAGER, pm), (Role.PILOT_USER, pilot_user)):
            MembershipFactory(project=other, user=user, role=role)
        signer = MembershipFactory(project=other, role=Role.EXECUTIVE).user
        cycle = passing_cycle(other, pilot_user, count=1)
        for number in range(size):
            if number % 2:
                draft(other, pm, cycle, (signer, "Sponsor"), (pilot_user, "Tester"))
            else:
                signoff = requested(other, pm, cycle, (signer, "Sponsor"))
                sign(signer, signoff)
        assert Signatory.objects.filter(signoff__project=other).count() == size // 2 * 3
        counts.append(_count(api_as(pm), f"{SIGNOFFS}?project={other.code}"))

    assert counts[0] == counts[1]
