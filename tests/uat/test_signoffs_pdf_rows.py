"""The sign-off PDF's long lists (deferred defects, configuration changes, the appendices):
each row is plain text, because WeasyPrint lays out every span and cell as boxes of its own
and the build of a 200-defect cycle must stay well under 2 s; and each row still says
everything the richer layout said."""

import datetime

import tinyhtml5

from tests.uat.signoff_builders import passing_cycle
from tests.uat.test_signoffs_pdf import add_change, add_defect, flat, pdf_pages, signed
from uat import pdf as signoff_pdf
from uat.choices import DefectStatus, Severity

ROW_CLASSES = {"line", "item__head", "item__text"}


def cycle_with_rows(project, pm, pilot_user, rows):
    """A passing cycle of `rows` scenarios, deferred defects, high defects and changes."""
    cycle = passing_cycle(project, pilot_user, count=rows)
    for number in range(1, rows + 1):
        add_defect(
            project,
            pilot_user,
            cycle,
            f"Deferred defect {number}",
            severity=Severity.LOW,
            status=DefectStatus.DEFERRED,
            deferral_reason="Needs a vendor patch.",
            workaround="Sales admin checks the limit by hand.",
            target_date=datetime.date(2026, 9, 30),
        )
        add_defect(
            project,
            pilot_user,
            cycle,
            f"Closed high defect {number}",
            severity=Severity.HIGH,
            status=DefectStatus.CLOSED,
        )
        add_change(project, pm, number, setting=f"Setting {number:03d}")
    return cycle


def rows_of(html: str) -> list:
    """The row elements of the long lists, by class."""
    root = tinyhtml5.parse(html)
    return [
        element
        for element in root.iter()
        if ROW_CLASSES & set((element.get("class") or "").split())
    ]


def test_long_list_rows_are_plain_text(project, pm, key_user, pilot_user):
    cycle = cycle_with_rows(project, pm, pilot_user, rows=20)
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))

    rows = rows_of(signoff_pdf.render_signoff_html(signoff))

    # 20 scenarios + 40 defects in the appendices, 20 changes, 20 deferred (head and text).
    assert len(rows) == 20 + 40 + 20 + 20 * 2
    # Nothing inside a row but text (and the <br> of a multi-line reason).
    assert [row for row in rows if any(child.tag.split("}")[-1] != "br" for child in row)] == []


def test_rows_keep_every_field_of_the_list(project, pm, key_user, pilot_user):
    cycle = cycle_with_rows(project, pm, pilot_user, rows=2)
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))
    deferred = signoff.cycle.defects.get(title="Deferred defect 1").number
    high = signoff.cycle.defects.get(title="Closed high defect 1").number

    html = signoff_pdf.render_signoff_html(signoff)
    text = flat("\n".join(pdf_pages(signoff_pdf.render_signoff_pdf(signoff))))

    assert f"DEF-{deferred} Deferred defect 1 · Low" in text
    assert (
        "Reason: Needs a vendor patch. · Workaround: Sales admin checks the limit by hand. "
        "· Target date: 2026-09-30"
    ) in text
    assert "CFG-1 Sales - Pricing · Setting 001 · Per line → Per invoice · Test" in text
    assert "UAT-S-01 Scenario UAT-S-01 · Sales - Quotation to order · Pass" in text
    assert f"DEF-{high} Closed high defect 1 · " in text
    assert "· High · Closed" in text
    # A high defect's row is flagged in the margin; a low one is not.
    assert f'<div class="line line--high">DEF-{high} ' in html
    assert f'<div class="line line--low">DEF-{deferred} ' in html


def test_a_reason_over_several_lines_keeps_its_line_breaks(project, pm, key_user, pilot_user):
    cycle = passing_cycle(project, pilot_user)
    add_defect(
        project,
        pilot_user,
        cycle,
        "Credit limit ignored on rush orders",
        severity=Severity.LOW,
        status=DefectStatus.DEFERRED,
        deferral_reason="Needs a vendor patch.\nThe vendor ships it in July.",
    )
    signoff = signed(project, pm, cycle, (key_user, "Business owner"))

    html = signoff_pdf.render_signoff_html(signoff)

    assert "Reason: Needs a vendor patch.<br>The vendor ships it in July. · Workaround: –" in html
