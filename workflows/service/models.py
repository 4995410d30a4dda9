"""Records of the resident service at a station: the deployment, its social workers, reports, emergencies.

Each record's state changes only through its django-fsm transitions, so the audit
trail has every change; the handlers in handlers.py drive them from the
station_service process.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class DeploymentState(models.TextChoices):
    PLACING = "placing", _("安排社工到岗")
    SURVEYING = "surveying", _("需求调研")
    PLANNING = "planning", _("制定服务计划")
    SERVING = "serving", _("驻站服务")
    CLOSING = "closing", _("结项")
    COMPLETED = "completed", _("已完成")


class StationDeployment(models.Model):
    """The resident service of one station under one agreement (驻站服务)."""

    agreement = models.ForeignKey("planning.ServiceAgreement", on_delete=models.PROTECT, related_name="deployments")
    station = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    state = FSMField(default=DeploymentState.PLACING, choices=DeploymentState.choices, protected=False)
    placed_on = models.DateField(null=True, blank=True, help_text="the day the social workers took up their posts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "station"], name="unique_deployment")]

    def __str__(self):
        return f"{self.station} / {self.agreement}"

    @transition(field=state, source=DeploymentState.PLACING, target=DeploymentState.SURVEYING)
    def place(self, placed_on):
        self.placed_on = placed_on

    @transition(field=state, source=DeploymentState.SURVEYING, target=DeploymentState.PLANNING)
    def finish_survey(self):
        pass

    @transition(field=state, source=DeploymentState.PLANNING, target=DeploymentState.SERVING)
    def start_serving(self):
        pass

    @transition(field=state, source=DeploymentState.SERVING, target=DeploymentState.CLOSING)
    def begin_closing(self):
        pass

    @transition(field=state, source=DeploymentState.CLOSING, target=DeploymentState.COMPLETED)
    def complete(self):
        pass


class Qualification(models.TextChoices):
    ASSISTANT = "assistant", _("助理社会工作师")
    SOCIAL_WORKER = "social_worker", _("社会工作师")
    SENIOR = "senior", _("高级社会工作师")
    NONE = "none", _("暂无职业资格")


class SocialWorker(models.Model):
    """A social worker the organisation placed at the station (驻站社工)."""

    deployment = models.ForeignKey(StationDeployment, on_delete=models.CASCADE, related_name="workers")
    name = models.CharField(max_length=100)
    qualification = models.CharField(max_length=32, choices=Qualification.choices)
    certificate_no = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class ReportKind(models.TextChoices):
    SURVEY = "survey", _("需求调研报告")
    PLAN = "plan", _("服务计划")
    MONTHLY = "monthly", _("月度实施报告")
    MIDTERM = "midterm", _("中期报告")
    FINAL = "final", _("终期报告")
    SELF_EVALUATION = "self_evaluation", _("自评报告")


class ReportState(models.TextChoices):
    PENDING = "pending", _("待提交")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已通过")


class ServiceReport(models.Model):
    """A report the organisation owes the county bureau; opened when its task opens."""

    deployment = models.ForeignKey(StationDeployment, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    period = models.CharField(max_length=16, blank=True, help_text="the month reported on, as YYYY-MM")
    due_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(default=ReportState.PENDING, choices=ReportState.choices, protected=False)
    content = models.JSONField(default=dict, blank=True, help_text="what the report's form submitted")
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["deployment", "due_at"]
        constraints = [models.UniqueConstraint(fields=["deployment", "kind", "period"], name="unique_report")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period}".strip()

    @property
    def process_instance(self):
        return self.deployment.process_instance

    @classmethod
    def returned_to(cls, instance_ids):
        """{(station service instance id, due time): (organisation code, the reviewer's reason)} of the
        reports of these instances that wait for their organisation to revise them. A report's task is
        due when the report is, which tells it from the instance's other reports."""
        return {(instance_id, due_at): (org, comment) for instance_id, due_at, org, comment in cls.objects.filter(
            deployment__process_instance__in=instance_ids, state=ReportState.RETURNED).values_list(
            "deployment__process_instance_id", "due_at", "deployment__agreement__social_org__code",
            "review_comment")}

    @transition(field=state, source=[ReportState.PENDING, ReportState.RETURNED], target=ReportState.SUBMITTED)
    def submit(self, content, at):
        self.content, self.submitted_at = content, at

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.RETURNED)
    def send_back(self, comment, audit=None):
        self.review_comment = comment

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.ACCEPTED)
    def accept(self, comment):
        self.review_comment = comment


class EmergencyKind(models.TextChoices):
    NATURAL_DISASTER = "natural_disaster", _("自然灾害")
    ACCIDENT = "accident", _("事故灾难")
    PUBLIC_HEALTH = "public_health", _("公共卫生事件")
    PUBLIC_SECURITY = "public_security", _("社会安全事件")


class EmergencyMeasure(models.TextChoices):
    COUNSELLING = "counselling", _("心理疏导")
    EMOTIONAL_SUPPORT = "emotional_support", _("情绪支持")
    MATERIAL_SUPPORT = "material_support", _("保障支持")


class EmergencyState(models.TextChoices):
    REPORTED = "reported", _("已报告")
    RESPONDED = "responded", _("已响应")
    CLOSED = "closed", _("已结束")


class EmergencyResponse(models.Model):
    """An emergency at the station and the social workers' response to it (应急响应)."""

    deployment = models.ForeignKey(StationDeployment, on_delete=models.CASCADE, related_name="emergencies")
    kind = models.CharField(max_length=32, choices=EmergencyKind.choices)
    occurred_on = models.DateField()
    description = models.TextField()
    measures = models.JSONField(default=list, blank=True, help_text="EmergencyMeasure values")
    people_served = models.PositiveIntegerField(null=True, blank=True)
    response_notes = models.TextField(blank=True)
    state = FSMField(default=EmergencyState.REPORTED, choices=EmergencyState.choices, protected=False)
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"

    @property
    def process_instance(self):
        return self.deployment.process_instance

    @transition(field=state, source=[EmergencyState.REPORTED, EmergencyState.RESPONDED],
                target=EmergencyState.RESPONDED)
    def respond(self, measures, people_served, notes):
        """Record the response; again after the county asked for more."""
        self.measures, self.people_served, self.response_notes = measures, people_served, notes

    @transition(field=state, source=EmergencyState.RESPONDED, target=EmergencyState.CLOSED)
    def close(self):
        pass
