"""KPI pages: who sees and does what, defining KPIs and adding them from templates, recording
and correcting measurements, baseline discipline before and after go-live, bulk entry and CSV
import (all or nothing), the figures and how they are computed, HTMX fragments and query
counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from implementation.models import Phase
from kpis import catalogue
from kpis.choices import Cadence, Direction, KpiCategory, MeasurementSource
from kpis.forms import MAX_IMPORT_BYTES
from kpis.models import BaselineChange, Kpi, Measurement
from projects.choices import Role
from tests.factories import MembershipFactory

HTMX = {"HX-Request": "true"}
MANAGE = {Role.PROJECT_MANAGER, Role.CONSULTANT}
RECORD = {Role.PROJECT_MANAGER, Role.CONSULTANT, Role.KEY_USER}
BASELINE_DAY = datetime.date(2026, 1, 31)
TARGET_DAY = datetime.date(2027, 1, 31)
MEASURED_DAY = datetime.date(2026, 10, 31)  # after go-live; day 273 of the 365 to the target


def url(name, project, *args) -> str:
    return reverse(f"kpis:{name}", args=[project.code, *args])


def make_kpi(project, owner, name="Data-entry errors", **fields) -> Kpi:
    values = {
        "category": KpiCategory.QUALITY,
        "unit": "errors",
        "direction": Direction.LOWER,
        "baseline_value": Decimal("12"),
        "baseline_date": BASELINE_DAY,
        "target_value": Decimal("8.4"),
        "target_date": TARGET_DAY,
        "cadence": Cadence.MONTHLY,
    } | fields
    return Kpi.objects.create(project=project, name=name, owner=owner, created_by=owner, **values)


def measure(kpi, day, value, by=None) -> Measurement:
    return Measurement.objects.create(
        kpi=kpi, measured_on=day, value=Decimal(value), recorded_by=by or kpi.owner
    )


def before_go_live(project) -> None:
    """Move go-live into the future, so baselines are not locked yet."""
    project.target_go_live = project.local_today() + datetime.timedelta(days=60)
    project.save()


def state() -> tuple:
    return (
        list(Kpi.objects.order_by("pk").values()),
        list(Measurement.objects.order_by("pk").values()),
        BaselineChange.objects.count(),
    )


@pytest.fixture
def kpi(project, pm):
    return make_kpi(project, pm)


# --- Who sees what ------------------------------------------------------------------------

PAGES = {
    # name: (needs the KPI's pk, who may open it)
    "overview": (False, set(Role)),
    "detail": (True, set(Role)),
    "reports": (False, set(Role)),
    "create": (False, MANAGE),
    "edit": (True, MANAGE),
    "templates": (False, MANAGE),
    "bulk": (False, RECORD),
    "import": (False, RECORD),
    "import-sample": (False, RECORD),
}


def page_url(name, project, kpi) -> str:
    return url(name, project, kpi.pk) if PAGES[name][0] else url(name, project)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_manager(client, project, pm, kpi, name):
    measure(kpi, MEASURED_DAY, "10")
    client.force_login(pm)

    response = client.get(page_url(name, project, kpi))

    assert response.status_code == 200
    if name != "import-sample":
        assert b"<html" in response.content


@pytest.mark.parametrize("name", PAGES)
def test_pages_by_role(client, project, members, kpi, name):
    allowed = PAGES[name][1]
    for role, user in members.items():
        client.force_login(user)
        expected = 200 if role in allowed else 403
        assert client.get(page_url(name, project, kpi)).status_code == expected, role


ACTIONS = [
    *[(name, PAGES[name][0]) for name in PAGES],
    ("baseline", True),
    ("measurement-record", True),
]


@pytest.mark.parametrize(("name", "with_pk"), ACTIONS)
def test_anonymous_is_sent_to_login_and_outsider_gets_404(
    client, project, kpi, outsider, name, with_pk
):
    page = url(name, project, kpi.pk) if with_pk else url(name, project)
    before = state()

    for method in ("get", "post"):
        response = getattr(client, method)(page)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={page}")

    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(page, {"name": "x", "value": "1"}).status_code == 404
    assert state() == before


def test_a_kpi_of_another_project_is_404(client, project, pm):
    other = MembershipFactory(role=Role.PROJECT_MANAGER)
    elsewhere = make_kpi(other.project, other.user)
    client.force_login(pm)

    assert client.get(url("detail", project, elsewhere.pk)).status_code == 404
    assert client.post(url("measurement-record", project, elsewhere.pk)).status_code == 404


@pytest.mark.parametrize(
    ("role", "name", "data"),
    [
        (Role.PILOT_USER, "create", {"name": "Lead time"}),
        (Role.KEY_USER, "create", {"name": "Lead time"}),
        (Role.PILOT_USER, "templates", {"templates": ["month_end_close"]}),
        (Role.IT, "edit", {"name": "Renamed"}),
        (Role.EXECUTIVE, "measurement-record", {"measured_on": "2026-11-01", "value": "9"}),
        (Role.VIEWER, "bulk", {}),
        (Role.PILOT_USER, "import", {}),
        (Role.CONSULTANT, "baseline", {"value": "11", "day": "2026-02-01", "reason": "x"}),
        (Role.KEY_USER, "baseline", {"value": "11", "day": "2026-02-01", "reason": "x"}),
    ],
)
def test_member_without_the_capability_gets_403_and_nothing_changes(
    client, project, members, kpi, role, name, data
):
    before = state()
    client.force_login(members[role])
    page = url(name, project, kpi.pk) if PAGES.get(name, (True,))[0] else url(name, project)

    response = client.post(page, data)

    assert response.status_code == 403
    assert state() == before


def test_key_user_may_not_record_a_baseline_even_before_go_live(client, project, key_user, kpi):
    before_go_live(project)
    before = state()
    client.force_login(key_user)

    response = client.post(url("baseline", project, kpi.pk), {"value": "11", "day": "2026-02-01"})

    assert response.status_code == 403
    assert state() == before


def test_viewer_may_not_correct_a_measurement(client, project, viewer, kpi):
    measurement = measure(kpi, MEASURED_DAY, "10")
    client.force_login(viewer)

    response = client.post(
        url("measurement-correct", project, kpi.pk, measurement.pk),
        {"value": "9", "note": "typo"},
    )

    assert response.status_code == 403
    measurement.refresh_from_db()
    assert measurement.value == Decimal("10")
    assert measurement.corrections == []


def test_owner_without_the_recorder_role_records_their_own_kpi_only(
    client, project, pm, pilot_user
):
    mine = make_kpi(project, pilot_user, name="Weekly active users")
    theirs = make_kpi(project, pm, name="Month-end close")
    client.force_login(pilot_user)

    bulk = client.get(url("bulk", project))
    allowed = client.post(
        url("measurement-record", project, mine.pk),
        {"measured_on": "2026-11-01", "value": "40"},
    )
    refused = client.post(
        url("measurement-record", project, theirs.pk),
        {"measured_on": "2026-11-01", "value": "9"},
    )

    assert bulk.status_code == 200
    assert [kpi.pk for kpi in bulk.context["form"].kpis] == [mine.pk]
    assert allowed.status_code == 302
    assert refused.status_code == 403
    assert list(Measurement.objects.values_list("kpi_id", "value")) == [
        (mine.pk, Decimal("40.0000"))
    ]


# --- Defining KPIs ------------------------------------------------------------------------


def kpi_form(owner, **changes) -> dict:
    return {
        "name": "Order-processing productivity",
        "description": "",
        "category": KpiCategory.PROCESS_EFFICIENCY,
        "unit": "orders per hour",
        "direction": Direction.HIGHER,
        "target_value": "12",
        "target_date": "2027-06-30",
        "owner": str(owner.pk),
        "cadence": Cadence.MONTHLY,
        "module": "Sales",
        "phase": "",
        "baseline_value": "",
        "baseline_date": "",
        "baseline_method": "",
    } | changes


def test_create_before_go_live_records_the_baseline_and_its_history(client, project, pm, key_user):
    before_go_live(project)
    client.force_login(pm)

    response = client.post(
        url("create", project),
        kpi_form(
            key_user,
            baseline_value="10",
            baseline_date="2026-10-01",
            baseline_method="Orders of March counted",
        ),
    )

    kpi = Kpi.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("detail", project, kpi.pk)
    assert (kpi.owner, kpi.baseline_value, kpi.baseline_date) == (
        key_user,
        Decimal("10.0000"),
        datetime.date(2026, 10, 1),
    )
    assert kpi.baseline_method == "Orders of March counted"
    assert list(kpi.baseline_changes.values_list("new_value", "after_go_live", "changed_by")) == [
        (Decimal("10.0000"), False, pm.pk)
    ]


def test_create_after_go_live_offers_no_baseline_fields(client, project, consultant):
    client.force_login(consultant)

    page = client.get(url("create", project))
    response = client.post(url("create", project), kpi_form(consultant))

    assert 'name="baseline_value"' not in page.content.decode()
    assert "has passed" in page.content.decode()
    assert response.status_code == 302
    kpi = Kpi.objects.get()
    assert (kpi.baseline_value, kpi.baseline_date) == (None, None)


def test_create_offers_the_team_as_owners_and_the_projects_phases(client, project, pm, outsider):
    client.force_login(pm)

    form = client.get(url("create", project)).context["form"]

    assert list(form.fields["owner"].queryset) == [pm]
    assert outsider not in form.fields["owner"].queryset
    assert set(form.fields["phase"].queryset) == set(Phase.objects.filter(project=project))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target_value": "abc"}, "target_value", "Enter a number."),
        (
            {"baseline_value": "10", "baseline_date": "2026-10-01", "target_date": "2026-09-01"},
            "target_date",
            "The target date must be after the baseline date (2026-10-01).",
        ),
        (
            {"baseline_value": "10", "baseline_date": "2026-10-01", "target_value": "8"},
            "target_value",
            "Higher is better: the target cannot be below the baseline.",
        ),
        ({"baseline_value": "10"}, "baseline_date", "A baseline needs both a value and a date."),
    ],
)
def test_create_shows_errors_on_the_fields_and_saves_nothing(
    client, project, pm, changes, field, message
):
    before_go_live(project)
    client.force_login(pm)

    response = client.post(url("create", project), kpi_form(pm, **changes))

    assert response.status_code == 422
    assert message in response.context["form"].errors[field]
    assert Kpi.objects.count() == 0


def test_create_refuses_a_name_taken_in_the_project(client, project, pm, kpi):
    client.force_login(pm)

    response = client.post(url("create", project), kpi_form(pm, name="data-entry ERRORS"))

    assert response.status_code == 422
    assert response.context["form"].errors["name"] == [
        "This project already has a KPI of that name."
    ]
    assert Kpi.objects.count() == 1


def test_create_with_htmx_answers_the_form_fragment_then_a_redirect(client, project, pm):
    client.force_login(pm)

    refused = client.post(url("create", project), kpi_form(pm, target_value="abc"), headers=HTMX)
    created = client.post(url("create", project), kpi_form(pm), headers=HTMX)

    assert refused.status_code == 422
    assert b"<html" not in refused.content
    assert b'id="kpi-form"' in refused.content
    assert created.status_code == 200
    assert created["HX-Redirect"] == url("detail", project, Kpi.objects.get().pk)


def test_edit_changes_the_kpi_but_not_its_baseline(client, project, consultant, pm, kpi):
    client.force_login(consultant)
    data = kpi_form(
        pm,
        name="Data-entry errors",
        category=KpiCategory.QUALITY,
        unit="errors per 1,000 documents",
        direction=Direction.LOWER,
        target_value="8",
        target_date="2027-01-31",
    )

    page = client.get(url("edit", project, kpi.pk))
    response = client.post(url("edit", project, kpi.pk), data)

    assert 'name="baseline_value"' not in page.content.decode()
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.unit, kpi.target_value, kpi.baseline_value) == (
        "errors per 1,000 documents",
        Decimal("8.0000"),
        Decimal("12.0000"),
    )


def test_edit_refuses_a_target_date_before_the_baseline_date(client, project, pm, kpi):
    client.force_login(pm)
    data = kpi_form(
        pm,
        name=kpi.name,
        direction=Direction.LOWER,
        target_value="8.4",
        target_date="2026-01-01",
    )

    response = client.post(url("edit", project, kpi.pk), data)

    assert response.status_code == 422
    assert response.context["form"].errors["target_date"] == [
        "The target date must be after the baseline date (2026-01-31)."
    ]
    kpi.refresh_from_db()
    assert kpi.target_date == TARGET_DAY


def test_templates_page_marks_those_already_added(client, project, pm):
    make_kpi(project, pm, name="Month-end close")
    client.force_login(pm)

    response = client.get(url("templates", project))

    rows = {row["template"].key: row for row in response.context["rows"]}
    assert len(rows) == len(catalogue.TEMPLATES)
    assert rows["month_end_close"]["added"] is True
    assert rows["lead_conversion"]["added"] is False
    content = response.content.decode()
    assert "Already added" in content
    assert "Cut the accounting month-end close from 10 days to 5." in content
    assert "from 18% to 22%, 6 months after go-live" in content


def test_templates_are_added_in_one_click(client, project, pm):
    make_kpi(project, pm, name="Month-end close")
    client.force_login(pm)

    response = client.post(
        url("templates", project), {"templates": ["lead_conversion", "month_end_close"]}
    )

    assert response.status_code == 302
    assert response["Location"] == url("overview", project)
    assert sorted(Kpi.objects.values_list("name", flat=True)) == [
        "Lead conversion rate",
        "Month-end close",
    ]
    added = Kpi.objects.get(template_key="lead_conversion")
    assert (added.target_value, added.unit, added.owner, added.baseline_value) == (
        Decimal("22.0000"),
        "%",
        pm,
        None,
    )


def test_templates_need_at_least_one_ticked(client, project, pm):
    client.force_login(pm)

    response = client.post(url("templates", project), {}, headers=HTMX)

    assert response.status_code == 422
    assert b"<html" not in response.content
    assert b"Choose one or more KPI templates." in response.content
    assert Kpi.objects.count() == 0


# --- Recording and correcting -------------------------------------------------------------


def test_record_a_measurement(client, project, key_user, kpi):
    client.force_login(key_user)

    response = client.post(
        url("measurement-record", project, kpi.pk),
        {"measured_on": "2026-11-02", "value": "9.5", "note": "October invoices"},
    )

    assert response.status_code == 302
    assert response["Location"] == url("detail", project, kpi.pk)
    measurement = Measurement.objects.get()
    assert (measurement.measured_on, measurement.value, measurement.note) == (
        datetime.date(2026, 11, 2),
        Decimal("9.5000"),
        "October invoices",
    )
    assert measurement.recorded_by == key_user


def test_a_second_value_for_a_day_is_refused(client, project, key_user, kpi):
    measure(kpi, datetime.date(2026, 11, 2), "9.5")
    client.force_login(key_user)

    response = client.post(
        url("measurement-record", project, kpi.pk), {"measured_on": "2026-11-02", "value": "9"}
    )

    assert response.status_code == 422
    assert response.context["record_form"].errors["measured_on"] == [
        "2026-11-02 already has a value; correct that measurement instead."
    ]
    assert Measurement.objects.get().value == Decimal("9.5000")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"value": "abc"}, "value", "Enter a number."),
        ({"measured_on": "tomorrow"}, "measured_on", "A measurement cannot be in the future."),
        ({"measured_on": ""}, "measured_on", "This field is required."),
    ],
)
def test_record_shows_errors_on_the_fields(client, project, pm, kpi, data, field, message):
    if data.get("measured_on") == "tomorrow":
        tomorrow = project.local_today() + datetime.timedelta(days=1)
        data = {"measured_on": tomorrow.isoformat()}
    client.force_login(pm)

    response = client.post(
        url("measurement-record", project, kpi.pk),
        {"measured_on": "2026-11-02", "value": "9"} | data,
    )

    assert response.status_code == 422
    assert response.context["record_form"].errors[field] == [message]
    assert Measurement.objects.count() == 0


def test_record_with_htmx_answers_the_form_fragment(client, project, pm, kpi):
    client.force_login(pm)

    refused = client.post(
        url("measurement-record", project, kpi.pk),
        {"measured_on": "2026-11-02", "value": "abc"},
        headers=HTMX,
    )
    saved = client.post(
        url("measurement-record", project, kpi.pk),
        {"measured_on": "2026-11-02", "value": "9"},
        headers=HTMX,
    )

    assert refused.status_code == 422
    assert b"<html" not in refused.content
    assert refused.content.decode().lstrip().startswith('<section class="card" id="record">')
    assert saved.status_code == 200
    assert saved["HX-Redirect"] == url("detail", project, kpi.pk)


def test_correct_a_measurement_keeps_the_earlier_value(client, project, pm, key_user, kpi):
    measurement = measure(kpi, MEASURED_DAY, "10", by=key_user)
    client.force_login(pm)

    response = client.post(
        url("measurement-correct", project, kpi.pk, measurement.pk),
        {"value": "9.8", "note": "Recounted: two duplicates"},
    )

    assert response.status_code == 302
    measurement.refresh_from_db()
    assert (measurement.value, measurement.note, measurement.recorded_by) == (
        Decimal("9.8000"),
        "Recounted: two duplicates",
        pm,
    )
    assert [(c["value"], c["by"]) for c in measurement.corrections] == [
        ("10.0000", key_user.get_username())
    ]
    page = client.get(url("detail", project, kpi.pk)).content.decode()
    assert "Earlier values:" in page
    assert f"10 errors, recorded by {key_user.get_username()}" in page
    assert "corrected once" in page


def test_a_correction_needs_a_note(client, project, pm, kpi):
    measurement = measure(kpi, MEASURED_DAY, "10")
    client.force_login(pm)
    page = url("measurement-correct", project, kpi.pk, measurement.pk)

    full = client.post(page, {"value": "9", "note": ""})
    fragment = client.post(page, {"value": "9", "note": ""}, headers=HTMX)

    assert full.status_code == 422
    assert b"<html" in full.content
    assert fragment.status_code == 422
    assert b"<html" not in fragment.content
    assert f'id="correct-{measurement.pk}" open'.encode() in fragment.content
    assert b"This field is required." in fragment.content
    measurement.refresh_from_db()
    assert measurement.value == Decimal("10.0000")


def test_a_measurement_of_another_kpi_is_404(client, project, pm, kpi):
    other = make_kpi(project, pm, name="Month-end close")
    measurement = measure(other, MEASURED_DAY, "10")
    client.force_login(pm)

    response = client.post(
        url("measurement-correct", project, kpi.pk, measurement.pk), {"value": "9", "note": "x"}
    )

    assert response.status_code == 404


# --- The baseline -------------------------------------------------------------------------


def test_baseline_is_recorded_before_go_live_by_a_consultant(client, project, consultant, pm):
    before_go_live(project)
    kpi = make_kpi(project, pm, baseline_value=None, baseline_date=None)
    client.force_login(consultant)

    page = client.get(url("detail", project, kpi.pk)).content.decode()
    response = client.post(
        url("baseline", project, kpi.pk),
        {"value": "12", "day": "2026-10-01", "method": "Three months of invoices"},
    )

    assert 'name="reason"' not in page
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.baseline_value, kpi.baseline_date, kpi.baseline_method) == (
        Decimal("12.0000"),
        datetime.date(2026, 10, 1),
        "Three months of invoices",
    )
    change = kpi.baseline_changes.get()
    assert (change.old_value, change.new_value, change.after_go_live, change.reason) == (
        None,
        Decimal("12.0000"),
        False,
        "",
    )


def test_baseline_errors_are_shown_on_the_fields(client, project, consultant, kpi):
    before_go_live(project)
    client.force_login(consultant)
    future = (project.local_today() + datetime.timedelta(days=1)).isoformat()

    response = client.post(
        url("baseline", project, kpi.pk), {"value": "abc", "day": future}, headers=HTMX
    )
    later = client.post(url("baseline", project, kpi.pk), {"value": "11", "day": future})

    assert response.status_code == 422
    assert b"<html" not in response.content
    assert b'id="baseline"' in response.content
    assert later.status_code == 422
    assert later.context["baseline_form"].errors["day"] == [
        "The baseline cannot be dated in the future."
    ]
    assert BaselineChange.objects.count() == 0


def test_locked_baseline_shows_a_notice_and_no_form_to_a_consultant(
    client, project, consultant, kpi
):
    client.force_login(consultant)

    content = client.get(url("detail", project, kpi.pk)).content.decode()

    assert "Locked since go-live (2026-10-05)." in content
    assert "Only the project manager can change it now" in content
    assert url("baseline", project, kpi.pk) not in content


def test_locked_baseline_is_changed_by_the_pm_with_a_reason(client, project, pm, kpi):
    client.force_login(pm)
    page = url("baseline", project, kpi.pk)

    form = client.get(url("detail", project, kpi.pk)).content.decode()
    without = client.post(page, {"value": "13", "day": "2026-02-01"})
    response = client.post(
        page, {"value": "13", "day": "2026-02-01", "reason": "January invoices were missing"}
    )

    assert 'name="reason"' in form
    assert without.status_code == 422
    assert without.context["baseline_form"].errors["reason"] == ["This field is required."]
    assert response.status_code == 302
    kpi.refresh_from_db()
    assert (kpi.baseline_value, kpi.baseline_date) == (
        Decimal("13.0000"),
        datetime.date(2026, 2, 1),
    )
    change = kpi.baseline_changes.get()
    assert (change.old_value, change.new_value, change.after_go_live, change.reason) == (
        Decimal("12.0000"),
        Decimal("13.0000"),
        True,
        "January invoices were missing",
    )
    history = client.get(url("detail", project, kpi.pk)).content.decode()
    assert "January invoices were missing" in history
    assert "after go-live" in history


# --- Figures and how they are computed ----------------------------------------------------


def figures_of(response) -> dict:
    return {figure.key: figure for figure in response.context["explained"]}


def test_detail_explains_each_figure_with_its_numbers(client, project, viewer, kpi):
    measure(kpi, MEASURED_DAY, "7.2")
    client.force_login(viewer)

    response = client.get(url("detail", project, kpi.pk))

    figures = figures_of(response)
    assert figures["latest"].value == "7.2 errors"
    assert figures["progress"].value == "133%"
    assert figures["progress"].how.startswith(
        "Progress = (latest − baseline) ÷ (target − baseline) = (7.2 − 12) ÷ (8.4 − 12) = 133.33%."
    )
    assert figures["expected"].how.startswith(
        "Expected on 2026-10-31 = days from the baseline date (2026-01-31) to 2026-10-31 ÷ days "
        "from the baseline date to the target date (2027-01-31) = 273 ÷ 365 = 74.79%"
    )
    assert figures["status"].value == "Achieved"
    assert figures["status"].how.startswith(
        "The latest value 7.2 errors meets the target 8.4 errors (lower is better)."
    )
    assert "at risk up to 10 points below it" in figures["status"].how
    assert figures["next_due"].how.startswith(
        "Next due = last measurement (2026-10-31) + one month = 2026-11-30."
    )
    content = response.content.decode()
    assert "(7.2 − 12) ÷ (8.4 − 12) = 133.33%" in content
    assert "<svg" in content
    assert "kpi-chart" in content


def test_detail_explains_an_at_risk_status(client, project, viewer, kpi):
    measure(kpi, MEASURED_DAY, "9.48")  # progress 70%, expected 74.79%
    client.force_login(viewer)

    figures = figures_of(client.get(url("detail", project, kpi.pk)))

    assert figures["status"].value == "At risk"
    assert figures["status"].how.startswith(
        "Progress 70% is 4.79 points below the expected 74.79%: within the at-risk margin of "
        "10 points."
    )


def test_detail_without_baseline_or_measurements_says_so(client, project, viewer, pm):
    kpi = make_kpi(project, pm, baseline_value=None, baseline_date=None)
    client.force_login(viewer)

    response = client.get(url("detail", project, kpi.pk))

    figures = figures_of(response)
    assert figures["latest"].how == "Nothing has been measured yet."
    assert figures["status"].value == "No baseline"
    assert figures["next_due"].how.startswith(
        "Next due = go-live (2026-10-05) + one month = 2026-11-05"
    )
    assert "expected" not in figures


def test_measurements_are_paginated_and_htmx_gets_the_list(client, project, viewer, kpi):
    for offset in range(30):
        measure(kpi, MEASURED_DAY - datetime.timedelta(days=offset), str(10 + offset))
    client.force_login(viewer)

    first = client.get(url("detail", project, kpi.pk))
    second = client.get(url("detail", project, kpi.pk) + "?page=2", headers=HTMX)

    assert len(first.context["measurements"]) == 25
    assert second.status_code == 200
    assert b"<html" not in second.content
    assert second.content.decode().lstrip().startswith('<section class="card" id="measurements">')
    assert second.content.count(b'id="measurement-') == 5
    assert "HX-Request" in second["Vary"]


# --- Overview -----------------------------------------------------------------------------


def test_overview_shows_status_counts_and_a_card_per_kpi(client, project, executive, pm):
    achieved = make_kpi(project, pm, name="Data-entry errors")
    measure(achieved, MEASURED_DAY, "7.2")
    make_kpi(project, pm, name="Month-end close", baseline_value=None, baseline_date=None)
    client.force_login(executive)

    response = client.get(url("overview", project))

    content = response.content.decode()
    counts = {row["status"]: row["count"] for row in response.context["counts"]}
    assert counts["achieved"] == 1
    assert counts["no_baseline"] == 1
    assert "kpi-status-bar" in content
    assert content.count('class="card kpi-card"') == 2
    assert "7.2 errors" in content
    assert "133%" in content
    assert url("detail", project, achieved.pk) in content
    # Executives read: no buttons to add KPIs or enter values.
    assert url("create", project) not in content
    assert url("bulk", project) not in content
    assert url("reports", project) in content
    assert f'href="{url("overview", project)}" aria-current="page"' in content


def test_overview_shows_the_buttons_to_those_allowed(client, project, pm, key_user):
    client.force_login(pm)
    manager = client.get(url("overview", project)).content.decode()
    client.force_login(key_user)
    recorder = client.get(url("overview", project)).content.decode()

    for page in (url("create", project), url("templates", project), url("bulk", project)):
        assert page in manager
    assert url("import", project) in recorder
    assert url("create", project) not in recorder


def test_overview_with_htmx_answers_the_grid(client, project, viewer, kpi):
    client.force_login(viewer)

    response = client.get(url("overview", project), headers=HTMX)

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response.content.decode().lstrip().startswith('<div id="kpi-grid">')
    assert "HX-Request" in response["Vary"]


def _count(client, page) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_overview_query_count_is_the_same_for_2_and_20_kpis(client, project, pm):
    for number in range(2):
        measure(make_kpi(project, pm, name=f"KPI {number}"), MEASURED_DAY, "10")
    client.force_login(pm)
    client.get(url("overview", project))  # warm process-wide caches
    with_2 = _count(client, url("overview", project))

    for number in range(2, 20):
        measure(make_kpi(project, pm, name=f"KPI {number}"), MEASURED_DAY, "10")

    assert _count(client, url("overview", project)) == with_2


def test_overview_query_count_is_the_same_for_2_and_200_measurements(client, project, pm, kpi):
    other = make_kpi(project, pm, name="Month-end close")
    for offset in range(2):
        measure(kpi, MEASURED_DAY - datetime.timedelta(days=offset), "10")
    client.force_login(pm)
    client.get(url("overview", project))
    with_2 = _count(client, url("overview", project))

    for offset in range(198):
        measure(other, MEASURED_DAY - datetime.timedelta(days=offset), "10")

    assert _count(client, url("overview", project)) == with_2


# --- Bulk entry ---------------------------------------------------------------------------


@pytest.fixture
def two(project, pm, kpi):
    return kpi, make_kpi(
        project, pm, name="Month-end close", unit="days", baseline_value=10, target_value=5
    )


def bulk_data(first, second, **cells) -> dict:
    data = {
        f"date_{first.pk}": "2026-11-02",
        f"value_{first.pk}": "",
        f"note_{first.pk}": "",
        f"date_{second.pk}": "2026-11-02",
        f"value_{second.pk}": "",
        f"note_{second.pk}": "",
    }
    for name, value in cells.items():
        field, which = name.rsplit("_", 1)
        data[f"{field}_{(first if which == '1' else second).pk}"] = value
    return data


def test_bulk_entry_defaults_to_today_and_ignores_empty_rows(client, project, key_user, two):
    first, second = two
    client.force_login(key_user)

    page = client.get(url("bulk", project))
    response = client.post(url("bulk", project), bulk_data(first, second, value_1="9.1"))

    assert page.context["form"][f"date_{first.pk}"].value() == project.local_today()
    assert response.status_code == 302
    assert response["Location"] == url("overview", project)
    assert list(Measurement.objects.values_list("kpi_id", "value", "recorded_by")) == [
        (first.pk, Decimal("9.1000"), key_user.pk)
    ]


def test_bulk_entry_with_one_bad_row_saves_nothing(client, project, pm, two):
    first, second = two
    tomorrow = (project.local_today() + datetime.timedelta(days=1)).isoformat()
    client.force_login(pm)

    response = client.post(
        url("bulk", project), bulk_data(first, second, value_1="9.1", value_2="7", date_2=tomorrow)
    )

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors == {f"date_{second.pk}": ["A measurement cannot be in the future."]}
    assert "Nothing was saved" in response.content.decode()
    assert 'id="row-2" data-kpi' in response.content.decode()
    assert Measurement.objects.count() == 0


def test_bulk_entry_reports_a_day_already_measured_on_its_row(client, project, pm, two):
    first, second = two
    measure(second, datetime.date(2026, 11, 2), "6")
    client.force_login(pm)

    response = client.post(
        url("bulk", project), bulk_data(first, second, value_1="9.1", value_2="5.5"), headers=HTMX
    )

    assert response.status_code == 422
    assert b"<html" not in response.content
    assert response.context["form"].errors == {
        f"date_{second.pk}": ["2026-11-02 already has a value; correct it on the KPI's page."]
    }
    assert Measurement.objects.count() == 1


def test_bulk_entry_needs_a_value_and_refuses_words(client, project, pm, two):
    first, second = two
    client.force_login(pm)

    empty = client.post(url("bulk", project), bulk_data(first, second))
    words = client.post(url("bulk", project), bulk_data(first, second, value_1="abc"))
    note_only = client.post(url("bulk", project), bulk_data(first, second, note_2="forgot"))

    assert empty.status_code == 422
    assert empty.context["form"].non_field_errors() == ["Enter at least one value."]
    assert words.context["form"].errors == {f"value_{first.pk}": ["Enter a number."]}
    assert note_only.context["form"].errors == {f"value_{second.pk}": ["Give the measured value."]}
    assert Measurement.objects.count() == 0


# --- CSV import ---------------------------------------------------------------------------


def csv_file(text: str, name="values.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_import_saves_every_row(client, project, key_user, two):
    client.force_login(key_user)
    text = (
        "kpi,date,value,note\nData-entry errors,2026-11-02,9.1,\nmonth-end close,2026-11-02,6,Q3\n"
    )

    response = client.post(url("import", project), {"file": csv_file(text)})

    assert response.status_code == 302
    assert sorted(Measurement.objects.values_list("kpi__name", "value", "note", "source")) == [
        ("Data-entry errors", Decimal("9.1000"), "", MeasurementSource.IMPORT),
        ("Month-end close", Decimal("6.0000"), "Q3", MeasurementSource.IMPORT),
    ]


def test_import_lists_problems_by_line_and_column_and_saves_nothing(client, project, key_user, two):
    client.force_login(key_user)
    text = (
        "kpi,date,value,note\n"
        "Data-entry errors,2026-11-02,9.1,\n"
        "Lead time,2026-11-02,3,\n"
        "Month-end close,02/11/2026,abc,\n"
    )

    response = client.post(url("import", project), {"file": csv_file(text)})

    assert response.status_code == 422
    assert [(p["row"], p["column"]) for p in response.context["problems"]] == [
        (3, "kpi"),
        (4, "date"),
        (4, "value"),
    ]
    content = response.content.decode()
    assert 'id="import-problems"' in content
    assert "Nothing was imported: 3 problems were found." in content
    assert "No KPI of this project is called “Lead time”." in content
    assert Measurement.objects.count() == 0


def test_import_reports_a_future_date_on_its_line(client, project, key_user, two):
    tomorrow = (project.local_today() + datetime.timedelta(days=1)).isoformat()
    client.force_login(key_user)
    text = f"kpi,date,value\nData-entry errors,2026-11-02,9\nMonth-end close,{tomorrow},6\n"

    response = client.post(url("import", project), {"file": csv_file(text)}, headers=HTMX)

    assert response.status_code == 422
    assert b"<html" not in response.content
    assert [(p["row"], p["column"], p["message"]) for p in response.context["problems"]] == [
        (3, "date", "A measurement cannot be in the future.")
    ]
    assert Measurement.objects.count() == 0


def test_import_shows_a_problem_with_the_file_on_the_field(client, project, key_user, two):
    client.force_login(key_user)

    missing = client.post(url("import", project), {"file": csv_file("kpi,value\nx,1\n")})
    binary = client.post(url("import", project), {"file": csv_file("", name="x.csv")})

    assert missing.status_code == 422
    assert missing.context["form"].errors["file"] == ["Missing columns: date."]
    assert binary.status_code == 422
    assert binary.context["form"].errors["file"]


def test_import_refuses_files_over_2_mb(client, project, key_user, two):
    client.force_login(key_user)
    big = "kpi,date,value\n" + "x" * MAX_IMPORT_BYTES

    response = client.post(url("import", project), {"file": csv_file(big)})

    assert response.status_code == 422
    assert response.context["form"].errors["file"] == ["The file is larger than 2 MB."]


def test_import_sample_lists_the_kpis_dated_today(client, project, key_user, two):
    client.force_login(key_user)

    response = client.get(url("import-sample", project))

    today = project.local_today().isoformat()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="HNR-ERP-measurements-{today}.csv"'
    )
    assert response.content.decode().splitlines() == [
        "kpi,date,value,note",
        f"Data-entry errors,{today},,",
        f"Month-end close,{today},,",
    ]
