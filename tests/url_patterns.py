"""Every URL pattern of the site, as a template whose parameters tests fill in (issue 13: a rule
that holds for many endpoints is tested over all of them, from the resolver itself)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?(?P<body>(?:[^()]|\([^()]*\))*)\)")


@dataclass(frozen=True)
class Route:
    """A URL pattern: `parts` are literal text and ("int" | "text" | "path" | "choice:…", name)."""

    parts: tuple
    name: str

    @property
    def template(self) -> str:
        return "".join(part if isinstance(part, str) else f"<{part[0]}:{part[1]}>" for part in self.parts)

    @property
    def parameters(self) -> list[tuple[str, str]]:
        return [part for part in self.parts if not isinstance(part, str)]

    def url(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced by `values[name]` (already URL-encoded)."""
        return "/" + "".join(part if isinstance(part, str) else values[part[1]] for part in self.parts)


def _route_parts(pattern: RoutePattern) -> list:
    route, parts, last = str(pattern._route), [], 0
    for match in _ROUTE_PARAMETER.finditer(route):
        parts.append(route[last : match.start()])
        converter = pattern.converters.get(match["name"])
        kind = (
            "int"
            if isinstance(converter, IntConverter)
            else "path"
            if match["converter"] == "path"
            else "text"
        )
        parts.append((kind, match["name"]))
        last = match.end()
    parts.append(route[last:])
    return [part for part in parts if part != ""]


def _regex_parts(pattern: RegexPattern) -> list:
    regex = str(pattern._regex).lstrip("^").rstrip("$")
    parts, last = [], 0
    for number, match in enumerate(_REGEX_GROUP.finditer(regex)):
        parts.append(regex[last : match.start()].replace("\\", ""))
        body = match["body"]
        name = match["name"] or f"arg{number}"
        if re.fullmatch(r"[\w|]+", body):
            kind = "choice:" + body  # csv|jsonl|json
        elif body in (r"\d+", "[0-9]+"):
            kind = "int"
        elif "/" in body:
            kind = "path"
        else:
            kind = "text"
        parts.append((kind, name))
        last = match.end()
    parts.append(regex[last:].replace("\\", ""))
    return [part for part in parts if part != ""]


def all_routes(language: str = "en") -> list[Route]:
    """Every URL pattern, with the language prefix of `language`."""
    routes = []

    def walk(patterns, prefix):
        for entry in patterns:
            pattern = entry.pattern
            if isinstance(pattern, LocalePrefixPattern):
                parts = [f"{language}/"]
            elif isinstance(pattern, RoutePattern):
                parts = _route_parts(pattern)
            else:
                parts = _regex_parts(pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + parts)
            elif isinstance(entry, URLPattern):
                routes.append(Route(tuple(prefix + parts), entry.name or ""))

    walk(get_resolver().url_patterns, [])
    return routes


def public_routes(language: str = "en") -> list[Route]:
    """The routes a visitor reaches: not the Wagtail or Django admin."""
    return [
        route for route in all_routes(language) if not route.template.startswith(("admin/", "django-admin/"))
    ]
