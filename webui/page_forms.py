"""The base of the pages' own forms, and the choices their filters share."""
from functools import cache

from django import forms
from django.utils.translation import gettext as _

from engine.models import ProcessDefinition


class PageForm(forms.Form):
    """A form whose labels end in the page language's colon: full-width (：) on Chinese pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", _("："))
        super().__init__(*args, **kwargs)


def process_choices():
    """A filter's choice of process, "all" first. Read once, when the form is shown or a value checked: a filter
    form built only to read an address's empty filters (an export's) reads nothing."""
    return cache(lambda: [("", _("全部")), *((d.key, d.name or d.key) for d in ProcessDefinition.objects.all())])
