"""Input shapes of the sign-off pages: prepare, request, sign, cancel, verify.

The forms check only the shape of the input; every rule (who may sign, which cycle, whether
exit criteria allow a request) is the services' (uat.services.signoffs).
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.choices import Role
from uat.choices import Decision, SigningOrder, SignoffKind

# A sign-off PDF is a few hundred kilobytes; anything far larger is not one of ours.
MAX_VERIFY_UPLOAD = 10 * 1024 * 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class SignerChoiceField(forms.ModelChoiceField):
    """A team member, named with their role on the project when the queryset carries it."""

    def label_from_instance(self, obj) -> str:
        role = getattr(obj, "team_role", None)
        return f"{obj.display_name} · {Role(role).label}" if role else obj.display_name


class CycleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class SignoffDraftForm(forms.Form):
    """What a draft's preparer may change: its title and signing order."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty for a title from the cycle or the go-live phase."),
    )
    signing_order = forms.ChoiceField(
        label=_("Signing order"),
        choices=SigningOrder.choices,
        initial=SigningOrder.PARALLEL,
        widget=forms.RadioSelect,
    )


class SignoffCreateForm(SignoffDraftForm):
    """A new sign-off: what is signed off (a test cycle or go-live readiness) and how."""

    kind = forms.ChoiceField(
        label=_("What is signed off"),
        choices=SignoffKind.choices,
        initial=SignoffKind.UAT,
        widget=forms.RadioSelect,
    )
    cycle = CycleChoiceField(
        label=_("Test cycle"),
        queryset=None,
        required=False,
        help_text=_("Needed for a UAT sign-off; not used for go-live readiness."),
    )
    field_order = ["kind", "cycle", "title", "signing_order"]

    def __init__(self, *args, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles


class SignatoryForm(forms.Form):
    """One signatory row. A row left empty is skipped; a half-filled one is an error."""

    user = SignerChoiceField(label=_("Signatory"), queryset=None, required=False)
    role_title = forms.CharField(
        label=_("Signs as"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Business owner")}),
    )
    meaning = forms.CharField(
        label=_("Meaning of the signature"),
        max_length=200,
        required=False,
        help_text=_("Optional. By default: “Accepted as <role>”."),
    )

    def __init__(self, *args, signers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = signers

    def clean(self):
        data = super().clean()
        user, role_title = data.get("user"), (data.get("role_title") or "").strip()
        if user is None and (role_title or (data.get("meaning") or "").strip()):
            self.add_error("user", _("Choose who signs in this row."))
        elif user is not None and not role_title:
            self.add_error("role_title", _("Say in what role this person signs."))
        return data

    @property
    def row(self) -> dict | None:
        """The row for the service, or None when the row was left empty."""
        data = getattr(self, "cleaned_data", {})
        if not data.get("user"):
            return None
        return {"user": data["user"], "role_title": data["role_title"], "meaning": data["meaning"]}


SignatoryFormSet = forms.formset_factory(SignatoryForm, extra=3, max_num=12, validate_max=True)


def signatory_rows(formset) -> list[dict]:
    """The filled rows of a valid signatory formset, in signing order."""
    return [form.row for form in formset.forms if form.row is not None]


class RequestForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Why request although exit criteria fail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only the project manager may request while an exit criterion fails. The failing "
            "criteria and this reason are shown to every signatory and printed on the PDF."
        ),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why cancel"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to withdraw a request the signatories have received."),
    )


class SignForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you reject: say why."),
    )
    password = forms.CharField(
        label=_("Re-enter your password to sign"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class VerifyForm(forms.Form):
    """A pasted SHA-256 or an uploaded PDF: one of the two."""

    hash = forms.CharField(
        label=_("SHA-256 hash"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Of the PDF, the snapshot or the record: 64 characters, 0-9 and a-f."),
    )
    file = forms.FileField(
        label=_("Or upload the PDF"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_hash(self) -> str:
        digest = self.cleaned_data["hash"].strip().lower()
        if digest and not SHA256.match(digest):
            raise forms.ValidationError(
                _("Paste a SHA-256 hash: 64 characters, 0-9 and a-f."), code="invalid"
            )
        return digest

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return upload
        if upload.size > MAX_VERIFY_UPLOAD:
            raise forms.ValidationError(
                _("This file is larger than %(size)s MB: it is not a sign-off PDF.")
                % {"size": MAX_VERIFY_UPLOAD // (1024 * 1024)},
                code="too_large",
            )
        head = upload.read(5)
        upload.seek(0)
        if head != b"%PDF-":
            raise forms.ValidationError(_("This file is not a PDF."), code="not_pdf")
        return upload

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("hash") and data.get("file"):
            raise forms.ValidationError(_("Paste a hash or upload a file, not both."))
        if not data.get("hash") and not data.get("file"):
            raise forms.ValidationError(_("Paste a hash or upload a PDF."))
        return data
