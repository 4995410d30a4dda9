"""The pages: every office's inbox and task forms, the managers' instance views, the dashboards."""
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from .views import (attachments, challenges, comments, complaints, dashboard, emergencies, inbox, incidents, instances,
                    modeler, modeler_history, modeler_migration, modeler_new, offices, substitutes, tasks)
from .views import notification_settings

app_name = "webui"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="webui/login.html",
                                                         redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tasks/<uuid:task_id>/", tasks.task_page, name="task"),
    path("tasks/<uuid:task_id>/submit/", tasks.submit, name="task-submit"),
    path("tasks/<uuid:task_id>/draft/", tasks.save_draft, name="task-draft"),
    path("tasks/<uuid:task_id>/claim/", inbox.claim, name="task-claim"),
    path("tasks/<uuid:task_id>/release/", inbox.release, name="task-release"),
    path("tasks/<uuid:task_id>/reassign/", inbox.reassign, name="task-reassign"),
    path("tasks/<uuid:task_id>/delegate/", tasks.delegate, name="task-delegate"),
    path("tasks/<uuid:task_id>/resolve/", tasks.resolve, name="task-resolve"),
    path("tasks/<uuid:task_id>/comments/", comments.on_task, name="task-comment"),
    path("tasks/<uuid:task_id>/attachments/", attachments.upload, name="attachment-upload"),
    path("attachments/<uuid:attachment_id>/", attachments.download, name="attachment"),
    path("instances/", instances.instance_list, name="instances"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("instances/<uuid:instance_id>/", instances.instance_page, name="instance"),
    path("instances/<uuid:instance_id>/diagram.bpmn", instances.diagram, name="instance-diagram"),
    path("instances/<uuid:instance_id>/comments/", comments.on_instance, name="instance-comment"),
    path("instances/<uuid:instance_id>/<str:action>/", instances.control, name="instance-control"),
    path("offices/search/", offices.search, name="office-search"),
    path("substitutes/", substitutes.page, name="substitutes"),
    path("substitutes/<int:substitution_id>/end/", substitutes.end, name="substitute-end"),
    path("emergencies/report/", emergencies.report, name="emergency-report"),
    path("challenges/", challenges.challenge_list, name="challenges"),
    path("challenges/lots/<int:lot_id>/", challenges.file_against_lot, name="challenge-file"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/challenges/<int:challenge_id>/", complaints.file_about_challenge, name="complaint-file"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/versions/<int:version_id>.bpmn", dashboard.version_diagram, name="version-diagram"),
    path("export/inbox.xlsx", inbox.export_inbox, name="export-inbox"),
    path("export/instances.xlsx", instances.export_instances, name="export-instances"),
    path("export/overdue.xlsx", dashboard.export_overdue, name="export-overdue"),
    # Process owners: diagrams, decisions and forms in the browser, validation, deployment, versions.
    path("modeler/", modeler.definitions, name="modeler_definitions"),
    path("modeler/jsi18n/", JavaScriptCatalog.as_view(packages=["webui"]), name="modeler_jsi18n"),
    path("modeler/new/", modeler_new.new, name="modeler_new"),
    path("modeler/<str:key>/v<int:number>/", modeler.editor, name="modeler"),
    path("modeler/<str:key>/v<int:number>/forms/<str:form_id>/", modeler.form_editor, name="modeler_form"),
    path("modeler/<str:key>/v<int:number>/decisions/<str:file_name>/", modeler.decision_editor,
         name="modeler_decision"),
    path("modeler/<str:key>/v<int:number>/decisions/<str:file_name>/inputs/", modeler.decision_inputs,
         name="modeler_decision_inputs"),
    path("modeler/<str:key>/v<int:number>/decisions/<str:file_name>/try/", modeler.decision_try,
         name="modeler_decision_try"),
    path("modeler/<str:key>/v<int:number>/draft/", modeler.draft, name="modeler_draft"),
    path("modeler/<str:key>/v<int:number>/discard/", modeler.discard, name="modeler_discard"),
    path("modeler/<str:key>/v<int:number>/validate/", modeler.validate, name="modeler_validate"),
    path("modeler/<str:key>/v<int:number>/deploy/", modeler.deploy, name="modeler_deploy"),
    path("modeler/<str:key>/history/", modeler_history.history, name="modeler_history"),
    path("modeler/<str:key>/pin/", modeler_history.pin, name="modeler_pin"),
    path("modeler/<str:key>/compare/", modeler_history.compare, name="modeler_compare"),
    path("modeler/<str:key>/migrate/", modeler_migration.page, name="modeler_migration"),
    path("modeler/<str:key>/migrate/preview/", modeler_migration.preview, name="modeler_migration_preview"),
    path("modeler/<str:key>/migrate/start/", modeler_migration.start, name="modeler_migration_start"),
    path("modeler/<str:key>/migrate/jobs/<int:job_id>/", modeler_migration.job, name="modeler_migration_job"),
]

# One's own notification settings (notifications/).
urlpatterns += [
    path("settings/notifications/", notification_settings.page, name="notification-settings"),
    path("settings/notifications/test/", notification_settings.test, name="notification-test"),
]
