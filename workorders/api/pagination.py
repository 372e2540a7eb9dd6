"""Page-number pagination for list endpoints (``?page=2``; PAGE_SIZE from REST_FRAMEWORK)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated_response(
    *, queryset: QuerySet, serializer_class: type[BaseSerializer], request: Request, view: APIView
) -> Response:
    """``{"count", "next", "previous", "results"}`` for one page of ``queryset``."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
