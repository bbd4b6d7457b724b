"""The sign-off PDF: what it shows, that it renders only the frozen record, that it fetches
nothing but our static files, and how the build service stores and verifies it."""

import datetime
import hashlib
import io
import time
import unicodedata

import pytest
from django.utils import translation
from pypdf import PdfReader

from implementation.choices import Environment, PhaseKind
from implementation.models import ConfigurationChange
from projects.choices import PdfStatus
from projects.models import Project
from tests.factories import ChecklistItemFactory, PhaseFactory
from tests.uat.signoff_builders import draft, passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_defect
from uat import pdf as signoff_pdf
from uat.choices import DefectStatus, Severity, SignoffKind
from uat.models import Defect, SignoffPdf
from uat.services import signoffs as services

HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/passwd"> '
    '<a href="http://evil.example">x</a>'
)


# --- Builders --------------------------------------------------------------------------------


def add_defect(project, reporter, cycle, title, **fields):
    defect = make_defect(
        project,
        reporter,
        cycle=cycle,
        severity=fields.pop("severity", Severity.MEDIUM),
        status=fields.pop("status", DefectStatus.NEW),
    )
    Defect.objects.filter(pk=defect.pk).update(title=title, **fields)
    return defect


def add_change(project, user, number, **fields):
    values = {
        "area": "Sales - Pricing",
        "setting": "Rounding of VAT lines",
        "old_value": "Per line",
        "new_value": "Per invoice",
        "reason": "Agreed with the chief accountant.",
        "environment": Environment.TEST,
        "applied_at": datetime.datetime(2026, 6, 3, 2, 30, tzinfo=datetime.UTC),
    } | fields
    return ConfigurationChange.objects.create(
        project=project, number=number, requested_by=user, recorded_by=user, **values
    )


def signed(project, pm, cycle, *signers, override_reason=""):
    """Request the cycle's sign-off (overriding with a reason if given) and sign it all."""
    signoff = draft(project, pm, cycle, *signers)
    signoff = services.signoff_request(actor=pm, signoff=signoff, override_reason=override_reason)
    for user, _role in signers:
        sign(user, signoff, comment=f"Checked by {user.display_name}.")
    signoff.refresh_from_db()
    return signoff


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, NFC-normalised (what a reader copies out of the document)."""
    reader = PdfReader(io.BytesIO(content))
    return [unicodedata.normalize("NFC", page.extract_text()) for page in reader.pages]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- What the document shows -----------------------------------------------------------------


def test_signed_pdf_shows_the_record_on_every_page(project, pm, key_user, executive, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    add_defect(
        project,
        pilot_user,
        cycle,
        "Credit limit ignored on rush orders",
        status=DefectStatus.DEFERRED,
        deferral_reason="Needs a vendor patch.",
        workaround="Sales admin checks the limit by hand.",
        target_date=datetime.date(2026, 9, 30),
    )
    add_defect(project, pilot_user, cycle, "Wrong logo on the quotation")
    add_change(project, pm, 1)
    signoff = signed(
        project, pm, cycle, (key_user, "Business owner"), (executive, "Executive sponsor")
    )

    pages = pdf_pages(signoff_pdf.render_signoff_pdf(signoff))

    text = flat("\n".join(pages))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Snapshot SHA-256: {signoff.snapshot_hash}" in flat(page)
        assert f"Page {number} of {len(pages)}" in flat(page)
    for user in (key_user, executive):
        assert user.display_name in text
    assert "Business owner" in text
    assert "Accepted as business owner" in text
    assert "Verdict Accepted" in text
    assert "override" not in text.lower()
    assert "HNR-ERP" in text
    assert "Hanoi Retail ERP" in text
    assert "UAT round 1" in text
    assert "2026-06-01 – 2026-06-14" in text
    assert "Needs a vendor patch." in text
    assert "Sales admin checks the limit by hand." in text
    assert "2026-09-30" in text
    assert "CFG-1 Sales - Pricing · Rounding of VAT lines" in text
    # Applied at 02:30 UTC: 09:30 in the project's zone (Asia/Ho_Chi_Minh).
    assert "2026-06-03 09:30" in text
    assert "Wrong logo on the quotation" in text
    assert signoff.record_hash in text
    assert f"Checked by {key_user.display_name}." in text


def test_pdf_renders_the_frozen_snapshot_not_the_live_project(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user, name="Tiếng Việt · Hà Đông")
    add_defect(project, pilot_user, cycle, "Kế toán: sai số dư đầu kỳ")
    signoff = signed(project, pm, cycle, (key_user, "Kế toán trưởng"))
    # Renamed after the sign-off: the document keeps the name that was signed.
    Project.objects.filter(pk=project.pk).update(name="Renamed later")

    text = flat("\n".join(pdf_pages(signoff_pdf.render_signoff_pdf(signoff))))

    assert "Tiếng Việt · Hà Đông" in text
    assert "Kế toán: sai số dư đầu kỳ" in text
    assert "Kế toán trưởng" in text
    assert "Hanoi Retail ERP" in text
    assert "Renamed later" not in text


def test_pdf_shows_the_override_with_failing_criteria_and_reason(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    add_defect(project, pilot_user, cycle, "Stock goes negative", severity=Severity.HIGH)
    signoff = signed(
        project,
        pm,
        cycle,
        (key_user, "Business owner"),
        override_reason="Fix ships in the first hypercare week; stock is counted daily.",
    )

    text = flat("\n".join(pdf_pages(signoff_pdf.render_signoff_pdf(signoff))))

    assert signoff.override_criteria == ["open_high"]
    assert "Verdict Accepted with an override of failing exit criteria" in text
    assert "Exit criteria overridden at the request" in text
    assert "Open high defects at most" in text
    assert "Fix ships in the first hypercare week; stock is counted daily." in text


def test_go_live_pdf_shows_the_checklist_and_the_override(project, pm, executive):
    phase = PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5)
    ChecklistItemFactory(
        phase=phase,
        title="Opening balances loaded",
        done_at=datetime.datetime(2026, 9, 28, 3, 0, tzinfo=datetime.UTC),
    )
    signoff = services.signoff_create(
        actor=pm,
        project=project,
        kind=SignoffKind.GO_LIVE,
        signatories=[{"user": executive, "role_title": "Executive sponsor"}],
    )
    signoff = services.signoff_request(
        actor=pm, signoff=signoff, override_reason="UAT was signed on paper by the board."
    )
    sign(executive, signoff)
    signoff.refresh_from_db()

    text = flat("\n".join(pdf_pages(signoff_pdf.render_signoff_pdf(signoff))))

    assert "Go-live readiness" in text
    assert "Phase Go-live" in text
    assert "Opening balances loaded" in text
    assert "A UAT sign-off is signed" in text
    assert "UAT was signed on paper by the board." in text
    assert "Verdict Accepted with an override of failing exit criteria" in text


def test_hostile_title_stays_text_and_nothing_is_fetched_or_attached(
    project, pm, key_user, pilot_user
):
    cycle = passing_cycle(project, pilot_user)
    add_defect(project, pilot_user, cycle, HOSTILE)
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))

    content = signoff_pdf.render_signoff_pdf(signoff)

    # The title wraps over lines in its cell: compare without white space.
    assert "".join(HOSTILE.split()) in "".join("".join(pdf_pages(content)).split())
    assert b"/EmbeddedFile" not in content
    assert b"root:x:0:0" not in content
    assert b"evil.example" not in content  # no link annotation: the URL is only shown as text


def test_html_is_rendered_in_the_active_language(project, pm, key_user, pilot_user):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))

    with translation.override("vi"):
        html = signoff_pdf.render_signoff_html(signoff)

    assert '<html lang="vi">' in html


# --- The restricted fetcher --------------------------------------------------------------------


@pytest.fixture
def fetcher(settings):
    return signoff_pdf.StaticOnlyFetcher(settings.BASE_DIR / "static")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "https://example.com/logo.png",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_anything_but_static_files(fetcher, url):
    with pytest.raises(signoff_pdf.ResourceRefused):
        fetcher.fetch(url)


def test_fetcher_refuses_an_escape_from_static(fetcher, settings):
    escape = (settings.BASE_DIR / "static").as_uri() + "/../pyproject.toml"

    with pytest.raises(signoff_pdf.ResourceRefused):
        fetcher.fetch(escape)


def test_fetcher_refuses_a_symlink_out_of_static(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")

    with pytest.raises(signoff_pdf.ResourceRefused):
        signoff_pdf.StaticOnlyFetcher(root).fetch((root / "link.txt").as_uri())


def test_fetcher_serves_a_static_font_and_a_data_url(fetcher, settings):
    font = settings.BASE_DIR / "static" / "fonts" / "DejaVuSans.ttf"

    served = fetcher.fetch(font.as_uri())
    data = fetcher.fetch("data:text/plain;base64,SGVsbG8=")

    assert served.read() == font.read_bytes()
    assert data.read() == b"Hello"
    assert data.content_type == "text/plain"


# --- Building, storing and verifying ---------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_signing_builds_the_pdf_and_its_hash_verifies(
    project, pm, key_user, pilot_user, media, django_capture_on_commit_callbacks
):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))

    with django_capture_on_commit_callbacks(execute=True):
        sign(key_user, signoff)

    pdf = SignoffPdf.objects.get(signoff=signoff)
    with pdf.file.open("rb") as stored:
        content = stored.read()
    digest = hashlib.sha256(content).hexdigest()
    assert pdf.status == PdfStatus.READY
    assert content.startswith(b"%PDF-")
    assert pdf.sha256 == digest
    assert pdf.size == len(content)
    assert pdf.attempts == 1
    verification = services.signoff_verify(actor=pm, project=project, digest=digest)
    assert verification.matched == "pdf"
    assert verification.signoff.pk == signoff.pk
    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01
    tampered = services.signoff_verify(
        actor=pm, project=project, digest=hashlib.sha256(changed).hexdigest()
    )
    assert tampered.signoff is None
    assert tampered.matched == ""


def test_render_failure_is_recorded_and_retry_builds(
    project, pm, key_user, pilot_user, media, monkeypatch, django_capture_on_commit_callbacks
):
    signoff = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))

    def broken(signoff):
        raise RuntimeError("Pango fell over")

    monkeypatch.setattr(signoff_pdf, "render_signoff_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        sign(key_user, signoff)

    pdf = SignoffPdf.objects.get(signoff=signoff)
    assert pdf.status == PdfStatus.FAILED
    assert "RuntimeError" in pdf.error
    assert not pdf.file
    assert pdf.sha256 == ""

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.signoff_pdf_retry(actor=pm, signoff=signoff)

    pdf.refresh_from_db()
    assert pdf.status == PdfStatus.READY
    assert pdf.error == ""
    assert pdf.attempts == 2
    with pdf.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == pdf.sha256


def test_two_hundred_defects_render_as_blocks_quickly(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    Defect.objects.bulk_create(
        Defect(
            project=project,
            number=number,
            title=f"Defect {number}: quotation total differs from the order total",
            severity=Severity.LOW if number % 2 else Severity.MEDIUM,
            status=DefectStatus.CLOSED if number % 3 else DefectStatus.NEW,
            module="Sales - Quotation to order",
            reporter=pilot_user,
            cycle=cycle,
        )
        for number in range(1, 201)
    )
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))

    started = time.perf_counter()
    content = signoff_pdf.render_signoff_pdf(signoff)
    seconds = time.perf_counter() - started

    pages = pdf_pages(content)
    assert "DEF-200" in pages[-1]
    assert all(signoff.snapshot_hash in flat(page) for page in pages)
    # Under 1 s here; the bound only catches a fall back to slow layouts (tables: 3x).
    assert seconds < 15


def test_150_changes_in_scope_print_100_and_say_50_more(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    for number in range(1, 151):
        add_change(project, pm, number, setting=f"Setting {number:03d}")
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))

    html = signoff_pdf.render_signoff_html(signoff)
    text = flat("\n".join(pdf_pages(signoff_pdf.render_signoff_pdf(signoff))))

    # The snapshot keeps the 150; the document prints the first 100.
    assert signoff.snapshot_json.count('"setting":"Setting ') == 150
    assert "CFG-100 " in text
    assert "CFG-101 " not in text
    assert "and 50 more (listed in the sign-off's snapshot)" in text
    assert html.count("and 50 more") == 1
