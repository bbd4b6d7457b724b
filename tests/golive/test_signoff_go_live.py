"""The go/no-go decision: a go-live readiness sign-off signs the readiness panel. Who may
request it while criteria are red, what every signatory sees on the page and in the PDF
(rendered with WeasyPrint), that both show the frozen snapshot and never live data, and that
a pending request goes stale when a readiness number changes."""

import datetime
import io
import json
import re
import unicodedata
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from implementation.choices import PhaseKind
from implementation.models import MigrationObject
from implementation.services.migration import load_sign_off
from kpis.models import Kpi
from projects.choices import Department
from projects.errors import ApplicationError
from projects.models import Membership
from projects.services import membership_set_go_live_roles
from tests.factories import ChecklistItemFactory, PhaseFactory
from tests.golive.factories import a_load, a_task, an_object, complete_plan, trained_end_users
from tests.uat.signoff_builders import passing_cycle, requested, sign
from tests.uat.test_cycles_factories import make_defect
from uat import pdf as signoff_pdf
from uat.choices import DefectStatus, Severity, SignoffKind, SignoffStatus
from uat.models import Defect, SignOff
from uat.services import signoffs as services

OVERRIDE_REASON = "Hypercare team fixes the rest in week one."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def detail_url(project, signoff) -> str:
    return reverse("signoffs:detail", args=[project.code, signoff.number])


def add_kpi(project, owner, name, *, baseline=True) -> Kpi:
    return Kpi.objects.create(
        project=project,
        name=name,
        category="quality",
        unit="errors",
        direction="lower",
        baseline_value=Decimal(10) if baseline else None,
        baseline_date=project.target_go_live - datetime.timedelta(days=60) if baseline else None,
        target_value=Decimal(5),
        target_date=project.target_go_live + datetime.timedelta(days=200),
        owner=owner,
        cadence="monthly",
        created_by=owner,
    )


@pytest.fixture
def go_live_phase(project):
    phase = PhaseFactory(project=project, kind=PhaseKind.GO_LIVE, position=5)
    ChecklistItemFactory(phase=phase, title="Opening balances loaded", is_mandatory=True)
    return phase


@pytest.fixture
def ready(project, go_live_phase, pm, key_user, pilot_user):
    """A project whose seven criteria are green; returns its signed-off data object's load."""
    uat = requested(project, pm, passing_cycle(project, pilot_user), (key_user, "Owner"))
    sign(key_user, uat)
    obj = an_object(project, key_user, pm, name="Customers")
    load = a_load(obj, pm)
    load_sign_off(actor=key_user, load=load)
    a_task(project, pm, title="Freeze legacy system")
    complete_plan(project, pm)
    trained_end_users(project, pm, Department.SALES, count=10, trained=10)
    membership_set_go_live_roles(
        actor=pm,
        membership=Membership.objects.get(project=project, user=pm),
        on_hypercare_team=True,
    )
    add_kpi(project, pm, "Data-entry errors")
    return load


def prepare(project, actor, *signers) -> SignOff:
    return services.signoff_create(
        actor=actor,
        project=project,
        kind=SignoffKind.GO_LIVE,
        signatories=[{"user": user, "role_title": role} for user, role in signers],
    )


def request(actor, signoff, reason="") -> SignOff:
    return services.signoff_request(actor=actor, signoff=signoff, override_reason=reason)


def snapshot_section(page: str) -> str:
    """The frozen snapshot's part of the sign-off page."""
    return page.split('id="snapshot"', 1)[1].split("</section>", 1)[0]


def pdf_text(signoff) -> str:
    reader = PdfReader(io.BytesIO(signoff_pdf.render_signoff_pdf(signoff)))
    text = "\n".join(unicodedata.normalize("NFC", p.extract_text()) for p in reader.pages)
    return " ".join(text.split())


def make_red(project, pm, key_user, pilot_user):
    """Add a critical defect and an unreconciled data object to a ready project."""
    make_defect(project, pilot_user, severity=Severity.CRITICAL)
    obj = an_object(project, key_user, pm, name="Open invoices")
    a_load(obj, pm, loaded_count=80, rejected_count=20)


# --- Who may request it ---------------------------------------------------------------------


def test_a_consultant_requests_it_when_every_criterion_is_green(
    project, ready, consultant, executive
):
    signoff = request(consultant, prepare(project, consultant, (executive, "Sponsor")))

    assert signoff.status == SignoffStatus.REQUESTED
    assert signoff.override_criteria == []
    assert signoff.override_reason == ""


def test_while_red_a_consultant_cannot_request_it_even_with_a_reason(
    client, project, ready, pm, consultant, key_user, pilot_user, executive
):
    make_red(project, pm, key_user, pilot_user)
    signoff = prepare(project, consultant, (executive, "Sponsor"))

    with pytest.raises(ApplicationError):
        request(consultant, signoff)
    with pytest.raises(PermissionDenied):
        request(consultant, signoff, OVERRIDE_REASON)
    client.force_login(consultant)
    page = client.post(
        reverse("signoffs:request", args=[project.code, signoff.number]),
        {"override_reason": OVERRIDE_REASON},
    )

    assert page.status_code == 403
    stored = SignOff.objects.get(pk=signoff.pk)
    assert (stored.status, stored.snapshot_json, stored.override_criteria) == (
        SignoffStatus.DRAFT,
        "",
        [],
    )


def test_the_project_manager_overrides_red_criteria_and_every_signatory_sees_why(
    client, project, ready, pm, key_user, pilot_user, executive
):
    make_red(project, pm, key_user, pilot_user)
    signoff = prepare(project, pm, (executive, "Sponsor"), (key_user, "Business owner"))
    with pytest.raises(ApplicationError):
        request(pm, signoff)

    signoff = request(pm, signoff, OVERRIDE_REASON)

    assert signoff.override_criteria == ["no_open_critical_high", "migration_reconciled"]
    for signatory in (executive, key_user):
        client.force_login(signatory)
        page = client.get(detail_url(project, signoff)).content.decode()
        assert "Requested with an override of failing exit criteria" in page
        assert "No open critical or high defects in the project" in page
        assert "Every data object reconciled and signed off on its last load" in page
        assert OVERRIDE_REASON in page
        frozen = snapshot_section(page)
        assert "1 critical defect is open." in frozen
        assert "1 data object failed reconciliation on its last load." in frozen
        assert "Re-enter your password to sign" in page


# --- What the page and the PDF show ---------------------------------------------------------


def test_the_sign_off_page_shows_every_section_of_the_frozen_snapshot(
    client, project, ready, pm, key_user, pilot_user, it_member, executive
):
    deferred = make_defect(project, pilot_user, severity=Severity.HIGH)
    Defect.objects.filter(pk=deferred.pk).update(
        status=DefectStatus.DEFERRED,
        title="Rounding on credit notes",
        deferral_reason="Vendor patch in November.",
        workaround="Accountant corrects by hand.",
        target_date=datetime.date(2026, 11, 15),
    )
    a_task(project, pm, title="Switch off the old ERP", owner=None)
    trained_end_users(project, pm, Department.WAREHOUSE, count=4, trained=2)
    add_kpi(project, pm, "Order entry time", baseline=False)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    client.force_login(executive)

    frozen = snapshot_section(client.get(detail_url(project, signoff)).content.decode())

    assert "Go/no-go criteria" in frozen
    assert "Training coverage in every department at or above the threshold (%)" in frozen
    assert "50%" in frozen
    assert "90%" in frozen
    assert "Warehouse: 2 of 4 end users trained (50%, 90% needed)." in frozen
    assert "1 cutover task has no owner." in frozen
    assert "1 KPI has no baseline." in frozen
    assert "Rounding on credit notes" in frozen
    assert "Vendor patch in November." in frozen
    assert "Accountant corrects by hand." in frozen
    assert "Customers" in frozen
    assert "Reconciled" in frozen
    assert "1 of 2 tasks complete" in frozen
    assert "Switch off the old ERP" in frozen
    assert "Rehearsals: 1 held, 1 successful" in frozen
    assert "Warehouse" in frozen
    assert pm.display_name in frozen
    assert "The support plan was written." in frozen
    assert "Order entry time" in frozen
    assert "UAT sign-off: UAT round 1 · Signed" in frozen
    assert "Opening balances loaded" in frozen
    # Medium and low defects do not count for the go/no-go decision.
    assert "Medium" not in frozen


def test_the_page_shows_what_was_frozen_not_the_live_data(
    client, project, ready, pm, key_user, pilot_user, executive
):
    make_red(project, pm, key_user, pilot_user)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    MigrationObject.objects.filter(project=project, name="Open invoices").update(
        name="Renamed after the request"
    )
    client.force_login(executive)

    frozen = snapshot_section(client.get(detail_url(project, signoff)).content.decode())

    assert "Open invoices" in frozen
    assert "Renamed after the request" not in frozen


def test_the_pdf_shows_the_criteria_their_reasons_and_the_readiness_sections(
    project, ready, pm, key_user, pilot_user, executive
):
    make_red(project, pm, key_user, pilot_user)
    trained_end_users(project, pm, Department.WAREHOUSE, count=4, trained=2)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    sign(executive, signoff)
    signoff.refresh_from_db()
    # Live data changed after the sign-off: the document keeps what was signed.
    MigrationObject.objects.filter(project=project, name="Customers").update(name="Renamed")

    text = pdf_text(signoff)

    assert "Verdict Accepted with an override of failing exit criteria" in text
    assert "Exit criteria overridden at the request" in text
    assert OVERRIDE_REASON in text
    assert "Go/no-go criteria" in text
    for label in (
        "A UAT sign-off is signed",
        "No open critical or high defects in the project",
        "Every data object reconciled and signed off on its last load",
        "Cutover plan complete and rehearsed",
        "Training coverage in every department at or above the threshold (%)",
        "Hypercare team and support plan named",
        "Every KPI has its baseline",
    ):
        assert label in text
    assert "1 critical defect is open." in text
    assert "1 data object failed reconciliation on its last load." in text
    assert "Warehouse: 2 of 4 end users trained (50%, 90% needed)." in text
    assert "Open invoices" in text
    assert "Customers" in text
    assert "Renamed" not in text
    assert "Opening balances loaded" in text
    assert "UAT sign-off: UAT round 1" in text


def test_words_are_not_frozen_but_written_when_the_document_is_rendered(
    project, ready, pm, key_user, pilot_user, executive
):
    make_red(project, pm, key_user, pilot_user)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)

    with translation.override("vi"):
        context = signoff_pdf.signoff_pdf_context(signoff)

    # The snapshot holds keys and numbers; labels and reasons come from the active language.
    assert "critical defect" not in signoff.snapshot_json
    assert "Every data object reconciled" not in signoff.snapshot_json
    assert context["language"] == "vi"
    row = context["go_live"]["criteria"][1]
    assert (row["key"], row["met"], row["actual"], row["threshold"]) == (
        "no_open_critical_high",
        False,
        "1",
        "0",
    )
    assert row["reasons"] == ["1 critical defect is open."]  # no Vietnamese catalogue yet


def test_the_pdf_prints_100_of_150_blocking_defects_and_the_snapshot_keeps_all(
    project, ready, pm, pilot_user, executive
):
    Defect.objects.bulk_create(
        Defect(
            project=project,
            number=number,
            title=f"Invoice posting fails, case {number}",
            severity=Severity.HIGH if number % 2 else Severity.CRITICAL,
            status=DefectStatus.DEFERRED if number > 150 else DefectStatus.NEW,
            deferral_reason="After go-live." if number > 150 else "",
            reporter=pilot_user,
        )
        for number in range(1, 151 + 120)
    )
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)

    content = json.loads(signoff.snapshot_json)["content"]
    html = signoff_pdf.render_signoff_html(signoff)
    text = pdf_text(signoff)

    # The snapshot (and so its hash) holds every row; the document prints the first 100.
    assert len(content["blocking_defects"]) == 150
    assert len(content["deferred_defects"]) == 120
    blocking = html.split("Open critical and high defects", 1)[1].split("Data migration", 1)[0]
    assert blocking.count('class="item"') == 100
    assert "and 50 more (listed in the sign-off&#x27;s snapshot)" in blocking
    deferred = html.split("Deferred defects", 1)[1].split("Signatures", 1)[0]
    assert deferred.count('class="item"') == 100
    assert "and 20 more (listed in the sign-off&#x27;s snapshot)" in deferred
    assert "and 50 more (listed in the sign-off's snapshot)" in text
    assert "and 20 more (listed in the sign-off's snapshot)" in text


def test_a_short_list_prints_whole_without_a_more_line(project, ready, pm, pilot_user, executive):
    make_red(project, pm, pilot_user, pilot_user)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)

    html = signoff_pdf.render_signoff_html(signoff)

    assert 'class="more"' not in html


# --- Freshness ------------------------------------------------------------------------------


def test_a_pending_request_goes_stale_when_a_load_is_signed_off(
    client, project, ready, pm, key_user, executive
):
    obj = an_object(project, key_user, pm, name="Open invoices")
    load = a_load(obj, pm)
    signoff = request(pm, prepare(project, pm, (executive, "Sponsor")), OVERRIDE_REASON)
    assert signoff.override_criteria == ["migration_reconciled"]

    load_sign_off(actor=key_user, load=load)
    client.force_login(executive)
    page = client.get(detail_url(project, signoff)).content.decode()

    stored = SignOff.objects.get(pk=signoff.pk)
    assert stored.stale_at is not None
    assert "Data object: Open invoices changed" in stored.stale_reason
    assert "Readiness figure: objects_unsigned changed from 1 to 0" in stored.stale_reason
    assert 'id="stale"' in page
    assert "Re-enter your password to sign" not in page
    readiness = client.get(reverse("golive:readiness", args=[project.code])).content.decode()
    assert "Stale: the panel changed since the request" in readiness


@pytest.mark.django_db
def test_the_readiness_panel_opens_the_sign_off_form_on_the_go_no_go_decision(client, project, pm):
    client.force_login(pm)

    panel = client.get(reverse("golive:readiness", args=[project.code])).content.decode()
    form = client.get(reverse("signoffs:create", args=[project.code]) + "?kind=go_live")
    plain = client.get(reverse("signoffs:create", args=[project.code]) + "?kind=nonsense")

    assert f"/projects/{project.code}/sign-offs/new/?kind=go_live" in panel
    assert form.context["form"].initial == {"kind": "go_live"}
    assert re.search(r'value="go_live"[^>]*checked', form.content.decode())
    assert not re.search(r'value="uat"[^>]*checked', form.content.decode())
    assert plain.status_code == 200
    assert plain.context["form"].initial == {}
