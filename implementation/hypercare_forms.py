"""Input shape of the hypercare pages: the hypercare plan, the SLA targets, the weekly
feedback survey and a module review. The rules (who, the order of the working hours, a
plausible end date, resolving after responding) live in implementation.services.hypercare."""

import datetime

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from implementation.choices import ReviewDecision, SlaUnit
from implementation.models import HypercarePlan
from implementation.services.hypercare import PLAN_FIELDS

WEEKDAY_CHOICES = [(str(day), WEEKDAYS[day]) for day in range(7)]
SATISFACTION_CHOICES = [
    (1, _("Very unhappy")),
    (2, _("Unhappy")),
    (3, _("So-so")),
    (4, _("Happy")),
    (5, _("Very happy")),
]
TEXT_LIMIT = 2000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class HypercarePlanForm(forms.ModelForm):
    """Working hours for the SLA clocks, the planned end and the exit thresholds."""

    working_days = forms.MultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The days the support team works; SLA clocks run only then."),
    )
    holidays = forms.CharField(
        label=_("Public holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-09-02"}),
        help_text=_("One date per line (YYYY-MM-DD); SLA clocks stop on these days."),
    )

    class Meta:
        model = HypercarePlan
        fields = list(PLAN_FIELDS)
        widgets = {
            "planned_end": DateInput(),
            "work_starts": TimeInput(),
            "work_ends": TimeInput(),
            "sla_weeks": forms.NumberInput(attrs={"min": 1, "max": 26}),
            "inflow_weeks": forms.NumberInput(attrs={"min": 1, "max": 26}),
            "satisfaction_threshold": forms.NumberInput(attrs={"step": "0.1", "min": 1, "max": 5}),
        }

    def __init__(self, *args, instance: HypercarePlan, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if not self.is_bound:
            self.initial["working_days"] = [
                day.strip() for day in instance.working_days.split(",") if day.strip()
            ]
            self.initial["holidays"] = "\n".join(instance.holidays or [])

    def clean_working_days(self) -> str:
        return ",".join(sorted(self.cleaned_data["working_days"]))

    def clean_holidays(self) -> list[str]:
        days, wrong = [], []
        for line in self.cleaned_data["holidays"].splitlines():
            text = line.strip()
            if not text:
                continue
            try:
                days.append(datetime.date.fromisoformat(text).isoformat())
            except ValueError:
                wrong.append(text)
        if wrong:
            raise forms.ValidationError(
                _("Not a date (YYYY-MM-DD): %(values)s."),
                params={"values": ", ".join(wrong[:5])},
            )
        return days

    def _post_clean(self):
        # The service validates the whole plan (ranges, the working day's order, the end).
        pass


class SlaTargetsForm(forms.Form):
    """Response and resolution times of every severity, in one form: saved all together
    or not at all."""

    PARTS = ("response_value", "response_unit", "resolution_value", "resolution_unit")

    def __init__(self, *args, rows: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for row in rows:
            severity = row["severity"]
            for part in ("response", "resolution"):
                value_name, unit_name = f"{severity}_{part}_value", f"{severity}_{part}_unit"
                self.fields[value_name] = forms.IntegerField(
                    label=_("%(severity)s: respond within") % {"severity": row["label"]}
                    if part == "response"
                    else _("%(severity)s: resolve within") % {"severity": row["label"]},
                    min_value=1,
                    max_value=999,
                    widget=forms.NumberInput(attrs={"min": 1, "max": 999, "inputmode": "numeric"}),
                )
                self.fields[unit_name] = forms.ChoiceField(label=_("unit"), choices=SlaUnit.choices)
                self.initial.setdefault(value_name, row[f"{part}_value"])
                self.initial.setdefault(unit_name, row[f"{part}_unit"])
        self.severities = [row["severity"] for row in rows]
        self.labels = {row["severity"]: row["label"] for row in rows}

    def rows(self) -> list[dict]:
        """The bound fields per severity, for a table."""
        return [
            {
                "severity": severity,
                "label": self.labels[severity],
                "fields": [self[f"{severity}_{part}"] for part in self.PARTS],
            }
            for severity in self.severities
        ]

    def targets(self) -> dict[str, dict]:
        """Keyword arguments of services.hypercare.sla_target_set per severity."""
        return {
            severity: {part: self.cleaned_data[f"{severity}_{part}"] for part in self.PARTS}
            for severity in self.severities
        }

    def add_service_error(self, severity: str, error) -> None:
        """A service's field errors on this severity's fields."""
        for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
            name = f"{severity}_{field}"
            self.add_error(name if name in self.fields else None, messages)


class FeedbackForm(forms.Form):
    """The weekly survey: under a minute on a phone."""

    satisfaction = forms.TypedChoiceField(
        label=_("How happy are you with the new system this week?"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "feedback-scale__input"}),
    )
    blockers = forms.CharField(
        label=_("What blocks you?"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. A screen, a step, a report you miss."),
    )
    helps = forms.CharField(
        label=_("What helps you?"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. What works well, who helped."),
    )


class ModuleReviewForm(forms.Form):
    """A review of one module's adoption: the decision and why."""

    module = forms.CharField(label=_("Module"), max_length=120)
    decision = forms.ChoiceField(
        label=_("Decision"), choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you saw: usage, complaints, the KPIs; and what happens next."),
    )
