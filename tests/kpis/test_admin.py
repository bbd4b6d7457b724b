"""The KPI admin shows KPIs with their baseline history and measurements; the baseline and
its history change only through the services."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kpis import services
from kpis.models import BaselineChange, Kpi
from tests.kpis.test_services import make_kpi


@pytest.fixture
def kpi(project, pm, key_user):
    today = project.local_today()
    project.target_go_live = today + datetime.timedelta(days=30)
    project.save(update_fields=["target_go_live"])
    kpi = make_kpi(
        project,
        pm,
        baseline_value=Decimal("10"),
        baseline_date=today - datetime.timedelta(days=10),
        baseline_method="Three closes averaged.",
    )
    services.measurement_record(
        actor=key_user, kpi=kpi, measured_on=today, value=Decimal("8"), note="October close"
    )
    return kpi


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_a_superuser_sees_kpis_with_their_history_and_measurements(admin_client, kpi):
    listing = admin_client.get(reverse("admin:kpis_kpi_changelist"))
    page = admin_client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))

    assert listing.status_code == page.status_code == 200
    content = page.content.decode()
    assert "Three closes averaged." in content
    assert "October close" in content
    assert "Baseline changes" in content or "baseline changes" in content.lower()


def test_the_baseline_fields_are_read_only(admin_client, kpi):
    page = admin_client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))
    form = page.context["adminform"].form
    assert not {"baseline_value", "baseline_date", "baseline_method"} & set(form.fields)

    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if value is not None
    }
    data |= {
        "description": "Edited in admin",
        "baseline_value": "99",
        "baseline_date": "2026-01-01",
        "baseline_changes-TOTAL_FORMS": "1",
        "baseline_changes-INITIAL_FORMS": "1",
        "measurements-TOTAL_FORMS": "1",
        "measurements-INITIAL_FORMS": "1",
    }
    response = admin_client.post(reverse("admin:kpis_kpi_change", args=[kpi.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    kpi.refresh_from_db()
    assert kpi.description == "Edited in admin"  # the form was saved, without the baseline
    assert (kpi.baseline_value, kpi.baseline_method) == (Decimal("10"), "Three closes averaged.")
    assert BaselineChange.objects.count() == 1


def test_kpis_are_not_added_or_deleted_in_admin(admin_client, kpi):
    assert admin_client.get(reverse("admin:kpis_kpi_add")).status_code == 403
    delete = admin_client.post(reverse("admin:kpis_kpi_delete", args=[kpi.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert Kpi.objects.filter(pk=kpi.pk).exists()


def test_baseline_changes_are_shown_and_never_added_changed_or_deleted(admin_client, kpi):
    change = BaselineChange.objects.get()
    before = list(BaselineChange.objects.values())

    listing = admin_client.get(reverse("admin:kpis_baselinechange_changelist"))
    page = admin_client.get(reverse("admin:kpis_baselinechange_change", args=[change.pk]))
    edit = admin_client.post(
        reverse("admin:kpis_baselinechange_change", args=[change.pk]), {"reason": "Edited"}
    )
    delete_page = admin_client.get(reverse("admin:kpis_baselinechange_delete", args=[change.pk]))
    delete = admin_client.post(
        reverse("admin:kpis_baselinechange_delete", args=[change.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:kpis_baselinechange_changelist"),
        {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"},
    )
    add = admin_client.get(reverse("admin:kpis_baselinechange_add"))

    assert (listing.status_code, page.status_code) == (200, 200)
    assert b'name="_save"' not in page.content
    assert b"delete_selected" not in listing.content
    assert (edit.status_code, delete_page.status_code, delete.status_code) == (403, 403, 403)
    assert add.status_code == 403
    assert bulk.status_code in {200, 302}
    assert list(BaselineChange.objects.values()) == before


def test_members_who_are_not_staff_do_not_reach_the_admin(client, pm, kpi):
    client.force_login(pm)
    response = client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))
    assert response.status_code == 302
