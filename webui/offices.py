"""Offices as the pages show them (names in the page's language) and pick them (searched as one types)."""
import re

from django import forms
from django.db.models import Q
from django.utils.translation import get_language, gettext, gettext_lazy

from workflows.directory import office_names_by_code
from workflows.models import Office
from workflows.visibility import offices_in_view


def office_names(codes):
    """{code: name} for the offices with these codes; English names on English pages where known. Read from the
    names this process keeps (workflows.directory), and from the database for an office they lack (one made in
    another process within the minute)."""
    codes = {c for c in codes if c}
    known = office_names_by_code()
    names = {code: known[code] for code in codes if code in known}
    if len(names) < len(codes):
        names.update((code, (name, name_en)) for code, name, name_en in Office.objects.filter(
            code__in=codes - names.keys()).values_list("code", "name", "name_en"))
    return {code: _shown(name, name_en) for code, (name, name_en) in names.items()}


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


SEARCH_RESULTS = 20  # offices one search answers: a list to pick from, not the whole province


def office_search(user, kind, text):
    """At most SEARCH_RESULTS offices of `kind` the user sees whose code starts with `text` or whose name holds
    it: [(code, label)]."""
    text = (text or "").strip()[:50]
    found = offices_in_view(user, kind)
    if text:
        found = found.filter(Q(code__startswith=text) | Q(name__contains=text))
    rows = found.order_by("code").values_list("code", "name", "name_en")[:SEARCH_RESULTS]
    return [(code, f"{area_name(_shown(name, name_en))}（{code}）") for code, name, name_en in rows]


class OfficeField(forms.CharField):
    """An office among thousands, picked by typing: the page suggests matches (office-search.js); the form
    takes a code, or a suggestion "name（code）", and checks that the user sees that office."""

    def __init__(self, kind, **kwargs):
        self.kind = kind
        super().__init__(required=False, max_length=120, **kwargs)
        self.widget.attrs.update({"data-office-kind": kind, "autocomplete": "off",
                                  "placeholder": gettext_lazy("输入名称或代码")})

    def office_code(self, value, user):
        """The code of the office `value` names, if the user sees it; ValidationError otherwise."""
        value = (value or "").strip()
        if not value:
            return ""
        code = SUGGESTED.search(value)
        code = code.group(1) if code else value
        visible = offices_in_view(user, self.kind)
        found = visible.filter(Q(code=code) | Q(name=value)).values_list("code", flat=True).first()
        if found is None:
            raise forms.ValidationError(gettext("“%(value)s”不是您可查看的单位") % {"value": value})
        return found


SUGGESTED = re.compile(r"[（(]([^（）()]+)[）)]\s*$")


def clean_offices(form, user):
    """Turn each OfficeField's text in `form.cleaned_data` into the office code it names (a form's clean())."""
    for name, field in form.fields.items():
        if isinstance(field, OfficeField) and name in form.cleaned_data:
            try:
                form.cleaned_data[name] = field.office_code(form.cleaned_data[name], user)
            except forms.ValidationError as err:
                form.add_error(name, err)
    return form.cleaned_data
