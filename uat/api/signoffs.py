"""API of sign-offs: doors onto the same selectors and services as the pages.

A sign-off is prepared as a draft (POST, PATCH), requested (which freezes its snapshot),
signed or rejected by its named signatories, or cancelled; a rejected, cancelled or stale
one starts a new round. Reading one checks it against its subject: a pending request whose
subject changed becomes stale, and `changes_since` lists what changed. A signed sign-off's
PDF is downloaded from its `pdf` action once built; `verify` tells which sign-off a PDF or
a hash belongs to, and `chain` checks the project's whole chain of sealed records.

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. Nothing is ever deleted or replaced: no PUT, no DELETE.
"""

import json

import django_filters
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from projects import policy
from projects.api.fields import ProjectMemberField
from projects.choices import PdfStatus
from projects.filters import ProjectCodeFilter
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat.api.defects import ProjectCycleField
from uat.choices import Decision, SigningOrder, SignoffKind, SignoffStatus
from uat.models import SignOff
from uat.selectors import signoffs as selectors
from uat.services import signoffs as services
from uat.snapshots import criterion_label

POLICY = (
    "project members read and verify sign-offs; preparing, requesting and cancelling need "
    "manage_signoffs, requesting while exit criteria fail override_signoff, and only the "
    "named signatories sign"
)


class SignoffFilter(django_filters.FilterSet):
    project = ProjectCodeFilter(label=gettext_lazy("Project code"))
    status = django_filters.ChoiceFilter(
        choices=SignoffStatus.choices, label=gettext_lazy("Status")
    )
    kind = django_filters.ChoiceFilter(choices=SignoffKind.choices, label=gettext_lazy("Kind"))

    class Meta:
        model = SignOff
        fields = ["project", "status", "kind"]


# --- Output -------------------------------------------------------------------------------


def _pdf_of(signoff):
    """The sign-off's PDF row, or None (the selector has already joined it)."""
    return getattr(signoff, "pdf", None)


def _detail_url(signoff) -> str:
    return reverse("api:sign-off-detail", args=[signoff.pk])


class SignatureSerializer(serializers.Serializer):
    printed_name = serializers.CharField()
    role_title = serializers.CharField()
    meaning = serializers.CharField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField()
    signed_at = serializers.DateTimeField()
    ip_address = serializers.IPAddressField(allow_null=True)
    snapshot_hash = serializers.CharField(help_text=gettext_lazy("Snapshot SHA-256 signed."))
    signature_hash = serializers.CharField()


class SignatorySerializer(serializers.Serializer):
    position = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.display_name")
    role_title = serializers.CharField()
    meaning = serializers.CharField()
    signature = serializers.SerializerMethodField()

    @extend_schema_field(SignatureSerializer(allow_null=True))
    def get_signature(self, signatory):
        signatures = self.context.get("signatures", {})
        found = signatures.get(signatory.pk)
        return SignatureSerializer(found).data if found else None


class SignoffPdfSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PdfStatus.choices)
    sha256 = serializers.CharField()
    size = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    built_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, pdf) -> str | None:
        if pdf.status != PdfStatus.READY:
            return None
        return reverse("api:sign-off-pdf", args=[pdf.signoff_id])


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class OverrideSerializer(serializers.Serializer):
    criteria = CriterionSerializer(many=True)
    reason = serializers.CharField()


class SignoffSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    display_number = serializers.CharField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    signatories = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = SignOff
        fields = [
            "pk",
            "project",
            "number",
            "display_number",
            "kind",
            "cycle",
            "phase",
            "round",
            "previous_round",
            "title",
            "signing_order",
            "status",
            "created_by",
            "created_at",
            "requested_by",
            "requested_at",
            "snapshot_hash",
            "stale_at",
            "stale_reason",
            "concluded_at",
            "cancel_reason",
            "sequence",
            "previous_hash",
            "record_hash",
            "signatories",
            "pdf",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(SignatorySerializer(many=True))
    def get_signatories(self, signoff):
        # Both lists come prefetched by the selector: matching them here costs no query.
        signatures = {s.signatory_id: s for s in signoff.signatures.all()}
        return SignatorySerializer(
            signoff.signatories.all(), many=True, context={"signatures": signatures}
        ).data

    @extend_schema_field(SignoffPdfSerializer(allow_null=True))
    def get_pdf(self, signoff):
        pdf = _pdf_of(signoff)
        return SignoffPdfSerializer(pdf).data if pdf else None

    def get_url(self, signoff) -> str:
        return _detail_url(signoff)


class SignoffDetailSerializer(SignoffSerializer):
    """One sign-off with what was frozen, who is awaited and what changed since."""

    snapshot = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()
    awaiting = serializers.SerializerMethodField()
    can_sign = serializers.SerializerMethodField()
    changes_since = serializers.SerializerMethodField()

    class Meta(SignoffSerializer.Meta):
        fields = [
            *SignoffSerializer.Meta.fields,
            "snapshot",
            "override",
            "awaiting",
            "can_sign",
            "changes_since",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_snapshot(self, signoff):
        """The frozen snapshot as it was signed, or null for a draft."""
        return json.loads(signoff.snapshot_json) if signoff.snapshot_json else None

    @extend_schema_field(OverrideSerializer(allow_null=True))
    def get_override(self, signoff):
        if not signoff.override_criteria:
            return None
        return {
            "criteria": [
                {"key": key, "label": criterion_label(key)} for key in signoff.override_criteria
            ],
            "reason": signoff.override_reason,
        }

    def get_awaiting(self, signoff) -> list[str]:
        """Usernames of the signatories who can sign now."""
        return [signatory.user.username for signatory in services.awaiting(signoff)]

    def get_can_sign(self, signoff) -> bool:
        """Whether the asking user's signature is awaited now."""
        return services.may_sign(self.context["request"].user, signoff)

    def get_changes_since(self, signoff) -> list[str]:
        """What changed in scope since the snapshot was frozen."""
        return [str(change.text) for change in self.context.get("changes", [])]


class ChainSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    length = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())


def _chain_data(report) -> dict:
    return {"intact": report.is_intact, "length": report.length, "problems": report.problems}


class VerifiedSignoffSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=SignoffStatus.choices)
    url = serializers.SerializerMethodField()

    def get_url(self, signoff) -> str:
        return _detail_url(signoff)


class VerificationSerializer(serializers.Serializer):
    matches = serializers.BooleanField()
    matched = serializers.ChoiceField(
        choices=[("pdf", "pdf"), ("snapshot", "snapshot"), ("record", "record")],
        allow_null=True,
    )
    sign_off = VerifiedSignoffSerializer(allow_null=True)
    changes_since = serializers.ListField(child=serializers.CharField())
    chain = ChainSerializer(allow_null=True)


# --- Input --------------------------------------------------------------------------------


class SignatoryInputSerializer(serializers.Serializer):
    username = ProjectMemberField(help_text=gettext_lazy("Username of a project member."))
    role_title = serializers.CharField(max_length=120)
    meaning = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SignoffDraftSerializer(serializers.Serializer):
    """A draft's changes: only the fields sent change."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    signing_order = serializers.ChoiceField(choices=SigningOrder.choices, required=False)
    signatories = SignatoryInputSerializer(
        many=True,
        required=False,
        help_text=gettext_lazy("In signing order; replaces the current ones."),
    )


class SignoffCreateSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    kind = serializers.ChoiceField(choices=SignoffKind.choices)
    cycle = ProjectCycleField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("pk of the test cycle, for a UAT sign-off."),
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    signing_order = serializers.ChoiceField(
        choices=SigningOrder.choices, default=SigningOrder.PARALLEL
    )
    signatories = SignatoryInputSerializer(many=True, help_text=gettext_lazy("In signing order."))


class RequestSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Why to request although exit criteria fail (project manager)."),
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required to withdraw a pending request."),
    )


class SignSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Required to reject."),
    )
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=gettext_lazy("Your password, re-entered to sign."),
    )


class VerifySerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    hash = serializers.CharField(
        required=False, help_text=gettext_lazy("A SHA-256: of the PDF, snapshot or record.")
    )
    file = serializers.FileField(
        required=False, help_text=gettext_lazy("A sign-off PDF to look up by its SHA-256.")
    )

    def validate(self, attrs):
        if "hash" in attrs and "file" in attrs:
            raise serializers.ValidationError({"hash": [_("Give a hash or a file, not both.")]})
        if "hash" not in attrs and "file" not in attrs:
            raise serializers.ValidationError({"hash": [_("Give a hash or upload a file.")]})
        return attrs


class PdfRenderer(BaseRenderer):
    """Lets a client ask for the PDF with Accept: application/pdf."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)  # an error answer


# --- Helpers ------------------------------------------------------------------------------


def _body(request) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise serializers.ValidationError({"non_field_errors": [_("Send an object.")]})
    return data


def _rows(validated: list[dict]) -> list[dict]:
    return [
        {"user": row["username"], "role_title": row["role_title"], "meaning": row["meaning"]}
        for row in validated
    ]


# --- The viewset --------------------------------------------------------------------------


@declare(POLICY)
class SignoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sign-offs of the projects you belong to, newest first. Filter with ?project=CODE,
    status and kind."""

    lookup_value_regex = r"\d+"
    serializer_class = SignoffSerializer
    filterset_class = SignoffFilter
    ordering_fields = ["number", "created_at", "requested_at", "concluded_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.signoffs_visible_to(self.request.user)

    def get_object(self):
        return selectors.signoff_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def _project(self, code, *, to_write: bool):
        """The project named in the input: 400 when missing; for writing an invisible one is
        400 like the other APIs, for reading (verify, chain) 404."""
        if not isinstance(code, str) or not code.strip():
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            return project_get(user=self.request.user, code=code.strip().upper())
        except Http404 as error:
            if to_write:
                raise serializers.ValidationError({"project": [_("No such project.")]}) from error
            raise

    def _reply(self, signoff, code=status.HTTP_200_OK) -> Response:
        """The sign-off as it stands now, checked against its subject."""
        signoff = selectors.signoff_get_by_pk(user=self.request.user, pk=signoff.pk)
        if signoff.status == SignoffStatus.REQUESTED:
            freshness = services.signoff_mark_stale_if_changed(signoff)
        else:
            freshness = services.signoff_freshness(signoff)
        context = self.get_serializer_context() | {"changes": freshness.changes}
        return Response(SignoffDetailSerializer(signoff, context=context).data, status=code)

    @extend_schema(responses={200: SignoffDetailSerializer})
    def retrieve(self, request, pk=None):
        """One sign-off with its frozen snapshot, signatures, PDF and what changed since.

        Reading a pending request checks it against its subject: if anything in scope
        changed, the request becomes stale and can no longer be signed."""
        return self._reply(self.get_object())

    @extend_schema(request=SignoffCreateSerializer, responses={201: SignoffDetailSerializer})
    def create(self, request):
        """Prepare a draft naming its signatories in signing order."""
        data = _body(request)
        project = self._project(data.get("project"), to_write=True)
        policy.ensure(request.user, project, Capability.MANAGE_SIGNOFFS)
        serializer = SignoffCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        signoff = services.signoff_create(
            actor=request.user,
            project=project,
            kind=fields["kind"],
            cycle=fields["cycle"],
            title=fields["title"],
            signing_order=fields["signing_order"],
            signatories=_rows(fields["signatories"]),
        )
        return self._reply(signoff, status.HTTP_201_CREATED)

    @extend_schema(request=SignoffDraftSerializer, responses={200: SignoffDetailSerializer})
    def partial_update(self, request, pk=None):
        """Change a draft's title, signing order or signatories (replaced as a whole)."""
        signoff = self.get_object()
        policy.ensure(request.user, signoff.project, Capability.MANAGE_SIGNOFFS)
        # Not partial: a signatory sent must be complete, whatever else is left out.
        serializer = SignoffDraftSerializer(
            data=_body(request), context={"project": signoff.project}
        )
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        if "signatories" in fields:
            rows = _rows(fields["signatories"])
        else:
            rows = [
                {"user": s.user, "role_title": s.role_title, "meaning": s.meaning}
                for s in signoff.signatories.all()
            ]
        signoff = services.signoff_update_draft(
            actor=request.user,
            signoff=signoff,
            signatories=rows,
            signing_order=fields.get("signing_order", signoff.signing_order),
            title=fields.get("title", ""),
        )
        return self._reply(signoff)

    @extend_schema(request=RequestSerializer, responses={200: SignoffDetailSerializer})
    @action(detail=True, methods=["post"], url_path="request", url_name="request")
    def request_signatures(self, request, pk=None):
        """Freeze the snapshot and ask the signatories to sign. While an exit criterion
        fails, only the project manager may request, with an `override_reason`."""
        # Not named `request`: that would hide the view's own `self.request`.
        signoff = self.get_object()
        policy.ensure(request.user, signoff.project, Capability.MANAGE_SIGNOFFS)
        serializer = RequestSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        signoff = services.signoff_request(
            actor=request.user,
            signoff=signoff,
            override_reason=serializer.validated_data["override_reason"],
        )
        return self._reply(signoff)

    @extend_schema(request=CancelSerializer, responses={200: SignoffDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Withdraw a draft, or a pending request with a reason."""
        signoff = self.get_object()
        policy.ensure(request.user, signoff.project, Capability.MANAGE_SIGNOFFS)
        serializer = CancelSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        signoff = services.signoff_cancel(
            actor=request.user, signoff=signoff, reason=serializer.validated_data["reason"]
        )
        return self._reply(signoff)

    @extend_schema(request=SignSerializer, responses={200: SignoffDetailSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Approve or reject as one of the named signatories, re-entering your password.
        The signature records your name, role, meaning, time, IP address and the hash of
        the snapshot you signed."""
        signoff = self.get_object()
        policy.ensure(request.user, signoff.project, Capability.SIGN)
        if not policy.is_signatory_of(request.user, signoff):
            raise ApiPermissionDenied(_("Only the named signatories sign this sign-off."))
        serializer = SignSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        services.signoff_sign(
            actor=request.user,
            signoff=signoff,
            decision=fields["decision"],
            password=fields["password"],
            comment=fields["comment"],
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        return self._reply(signoff)

    @extend_schema(request=None, responses={201: SignoffDetailSerializer})
    @action(detail=True, methods=["post"], url_path="new-round", url_name="new-round")
    def new_round(self, request, pk=None):
        """Start the next round as a new draft with the same signatories, from a rejected,
        cancelled or stale sign-off (a stale request is cancelled first)."""
        signoff = self.get_object()
        policy.ensure(request.user, signoff.project, Capability.MANAGE_SIGNOFFS)
        created = services.signoff_new_round(actor=request.user, signoff=signoff)
        return self._reply(created, status.HTTP_201_CREATED)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # An error is JSON, and says so, even when the client asked for the PDF.
        if response.status_code >= 400 and isinstance(
            getattr(response, "accepted_renderer", None), PdfRenderer
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (404, "application/json"): OpenApiTypes.OBJECT,
        }
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        """The signed sign-off's PDF, as stored when it was built; 404 until it is ready."""
        signoff = self.get_object()
        pdf = _pdf_of(signoff)
        if pdf is None or pdf.status != PdfStatus.READY or not pdf.file:
            raise Http404(_("The PDF of this sign-off is not ready."))
        response = FileResponse(
            pdf.file.open("rb"),
            as_attachment=True,
            filename=f"{signoff.project.code}-{signoff.display_number}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=None, responses={202: SignoffPdfSerializer})
    @action(detail=True, methods=["post"], url_path="pdf-retry", url_name="pdf-retry")
    def pdf_retry(self, request, pk=None):
        """Queue the PDF build again after it failed."""
        signoff = self.get_object()
        pdf = services.signoff_pdf_retry(actor=request.user, signoff=signoff)
        return Response(SignoffPdfSerializer(pdf).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=VerifySerializer, responses={200: VerificationSerializer})
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        filter_backends=[],
        pagination_class=None,
    )
    def verify(self, request):
        """Which of the project's sign-offs a PDF (upload `file`) or a SHA-256 (`hash`)
        belongs to, what changed since, and whether the project's chain is intact."""
        data = _body(request)
        project = self._project(data.get("project"), to_write=False)
        serializer = VerifySerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        digest = services.file_sha256(fields["file"]) if "file" in fields else fields["hash"]
        found = services.signoff_verify(actor=request.user, project=project, digest=digest)
        signoff = found.signoff
        result = {
            "matches": signoff is not None,
            "matched": found.matched or None,
            "sign_off": VerifiedSignoffSerializer(signoff).data if signoff else None,
            "changes_since": [str(change.text) for change in found.changes],
            "chain": _chain_data(found.chain) if found.chain else None,
        }
        return Response(result)

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, required=True, description="The project's code.")
        ],
        responses={200: ChainSerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def chain(self, request):
        """Recompute every hash of the project's sign-offs and follow its chain."""
        project = self._project(request.query_params.get("project"), to_write=False)
        return Response(_chain_data(services.chain_verify(project)))


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("sign-offs", SignoffViewSet, basename="sign-off")
