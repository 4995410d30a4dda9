"""Each province procures apart: a procurement names its province (its civil-affairs department), gathers
the plans its counties filed, and is known by a business key of its own."""
from django.utils.translation import gettext as _

from engine.errors import InvalidInput
from workflows.directory import home_province, office_tree
from workflows.models import OfficeKind
from workflows.planning.models import AnnualPlan, PlanState


def business_key(year, province=None):
    """procurement-{year} for the home province (as before provinces procured apart), and
    procurement-{year}-{division code} for any other province's."""
    tenant = office_tree()["tenants"].get(province or home_province(), "")
    return f"procurement-{year}-{tenant}" if tenant else f"procurement-{year}"


def check_province(province):
    """`province`, a province's civil-affairs department code; the home province's for None or ""."""
    province = province or home_province()
    if not isinstance(province, str) or office_tree()["kinds"].get(province) != OfficeKind.PROVINCE_CIVIL_AFFAIRS:
        raise InvalidInput({"province": _("%(code)s 不是省级民政部门") % {"code": province}})
    return province


def filed_plans(year, province):
    """The year's annual plans filed in the province, the ground of its lots."""
    return AnnualPlan.objects.filter(year=year, state=PlanState.FILED,
                                     county__path__startswith=office_tree()["paths"][province]
                                     ).select_related("county").order_by("county__code")


def provinces_with_filed_plans(year):
    """The civil-affairs departments of the provinces where some county's plan of `year` is filed."""
    tree = office_tree()
    return [code for code, kind in sorted(tree["kinds"].items())
            if kind == OfficeKind.PROVINCE_CIVIL_AFFAIRS and filed_plans(year, code).exists()]


def purchaser_named(project):
    """{"purchaser": code} for the data of a challenge or complaint of `project`: the province's department
    that procured, which answers it. Under this key the province's departments see it; its bureaus do not,
    as they see the procurement itself (named under "province")."""
    return {"purchaser": project.province.code} if project.province_id else {}
