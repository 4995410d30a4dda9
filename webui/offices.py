"""Office names for display, in the page's language."""
from django.utils.translation import get_language

from workflows.models import Office


def office_names(codes):
    """{code: name} for the offices with these codes; English names on English pages where known."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return {code: _shown(name, name_en)
            for code, name, name_en in Office.objects.filter(code__in=codes).values_list("code", "name", "name_en")}


def office_choices(offices, areas=False):
    """(code, name) pairs of these offices (a queryset), for select fields; with `areas`, the names of the
    areas the bureaus serve."""
    names = [(code, _shown(name, name_en))
             for code, name, name_en in offices.order_by("code").values_list("code", "name", "name_en")]
    return [(code, area_name(name)) for code, name in names] if areas else names


def _shown(name, name_en):
    """The name in the page's language: the English one on English pages where known."""
    return name_en if name_en and (get_language() or "").startswith("en") else name


# A civil-affairs bureau is named after its area: the area's name is the bureau's less this.
BUREAU_SUFFIXES = ("民政局", " Civil Affairs Bureau")


def area_name(bureau_name):
    """大方县民政局 → 大方县: a county column names the county, not its bureau."""
    for suffix in BUREAU_SUFFIXES:
        if bureau_name.endswith(suffix):
            return bureau_name[:-len(suffix)]
    return bureau_name
