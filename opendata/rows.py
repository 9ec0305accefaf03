"""One case study as one row of the import format (plus its URL, date, licence and citation).

The columns are those of the bulk import (issue 5), so that an export re-imports, followed by
what only an export knows: the canonical URL, the last-published time, the licence and the
case's own citation. The same row feeds CSV, JSON and JSON Lines.

If `casestudies/exporter.py` (the editorial export) comes to define the import columns, this
module should defer to it; until then it is the one definition.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.conf import settings

IMPORT_COLUMNS = (
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
)
EXPORT_COLUMNS = ("url", "last_published_at", "licence", "citation")
COLUMNS = IMPORT_COLUMNS + EXPORT_COLUMNS
LIST_SEPARATOR = ";"

LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def platform_name() -> str:
    return getattr(settings, "WAGTAIL_SITE_NAME", "CAC Knowledge Platform")


def licence_statement() -> str:
    return f"Case study texts: {LICENCE_NAME}, {platform_name()} ({LICENCE_URL})"


# ----------------------------------------------------------------------------------------------
# Plain text from rich text and StreamField
# ----------------------------------------------------------------------------------------------
_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre", "table", "tr"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Readable plain text of (Wagtail) rich text: paragraphs kept apart, list items dashed."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(str(html))
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def stream_to_text(value) -> str:
    """Plain text of a case body, block by block (images and documents by their caption/title)."""
    parts: list[str] = []
    for block in value or ():
        kind, data = block.block_type, block.value
        try:
            if kind == "paragraph":
                parts.append(html_to_text(data.source if hasattr(data, "source") else str(data)))
            elif kind == "heading":
                parts.append(str(data.get("text", "")))
            elif kind == "quote":
                quote = str(data.get("text", ""))
                if data.get("attribution"):
                    quote += f" — {data['attribution']}"
                parts.append(quote)
            elif kind == "key_figures":
                lines = [str(data.get("title") or "")]
                lines += [f"{f.get('label', '')}: {f.get('value', '')}" for f in data.get("figures") or ()]
                parts.append("\n".join(line for line in lines if line))
            elif kind == "image":
                parts.append(str(data.get("caption") or ""))
            elif kind == "document":
                document = data.get("document")
                parts.append(str(data.get("title") or (document.title if document else "")))
            else:
                parts.append(html_to_text(str(data)))
        except (AttributeError, TypeError, ValueError):  # a block whose stored value no longer fits
            continue
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


# ----------------------------------------------------------------------------------------------
# Rows
# ----------------------------------------------------------------------------------------------
def absolute(request, path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path) if request is not None else path


def case_url(page, request=None) -> str:
    return absolute(request, page.get_url(request=request) or "")


def case_row(page, request=None, *, areas=None, measures=None, source_urls=None) -> dict[str, str]:
    """The export row of one case; every value a string.

    `areas` (slugs), `measures` (names) and `source_urls` may be given already fetched (the
    exports read them per chunk of pages); otherwise they are read from the page.
    """
    from opendata.cite import apa_citation

    city = page.city
    if areas is None:
        areas = [area.slug for area in page.policy_areas.all()]
    if measures is None:
        measures = [tagged.tag.name for tagged in page.tagged_measures.all()]
    if source_urls is None:
        source_urls = [source.url for source in page.sources.all()]
    areas = sorted(areas)
    return {
        "key": str(page.translation_key),
        "locale": page.locale.language_code,
        "title": page.title,
        "summary": page.summary or "",
        "city": city.name if city else "",
        "country": str(city.country.code or "") if city else "",
        "continent": city.continent if city else "",
        "policy_areas": LIST_SEPARATOR.join(areas),
        "measure_types": LIST_SEPARATOR.join(sorted(measures, key=str.casefold)),
        "start_date": page.start_date.isoformat() if page.start_date else "",
        "end_date": page.end_date.isoformat() if page.end_date else "",
        "body": stream_to_text(page.body),
        "outcomes": html_to_text(page.outcomes),
        "source_urls": LIST_SEPARATOR.join(source_urls),
        "contact_email": page.contact_email or "",
        "url": case_url(page, request),
        "last_published_at": page.last_published_at.isoformat() if page.last_published_at else "",
        "licence": LICENCE_NAME,
        "citation": apa_citation(page, request),
    }
