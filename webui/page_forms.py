"""The base of the pages' own forms."""
from django import forms
from django.utils.translation import gettext as _


class PageForm(forms.Form):
    """A form whose labels end in the page language's colon: full-width (：) on Chinese pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", _("："))
        super().__init__(*args, **kwargs)
