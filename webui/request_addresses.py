"""Addresses no database here can look up: a request whose path or query holds a character PostgreSQL refuses in
text (api.text_problem: a NUL) is answered 400 before any view runs. Otherwise every lookup by such a value (an
office, a process key, a tenant) failed with an error 500 on PostgreSQL, where SQLite answered. The REST API's
addresses are answered in its own format (problem details)."""
from django.http import HttpResponseBadRequest
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from engine import api


class RefuseUnstorableAddresses:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [request.path_info, *(text for pair in request.GET.lists() for text in (pair[0], *pair[1]))]
        if not any(api.text_problem(text) for text in values):
            return self.get_response(request)
        refusal = _("请求的地址含有无法处理的字符（如空字符 \\x00）。")
        if _the_apis(request.path_info):
            from restapi.problems import plain_problem_response  # the API's settings load after the middleware

            return plain_problem_response(400, refusal)
        return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")


def _the_apis(path):
    try:
        return "restapi" in resolve(path).namespaces
    except Resolver404:
        return False
