"""The Markdown subset of the import format (docs/import-format.md) → Wagtail content: the body's
blocks (headings, quotes, key-figure tables, images, documents, paragraphs and lists) and the
outcomes' rich text. `MarkupError` says what is wrong; validation reports it on the row's cell.

The text inside a paragraph, list item or link (bold, italic, links, escapes, line breaks) is read by
markdown-it-py with CommonMark's rules; the blocks are read here, line by line, because the format's
blocks are not CommonMark's (a two-column table is a key-figures block, a quote's last line may be
its attribution, a list ends at a blank line, `-` and `*` items make one list).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from ops.ids import MAX_DIGITS


class MarkupError(ValueError):
    pass


_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_HEADING_RE = re.compile(r"^(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_BULLET_RE = re.compile(r"^[-*+]\s+(.*)$")
_ORDERED_RE = re.compile(r"^\d{1,9}[.)]\s+(.*)$")
_TABLE_SEPARATOR_RE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def _reference_id(digits: str, target: str) -> int:
    """The id a link, image or document names, or a MarkupError for digits that cannot be one (an
    id of 19 digits past the largest is left to the check that the row exists)."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
        raise MarkupError(_("“%(url)s” is not a valid link.") % {"url": target[:60]})
    return int(digits)


_IMAGE_RE = re.compile(r'^!\[((?:[^\]\\]|\\.)*)\]\(image:(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?\)$')
_DOCUMENT_RE = re.compile(r"^\[((?:[^\]\\]|\\.)*)\]\(document:(\d+)\)$")
_ATTRIBUTION_RE = re.compile(r"^(?:—|--|―)\s+(.*)$")


def unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCT:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass
class Refs:
    """Ids of pages, documents and images that Markdown links and blocks refer to."""

    pages: set[int] = field(default_factory=set)
    documents: set[int] = field(default_factory=set)
    images: set[int] = field(default_factory=set)


def _inline_markdown() -> MarkdownIt:
    """CommonMark's inline rules for what the format has: emphasis, links, backslash escapes and
    line breaks. The rest (code spans, entities, raw HTML, autolinks, images) stays text, as the
    exporter writes it (casestudies.exporter escapes only what these rules read)."""
    md = MarkdownIt("zero").enable(["emphasis", "link", "escape", "newline"])
    # Every link target reaches InlineParser._anchor, which accepts or refuses it with the import's
    # own messages, and is kept as written (no percent-encoding).
    md.validateLink = lambda url: True
    md.normalizeLink = lambda url: url
    md.normalizeLinkText = lambda text: text
    return md


_INLINE = _inline_markdown()
# Text without a character these rules read is itself: no parse (most paragraphs of a large import).
_INLINE_SPECIAL = re.compile(r"[\\\n*_\[]")
_TAGS = {"strong_open": "<b>", "strong_close": "</b>", "em_open": "<i>", "em_close": "</i>"}


class InlineParser:
    """Bold, italic, links and hard breaks of the Markdown subset (parsed by markdown-it-py), as
    Wagtail rich-text HTML."""

    def __init__(self, refs: Refs):
        self.refs = refs

    def _anchor(self, target: str, inner: str) -> str:
        target = target.strip()
        kind, _sep, ident = target.partition(":")
        if kind in ("page", "document") and ident.isdigit():
            (self.refs.pages if kind == "page" else self.refs.documents).add(_reference_id(ident, target))
            return f'<a linktype="{kind}" id="{ident}">{inner}</a>'
        if target.startswith("/") or re.match(r"^(https?|mailto|tel):", target, re.IGNORECASE):
            if target.lower().startswith(("http:", "https:")):
                try:
                    URLValidator()(target)
                except ValidationError as exc:
                    raise MarkupError(_("“%(url)s” is not a valid link.") % {"url": target}) from exc
            return f'<a href="{html.escape(target, quote=True)}">{inner}</a>'
        raise MarkupError(
            _("“%(url)s” is not a link target (use http(s)://…, mailto:…, page:ID or document:ID).")
            % {"url": target}
        )

    def parse(self, s: str) -> str:
        if not _INLINE_SPECIAL.search(s):
            return html.escape(s, quote=False)
        out: list[str] = []
        links: list[tuple[int, str]] = []  # (where the link's text starts in out, its target)
        for token in _INLINE.parseInline(s)[0].children or []:
            if token.type == "text":
                out.append(html.escape(token.content, quote=False))
            elif token.type == "softbreak":
                out.append(" ")
            elif token.type == "hardbreak":
                out.append("<br/>")
            elif token.type in _TAGS:
                out.append(_TAGS[token.type])
            elif token.type == "link_open":
                links.append((len(out), str(token.attrGet("href") or "")))
            elif token.type == "link_close":
                start, target = links.pop()
                inner = "".join(out[start:])
                del out[start:]
                out.append(self._anchor(target, inner))
            else:  # no other rule is enabled
                out.append(html.escape(token.content, quote=False))
        return "".join(out)


def _starts_block(line: str) -> bool:
    stripped = line.strip()
    return bool(
        _HEADING_RE.match(stripped)
        or stripped.startswith(">")
        or (stripped.startswith("|") and not stripped.startswith("\\"))
        or _BULLET_RE.match(stripped)
    )


def _split_cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [unescape(cell.strip().replace("\\|", "|")) for cell in cells]


def markdown_to_blocks(text: str, refs: Refs, rich_only: bool = False) -> list[tuple[str, object]]:
    """Markdown (or plain text) → [(block type, value)] for the case-study body.

    `rich_only=True` (the outcomes field): paragraphs and lists only; other blocks are an error.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    inline = InlineParser(refs)
    blocks: list[tuple[str, object]] = []
    i = 0
    n = len(lines)

    def forbid(what: str):
        if rich_only:
            raise MarkupError(_("%(what)s are not allowed here, only paragraphs and lists.") % {"what": what})

    while i < n:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            forbid(_("headings"))
            level = "h2" if len(heading.group(1)) <= 2 else "h3"
            heading_text = unescape(heading.group(2) or "")
            if not heading_text:
                raise MarkupError(_("a heading has no text."))
            if len(heading_text) > 120:
                raise MarkupError(_("a heading is longer than 120 characters."))
            blocks.append(("heading", {"text": heading_text, "level": level}))
            i += 1
            continue
        if line.startswith(">"):
            forbid(_("quotes"))
            quoted = []
            while i < n and lines[i].strip().startswith(">"):
                content = lines[i].strip()[1:]
                quoted.append(content[1:] if content.startswith(" ") else content)
                i += 1
            attribution = ""
            last = _ATTRIBUTION_RE.match(quoted[-1]) if quoted else None
            if last and len(quoted) > 1:
                attribution = unescape(last.group(1))
                quoted = quoted[:-1]
            blocks.append(
                ("quote", {"text": unescape("\n".join(quoted)).strip(), "attribution": attribution})
            )
            continue
        if line.startswith("|"):
            forbid(_("tables"))
            table = []
            while i < n and lines[i].strip().startswith("|"):
                table.append(lines[i].strip())
                i += 1
            if len(table) < 2 or not _TABLE_SEPARATOR_RE.match(table[1]):
                raise MarkupError(_("a table needs a header row and a separator row (| --- | --- |)."))
            header = _split_cells(table[0])
            figures = []
            for row in table[2:]:
                cells = _split_cells(row)
                if len(cells) != 2 or not cells[0] or not cells[1]:
                    raise MarkupError(_("each key-figure row has two cells: a label and a value."))
                if len(cells[0]) > 120 or len(cells[1]) > 60:
                    raise MarkupError(_("a key-figure label is at most 120 characters, a value 60."))
                figures.append({"label": cells[0], "value": cells[1]})
            if not figures:
                raise MarkupError(_("a key-figures table has no rows."))
            blocks.append(("key_figures", {"title": header[0] if header else "", "figures": figures}))
            continue
        image = _IMAGE_RE.match(line)
        if image and (i + 1 >= n or not lines[i + 1].strip()):
            forbid(_("images"))
            image_id = _reference_id(image.group(2), line)
            refs.images.add(image_id)
            blocks.append(
                (
                    "image",
                    {
                        "image": image_id,
                        "caption": unescape(image.group(1)),
                        "attribution": unescape(image.group(3) or ""),
                    },
                )
            )
            i += 1
            continue
        document = _DOCUMENT_RE.match(line)
        if document and (i + 1 >= n or not lines[i + 1].strip()) and not rich_only:
            document_id = _reference_id(document.group(2), line)
            refs.documents.add(document_id)
            blocks.append(("document", {"document": document_id, "title": unescape(document.group(1))}))
            i += 1
            continue
        bullet, ordered = _BULLET_RE.match(line), _ORDERED_RE.match(line)
        if bullet or ordered:
            kind_re = _BULLET_RE if bullet else _ORDERED_RE
            items: list[str] = []
            while i < n and lines[i].strip():
                current = lines[i].strip()
                item = kind_re.match(current)
                if item:
                    items.append(item.group(1))
                elif _starts_block(current) or (_ORDERED_RE if bullet else _BULLET_RE).match(current):
                    break
                else:  # a continuation line of the item
                    items[-1] += "\n" + current
                i += 1
            tag = "ul" if bullet else "ol"
            html_items = "".join(f"<li>{inline.parse(item)}</li>" for item in items)
            blocks.append(("paragraph", f"<{tag}>{html_items}</{tag}>"))
            continue
        paragraph = [line]
        i += 1
        while i < n and lines[i].strip() and not _starts_block(lines[i]):
            paragraph.append(lines[i].strip())
            i += 1
        blocks.append(("paragraph", f"<p>{inline.parse(chr(10).join(paragraph)).strip()}</p>"))
    return blocks


def markdown_to_richtext(text: str, refs: Refs) -> str:
    return "".join(str(value) for _type, value in markdown_to_blocks(text, refs, rich_only=True))
