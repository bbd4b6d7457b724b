"""The hypercare exit decision: a sign-off of kind "hypercare exit" signs the exit panel.
Who may request it while criteria are red, what every signatory sees on the page and in the
PDF (rendered with WeasyPrint), and that both show the frozen snapshot, never live data."""

import datetime
import io
import re
import unicodedata
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from implementation.choices import PhaseKind, TicketStatus
from implementation.models import FeedbackResponse
from implementation.services import hypercare as services
from projects.choices import Department
from projects.errors import ApplicationError
from tests.factories import PhaseFactory, UserFactory
from tests.hypercare.factories import a_ticket, moved
from tests.uat.signoff_builders import sign
from uat import pdf as signoff_pdf
from uat.choices import SignoffKind, SignoffStatus
from uat.models import SignOff
from uat.services import signoffs as signoff_services

OVERRIDE_REASON = "The critical ticket waits for the vendor patch; support continues."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def hypercare_phase(project):
    return PhaseFactory(project=project, kind=PhaseKind.HYPERCARE, position=6)


def week(project, weeks_ago: int) -> datetime.date:
    return services.week_of(project.local_today()) - datetime.timedelta(weeks=weeks_ago)


def monday(project, weeks_ago: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(
        week(project, weeks_ago), datetime.time(hour), tzinfo=zoneinfo.ZoneInfo(project.time_zone)
    )


def happy_last_week(project, *scores):
    for score in scores:
        FeedbackResponse.objects.create(
            project=project,
            week=week(project, 1),
            respondent=UserFactory(),
            department=Department.SALES,
            satisfaction=score,
        )


@pytest.fixture
def green(project, hypercare_phase):
    """No ticket, and last week's users were happy: every exit criterion is met."""
    happy_last_week(project, 5, 4)


@pytest.fixture
def red(project, hypercare_phase, pm, pilot_user, it_member):
    """A critical ticket open, a ticket two weeks ago (inflow rose), nobody answered."""
    early = a_ticket(project, pilot_user, severity="low", module="Stock", at=monday(project, 2))
    moved(early, it_member, TicketStatus.ACKNOWLEDGED, at=monday(project, 2, 10))
    moved(early, it_member, TicketStatus.RESOLVED, at=monday(project, 2, 11))
    return a_ticket(project, pilot_user, severity="critical", title="Invoices cannot be posted")


def prepare(project, actor, *signers) -> SignOff:
    return signoff_services.signoff_create(
        actor=actor,
        project=project,
        kind=SignoffKind.HYPERCARE_EXIT,
        signatories=[{"user": user, "role_title": role} for user, role in signers],
    )


def request(actor, signoff, reason="") -> SignOff:
    return signoff_services.signoff_request(actor=actor, signoff=signoff, override_reason=reason)


def detail_url(project, signoff) -> str:
    return reverse("signoffs:detail", args=[project.code, signoff.number])


def snapshot_section(page: str) -> str:
    return page.split('id="snapshot"', 1)[1].split("</section>", 1)[0]


def pdf_text(signoff) -> str:
    reader = PdfReader(io.BytesIO(signoff_pdf.render_signoff_pdf(signoff)))
    text = "\n".join(unicodedata.normalize("NFC", p.extract_text()) for p in reader.pages)
    return " ".join(text.split())


# --- Who may request it ---------------------------------------------------------------------


def test_a_consultant_requests_it_when_every_criterion_is_green(
    project, green, consultant, executive
):
    signoff = request(consultant, prepare(project, consultant, (executive, "Sponsor")))

    assert signoff.status == SignoffStatus.REQUESTED
    assert signoff.phase.kind == PhaseKind.HYPERCARE
    assert signoff.override_criteria == []


def test_while_red_only_the_project_manager_requests_it_and_only_with_a_reason(
    client, project, red, pm, consultant, executive
):
    signoff = prepare(project, consultant, (executive, "Sponsor"))

    with pytest.raises(ApplicationError):
        request(consultant, signoff)
    with pytest.raises(PermissionDenied):
        request(consultant, signoff, OVERRIDE_REASON)
    client.force_login(consultant)
    refused = client.post(
        reverse("signoffs:request", args=[project.code, signoff.number]),
        {"override_reason": OVERRIDE_REASON},
    )
    with pytest.raises(ApplicationError):
        request(pm, signoff)
    untouched = SignOff.objects.get(pk=signoff.pk)

    signoff = request(pm, signoff, OVERRIDE_REASON)

    assert refused.status_code == 403
    assert (untouched.status, untouched.snapshot_json, untouched.override_criteria) == (
        SignoffStatus.DRAFT,
        "",
        [],
    )
    assert signoff.status == SignoffStatus.REQUESTED
    assert signoff.override_criteria == [
        "no_open_critical_tickets",
        "inflow_falling",
        "satisfaction",
    ]
    assert signoff.override_reason == OVERRIDE_REASON


# --- What the page and the PDF show ---------------------------------------------------------


def test_the_page_shows_the_frozen_exit_panel_in_words(
    client, project, red, pm, executive, pilot_user
):
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    # Live data changes after the request: the page keeps what was frozen.
    moved(red, pm, TicketStatus.RESOLVED)
    happy_last_week(project, 5, 5)
    client.force_login(executive)

    page = client.get(detail_url(project, signoff)).content.decode()
    frozen = snapshot_section(page)

    assert "Requested with an override of failing exit criteria" in page
    assert OVERRIDE_REASON in page
    assert "Hypercare exit criteria" in frozen
    for label in (
        "No open critical support tickets",
        "SLA met in each of the last weeks",
        "Ticket inflow falling week after week",
        "User satisfaction at or above the threshold (1-5)",
    ):
        assert label in frozen
    assert "1 critical ticket is open." in frozen
    assert "Tickets raised per week: 0, then 0, 0, 1, 0: not falling for 4 weeks." in frozen
    assert "Nobody answered last week&#x27;s feedback round." in frozen
    assert "4 weeks" in frozen
    assert "4.0 of 5" in frozen
    open_tickets = frozen.split('id="snapshot-open-tickets"', 1)[1].split("</ul>", 1)[0]
    assert re.sub(r"\s+", " ", open_tickets).count("<strong>1</strong>") == 1
    assert "Critical</span> <strong>1</strong>" in open_tickets
    weeks = frozen.split('id="weeks-table"', 1)[1].split("</table>", 1)[0]
    assert week(project, 2).isoformat() in weeks
    assert weeks.count("<tr>") == 5  # the header and four weeks
    # Nothing of the go-live or UAT sections.
    assert "Deferred defects" not in frozen
    assert "Go-live checklist" not in frozen


def test_a_draft_previews_the_exit_criteria_as_they_stand(client, project, red, pm, executive):
    signoff = prepare(project, pm, (executive, "Sponsor"))
    client.force_login(pm)

    page = client.get(detail_url(project, signoff)).content.decode()

    preview = page.split('id="preview"', 1)[1].split("</section>", 1)[0]
    assert "No open critical support tickets" in preview
    assert "Not met" in preview


def test_the_pdf_shows_the_criteria_their_reasons_the_weeks_and_the_open_tickets(
    project, red, pm, executive
):
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    sign(executive, signoff)
    signoff.refresh_from_db()
    moved(red, pm, TicketStatus.RESOLVED)  # after the sign-off: not in the document

    text = pdf_text(signoff)

    assert "Hypercare exit" in text
    assert "Verdict Accepted with an override of failing exit criteria" in text
    assert "Exit criteria overridden at the request" in text
    assert OVERRIDE_REASON in text
    assert "Hypercare exit criteria" in text
    for label in (
        "No open critical support tickets",
        "SLA met in each of the last weeks",
        "Ticket inflow falling week after week",
        "User satisfaction at or above the threshold (1-5)",
    ):
        assert label in text
    assert "1 critical ticket is open." in text
    assert "Tickets raised per week: 0, then 0, 0, 1, 0: not falling for 4 weeks." in text
    assert "Nobody answered last week's feedback round." in text
    assert "Open support tickets by severity" in text
    assert "Critical High Medium Low Total 1 0 0 0 1" in text
    assert "The weeks behind the criteria" in text
    assert f"{week(project, 2).isoformat()} 1 1 0 – 0" in text
    assert "Deferred defects" not in text
    assert "Go-live checklist" not in text


def test_words_are_written_when_the_document_is_rendered_not_frozen(project, red, pm, executive):
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)

    with translation.override("vi"):
        context = signoff_pdf.signoff_pdf_context(signoff)

    assert "critical ticket is open" not in signoff.snapshot_json
    assert context["is_hypercare"] is True
    row = context["hypercare"]["criteria"][0]
    assert (row["key"], row["met"], row["actual"], row["threshold"]) == (
        "no_open_critical_tickets",
        False,
        "1",
        "0",
    )
    assert row["reasons"] == ["1 critical ticket is open."]  # no Vietnamese catalogue yet
    assert [r["count"] for r in context["hypercare"]["open_tickets"]] == [1, 0, 0, 0]


def test_the_overview_opens_the_form_on_the_exit_decision(client, project, pm, hypercare_phase):
    client.force_login(pm)

    overview = client.get(reverse("hypercare:overview", args=[project.code])).content.decode()
    form = client.get(reverse("signoffs:create", args=[project.code]) + "?kind=hypercare_exit")

    assert f"/projects/{project.code}/sign-offs/new/?kind=hypercare_exit" in overview
    assert form.context["form"].initial == {"kind": "hypercare_exit"}
    assert re.search(r'value="hypercare_exit"[^>]*checked', form.content.decode())
