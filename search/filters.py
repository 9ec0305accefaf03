"""Filters of a listing, read from its query string: one way to read them, one rule for bad values.

The filters themselves are defined by the app that owns their values: the case filters (area,
continent, country, measure, city, year, evidence, size, dates) in `casestudies/filters.py`,
the search page's own two (`type`, `lang`) here. Search sits below the content apps in the
layers (`.importlinter`), so it never imports them: `casestudies` registers its filters when
Django starts (`CaseStudiesConfig.ready`), as it registers its search documents, and the search
page reads every filter through `registered()`.

How a value is read, the same for every filter and every page, download, feed and API call:

1. Every value of the parameter (`?area=a&area=b`), each split at commas (`?area=a,b`, as the
   API has always accepted: no slug, code, year or band contains a comma), but for a filter that
   takes one value (a date).
2. Cleaned by the rule of `ops.text` (control characters dropped, NUL first of all; a line
   break is a space), then trimmed. What is left empty is no value: an empty `<select>`
   option ("All areas") sends `area=`, and that is no filter.
3. Normalised as the filter says (country codes upper case, languages lower case); a value
   repeated counts once.
4. Refused, with `BadFilter` (a `BadSearchRequest`), when:
   - it is longer than `MAX_LENGTH` characters (no slug or code is);
   - the parameter has more than `MAX_VALUES` distinct values, or more than one for a filter
     that takes one (the dates);
   - it is malformed or names nothing: not the filter's `pattern`, not one of its `choices`,
     or not among the values its `known` lookup finds.

**The rule: an unknown or malformed value is answered, never guessed.** HTML pages answer 400
with the message (naming the parameter and the value, in the visitor's language) and a link to
the same page without that value (`url_without`); JSON answers (search, downloads, feeds, API)
answer 400 with the message and `"parameter"`. Never a 500, never silently another result set:
no value is dropped, no filter left out. A well-formed value that matches no case (a year
without cases, a country without cities) is not unknown: it is an empty result.

Cost: a filter whose values live in the database (`known`) costs one query, and only when the
parameter is given; every other check is in memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ops.http import local_path
from ops.text import one_line
from search.types import DOC_TYPES, BadSearchRequest

MAX_VALUES = 50  # distinct values of one parameter
MAX_LENGTH = 100  # characters of one value (a city slug has at most 100)
LIST_SEPARATOR = ","
SHOWN_LENGTH = 60  # characters of a bad value quoted in a message


class BadFilter(BadSearchRequest):
    """An unknown or malformed filter value: 400, with `message` naming `parameter` and `value`."""

    def __init__(self, parameter: str, value: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.value = value


def shown(value: str) -> str:
    """A value as a message quotes it: at most `SHOWN_LENGTH` characters."""
    return value if len(value) <= SHOWN_LENGTH else value[: SHOWN_LENGTH - 1] + "…"


@dataclass(frozen=True, eq=False)
class Filter:
    """One filter parameter: its name, its values and how it is shown.

    `choices` (a fixed set, or a function giving one) or `known` (values -> the subset that name
    something, at most one query) say which values are valid; `pattern` (a regular expression the
    whole normalised value must match) says which are well formed, before either is asked.
    `convert` turns a valid value into what the filter applies (an int for a year). `condition`
    is the filter on case pages (a `Q` for `CaseStudyPage`), for the listings that filter pages
    themselves (the case index, downloads, feeds, charts, the API); None for a filter of the
    search index only. `labels(values, language)` gives the values' display names; `order` how
    a facet lists its values: in the order of `labels` ("labels"), highest first ("descending")
    or by count ("count").
    """

    name: str
    title: Any  # lazily translated: the facet's heading ("Policy area")
    expected: Any  # lazily translated: what a value looks like, ending a message ("Use …")
    choices: Iterable[str] | Callable[[], Iterable[str]] | None = None
    known: Callable[[list[str]], Iterable[str]] | None = None
    pattern: str | None = None
    normalise: Callable[[str], str] = str
    convert: Callable[[str], Any] = str
    repeat: bool = True
    condition: Callable[[tuple], Q] | None = None
    labels: Callable[[Iterable[str], str], dict[str, str]] | None = None
    order: Literal["labels", "descending", "count"] = "count"
    _pattern: re.Pattern | None = field(init=False, default=None, repr=False)

    def __post_init__(self):
        if self.pattern:
            object.__setattr__(self, "_pattern", re.compile(self.pattern))

    # -- reading -------------------------------------------------------------------------------
    def raw_values(self, querydict) -> list[str]:
        """The parameter's values as sent, cleaned and normalised, each once (steps 1-3)."""
        values: list[str] = []
        for raw in querydict.getlist(self.name):
            for piece in self.pieces(raw):
                value = one_line(piece).strip()
                if not value:
                    continue
                if len(value) > MAX_LENGTH:
                    raise BadFilter(
                        self.name,
                        value,
                        _("The value of “%(parameter)s” is too long: at most %(max)d characters.")
                        % {"parameter": self.name, "max": MAX_LENGTH},
                    )
                value = self.normalise(value)
                if value not in values:
                    values.append(value)
        if len(values) > MAX_VALUES:
            raise BadFilter(
                self.name,
                values[MAX_VALUES],
                _("Too many values for “%(name)s”: at most %(max)d.")
                % {"name": self.name, "max": MAX_VALUES},
            )
        if len(values) > 1 and not self.repeat:
            raise BadFilter(
                self.name, values[1], _("“%(parameter)s” takes one value.") % {"parameter": self.name}
            )
        return values

    def pieces(self, raw) -> list[str]:
        """One value as sent: a comma list for a filter that repeats (a date keeps its commas:
        ISO 8601 writes a decimal comma)."""
        return str(raw).split(LIST_SEPARATOR) if self.repeat else [str(raw)]

    def unknown(self, value: str) -> BadFilter:
        message = _("Unknown value “%(value)s” for “%(parameter)s”.") % {
            "value": shown(value),
            "parameter": self.name,
        }
        return BadFilter(self.name, value, f"{message} {self.hint()}")

    def hint(self) -> str:
        """What a value looks like ("Use …"), the choices filled in where it lists them."""
        hint = str(self.expected)
        if "%(values)s" in hint and self.choices is not None:
            choices = self.choices() if callable(self.choices) else self.choices
            hint = hint % {"values": ", ".join(str(choice) for choice in choices)}
        return hint

    def parse(self, querydict) -> tuple:
        """The filter's valid values (converted), or `BadFilter` for the first bad one."""
        values = self.raw_values(querydict)
        if not values:
            return ()
        if self._pattern is not None:
            for value in values:
                if not self._pattern.fullmatch(value):
                    raise self.unknown(value)
        if self.choices is not None:
            valid = set(self.choices() if callable(self.choices) else self.choices)
        elif self.known is not None:
            valid = set(self.known(values))
        else:
            valid = set(values)
        parsed = []
        for value in values:
            if value not in valid:
                raise self.unknown(value)
            try:
                parsed.append(self.convert(value))
            except ValueError:  # well formed, yet no value (a date such as 2020-02-30)
                raise self.unknown(value) from None
        return tuple(parsed)

    def description(self) -> str:
        """What the API's documentation says of it (OpenAPI), in English."""
        with translation.override("en"):
            text = f"{self.title}. {self.hint()}"
        return text + (" Repeatable, or comma-separated: any of them." if self.repeat else " One value.")

    def options(self, language: str) -> list[tuple[str, str]]:
        """(value, display name) of each of its `choices`, for a `<select>` ([] when its valid
        values are looked up, not listed)."""
        if self.choices is None:
            return []
        choices = self.choices() if callable(self.choices) else self.choices
        return list(self.display(choices, language).items())

    def display(self, values: Iterable, language: str) -> dict[str, str]:
        """Display names of these values (str(value) -> name), the value itself when it has none."""
        keys = [str(value) for value in values]
        names = self.labels(keys, language) if self.labels else {}
        return {key: str(names.get(key, key)) for key in keys}


class FilterSet:
    """Filters by name, in the order they are listed (a listing shows them, and checks them, in
    that order)."""

    def __init__(self, filters: Iterable[Filter] = ()):
        self._filters: dict[str, Filter] = {}
        self.add(*filters)

    def add(self, *filters: Filter) -> None:
        for item in filters:
            self._filters[item.name] = item

    def __getitem__(self, name: str) -> Filter:
        return self._filters[name]

    def get(self, name: str) -> Filter | None:
        return self._filters.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._filters

    def __iter__(self):
        return iter(self._filters.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._filters)

    def only(self, names: Iterable[str]) -> FilterSet:
        """These filters (those defined), in the order given."""
        return FilterSet(self._filters[name] for name in names if name in self._filters)

    def parse(self, querydict, names: Iterable[str] | None = None) -> dict[str, tuple]:
        """Every filter's valid values (name -> tuple, () when absent), or `BadFilter` for the
        first bad value, checked in the order of `names` (default: every filter)."""
        chosen = self if names is None else self.only(names)
        return {item.name: item.parse(querydict) for item in chosen}

    def condition(self, values: Mapping[str, tuple]) -> Q:
        """The filters' `condition` on case pages, AND-ed, for the values given."""
        condition = Q()
        for name, chosen in values.items():
            item = self._filters.get(name)
            if chosen and item is not None and item.condition is not None:
                condition &= item.condition(tuple(chosen))
        return condition

    def filter(self, queryset, values: Mapping[str, tuple]):
        """`queryset` (case pages) filtered by these values."""
        condition = self.condition(values)
        return queryset.filter(condition) if condition else queryset


def descriptions(filters: Iterable[Filter]) -> dict[str, str]:
    """name -> `Filter.description()`: an API endpoint's `extra_filters`."""
    return {item.name: item.description() for item in filters}


def url_without(querydict, parameter: str, value: str) -> str:
    """The query string (`?…`) without one value of `parameter` (and without `page`): where a
    400's link goes. A comma list loses that item only; a value is compared as the filter reads it."""
    item = _registry.get(parameter)
    query: QueryDict = querydict.copy()
    query.pop("page", None)
    kept = []
    for raw in query.getlist(parameter):
        pieces = []
        for piece in item.pieces(raw) if item else str(raw).split(LIST_SEPARATOR):
            cleaned = one_line(piece).strip()
            if cleaned and value in (cleaned, _normalised(item, cleaned)):
                continue
            pieces.append(piece)
        if any(piece.strip() for piece in pieces):
            kept.append(LIST_SEPARATOR.join(pieces))
    if kept:
        query.setlist(parameter, kept)
    else:
        query.pop(parameter, None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def error_context(request, error: BadFilter) -> dict[str, str]:
    """What an HTML page shows for a bad value (templates/includes/filter_error.html): the
    message, the value, and the same page without it (a path on this site, `ops.http.local_path`)."""
    return {
        "message": error.message,
        "parameter": error.parameter,
        "value": shown(error.value),
        "url": local_path(request, query=False) + url_without(request.GET, error.parameter, error.value),
    }


def error_json(error: BadSearchRequest, key: str = "error") -> dict[str, str]:
    """A 400's JSON body: the message under `key` ("error"; the API's "message"), and for a
    filter value the parameter it names."""
    body = {key: error.message}
    if isinstance(error, BadFilter):
        body["parameter"] = error.parameter
    return body


def _normalised(item: Filter | None, value: str) -> str:
    if item is None:
        return value
    try:
        return item.normalise(value)
    except Exception:  # noqa: BLE001 - a normaliser that fails on junk: compare as sent
        return value


# ----------------------------------------------------------------------------------------------
# The search page's own filters, and the registry of every filter it takes
# ----------------------------------------------------------------------------------------------
LANGUAGES = ("en", "ko")


def _language_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {"en": _("English"), "ko": _("Korean")}


def _type_names(values: Iterable[str], language: str) -> dict[str, str]:
    return {"case": _("Case studies"), "session": _("Summit sessions")}


DOCUMENT_FILTERS = (
    Filter(
        "type",
        title=gettext_lazy("Type"),
        expected=gettext_lazy("Use case or session."),
        choices=DOC_TYPES,
        labels=_type_names,
        order="labels",
    ),
    Filter(
        "lang",
        title=gettext_lazy("Written in"),
        expected=gettext_lazy("Use en or ko."),
        choices=LANGUAGES,
        normalise=str.lower,
        labels=_language_names,
    ),
)

_registry = FilterSet(DOCUMENT_FILTERS)


def register(*filters: Filter) -> None:
    """Offer these filters to the search page (and to whatever reads `registered()`)."""
    _registry.add(*filters)


def registered() -> FilterSet:
    """Every filter defined: the search page's own and those the content apps registered."""
    return _registry
