"""Journey 3: the UAT sign-off, from the request to the signed PDF in the executive's hands.

The project manager prepares and requests it, two signatories sign (each re-entering their
password), the executive downloads the PDF and the test reads what is printed in it.
"""

import hashlib
import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.steps import sign_in, sign_out
from tests.uat.signoff_builders import passing_cycle
from uat.choices import Decision, SignoffStatus
from uat.models import SignOff


def _name(user, first, last):
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])
    return user


def _open_signoffs(page: Page, project) -> None:
    page.get_by_role("link", name=project.name).click()
    page.get_by_role("navigation", name="Project sections").get_by_role(
        "link", name="Sign-offs"
    ).click()


def _sign(page: Page, project, user, display_number: str) -> None:
    sign_in(page, user)
    _open_signoffs(page, project)
    page.get_by_role("link", name=re.compile(display_number)).first.click()
    signature = page.locator("#sign")
    expect(signature.get_by_role("heading", name="Your signature")).to_be_visible()
    signature.get_by_role("radio", name="Approved").check()
    signature.get_by_label("Re-enter your password to sign").fill("correct-horse-battery")
    signature.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text(f"You approved {display_number}.")).to_be_visible()


def test_two_signatories_sign_off_uat_and_the_executive_reads_the_pdf(
    pages, project, pm, pilot_user, key_user, executive
):
    _name(pm, "Thu", "Nguyen")
    _name(key_user, "Lan", "Le")
    _name(executive, "Minh", "Tran")
    cycle = passing_cycle(project, pilot_user, count=3, name="UAT round 2")
    page = pages.open()

    # The project manager prepares the sign-off of the cycle and requests the signatures.
    sign_in(page, pm)
    _open_signoffs(page, project)
    page.get_by_role("link", name="Prepare a sign-off").click()
    page.get_by_role("radio", name="UAT sign-off").check()
    page.get_by_label("Test cycle").select_option(label="UAT round 2")
    signers = [
        ("Minh Tran · Executive", "Executive sponsor"),
        ("Lan Le · Key user", "Finance key user"),
    ]
    for number, (person, role) in enumerate(signers, start=1):
        row = page.get_by_role("group", name=f"Signatory {number}")
        row.get_by_label("Signatory", exact=True).select_option(label=person)
        row.get_by_label("Signs as").fill(role)
    page.get_by_role("button", name="Prepare the draft").click()
    expect(page.get_by_text(re.compile(r"SO-\d+ prepared as a draft"))).to_be_visible()
    display_number = SignOff.objects.get(project=project).display_number
    expect(page.locator("#preview").get_by_text("All met")).to_be_visible()
    page.get_by_role("button", name="Request the signatures").click()
    expect(page.get_by_text(f"Signatures requested for {display_number}.")).to_be_visible()
    awaiting = page.locator("#awaiting")
    expect(awaiting).to_contain_text("Minh Tran")
    expect(awaiting).to_contain_text("Lan Le")
    sign_out(page)

    # Both signatories sign, each re-entering their password.
    _sign(page, project, executive, display_number)
    sign_out(page)
    _sign(page, project, key_user, display_number)
    expect(page.locator("#awaiting")).to_contain_text("Every signatory approved.")
    sign_out(page)

    # The executive downloads the signed PDF from the project page.
    sign_in(page, executive)
    page.get_by_role("link", name=project.name).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{project.code}-{display_number}.pdf"
    pdf_bytes = download.path().read_bytes()
    text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf_bytes)).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in [
        f"Project {project.code} · {project.name}",
        "Test cycle UAT round 2",
        f"{display_number} · Round 1",
        "by Thu Nguyen",
        "Verdict Accepted",
        "Minh Tran · Executive sponsor · Approved",
        "Lan Le · Finance key user · Approved",
        "Pass rate 3 3 3 0 0 0 100%",
    ]:
        assert expected in text, f"{expected!r} is not in the PDF: {text[:1500]}"

    # What was stored.
    signoff = SignOff.objects.get(project=project)
    assert signoff.status == SignoffStatus.SIGNED
    assert signoff.cycle == cycle
    assert signoff.requested_by == pm
    signatures = {s.signatory.user: s for s in signoff.signatures.select_related("signatory")}
    assert set(signatures) == {executive, key_user}
    assert {s.decision for s in signatures.values()} == {Decision.APPROVED}
    assert all(s.snapshot_hash == signoff.snapshot_hash for s in signatures.values())
    assert signoff.snapshot_hash in text
    assert hashlib.sha256(pdf_bytes).hexdigest() == signoff.pdf.sha256
