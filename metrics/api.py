"""``GET /api/v1/metrics``: every dashboard figure as JSON, for service managers and safety staff."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.filters import metrics_filter_parse
from metrics.payloads import dashboard_payload
from metrics.selectors import dashboard_get
from support.api.serializers import ErrorOut
from support.roles import can_read_service_metrics


class CanReadServiceMetrics(BasePermission):
    def has_permission(self, request, view) -> bool:
        return can_read_service_metrics(request.user)


class MetricsView(APIView):
    permission_classes = [CanReadServiceMetrics]

    @extend_schema(
        summary="Staffing and safety figures (aggregates; small counts hidden)",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 27 days before `to`)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)"),
            OpenApiParameter("topic", OpenApiTypes.STR, description="A topic slug"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ErrorOut, 403: ErrorOut},
    )
    def get(self, request):
        flt = metrics_filter_parse(params=request.query_params)
        return Response(dashboard_payload(flt=flt, figures=dashboard_get(flt=flt)))
