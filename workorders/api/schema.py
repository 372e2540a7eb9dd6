"""OpenAPI generation for the API's nested serializers."""

from __future__ import annotations

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Names a nested serializer after the classes it sits in: ``WorkOrderListApi.OutputSerializer``
    becomes the component ``WorkOrderListOutput``. Every API class has an ``OutputSerializer``, and
    without the prefix they would all collide on the component name ``Output``."""

    def get_serializer_name(self, serializer, direction) -> str:
        name = super().get_serializer_name(serializer, direction)
        outer = type(serializer).__qualname__.split(".")[:-1]
        if outer and "<locals>" not in outer:
            name = "".join(part.removesuffix("Api").removesuffix("Serializer") for part in outer) + name
        return name
