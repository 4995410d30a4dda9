"""The office directory the engine asks: lane roles, and which office a task goes to."""
from engine.directory import Directory

from .models import Membership, Office, OfficeKind

# Roles a lane may name, one per kind of office.
ROLES = dict(OfficeKind.choices)

# Where an instance names the office of a role: data key holding the office code.
ROLE_DATA_KEYS = {
    OfficeKind.COUNTY_BUREAU: "county",
    OfficeKind.STATION: "station",
    OfficeKind.SOCIAL_ORG: "social_org",
    OfficeKind.EVALUATOR: "evaluator",
}
SINGLE_OFFICE_ROLES = (OfficeKind.PROVINCE_CIVIL_AFFAIRS, OfficeKind.PROVINCE_FINANCE)


class OfficeDirectory(Directory):
    def roles(self):
        return ROLES

    def office_for(self, role, instance_data):
        explicit = (instance_data.get("offices") or {}).get(role)
        if explicit:
            return explicit
        if role in SINGLE_OFFICE_ROLES:
            office = Office.objects.filter(kind=role).only("code").first()
            return office.code if office else ""
        if role == OfficeKind.PREFECTURE_BUREAU:
            county = instance_data.get("county")
            office = Office.objects.filter(code=county).select_related("parent").first() if county else None
            return office.parent.code if office and office.parent else instance_data.get("prefecture", "")
        key = ROLE_DATA_KEYS.get(role)
        return str(instance_data.get(key, "")) if key else ""

    def offices_of(self, user):
        return list(Membership.objects.filter(user=user).values_list("office__code", flat=True))

    def is_supervisor(self, user, office_code):
        return Membership.objects.filter(user=user, office__code=office_code, is_supervisor=True).exists()
