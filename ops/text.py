"""What text the site accepts: one rule for control characters, used wherever text comes in.

Query parameters (`cac_platform.middleware`), admin and public forms (`ops.forms`), the
importer and the feeds all drop the same characters, so that none of them reaches the database
(PostgreSQL refuses NUL in text), an XML document (XML 1.0 forbids C0 controls but tab, LF and
CR), an e-mail header or a CSV file. The search service's `clean_query` follows the same rule for
the query text (and also collapses whitespace).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from anyascii import anyascii

from django.http import QueryDict
from django.utils.text import slugify

# C0 controls but tab, LF and CR; DEL and the C1 controls; lone surrogates and the two
# non-characters U+FFFE / U+FFFF (neither is valid XML; surrogates cannot even be encoded).
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Tab, LF and CR, for text that is one line.
_LINE_BREAKS = re.compile("[\t\n\r]+")
_NEWLINES = re.compile("\r\n?")


def has_controls(text: str, *, multiline: bool = True) -> bool:
    """Whether `strip_controls(text, multiline=…)` would change `text`."""
    if _CONTROLS.search(text):
        return True
    return "\r" in text if multiline else bool(_LINE_BREAKS.search(text))


def strip_controls(text: str, *, multiline: bool = True) -> str:
    """`text` without control characters.

    `multiline`: tab and newline stay (CR LF and a lone CR become LF, as browsers send textareas);
    otherwise (a name, a title, a query parameter) tab, CR and LF become one space each run, so
    that the value stays one line.
    """
    if not text:
        return text
    text = _CONTROLS.sub("", text)
    if multiline:
        return _NEWLINES.sub("\n", text)
    return _LINE_BREAKS.sub(" ", text)


def one_line(text: str) -> str:
    """`text` as one line: no control character, no line break (e-mail headers, names)."""
    return strip_controls(text, multiline=False)


def clean_querydict(query: QueryDict, *, multiline: bool) -> QueryDict:
    """`query` (GET or POST data) with `strip_controls` applied to every name and value; the same
    object when nothing changes, else a new immutable QueryDict like the one Django builds."""
    pairs = [(key, value) for key, values in query.lists() for value in values]
    if not any(has_controls(k, multiline=False) or has_controls(v, multiline=multiline) for k, v in pairs):
        return query
    encoding = query.encoding or "utf-8"
    cleaned = [(one_line(k), strip_controls(v, multiline=multiline)) for k, v in pairs]
    return QueryDict(urlencode(cleaned, encoding=encoding), encoding=encoding)


def ascii_slug(text: str, max_length: int = 100) -> str:
    """An ASCII slug for a name in any script, transliterated (서울 → seoul, Москва → moskva,
    北京 → beijing, Hà Nội → ha-noi, मुंबई → mumbi, مسقط → msqt); "" when nothing is left.

    Slugs of what an import or an editor creates (cities, measure types) are ASCII: they travel in
    URLs, query strings, CSV files and citations, where an ASCII slug needs no percent-encoding,
    has no right-to-left reordering, and cannot differ from another only by Unicode
    normalisation or a look-alike letter. The names keep their own script.
    """
    return slugify(anyascii(text or ""))[:max_length].strip("-")
