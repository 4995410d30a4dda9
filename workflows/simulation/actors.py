"""Who acts on a task, when, and what they decide.

Each office acts through its own account (username = office code, as the demo
data makes them). An office takes up a task after a random number of working
days: usually before the due date, now and then after it. Decisions are played
the way offices make them: a reviewer returns some plans once before approving,
organisations bid on every lot and the committee ranks them, a challenge may
stop the signing, the finance department upholds or dismisses complaints as
planned; a plan's budget is the sum of its lines; dates and scores are what a
clerk writes.
"""
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from engine.api import calendar, clock
from engine.models import HumanTask, TaskState
from workflows.models import Membership, Office
from workflows.procurement.models import Complaint

RETURN_COMMENT = "请补充预算明细和服务站点质量标准后重新报送。"
WORKDAY_STARTS = time(9, 0)
WORKDAY_MINUTES = 8 * 60
MAX_LOOKAHEAD_WORKDAYS = 60


@dataclass
class Behaviour:
    """How offices behave, as shares of the tasks."""

    late: float = 0.1            # tasks completed after their due date
    plan_returned: float = 0.3   # reviews that return a plan the first time they see it
    challenge: float = 1.0       # procurements in which losing bidders file challenges: a year has them
    # One challenger complains per outcome; the finance department decides the complaints so, in turn. An award
    # is set aside only while its agreement is unsigned: the department then suspends signing and decides in time.
    complaint_outcomes: tuple = ("award_void", "dismissed")
    idle_workdays: int = 3       # at most this many working days before taking up a task without a due date
    delegated: float = 0.05      # tasks the office's person delegates to a colleague, who hands them back
    absent: float = 0.03         # tasks a substitute does because the office's person is on leave


@dataclass
class Actors:
    rng: random.Random
    behaviour: Behaviour = field(default_factory=Behaviour)
    _users: dict = field(default_factory=dict)

    def how(self, task):
        """Who does the task: its office's person ("self"), a colleague they delegate it to ("delegate"), or
        a substitute while they are on leave ("substitute")."""
        draw = self.rng.random()
        if draw < self.behaviour.delegated:
            return "delegate"
        if draw < self.behaviour.delegated + self.behaviour.absent:
            return "substitute"
        return "self"

    def colleague_for(self, office_code):
        """A second account of the office, made when it has none: demonstration offices have one person."""
        first = self.user_for(office_code)
        colleague = get_user_model().objects.filter(memberships__office__code=office_code).exclude(
            pk=first.pk).order_by("pk").first()
        if colleague is None:
            colleague = get_user_model().objects.create_user(f"{office_code}-colleague")
            colleague.set_unusable_password()
            colleague.save(update_fields=["password"])
            Membership.objects.create(user=colleague, office=Office.objects.get(code=office_code))
        return colleague

    def substitute_for(self, office_code):
        """Who stands in for the office's person: the office above's person, or else a colleague."""
        parent = Office.objects.filter(code=office_code).values_list("parent__code", flat=True).first()
        return (self.user_for(parent) if parent else None) or self.colleague_for(office_code)

    def user_for(self, office_code):
        """The account that works in the office (None when the office has none)."""
        if office_code not in self._users:
            self._users[office_code] = get_user_model().objects.filter(
                memberships__office__code=office_code).order_by("-memberships__is_supervisor", "pk").first()
        return self._users[office_code]

    # When

    def when(self, task, now, not_before=None):
        """The moment the office takes up `task`, at the earliest `not_before`."""
        today = _china_day(now)
        suspension_ends = _suspension_ends(task)
        if suspension_ends is not None:  # a department that suspended a procurement decides before it resumes
            day = _workday(today, self.rng.randint(0, _workdays_until(today, min(task.due_at, suspension_ends))))
        elif task.due_at is None:
            day = _workday(today, self.rng.randint(0, self.behaviour.idle_workdays))
        elif self.rng.random() < self.behaviour.late:
            day = _workday(_china_day(task.due_at - timedelta(seconds=1)), self.rng.randint(1, 5))
        else:
            day = _workday(today, self.rng.randint(0, _workdays_until(today, task.due_at)))
        moment = self._during_office_hours(day)
        if not_before is not None and moment < not_before:
            moment = self._during_office_hours(_workday(_china_day(not_before), 0))
            moment = max(moment, not_before)
        return max(moment, now + timedelta(minutes=self.rng.randint(1, 30)))

    def _during_office_hours(self, day):
        start = datetime.combine(day, WORKDAY_STARTS, clock.CHINA)
        return start + timedelta(minutes=self.rng.randint(0, WORKDAY_MINUTES))

    # What

    def choices(self, task, schema, context, today):
        """Values for the fields where an office decides rather than types."""
        keys = _keys(schema.get("components", []))
        chosen = {}
        if "decision" in keys:
            chosen.update(self._decision(task, keys["decision"]))
        if "score" in keys:
            chosen["score"] = f"{self.rng.uniform(62, 98):.1f}"
        if "term_start" in keys:
            start = _workday(today, 1)
            chosen["term_start"] = start.isoformat()
            if "term_end" in keys:
                chosen["term_end"] = _one_year_from(start).isoformat()
        if "may_change_result" in keys:
            chosen["may_change_result"] = self.rng.random() < 0.5  # then signing is suspended until answered
            chosen["result_changed"] = False
        if "suspend" in keys:
            chosen["suspend"] = self._outcome(context) == "award_void" or self.rng.random() < 0.3
        if "outcome" in keys:
            refused = (context.get("decision_result") or {}).get("recorded") is False
            # A void award the department could not declare (the agreement was signed) is upheld instead.
            chosen["outcome"] = "upheld" if refused else self._outcome(context)
        paths = _paths(schema.get("components", []))
        if "budget_lines" in paths and "budget" in keys:
            chosen["budget_lines"] = self._budget_lines(context)
            chosen["budget"] = f"{sum(Decimal(line['amount']) for line in chosen['budget_lines']):.2f}"
        if "bids" in paths:
            chosen["bids"] = self._bids(context)
        if "ranking" in paths:
            chosen["ranking"] = self._ranking(context)
        return chosen

    def _budget_lines(self, context):
        """A plan's budget by kind of spending, about 150 000 yuan a station; the budget is their sum."""
        stations = context.get("station_count") or 1
        shares = (("驻站社工薪酬", "personnel", 0.75), ("社区服务活动", "activity", 0.17), ("督导与培训", "training", 0.08))
        per_station = self.rng.uniform(120000, 180000)
        return [{"item": item, "category": category, "amount": f"{per_station * stations * share:.2f}"}
                for item, category, share in shares]

    def _bids(self, context):
        """Three or four registered organisations bid on each lot of the round, under its budget."""
        lots = (context.get("tender") or {}).get("lots") or context.get("lots") or []
        suppliers = [option["value"] for option in context.get("suppliers") or []]
        rows = []
        for lot in lots:
            for org in self.rng.sample(suppliers, min(len(suppliers), self.rng.randint(3, 4))):
                price = Decimal(str(lot["budget"])) * Decimal(str(round(self.rng.uniform(0.85, 0.99), 4)))
                rows.append({"lot_number": lot["number"], "social_org": org, "price": f"{price:.2f}"})
        return rows

    def _ranking(self, context):
        """The committee ranks the valid bids of each lot, the best score first."""
        valid = (context.get("opening") or {}).get("valid_lots") or []
        rows = []
        for number in valid:
            bids = [b for b in context.get("bids") or [] if b.get("lot_number") == number]
            scores = sorted((round(self.rng.uniform(70, 96), 2) for _ in bids), reverse=True)
            for rank, (bid, score) in enumerate(zip(self.rng.sample(bids, len(bids)), scores), start=1):
                rows.append({"lot_number": number, "rank": rank, "social_org": bid["social_org"],
                             "price": str(bid["price"]), "score": f"{score:.2f}"})
        return rows

    def _outcome(self, context):
        """The outcome planned for the complaint of the task: the behaviour's outcomes, in turn by the order
        the procurement's complaints were filed in (read from the database, so every worker agrees)."""
        complaint = Complaint.objects.filter(pk=(context.get("complaint_info") or {}).get("complaint")).values_list(
            "pk", "challenge__lot__project").first()
        earlier = Complaint.objects.filter(challenge__lot__project=complaint[1], pk__lt=complaint[0]).count() \
            if complaint else 0
        planned = self.behaviour.complaint_outcomes
        return planned[earlier % len(planned)]

    def _decision(self, task, component):
        options = [option.get("value") for option in component.get("values", [])]
        first_look = not HumanTask.objects.filter(instance_id=task.instance_id, bpmn_id=task.bpmn_id,
                                                  state=TaskState.COMPLETED).exists()
        if "return" in options and first_look and self.rng.random() < self.behaviour.plan_returned:
            return {"decision": "return", "comment": RETURN_COMMENT}
        return {"decision": "approve"} if "approve" in options else {}


def _keys(components, found=None):
    """Every keyed component of a form by key, rows and groups included."""
    found = {} if found is None else found
    for component in components:
        if "key" in component:
            found[component["key"]] = component
        _keys(component.get("components", []), found)
    return found


def _paths(components, found=None):
    """The data paths of a form's repeating lists."""
    found = set() if found is None else found
    for component in components:
        if component.get("type") == "dynamiclist":
            found.add(component.get("path"))
        _paths(component.get("components", []), found)
    return found


def _suspension_ends(task):
    """When the suspension its complaint's acceptance ordered ends, for a complaint's decision; else None."""
    if task.bpmn_id != "decide_complaint":
        return None
    acceptance = task.instance.data.get("acceptance") or {}
    return datetime.fromisoformat(acceptance["suspension_ends"]) if acceptance.get("suspended") else None


def _china_day(moment) -> date:
    return moment.astimezone(clock.CHINA).date()


def _workday(day, n):
    """The n-th working day after `day` (n = 0: `day` itself or the next working day)."""
    return calendar.add_workdays(day, n).last_day


def _workdays_until(today, due_at):
    """Working days from today that still end on or before the due date's last day."""
    last_day = _china_day(due_at - timedelta(seconds=1))
    n = 0
    while n < MAX_LOOKAHEAD_WORKDAYS and _workday(today, n + 1) <= last_day:
        n += 1
    return n


def _one_year_from(start):
    """The last day of a one-year term beginning on `start` (purchased services run at most a year)."""
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)
