"""Process data as people read it: keys by their forms' labels, values formatted, rows as small tables.

An object becomes a definition list, a list of objects a table with a column per key, a list of
plain values one line, each list its first SHOWN_ROWS items and how many more there are; ISO datetimes
show in China time, amounts with two decimals get thousands separators, yes/no in words, a chosen option
by its label. Everything is escaped (the data comes from forms).

`labels`: {"fields": {key: label}, "options": {key: {value: label}}} (engine.api.form_labels), and
"values": {key: {value: label}} for codes the page itself can name (offices).
"""
import re
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# A list shows its first rows: a procurement's data holds every registered organisation, a nation's 1,400.
SHOWN_ROWS = 50
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


def render_data(value, labels=None, key=None):
    """HTML for a JSON value of process data (under `key`, when it has one)."""
    labels = labels or {}
    if isinstance(value, dict):
        if not value:
            return _empty()
        return format_html('<dl class="data-list">{}</dl>', format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>", ((_field(name, labels), render_data(value[name], labels, name))
                                          for name in sorted(value))))
    if isinstance(value, list):
        if not value:
            return _empty()
        if all(isinstance(item, dict) for item in value):
            return format_html("{}{}", _table(value[:SHOWN_ROWS], labels), _more(value))
        return format_html("{}{}", format_html_join(mark_safe("、"), "{}", (
            (render_data(item, labels, key),) for item in value[:SHOWN_ROWS])), _more(value))
    named = _named(value, key, labels)
    return named if named is not None else _scalar(value)


def _field(name, labels):
    label = labels.get("fields", {}).get(name)
    return format_html('{} <span class="muted data-key">{}</span>', label, name) if label else name


def _named(value, key, labels):
    """The label of a chosen option or a known code, or None."""
    if key is None or isinstance(value, (dict, list, bool)) or value is None:
        return None
    for kind in ("options", "values"):
        label = labels.get(kind, {}).get(key, {}).get(str(value))
        if label:
            return label
    return None


def _table(rows, labels):
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = format_html_join("", "<th>{}</th>", ((labels.get("fields", {}).get(column, column),) for column in columns))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html_join("", "<td>{}</td>", ((render_data(row.get(column), labels, column),)
                                              for column in columns)),)
        for row in rows))
    return format_html('<div class="table-wrap"><table class="data-table"><thead><tr>{}</tr></thead>'
                       "<tbody>{}</tbody></table></div>", head, body)


def _scalar(value):
    if value is None or value == "":
        return _empty()
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Decimal) or (isinstance(value, str) and AMOUNT.match(value)):
        return f"{Decimal(value):,.2f}"
    if isinstance(value, str) and DATETIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)


def _more(rows):
    if len(rows) <= SHOWN_ROWS:
        return ""
    return format_html('<p class="muted">{}</p>', _("另有 %(count)d 项未显示（共 %(total)d 项）") % {
        "count": len(rows) - SHOWN_ROWS, "total": len(rows)})


def _empty():
    return mark_safe('<span class="muted">—</span>')
