"""API of defects, their comments and attachments: doors onto the same selectors and
services as the pages.

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. Files are downloaded through the page URL in `download_url`.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from implementation.choices import Environment
from projects import policy
from projects.api.fields import ProjectMemberField
from projects.policy import Capability, declare
from projects.selectors import project_get
from uat import attachments
from uat.choices import DefectStatus, Priority, Severity
from uat.defect_filters import AttachmentFilter, DefectCommentFilter, DefectFilter
from uat.models import Attachment, Defect, DefectComment, TestCycle
from uat.selectors import defects as selectors
from uat.services import defects as services

POLICY = (
    "project members read defects; reporting needs log_defects, editing manage_defects (or "
    "being the reporter of a new defect), moves follow the workflow and the role"
)


class DefectSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    display_number = serializers.CharField(read_only=True)
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    fixed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Defect
        fields = [
            "pk",
            "project",
            "number",
            "display_number",
            "title",
            "severity",
            "priority",
            "status",
            "module",
            "environment",
            "description",
            "steps_to_reproduce",
            "expected_result",
            "actual_result",
            "reporter",
            "assignee",
            "cycle",
            "execution",
            "duplicate_of",
            "deferral_reason",
            "workaround",
            "target_date",
            "fixed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProjectCycleField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=TestCycle.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return TestCycle.objects.filter(project=project) if project else TestCycle.objects.none()


class ProjectDefectField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Defect.objects.none(), **kwargs)

    def get_queryset(self):
        project = self.context.get("project")
        return Defect.objects.filter(project=project) if project else Defect.objects.none()


class DefectFieldsSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    module = serializers.CharField(max_length=120, required=False, allow_blank=True)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    steps_to_reproduce = serializers.CharField(required=False, allow_blank=True)
    expected_result = serializers.CharField(required=False, allow_blank=True)
    actual_result = serializers.CharField(required=False, allow_blank=True)
    assignee = ProjectMemberField(
        required=False, allow_null=True, help_text=gettext_lazy("Username of a project member.")
    )
    cycle = ProjectCycleField(required=False, allow_null=True)


class DefectCreateSerializer(DefectFieldsSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))


class DefectTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=DefectStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    duplicate_of = ProjectDefectField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("pk of the original defect, for a duplicate."),
    )
    deferral_reason = serializers.CharField(required=False, allow_blank=True, default="")
    workaround = serializers.CharField(required=False, allow_blank=True, default="")
    target_date = serializers.DateField(required=False, allow_null=True, default=None)


def _body(request) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise serializers.ValidationError({"non_field_errors": [_("Send an object.")]})
    return data


def _pk(data, name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not str(value or "").strip().isdigit():
        raise serializers.ValidationError({name: [_("Give the pk of a defect.")]})
    return int(str(value).strip())


@declare(POLICY)
@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("project", str, description="The project's code.")]
    )
)
class DefectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Defects of the projects you belong to. Filter with ?project=CODE, severity, status
    (or `open`), module, assignee (username or `none`), cycle and q."""

    lookup_value_regex = r"\d+"
    serializer_class = DefectSerializer
    filterset_class = DefectFilter
    ordering_fields = ["number", "severity", "status", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        # By key, not by the project's name: a project's page is then read in its index order.
        return selectors.defects_visible_to(self.request.user).order_by("project_id", "-number")

    def get_object(self):
        return selectors.defect_get_by_pk(user=self.request.user, pk=self.kwargs["pk"])

    def _project_to_write(self, data):
        code = data.get("project")
        if not isinstance(code, str) or not code.strip():
            raise serializers.ValidationError({"project": [_("This field is required.")]})
        try:
            project = project_get(user=self.request.user, code=code.strip().upper())
        except Http404 as error:
            raise serializers.ValidationError({"project": [_("No such project.")]}) from error
        policy.ensure(self.request.user, project, Capability.LOG_DEFECTS)
        return project

    def _reply(self, defect, code=status.HTTP_200_OK):
        defect = selectors.defect_get_by_pk(user=self.request.user, pk=defect.pk)
        return Response(DefectSerializer(defect).data, status=code)

    @extend_schema(request=DefectCreateSerializer, responses={201: DefectSerializer})
    def create(self, request):
        data = _body(request)
        project = self._project_to_write(data)
        serializer = DefectCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        defect = services.defect_report(actor=request.user, project=project, **fields)
        return self._reply(defect, status.HTTP_201_CREATED)

    @extend_schema(request=DefectFieldsSerializer, responses={200: DefectSerializer})
    def partial_update(self, request, pk=None):
        defect = self.get_object()
        if not services.editable_fields(request.user, defect):
            raise ApiPermissionDenied(_("You may not edit this defect."))
        serializer = DefectFieldsSerializer(
            data=_body(request), partial=True, context={"project": defect.project}
        )
        serializer.is_valid(raise_exception=True)
        defect = services.defect_update(
            actor=request.user, defect=defect, **serializer.validated_data
        )
        return self._reply(defect)

    @extend_schema(request=DefectTransitionSerializer, responses={200: DefectSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the defect along the workflow; the same rules as the page's buttons."""
        defect = self.get_object()
        if not (
            policy.can(request.user, defect.project, Capability.MANAGE_DEFECTS)
            or policy.can(request.user, defect.project, Capability.RETEST)
        ):
            raise ApiPermissionDenied(_("Your role on this project does not allow moving defects."))
        serializer = DefectTransitionSerializer(
            data=_body(request), context={"project": defect.project}
        )
        serializer.is_valid(raise_exception=True)
        defect = services.defect_transition(
            actor=request.user, defect=defect, **serializer.validated_data
        )
        return self._reply(defect)


class DefectCommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DefectComment
        fields = ["pk", "defect", "author", "body", "created_at"]
        read_only_fields = fields


class DefectCommentCreateSerializer(serializers.Serializer):
    defect = serializers.IntegerField(help_text=gettext_lazy("pk of the defect."))
    body = serializers.CharField(max_length=10000)


@declare("project members read comments; writing needs comment")
class DefectCommentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Comments on defects of your projects; filter with ?defect=<pk>."""

    serializer_class = DefectCommentSerializer
    filterset_class = DefectCommentFilter
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.comments_visible_to(self.request.user).order_by("created_at", "pk")

    @extend_schema(request=DefectCommentCreateSerializer, responses={201: DefectCommentSerializer})
    def create(self, request):
        data = _body(request)
        defect = selectors.defect_get_by_pk(user=request.user, pk=_pk(data, "defect"))
        policy.ensure(request.user, defect.project, Capability.COMMENT)
        serializer = DefectCommentCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        comment = services.defect_comment_add(
            actor=request.user, defect=defect, body=serializer.validated_data["body"]
        )
        return Response(DefectCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class AttachmentSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "pk",
            "project",
            "defect",
            "execution",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("uat:attachment-download", args=[attachment.project.code, attachment.pk])


class AttachmentCreateSerializer(serializers.Serializer):
    defect = serializers.IntegerField(help_text=gettext_lazy("pk of the defect."))
    file = serializers.FileField(help_text=gettext_lazy("PNG, JPEG, PDF, XLSX or text, 10 MB."))


@declare("project members read attachments; uploading needs log_defects or comment")
class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Attachment metadata of your projects; filter with ?defect=<pk>. Download the file
    from `download_url`."""

    lookup_value_regex = r"\d+"
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilter
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering_fields = ["uploaded_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.attachments_visible_to(self.request.user).order_by("uploaded_at", "pk")

    def get_object(self):
        return selectors.attachment_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=AttachmentCreateSerializer, responses={201: AttachmentSerializer})
    def create(self, request):
        data = _body(request)
        defect = selectors.defect_get_by_pk(user=request.user, pk=_pk(data, "defect"))
        attachments.ensure_may_attach(request.user, defect.project)
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": [_("Choose a file.")]})
        attachment = attachments.attachment_add(
            actor=request.user, project=defect.project, upload=upload, defect=defect
        )
        attachment = selectors.attachment_get(user=request.user, pk=attachment.pk)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("defects", DefectViewSet, basename="defect")
    router.register("defect-comments", DefectCommentViewSet, basename="defect-comment")
    router.register("attachments", AttachmentViewSet, basename="attachment")
