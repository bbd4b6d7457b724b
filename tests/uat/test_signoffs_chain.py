"""The project's chain of sealed sign-offs, what tampering with the database shows, and the
canonical JSON that snapshots and hashes are made of."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection

from tests.uat.signoff_builders import passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_cycle, make_scope, run
from uat import snapshots
from uat.choices import ExecutionResult, SignoffStatus
from uat.models import Signatory, Signature, SignOff, SignoffLedger, SignoffPdf
from uat.services import signoffs as services


@pytest.fixture(autouse=True)
def _pdf_renderer(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", lambda signoff: b"%PDF-1.4 test")


@pytest.fixture
def chain(project, pm, key_user, executive, pilot_user):
    """Three concluded sign-offs: SO-1 rejected, SO-2 cancelled after its request, SO-3 signed."""
    cycle = passing_cycle(project, pilot_user)
    signers = ((key_user, "Business owner"), (executive, "Executive sponsor"))
    rejected = requested(project, pm, cycle, *signers)
    sign(key_user, rejected, "rejected", comment="Invoices show the wrong VAT.")
    cancelled = requested(project, pm, cycle, *signers)
    services.signoff_cancel(actor=pm, signoff=cancelled, reason="Wrong signatories.")
    signed = requested(project, pm, cycle, *signers)
    sign(key_user, signed)
    sign(executive, signed)
    return [SignOff.objects.get(pk=s.pk) for s in (rejected, cancelled, signed)]


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _update(model, column, value, pk):
    _sql(f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", value, pk)  # noqa: S608


def _delete_with_sql(signoff):
    for model, column in (
        (SignoffPdf, "signoff_id"),
        (Signature, "signoff_id"),
        (Signatory, "signoff_id"),
        (SignOff, "id"),
    ):
        _sql(f"DELETE FROM {model._meta.db_table} WHERE {column} = %s", signoff.pk)  # noqa: S608


def test_concluded_sign_offs_form_an_intact_chain(project, chain):
    rejected, cancelled, signed = chain
    assert [s.status for s in chain] == [
        SignoffStatus.REJECTED,
        SignoffStatus.CANCELLED,
        SignoffStatus.SIGNED,
    ]
    assert [s.sequence for s in chain] == [1, 2, 3]
    assert [s.previous_hash for s in chain] == ["", rejected.record_hash, cancelled.record_hash]
    assert all(s.record_hash == services.record_hash(s) for s in chain)
    ledger = SignoffLedger.objects.get(project=project)
    assert (ledger.length, ledger.head_hash) == (3, signed.record_hash)
    report = services.chain_verify(project)
    assert (report.length, report.problems, report.is_intact) == (3, [], True)


def test_a_cancelled_draft_and_a_pending_request_stay_out_of_the_chain(
    project, pm, key_user, pilot_user, chain
):
    cycle = chain[0].cycle
    draft = services.signoff_create(
        actor=pm,
        project=project,
        kind="uat",
        cycle=cycle,
        signatories=[{"user": key_user, "role_title": "Owner"}],
    )
    services.signoff_cancel(actor=pm, signoff=draft)
    requested(project, pm, cycle, (key_user, "Owner"))
    stored = SignOff.objects.get(pk=draft.pk)
    assert (stored.status, stored.sequence, stored.record_hash) == ("cancelled", None, "")
    assert services.chain_verify(project).problems == []
    assert services.chain_verify(project).length == 3


def test_a_field_altered_in_the_database_is_reported(project, chain):
    _update(SignOff, "title", "UAT, all fine", chain[1].pk)
    assert services.chain_verify(project).problems == ["SO-2 was changed after it was sealed."]


def test_a_signature_altered_in_the_database_is_reported(project, chain):
    signature = Signature.objects.get(signoff=chain[0])
    _update(Signature, "comment", "All good.", signature.pk)
    assert services.chain_verify(project).problems == ["A signature on SO-1 was changed."]


def test_a_snapshot_altered_in_the_database_is_reported(project, chain):
    signed = chain[2]
    altered = signed.snapshot_json.replace('"passed"', '"failed"', 1)
    assert altered != signed.snapshot_json
    _update(SignOff, "snapshot_json", altered, signed.pk)
    assert services.chain_verify(project).problems == ["The snapshot of SO-3 was changed."]


def test_deleting_the_newest_record_is_reported_by_the_ledger(project, chain):
    _delete_with_sql(chain[2])
    report = services.chain_verify(project)
    assert report.length == 2
    assert report.problems == [
        f"The chain should hold 3 sealed records ending in {chain[2].record_hash[:12]}; it holds 2."
    ]


def test_deleting_a_middle_record_is_reported_as_a_gap(project, chain):
    _delete_with_sql(chain[1])
    assert services.chain_verify(project).problems == [
        "The chain skips from position 1 to 3: a record is missing.",
        "SO-3 does not follow the record before it.",
        f"The chain should hold 3 sealed records ending in {chain[2].record_hash[:12]}; "
        "it holds 2.",
    ]


def test_a_gap_is_reported_once_however_many_records_follow(
    project, pm, key_user, pilot_user, chain
):
    fourth = requested(project, pm, chain[0].cycle, (key_user, "Owner"))
    sign(key_user, fourth)
    _delete_with_sql(chain[0])
    problems = services.chain_verify(project).problems
    assert problems[:2] == [
        "The chain skips from position 0 to 2: a record is missing.",
        "SO-2 does not follow the record before it.",
    ]
    assert len(problems) == 3


def test_an_unchanged_sign_off_is_found_by_any_of_its_hashes(project, pm, chain):
    signed = chain[2]
    for digest, matched in ((signed.record_hash, "record"), (signed.snapshot_hash, "snapshot")):
        result = services.signoff_verify(actor=pm, project=project, digest=digest.upper())
        assert (result.signoff.pk, result.matched, result.changes) == (signed.pk, matched, [])
        assert result.chain.is_intact


# --- Canonical JSON ------------------------------------------------------------------------


def test_building_the_content_twice_gives_the_same_json(project, pm, key_user, pilot_user):
    cycle = make_cycle(project)
    first, second = make_scope(cycle, 2, pilot_user)
    run(first, pilot_user, ExecutionResult.PASSED)
    run(second, pilot_user, ExecutionResult.FAILED)
    signoff = services.signoff_create(
        actor=pm,
        project=project,
        kind="uat",
        cycle=cycle,
        signatories=[{"user": key_user, "role_title": "Owner"}],
    )
    once = snapshots.canonical_json(snapshots.build_content(signoff))
    again = snapshots.canonical_json(snapshots.build_content(signoff))
    assert once == again
    assert json.loads(once)["counts"] == {
        "planned": 2,
        "executed": 2,
        "passed": 1,
        "failed": 1,
        "blocked": 0,
        "not_executed": 0,
        "pass_rate": "50.0",
    }


def test_canonical_json_sorts_keys_without_spaces():
    assert snapshots.canonical_json({"b": 1, "a": {"d": [2, 1], "c": "Hà Nội"}}) == (
        '{"a":{"c":"Hà Nội","d":[2,1]},"b":1}'
    )


def test_canonical_json_writes_decimals_dates_and_times_as_strings():
    hanoi = datetime.timezone(datetime.timedelta(hours=7))
    assert snapshots.canonical_json(
        {
            "rate": Decimal("95.50"),
            "day": datetime.date(2026, 6, 1),
            "at": datetime.datetime(2026, 6, 1, 10, 30, tzinfo=hanoi),
        }
    ) == ('{"at":"2026-06-01T03:30:00+00:00","day":"2026-06-01","rate":"95.50"}')


def test_canonical_json_refuses_what_it_cannot_write_the_same_way_twice():
    with pytest.raises(TypeError):
        snapshots.canonical_json({"tags": {"a", "b"}})


def test_the_stored_snapshot_is_the_hashed_text(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    assert snapshots.sha256_text(signoff.snapshot_json) == signoff.snapshot_hash
    snapshot = json.loads(signoff.snapshot_json)
    assert sorted(snapshot) == ["content", "format", "kind", "project", "subject", "taken_at"]
    assert snapshot["project"] == {"code": "HNR-ERP", "name": "Hanoi Retail ERP"}
    assert snapshot["subject"] == {
        "cycle": signoff.cycle_id,
        "name": "UAT round 1",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-14",
        "environment": signoff.cycle.environment,
    }
    assert snapshots.canonical_json(snapshot) == signoff.snapshot_json
