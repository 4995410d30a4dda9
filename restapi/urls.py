"""/api/: the schema and its documentation, and version 1 of the API under /api/v1/."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .views import definitions, instances, other, tasks

app_name = "restapi"


class Unknown(APIView):
    """Any other path under /api/: a problem, like every other refusal of the API, not the pages' 404."""

    authentication_classes = []
    permission_classes = [AllowAny]
    schema = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound

    options = http_method_not_allowed


v1 = [
    path("definitions/", definitions.DefinitionList.as_view(), name="definitions"),
    path("definitions/validate/", definitions.Validate.as_view(), name="validate"),
    path("definitions/deploy/", definitions.Deploy.as_view(), name="deploy"),
    path("definitions/<str:key>/versions/", definitions.VersionList.as_view(), name="versions"),
    path("instances/", instances.InstanceList.as_view(), name="instances"),
    path("instances/<uuid:instance_id>/", instances.InstanceDetail.as_view(), name="instance"),
    *[path(f"instances/<uuid:instance_id>/{control}/", instances.InstanceControl.as_view(control=control),
           name=f"instance-{control}") for control in ("suspend", "resume", "cancel", "retry")],
    path("instances/<uuid:instance_id>/migrate/", instances.Migrate.as_view(), name="instance-migrate"),
    path("instances/<uuid:instance_id>/history/", instances.History.as_view(), name="instance-history"),
    path("instances/<uuid:instance_id>/comments/", instances.InstanceComments.as_view(), name="instance-comments"),
    path("instances/<uuid:instance_id>/attachments/", instances.InstanceAttachments.as_view(),
         name="instance-attachments"),
    path("tasks/", tasks.Inbox.as_view(), name="tasks"),
    path("tasks/<uuid:task_id>/", tasks.TaskDetail.as_view(), name="task"),
    path("tasks/<uuid:task_id>/claim/", tasks.Claim.as_view(), name="task-claim"),
    path("tasks/<uuid:task_id>/release/", tasks.Release.as_view(), name="task-release"),
    path("tasks/<uuid:task_id>/reassign/", tasks.Reassign.as_view(), name="task-reassign"),
    path("tasks/<uuid:task_id>/delegate/", tasks.Delegate.as_view(), name="task-delegate"),
    path("tasks/<uuid:task_id>/resolve/", tasks.Resolve.as_view(), name="task-resolve"),
    path("tasks/<uuid:task_id>/form/", tasks.Form.as_view(), name="task-form"),
    path("tasks/<uuid:task_id>/complete/", tasks.Complete.as_view(), name="task-complete"),
    path("tasks/<uuid:task_id>/attachments/", tasks.TaskAttachments.as_view(), name="task-attachments"),
    path("tasks/<uuid:task_id>/comments/", tasks.TaskComments.as_view(), name="task-comments"),
    path("attachments/<uuid:attachment_id>/", tasks.Download.as_view(), name="attachment"),
    path("messages/", other.SendMessage.as_view(), name="messages"),
    path("signals/", other.SendSignal.as_view(), name="signals"),
    path("calendar/is-workday/", other.IsWorkday.as_view(), name="is-workday"),
    path("calendar/add-workdays/", other.AddWorkdays.as_view(), name="add-workdays"),
    path("me/", other.Me.as_view(), name="me"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="restapi:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="restapi:schema", template_name="restapi/redoc.html"),
         name="redoc"),
    path("v1/", include(v1)),
    re_path(r"", Unknown.as_view()),
]
