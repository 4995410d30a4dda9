"""Records of the provincial procurement: the project, its lots (标段), the challenges (质疑) against an award
and the complaints (投诉) to the finance department about a challenge.

Each record's state changes only through its django-fsm transitions, so the audit trail has every
change; the handlers drive them from the provincial_procurement process (handlers.py), each challenge's
procurement_challenge process (challenges.py) and each complaint's procurement_complaint process
(complaints.py).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class ProjectState(models.TextChoices):
    DRAFT = "draft", _("拟定中")
    INTENTION_PUBLISHED = "intention_published", _("采购意向已公开")
    GUIDANCE = "guidance", _("财政指导已完成")
    TENDERING = "tendering", _("招标公告中")
    BID_OPENING = "bid_opening", _("待开标")
    EVALUATING = "evaluating", _("评标中")
    AWARDED = "awarded", _("已确定中标人")
    SETTLING = "settling", _("质疑期满，待质疑投诉办结")
    FAILED = "failed", _("废标待重新招标")
    CONCLUDED = "concluded", _("采购完成")


class ProcurementProject(models.Model):
    """One provincial procurement of a year, divided into lots; a failed tender is tendered again (round)."""

    year = models.PositiveIntegerField()
    # The civil-affairs department of the province procuring: its counties' filed plans make the lots.
    province = models.ForeignKey("workflows.Office", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    code = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    state = FSMField(default=ProjectState.DRAFT, choices=ProjectState.choices, protected=False)
    intention_published_on = models.DateField(null=True, blank=True)
    tender_round = models.PositiveIntegerField(default=0, help_text="1 for the first tender, more after a failure")
    tender_issued_on = models.DateField(null=True, blank=True, help_text="tender documents of this round issued")
    bids_opened_on = models.DateField(null=True, blank=True)
    challenge_window_closes_at = models.DateTimeField(null=True, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    def __str__(self):
        return self.title

    @transition(field=state, source=ProjectState.DRAFT, target=ProjectState.INTENTION_PUBLISHED)
    def publish_intention(self, on):
        self.intention_published_on = on

    @transition(field=state, source=[ProjectState.INTENTION_PUBLISHED, ProjectState.FAILED],
                target=ProjectState.GUIDANCE)
    def receive_guidance(self):
        """The finance department approved the tender documents, the first ones or those revised after a failure."""

    @transition(field=state, source=ProjectState.GUIDANCE, target=ProjectState.TENDERING)
    def announce(self, on):
        self.tender_round, self.tender_issued_on = 1, on

    @transition(field=state, source=ProjectState.GUIDANCE, target=ProjectState.TENDERING)
    def retender(self, on):
        self.tender_round, self.tender_issued_on = self.tender_round + 1, on

    @transition(field=state, source=ProjectState.TENDERING, target=ProjectState.BID_OPENING)
    def close_announcement(self):
        pass

    @transition(field=state, source=ProjectState.BID_OPENING, target=ProjectState.EVALUATING)
    def start_evaluation(self, on):
        self.bids_opened_on = on

    @transition(field=state, source=ProjectState.EVALUATING, target=ProjectState.AWARDED)
    def award(self):
        pass

    @transition(field=state, source=[ProjectState.BID_OPENING, ProjectState.EVALUATING, ProjectState.AWARDED,
                                     ProjectState.SETTLING], target=ProjectState.FAILED)
    def fail(self):
        """Some lot had too few bidders, no qualified bid, or its award was set aside: it is tendered again."""

    @transition(field=state, source=ProjectState.AWARDED, target=ProjectState.SETTLING)
    def settle(self):
        """The last round's challenge window closed; challenges and complaints may still change a result."""

    @transition(field=state, source=ProjectState.SETTLING, target=ProjectState.CONCLUDED)
    def conclude(self):
        pass


class LotState(models.TextChoices):
    OPEN = "open", _("招标中")
    AWARDED = "awarded", _("已中标")
    SUSPENDED = "suspended", _("暂停签订")
    SIGNED = "signed", _("已签订协议")
    FAILED = "failed", _("废标")


class Lot(models.Model):
    """A lot (标段) of a procurement: the service of one county's stations."""

    project = models.ForeignKey(ProcurementProject, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveIntegerField()
    county = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    station_count = models.PositiveIntegerField(default=0)
    previous_evaluation = models.ForeignKey("planning.Evaluation", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="+", help_text="the county's evaluation of the year "
                                                                        "before, shown to the bid evaluation")
    state = FSMField(default=LotState.OPEN, choices=LotState.choices, protected=False)
    tender_round = models.PositiveIntegerField(default=0, help_text="the round this lot was last tendered in")
    bidder_count = models.PositiveIntegerField(default=0, help_text="valid bids at the last opening")
    ranking = models.JSONField(default=list, blank=True,
                               help_text="the evaluation committee's ranking: rank, social_org, price, score")
    winner = models.ForeignKey("workflows.Office", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    awarded_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    winner_deemed = models.BooleanField(default=False, help_text="rank one won because the purchaser did not "
                                                                 "confirm in time")
    award_notice_on = models.DateField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    set_aside_on = models.DateField(null=True, blank=True, help_text="the finance department declared the award "
                                                                      "void; its county waits for the re-tender")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="unique_lot_number")]

    def __str__(self):
        return f"{self.project} / {self.number}"

    @property
    def process_instance(self):
        return self.project.process_instance

    @transition(field=state, source=LotState.OPEN, target=LotState.AWARDED)
    def award(self, winner, amount, deemed):
        self.winner, self.awarded_amount, self.winner_deemed = winner, amount, deemed

    @transition(field=state, source=LotState.AWARDED, target=LotState.AWARDED)
    def issue_notice(self, on):
        self.award_notice_on = on

    @transition(field=state, source=LotState.AWARDED, target=LotState.SUSPENDED)
    def suspend(self):
        """A challenge may change the result (实施条例 54), or the finance department suspended the procurement
        while it handles a complaint (政府采购法 57): signing waits."""

    @transition(field=state, source=LotState.SUSPENDED, target=LotState.SUSPENDED)
    def change_winner(self, winner, amount, notice_on):
        """A challenge's answer named another of the ranked bidders."""
        self.winner, self.awarded_amount, self.award_notice_on = winner, amount, notice_on

    @transition(field=state, source=LotState.SUSPENDED, target=LotState.AWARDED)
    def resume(self):
        pass

    @transition(field=state, source=[LotState.AWARDED, LotState.SUSPENDED], target=LotState.FAILED)
    def set_aside(self, reason, on):
        """A complaint upheld: the award is void and the lot is tendered again (政府采购法 56, 财政部令第94号 32)."""
        self.failure_reason, self.set_aside_on = reason, on
        self.winner, self.awarded_amount, self.winner_deemed = None, None, False

    @transition(field=state, source=LotState.AWARDED, target=LotState.SIGNED)
    def sign(self):
        pass

    @transition(field=state, source=LotState.OPEN, target=LotState.FAILED)
    def fail(self, reason):
        self.failure_reason = reason

    @transition(field=state, source=LotState.FAILED, target=LotState.OPEN)
    def reopen(self):
        self.failure_reason = ""


class ChallengeState(models.TextChoices):
    FILED = "filed", _("已提出")
    ANSWERED = "answered", _("已答复")


class Challenge(models.Model):
    """A bidder's challenge (质疑) against the award of a lot, answered within 7 working days in its own
    procurement_challenge instance."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="challenges")
    filed_by = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    filed_on = models.DateField()
    grounds = models.TextField()
    state = FSMField(default=ChallengeState.FILED, choices=ChallengeState.choices, protected=False)
    may_change_result = models.BooleanField(null=True, blank=True, help_text="decided by the purchaser on receipt")
    answer = models.TextField(blank=True)
    answered_on = models.DateField(null=True, blank=True)
    result_changed = models.BooleanField(default=False)
    answer_due_at = models.DateTimeField(null=True, blank=True, help_text="the end of the 7-working-day answer "
                                                                          "period (政府采购法 53)")
    complaint_window_closes_at = models.DateTimeField(null=True, blank=True, help_text="15 working days after "
                                                      "the answer period ends (政府采购法 55)")
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    def __str__(self):
        return f"{self.lot} / {self.filed_by}"

    @transition(field=state, source=ChallengeState.FILED, target=ChallengeState.ANSWERED)
    def give_answer(self, answer, on, result_changed):
        self.answer, self.answered_on, self.result_changed = answer, on, result_changed


class ComplaintState(models.TextChoices):
    FILED = "filed", _("已提出")
    ACCEPTED = "accepted", _("已受理")
    DECIDED = "decided", _("已作出处理决定")


class ComplaintOutcome(models.TextChoices):
    DISMISSED = "dismissed", _("投诉事项不成立，驳回投诉")
    UPHELD = "upheld", _("投诉事项成立，不影响中标结果")
    AWARD_VOID = "award_void", _("投诉事项成立，中标结果无效，重新招标")


class Complaint(models.Model):
    """A challenger's complaint (投诉) to the finance department about the answer to its challenge, or the lack
    of one; decided within 30 working days in its own procurement_complaint instance (政府采购法 55-57)."""

    challenge = models.OneToOneField(Challenge, on_delete=models.CASCADE, related_name="complaint")
    filed_by = models.ForeignKey("workflows.Office", on_delete=models.PROTECT, related_name="+")
    filed_on = models.DateField()
    grounds = models.TextField()
    state = FSMField(default=ComplaintState.FILED, choices=ComplaintState.choices, protected=False)
    accepted_on = models.DateField(null=True, blank=True)
    suspended_on = models.DateField(null=True, blank=True, help_text="the finance department suspended the lot's "
                                                                     "procurement while it handles the complaint")
    suspension_ends_at = models.DateTimeField(null=True, blank=True, help_text="30 days at most (政府采购法 57)")
    suspension_lifted_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=ComplaintOutcome.choices, blank=True)
    decision = models.TextField(blank=True)
    decided_on = models.DateField(null=True, blank=True)
    process_instance = models.ForeignKey("engine.ProcessInstance", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")

    def __str__(self):
        return f"{self.challenge} / {self.filed_on}"

    @property
    def suspending(self):
        """Whether the lot's procurement stands suspended for this complaint."""
        return self.suspended_on is not None and self.suspension_lifted_on is None

    @transition(field=state, source=ComplaintState.FILED, target=ComplaintState.ACCEPTED)
    def accept(self, on, suspension_ends_at=None):
        """Accepted; with `suspension_ends_at`, the lot's procurement is suspended until then at the latest."""
        self.accepted_on = on
        if suspension_ends_at is not None:
            self.suspended_on, self.suspension_ends_at = on, suspension_ends_at

    @transition(field=state, source=ComplaintState.ACCEPTED, target=ComplaintState.ACCEPTED)
    def lift_suspension(self, on):
        """The suspension ends: the decision came, or 30 days passed without one."""
        self.suspension_lifted_on = on

    @transition(field=state, source=ComplaintState.ACCEPTED, target=ComplaintState.DECIDED)
    def decide(self, outcome, decision, on):
        """Decided; a suspension still standing ends with the decision."""
        self.outcome, self.decision, self.decided_on = outcome, decision, on
        if self.suspending:
            self.suspension_lifted_on = on
