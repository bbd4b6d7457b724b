"""Input shapes of the training and communication pages; the rules live in
implementation.services.training."""

from django import forms
from django.utils.translation import gettext_lazy as _

from implementation.choices import ActivityStatus, CommunicationKind
from implementation.configuration_forms import DateTimeInput, MemberChoiceField
from implementation.models import CommunicationActivity, EndUser, TrainingSession
from projects.choices import Department, Role
from projects.forms import DateInput

NOT_A_MEMBER = _("Choose a member of this project's team.")


def _all(label) -> list[tuple[str, str]]:
    return [("", label)]


class _ServiceValidatedForm(forms.ModelForm):
    """The form checks the input's shape; the service validates the model and its rules."""

    def _post_clean(self):
        pass

    def service_arguments(self, *, changed_only: bool = False) -> dict:
        data = dict(self.cleaned_data)
        for name, value in data.items():
            if value is None and isinstance(self.fields[name], forms.CharField):
                data[name] = ""
        if changed_only:
            data = {name: data[name] for name in self.changed_data if name in data}
        return data


def _team_field(form, name: str, team) -> None:
    field = form.fields[name]
    field.queryset = team
    field.error_messages["invalid_choice"] = NOT_A_MEMBER


# --- Communication plan --------------------------------------------------------------------


class ActivityForm(_ServiceValidatedForm):
    """One activity of the communication plan; the owner comes from the team."""

    class Meta:
        model = CommunicationActivity
        fields = [
            "title",
            "kind",
            "planned_on",
            "audience_department",
            "audience_role",
            "owner",
            "status",
            "notes",
        ]
        widgets = {"planned_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"owner": MemberChoiceField}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        _team_field(self, "owner", team)
        self.fields["audience_department"].choices = _all(_("Every department")) + list(
            Department.choices
        )
        self.fields["audience_role"].choices = _all(_("Every role")) + list(Role.choices)


class ActivityFilterForm(forms.Form):
    """Filters of the communication plan; a value that is not a choice is reported and
    ignored."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_all(_("All statuses")) + list(ActivityStatus.choices),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=_all(_("All kinds")) + list(CommunicationKind.choices),
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or "" for name in self.fields}


# --- End users -----------------------------------------------------------------------------


class EndUserForm(_ServiceValidatedForm):
    """A person to train; a team member who also works in the system can be linked."""

    class Meta:
        model = EndUser
        fields = ["name", "department", "email", "user"]
        field_classes = {"user": MemberChoiceField}
        help_texts = {"user": _("Only when this person is also on the project team.")}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        _team_field(self, "user", team)
        self.fields["user"].required = False


class DepartmentFilterForm(forms.Form):
    department = forms.ChoiceField(
        label=_("Department"),
        required=False,
        choices=_all(_("All departments")) + list(Department.choices),
    )

    def chosen(self) -> str:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("department") or ""


class EndUserImportForm(forms.Form):
    text = forms.CharField(
        label=_("End users, one per line"),
        widget=forms.Textarea(
            attrs={"rows": 12, "placeholder": "Nguyen Van An, Sales, an.nguyen@example.com"}
        ),
        help_text=_(
            "name, department[, e-mail]. The department is its name (Sales, Warehouse...). "
            "A first line 'name, department, e-mail' is skipped. Nothing is added while a line "
            "has an error."
        ),
        strip=False,
    )


# --- Training sessions ---------------------------------------------------------------------


class SessionForm(_ServiceValidatedForm):
    """A training session; the start is entered in the project's time zone."""

    class Meta:
        model = TrainingSession
        fields = [
            "title",
            "module",
            "starts_at",
            "duration_minutes",
            "location",
            "trainer",
            "notes",
        ]
        widgets = {"starts_at": DateTimeInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"trainer": MemberChoiceField}

    def __init__(self, *args, team, time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        _team_field(self, "trainer", team)
        self.fields["trainer"].required = False
        self.fields["starts_at"].help_text = _("Time in %(zone)s, the project's time zone.") % {
            "zone": time_zone.replace("_", " ")
        }


class EndUserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.get_department_display()}"


class InviteForm(forms.Form):
    """Invite a whole department at once, or chosen end users, or both."""

    department = forms.ChoiceField(
        label=_("A whole department"),
        required=False,
        choices=_all(_("No department")) + list(Department.choices),
    )
    end_users = EndUserChoiceField(
        label=_("Chosen end users"),
        required=False,
        queryset=EndUser.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
    )

    def __init__(self, *args, end_users, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["end_users"]
        field.queryset = end_users
        field.error_messages["invalid_choice"] = _("Choose end users of this project.")
        field.error_messages["invalid_pk_value"] = _("Choose end users of this project.")

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("department") and not data.get("end_users"):
            raise forms.ValidationError(_("Choose a department or some end users to invite."))
        return data


class UninviteForm(forms.Form):
    """Whom to take off a session's list (the button on their row names them)."""

    end_user = forms.ModelChoiceField(queryset=EndUser.objects.none())

    def __init__(self, *args, end_users, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["end_user"]
        field.queryset = end_users
        for code in ("required", "invalid_choice"):
            field.error_messages[code] = _("Choose someone on this session's list.")


CAME, DID_NOT_COME, NOT_KNOWN = "came", "absent", ""
ATTENDED_VALUES = {CAME: True, DID_NOT_COME: False, NOT_KNOWN: None}


class AttendanceForm(forms.Form):
    """One choice per invited person: came, did not come, or not known yet."""

    PREFIX = "attended_"

    def __init__(self, *args, attendances, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (CAME, _("Came")),
            (DID_NOT_COME, _("Did not come")),
            (NOT_KNOWN, _("Not known")),
        ]
        self.rows = []
        for attendance in attendances:
            name = f"{self.PREFIX}{attendance.end_user_id}"
            current = {True: CAME, False: DID_NOT_COME, None: NOT_KNOWN}[attendance.attended]
            self.fields[name] = forms.ChoiceField(
                label=attendance.end_user.name,
                choices=choices,
                required=False,
                initial=current,
                widget=forms.RadioSelect,
            )
            self.rows.append((attendance, name))

    def bound_rows(self):
        return [(attendance, self[name]) for attendance, name in self.rows]

    def changes(self) -> dict[int, bool | None]:
        """What differs from what is recorded. Someone missing from the POST (invited after
        the page was opened) keeps their value rather than being reset to "not known"."""
        changed = {}
        for attendance, name in self.rows:
            if name not in self.data:
                continue
            value = ATTENDED_VALUES[self.cleaned_data.get(name) or NOT_KNOWN]
            if value != attendance.attended:
                changed[attendance.end_user_id] = value
        return changed
