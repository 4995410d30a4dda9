"""Starting a year's provincial procurement, once the counties' annual plans are filed."""
from django.utils.translation import gettext as _

from engine import api
from engine.api import calendar
from engine.errors import Conflict, InvalidInput
from engine.models import ProcessInstance

from .provinces import business_key, check_province, filed_plans

PROCESS = "provincial_procurement"


def start_procurement(year, province=None, actor=None):
    """Start the procurement of `year` in `province` (its civil-affairs department's code; the home province
    when None) from the plans its counties filed; refused when one exists or none is filed yet."""
    if not calendar.is_year(year):
        raise InvalidInput({"year": _("年份须为 %(first)d 至 %(last)d 之间的整数，而不是 %(year)r") % {
            "first": calendar.YEARS[0], "last": calendar.YEARS[-1], "year": year}})
    province = check_province(province)
    key = business_key(year, province)
    existing = ProcessInstance.objects.filter(business_key=key, version__definition__key=PROCESS).first()
    if existing is not None:
        raise Conflict(_("%(year)s 年度的政府采购已经启动（%(id)s，%(state)s）")
                       % {"year": year, "id": existing.pk, "state": existing.state})
    if not filed_plans(year, province).exists():
        raise InvalidInput({"year": _("%(year)s 年没有已备案的年度实施计划，无法组织采购") % {"year": year}})
    return api.start(PROCESS, business_key=key, data={"year": year, "province": province}, actor=actor).instance
