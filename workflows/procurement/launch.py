"""Starting a year's provincial procurement, once the counties' annual plans are filed."""
from django.utils.translation import gettext as _

from engine import api
from engine.errors import Conflict, InvalidInput
from engine.models import ProcessInstance

from .handlers import filed_plans

PROCESS = "provincial_procurement"


def business_key(year):
    return f"procurement-{year}"


def start_procurement(year, actor=None):
    """Start the procurement of `year`; refused when one exists or no county's plan is filed yet."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput({"year": _("年份须为四位数字，而不是 %(year)r") % {"year": year}})
    key = business_key(year)
    existing = ProcessInstance.objects.filter(business_key=key, version__definition__key=PROCESS).first()
    if existing is not None:
        raise Conflict(_("%(year)s 年度的政府采购已经启动（%(id)s，%(state)s）")
                       % {"year": year, "id": existing.pk, "state": existing.state})
    if not filed_plans(year).exists():
        raise InvalidInput({"year": _("%(year)s 年没有已备案的年度实施计划，无法组织采购") % {"year": year}})
    return api.start(PROCESS, business_key=key, data={"year": year}, actor=actor).instance
