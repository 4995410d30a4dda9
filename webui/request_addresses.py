"""Addresses no database here can look up: a request whose path or query holds a character PostgreSQL refuses in
text (engine.storable: a NUL) is answered 400 before any view runs. Otherwise every lookup by such a value (an
office, a process key, a tenant) failed with an error 500 on PostgreSQL, where SQLite answered."""
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from engine.storable import text_problem


class RefuseUnstorableAddresses:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path_info, *(text for pair in request.GET.lists() for text in (pair[0], *pair[1]))]
        if any(text_problem(text) for text in values):
            return HttpResponseBadRequest(_("请求的地址含有无法处理的字符（如空字符 \\x00）。"),
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)
