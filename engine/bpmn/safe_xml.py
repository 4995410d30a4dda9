"""Parsing untrusted BPMN XML: no DTDs, no entity expansion, no network, bounded size."""
from django.conf import settings
from lxml import etree

from ..errors import InvalidDefinition, Problem

_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)


class UnsafeXml(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def parse(content: bytes, file_name: str):
    """The root element of `content`, or UnsafeXml with the file and line of the problem."""
    limit = settings.ENGINE["MAX_BPMN_BYTES"]
    if len(content) > limit:
        raise UnsafeXml(Problem(file_name, None, f"file is {len(content)} bytes; the limit is {limit}"))
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        line = content[: content.upper().find(b"<!")].count(b"\n") + 1
        raise UnsafeXml(Problem(file_name, line, "DOCTYPE and ENTITY declarations are not allowed in BPMN files"))
    # Deployed files are kept as text: one encoding, so validating and deploying read them alike.
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as err:
        line = content[:err.start].count(b"\n") + 1
        raise UnsafeXml(Problem(file_name, line, f"not UTF-8 (byte {err.start} cannot be read); save the file as "
                                                 "UTF-8")) from None
    try:
        root = etree.fromstring(content, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(Problem(file_name, err.lineno, f"not well-formed XML: {err.msg}")) from None
    declared = (root.getroottree().docinfo.encoding or "UTF-8").upper()
    if declared not in ("UTF-8", "UTF8", "US-ASCII", "ASCII"):
        raise UnsafeXml(Problem(file_name, 1, f"declares the encoding {declared}; save the file as UTF-8 and "
                                              "declare that"))
    return root


def parse_or_refuse(content: bytes, file_name: str):
    """parse(), with an unsafe file refused as an InvalidDefinition, for commands on one file."""
    try:
        return parse(content, file_name)
    except UnsafeXml as err:
        raise InvalidDefinition([err.problem]) from None
