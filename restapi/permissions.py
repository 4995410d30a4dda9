"""Who may call what: the pages' rules (webui.permissions, webui.views.modeler_access, workflows.visibility)."""
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from webui.permissions import can_control_instances
from webui.views.modeler_access import can_view_definitions, is_process_owner
from workflows.visibility import OFFICE_DATA_KEYS, visible_scope


class SeesDefinitions(BasePermission):
    message = _("您不属于任何单位，不能查看流程定义。")

    def has_permission(self, request, view):
        return can_view_definitions(request.user)


class OwnsProcesses(BasePermission):
    message = _("只有省民政厅的流程负责人可以验证、部署流程定义和迁移实例。")

    def has_permission(self, request, view):
        return is_process_owner(request.user)


class ControlsInstances(BasePermission):
    message = _("只有流程负责人可以挂起、恢复、取消或重试流程实例。")

    def has_permission(self, request, view):
        return can_control_instances(request.user)


class ProvinceLevel(BasePermission):
    """Messages and signals reach instances of any office: the province's departments send them."""

    message = _("只有省级部门可以发送消息和信号。")

    def has_permission(self, request, view):
        return visible_scope(request.user).province_level


def may_start(user, data):
    """Whether `user` may start an instance with `data`: one that names offices, all of which the user sees,
    or for a province's department one that names none (province-wide)."""
    scope = visible_scope(user)
    named = [data[key] for key in OFFICE_DATA_KEYS if data.get(key) not in (None, "")]
    if not named:
        return scope.province_level
    return all(isinstance(code, str) and code in scope for code in named)
