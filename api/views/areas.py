from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.filters import AreaFilter
from api.parameters import DocumentedQueryOnly
from api.serializers import AreaCandidateSerializer, AreaSerializer
from tracker.models import Area
from tracker.place_names import resolve
from tracker.selectors import areas_with_parents


class ResolveQuery(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class AreaViewSet(DocumentedQueryOnly, viewsets.ReadOnlyModelViewSet):
    """Administrative areas by p-code, with English and Arabic names."""

    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    lookup_field = "pcode"
    lookup_value_regex = r"[A-Za-z0-9_-]{1,20}"
    query_parameters = {"resolve": tuple(ResolveQuery().fields)}

    def get_queryset(self):
        return areas_with_parents().order_by("pcode")

    @extend_schema(
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, required=True)],
        responses=AreaCandidateSerializer(many=True),
        filters=False,
    )
    @action(detail=False, pagination_class=None, filterset_class=None)
    def resolve(self, request):
        """Areas a place name may mean, as people write it (English or Arabic), best first.

        An ambiguous name ("Suran") returns every candidate, each with its parents.
        """
        query = ResolveQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        candidates = resolve(query.validated_data["name"])
        areas = Area.objects.in_bulk([c.area_id for c in candidates])
        ancestors = Area.objects.in_bulk(
            {p for area in areas.values() for p in area.ancestor_pcodes()}, field_name="pcode"
        )
        parents = {
            area.pk: [ancestors[p] for p in reversed(area.ancestor_pcodes())]
            for area in areas.values()
        }
        for area in areas.values():
            area.parent = parents[area.pk][0] if parents[area.pk] else None
        rows = []
        for candidate in candidates:
            area = areas[candidate.area_id]
            area.matched, area.score = candidate.matched, candidate.score
            rows.append(area)
        serializer = AreaCandidateSerializer(rows, many=True, context={"parents": parents})
        return Response(serializer.data)
