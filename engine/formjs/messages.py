"""The messages a refused form submission shows, in the active language.

Written in Chinese and translated through the project's catalog (locale/), like
the engine's other messages; each names its field by its label, `%(label)s`.
"""
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

_MESSAGES = {
    "required": _("「%(label)s」为必填项"),
    "text": _("「%(label)s」必须是文本"),
    "min_length": _("「%(label)s」至少需要 %(limit)s 个字符"),
    "max_length": _("「%(label)s」最多 %(limit)s 个字符"),
    "pattern": _("「%(label)s」的格式不正确"),
    "email": _("「%(label)s」必须是有效的电子邮箱地址"),
    "phone": _("「%(label)s」必须是有效的国际电话号码，例如 +8613800000000"),
    "number": _("「%(label)s」必须是数字，例如 600000、600,000 或 60万"),
    "too_large": _("「%(label)s」的数值过大"),
    "integer": _("「%(label)s」必须是整数"),
    "decimals": _("「%(label)s」最多%(digits)s位小数"),
    "min": _("「%(label)s」不能小于 %(limit)s"),
    "max": _("「%(label)s」不能大于 %(limit)s"),
    "increment": _("「%(label)s」必须是 %(step)s 的整数倍"),
    "bad_rule": _("「%(label)s」的校验规则无法计算，请联系管理员"),
    "boolean": _("「%(label)s」只能是“是”或“否”"),
    "option": _("「%(label)s」的选项无效"),
    "options": _("「%(label)s」包含无效的选项"),
    "date": _("「%(label)s」必须是有效的日期（YYYY-MM-DD）"),
    "time": _("「%(label)s」必须是有效的时间（HH:MM）"),
    "datetime": _("「%(label)s」必须是有效的日期时间（YYYY-MM-DDTHH:MM）"),
    "past_date": _("「%(label)s」不能早于今天"),
    "files": _("「%(label)s」必须是已上传的附件"),
    "one_file": _("「%(label)s」只能上传一个文件"),
    "unknown_file": _("「%(label)s」中有附件不存在，或不是为本任务上传的"),
    "rows": _("「%(label)s」必须是列表"),
    "row": _("「%(label)s」第 %(n)s 行的数据无效"),
    "no_rows": _("「%(label)s」至少需要填写一行"),
}
_ZH_COUNTS = "零一两三四五六七八九十"


def text(code, **params):
    """The message `code` names, in the active language, with `params` (label and the rule's figures) filled in."""
    return _MESSAGES[code] % params


def count(n):
    """A small count as a sentence writes it: "两" in Chinese (最多两位小数), 2 in other languages."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return _ZH_COUNTS[n] if language.startswith("zh") and n < len(_ZH_COUNTS) else n
