"""Office names for display, in the page's language."""
from django.utils.translation import get_language

from workflows.models import Office


def office_names(codes):
    """{code: name} for the offices with these codes; English names on English pages where known."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    english = (get_language() or "").startswith("en")
    return {code: (name_en if english and name_en else name)
            for code, name, name_en in Office.objects.filter(code__in=codes).values_list("code", "name", "name_en")}


def office_choices(**filters):
    """(code, name) pairs of the offices matching `filters`, for select fields."""
    offices = Office.objects.filter(**filters).order_by("code")
    english = (get_language() or "").startswith("en")
    return [(o.code, o.name_en if english and o.name_en else o.name) for o in offices]
