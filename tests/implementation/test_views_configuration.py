"""Configuration log pages: who reads and records, corrections, filters, HTMX, the append-only
guarantee through pages and admin, and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, get_resolver, reverse

from implementation.choices import Environment, PhaseKind
from implementation.models import ConfigurationChange
from projects.choices import Role
from tests.factories import MembershipFactory, PhaseFactory, ProjectFactory, UserFactory
from tests.implementation.conftest import HANOI

HTMX = {"HX-Request": "true"}
LOGIN_URL = "/accounts/login/"
WRITERS = [Role.PROJECT_MANAGER, Role.CONSULTANT, Role.IT]
READERS_ONLY = [Role.KEY_USER, Role.PILOT_USER, Role.EXECUTIVE, Role.VIEWER]
CONFIG_URL_NAMES = {
    "config-list",
    "config-create",
    "config-detail",
    "config-export-csv",
    "config-export-xlsx",
}


def url(name, project, *args) -> str:
    return reverse(f"implementation:{name}", args=[project.code, *args])


def log_rows() -> list[dict]:
    return list(ConfigurationChange.objects.order_by("pk").values())


def form_data(requested_by, **changes) -> dict:
    data = {
        "area": "Finance - Tax",
        "setting": "Tax calculation rounding method",
        "old_value": "Round per line",
        "new_value": "Round globally",
        "reason": "VNPT computes VAT on the invoice total.",
        "reference": "TCK-112",
        "requested_by": requested_by.pk,
        "approved_by": "",
        "environment": Environment.TEST,
        "applied_at": "2026-03-02T14:30",
        "phase": "",
        "supersedes": "",
    }
    data.update(changes)
    return data


def all_pages(project) -> list[str]:
    return [
        url("config-list", project),
        url("config-create", project),
        url("config-detail", project, 1),
        url("config-export-csv", project),
        url("config-export-xlsx", project),
    ]


# --- No edit, no delete -------------------------------------------------------------------


def test_the_log_has_pages_to_read_record_and_export_and_none_to_edit_or_delete():
    names = {
        pattern.name
        for pattern in get_resolver().url_patterns
        for pattern in _walk(pattern)
        if pattern.name and pattern.name.startswith("config-")
    }

    assert names == CONFIG_URL_NAMES


def _walk(entry):
    if isinstance(entry, URLPattern):
        yield entry
    else:
        for inner in entry.url_patterns:
            yield from _walk(inner)


def test_pages_declare_the_capability_they_check():
    policies = {
        pattern.name: getattr(pattern.callback, "rollout_policy", None)
        for top in get_resolver().url_patterns
        for pattern in _walk(top)
        if pattern.name in CONFIG_URL_NAMES
    }

    assert policies == {
        "config-list": "project:view_project",
        "config-create": "project:edit_configuration_log",
        "config-detail": "project:view_project",
        "config-export-csv": "project:view_project",
        "config-export-xlsx": "project:view_project",
    }


@pytest.mark.parametrize("role", [Role.PROJECT_MANAGER, Role.VIEWER])
def test_posting_to_an_entry_is_not_allowed_and_changes_nothing(
    client, project, members, record_change, role
):
    record_change(members[Role.PROJECT_MANAGER])
    before = log_rows()
    client.force_login(members[role])

    response = client.post(
        url("config-detail", project, 1), form_data(members[role], new_value="Rewritten")
    )

    assert response.status_code == 405
    assert log_rows() == before


# --- Anonymous and outsiders --------------------------------------------------------------


def test_anonymous_user_is_sent_to_login_from_every_log_page(client, project, pm, record_change):
    record_change(pm)

    for page in all_pages(project):
        response = client.get(page)

        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={page}"


def test_outsider_gets_404_from_every_log_page(client, project, pm, outsider, record_change):
    record_change(pm)
    client.force_login(outsider)

    assert [client.get(page).status_code for page in all_pages(project)] == [404] * 5


def test_outsider_gets_404_when_recording_and_nothing_is_saved(client, project, pm, outsider):
    client.force_login(outsider)

    response = client.post(url("config-create", project), form_data(pm))

    assert response.status_code == 404
    assert log_rows() == []


def test_unknown_entry_number_is_404(client, project, pm):
    client.force_login(pm)

    assert client.get(url("config-detail", project, 99)).status_code == 404


def test_entry_of_another_project_is_not_found_through_this_project(
    client, project, pm, change_factory
):
    other = ProjectFactory()
    MembershipFactory(project=other, user=pm, role=Role.PROJECT_MANAGER)
    change_factory(project=other, number=1)
    client.force_login(pm)

    assert client.get(url("config-detail", project, 1)).status_code == 404


# --- Members: read everywhere, write with the capability ----------------------------------


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_read_the_log(client, project, members, record_change, role):
    record_change(members[Role.PROJECT_MANAGER])
    client.force_login(members[role])

    codes = [
        client.get(url("config-list", project)).status_code,
        client.get(url("config-detail", project, 1)).status_code,
        client.get(url("config-export-csv", project)).status_code,
        client.get(url("config-export-xlsx", project)).status_code,
    ]

    assert codes == [200, 200, 200, 200]


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_get_403_on_the_form(client, project, members, role):
    client.force_login(members[role])

    assert client.get(url("config-create", project)).status_code == 403


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_cannot_record_and_nothing_is_saved(
    client, project, members, role
):
    client.force_login(members[role])

    response = client.post(url("config-create", project), form_data(members[role]))

    assert response.status_code == 403
    assert log_rows() == []


@pytest.mark.parametrize("role", READERS_ONLY)
def test_members_without_the_capability_see_no_record_buttons(
    client, project, members, record_change, role
):
    record_change(members[Role.PROJECT_MANAGER])
    client.force_login(members[role])

    listing = client.get(url("config-list", project)).content.decode()
    detail = client.get(url("config-detail", project, 1)).content.decode()

    assert url("config-create", project) not in listing
    assert "Record a correction" not in detail


@pytest.mark.parametrize("role", WRITERS)
def test_writers_record_an_entry_and_land_on_it(client, project, members, role):
    writer = members[role]
    requester = members[Role.KEY_USER]
    approver = members[Role.PROJECT_MANAGER]
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    client.force_login(writer)

    response = client.post(
        url("config-create", project),
        form_data(requester, approved_by=approver.pk, phase=design.pk),
    )

    change = ConfigurationChange.objects.get()
    assert response.status_code == 302
    assert response.url == url("config-detail", project, 1)
    assert change.number == 1
    assert change.recorded_by == writer
    assert change.requested_by == requester
    assert change.approved_by == approver
    assert change.phase == design
    assert change.environment == Environment.TEST
    assert change.applied_at == datetime.datetime(2026, 3, 2, 14, 30, tzinfo=HANOI)
    assert change.reference == "TCK-112"
    page = client.get(response.url).content.decode()
    assert "CFG-1 recorded." in page


def test_applied_at_is_read_in_the_project_time_zone(client, project, pm):
    project.time_zone = "Europe/Paris"
    project.save(update_fields=["time_zone"])
    client.force_login(pm)

    client.post(url("config-create", project), form_data(pm, applied_at="2026-03-02T09:00"))

    assert ConfigurationChange.objects.get().applied_at == datetime.datetime(
        2026, 3, 2, 8, 0, tzinfo=datetime.UTC
    )
    detail = client.get(url("config-detail", project, 1)).content.decode()
    assert "2026-03-02 09:00" in detail


def test_form_offers_area_suggestions_and_only_team_members(client, project, pm, outsider):
    client.force_login(pm)

    response = client.get(url("config-create", project))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'list="configuration-areas"' in html
    assert '<datalist id="configuration-areas">' in html
    assert '<option value="Finance - General Ledger"></option>' in html
    assert "Time in Asia/Ho Chi Minh, the project&#x27;s time zone." in html
    requesters = list(response.context["form"].fields["requested_by"].queryset)
    assert requesters == [pm]
    assert '<html lang="en">' in html


# --- Bad input ----------------------------------------------------------------------------


def test_missing_values_answer_422_with_field_errors_and_nothing_is_saved(client, project, pm):
    client.force_login(pm)

    response = client.post(
        url("config-create", project),
        form_data(pm, area="", new_value="", reason="", environment="moon", applied_at="soon"),
    )

    assert response.status_code == 422
    assert set(response.context["form"].errors) == {
        "area",
        "new_value",
        "reason",
        "environment",
        "applied_at",
    }
    assert log_rows() == []


def test_requester_outside_the_team_answers_422_on_the_field(client, project, pm, outsider):
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(outsider))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "requested_by": ["Choose a member of the project team."]
    }
    assert log_rows() == []


def test_unknown_approver_answers_422_on_the_field(client, project, pm):
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(pm, approved_by=987654))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "approved_by": ["Choose a member of the project team."]
    }
    assert log_rows() == []


def test_phase_of_another_project_answers_422_on_the_field(client, project, pm):
    foreign = PhaseFactory(kind=PhaseKind.DESIGN)
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(pm, phase=foreign.pk))

    assert response.status_code == 422
    assert response.context["form"].errors == {"phase": ["Choose a phase of this project."]}
    assert log_rows() == []


def test_member_who_left_the_team_meanwhile_is_a_field_error_from_the_service(
    client, project, pm, consultant, monkeypatch
):
    # given the form accepted the requester, but the service finds them no longer on the team
    from implementation.configuration_forms import ConfigurationChangeForm

    original = ConfigurationChangeForm.__init__

    def allow_anyone(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.fields["requested_by"].queryset = type(pm).objects.all()

    monkeypatch.setattr(ConfigurationChangeForm, "__init__", allow_anyone)
    stranger = UserFactory(first_name="Văn", last_name="Lạ")
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(stranger))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "requested_by": ["Choose a member of this project's team."]
    }
    assert log_rows() == []


# --- Corrections --------------------------------------------------------------------------


def test_detail_offers_a_correction_to_writers(client, project, consultant, record_change):
    record_change(consultant)
    client.force_login(consultant)

    html = client.get(url("config-detail", project, 1)).content.decode()

    assert f"{url('config-create', project)}?supersedes=1" in html
    assert "Record a correction" in html


def test_correction_form_is_prefilled_from_the_wrong_entry(
    client, project, pm, key_user, record_change
):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    record_change(
        pm,
        area="Purchasing",
        setting="Purchase order approval",
        old_value="Off",
        new_value="From 200,000,000 ₫",
        reference="REQ-40",
        requested_by=key_user,
        environment=Environment.PRODUCTION,
        phase=design,
    )
    client.force_login(pm)

    response = client.get(url("config-create", project), {"supersedes": 1})

    assert response.status_code == 200
    form = response.context["form"]
    initial = {name: form[name].value() for name in form.fields}
    assert initial["area"] == "Purchasing"
    assert initial["setting"] == "Purchase order approval"
    assert initial["old_value"] == "From 200,000,000 ₫"
    assert initial["new_value"] is None
    assert initial["reason"] is None
    assert initial["reference"] == "REQ-40"
    assert initial["requested_by"] == key_user.pk
    assert initial["approved_by"] is None
    assert initial["environment"] == Environment.PRODUCTION
    assert initial["phase"] == design.pk
    assert initial["supersedes"] == 1
    html = response.content.decode()
    assert '<input type="hidden" name="supersedes" value="1"' in html
    assert "Record a correction of CFG-1" in html


def test_recording_the_correction_links_both_entries_and_the_list_marks_them(
    client, project, pm, record_change
):
    record_change(pm, new_value="From 200,000,000 ₫")
    client.force_login(pm)

    response = client.post(
        url("config-create", project),
        form_data(pm, old_value="From 200,000,000 ₫", new_value="From 20,000,000 ₫", supersedes=1),
    )

    assert response.status_code == 302
    correction = ConfigurationChange.objects.get(number=2)
    assert correction.supersedes.number == 1
    html = client.get(url("config-list", project)).content.decode()
    assert "corrected by CFG-2" in html
    assert "corrects CFG-1" in html
    corrected_page = client.get(url("config-detail", project, 1)).content.decode()
    assert "This entry was corrected by" in corrected_page
    assert "Record a correction" not in corrected_page


def test_correcting_an_already_corrected_entry_from_its_link_sends_back_with_the_newest(
    client, project, pm, record_change
):
    first = record_change(pm)
    second = record_change(pm, supersedes=first)
    record_change(pm, supersedes=second)
    client.force_login(pm)

    response = client.get(url("config-create", project), {"supersedes": 1}, follow=True)

    assert response.redirect_chain == [(url("config-detail", project, 1), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "CFG-1 has already been corrected by CFG-2. "
        "Record a correction of the newest entry, CFG-3, instead."
    ]


def test_posting_a_second_correction_of_an_entry_answers_422_and_saves_nothing(
    client, project, pm, record_change
):
    first = record_change(pm)
    record_change(pm, supersedes=first)
    before = log_rows()
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(pm, supersedes=1))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "supersedes": [
            "CFG-1 has already been corrected by CFG-2. "
            "Record a correction of the newest entry, CFG-2, instead."
        ]
    }
    assert "Record a correction of the newest entry, CFG-2, instead." in response.content.decode()
    assert log_rows() == before


def test_empty_supersedes_opens_a_plain_form(client, project, pm, record_change):
    record_change(pm)
    client.force_login(pm)

    response = client.get(url("config-create", project), {"supersedes": ""})

    assert response.status_code == 200
    assert response.context["corrected"] is None
    assert response.context["form"]["supersedes"].value() is None


@pytest.mark.parametrize("value", ["99", "abc"])
def test_correcting_an_unknown_entry_is_404(client, project, pm, record_change, value):
    record_change(pm)
    client.force_login(pm)

    assert client.get(url("config-create", project), {"supersedes": value}).status_code == 404


def test_correcting_an_entry_of_another_project_is_refused(client, project, pm, change_factory):
    change_factory(project=ProjectFactory(), number=5)
    before = log_rows()
    client.force_login(pm)

    response = client.post(url("config-create", project), form_data(pm, supersedes=5))

    assert response.status_code == 422
    assert response.context["form"].errors == {
        "supersedes": ["Only an entry of this project's log can be corrected here."]
    }
    assert log_rows() == before


# --- List, filters, paging, HTMX ----------------------------------------------------------


@pytest.fixture
def varied_log(project, pm, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    testing = PhaseFactory(project=project, kind=PhaseKind.TESTING, position=4)
    record_change(
        pm,
        area="Finance - Tax",
        setting="Reduced VAT rate",
        new_value="VAT 8%",
        environment=Environment.DEVELOPMENT,
        phase=design,
        applied_at=datetime.datetime(2026, 2, 1, 10, 0, tzinfo=HANOI),
    )
    record_change(
        pm,
        area="Inventory",
        setting="Warehouse WH-HD",
        new_value="Hà Đông warehouse",
        reason="Second warehouse",
        reference="REQ-22",
        environment=Environment.TEST,
        phase=testing,
        applied_at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=HANOI),
    )
    record_change(
        pm,
        area="Point of Sale",
        setting="Payment methods",
        new_value="Cash, VNPAY-QR",
        environment=Environment.PRODUCTION,
        applied_at=datetime.datetime(2026, 3, 31, 23, 30, tzinfo=HANOI),
    )


def listed_numbers(response) -> list[int]:
    assert response.status_code == 200
    return [change.number for change in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [3, 2, 1]),
        ({"area": "inventory"}, [2]),
        ({"area": "finance"}, [1]),
        ({"environment": Environment.PRODUCTION}, [3]),
        ({"phase": PhaseKind.DESIGN}, [1]),
        ({"applied_from": "2026-03-01"}, [3, 2]),
        ({"applied_to": "2026-02-28"}, [1]),
        ({"applied_from": "2026-03-01", "applied_to": "2026-03-31"}, [3, 2]),
        ({"applied_to": "2026-03-30"}, [2, 1]),
        ({"q": "Hà Đông"}, [2]),
        ({"q": "warehouse wh-hd"}, [2]),
        ({"q": "REQ-22"}, [2]),
        ({"q": "vnpay"}, [3]),
        ({"q": "point of sale"}, [3]),
        ({"q": "Second warehouse"}, [2]),
        ({"q": "Round per line"}, [3, 2, 1]),
        ({"q": "nothing like this"}, []),
    ],
)
def test_list_filters_by_area_environment_phase_dates_and_text(
    client, project, pm, varied_log, params, expected
):
    client.force_login(pm)

    response = client.get(url("config-list", project), params)

    assert listed_numbers(response) == expected


def test_date_filters_use_the_project_time_zone(client, project, pm, varied_log):
    # 2026-03-01 00:30 in Hanoi is still 2026-02-28 in UTC: it counts as 1 March here
    client.force_login(pm)

    response = client.get(url("config-list", project), {"applied_to": "2026-02-28"})

    assert listed_numbers(response) == [1]


def test_list_shows_25_entries_a_page_newest_first(client, project, pm, record_change):
    for _ in range(27):
        record_change(pm)
    client.force_login(pm)

    first = client.get(url("config-list", project))
    second = client.get(url("config-list", project), {"page": 2})

    assert listed_numbers(first) == list(range(27, 2, -1))
    assert listed_numbers(second) == [2, 1]
    assert "Page 1 of 2" in first.content.decode()


def test_filter_form_with_htmx_gets_only_the_results_fragment(client, project, pm, varied_log):
    client.force_login(pm)

    response = client.get(url("config-list", project), {"area": "inventory"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="results"')
    assert "CFG-2" in html
    assert "CFG-1" not in html
    assert f"{url('config-export-csv', project)}?area=inventory" in html
    assert "HX-Request" in [part.strip() for part in response["Vary"].split(",")]


def test_list_without_htmx_is_a_full_page_with_the_filter_form(client, project, pm, varied_log):
    client.force_login(pm)

    response = client.get(url("config-list", project), {"area": "inventory"})

    html = response.content.decode()
    assert "<html" in html
    assert 'hx-target="#results"' in html
    assert 'class="table-wrap"' in html
    assert 'value="inventory"' in html


def test_empty_log_says_so(client, project, viewer):
    client.force_login(viewer)

    html = client.get(url("config-list", project)).content.decode()

    assert "No configuration changes recorded yet." in html


def test_invalid_filter_values_are_ignored_not_a_crash(client, project, pm, varied_log):
    client.force_login(pm)

    response = client.get(
        url("config-list", project), {"applied_from": "yesterday", "environment": "moon"}
    )

    assert listed_numbers(response) == [3, 2, 1]


def test_list_page_queries_do_not_grow_with_rows(client, project, pm, key_user, record_change):
    design = PhaseFactory(project=project, kind=PhaseKind.DESIGN, position=2)
    client.force_login(pm)

    def queries_for_the_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("config-list", project))
        assert response.status_code == 200
        return len(queries)

    first = record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    record_change(pm, supersedes=first)
    few = queries_for_the_list()
    for _ in range(18):
        record_change(pm, requested_by=key_user, approved_by=pm, phase=design)
    many = queries_for_the_list()

    assert ConfigurationChange.objects.count() == 20
    assert few == many


# --- Admin: read-only, even for superusers ------------------------------------------------


def test_admin_shows_the_log_to_superusers(client, superuser, pm, record_change):
    record_change(pm)
    client.force_login(superuser)

    response = client.get(reverse("admin:implementation_configurationchange_changelist"))

    assert response.status_code == 200
    assert "CFG-1" in response.content.decode()


def test_admin_change_form_post_changes_nothing(client, superuser, pm, record_change):
    change = record_change(pm)
    before = log_rows()
    client.force_login(superuser)
    page = reverse("admin:implementation_configurationchange_change", args=[change.pk])

    shown = client.get(page)
    posted = client.post(page, {"new_value": "Rewritten", "reason": "Because"})

    assert shown.status_code == 200
    assert posted.status_code == 403
    assert log_rows() == before


def test_admin_refuses_to_add_entries(client, superuser, pm):
    client.force_login(superuser)
    page = reverse("admin:implementation_configurationchange_add")

    assert client.get(page).status_code == 403
    assert client.post(page, form_data(pm)).status_code == 403
    assert log_rows() == []


def test_admin_refuses_to_delete_entries(client, superuser, pm, record_change):
    change = record_change(pm)
    before = log_rows()
    client.force_login(superuser)
    page = reverse("admin:implementation_configurationchange_delete", args=[change.pk])

    assert client.get(page).status_code == 403
    assert client.post(page, {"post": "yes"}).status_code == 403
    assert log_rows() == before


def test_admin_bulk_delete_action_is_not_offered(client, superuser, pm, record_change):
    change = record_change(pm)
    before = log_rows()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:implementation_configurationchange_changelist"),
        {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert 'value="delete_selected"' not in response.content.decode()
    assert log_rows() == before
