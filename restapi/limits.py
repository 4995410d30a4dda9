"""What a request may bring: its body's length is checked against the view's limit before a byte is read
(JSON and forms: what the site takes, DATA_UPLOAD_MAX_MEMORY_SIZE; an attachment: MAX_ATTACHMENT_BYTES and
room for the form's parts)."""
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

from .problems import RequestTooLarge


def body_limit(view):
    return getattr(view, "max_request_bytes", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def check_length(parser_context):
    context = parser_context or {}
    limit = body_limit(context.get("view"))
    try:
        length = int(context["request"].META.get("CONTENT_LENGTH") or 0)
    except (KeyError, ValueError):
        length = 0
    if length > limit:
        raise RequestTooLarge(_("请求内容超过 %(limit)s 字节的上限。") % {"limit": limit})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_length(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:  # nested past the decoder's recursion limit
            raise exceptions.ParseError(_("JSON 嵌套过深。")) from None


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        check_length(parser_context)
        return super().parse(stream, media_type, parser_context)
