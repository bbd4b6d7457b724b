"""Input shapes of the KPI pages: a KPI, its baseline, measurements one by one, in bulk or
from a CSV file, and KPIs from the catalogue. The services check the rules."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis import catalogue
from kpis.models import DIGITS, LARGEST_VALUE, Kpi

MAX_IMPORT_BYTES = 2 * 1024 * 1024
DATE = {"type": "date"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE, format="%Y-%m-%d")


def _value_field(label, *, required=True, help_text="") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        help_text=help_text,
        max_digits=DIGITS["max_digits"],
        decimal_places=DIGITS["decimal_places"],
        min_value=-LARGEST_VALUE,
        max_value=LARGEST_VALUE,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class KpiForm(forms.ModelForm):
    """A KPI's definition; on create before go-live also its baseline."""

    BASELINE_FIELDS = ("baseline_value", "baseline_date", "baseline_method")

    class Meta:
        model = Kpi
        fields = [
            "name",
            "description",
            "category",
            "unit",
            "direction",
            "target_value",
            "target_date",
            "owner",
            "cadence",
            "module",
            "phase",
            "baseline_value",
            "baseline_date",
            "baseline_method",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "baseline_method": forms.Textarea(attrs={"rows": 2}),
            "target_date": _date_input(),
            "baseline_date": _date_input(),
            "target_value": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            "baseline_value": forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        }

    def __init__(self, *args, team, phases, with_baseline: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team
        self.fields["owner"].label_from_instance = lambda user: user.display_name
        self.fields["phase"].queryset = phases
        self.fields["phase"].label_from_instance = lambda phase: phase.get_kind_display()
        if not with_baseline:
            for name in self.BASELINE_FIELDS:
                del self.fields[name]

    @property
    def has_baseline_fields(self) -> bool:
        return "baseline_value" in self.fields

    def clean(self):
        data = super().clean()
        # The database refuses it too, but only as an error on the whole form.
        baseline_date = data.get("baseline_date") or (
            None if self.has_baseline_fields else self.instance.baseline_date
        )
        target_date = data.get("target_date")
        if baseline_date and target_date and target_date <= baseline_date:
            self.add_error(
                "target_date",
                _("The target date must be after the baseline date (%(date)s).")
                % {"date": baseline_date.isoformat()},
            )
        return data

    def _post_clean(self):
        # The service validates the model and its rules; the form checks only the input.
        pass

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("description", "module", "baseline_method"):
            if name in data:
                data[name] = data[name] or ""
        return data


class BaselineForm(forms.Form):
    """Record or change the baseline; a reason is required once go-live has passed."""

    value = _value_field(_("Baseline value"))
    day = forms.DateField(label=_("Measured on"), widget=_date_input())
    method = forms.CharField(
        label=_("How it was measured"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Left empty, the earlier description stays."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, locked: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _(
                "Go-live has passed: say why the baseline changes. It is kept in the history."
            )
        else:
            del self.fields["reason"]


class MeasurementForm(forms.Form):
    """One value of a KPI on a day."""

    measured_on = forms.DateField(label=_("Date"), widget=_date_input())
    value = _value_field(_("Value"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectionForm(forms.Form):
    """A corrected value of a measured day, with why."""

    value = _value_field(_("Corrected value"))
    note = forms.CharField(label=_("Why it is corrected"), widget=forms.Textarea(attrs={"rows": 2}))


class TemplatesForm(forms.Form):
    """KPI templates to add, by key."""

    templates = forms.MultipleChoiceField(
        label=_("Templates"),
        choices=[(template.key, template.name) for template in catalogue.TEMPLATES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose one or more KPI templates.")},
    )


class BulkForm(forms.Form):
    """One row per KPI the user may record: date (today by default), value and note."""

    def __init__(self, data=None, *, kpis, today: datetime.date):
        super().__init__(data)
        self.kpis = list(kpis)
        for kpi in self.kpis:
            self.fields[f"date_{kpi.pk}"] = forms.DateField(
                label=_("Date"), required=False, initial=today, widget=_date_input()
            )
            self.fields[f"value_{kpi.pk}"] = _value_field(_("Value"), required=False)
            self.fields[f"note_{kpi.pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=2000
            )

    def field_names(self, kpi) -> dict[str, str]:
        return {
            "measured_on": f"date_{kpi.pk}",
            "value": f"value_{kpi.pk}",
            "note": f"note_{kpi.pk}",
        }

    def bound_rows(self):
        """(row number, KPI, date, value, note) bound fields, in the order shown."""
        return [
            (number, kpi, self[f"date_{kpi.pk}"], self[f"value_{kpi.pk}"], self[f"note_{kpi.pk}"])
            for number, kpi in enumerate(self.kpis, start=1)
        ]

    def rows(self) -> list[dict]:
        """The filled rows for the service; a row without a value and a note is ignored."""
        rows = []
        for number, kpi in enumerate(self.kpis, start=1):
            names = self.field_names(kpi)
            value = self.cleaned_data.get(names["value"])
            note = self.cleaned_data.get(names["note"]) or ""
            if value is None and not note.strip():
                continue
            rows.append(
                {
                    "row": number,
                    "kpi": kpi,
                    "measured_on": self.cleaned_data.get(names["measured_on"]),
                    "value": value,
                    "note": note,
                }
            )
        return rows

    def add_problem(self, kpi, column: str, message: str) -> None:
        """Show a service's problem with a row on that row's field."""
        names = self.field_names(kpi)
        self.add_error(names.get(column, names["value"]), message)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 CSV with the columns kpi, date, value and note; at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
