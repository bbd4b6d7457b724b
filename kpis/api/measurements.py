"""API of KPI measurements: doors onto the same selectors and services as the pages.

One value per KPI and day, never in the future. Measurement recorders (record_measurements)
record any KPI of the project, a KPI's owner their own. A second value for a day is refused:
`correct` replaces it and keeps the earlier one. Another system posting with a token is
recorded with source "api". `bulk` (JSON rows) and `import` (a CSV file) are all or
nothing: a refused one answers 400 {"rows": [{"row", "column", "message"}, ...]} listing
every problem found, or 400 {"rows": [...]} / {"file": [...]} with plain messages when the
input as a whole is unusable (no rows, not a CSV file).

Outsiders get 404 for anything of a project they do not belong to; a member who may not
record gets 403 before the rest of the input is read; bad input is a 400 with field keys.
No PUT, no DELETE.
"""

import django_filters
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from kpis import selectors, services
from kpis.api.kpis import body_of, project_for_writing, value_field
from kpis.choices import MeasurementSource
from kpis.models import DIGITS, LARGEST_VALUE, Measurement
from kpis.services import Problem, RowProblems
from projects import policy
from projects.filters import MAX_PK, PkFilter, ProjectCodeFilter
from projects.policy import Capability, declare

POLICY = (
    "project members read measurements; recording, correcting, bulk entry and imports need "
    "record_measurements, or owning the KPI"
)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


# --- Filters ------------------------------------------------------------------------------


class _MeasurementFilterMeta:
    model = Measurement
    fields = ["project", "kpi", "from", "to"]


# Built with type(): `from` is a Python keyword, so it can't be a class attribute name.
MeasurementFilter = type(
    "MeasurementFilter",
    (django_filters.FilterSet,),
    {
        "__doc__": "Measurements by project code, KPI and date range (inclusive).",
        "project": ProjectCodeFilter(
            field_name="kpi__project__code", label=gettext_lazy("Project code")
        ),
        "kpi": PkFilter(field_name="kpi_id", label=gettext_lazy("KPI pk")),
        "from": django_filters.DateFilter(
            field_name="measured_on", lookup_expr="gte", label=gettext_lazy("Measured on or after")
        ),
        "to": django_filters.DateFilter(
            field_name="measured_on",
            lookup_expr="lte",
            label=gettext_lazy("Measured on or before"),
        ),
        "Meta": _MeasurementFilterMeta,
    },
)


# --- Output -------------------------------------------------------------------------------


class CorrectionSerializer(serializers.Serializer):
    value = serializers.DecimalField(**DIGITS, min_value=-LARGEST_VALUE, max_value=LARGEST_VALUE)
    note = serializers.CharField()
    by = serializers.CharField(help_text=gettext_lazy("Who recorded the replaced value."))
    at = serializers.DateTimeField(help_text=gettext_lazy("When it was recorded."))


class MeasurementSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="kpi.project.code", read_only=True)
    kpi = serializers.IntegerField(source="kpi_id", read_only=True)
    kpi_name = serializers.CharField(source="kpi.name", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    corrections = serializers.SerializerMethodField()

    class Meta:
        model = Measurement
        fields = [
            "pk",
            "project",
            "kpi",
            "kpi_name",
            "measured_on",
            "value",
            "note",
            "source",
            "recorded_by",
            "recorded_at",
            "corrections",
        ]
        read_only_fields = fields

    @extend_schema_field(CorrectionSerializer(many=True))
    def get_corrections(self, measurement):
        """The values this day had before, oldest first."""
        return measurement.corrections


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        help_text=gettext_lazy("Position from 1 in `rows`, or the file's line number.")
    )
    column = serializers.CharField()
    message = serializers.CharField()


class RowProblemsSerializer(serializers.Serializer):
    """The rows' problems; a request whose project or shape is unusable gets field errors
    ({"field": ["message"]}) instead, so `rows` is not always there."""

    rows = ProblemSerializer(many=True, required=False)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=gettext_lazy("Measurements recorded."))


# --- Input --------------------------------------------------------------------------------


class MeasurementRowSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(
        min_value=1, max_value=MAX_PK, help_text=gettext_lazy("The KPI's pk.")
    )
    measured_on = serializers.DateField()
    value = value_field()
    note = serializers.CharField(allow_blank=True, required=False, default="")


class MeasurementCreateSerializer(MeasurementRowSerializer):
    pass


class CorrectSerializer(serializers.Serializer):
    value = value_field()
    note = serializers.CharField(
        allow_blank=True, default="", help_text=gettext_lazy("Why the value is corrected.")
    )


@extend_schema_field(MeasurementRowSerializer(many=True))
class RowsField(serializers.ListField):
    """Rows are checked one by one in the view, to report problems by row."""

    child = serializers.JSONField()


class BulkSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    rows = RowsField(allow_empty=False, max_length=services.MAX_IMPORT_ROWS)


class ImportSerializer(serializers.Serializer):
    project = serializers.CharField(help_text=gettext_lazy("The project's code."))
    file = serializers.FileField(
        help_text=gettext_lazy(
            "CSV, UTF-8, with the columns kpi (its name), date (YYYY-MM-DD), value (a dot "
            "for decimals) and note (optional)."
        )
    )


# --- Helpers ------------------------------------------------------------------------------


def source_of(request) -> str:
    """Another system posts with a token; people use the pages or a session."""
    if isinstance(request.successful_authenticator, TokenAuthentication):
        return MeasurementSource.API
    return MeasurementSource.MANUAL


def ensure_may_record_in(user, project) -> None:
    """403 for a member who may record no KPI of the project (not a recorder, owns none)."""
    if policy.can(user, project, Capability.RECORD_MEASUREMENTS):
        return
    if not selectors.kpis_visible_to(user).filter(project=project, owner=user).exists():
        policy.ensure(user, project, Capability.RECORD_MEASUREMENTS)


def problems_response(problems: list[Problem]) -> Response:
    rows = [problem._asdict() for problem in sorted(problems, key=lambda p: p.row)]
    return Response({"rows": rows}, status=status.HTTP_400_BAD_REQUEST)


def parse_rows(user, raw_rows: list) -> tuple[list[dict], list[Problem]]:
    """Check each row's shape. A row keeps its usable cells and None where a cell is
    unusable, so the service still checks the rest of it; KPIs are read in one query."""
    rows, problems = [], []
    for number, raw in enumerate(raw_rows, start=1):
        serializer = MeasurementRowSerializer(data=raw)
        if serializer.is_valid():
            row = dict(serializer.validated_data)
        else:
            for column, messages in serializer.errors.items():
                name = "" if column == "non_field_errors" else column
                problems.append(Problem(number, name, str(messages[0])))
            row = _usable_cells(serializer, raw)
        rows.append({"row": number, **row})
    pks = {row["kpi"] for row in rows if row["kpi"] is not None}
    kpis = {kpi.pk: kpi for kpi in selectors.kpis_visible_to(user).filter(pk__in=pks)}
    for row in rows:
        row["kpi"] = kpis.get(row["kpi"])
    return rows, problems


def _usable_cells(serializer, raw) -> dict:
    row = {"kpi": None, "measured_on": None, "value": None, "note": ""}
    if not isinstance(raw, dict):
        return row
    for name, field in serializer.fields.items():
        if name in serializer.errors or name not in raw:
            continue
        row[name] = field.run_validation(raw[name])  # valid: the row's errors are elsewhere
    return row


def merge(found: list[Problem], parsed: list[Problem]) -> list[Problem]:
    """The service's problems, with our more precise message where a cell did not parse."""
    ours = {(problem.row, problem.column): problem for problem in parsed}
    unusable = {problem.row for problem in parsed if problem.column == ""}
    merged = [
        ours.pop((problem.row, problem.column), problem)
        for problem in found
        if problem.row not in unusable
    ]
    return merged + list(ours.values())


# --- The viewset --------------------------------------------------------------------------


@declare(POLICY)
class MeasurementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Measurements of the KPIs of the projects you belong to. Filter with ?project=CODE,
    kpi (pk), from and to (dates, inclusive)."""

    lookup_value_regex = r"\d+"
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilter
    ordering_fields = ["measured_on", "recorded_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.measurements_visible_to(self.request.user)

    def get_object(self):
        measurement = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if measurement is None:
            raise Http404(_("No measurement matches the given query."))
        return measurement

    def _reply(self, measurement, code=status.HTTP_200_OK) -> Response:
        measurement = self.get_queryset().get(pk=measurement.pk)
        return Response(MeasurementSerializer(measurement).data, status=code)

    def _kpi(self, data):
        """The KPI named in the body, checked before the rest of the input is read."""
        try:
            pk = serializers.IntegerField(min_value=1, max_value=MAX_PK).run_validation(
                data.get("kpi")
            )
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"kpi": [_("Give a KPI's pk.")]}) from error
        try:
            kpi = selectors.kpi_get_by_pk(user=self.request.user, pk=pk)
        except Http404 as error:
            raise serializers.ValidationError({"kpi": [_("No such KPI.")]}) from error
        if not policy.can_record_measurement(self.request.user, kpi):
            policy.ensure(self.request.user, kpi.project, Capability.RECORD_MEASUREMENTS)
        return kpi

    @extend_schema(request=MeasurementCreateSerializer, responses={201: MeasurementSerializer})
    def create(self, request):
        """Record a KPI's value on a day. A day already measured is a 400: `correct` it."""
        data = body_of(request)
        kpi = self._kpi(data)
        serializer = MeasurementCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        measurement = services.measurement_record(
            actor=request.user,
            kpi=kpi,
            measured_on=fields["measured_on"],
            value=fields["value"],
            note=fields["note"],
            source=source_of(request),
        )
        return self._reply(measurement, status.HTTP_201_CREATED)

    @extend_schema(request=CorrectSerializer, responses={200: MeasurementSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Replace the day's value, saying why; the earlier value stays in `corrections`."""
        measurement = self.get_object()
        if not policy.can_record_measurement(request.user, measurement.kpi):
            policy.ensure(request.user, measurement.kpi.project, Capability.RECORD_MEASUREMENTS)
        serializer = CorrectSerializer(data=body_of(request))
        serializer.is_valid(raise_exception=True)
        measurement = services.measurement_correct(
            actor=request.user, measurement=measurement, **serializer.validated_data
        )
        return self._reply(measurement)

    @extend_schema(
        request=BulkSerializer, responses={201: CountSerializer, 400: RowProblemsSerializer}
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        """Record several measurements of one project at once: all or nothing."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        ensure_may_record_in(request.user, project)
        serializer = BulkSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        rows, parsed = parse_rows(request.user, serializer.validated_data["rows"])
        source = source_of(request)
        try:
            with transaction.atomic():
                created = services.measurements_record_bulk(
                    actor=request.user,
                    project=project,
                    rows=[row | {"source": source} for row in rows],
                )
                if parsed:  # only a note was unusable: undo what the service saved
                    transaction.set_rollback(True)
        except RowProblems as error:
            return problems_response(merge(error.problems, parsed))
        if parsed:
            return problems_response(parsed)
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={201: CountSerializer, 400: RowProblemsSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def import_csv(self, request):
        """Import a CSV of measurements (kpi name, date, value, note): every row is
        checked first and nothing is saved while any row has a problem."""
        data = body_of(request)
        project = project_for_writing(request.user, data.get("project"))
        ensure_may_record_in(request.user, project)
        serializer = ImportSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                {"file": [_("Upload at most %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}]}
            )
        try:
            created = services.measurements_import(
                actor=request.user, project=project, data=upload.read()
            )
        except RowProblems as error:
            return problems_response(error.problems)
        return Response({"count": len(created)}, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this area's viewsets to the API router."""
    router.register("kpi-measurements", MeasurementViewSet, basename="kpi-measurement")
