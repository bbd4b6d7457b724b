"""Sign-off services: the transition table, requesting, signing, staleness, sealed records and
the go-live readiness kind."""

import datetime
import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from implementation.choices import Environment, PhaseKind
from implementation.services.configuration import configuration_change_record
from projects.choices import PdfStatus, Role
from projects.errors import ApplicationError
from projects.models import Membership
from tests.factories import ChecklistItemFactory, PhaseFactory
from tests.uat.signoff_builders import draft, passing_cycle, requested, sign
from tests.uat.test_cycles_factories import (
    add_to_scope,
    make_cycle,
    make_defect,
    make_scenario,
    make_scope,
    run,
)
from uat import snapshots
from uat.choices import (
    SIGNOFF_TRANSITIONS,
    ExecutionResult,
    Severity,
    SigningOrder,
    SignoffKind,
    SignoffStatus,
)
from uat.models import SealedRecordError, Signatory, Signature, SignOff, SignoffPdf
from uat.services import signoffs as services

PDF = b"%PDF-1.4 test"
APPLIED = datetime.datetime(2026, 6, 5, 10, 0, tzinfo=datetime.UTC)  # after the cycle started
STALE = "Something in scope changed since the request, so it must be requested again."


@pytest.fixture(autouse=True)
def _pdf_renderer(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: PDF)


def _state(signoff):
    """Everything a refused action must leave as it was."""
    row = SignOff.objects.get(pk=signoff.pk)
    return (
        row.status,
        row.snapshot_hash,
        row.stale_at,
        row.record_hash,
        row.override_criteria,
        Signature.objects.filter(signoff=row).count(),
        SignoffPdf.objects.filter(signoff=row).count(),
    )


def _config_change(project, pm, area, applied_at=APPLIED):
    return configuration_change_record(
        actor=pm,
        project=project,
        area=area,
        setting="Maximum discount without approval",
        old_value="5%",
        new_value="10%",
        reason="Agreed with the sales director.",
        requested_by=pm,
        environment=Environment.TEST,
        applied_at=applied_at,
    )


# --- The transition table ------------------------------------------------------------------

TARGETS = [
    SignoffStatus.REQUESTED,
    SignoffStatus.SIGNED,
    SignoffStatus.REJECTED,
    SignoffStatus.CANCELLED,
]
# What a reached move leaves for after the commit: e-mails, and the PDF of a signed one.
AFTER_COMMIT = {
    SignoffStatus.REQUESTED: 1,
    SignoffStatus.SIGNED: 2,
    SignoffStatus.REJECTED: 1,
    SignoffStatus.CANCELLED: 0,
}


def _in_status(status, project, pm, key_user, cycle):
    if status == SignoffStatus.DRAFT:
        return draft(project, pm, cycle, (key_user, "Business owner"))
    signoff = requested(project, pm, cycle, (key_user, "Business owner"))
    if status == SignoffStatus.SIGNED:
        sign(key_user, signoff)
    elif status == SignoffStatus.REJECTED:
        sign(key_user, signoff, "rejected", comment="Totals are wrong.")
    elif status == SignoffStatus.CANCELLED:
        services.signoff_cancel(actor=pm, signoff=signoff, reason="Wrong cycle.")
    return SignOff.objects.get(pk=signoff.pk)


def _move(target, signoff, pm, key_user):
    if target == SignoffStatus.REQUESTED:
        services.signoff_request(actor=pm, signoff=signoff)
    elif target == SignoffStatus.SIGNED:
        sign(key_user, signoff)
    elif target == SignoffStatus.REJECTED:
        sign(key_user, signoff, "rejected", comment="Totals are wrong.")
    else:
        services.signoff_cancel(actor=pm, signoff=signoff, reason="Withdrawn.")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source", SignoffStatus.values)
def test_each_move_of_the_transition_table_is_reached_or_refused(
    source, target, project, pm, key_user, pilot_user, django_capture_on_commit_callbacks
):
    # given a sign-off in `source`
    cycle = passing_cycle(project, pilot_user)
    signoff = _in_status(source, project, pm, key_user, cycle)
    assert signoff.status == source
    before = _state(signoff)
    allowed = target in SIGNOFF_TRANSITIONS[source]
    # when the service for `target` is called
    with django_capture_on_commit_callbacks() as callbacks:
        if allowed:
            _move(target, signoff, pm, key_user)
        else:
            with pytest.raises(ApplicationError):
                _move(target, signoff, pm, key_user)
    # then the move happened exactly when the table allows it
    if allowed:
        assert SignOff.objects.get(pk=signoff.pk).status == target
        assert len(callbacks) == AFTER_COMMIT[target]
    else:
        assert _state(signoff) == before
        assert callbacks == []


def test_final_states_allow_no_move_and_nothing_moves_back_to_draft():
    assert {
        status: SIGNOFF_TRANSITIONS[status]
        for status in (SignoffStatus.SIGNED, SignoffStatus.REJECTED, SignoffStatus.CANCELLED)
    } == {
        SignoffStatus.SIGNED: frozenset(),
        SignoffStatus.REJECTED: frozenset(),
        SignoffStatus.CANCELLED: frozenset(),
    }
    assert not any(SignoffStatus.DRAFT in targets for targets in SIGNOFF_TRANSITIONS.values())


def test_cancelling_a_request_needs_a_reason(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with pytest.raises(ValidationError) as error:
        services.signoff_cancel(actor=pm, signoff=signoff, reason="  ")
    assert error.value.message_dict == {"reason": ["Say why the request is withdrawn."]}
    assert _state(signoff) == before


# --- Requesting ----------------------------------------------------------------------------


def _failing_cycle(project, pilot_user):
    """One scenario passed, one failed, one not run: all_executed and pass_rate fail."""
    cycle = make_cycle(project)
    first, second, _third = make_scope(cycle, 3, pilot_user)
    run(first, pilot_user, ExecutionResult.PASSED)
    run(second, pilot_user, ExecutionResult.FAILED)
    return cycle


def test_request_is_refused_while_exit_criteria_fail_and_names_them(
    project, pm, key_user, pilot_user, django_capture_on_commit_callbacks
):
    signoff = draft(project, pm, _failing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError) as error,
    ):
        services.signoff_request(actor=pm, signoff=signoff)
    assert error.value.message == (
        "Exit criteria not met: Every scenario in scope executed; Pass rate at or above the "
        "minimum (%). Fix them, or override with a reason."
    )
    assert _state(signoff) == before
    assert SignOff.objects.get(pk=signoff.pk).snapshot_json == ""
    assert callbacks == []


def test_project_manager_overrides_failing_criteria_with_a_reason(
    project, pm, key_user, pilot_user
):
    signoff = draft(project, pm, _failing_cycle(project, pilot_user), (key_user, "Owner"))
    services.signoff_request(
        actor=pm, signoff=signoff, override_reason="  Remaining run is a report only.  "
    )
    signoff.refresh_from_db()
    assert signoff.status == SignoffStatus.REQUESTED
    assert signoff.override_criteria == ["all_executed", "pass_rate"]
    assert signoff.override_reason == "Remaining run is a report only."
    assert signoff.requested_by == pm
    content = services.frozen_content(signoff)
    assert [(c["key"], c["met"]) for c in content["exit_criteria"]] == [
        ("all_executed", False),
        ("pass_rate", False),
        ("open_critical", True),
        ("open_high", True),
    ]
    assert snapshots.sha256_text(signoff.snapshot_json) == signoff.snapshot_hash


def test_consultant_cannot_override_failing_criteria(
    project, consultant, key_user, pilot_user, django_capture_on_commit_callbacks
):
    signoff = draft(project, consultant, _failing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PermissionDenied):
        services.signoff_request(
            actor=consultant, signoff=signoff, override_reason="We are in a hurry."
        )
    assert _state(signoff) == before
    assert callbacks == []


def test_consultant_requests_when_every_criterion_is_met(project, consultant, key_user, pilot_user):
    signoff = draft(project, consultant, passing_cycle(project, pilot_user), (key_user, "Owner"))
    services.signoff_request(actor=consultant, signoff=signoff)
    signoff.refresh_from_db()
    assert signoff.status == SignoffStatus.REQUESTED
    assert signoff.override_criteria == []
    assert signoff.override_reason == ""


def test_override_reason_is_refused_when_nothing_fails(project, pm, key_user, pilot_user):
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with pytest.raises(ValidationError) as error:
        services.signoff_request(actor=pm, signoff=signoff, override_reason="Just in case.")
    assert error.value.message_dict == {
        "override_reason": ["Every exit criterion is met: there is nothing to override."]
    }
    assert _state(signoff) == before


def test_members_without_the_capability_cannot_prepare_or_request(
    project, pm, key_user, pilot_user
):
    cycle = passing_cycle(project, pilot_user)
    with pytest.raises(PermissionDenied):
        draft(project, key_user, cycle, (key_user, "Owner"))
    signoff = draft(project, pm, cycle, (key_user, "Owner"))
    with pytest.raises(PermissionDenied):
        services.signoff_request(actor=key_user, signoff=signoff)
    assert SignOff.objects.get(pk=signoff.pk).status == SignoffStatus.DRAFT
    assert SignOff.objects.count() == 1


def test_a_sign_off_without_signatories_is_refused(project, pm, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    with pytest.raises(ValidationError) as error:
        draft(project, pm, cycle)
    assert error.value.message_dict == {"signatories": ["Name at least one signatory."]}
    assert SignOff.objects.count() == 0
    # A row made outside the services, without signatories, is not requested either.
    bare = SignOff.objects.create(
        project=project, number=1, kind=SignoffKind.UAT, cycle=cycle, title="Bare", created_by=pm
    )
    bare.project = project
    with pytest.raises(ApplicationError) as refused:
        services.signoff_request(actor=pm, signoff=bare)
    assert refused.value.message == "Name at least one signatory before requesting."
    assert SignOff.objects.get(pk=bare.pk).status == SignoffStatus.DRAFT


def test_signatories_are_team_members_whose_role_signs_each_named_once(
    project, pm, key_user, viewer, outsider, pilot_user
):
    cycle = passing_cycle(project, pilot_user)
    with pytest.raises(ValidationError) as error:
        draft(
            project,
            pm,
            cycle,
            (viewer, "Reader"),
            (outsider, "Auditor"),
            (key_user, "Owner"),
            (key_user, "Owner again"),
        )
    assert error.value.message_dict == {
        "signatories": [
            f"{viewer.display_name}'s role on this project cannot sign.",
            f"{outsider.display_name} is not on this project's team.",
            f"{key_user.display_name} is named twice.",
        ]
    }
    assert SignOff.objects.count() == 0
    assert Signatory.objects.count() == 0


def test_a_signatory_who_can_no_longer_sign_blocks_the_request(project, pm, key_user, pilot_user):
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    Membership.objects.filter(project=project, user=key_user).update(role=Role.VIEWER)
    before = _state(signoff)
    with pytest.raises(ValidationError) as error:
        services.signoff_request(actor=pm, signoff=signoff)
    assert error.value.message_dict == {
        "signatories": [f"{key_user.display_name}'s role on this project cannot sign."]
    }
    assert _state(signoff) == before


def test_signatories_get_a_default_meaning_from_their_role(project, pm, key_user, pilot_user):
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, " IT lead "))
    assert list(signoff.signatories.values_list("position", "role_title", "meaning")) == [
        (1, "IT lead", "Accepted as it lead")
    ]
    assert signoff.title == "UAT sign-off: UAT round 1"
    assert signoff.number == 1
    assert signoff.round == 1


# --- Signing -------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_signing_needs_the_signatorys_own_password(
    password, project, pm, key_user, pilot_user, django_capture_on_commit_callbacks
):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as error:
        sign(key_user, signoff, password=password)
    assert error.value.message_dict == {"password": ["That is not your password."]}
    assert _state(signoff) == before
    assert Signature.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize("who", ["pm", "superuser", "executive"])
def test_only_named_signatories_sign(
    who, request, project, pm, key_user, pilot_user, django_capture_on_commit_callbacks
):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PermissionDenied):
        sign(request.getfixturevalue(who), signoff)
    assert _state(signoff) == before
    assert callbacks == []


def test_an_outsider_cannot_sign(project, pm, key_user, pilot_user, outsider):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    with pytest.raises(PermissionDenied):
        sign(outsider, signoff)
    assert Signature.objects.count() == 0


def test_nobody_signs_twice(
    project, pm, key_user, executive, pilot_user, django_capture_on_commit_callbacks
):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    sign(key_user, signoff)
    before = _state(signoff)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError) as error,
    ):
        sign(key_user, signoff, "rejected", comment="Changed my mind.")
    assert error.value.message == "You have already signed this sign-off."
    assert _state(signoff) == before
    assert callbacks == []


def test_in_order_the_second_signatory_waits_for_the_first(
    project, pm, key_user, executive, pilot_user, django_capture_on_commit_callbacks
):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )
    assert [s.user for s in services.awaiting(signoff)] == [key_user]
    before = _state(signoff)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError) as error,
    ):
        sign(executive, signoff)
    assert error.value.message == "The signatories sign in order, and it is not your turn yet."
    assert _state(signoff) == before
    assert callbacks == []
    # once the first has signed, it is the second's turn
    sign(key_user, signoff)
    assert [s.user for s in services.awaiting(signoff)] == [executive]
    sign(executive, signoff)
    assert SignOff.objects.get(pk=signoff.pk).status == SignoffStatus.SIGNED


def test_a_rejection_needs_a_comment(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with pytest.raises(ValidationError) as error:
        sign(key_user, signoff, "rejected", comment="   ")
    assert error.value.message_dict == {"comment": ["Say why you reject."]}
    assert _state(signoff) == before


def test_a_rejection_ends_the_round_and_seals_it(project, pm, key_user, executive, pilot_user):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    sign(key_user, signoff, "rejected", comment="VAT totals are wrong on invoices.")
    signoff.refresh_from_db()
    assert signoff.status == SignoffStatus.REJECTED
    assert signoff.is_sealed
    assert signoff.sequence == 1
    assert signoff.concluded_at is not None
    assert SignoffPdf.objects.count() == 0
    with pytest.raises(ApplicationError) as error:
        sign(executive, signoff)
    assert error.value.message == "This sign-off is rejected; there is nothing to sign."
    assert Signature.objects.filter(signoff=signoff).count() == 1


def test_all_approvals_sign_seal_and_build_the_pdf(
    project, pm, key_user, executive, pilot_user, django_capture_on_commit_callbacks
):
    signoff = requested(
        project,
        pm,
        passing_cycle(project, pilot_user),
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
    )
    sign(key_user, signoff)
    assert SignOff.objects.get(pk=signoff.pk).status == SignoffStatus.REQUESTED
    with django_capture_on_commit_callbacks(execute=True):
        sign(executive, signoff)
    signoff.refresh_from_db()
    assert signoff.status == SignoffStatus.SIGNED
    assert signoff.is_sealed
    assert (signoff.sequence, signoff.previous_hash) == (1, "")
    assert signoff.record_hash == services.record_hash(signoff)
    pdf = SignoffPdf.objects.get(signoff=signoff)
    assert pdf.status == PdfStatus.READY
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf.size == len(PDF)
    assert pdf.attempts == 1


def test_a_signature_keeps_who_signed_what_and_its_own_hash(project, pm, key_user, pilot_user):
    signoff = requested(
        project, pm, passing_cycle(project, pilot_user), (key_user, "Business owner (Finance)")
    )
    sign(key_user, signoff, comment=" Checked the invoices. ", ip="192.0.2.10")
    signature = Signature.objects.get()
    assert signature.signoff_id == signoff.pk
    assert signature.user == key_user
    assert signature.printed_name == key_user.display_name
    assert signature.role_title == "Business owner (Finance)"
    assert signature.meaning == "Accepted as business owner (finance)"
    assert signature.decision == "approved"
    assert signature.comment == "Checked the invoices."
    assert signature.ip_address == "192.0.2.10"
    assert signature.snapshot_hash == signoff.snapshot_hash
    payload = {
        "project": "HNR-ERP",
        "signoff": 1,
        "position": 1,
        "user": key_user.username,
        "printed_name": key_user.display_name,
        "role_title": "Business owner (Finance)",
        "meaning": "Accepted as business owner (finance)",
        "decision": "approved",
        "comment": "Checked the invoices.",
        "signed_at": signature.signed_at,
        "ip_address": "192.0.2.10",
        "snapshot_hash": signoff.snapshot_hash,
    }
    assert (
        signature.signature_hash
        == hashlib.sha256(snapshots.canonical_json(payload).encode()).hexdigest()
    )


def test_an_ipv6_address_is_stored_and_hashed_the_same_way(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    sign(key_user, signoff, ip="2001:DB8:0:0::1")
    signature = Signature.objects.select_related("signoff__project", "signatory", "user").get()
    assert signature.ip_address == "2001:db8::1"
    assert signature.signature_hash == services.signature_hash(signature)
    assert services.chain_verify(project).problems == []


def test_a_malformed_ip_address_is_recorded_as_unknown(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))

    sign(key_user, signoff, ip="10.0.0.7, 10.0.0.8")

    signature = Signature.objects.select_related("signoff__project", "signatory", "user").get()
    assert signature.ip_address is None
    assert signature.signature_hash == services.signature_hash(signature)


# --- Staleness -----------------------------------------------------------------------------


def _sales_cycle(project, pilot_user):
    """A passing cycle whose one scenario is in the "Sales - Pricing" module."""
    cycle = make_cycle(project)
    entry = add_to_scope(
        cycle, make_scenario(project, code="UAT-SAL-02", module="Sales - Pricing"), pilot_user
    )
    run(entry, pilot_user, ExecutionResult.PASSED)
    return cycle, entry


def _new_defect(project, pm, pilot_user, cycle, entry):
    make_defect(project, pilot_user, cycle=cycle)


def _new_run(project, pm, pilot_user, cycle, entry):
    run(entry, pilot_user, ExecutionResult.PASSED)


def _config_in_family(project, pm, pilot_user, cycle, entry):
    _config_change(project, pm, "Sales - Discounts")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            _new_defect,
            "Defect: DEF-1 Defect 1 added\nOpen defects: medium changed from 0 to 1",
        ),
        (
            _new_run,
            "Scenario: UAT-SAL-02 Scenario UAT-SAL-02 run again (result=passed)",
        ),
        (
            _config_in_family,
            "Configuration change: CFG-1 Sales - Discounts: Maximum discount without approval "
            "added",
        ),
    ],
    ids=["new defect", "new run", "configuration change"],
)
def test_a_change_in_scope_makes_the_pending_request_stale(
    change, reason, project, pm, key_user, pilot_user, django_capture_on_commit_callbacks
):
    # given a pending request
    cycle, entry = _sales_cycle(project, pilot_user)
    signoff = requested(project, pm, cycle, (key_user, "Owner"))
    # when something in scope changes, then signing is refused
    change(project, pm, pilot_user, cycle, entry)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ApplicationError) as error,
    ):
        sign(key_user, signoff)
    assert error.value.message == STALE
    assert callbacks == []
    stored = SignOff.objects.get(pk=signoff.pk)
    assert stored.status == SignoffStatus.REQUESTED
    assert stored.stale_at is not None
    assert stored.stale_reason == reason
    assert Signature.objects.count() == 0
    # and the stale mark is kept, as it was, by a second attempt
    with pytest.raises(ApplicationError):
        sign(key_user, signoff)
    again = SignOff.objects.get(pk=signoff.pk)
    assert (again.stale_at, again.stale_reason) == (stored.stale_at, reason)
    assert not services.may_sign(key_user, again)


@pytest.mark.parametrize(
    ("area", "applied_at"),
    [
        ("HR - Payroll", APPLIED),
        ("Sales - Discounts", datetime.datetime(2026, 5, 20, 10, tzinfo=datetime.UTC)),
    ],
    ids=["unrelated module", "before the cycle started"],
)
def test_a_configuration_change_out_of_scope_keeps_the_request_fresh(
    area, applied_at, project, pm, key_user, pilot_user
):
    cycle, _entry = _sales_cycle(project, pilot_user)
    signoff = requested(project, pm, cycle, (key_user, "Owner"))
    _config_change(project, pm, area, applied_at=applied_at)
    assert services.signoff_freshness(signoff).is_fresh
    sign(key_user, signoff)
    stored = SignOff.objects.get(pk=signoff.pk)
    assert stored.status == SignoffStatus.SIGNED
    assert stored.stale_at is None


def test_signing_checks_the_stored_request_not_the_callers_copy(project, pm, key_user, pilot_user):
    # given the draft instance a page held before requesting it
    cycle, _entry = _sales_cycle(project, pilot_user)
    held = draft(project, pm, cycle, (key_user, "Owner"))
    services.signoff_request(actor=pm, signoff=held)
    assert held.status == SignoffStatus.DRAFT
    make_defect(project, pilot_user, cycle=cycle)
    # when signing through that old copy, the change is still found
    with pytest.raises(ApplicationError) as error:
        sign(key_user, held)
    assert error.value.message == STALE
    assert SignOff.objects.get(pk=held.pk).stale_at is not None
    assert Signature.objects.count() == 0


def test_a_new_round_cancels_the_stale_request_and_names_the_same_signatories(
    project, pm, key_user, executive, pilot_user
):
    cycle, _entry = _sales_cycle(project, pilot_user)
    first = requested(
        project,
        pm,
        cycle,
        (key_user, "Business owner"),
        (executive, "Executive sponsor"),
        order=SigningOrder.SEQUENTIAL,
    )
    make_defect(project, pilot_user, cycle=cycle)
    services.signoff_mark_stale_if_changed(first)
    second = services.signoff_new_round(actor=pm, signoff=first)
    first.refresh_from_db()
    assert first.status == SignoffStatus.CANCELLED
    assert first.cancelled_by == pm
    assert first.cancel_reason == (
        "Scope changed since the request:\n"
        "Defect: DEF-1 Defect 1 added\nOpen defects: medium changed from 0 to 1"
    )
    assert first.is_sealed
    assert (second.round, second.status, second.previous_round) == (2, "draft", first)
    assert second.number == 2
    assert second.title == "UAT sign-off: UAT round 1 (round 2)"
    assert second.signing_order == SigningOrder.SEQUENTIAL
    assert list(second.signatories.values_list("position", "user", "role_title", "meaning")) == [
        (1, key_user.pk, "Business owner", "Accepted as business owner"),
        (2, executive.pk, "Executive sponsor", "Accepted as executive sponsor"),
    ]
    # the new round freezes a new snapshot, with the defect in it
    services.signoff_request(actor=pm, signoff=second)
    second.refresh_from_db()
    assert second.snapshot_hash != first.snapshot_hash
    assert [d["number"] for d in services.frozen_content(second)["defects"]] == [1]
    with pytest.raises(ApplicationError) as error:
        services.signoff_new_round(actor=pm, signoff=first)
    assert error.value.message == "The next round of this sign-off has already started."


def test_a_new_round_notices_a_change_nobody_has_seen_yet(project, pm, key_user, pilot_user):
    cycle, _entry = _sales_cycle(project, pilot_user)
    first = requested(project, pm, cycle, (key_user, "Owner"))
    make_defect(project, pilot_user, cycle=cycle)
    second = services.signoff_new_round(actor=pm, signoff=first)
    assert SignOff.objects.get(pk=first.pk).status == SignoffStatus.CANCELLED
    assert second.round == 2


def test_a_fresh_request_cannot_start_a_new_round(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    before = _state(signoff)
    with pytest.raises(ApplicationError) as error:
        services.signoff_new_round(actor=pm, signoff=signoff)
    assert error.value.message == "A new round starts from a rejected, cancelled or stale sign-off."
    assert _state(signoff) == before
    assert SignOff.objects.count() == 1


def test_after_signing_changes_are_listed_and_what_was_signed_stays(
    project, pm, key_user, pilot_user
):
    cycle, _entry = _sales_cycle(project, pilot_user)
    signoff = requested(project, pm, cycle, (key_user, "Owner"))
    sign(key_user, signoff)
    signed = SignOff.objects.get(pk=signoff.pk)
    frozen = (signed.snapshot_json, signed.snapshot_hash, signed.record_hash)
    # when scope changes after signing
    make_defect(project, pilot_user, cycle=cycle, severity=Severity.HIGH)
    _config_change(project, pm, "Sales - Discounts")
    # then the changes are listed in words
    freshness = services.signoff_freshness(signed)
    assert [str(change.text) for change in freshness.changes] == [
        "Configuration change: CFG-1 Sales - Discounts: Maximum discount without approval added",
        "Defect: DEF-1 Defect 1 added",
        "Exit criterion: Open high defects at most changed from actual=0, met=True "
        "to actual=1, met=False",
        "Open defects: high changed from 0 to 1",
    ]
    # and nothing signed was altered, nor marked stale
    services.signoff_mark_stale_if_changed(signed)
    after = SignOff.objects.get(pk=signoff.pk)
    assert (after.snapshot_json, after.snapshot_hash, after.record_hash) == frozen
    assert after.stale_at is None
    assert after.status == SignoffStatus.SIGNED
    assert services.chain_verify(project).problems == []


# --- Sealed records ------------------------------------------------------------------------


def _signed(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    sign(key_user, signoff, comment="Fine.")
    return SignOff.objects.get(pk=signoff.pk)


def test_a_sealed_sign_off_refuses_save_and_delete(project, pm, key_user, pilot_user):
    signoff = _signed(project, pm, key_user, pilot_user)
    signoff.title = "Something else"
    with pytest.raises(SealedRecordError):
        signoff.save()
    with pytest.raises(SealedRecordError):
        signoff.delete()
    stored = SignOff.objects.get(pk=signoff.pk)
    assert stored.title == "UAT sign-off: UAT round 1"
    assert stored.record_hash == services.record_hash(stored)


def test_sign_off_and_signature_querysets_refuse_update_and_delete(
    project, pm, key_user, pilot_user
):
    signoff = _signed(project, pm, key_user, pilot_user)
    with pytest.raises(SealedRecordError):
        SignOff.objects.filter(pk=signoff.pk).update(title="Something else")
    with pytest.raises(SealedRecordError):
        SignOff.objects.filter(pk=signoff.pk).delete()
    with pytest.raises(SealedRecordError):
        Signature.objects.filter(signoff=signoff).update(comment="Edited.")
    with pytest.raises(SealedRecordError):
        Signature.objects.filter(signoff=signoff).delete()
    assert SignOff.objects.get(pk=signoff.pk).title == "UAT sign-off: UAT round 1"
    assert list(Signature.objects.values_list("comment", flat=True)) == ["Fine."]


def test_a_signature_is_saved_once(project, pm, key_user, pilot_user):
    _signed(project, pm, key_user, pilot_user)
    signature = Signature.objects.get()
    signature.comment = "Edited."
    with pytest.raises(SealedRecordError):
        signature.save()
    with pytest.raises(SealedRecordError):
        signature.delete()
    assert Signature.objects.get().comment == "Fine."


def test_a_draft_is_never_deleted_either(project, pm, key_user, pilot_user):
    signoff = draft(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    with pytest.raises(SealedRecordError):
        signoff.delete()
    assert SignOff.objects.filter(pk=signoff.pk).exists()


# --- Go-live readiness ---------------------------------------------------------------------


def test_go_live_needs_a_go_live_phase(project, pm, executive):
    with pytest.raises(ValidationError) as error:
        services.signoff_create(
            actor=pm,
            project=project,
            kind=SignoffKind.GO_LIVE,
            signatories=[{"user": executive, "role_title": "Executive sponsor"}],
        )
    assert error.value.message_dict == {"kind": ["This project has no go-live phase."]}
    assert SignOff.objects.count() == 0


def test_go_live_readiness_snapshot_holds_checklist_defects_and_uat_sign_offs(
    project, pm, key_user, executive, pilot_user
):
    # given a go-live phase with two mandatory items (one done), an open high defect and a
    # signed UAT sign-off
    phase = PhaseFactory(
        project=project,
        kind=PhaseKind.GO_LIVE,
        position=5,
        planned_start=datetime.date(2026, 9, 1),
        planned_end=datetime.date(2026, 10, 5),
    )
    done = ChecklistItemFactory(
        phase=phase,
        position=1,
        title="Cut-over rehearsal",
        done_at=datetime.datetime(2026, 9, 10, 9, tzinfo=datetime.UTC),
    )
    pending = ChecklistItemFactory(phase=phase, position=2, title="Opening balances loaded")
    optional = ChecklistItemFactory(
        phase=phase, position=3, title="Welcome e-mail", is_mandatory=False
    )
    uat = _signed(project, pm, key_user, pilot_user)
    make_defect(project, pilot_user, severity=Severity.HIGH)
    # when the go-live sign-off is prepared
    signoff = services.signoff_create(
        actor=pm,
        project=project,
        kind=SignoffKind.GO_LIVE,
        signatories=[{"user": executive, "role_title": "Executive sponsor"}],
    )
    assert (signoff.phase, signoff.cycle, signoff.title) == (phase, None, "Go-live readiness")
    # then its content is the readiness panel (criteria, numbers, rows behind them), the
    # checklist and the UAT sign-offs
    content = snapshots.build_content(signoff)
    assert sorted(content) == [
        "blocking_defects",
        "checklist",
        "cutover_tasks",
        "deferred_defects",
        "exit_criteria",
        "hypercare_team",
        "kpis_without_baseline",
        "migration",
        "open_defects",
        "readiness",
        "training",
        "uat_signoffs",
    ]
    assert content["checklist"] == [
        {"pk": done.pk, "title": "Cut-over rehearsal", "mandatory": True, "done": True},
        {"pk": pending.pk, "title": "Opening balances loaded", "mandatory": True, "done": False},
        {"pk": optional.pk, "title": "Welcome e-mail", "mandatory": False, "done": False},
    ]
    assert content["open_defects"] == {"critical": 0, "high": 1}
    assert content["blocking_defects"] == [
        {"number": 1, "title": "Defect 1", "severity": "high", "status": "new"}
    ]
    assert content["deferred_defects"] == []
    assert content["uat_signoffs"] == [
        {
            "number": uat.number,
            "title": "UAT sign-off: UAT round 1",
            "status": "signed",
            "snapshot_hash": uat.snapshot_hash,
        }
    ]
    assert content["exit_criteria"] == [
        {"key": "uat_signed", "threshold": 1, "actual": 1, "met": True},
        {"key": "no_open_critical_high", "threshold": 0, "actual": 1, "met": False},
        {"key": "migration_reconciled", "threshold": 0, "actual": 0, "met": False},
        {"key": "cutover_ready", "threshold": 0, "actual": 0, "met": False},
        {"key": "training_coverage", "threshold": "90", "actual": "0", "met": False},
        {"key": "hypercare_ready", "threshold": 1, "actual": 0, "met": False},
        {"key": "kpi_baselines", "threshold": 0, "actual": 0, "met": False},
    ]
    failing = [c["key"] for c in content["exit_criteria"] if not c["met"]]
    # and requesting it needs the project manager's override of the failing criteria
    with pytest.raises(ApplicationError):
        services.signoff_request(actor=pm, signoff=signoff)
    services.signoff_request(actor=pm, signoff=signoff, override_reason="Hypercare covers it.")
    signoff.refresh_from_db()
    assert signoff.override_criteria == failing
    snapshot = json.loads(signoff.snapshot_json)
    assert snapshot["kind"] == "go_live"
    assert snapshot["subject"] == {"phase": "go_live", "planned_end": "2026-10-05"}
    sign(executive, signoff)
    assert SignOff.objects.get(pk=signoff.pk).status == SignoffStatus.SIGNED
