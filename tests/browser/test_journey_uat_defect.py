"""Journey 2: a pilot user runs a UAT cycle on a phone and logs a defect with a screenshot;
the project manager triages and fixes it; the pilot user re-tests and closes it.

The pilot user's screens are checked at a phone's width: nothing scrolls sideways and the
buttons they need are on screen.
"""

import io
import re

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.steps import has_no_horizontal_scroll, sign_in
from tests.uat.test_cycles_factories import add_to_scope, make_cycle, make_scenario
from uat import models as uat_models
from uat.choices import DefectStatus, ExecutionResult, Severity
from uat.models import Defect

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

SCENARIOS = [
    ("UAT-SAL-01", "Quotation to sales order"),
    ("UAT-SAL-02", "Delivery from the Long Bien warehouse"),
    ("UAT-SAL-03", "Invoice with the reduced 8% VAT rate"),
]


def _screenshot_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "crimson").save(buffer, format="PNG")
    return buffer.getvalue()


def _fits_the_phone(page: Page, *buttons) -> None:
    """No sideways scrolling, and each button is shown whole within the screen's width."""
    assert has_no_horizontal_scroll(page), f"{page.url} scrolls sideways on a phone"
    width = page.viewport_size["width"]
    for button in buttons:
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        expect(button).to_be_enabled()
        box = button.bounding_box()
        assert box["x"] >= 0, f"{button} starts off screen"
        assert box["x"] + box["width"] <= width, f"{button} is cut off on the right"


def _open_uat(page: Page, project) -> None:
    page.get_by_role("link", name=project.name).click()
    page.get_by_role("navigation", name="Project sections").get_by_role("link", name="UAT").click()
    expect(page.get_by_role("heading", name="My tests")).to_be_visible()


def _run(page: Page, code: str, result: str, **defect) -> None:
    page.get_by_role("link", name=re.compile(code)).tap()
    expect(page.get_by_role("heading", name=re.compile(code))).to_be_visible()
    save = page.get_by_role("button", name="Save the run")
    _fits_the_phone(page, page.get_by_role("radio", name=result), save)
    page.get_by_role("radio", name=result).check()
    if defect:
        # The defect fields show up only once the result is a failure.
        expect(page.get_by_label("Defect title")).to_be_visible()
        page.get_by_label("Failed at step").select_option(label=defect["step"])
        page.get_by_label("What happened").fill(defect["actual"])
        page.get_by_label("Screenshot or document").set_input_files(
            {"name": "vat-total.png", "mimeType": "image/png", "buffer": _screenshot_png()}
        )
        page.get_by_label("Defect title").fill(defect["title"])
        page.get_by_label("Severity").select_option(label="High")
        page.get_by_label("Defect description").fill(defect["description"])
        _fits_the_phone(page, save)
    else:
        expect(page.get_by_label("Defect title")).to_be_hidden()
    save.tap()
    expect(page.get_by_text(f"Run of {code} saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="My tests")).to_be_visible()


def _move(page: Page, defect_label: str, button: str, status_label: str) -> None:
    page.locator("#transitions").get_by_role("button", name=button).click()
    expect(page.get_by_text(f"{defect_label} is now {status_label}.")).to_be_visible()


def test_a_pilot_user_fails_a_scenario_and_the_defect_goes_round_to_closed(
    pages, project, pm, pilot_user
):
    cycle = make_cycle(project, name="UAT round 1")
    for code, title in SCENARIOS:
        scenario = make_scenario(project, code=code, title=title, steps=3)
        add_to_scope(cycle, scenario, pilot_user)
    failing_code = SCENARIOS[2][0]

    # The pilot user runs the three scenarios on a phone: two pass, one fails.
    phone = pages.open(**PHONE)
    sign_in(phone, pilot_user)
    _fits_the_phone(phone)
    _open_uat(phone, project)
    expect(phone.get_by_role("heading", name="3 scenarios left to run")).to_be_visible()
    _fits_the_phone(phone, phone.get_by_role("link", name=re.compile(SCENARIOS[0][0])))
    _run(phone, SCENARIOS[0][0], "Pass")
    _run(phone, SCENARIOS[1][0], "Pass")
    _run(
        phone,
        failing_code,
        "Fail",
        step="2. Do 2",
        actual="The invoice total uses 10% VAT instead of 8%.",
        title="Invoice ignores the reduced 8% VAT rate",
        description="Seen on a retail customer's invoice.",
    )
    expect(phone.get_by_text("Nothing left to run. Thank you!")).to_be_visible()
    _fits_the_phone(phone)

    defect = Defect.objects.get(project=project)
    label = defect.display_number
    phone.get_by_role("link", name="My defects").tap()
    phone.get_by_role("link", name=re.compile("Invoice ignores the reduced 8% VAT rate")).tap()
    expect(phone.get_by_role("heading", name=re.compile(label))).to_be_visible()
    expect(phone.get_by_role("link", name="vat-total.png")).to_be_visible()
    _fits_the_phone(phone)

    # The project manager triages it, works on it and marks it fixed.
    desk = pages.open()
    sign_in(desk, pm)
    _open_uat(desk, project)
    desk.get_by_role("link", name="Defects", exact=True).click()
    desk.get_by_role("link", name=re.compile("Invoice ignores the reduced 8% VAT rate")).click()
    expect(desk.get_by_role("heading", name=re.compile(label))).to_be_visible()
    expect(desk.get_by_text("The invoice total uses 10% VAT instead of 8%.")).to_be_visible()
    expect(desk.get_by_role("link", name="vat-total.png")).to_be_visible()
    _move(desk, label, "Triaged", "Triaged")
    _move(desk, label, "In progress", "In progress")
    _move(desk, label, "Fixed (ready for re-test)", "Fixed (ready for re-test)")

    # The pilot user re-tests: the scenario passes now, and the defect is closed.
    phone.get_by_role("link", name="My tests").tap()
    expect(phone.get_by_role("heading", name="Already run")).to_be_visible()
    _run(phone, failing_code, "Pass")
    phone.get_by_role("link", name="My defects").tap()
    phone.locator("#awaiting-retest").get_by_role(
        "link", name=re.compile("Invoice ignores the reduced 8% VAT rate")
    ).tap()
    expect(phone.get_by_role("heading", name=re.compile(label))).to_be_visible()
    close = phone.locator("#transitions").get_by_role("button", name="Closed")
    _fits_the_phone(phone, close)
    close.tap()
    expect(phone.get_by_text(f"{label} is now Closed.")).to_be_visible()
    _fits_the_phone(phone)

    # What was stored.
    defect.refresh_from_db()
    assert defect.status == DefectStatus.CLOSED
    assert defect.severity == Severity.HIGH
    assert defect.reporter == pilot_user
    assert defect.fixed_by == pm
    assert defect.cycle == cycle
    assert defect.execution.entry.scenario.code == failing_code
    assert defect.execution.failed_step.position == 2
    assert [(e.from_status, e.to_status, e.actor) for e in defect.events.order_by("pk")][-4:] == [
        (DefectStatus.NEW, DefectStatus.TRIAGED, pm),
        (DefectStatus.TRIAGED, DefectStatus.IN_PROGRESS, pm),
        (DefectStatus.IN_PROGRESS, DefectStatus.FIXED, pm),
        (DefectStatus.FIXED, DefectStatus.CLOSED, pilot_user),
    ]
    (attachment,) = defect.attachments.all()
    assert (attachment.original_name, attachment.content_type) == ("vat-total.png", "image/png")
    assert attachment.file.read() == _screenshot_png()
    runs = uat_models.TestExecution.objects.filter(entry__cycle=cycle).order_by("pk")
    assert [(r.entry.scenario.code, r.result) for r in runs] == [
        (SCENARIOS[0][0], ExecutionResult.PASSED),
        (SCENARIOS[1][0], ExecutionResult.PASSED),
        (failing_code, ExecutionResult.FAILED),
        (failing_code, ExecutionResult.PASSED),
    ]
    assert all(r.executed_by == pilot_user for r in runs)
