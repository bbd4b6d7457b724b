"""Sign-off pages: who sees and does what, the sign form and its password, a full journey,
overrides, stale requests and new rounds, the PDF panel and download, verifying a PDF or a
hash, HTMX fragments and query counts."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.choices import PhaseKind
from projects.choices import PdfStatus, Role
from tests.factories import (
    PASSWORD,
    ChecklistItemFactory,
    MembershipFactory,
    PhaseFactory,
    ProjectFactory,
)
from tests.uat.signoff_builders import draft, passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_cycle, make_defect, make_scope
from uat import signoff_forms
from uat.choices import SigningOrder, SignoffKind, SignoffStatus
from uat.models import Signature, SignOff, SignoffPdf

HTMX = {"HX-Request": "true"}
PDF_BYTES = b"%PDF-1.4 test"
MANAGERS = {Role.PROJECT_MANAGER, Role.CONSULTANT}
SIGN_FORM = "Re-enter your password to sign"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _fake_renderer(monkeypatch):
    # The real renderer is not under test here: a signed sign-off's PDF is these bytes.
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: PDF_BYTES)


def url(name, project, *args) -> str:
    return reverse(f"signoffs:{name}", args=[project.code, *args])


@pytest.fixture
def cycle(project, pilot_user):
    return passing_cycle(project, pilot_user)


@pytest.fixture
def pending(project, pm, cycle, key_user, executive):
    """SO-1, requested of the key user then the executive, in parallel."""
    return requested(project, pm, cycle, (key_user, "Business owner"), (executive, "Sponsor"))


@pytest.fixture
def signed(pending, key_user, executive):
    sign(key_user, pending)
    sign(executive, pending)
    pending.refresh_from_db()
    return pending


def make_ready(signoff, content=PDF_BYTES) -> SignoffPdf:
    """The PDF of a signed sign-off, stored as if the worker had built it."""
    pdf = SignoffPdf.objects.get(signoff=signoff)
    pdf.file.save("x.pdf", ContentFile(content), save=False)
    pdf.sha256 = hashlib.sha256(content).hexdigest()
    pdf.size = len(content)
    pdf.status = PdfStatus.READY
    pdf.save()
    return pdf


def state() -> tuple:
    return (
        list(SignOff.objects.order_by("pk").values("pk", "status", "stale_at", "record_hash")),
        Signature.objects.count(),
    )


# --- Who sees what ------------------------------------------------------------------------

PAGES = [
    ("list", ()),
    ("verify", ()),
    ("detail", (1,)),
    ("create", ()),
    ("edit", (2,)),
]


@pytest.fixture
def two(project, pm, pending, cycle, key_user):
    """SO-1 requested and SO-2 a draft."""
    draft(project, pm, cycle, (key_user, "Business owner"))
    return pending


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_renders_for_a_manager(client, project, pm, two, name, args):
    client.force_login(pm)

    response = client.get(url(name, project, *args))

    assert response.status_code == 200
    assert b"<html" in response.content


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_by_role(client, project, members, two, name, args):
    managing = name in {"create", "edit"}
    for role, user in members.items():
        client.force_login(user)
        expected = 403 if managing and role not in MANAGERS else 200
        assert client.get(url(name, project, *args)).status_code == expected, role


ALL_URLS = [
    *PAGES,
    ("request", (2,)),
    ("cancel", (1,)),
    ("sign", (1,)),
    ("new-round", (1,)),
    ("pdf", (1,)),
    ("pdf-status", (1,)),
    ("pdf-retry", (1,)),
]


@pytest.mark.parametrize(("name", "args"), ALL_URLS)
def test_anonymous_is_sent_to_login_and_outsider_gets_404(
    client, project, two, outsider, name, args
):
    page = url(name, project, *args)
    before = state()

    for method in ("get", "post"):
        response = getattr(client, method)(page)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={page}")

    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(page, {"reason": "x", "password": PASSWORD}).status_code == 404
    assert state() == before


def test_executive_of_another_project_gets_404(client, project, signed):
    make_ready(signed)
    elsewhere = MembershipFactory(project=ProjectFactory(code="OTHER"), role=Role.EXECUTIVE)
    client.force_login(elsewhere.user)

    for name, args in [("list", ()), ("detail", (1,)), ("pdf", (1,)), ("verify", ())]:
        assert client.get(url(name, project, *args)).status_code == 404, name


@pytest.mark.parametrize(
    "role", [Role.IT, Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
)
@pytest.mark.parametrize(
    ("name", "number", "data"),
    [
        ("create", None, {"kind": "uat"}),
        ("edit", 2, {"signing_order": "parallel"}),
        ("request", 2, {}),
        ("cancel", 1, {"reason": "Changed our mind"}),
        ("new-round", 1, {}),
    ],
)
def test_member_without_the_capability_gets_403_and_nothing_changes(
    client, project, members, two, role, name, number, data
):
    before = state()
    client.force_login(members[role])

    response = client.post(url(name, project, *([number] if number else [])), data)

    assert response.status_code == 403
    assert state() == before


# --- Preparing ----------------------------------------------------------------------------


def formset_data(*rows, extra=3) -> dict:
    data = {
        "signatories-TOTAL_FORMS": str(len(rows) + extra),
        "signatories-INITIAL_FORMS": "0",
        "signatories-MIN_NUM_FORMS": "0",
        "signatories-MAX_NUM_FORMS": "1000",
    }
    for index, (user, role_title, meaning) in enumerate(rows):
        data |= {
            f"signatories-{index}-user": str(user.pk),
            f"signatories-{index}-role_title": role_title,
            f"signatories-{index}-meaning": meaning,
        }
    return data


def test_create_page_lists_only_members_who_may_sign(
    client, project, pm, key_user, viewer, executive
):
    client.force_login(pm)

    response = client.get(url("create", project))

    choices = response.context["formset"].forms[0].fields["user"].queryset
    assert set(choices) == {pm, key_user, executive}
    assert len(response.context["formset"].forms) == 3


def test_create_page_prepares_a_draft_with_default_meaning(
    client, project, consultant, cycle, key_user, executive
):
    client.force_login(consultant)

    response = client.post(
        url("create", project),
        {
            "kind": "uat",
            "cycle": str(cycle.pk),
            "title": "",
            "signing_order": SigningOrder.SEQUENTIAL,
            **formset_data(
                (key_user, "Business owner", ""), (executive, "Sponsor", "Approved for launch")
            ),
        },
    )

    signoff = SignOff.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", project, 1)
    assert (signoff.status, signoff.cycle, signoff.signing_order, signoff.title) == (
        SignoffStatus.DRAFT,
        cycle,
        SigningOrder.SEQUENTIAL,
        "UAT sign-off: UAT round 1",
    )
    assert [(s.user, s.role_title, s.meaning) for s in signoff.signatories.all()] == [
        (key_user, "Business owner", "Accepted as business owner"),
        (executive, "Sponsor", "Approved for launch"),
    ]


def test_create_page_needs_a_cycle_for_a_uat_sign_off(client, project, pm, key_user):
    client.force_login(pm)

    response = client.post(
        url("create", project),
        {"kind": "uat", "signing_order": "parallel", **formset_data((key_user, "Owner", ""))},
    )

    assert response.status_code == 422
    assert "Choose a test cycle of this project." in response.content.decode()
    assert SignOff.objects.count() == 0


def test_create_page_refuses_a_half_filled_row_and_no_signatory(client, project, pm, cycle):
    client.force_login(pm)
    data = {"kind": "uat", "cycle": str(cycle.pk), "signing_order": "parallel"}

    half = client.post(
        url("create", project),
        data | formset_data() | {"signatories-0-role_title": "Business owner"},
    )
    none = client.post(url("create", project), data | formset_data())

    assert half.status_code == 422
    assert "Choose who signs in this row." in half.content.decode()
    assert none.status_code == 422
    assert "Name at least one signatory." in none.content.decode()
    assert SignOff.objects.count() == 0


def test_edit_page_replaces_a_drafts_signatories(client, project, pm, cycle, key_user, executive):
    signoff = draft(project, pm, cycle, (key_user, "Business owner"))
    client.force_login(pm)

    page = client.get(url("edit", project, 1))
    response = client.post(
        url("edit", project, 1),
        {"title": "Round one", "signing_order": "parallel"}
        | formset_data((executive, "Sponsor", ""), extra=2),
    )

    assert page.context["formset"].forms[0].initial["user"] == key_user
    assert response.status_code == 302
    signoff.refresh_from_db()
    assert signoff.title == "Round one"
    assert [s.user for s in signoff.signatories.all()] == [executive]


def test_edit_page_of_a_requested_sign_off_sends_back_to_it(client, project, pm, pending):
    client.force_login(pm)

    response = client.get(url("edit", project, 1))

    assert response.status_code == 302
    assert response["Location"] == url("detail", project, 1)


# --- Requesting, overriding ---------------------------------------------------------------


def test_draft_page_previews_the_exit_criteria_and_offers_the_request(
    client, project, pm, cycle, key_user
):
    draft(project, pm, cycle, (key_user, "Business owner"))
    client.force_login(pm)

    content = client.get(url("detail", project, 1)).content.decode()

    assert "Exit criteria as they stand now" in content
    assert "Pass rate at or above the minimum (%)" in content
    assert 'data-action="request"' in content
    assert "override_reason" not in content  # nothing fails: nothing to override


@pytest.fixture
def failing_draft(project, pm, pilot_user, key_user):
    cycle = make_cycle(project, name="Unfinished")
    make_scope(cycle, 2, pilot_user)  # nothing executed
    return draft(project, pm, cycle, (key_user, "Business owner"))


def test_only_the_project_manager_is_offered_the_override(
    client, project, pm, consultant, failing_draft
):
    client.force_login(consultant)
    as_consultant = client.get(url("detail", project, 1)).content.decode()
    client.force_login(pm)
    as_pm = client.get(url("detail", project, 1)).content.decode()

    assert "Every scenario in scope executed" in as_consultant
    assert "override_reason" not in as_consultant
    assert "only the project manager may request" in as_consultant
    assert 'name="override_reason"' in as_pm


def test_consultant_cannot_override_failing_criteria(client, project, consultant, failing_draft):
    client.force_login(consultant)

    response = client.post(url("request", project, 1), {"override_reason": "We must go"})

    assert response.status_code == 403
    failing_draft.refresh_from_db()
    assert failing_draft.status == SignoffStatus.DRAFT


def test_request_without_a_reason_while_criteria_fail_answers_422(
    client, project, pm, failing_draft
):
    client.force_login(pm)

    response = client.post(url("request", project, 1), {"override_reason": ""})

    assert response.status_code == 422
    assert "Exit criteria not met" in response.content.decode()
    failing_draft.refresh_from_db()
    assert failing_draft.status == SignoffStatus.DRAFT


def test_override_is_shown_to_every_signatory(client, project, pm, key_user, failing_draft):
    client.force_login(pm)
    response = client.post(
        url("request", project, 1), {"override_reason": "Vendor fix lands next week."}
    )
    assert response.status_code == 302

    client.force_login(key_user)
    content = client.get(url("detail", project, 1)).content.decode()

    assert 'id="override"' in content
    assert "Requested with an override of failing exit criteria" in content
    assert "Every scenario in scope executed" in content
    assert "Vendor fix lands next week." in content
    assert SIGN_FORM in content


# --- Signing ------------------------------------------------------------------------------


def test_only_the_awaited_signatory_sees_the_sign_form(
    client, project, pm, consultant, key_user, executive, viewer, pending
):
    for user, sees in [
        (key_user, True),
        (executive, True),
        (pm, False),
        (consultant, False),
        (viewer, False),
    ]:
        client.force_login(user)
        content = client.get(url("detail", project, 1)).content.decode()
        assert (SIGN_FORM in content) is sees, user


@pytest.mark.parametrize("who", ["pm", "consultant", "pilot_user"])
def test_a_member_not_named_gets_403_and_nothing_is_saved(client, project, pending, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.post(url("sign", project, 1), {"decision": "approved", "password": PASSWORD})

    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_an_executive_not_named_gets_403(client, project, pm, cycle, key_user):
    requested(project, pm, cycle, (key_user, "Business owner"))
    other_executive = MembershipFactory(project=project, role=Role.EXECUTIVE).user
    client.force_login(other_executive)

    page = client.get(url("detail", project, 1)).content.decode()
    response = client.post(url("sign", project, 1), {"decision": "approved", "password": PASSWORD})

    assert SIGN_FORM not in page
    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_in_order_the_second_signatory_waits_for_the_first(
    client, project, pm, cycle, key_user, executive
):
    requested(
        project,
        pm,
        cycle,
        (key_user, "Business owner"),
        (executive, "Sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )
    client.force_login(executive)

    page = client.get(url("detail", project, 1)).content.decode()
    response = client.post(url("sign", project, 1), {"decision": "approved", "password": PASSWORD})

    assert SIGN_FORM not in page
    assert response.status_code == 403
    assert Signature.objects.count() == 0


def test_wrong_password_answers_422_and_saves_nothing(client, project, key_user, pending):
    client.force_login(key_user)

    response = client.post(
        url("sign", project, 1), {"decision": "approved", "password": "not-my-password"}
    )

    assert response.status_code == 422
    assert "That is not your password." in response.content.decode()
    assert Signature.objects.count() == 0
    pending.refresh_from_db()
    assert pending.status == SignoffStatus.REQUESTED


def test_wrong_password_with_htmx_gets_the_sign_fragment(client, project, key_user, pending):
    client.force_login(key_user)

    response = client.post(
        url("sign", project, 1),
        {"decision": "approved", "password": "nope"},
        headers=HTMX,
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in content
    assert content.lstrip().startswith('<section class="card card--sign" id="sign">')
    assert "That is not your password." in content


def test_rejecting_needs_a_comment(client, project, key_user, pending):
    client.force_login(key_user)

    response = client.post(url("sign", project, 1), {"decision": "rejected", "password": PASSWORD})

    assert response.status_code == 422
    assert "Say why you reject." in response.content.decode()
    assert Signature.objects.count() == 0


def test_full_journey_through_the_pages(
    client, project, pm, cycle, key_user, executive, django_capture_on_commit_callbacks
):
    client.force_login(pm)
    created = client.post(
        url("create", project),
        {
            "kind": SignoffKind.UAT,
            "cycle": str(cycle.pk),
            "signing_order": SigningOrder.PARALLEL,
            **formset_data((key_user, "Business owner", ""), (executive, "Sponsor", "")),
        },
    )
    assert created.status_code == 302
    assert client.post(url("request", project, 1), {}).status_code == 302

    client.force_login(key_user)
    first = client.post(
        url("sign", project, 1),
        {"decision": "approved", "comment": "Fine.", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.10",
    )
    assert first.status_code == 302
    assert SignOff.objects.get().status == SignoffStatus.REQUESTED

    client.force_login(executive)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(
            url("sign", project, 1),
            {"decision": "approved", "password": PASSWORD},
            REMOTE_ADDR="192.0.2.11",
        )

    signoff = SignOff.objects.get()
    assert second.status_code == 302
    assert signoff.status == SignoffStatus.SIGNED
    assert [(s.user, s.ip_address) for s in signoff.signatures.order_by("pk")] == [
        (key_user, "192.0.2.10"),
        (executive, "192.0.2.11"),
    ]
    assert signoff.pdf.status == PdfStatus.READY
    page = client.get(url("detail", project, 1)).content.decode()
    assert "Nothing in scope changed since it was signed." in page
    assert signoff.pdf.sha256 in page
    assert signoff.record_hash in page
    assert client.get(url("pdf", project, 1)).status_code == 200


def test_signing_with_htmx_redirects_the_page(client, project, key_user, pending):
    client.force_login(key_user)

    response = client.post(
        url("sign", project, 1), {"decision": "approved", "password": PASSWORD}, headers=HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == url("detail", project, 1)
    assert Signature.objects.count() == 1


# --- Stale requests, rounds, cancelling ---------------------------------------------------


def test_defect_in_the_cycle_makes_the_request_stale_and_a_new_round_starts_from_it(
    client, project, pm, pilot_user, key_user, cycle, pending
):
    make_defect(project, pilot_user, cycle=cycle)
    client.force_login(key_user)
    as_signatory = client.get(url("detail", project, 1)).content.decode()
    client.force_login(pm)
    as_pm = client.get(url("detail", project, 1)).content.decode()

    assert "Scope changed since the request" in as_signatory
    assert "DEF-1" in as_signatory
    assert SIGN_FORM not in as_signatory
    assert "Cancel and start a new round" in as_pm

    response = client.post(url("new-round", project, 1))

    old, new = SignOff.objects.order_by("number")
    assert response.status_code == 302
    assert response["Location"] == url("detail", project, 2)
    assert old.status == SignoffStatus.CANCELLED
    assert (new.status, new.round, new.previous_round) == (SignoffStatus.DRAFT, 2, old)


def test_cancelling_a_request_needs_a_reason(client, project, pm, pending):
    client.force_login(pm)

    refused = client.post(url("cancel", project, 1), {"reason": ""})
    pending.refresh_from_db()
    assert refused.status_code == 422
    assert "Say why the request is withdrawn." in refused.content.decode()
    assert pending.status == SignoffStatus.REQUESTED

    done = client.post(url("cancel", project, 1), {"reason": "Wrong signatories"})
    pending.refresh_from_db()
    assert done.status_code == 302
    assert pending.status == SignoffStatus.CANCELLED
    assert "Start a new round" in client.get(url("detail", project, 1)).content.decode()


def test_cancel_with_htmx_error_gets_the_fragment(client, project, pm, pending):
    client.force_login(pm)

    response = client.post(url("cancel", project, 1), {"reason": ""}, headers=HTMX)

    assert response.status_code == 422
    assert "<html" not in response.content.decode()
    assert 'id="cancel"' in response.content.decode()


def test_rejected_sign_off_offers_a_new_round(client, project, pm, key_user, pending):
    sign(key_user, pending, decision="rejected", comment="Totals are wrong.")
    client.force_login(pm)

    content = client.get(url("detail", project, 1)).content.decode()
    response = client.post(url("new-round", project, 1))

    assert "Totals are wrong." in content
    assert 'data-action="new-round"' in content
    assert response.status_code == 302
    assert SignOff.objects.get(number=2).round == 2


def test_signed_sign_off_lists_what_changed_since(client, project, pilot_user, executive, signed):
    client.force_login(executive)
    before = client.get(url("detail", project, 1)).content.decode()
    make_defect(project, pilot_user, cycle=signed.cycle)

    after = client.get(url("detail", project, 1)).content.decode()

    assert "Nothing in scope changed since it was signed." in before
    assert "Changed since sign-off" in after
    assert "DEF-1 Defect 1 added" in after


def test_detail_shows_the_frozen_snapshot_and_the_signatures(client, project, viewer, signed):
    client.force_login(viewer)

    content = client.get(url("detail", project, 1)).content.decode()

    assert "What was signed: the frozen snapshot" in content
    assert "100%" in content  # pass rate
    assert signed.snapshot_hash in content
    assert signed.record_hash in content
    assert "10.0.0.7" in content  # the builders' IP
    assert "Accepted as business owner" in content


# --- The PDF ------------------------------------------------------------------------------


def test_pdf_panel_polls_while_building(client, project, executive, signed):
    client.force_login(executive)

    page = client.get(url("detail", project, 1)).content.decode()
    fragment = client.get(url("pdf-status", project, 1), headers=HTMX)

    assert "Building the PDF…" in page
    assert 'hx-trigger="every 2s"' in page
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'hx-trigger="every 2s"' in fragment.content.decode()


def test_pdf_status_stops_polling_when_ready(client, project, executive, signed):
    pdf = make_ready(signed)
    client.force_login(executive)

    fragment = client.get(url("pdf-status", project, 1), headers=HTMX).content.decode()

    assert "hx-trigger" not in fragment
    assert pdf.sha256 in fragment
    assert url("pdf", project, 1) in fragment


def test_pdf_status_without_htmx_goes_to_the_page(client, project, executive, signed):
    client.force_login(executive)

    response = client.get(url("pdf-status", project, 1))

    assert response.status_code == 302
    assert response["Location"] == url("detail", project, 1) + "#pdf"


def test_failed_pdf_shows_the_error_and_retries(client, project, executive, signed):
    SignoffPdf.objects.filter(signoff=signed).update(
        status=PdfStatus.FAILED, error="The PDF could not be built (OSError). Try again."
    )
    client.force_login(executive)

    page = client.get(url("detail", project, 1)).content.decode()
    fragment = client.post(url("pdf-retry", project, 1), headers=HTMX)

    assert "The PDF could not be built (OSError). Try again." in page
    assert 'data-action="pdf-retry"' in page
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert SignoffPdf.objects.get(signoff=signed).status == PdfStatus.PENDING


def test_executive_downloads_the_pdf(client, project, executive, signed):
    make_ready(signed)
    client.force_login(executive)

    response = client.get(url("pdf", project, 1))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="HNR-ERP-SO-1.pdf"'
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_pdf_not_ready_is_404(client, project, executive, signed):
    client.force_login(executive)

    assert client.get(url("pdf", project, 1)).status_code == 404


def test_project_page_shows_the_sign_offs_with_the_download(client, project, executive, signed):
    make_ready(signed)
    client.force_login(executive)

    content = client.get(reverse("projects:detail", args=[project.code])).content.decode()

    assert 'id="signoffs-panel"' in content
    assert url("detail", project, 1) in content
    assert url("pdf", project, 1) in content
    assert url("list", project) in content  # and the nav tab


# --- Verify -------------------------------------------------------------------------------


def test_verify_a_pasted_snapshot_hash(client, project, viewer, signed):
    client.force_login(viewer)

    response = client.post(url("verify", project), {"hash": signed.snapshot_hash.upper()})

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-match="yes"' in content
    assert "its frozen snapshot" in content
    assert url("detail", project, 1) in content
    assert "Chain intact" in content


def test_verify_an_uploaded_pdf_and_a_modified_one(client, project, viewer, signed):
    make_ready(signed)
    client.force_login(viewer)

    same = client.post(
        url("verify", project), {"file": SimpleUploadedFile("so.pdf", PDF_BYTES)}
    ).content.decode()
    changed = client.post(
        url("verify", project), {"file": SimpleUploadedFile("so.pdf", PDF_BYTES + b" ")}
    ).content.decode()

    assert 'data-match="yes"' in same
    assert "the PDF file issued for it" in same
    assert 'data-match="no"' in changed
    assert "No sign-off of this project matches" in changed


def test_verify_an_unknown_hash(client, project, viewer, signed):
    client.force_login(viewer)

    response = client.post(url("verify", project), {"hash": "a" * 64})

    assert response.status_code == 200
    assert "No sign-off of this project matches" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hash": "abc"}, "Paste a SHA-256 hash: 64 characters, 0-9 and a-f."),
        ({"hash": "g" * 64}, "Paste a SHA-256 hash: 64 characters, 0-9 and a-f."),
        ({}, "Paste a hash or upload a PDF."),
        ({"file": SimpleUploadedFile("notes.txt", b"hello")}, "This file is not a PDF."),
        ({"hash": "a" * 64, "file": SimpleUploadedFile("a.pdf", PDF_BYTES)}, "not both"),
    ],
)
def test_verify_bad_input_answers_422(client, project, viewer, data, message):
    client.force_login(viewer)

    response = client.post(url("verify", project), data)

    assert response.status_code == 422
    assert message in response.content.decode()


def test_verify_refuses_a_large_upload(client, project, viewer, monkeypatch):
    monkeypatch.setattr(signoff_forms, "MAX_VERIFY_UPLOAD", 100)
    client.force_login(viewer)

    response = client.post(
        url("verify", project), {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 200)}
    )

    assert response.status_code == 422
    assert "is larger than" in response.content.decode()


def test_verify_with_htmx_gets_the_fragment(client, project, viewer, signed):
    client.force_login(viewer)

    response = client.post(url("verify", project), {"hash": signed.record_hash}, headers=HTMX)

    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="verify">')
    assert "its sealed record in the chain" in content


# --- List ---------------------------------------------------------------------------------


def test_list_shows_status_signatures_chain_and_pdf(
    client, project, pm, cycle, key_user, executive, signed
):
    make_ready(signed)
    requested(project, pm, cycle, (key_user, "Business owner"))
    client.force_login(executive)

    content = client.get(url("list", project)).content.decode()

    assert "SO-1" in content
    assert "SO-2" in content
    assert "Awaiting:" in content
    assert "Chain intact" in content
    assert "The project's chain holds 1 sealed record" in content
    assert url("pdf", project, 1) in content


def test_list_with_htmx_gets_the_results_fragment(client, project, pm, two):
    client.force_login(pm)

    response = client.get(url("list", project), headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="signoff-results">')
    assert "HX-Request" in response["Vary"]


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_is_the_same_for_2_and_20_sign_offs(
    client, project, pm, key_user, executive, signed, cycle, django_assert_num_queries
):
    make_ready(signed)
    requested(project, pm, cycle, (key_user, "Business owner"))
    client.force_login(pm)
    client.get(url("list", project))  # warm process-wide caches
    with_2 = _count(client, url("list", project))

    for number in range(18):
        signoff = requested(project, pm, cycle, (key_user, "Owner"), (executive, "Sponsor"))
        if number % 3 == 0:
            sign(key_user, signoff)
        elif number % 3 == 1:
            sign(key_user, signoff, decision="rejected", comment="No.")
    assert SignOff.objects.count() == 20

    with django_assert_num_queries(with_2):
        client.get(url("list", project))


# --- More edges ---------------------------------------------------------------------------


def test_go_live_readiness_is_prepared_and_shows_its_checklist(
    client, project, pm, executive, signed
):
    phase = PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5)
    ChecklistItemFactory(phase=phase, title="Cut-over rehearsal", is_mandatory=True)
    client.force_login(pm)

    created = client.post(
        url("create", project),
        {"kind": SignoffKind.GO_LIVE, "signing_order": "parallel"}
        | formset_data((executive, "Sponsor", "")),
    )
    draft_page = client.get(url("detail", project, 2)).content.decode()
    requested_ = client.post(url("request", project, 2), {"override_reason": "Rehearsal Friday."})
    page = client.get(url("detail", project, 2)).content.decode()

    assert created.status_code == 302
    assert SignOff.objects.get(number=2).phase == phase
    # The draft previews the go/no-go criteria; the frozen snapshot explains the red ones.
    assert "Cutover plan complete and rehearsed" in draft_page
    assert requested_.status_code == 302
    assert SignOff.objects.get(number=2).override_reason == "Rehearsal Friday."
    assert "Cut-over rehearsal" in page
    assert "SO-1 · UAT sign-off: UAT round 1 · Signed" in page
    assert "The cutover has not been rehearsed." in page


def test_signing_a_request_whose_scope_just_changed_answers_422(
    client, project, pilot_user, key_user, cycle, pending
):
    client.force_login(key_user)
    make_defect(project, pilot_user, cycle=cycle)  # nobody opened the page since

    response = client.post(url("sign", project, 1), {"decision": "approved", "password": PASSWORD})

    content = response.content.decode()
    assert response.status_code == 422
    assert "Something in scope changed since the request" in content
    assert 'id="stale"' in content
    assert Signature.objects.count() == 0


def test_new_round_of_a_fresh_request_answers_422(client, project, pm, pending):
    client.force_login(pm)

    response = client.post(url("new-round", project, 1))

    assert response.status_code == 422
    assert "A new round starts from a rejected, cancelled or stale sign-off." in (
        response.content.decode()
    )
    assert SignOff.objects.count() == 1


def test_a_missing_sign_off_is_404(client, project, pm):
    client.force_login(pm)

    assert client.get(url("detail", project, 99)).status_code == 404
