from drf_spectacular.utils import OpenApiResponse
from rest_framework.generics import GenericAPIView

from ..serializers import StepSerializer


def read(serializer_class, data):
    """The request's `data` checked by `serializer_class`: its validated data, or a 400 naming each field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def step_answer(result, task=None):
    """A StepResult as the API answers it: the instance after the step, its open tasks (and the task acted on)."""
    instance = result.instance
    for row in result.open_tasks:
        row.instance = instance
    return StepSerializer({"instance": instance, "open_tasks": result.open_tasks, "task": task}).data


STEP = OpenApiResponse(StepSerializer, description="the instance after the step, and its open tasks")


class ApiView(GenericAPIView):
    """A view whose methods say their own request and answer (extend_schema); lists are paginated."""

    metadata_class = None  # OPTIONS is not allowed: the schema describes every operation

    def page_of(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)
