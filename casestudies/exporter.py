"""Export case studies in the import format (CSV or JSON Lines), so that export → import round-trips.

The format is documented in docs/import-format.md. Rich text (the body's paragraphs, the
outcomes) is written as the Markdown subset that `casestudies.imports` reads; the body's other
blocks have their own Markdown forms (headings, quotes, key-figure tables, images, documents).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser

from django.db.models import Prefetch

from wagtail.rich_text import RichText

from ops.spreadsheet import neutralise_row

from .evidence import REQUIREMENT_FIELDS

BASE_COLUMNS = [
    "key",
    "locale",
    "title",
    "summary",
    "city",
    "country",
    "continent",
    "policy_areas",
    "measure_types",
    "start_date",
    "end_date",
    "body",
    "outcomes",
    "source_urls",
    "contact_email",
]
# Issue 16: graded outcomes, "what it takes" and "inspired by". Optional in a file: an older file
# without them imports as before, and leaves these fields of existing cases as they are.
OPTIONAL_COLUMNS = ["evidence", "inspired_by", *REQUIREMENT_FIELDS]
COLUMNS = BASE_COLUMNS + OPTIONAL_COLUMNS
# The "what it takes" columns, each the case-study field of the same name.
REQUIREMENT_COLUMNS = tuple(OPTIONAL_COLUMNS[2:])
LIST_COLUMNS = ("policy_areas", "measure_types", "source_urls", "inspired_by")
# What the public exports (opendata) add after these columns: derived from the page, so an import
# accepts and ignores them, and a downloaded file re-imports as it is.
EXPORT_ONLY_COLUMNS = ("url", "last_published_at", "licence", "citation")
LIST_SEPARATOR = "; "

# --------------------------------------------------------------------------------------------
# Markdown escaping
# --------------------------------------------------------------------------------------------
_INLINE_SPECIALS = re.compile(r"([\\*_\[\]])")
_LINE_START = re.compile(r"^(\s*)([#>+|!-]|\d+[.)])")


def escape_inline(text: str) -> str:
    return _INLINE_SPECIALS.sub(r"\\\1", text)


def escape_line_starts(markdown: str) -> str:
    """Characters that would open a block (heading, quote, list, table) at a line start are escaped."""

    def fix(line: str) -> str:
        match = _LINE_START.match(line)
        if not match:
            return line
        lead, token = match.groups()
        if token[0].isdigit():  # "1." → "1\."
            return f"{lead}{token[:-1]}\\{token[-1]}{line[match.end() :]}"
        return f"{lead}\\{line[len(lead) :]}"

    return "\n".join(fix(line) for line in markdown.split("\n"))


def escape_text(text: str) -> str:
    """Plain text (a heading, a quote, a table cell) written so that the importer reads it back."""
    return escape_line_starts(escape_inline(text))


# --------------------------------------------------------------------------------------------
# Rich text (Wagtail's stored HTML) → Markdown
# --------------------------------------------------------------------------------------------
class _Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None):
        self.tag = tag
        self.attrs = attrs or {}
        self.children: list[_Node | str] = []


_VOID = {"br", "embed", "img", "hr"}


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _parse_html(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html or "")
    builder.close()
    return builder.root


_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "div", "hr"}


def _link_target(attrs: dict[str, str]) -> str:
    linktype = attrs.get("linktype")
    if linktype in ("page", "document") and attrs.get("id"):
        return f"{linktype}:{attrs['id']}"
    return attrs.get("href", "")


def _inline(node: _Node) -> str:
    """Markdown for the inline content of a node; whitespace collapsed as a browser would."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            parts.append(escape_inline(re.sub(r"\s+", " ", child)))
            continue
        tag = child.tag
        if tag == "br":
            parts.append("\\\n")
        elif tag in ("b", "strong", "i", "em"):
            inner = _inline(child)
            core = inner.strip(" ")
            if not core:
                parts.append(inner)
                continue
            marker = "**" if tag in ("b", "strong") else "*"
            lead = inner[: len(inner) - len(inner.lstrip(" "))]
            trail = inner[len(inner.rstrip(" ")) :]
            parts.append(f"{lead}{marker}{core}{marker}{trail}")
        elif tag == "a":
            target = _link_target(child.attrs)
            text = _inline(child)
            parts.append(f"[{text}]({target})" if target else text)
        elif tag in ("embed", "img", "hr"):
            continue
        else:
            parts.append(_inline(child))
    return "".join(parts)


def _clean_line_breaks(markdown: str) -> str:
    lines = [line.strip(" ") for line in markdown.split("\n")]
    text = "\n".join(lines).strip()
    # A hard break at the very end of a paragraph means nothing.
    while text.endswith("\\") and not text.endswith("\\\\"):
        text = text[:-1].rstrip()
    return text


def _list_items(node: _Node) -> list[str]:
    items = []
    for child in node.children:
        if isinstance(child, _Node) and child.tag == "li":
            # Nested lists are flattened: the format has one list level.
            own = _Node("li")
            nested: list[_Node] = []
            for grandchild in child.children:
                if isinstance(grandchild, _Node) and grandchild.tag in ("ul", "ol"):
                    nested.append(grandchild)
                else:
                    own.children.append(grandchild)
            text = _clean_line_breaks(_inline(own)).replace("\\\n", " ")
            if text:
                items.append(text)
            for sub in nested:
                items.extend(_list_items(sub))
    return items


def richtext_to_markdown(html: str | RichText | None) -> str:
    """Wagtail rich text (paragraphs, headings, lists, bold, italic, links) as Markdown."""
    if isinstance(html, RichText):
        html = html.source
    root = _parse_html(html or "")
    blocks: list[str] = []
    loose: list[_Node | str] = []

    def flush_loose():
        if loose:
            holder = _Node("p")
            holder.children = list(loose)
            text = _clean_line_breaks(_inline(holder))
            if text:
                blocks.append(escape_line_starts(text))
            loose.clear()

    for child in root.children:
        if isinstance(child, _Node) and child.tag in _BLOCK_TAGS:
            flush_loose()
            tag = child.tag
            if tag in ("ul", "ol"):
                items = _list_items(child)
                if items:
                    if tag == "ul":
                        lines = [f"- {escape_line_starts(item)}" for item in items]
                    else:
                        lines = [f"{n}. {escape_line_starts(item)}" for n, item in enumerate(items, start=1)]
                    blocks.append("\n".join(lines))
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                text = _clean_line_breaks(_inline(child)).replace("\\\n", " ")
                if text:
                    level = 2 if tag in ("h1", "h2") else 3
                    blocks.append(f"{'#' * level} {escape_line_starts(text)}")
            elif tag == "blockquote":
                text = _clean_line_breaks(_inline(child))
                if text:
                    blocks.append("\n".join(f"> {line}" for line in escape_line_starts(text).split("\n")))
            elif tag == "hr":
                continue
            else:  # p, div
                text = _clean_line_breaks(_inline(child))
                if text:
                    blocks.append(escape_line_starts(text))
        else:
            loose.append(child)
    flush_loose()
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------------------------
# StreamField body → Markdown
# --------------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return escape_inline(text or "").replace("|", "\\|").replace("\n", " ").strip()


def _quote_attribute(text: str) -> str:
    return (text or "").replace("\\", "\\\\").replace('"', '\\"')


def block_to_markdown(block_type: str, value) -> str:
    if block_type == "paragraph":
        return richtext_to_markdown(value)
    if block_type == "heading":
        level = 3 if value.get("level") == "h3" else 2
        return f"{'#' * level} {escape_text(value.get('text') or '')}".rstrip()
    if block_type == "quote":
        lines = [f"> {line}" if line else ">" for line in escape_text(value.get("text") or "").split("\n")]
        if value.get("attribution"):
            lines.append(f"> — {escape_text(value['attribution'])}")
        return "\n".join(lines)
    if block_type == "key_figures":
        title = _cell(value.get("title") or "")
        rows = [f"| {title} | |" if title else "| | |", "| --- | --- |"]
        for figure in value.get("figures") or []:
            rows.append(f"| {_cell(figure.get('label'))} | {_cell(figure.get('value'))} |")
        return "\n".join(rows)
    if block_type == "image":
        image = value.get("image")
        image_id = getattr(image, "pk", image)
        if not image_id:
            return ""
        credit = value.get("attribution") or ""
        title = f' "{_quote_attribute(credit)}"' if credit else ""
        return f"![{escape_inline(value.get('caption') or '')}](image:{image_id}{title})"
    if block_type == "document":
        document = value.get("document")
        document_id = getattr(document, "pk", document)
        if not document_id:
            return ""
        return f"[{escape_inline(value.get('title') or '')}](document:{document_id})"
    return ""


def body_to_markdown(stream) -> str:
    parts = []
    for child in stream or []:
        text = block_to_markdown(child.block_type, child.value)
        if text:
            parts.append(text)
    return "\n\n".join(parts)


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------
def escape_item(text: str) -> str:
    """An item of a `;`-separated list: its own semicolons are escaped."""
    return text.replace(";", "\\;")


def source_to_text(title: str, url: str) -> str:
    """A source is its URL; a title other than the URL itself is kept as a Markdown link."""
    title = (title or "").strip()
    if not title or title == url:
        return escape_item(url)
    return escape_item(f"[{escape_inline(title)}]({url})")


# --------------------------------------------------------------------------------------------
# Outcomes, inspirations, what it takes
# --------------------------------------------------------------------------------------------
FIELD_SEPARATOR = " | "


def escape_field(text: str) -> str:
    """A field of an outcome line: its own pipes and backslashes escaped, on one line."""
    return " ".join(str(text or "").replace("\\", "\\\\").replace("|", "\\|").split())


def outcome_line(
    level, indicator, baseline_value, baseline_date, result_value, result_date, source_url
) -> str:
    """`level | indicator | baseline value | baseline date | result value | result date | source`."""
    fields = [
        str(level or ""),
        escape_field(indicator),
        escape_field(baseline_value),
        _iso_text(baseline_date),
        escape_field(result_value),
        _iso_text(result_date),
        str(source_url or ""),
    ]
    while fields and not fields[-1]:
        fields.pop()
    return FIELD_SEPARATOR.join(fields)


def _iso_text(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def outcomes_to_text(outcomes) -> str:
    """Graded outcomes (objects or revision dicts), one line each."""
    lines = []
    for item in outcomes:
        get = item.get if isinstance(item, dict) else lambda name, item=item: getattr(item, name)
        lines.append(
            outcome_line(
                get("level"),
                get("indicator"),
                get("baseline_value"),
                get("baseline_date"),
                get("result_value"),
                get("result_date"),
                get("source_url"),
            )
        )
    return "\n".join(lines)


def inspiration_to_text(key: str, note: str) -> str:
    """`key` or `key | note`, as an item of the `;`-separated list."""
    note = " ".join((note or "").split())
    return escape_item(f"{key}{FIELD_SEPARATOR}{note}" if note else key)


def inspirations_to_text(links: list[tuple[int, str]], keys_by_page: dict[int, str]) -> str:
    """(source page id, note) pairs as the column's text; a source without a key is left out."""
    return LIST_SEPARATOR.join(
        inspiration_to_text(keys_by_page[source], note) for source, note in links if source in keys_by_page
    )


def source_keys(page_ids) -> dict[int, str]:
    """page id → the external key of its case (`keys_for`)."""
    from casestudies.models import CaseStudyPage

    page_ids = {pk for pk in page_ids if pk}
    if not page_ids:
        return {}
    pages = list(CaseStudyPage.objects.filter(pk__in=page_ids).only("pk", "translation_key", "slug"))
    keys = keys_for(pages)
    return {page.pk: keys.get(page.translation_key, page.slug) for page in pages}


def requirement_text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "normalize"):  # a Decimal: 1500000.00 → 1500000, 12.50 → 12.5
        text = format(value.normalize(), "f")
        return text
    return str(value)


def issue16_row(outcomes, links: list[tuple[int, str]], requirements: dict) -> dict[str, str]:
    row = {
        "evidence": outcomes_to_text(outcomes),
        "inspired_by": inspirations_to_text(links, source_keys(source for source, _note in links)),
    }
    for column in REQUIREMENT_COLUMNS:
        row[column] = requirement_text(requirements.get(column))
    return row


# --------------------------------------------------------------------------------------------
# Pages → rows
# --------------------------------------------------------------------------------------------
def page_to_row(page, key: str) -> dict[str, str]:
    """One row of the format for a (specific) case-study page or revision object."""
    city = page.city
    areas = sorted(page.policy_areas.all(), key=lambda area: (area.sort_order, area.slug))
    # Through the tag links (prefetched with their tags), not the tag manager (a query per page).
    measures = sorted((link.tag for link in page.tagged_measures.all()), key=lambda m: m.name.casefold())
    sources = list(page.sources.all())
    return {
        "key": key,
        "locale": page.locale.language_code,
        "title": page.title,
        "summary": page.summary,
        "city": city.name if city else "",
        "country": str(city.country.code) if city else "",
        "continent": city.continent if city else "",
        "policy_areas": LIST_SEPARATOR.join(dict.fromkeys(area.slug for area in areas)),
        "measure_types": LIST_SEPARATOR.join(escape_item(measure.name) for measure in measures),
        "start_date": page.start_date.isoformat() if page.start_date else "",
        "end_date": page.end_date.isoformat() if page.end_date else "",
        "body": body_to_markdown(page.body),
        "outcomes": richtext_to_markdown(page.outcomes),
        "source_urls": LIST_SEPARATOR.join(source_to_text(s.title, s.url) for s in sources),
        "contact_email": page.contact_email or "",
        **issue16_row(
            page.outcome_evidence.all(),
            [(link.source_id, link.note) for link in page.inspired_by.all()],
            {column: getattr(page, column) for column in REQUIREMENT_COLUMNS},
        ),
    }


class Lookups:
    """Cities, areas, measure types and locales by primary key, loaded once (for revision content)."""

    def __init__(self):
        self._cities: dict = {}
        self._areas: dict | None = None
        self._measures: dict | None = None
        self._locales: dict | None = None

    def city(self, pk):
        from casestudies.models import City

        if pk is None:
            return None
        if pk not in self._cities:
            self._cities[pk] = City.objects.filter(pk=pk).first()
        return self._cities[pk]

    def prime_cities(self, cities) -> None:
        for city in cities:
            self._cities[city.pk] = city

    def areas(self, ids) -> list:
        from casestudies.models import PolicyArea

        if self._areas is None:
            self._areas = PolicyArea.objects.in_bulk()
        return [self._areas[pk] for pk in ids if pk in self._areas]

    def measures(self, ids) -> list:
        from casestudies.models import MeasureType

        if self._measures is None or any(pk not in self._measures for pk in ids):
            self._measures = MeasureType.objects.in_bulk()
        return [self._measures[pk] for pk in ids if pk in self._measures]

    def locale_code(self, pk) -> str:
        from wagtail.models import Locale

        if self._locales is None:
            self._locales = dict(Locale.objects.values_list("pk", "language_code"))
        return self._locales.get(pk, "")


class _Source:
    def __init__(self, title, url):
        self.title, self.url = title, url


def content_to_row(content: dict, key: str, lookups: Lookups) -> dict[str, str]:
    """`page_to_row` for a revision's stored content, without building the page object."""
    from casestudies.models import CaseStudyPage

    city = lookups.city(content.get("city"))
    areas = sorted(lookups.areas(content.get("policy_areas") or []), key=lambda a: (a.sort_order, a.slug))
    measures = sorted(
        lookups.measures([item.get("tag") for item in content.get("tagged_measures") or []]),
        key=lambda measure: measure.name.casefold(),
    )
    sources = sorted(
        content.get("sources") or [],
        key=lambda item: (item.get("sort_order") is None, item.get("sort_order") or 0, item.get("pk") or 0),
    )
    body = CaseStudyPage._meta.get_field("body").to_python(content.get("body") or [])
    return {
        "key": key,
        "locale": lookups.locale_code(content.get("locale")),
        "title": content.get("title") or "",
        "summary": content.get("summary") or "",
        "city": city.name if city else "",
        "country": str(city.country.code) if city else "",
        "continent": city.continent if city else "",
        "policy_areas": LIST_SEPARATOR.join(dict.fromkeys(area.slug for area in areas)),
        "measure_types": LIST_SEPARATOR.join(escape_item(measure.name) for measure in measures),
        "start_date": content.get("start_date") or "",
        "end_date": content.get("end_date") or "",
        "body": body_to_markdown(body),
        "outcomes": richtext_to_markdown(content.get("outcomes") or ""),
        "source_urls": LIST_SEPARATOR.join(
            source_to_text(item.get("title") or "", item.get("url") or "") for item in sources
        ),
        "contact_email": content.get("contact_email") or "",
        **issue16_row(
            sorted(content.get("outcome_evidence") or [], key=_order),
            [
                (item.get("source"), item.get("note") or "")
                for item in sorted(content.get("inspired_by") or [], key=_order)
            ],
            {
                column: _decimal(content.get(column)) if column == "cost_amount" else content.get(column)
                for column in REQUIREMENT_COLUMNS
            },
        ),
    }


def _order(item: dict):
    return (item.get("sort_order") is None, item.get("sort_order") or 0, item.get("pk") or 0)


def _decimal(value):
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def current_row(page, key: str, lookups: Lookups, live: bool = False) -> dict[str, str]:
    """The row of a page as editors last saved it (its latest revision), or as published (`live`)."""
    if not live and page.has_unpublished_changes and page.latest_revision_id:
        return content_to_row(page.latest_revision.content, key, lookups)
    return page_to_row(page, key)


def keys_for(pages) -> dict:
    """translation_key → the external key: the import key, else the slug of the English page."""
    from casestudies.models import CaseStudyPage, ImportedCase

    translation_keys = {page.translation_key for page in pages}
    keys = dict(
        ImportedCase.objects.filter(translation_key__in=translation_keys).values_list(
            "translation_key", "key"
        )
    )
    missing = translation_keys - set(keys)
    if missing:
        slugs: dict = {}
        rows = (
            CaseStudyPage.objects.filter(translation_key__in=missing)
            .order_by("pk")
            .values_list("translation_key", "slug", "locale__language_code")
        )
        for translation_key, slug, language in rows:
            if translation_key not in slugs or language == "en":
                slugs[translation_key] = slug
        keys.update(slugs)
    return keys


def export_rows(queryset=None, live: bool = False) -> Iterator[dict[str, str]]:
    """Rows for case studies: by default each page's latest revision; `live=True`: live pages as published."""
    from casestudies.models import CaseStudyPage, CaseStudySource, TaggedCaseStudy

    if queryset is None:
        queryset = CaseStudyPage.objects.all()
    # Aliases (wagtail-localize's placeholders for untranslated pages) are copies, not cases.
    queryset = queryset.filter(alias_of__isnull=True)
    if live:
        queryset = queryset.live()
    pages = list(
        queryset.select_related("city", "locale", "latest_revision").prefetch_related(
            "policy_areas",
            Prefetch("tagged_measures", queryset=TaggedCaseStudy.objects.select_related("tag")),
            Prefetch("sources", queryset=CaseStudySource.objects.order_by("sort_order", "pk")),
            "outcome_evidence",
            "inspired_by",
        )
    )
    keys = keys_for(pages)
    lookups = Lookups()
    lookups.prime_cities(page.city for page in pages if page.city_id)
    rows = [current_row(page, keys[page.translation_key], lookups, live=live) for page in pages]
    rows.sort(key=lambda row: (row["key"], row["locale"] != "en", row["locale"]))
    yield from rows


def write_csv(rows: Iterable[dict[str, str]], stream: io.TextIOBase) -> int:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(neutralise_row(row))  # no cell a spreadsheet runs as a formula
        count += 1
    return count


def write_jsonl(rows: Iterable[dict[str, str]], stream: io.TextIOBase) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps({column: row[column] for column in COLUMNS}, ensure_ascii=False))
        stream.write("\n")
        count += 1
    return count


def export(stream: io.TextIOBase, fmt: str = "csv", queryset=None, live: bool = False) -> int:
    rows = export_rows(queryset, live=live)
    return write_jsonl(rows, stream) if fmt == "jsonl" else write_csv(rows, stream)
