"""Helpers of the search contract's two test modules: tests/test_search_contract.py (one fixed
corpus, read by every test) and tests/test_search_contract_pages.py (each test writes its own pages)."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command

from search.types import SearchRequest

D = datetime.date


def rebuild() -> None:
    call_command("rebuild_search_index", "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())


def titles(response) -> list[str]:
    return [hit.title for hit in response.hits]


def own(language: str = "en", **fields) -> SearchRequest:
    """A request for results written in its own language only (`lang`): most of the contract is
    about words and facets, which cross-language listing would blur (tested on its own in
    tests/test_search_contract.py)."""
    fields.setdefault("lang", (language,))
    return SearchRequest(language=language, **fields)


def found(backend, query: str = "", language: str = "en", **filters) -> set[str]:
    request = own(language=language, query=query, page_size=100, **filters)
    return set(titles(backend.search(request)))
