"""Citing a case study: its permalink, an APA-style reference, BibTeX and RIS.

The permalink is `/<lang>/case/<page id>/`: the page id never changes, whatever happens to the
slug or the place of the page in the tree, and the permalink redirects to wherever the page is
now. (Wagtail's redirects app also keeps the old URL working after a slug change.)
"""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from opendata.rows import LICENCE_NAME, LICENCE_URL, absolute, platform_name

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip


def permalink_path(page) -> str:
    with override(page.locale.language_code if page.locale_id else "en"):
        return reverse("opendata:case_permalink", args=[page.pk])


def permalink(page, request=None) -> str:
    return absolute(request, permalink_path(page))


def updated_on(page) -> datetime.date | None:
    """The date a visitor's version was published (the last update), or the first publication."""
    moment = page.last_published_at or page.first_published_at
    return timezone.localdate(moment) if moment else None


def published_on(page) -> datetime.date | None:
    """The date a citation gives: the publication date the editor set (e.g. on the original CAC
    platform), else the first publication here; not the last update, nor the day of an import."""
    if getattr(page, "publication_date", None):
        return page.publication_date
    moment = page.first_published_at
    return timezone.localdate(moment) if moment else None


def citation_date(day: datetime.date | None, language: str) -> str:
    """APA's date in the citing language: `2020, March 26` / `2020년 3월 26일`; `n.d.` / `날짜 없음`."""
    if language == "ko":
        return f"{day.year}년 {day.month}월 {day.day}일" if day else "날짜 없음"
    return f"{day.year}, {MONTHS[day.month - 1]} {day.day}" if day else "n.d."


def author(page) -> str:
    """Who wrote the case: the contact organisation, else the platform itself."""
    return (page.contact_organisation or "").strip() or platform_name()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else f"{text}."


def apa_citation(page, request=None) -> str:
    """e.g. `Seoul Metropolitan Government. (2020, March 26). Drive-through screening stations.
    CAC Knowledge Platform. https://…/en/case/12/` (APA 7, a page on a website)."""
    who = author(page)
    date = citation_date(published_on(page), page.locale.language_code if page.locale_id else "en")
    site = platform_name()
    parts = [_sentence(who), f"({date}).", _sentence(page.title)]
    if who != site:
        parts.append(_sentence(site))
    parts.append(permalink(page, request))
    return " ".join(parts)


# ----------------------------------------------------------------------------------------------
# BibTeX
# ----------------------------------------------------------------------------------------------
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def bibtex_escape(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text or "")).strip()
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in text)


def bibtex_key(page) -> str:
    day = published_on(page)
    return f"cac{page.pk}{day.year if day else ''}"


def bibtex(page, request=None) -> str:
    day = published_on(page)
    fields = [
        ("author", "{" + bibtex_escape(author(page)) + "}"),  # a corporate author: kept whole
        ("title", "{" + bibtex_escape(page.title) + "}"),
        ("howpublished", bibtex_escape(platform_name())),
        ("organization", bibtex_escape(platform_name())),
    ]
    if day:
        fields += [
            ("year", str(day.year)),
            ("month", MONTHS[day.month - 1][:3].lower()),
            ("date", day.isoformat()),
        ]
    fields += [
        ("url", permalink(page, request)),
        ("urldate", timezone.localdate().isoformat()),
        ("language", page.locale.language_code),
        ("abstract", bibtex_escape(page.summary or "")),
        ("note", bibtex_escape(f"Case study texts: {LICENCE_NAME} ({LICENCE_URL})")),
    ]
    body = ",\n".join(
        f"  {name} = {value}" if name in ("month",) else f"  {name} = {{{value}}}" for name, value in fields
    )
    return f"@misc{{{bibtex_key(page)},\n{body}\n}}\n"


# ----------------------------------------------------------------------------------------------
# RIS
# ----------------------------------------------------------------------------------------------
def _ris_value(text: str) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def ris(page, request=None) -> str:
    """An RIS record (ELEC: a web page); lines end in CRLF as the format asks."""
    day = published_on(page)
    lines = [("TY", "ELEC"), ("AU", author(page)), ("TI", page.title), ("T2", platform_name())]
    if day:
        lines += [("PY", str(day.year)), ("DA", day.strftime("%Y/%m/%d"))]
    lines += [
        ("UR", permalink(page, request)),
        ("Y2", timezone.localdate().strftime("%Y/%m/%d")),
        ("LA", page.locale.language_code),
        ("AB", page.summary or ""),
    ]
    if page.city_id:
        lines.append(("CY", page.city.name))
    lines += [("KW", area.name) for area in page.policy_areas.all()]
    lines += [("N1", f"Case study texts: {LICENCE_NAME} ({LICENCE_URL})"), ("ID", str(page.pk))]
    out = [f"{tag}  - {_ris_value(value)}" for tag, value in lines if _ris_value(value)]
    out.append("ER  - ")
    return "\r\n".join(out) + "\r\n"
