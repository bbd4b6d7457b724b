"""History that must not be lost, and input at the edges that must never give a 500."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from implementation.choices import PhaseKind, PhaseStatus
from implementation.models import ChecklistItem, ChecklistItemEvent, ConfigurationChange, Phase
from implementation.models.configuration import AppendOnlyError
from implementation.services import phases as services
from projects import services as project_services
from projects.choices import SystemKind
from projects.errors import ApplicationError
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def creator(db):
    return UserFactory(can_create_projects=True)


@pytest.fixture
def real_project(creator):
    return project_services.project_create(
        actor=creator,
        name="Bounds",
        code="BND-ERP",
        client_organisation="Client",
        system_kind=SystemKind.ERP,
        start_date=timezone.localdate(),
    )


def discovery(project) -> Phase:
    return project.phases.get(kind=PhaseKind.DISCOVERY)


def test_every_tick_and_untick_is_kept_with_who_did_it(real_project, creator):
    owner = MembershipFactory(project=real_project).user
    item = discovery(real_project).checklist_items.first()
    ChecklistItem.objects.filter(pk=item.pk).update(owner=owner)
    item.refresh_from_db()

    services.checklist_item_set_done(actor=creator, item=item, is_done=True)
    services.checklist_item_set_done(actor=owner, item=item, is_done=False)
    services.checklist_item_set_done(actor=owner, item=item, is_done=True)
    services.checklist_item_set_done(actor=owner, item=item, is_done=True)  # no change

    events = list(item.events.order_by("pk").values_list("action", "actor"))
    assert events == [
        ("ticked", creator.pk),
        ("unticked", owner.pk),
        ("ticked", owner.pk),
    ]


def test_an_item_once_ticked_cannot_be_deleted(real_project, creator):
    phase = discovery(real_project)
    ticked, untouched = phase.checklist_items.filter(is_mandatory=False)[:1].get(), None
    services.checklist_item_set_done(actor=creator, item=ticked, is_done=True)
    services.checklist_item_set_done(actor=creator, item=ticked, is_done=False)
    untouched = services.checklist_item_create(
        actor=creator, phase=phase, title="Typo", kind="criterion", is_mandatory=False
    )

    with pytest.raises(ApplicationError):
        services.checklist_item_delete(actor=creator, item=ticked)
    services.checklist_item_delete(actor=creator, item=untouched)

    assert ChecklistItem.objects.filter(pk=ticked.pk).exists()
    assert ChecklistItemEvent.objects.filter(item=ticked).count() == 2
    assert not ChecklistItem.objects.filter(pk=untouched.pk).exists()


def test_a_started_phase_keeps_its_actual_start(real_project, creator):
    phase = services.phase_start(actor=creator, phase=discovery(real_project))

    with pytest.raises(ValidationError) as error:
        services.phase_update(actor=creator, phase=phase, actual_start=None)

    assert list(error.value.message_dict) == ["actual_start"]
    phase.refresh_from_db()
    assert phase.actual_start == timezone.localdate()


@pytest.mark.parametrize(
    "day", [datetime.date(9999, 12, 31), datetime.date(1, 1, 1), datetime.date(1999, 12, 31)]
)
def test_phase_dates_far_outside_the_project_are_refused(real_project, creator, day):
    phase = discovery(real_project)

    with pytest.raises(ValidationError) as error:
        services.phase_update(actor=creator, phase=phase, planned_end=day)

    assert "planned_end" in error.value.message_dict
    assert Phase.objects.get(pk=phase.pk).planned_end == phase.planned_end


def test_phase_api_refuses_a_year_9999_and_the_project_page_still_renders(
    real_project, creator, client, api_as
):
    phase = discovery(real_project)

    response = api_as(creator).patch(
        f"/api/v1/phases/{phase.pk}/", {"planned_end": "9999-12-31"}, format="json"
    )
    client.force_login(creator)

    assert response.status_code == 400
    assert list(response.json()) == ["planned_end"]
    assert client.get(f"/projects/{real_project.code}/").status_code == 200


def test_a_meeting_in_year_one_is_refused_on_the_page_and_in_the_api(
    real_project, creator, client, api_as
):
    client.force_login(creator)

    page = client.post(f"/projects/{real_project.code}/reviews/new/", {"held_on": "0001-01-01"})
    api = api_as(creator).post(
        "/api/v1/review-meetings/",
        {"project": real_project.code, "held_on": "0001-01-01"},
        format="json",
    )

    assert page.status_code == 422
    assert api.status_code == 400
    assert "held_on" in api.json()
    assert client.get(f"/projects/{real_project.code}/reviews/agenda/").status_code == 200


@pytest.mark.parametrize("query", ["applied_to=9999-12-31", "applied_from=0001-01-01"])
def test_configuration_log_date_filters_at_the_edges_answer(real_project, creator, client, query):
    client.force_login(creator)
    for page in ("config/", "config/export.csv", "config/export.xlsx"):
        assert client.get(f"/projects/{real_project.code}/{page}?{query}").status_code == 200


def test_a_configuration_change_in_year_one_is_a_field_error(real_project, creator, api_as):
    response = api_as(creator).post(
        "/api/v1/configuration-changes/",
        {
            "project": real_project.code,
            "area": "Inventory",
            "setting": "Lots",
            "new_value": "On",
            "reason": "Traceability",
            "requested_by": creator.username,
            "environment": "test",
            "applied_at": "0001-01-01T00:00:00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["applied_at"]
    assert ConfigurationChange.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/phases/abc/",
        "/api/v1/phases/abc/history/",
        "/api/v1/checklist-items/abc/",
        "/api/v1/checklist-items/abc/tick/",
        "/api/v1/configuration-changes/abc/",
        "/api/v1/review-meetings/abc/",
        "/api/v1/action-items/abc/",
        "/api/v1/memberships/abc/",
    ],
)
def test_non_numeric_ids_are_not_found(creator, api_as, path):
    assert api_as(creator).get(path).status_code == 404


def test_an_existing_log_entry_cannot_be_overwritten_even_from_code(real_project, creator):
    from implementation.services.configuration import configuration_change_record

    entry = configuration_change_record(
        actor=creator,
        project=real_project,
        area="Sales",
        setting="Discount limit",
        new_value="10%",
        reason="Margin",
        requested_by=creator,
        environment="test",
        applied_at=timezone.now(),
    )
    forged = ConfigurationChange(
        pk=entry.pk,
        project=real_project,
        number=entry.number,
        area="Sales",
        setting="Discount limit",
        new_value="90%",
        reason="Forged",
        requested_by=creator,
        recorded_by=creator,
        environment="test",
        applied_at=entry.applied_at,
    )

    with pytest.raises(AppendOnlyError):
        forged.save()
    with pytest.raises(AppendOnlyError):
        ConfigurationChange._base_manager.filter(pk=entry.pk).update(new_value="90%")
    assert ConfigurationChange.objects.get(pk=entry.pk).new_value == "10%"


def test_admin_cannot_change_or_delete_items_of_a_completed_phase(real_project, creator, client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    phase = discovery(real_project)
    services.phase_start(actor=creator, phase=phase)
    for item in phase.checklist_items.all():
        services.checklist_item_set_done(actor=creator, item=item, is_done=True)
    services.phase_complete(actor=creator, phase=phase)
    item = phase.checklist_items.first()
    client.force_login(admin)

    change = client.post(
        f"/admin/implementation/checklistitem/{item.pk}/change/",
        {"title": "Rewritten", "phase": phase.pk, "kind": "criterion", "position": 1},
    )
    delete = client.post(f"/admin/implementation/checklistitem/{item.pk}/delete/", {"post": "yes"})

    assert change.status_code == 403
    assert delete.status_code == 403
    item.refresh_from_db()
    assert item.title != "Rewritten"
    assert item.done_by == creator
    assert Phase.objects.get(pk=phase.pk).status == PhaseStatus.COMPLETED


def test_a_configuration_change_links_the_defect_that_caused_it(real_project, creator, api_as):
    from uat.services.defects import defect_report

    defect = defect_report(actor=creator, project=real_project, title="VAT 8%", severity="high")
    other = project_services.project_create(
        actor=creator,
        name="Other",
        code="OTH-ERP",
        client_organisation="Other",
        system_kind=SystemKind.ERP,
        start_date=timezone.localdate(),
    )
    foreign = defect_report(actor=creator, project=other, title="Elsewhere", severity="low")
    payload = {
        "project": real_project.code,
        "area": "Finance - Tax",
        "setting": "Reduced VAT",
        "new_value": "8%",
        "reason": "Fixes the defect",
        "requested_by": creator.username,
        "environment": "test",
        "applied_at": "2026-11-20T10:00:00+07:00",
    }

    linked = api_as(creator).post(
        "/api/v1/configuration-changes/", {**payload, "defect": defect.number}, format="json"
    )
    refused = api_as(creator).post(
        "/api/v1/configuration-changes/",
        {**payload, "defect": foreign.number + 100},
        format="json",
    )

    assert linked.status_code == 201
    assert linked.json()["defect"] == defect.number
    assert ConfigurationChange.objects.get(pk=linked.json()["pk"]).defect == defect
    assert refused.status_code == 400
    assert list(refused.json()) == ["defect"]
