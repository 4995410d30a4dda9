"""Lists exported as Excel workbooks, written row by row to a temporary file so that a list of any length
takes bounded memory; at most EXPORT_MAX_ROWS rows, with a note in the sheet when there were more."""
import tempfile
import unicodedata
from datetime import datetime
from itertools import islice

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from engine.api import clock

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 1000  # rows read and annotated at a time: bounded memory, and short IN lists
WIDTH_SAMPLE_ROWS = 200  # columns are as wide as the headers and the first rows need


def chunks(queryset, size=None):
    """Lists of at most `size` (CHUNK_ROWS) rows of `queryset`, read through one cursor: up to one row past
    EXPORT_MAX_ROWS (for workbook_response to say there were more), so the database reads no further."""
    size = size or CHUNK_ROWS
    rows = queryset[:settings.EXPORT_MAX_ROWS + 1].iterator(chunk_size=size)
    while chunk := list(islice(rows, size)):
        yield chunk


def _cell(value):
    # Excel knows no time zones: show China time, as the pages do.
    if isinstance(value, datetime):
        return value.astimezone(clock.CHINA).replace(tzinfo=None)
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def _width(text):
    """How many character widths Excel gives the text: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def workbook_response(filename, title, headers, rows):
    """`rows` (any iterable) as a one-sheet workbook download."""
    limit = settings.EXPORT_MAX_ROWS
    rows = iter(rows)
    sample = [[_cell(v) for v in row] for row in islice(rows, min(WIDTH_SAMPLE_ROWS, limit))]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    headers = [str(h) for h in headers]
    for index, header in enumerate(headers):
        width = max([_width(header), *(_width(str(row[index] if row[index] is not None else "")) for row in sample)])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    bold = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        bold.append(cell)
    sheet.append(bold)
    written = 0
    for row in sample:
        sheet.append(row)
        written += 1
    for row in rows:
        if written >= limit:
            sheet.append([_("仅导出前 %(n)s 行：请缩小筛选范围后分批导出") % {"n": limit}])
            break
        sheet.append([_cell(v) for v in row])
        written += 1
    out = tempfile.TemporaryFile()  # removed when the response closes it
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)
