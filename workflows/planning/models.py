"""Records of a county's year: the annual plan, the service agreement, the performance evaluation.

Each record's state changes only through its django-fsm transitions, so the audit
trail has every change; the handlers in handlers.py drive them from the
county_annual_cycle and performance_evaluation processes.
"""
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class PlanState(models.TextChoices):
    DRAFT = "draft", _("编制中")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("退回修改")
    FILED = "filed", _("已备案")


class AnnualPlan(models.Model):
    """A county's annual implementation plan (年度实施计划), filed with the province."""

    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    state = FSMField(default=PlanState.DRAFT, choices=PlanState.choices, protected=False)
    background = models.TextField(blank=True)
    objectives = models.TextField(blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_lines = models.JSONField(default=list, blank=True,
                                    help_text="rows of item, category and amount (yuan, as text)")
    content_and_schedule = models.TextField(blank=True)
    station_count = models.PositiveIntegerField(default=0)
    quality_standards = models.TextField(blank=True)
    evaluation_arrangements = models.TextField(blank=True)
    submitted_on = models.DateField(null=True, blank=True)
    returns = models.PositiveIntegerField(default=0, help_text="how often it was returned for revision")
    review_comment = models.TextField(blank=True, help_text="why it was last returned")
    filed_on = models.DateField(null=True, blank=True)
    filing_number = models.CharField(max_length=64, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="unique_plan_per_county_year")]

    def __str__(self):
        return f"{self.county} {self.year}"

    @classmethod
    def returned_to(cls, instance_ids):
        """{instance id: (county code, the reviewer's reason)} of the plans among these instances that wait
        for their county to revise them."""
        return {instance_id: (county, comment) for instance_id, county, comment in cls.objects.filter(
            process_instance__in=instance_ids, state=PlanState.RETURNED).values_list(
            "process_instance_id", "county__code", "review_comment")}

    @transition(field=state, source=[PlanState.DRAFT, PlanState.RETURNED], target=PlanState.SUBMITTED)
    def submit(self, content, on):
        for name, value in content.items():
            setattr(self, name, value)
        self.submitted_on = on

    @transition(field=state, source=PlanState.SUBMITTED, target=PlanState.RETURNED)
    def return_for_revision(self, comment, audit=None):
        self.returns += 1
        self.review_comment = comment

    @transition(field=state, source=PlanState.SUBMITTED, target=PlanState.FILED)
    def file(self, on, filing_number):
        self.filed_on, self.filing_number = on, filing_number


class AgreementState(models.TextChoices):
    AWAITING_SIGNATURE = "awaiting_signature", _("待签订")
    SUSPENDED = "suspended", _("暂停签订")
    SIGNED = "signed", _("已签订")
    PUBLISHED = "published", _("已公告")
    FILED = "filed", _("已备案")
    IN_SERVICE = "in_service", _("服务中")
    COMPLETED = "completed", _("服务结束")


class ServiceAgreement(models.Model):
    """The service agreement (服务协议) a county signs with the organisation that won its lot."""

    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    state = FSMField(default=AgreementState.AWAITING_SIGNATURE, choices=AgreementState.choices, protected=False)
    social_org = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey("procurement.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    award_notice_on = models.DateField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    number = models.CharField(max_length=64, blank=True, help_text="the agreement's own number")
    signed_on = models.DateField(null=True, blank=True)
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)
    documents = models.JSONField(default=list, blank=True, help_text="attachment references of the signed text")
    published_on = models.DateField(null=True, blank=True)
    publication = models.CharField(max_length=500, blank=True, help_text="where it was published")
    filed_on = models.DateField(null=True, blank=True)
    filing_number = models.CharField(max_length=64, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    def __str__(self):
        return f"{self.county} {self.year} / {self.social_org}"

    @transition(field=state, source=AgreementState.AWAITING_SIGNATURE, target=AgreementState.SUSPENDED)
    def suspend(self, reason):
        self.suspension_reason = reason

    @transition(field=state, source=AgreementState.SUSPENDED, target=AgreementState.AWAITING_SIGNATURE)
    def resume(self, social_org, lot, amount, award_notice_on):
        """Signing may go on, possibly with another winner after the challenge was answered."""
        self.social_org, self.lot, self.amount, self.award_notice_on = social_org, lot, amount, award_notice_on

    @transition(field=state, source=AgreementState.AWAITING_SIGNATURE, target=AgreementState.SIGNED)
    def sign(self, number, signed_on, term_start, term_end, documents):
        self.number, self.signed_on, self.documents = number, signed_on, documents
        self.term_start, self.term_end = term_start, term_end

    @transition(field=state, source=AgreementState.SIGNED, target=AgreementState.PUBLISHED)
    def publish(self, on, where):
        self.published_on, self.publication = on, where

    @transition(field=state, source=AgreementState.PUBLISHED, target=AgreementState.FILED)
    def file(self, on, filing_number):
        self.filed_on, self.filing_number = on, filing_number

    @transition(field=state, source=AgreementState.FILED, target=AgreementState.IN_SERVICE)
    def start_service(self):
        pass

    @transition(field=state, source=AgreementState.IN_SERVICE, target=AgreementState.COMPLETED)
    def complete(self):
        pass


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")

    @classmethod
    def named(cls, text):
        """The grade a decision table gives, by its Chinese name (良好) or its code (good); None if unknown."""
        with translation.override("zh-hans"):
            by_name = {str(grade.label): grade for grade in cls}
        return by_name.get(text) or (cls(text) if text in cls.values else None)


class EvaluationState(models.TextChoices):
    SUPERVISING = "supervising", _("监管意见收集中")
    EVALUATING = "evaluating", _("评价中")
    CONCLUDED = "concluded", _("已完成评价")


class Evaluation(models.Model):
    """The performance evaluation (绩效评价) of a county's year of service; next year's plan shows it."""

    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    agreement = models.ForeignKey(ServiceAgreement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="evaluations")
    state = FSMField(default=EvaluationState.SUPERVISING, choices=EvaluationState.choices, protected=False)
    county_findings = models.TextField(blank=True, help_text="the county bureau's supervision findings")
    prefecture_findings = models.TextField(blank=True, help_text="the prefecture bureau's supervision findings")
    score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True,
                                validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    grade = models.CharField(max_length=16, choices=Grade.choices, blank=True)
    summary = models.TextField(blank=True)
    concluded_on = models.DateField(null=True, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="unique_evaluation_per_county_year")]

    def __str__(self):
        return f"{self.county} {self.year}"

    @classmethod
    def previous(cls, county_code, year):
        """The county's concluded evaluation of the year before `year`, or None: what that year's plan and
        procurement show."""
        return (cls.objects.filter(county__code=county_code, year=year - 1, state=EvaluationState.CONCLUDED)
                .select_related("agreement__social_org").first())

    def result(self):
        """The result as process data shows it; `social_org` is the organisation that delivered the service."""
        social_org = self.agreement.social_org if self.agreement else None
        return {"year": self.year, "score": str(self.score), "grade": self.get_grade_display(),
                "social_org": social_org.code if social_org else "",
                "social_org_name": social_org.name if social_org else "",
                "summary": self.summary, "county_findings": self.county_findings,
                "prefecture_findings": self.prefecture_findings}

    @transition(field=state, source=EvaluationState.SUPERVISING, target=EvaluationState.EVALUATING)
    def record_findings(self, county_findings, prefecture_findings):
        self.county_findings, self.prefecture_findings = county_findings, prefecture_findings

    @transition(field=state, source=EvaluationState.EVALUATING, target=EvaluationState.CONCLUDED)
    def conclude(self, score, grade, summary, on):
        self.score, self.grade, self.summary, self.concluded_on = score, grade, summary, on
