"""API of data migration: the inventory of data objects and their trial and final loads.

A data object's read carries the summary of its loads (how many, and the last one: its
label, reconciliation status and whether its data owner signed it off). A load's read
carries the gaps behind its reconciliation status (implementation.golive_rules.reconcile,
worked out with the tolerance the load was checked with). Objects and loads are written
with manage_migration; only the object's data owner signs a load off, and a signed-off
load no longer changes.

Outsiders get 404 for anything of a project they do not belong to; a member whose role
does not allow the action gets 403 before the rest of the input is read; bad input is a
400 with field keys. No PUT, no DELETE.
"""

from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from implementation.choices import CleansingStatus, LoadKind, Reconciliation
from implementation.golive_rules import reconcile
from implementation.models import MigrationLoad, MigrationObject
from implementation.models.migration import PERCENT
from implementation.services import migration as services
from kpis.api.kpis import body_of, project_for_writing
from kpis.models import DIGITS, LARGEST_VALUE
from projects import policy
from projects.api.fields import ProjectMemberField, SafeDateTimeField
from projects.filters import MAX_PK, PkFilter, ProjectCodeFilter
from projects.models import Project
from projects.policy import Capability, declare

POLICY = (
    "project members read data objects and loads; writing them needs manage_migration, "
    "signing a load off is for the object's data owner"
)
LARGEST_COUNT = 2**31 - 1  # PositiveIntegerField


# --- Shared helpers (also used by the cutover and training APIs) ---------------------------


def visible(queryset: QuerySet, user) -> QuerySet:
    """Rows of the projects the user can see: the one scoping rule of every go-live read."""
    return queryset.filter(project__in=Project.objects.visible_to(user).values("pk"))


def first_or_404(queryset: QuerySet, pk, message: str):
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise Http404(message)
    return row


def pk_in_body(data, field: str, message: str) -> int:
    """A primary key named in the body: a whole number in range, else a 400 on the field."""
    try:
        return serializers.IntegerField(min_value=1, max_value=MAX_PK).run_validation(
            data.get(field)
        )
    except serializers.ValidationError as error:
        raise serializers.ValidationError({field: [message]}) from error


def project_filter():
    return ProjectCodeFilter(label=gettext_lazy("Project code"))


def enum_field(choices, component_name: str) -> type[serializers.ChoiceField]:
    """A ChoiceField over `choices` documented as its own named enum: choice sets that share
    a field name (status, kind) across the APIs would otherwise get made-up names."""
    schema = {
        "type": "string",
        "enum": list(choices.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }

    @extend_schema_field(schema, component_name=component_name)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices.choices, **kwargs)

    Field.__name__ = Field.__qualname__ = component_name.removesuffix("Enum") + "Field"
    return Field


LoadKindField = enum_field(LoadKind, "LoadKindEnum")


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "nullable": True,
        "description": "A percentage with two decimals; `Infinity` when the base is zero.",
    }
)
class PercentField(serializers.Field):
    """A computed percentage: a share of zero (a control total of 0 in source) is infinite."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        if value.is_infinite():
            return "Infinity"
        return str(value.quantize(Decimal("0.01")))


# --- Selectors ------------------------------------------------------------------------------


def _last_load(field_name: str):
    return Subquery(
        MigrationLoad.objects.filter(migration_object=OuterRef("pk"))
        .order_by("-sequence")
        .values(field_name)[:1]
    )


def objects_visible_to(user) -> QuerySet[MigrationObject]:
    """Data objects of the user's projects, each with its loads summary, by project and name."""
    loads = (
        MigrationLoad.objects.filter(migration_object=OuterRef("pk"))
        .order_by()
        .values("migration_object")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        visible(MigrationObject.objects.all(), user)
        .select_related("project", "owner")
        .annotate(
            loads_count=Coalesce(Subquery(loads), 0),
            last_pk=_last_load("pk"),
            last_sequence=_last_load("sequence"),
            last_kind=_last_load("kind"),
            last_loaded_at=_last_load("loaded_at"),
            last_reconciliation=_last_load("reconciliation"),
            last_signed_off_at=_last_load("signed_off_at"),
        )
        .order_by("project__code", "name", "pk")
    )


def loads_visible_to(user) -> QuerySet[MigrationLoad]:
    """Loads of the user's projects, by project, data object and load number."""
    return (
        visible(MigrationLoad.objects.all(), user)
        .select_related(
            "project", "migration_object", "migration_object__owner", "recorded_by", "signed_off_by"
        )
        .order_by("project__code", "migration_object__name", "migration_object_id", "sequence")
    )


# --- Filters --------------------------------------------------------------------------------


class MigrationObjectFilter(django_filters.FilterSet):
    project = project_filter()
    cleansing_status = django_filters.ChoiceFilter(
        choices=CleansingStatus.choices, label=gettext_lazy("Cleansing")
    )

    class Meta:
        model = MigrationObject
        fields = ["project", "cleansing_status"]


class MigrationLoadFilter(django_filters.FilterSet):
    project = project_filter()
    object = PkFilter(field_name="migration_object_id", label=gettext_lazy("Data object pk"))
    kind = django_filters.ChoiceFilter(choices=LoadKind.choices, label=gettext_lazy("Kind"))
    reconciliation = django_filters.ChoiceFilter(
        choices=Reconciliation.choices, label=gettext_lazy("Reconciliation")
    )

    class Meta:
        model = MigrationLoad
        fields = ["project", "object", "kind", "reconciliation"]


# --- Output ---------------------------------------------------------------------------------


class LastLoadSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    sequence = serializers.IntegerField()
    label = serializers.CharField(help_text=gettext_lazy("Mock 1, Mock 2, Final load (load 3)."))
    kind = LoadKindField()
    loaded_at = serializers.DateTimeField()
    reconciliation = serializers.ChoiceField(choices=Reconciliation.choices)
    signed_off = serializers.BooleanField()


class MigrationObjectSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner = serializers.CharField(
        source="owner.username",
        read_only=True,
        help_text=gettext_lazy("The data owner, who signs the loads off."),
    )
    loads = serializers.IntegerField(
        source="loads_count", read_only=True, help_text=gettext_lazy("How many loads ran.")
    )
    last_load = serializers.SerializerMethodField()

    class Meta:
        model = MigrationObject
        fields = [
            "pk",
            "project",
            "name",
            "source_system",
            "owner",
            "mapping_notes",
            "cleansing_status",
            "control_total_label",
            "tolerance_percent",
            "loads",
            "last_load",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LastLoadSerializer(allow_null=True))
    def get_last_load(self, obj):
        """The latest load (the one readiness looks at), or null before the first."""
        if obj.last_pk is None:
            return None
        load = MigrationLoad(kind=obj.last_kind, sequence=obj.last_sequence)
        return LastLoadSerializer(
            {
                "pk": obj.last_pk,
                "sequence": obj.last_sequence,
                "label": load.label,
                "kind": obj.last_kind,
                "loaded_at": obj.last_loaded_at,
                "reconciliation": obj.last_reconciliation,
                "signed_off": obj.last_signed_off_at is not None,
            }
        ).data


class LoadCheckSerializer(serializers.Serializer):
    """The gaps behind the reconciliation status."""

    missing = serializers.IntegerField(
        help_text=gettext_lazy("Records in source that did not arrive (rejected or lost).")
    )
    unaccounted = serializers.IntegerField(
        help_text=gettext_lazy("Of those, neither loaded nor rejected: lost on the way.")
    )
    missing_percent = PercentField()
    total_difference = serializers.DecimalField(
        **DIGITS,
        allow_null=True,
        help_text=gettext_lazy("Control total in target minus in source; null without totals."),
    )
    total_difference_percent = PercentField()
    rejected_percent = PercentField()


class MigrationLoadSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    object = serializers.IntegerField(source="migration_object_id", read_only=True)
    object_name = serializers.CharField(source="migration_object.name", read_only=True)
    label = serializers.CharField(read_only=True)
    kind = LoadKindField(read_only=True)
    check = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    signed_off = serializers.BooleanField(source="is_signed_off", read_only=True)
    signed_off_by = serializers.CharField(
        source="signed_off_by.username", read_only=True, allow_null=True
    )

    class Meta:
        model = MigrationLoad
        fields = [
            "pk",
            "project",
            "object",
            "object_name",
            "sequence",
            "label",
            "kind",
            "loaded_at",
            "source_count",
            "loaded_count",
            "rejected_count",
            "source_total",
            "target_total",
            "tolerance_percent",
            "reconciliation",
            "check",
            "notes",
            "recorded_by",
            "recorded_at",
            "signed_off",
            "signed_off_by",
            "signed_off_at",
            "sign_off_comment",
        ]
        read_only_fields = fields

    @extend_schema_field(LoadCheckSerializer)
    def get_check(self, load):
        found = reconcile(
            source_count=load.source_count,
            loaded_count=load.loaded_count,
            rejected_count=load.rejected_count,
            source_total=load.source_total,
            target_total=load.target_total,
            tolerance_percent=load.tolerance_percent,
        )
        return LoadCheckSerializer(found).data


# --- Input ----------------------------------------------------------------------------------


def percent_field(**kwargs):
    return serializers.DecimalField(
        max_digits=PERCENT["max_digits"],
        decimal_places=PERCENT["decimal_places"],
        min_value=Decimal(0),
        max_value=Decimal(100),
        **kwargs,
    )


def count_field(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=LARGEST_COUNT, **kwargs)


def total_field(**kwargs):
    return serializers.DecimalField(
        **DIGITS, min_value=-LARGEST_VALUE, max_value=LARGEST_VALUE, allow_null=True, **kwargs
    )


class MigrationObjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    source_system = serializers.CharField(max_length=120)
    owner = ProjectMemberField(
        help_text=gettext_lazy("Username of the data owner, a member of the team.")
    )
    mapping_notes = serializers.CharField(allow_blank=True)
    cleansing_status = serializers.ChoiceField(choices=CleansingStatus.choices)
    control_total_label = serializers.CharField(max_length=120, allow_blank=True)
    tolerance_percent = percent_field()


class MigrationObjectCreateSerializer(MigrationObjectUpdateSerializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    mapping_notes = serializers.CharField(allow_blank=True, required=False, default="")
    cleansing_status = serializers.ChoiceField(
        choices=CleansingStatus.choices, default=CleansingStatus.NOT_STARTED
    )
    control_total_label = serializers.CharField(
        max_length=120, allow_blank=True, required=False, default=""
    )
    tolerance_percent = percent_field(default=Decimal(0))


class MigrationLoadUpdateSerializer(serializers.Serializer):
    kind = LoadKindField()
    loaded_at = SafeDateTimeField(help_text=gettext_lazy("When the load ran; not in the future."))
    source_count = count_field()
    loaded_count = count_field()
    rejected_count = count_field()
    source_total = total_field()
    target_total = total_field()
    notes = serializers.CharField(allow_blank=True)


class MigrationLoadCreateSerializer(MigrationLoadUpdateSerializer):
    object = serializers.IntegerField(help_text=gettext_lazy("The data object's pk."))
    rejected_count = count_field(default=0)
    source_total = total_field(
        required=False,
        default=None,
        help_text=gettext_lazy("Give both control totals, or neither for an object without one."),
    )
    target_total = total_field(required=False, default=None)
    notes = serializers.CharField(allow_blank=True, required=False, default="")


class SignOffSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="")


# --- The viewsets ---------------------------------------------------------------------------


@declare(POLICY)
class MigrationObjectViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Data objects to migrate, of the projects you belong to, each with its loads summary.
    Filter with ?project=CODE and cleansing_status."""

    lookup_value_regex = r"\d+"  # anything else is a 404, never a 500
    serializer_class = MigrationObjectSerializer
    filterset_class = MigrationObjectFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return objects_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No data object matches the given query.")
        )

    def _reply(self, obj, code=status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(MigrationObjectSerializer(obj).data, status=code)

    @extend_schema(
        request=MigrationObjectCreateSerializer, responses={201: MigrationObjectSerializer}
    )
    def create(self, request):
        """Add a data object to the migration inventory, with its data owner."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        policy.ensure(request.user, project, Capability.MANAGE_MIGRATION)
        serializer = MigrationObjectCreateSerializer(data=data, context={"project": project})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("project")
        obj = services.migration_object_create(actor=request.user, project=project, **fields)
        return self._reply(obj, status.HTTP_201_CREATED)

    @extend_schema(
        request=MigrationObjectUpdateSerializer, responses={200: MigrationObjectSerializer}
    )
    def partial_update(self, request, pk=None):
        """Change a data object; its loads keep the tolerance they were checked with."""
        obj = self.get_object()
        policy.ensure(request.user, obj.project, Capability.MANAGE_MIGRATION)
        serializer = MigrationObjectUpdateSerializer(
            data=body_of(request), partial=True, context={"project": obj.project}
        )
        serializer.is_valid(raise_exception=True)
        obj = services.migration_object_update(
            actor=request.user, obj=obj, **serializer.validated_data
        )
        return self._reply(obj)


@declare(POLICY)
class MigrationLoadViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Trial and final loads of the data objects of the projects you belong to, each with
    the gaps behind its reconciliation status. Filter with ?project=CODE, object (pk), kind
    and reconciliation."""

    lookup_value_regex = r"\d+"
    serializer_class = MigrationLoadSerializer
    filterset_class = MigrationLoadFilter
    ordering_fields = ["sequence", "loaded_at", "recorded_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return loads_visible_to(self.request.user)

    def get_object(self):
        return first_or_404(
            self.get_queryset(), self.kwargs["pk"], _("No migration load matches the given query.")
        )

    def _reply(self, load, code=status.HTTP_200_OK) -> Response:
        load = self.get_queryset().get(pk=load.pk)
        return Response(MigrationLoadSerializer(load).data, status=code)

    @extend_schema(request=MigrationLoadCreateSerializer, responses={201: MigrationLoadSerializer})
    def create(self, request):
        """Record a load of a data object; its number follows the object's last load and
        its reconciliation status is worked out from the numbers."""
        data = body_of(request)
        pk = pk_in_body(data, "object", _("Give a data object's pk."))
        obj = (
            visible(MigrationObject.objects.all(), request.user)
            .select_related("project")
            .filter(pk=pk)
            .first()
        )
        if obj is None:
            raise serializers.ValidationError({"object": [_("No such data object.")]})
        policy.ensure(request.user, obj.project, Capability.MANAGE_MIGRATION)
        serializer = MigrationLoadCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("object")
        load = services.load_record(actor=request.user, obj=obj, **fields)
        return self._reply(load, status.HTTP_201_CREATED)

    @extend_schema(request=MigrationLoadUpdateSerializer, responses={200: MigrationLoadSerializer})
    def partial_update(self, request, pk=None):
        """Correct a load's numbers; refused once its data owner signed it off."""
        load = self.get_object()
        policy.ensure(request.user, load.project, Capability.MANAGE_MIGRATION)
        serializer = MigrationLoadUpdateSerializer(data=body_of(request), partial=True)
        serializer.is_valid(raise_exception=True)
        load = services.load_update(actor=request.user, load=load, **serializer.validated_data)
        return self._reply(load)

    @extend_schema(request=SignOffSerializer, responses={200: MigrationLoadSerializer})
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        """The data owner accepts the load (not a failed one); it is frozen from then on."""
        load = self.get_object()
        if not policy.can_sign_off_load(request.user, load):
            raise PermissionDenied(
                _("Only the data owner of %(object)s signs its loads off.")
                % {"object": load.migration_object.name}
            )
        serializer = SignOffSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        load = services.load_sign_off(
            actor=request.user, load=load, comment=serializer.validated_data["comment"]
        )
        return self._reply(load)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("migration-objects", MigrationObjectViewSet, basename="migration-object")
    router.register("migration-loads", MigrationLoadViewSet, basename="migration-load")
