"""The demo's sign-offs: UAT round 1 signed, round 2 requested with one signature given.

One test seeds the demo (slow), so it checks everything at once: what was seeded, that a PDF
that fails to build leaves the sign-off signed, and that seeding again adds nothing.
"""

import pytest
from django.core import mail
from django.core.management import call_command

from projects.choices import PdfStatus
from projects.demo import DEMO_CODE
from projects.models import Project
from uat.choices import SigningOrder, SignoffStatus
from uat.models import Signatory, Signature, SignOff, SignoffLedger, SignoffPdf
from uat.services import signoffs as services


def _counts():
    return tuple(
        model.objects.count()
        for model in (SignOff, Signatory, Signature, SignoffPdf, SignoffLedger)
    )


def _broken_renderer(signoff):
    raise RuntimeError("no fonts")


@pytest.mark.django_db
def test_seed_demo_signs_round_1_and_requests_round_2(
    monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a PDF renderer that fails
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("uat.pdf.render_signoff_pdf", _broken_renderer)
    # when the demo is seeded and its after-commit work runs
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    project = Project.objects.get(code=DEMO_CODE)
    round1, round2 = SignOff.objects.filter(project=project).order_by("number")

    # then round 1 is signed by the three signatories in order, with the PM's override
    assert (round1.title, round1.status, round1.round) == (
        "UAT sign-off: UAT round 1",
        SignoffStatus.SIGNED,
        1,
    )
    assert round1.cycle.name == "UAT round 1"
    assert round1.signing_order == SigningOrder.SEQUENTIAL
    assert round1.requested_by.username == "pm"
    assert round1.override_criteria == ["pass_rate", "open_high"]
    assert round1.override_reason.startswith("Round 1 ran all 60 scenarios with a pass rate of")
    assert "Transfer between warehouses" in round1.override_reason
    signatures = list(round1.signatures.order_by("signed_at", "pk"))
    assert [(s.user.username, s.role_title, s.decision) for s in signatures] == [
        ("keyuser", "Business owner (Finance)", "approved"),
        ("it", "IT lead", "approved"),
        ("executive", "Executive sponsor", "approved"),
    ]
    assert all(s.snapshot_hash == round1.snapshot_hash for s in signatures)
    # its PDF failed to build, which the sign-off survives
    pdf = SignoffPdf.objects.get(signoff=round1)
    assert (pdf.status, pdf.attempts) == (PdfStatus.FAILED, 1)
    assert pdf.error == "The PDF could not be built (RuntimeError). Try again."

    # and round 2 is requested, signed by the business owner, awaiting the IT lead
    assert (round2.title, round2.status, round2.cycle.name) == (
        "UAT sign-off: UAT round 2",
        SignoffStatus.REQUESTED,
        "UAT round 2",
    )
    assert round2.override_criteria == ["all_executed", "pass_rate"]
    assert round2.override_reason.startswith("Requested with 16 of 60 scenarios not yet run")
    assert [s.user.username for s in round2.signatures.all()] == ["keyuser"]
    assert [s.user.username for s in services.awaiting(round2)] == ["it"]
    assert round2.stale_at is None
    assert services.signoff_freshness(round2).is_fresh
    assert services.signoff_freshness(round1).is_fresh

    # the chain holds the one concluded sign-off, intact
    report = services.chain_verify(project)
    assert (report.length, report.problems) == (1, [])

    # e-mails: each signatory asked in turn, the PM told round 1 was signed
    assert [(m.to[0].split("@")[0], m.subject.split(":")[0]) for m in mail.outbox] == [
        ("keyuser", "[HNR-ERP] Your signature is requested"),
        ("it", "[HNR-ERP] Your signature is requested"),
        ("executive", "[HNR-ERP] Your signature is requested"),
        ("pm", "[HNR-ERP] Signed by everyone"),
        ("keyuser", "[HNR-ERP] Your signature is requested"),
        ("it", "[HNR-ERP] Your signature is requested"),
    ]

    # and seeding again adds nothing
    counts = _counts()
    assert counts == (2, 6, 4, 1, 1)
    call_command("seed_demo")
    assert _counts() == counts
    assert services.chain_verify(project).is_intact
