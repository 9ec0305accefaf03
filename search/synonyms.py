"""Synonyms: the words officials type for a measure (`SMEs`, `seniors`, `드라이브스루`) and what
they mean in both languages, for query expansion.

Where the words come from:

- every measure type (`casestudies.MeasureType`): its English and Korean names and aliases
  (`aliases`, `aliases_ko`, one per line, edited with the measure type);
- the thesaurus (`search.SynonymGroup`, a snippet): everyday words that are not a measure type.

Each of these is a *group* of phrases that mean the same. `expansions(query, language)` finds
every phrase of every group in the query and returns, per match, the query words it matched and
the group's other phrases in both languages. Matching compares analysed tokens
(`search.analysis`): case-, accent- and plural-insensitive (English is stemmed), Korean particles
and endings ignored (`마스크를` matches `마스크`), phrases of several words matched in order, the
longest first. The groups live in memory (`search.versions.VersionedCache`): a query costs no
database round trip; saving or deleting a measure type or a synonym group reloads them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from search.analysis import analyze_query
from search.versions import VersionedCache

logger = logging.getLogger(__name__)

__all__ = ["Expansion", "clean_phrase_lines", "expansions", "invalidate", "measure_names", "phrases"]

MAX_LINE_LENGTH = 100
MAX_LINES = 60
MAX_QUERY_WORDS = 64  # words of a query looked at (a 500-character query has at most ~100)

_SPACES_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Expansion:
    """A phrase of the synonym table found in a query.

    `matched`: the query's words that matched, as typed (`SMEs`, `마스크를`);
    `alternatives`: the phrases that mean the same, both languages, canonical names first
    (never one that analyses like `matched`);
    `measures`: slugs of the measure types whose name or alias matched (a strong hint: cases
    tagged with them are about this), empty for a thesaurus group.
    """

    matched: str
    alternatives: tuple[str, ...]
    measures: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Phrases: analysis keys and validation of the edited lines
# --------------------------------------------------------------------------------------------
def _keys_by_word(text: str, language: str) -> list[tuple[str, int]]:
    """(token, index of the whitespace-separated word it came from), in order.

    Word by word so that a match can be mapped back to the words typed; the same function
    analyses the phrases, so both sides are cut the same way."""
    out: list[tuple[str, int]] = []
    for index, word in enumerate(text.split()[:MAX_QUERY_WORDS]):
        out.extend((_singular(token), index) for token in analyze_query(word, language))
    return out


def _singular(token: str) -> str:
    """A plural the English stemmer keeps (`smes`, `ngos`: its rules leave an `s` after a
    vowel) without its `s`, on both sides of the comparison: `SMEs` matches `SME`."""
    if len(token) >= 4 and token[-1] == "s" and token[-2] != "s" and token.isascii() and token.isalpha():
        return token[:-1]
    return token


def phrase_keys(text: str, language: str) -> tuple[str, ...]:
    """The analysed tokens a phrase is matched by (`Face coverings` -> ('face', 'cover'))."""
    return tuple(token for token, _index in _keys_by_word(text, language))


def _strip_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


def clean_phrase_fields(
    instance, fields: Iterable[tuple[str, str]], taken: Iterable[tuple[str, str]] = ()
) -> list:
    """Clean each (field, language) of `instance` with `clean_phrase_lines`, in place, no line
    repeating an earlier field's or a `taken` phrase; returns every phrase kept (with `taken`).
    Raises one `ValidationError` naming every field with a bad line."""
    taken = list(taken)
    errors = {}
    for field, language in fields:
        try:
            value = clean_phrase_lines(getattr(instance, field) or "", language, taken=taken)
        except ValidationError as exc:
            errors[field] = exc
            continue
        setattr(instance, field, value)
        taken += [(line, language) for line in value.splitlines()]
    if errors:
        raise ValidationError(errors)
    return taken


def clean_phrase_lines(text: str, language: str, taken: Iterable[tuple[str, str]] = ()) -> str:
    """Edited alias lines, cleaned: control characters removed, spaces collapsed, empty lines
    dropped. Raises `ValidationError` (one message per bad line, numbered) for a line that is
    too long, has no word search can use, or repeats another line or a `taken` phrase
    ((text, language) pairs, e.g. the measure type's names) once analysed."""
    seen = {phrase_keys(phrase, lang): phrase for phrase, lang in taken if phrase.strip()}
    seen.pop((), None)
    lines: list[str] = []
    errors: list[str] = []
    for number, raw in enumerate(_strip_controls(text or "").split("\n"), start=1):
        line = _SPACES_RE.sub(" ", raw).strip()
        if not line:
            continue
        if len(line) > MAX_LINE_LENGTH:
            errors.append(
                _("Line %(number)d is longer than %(max)d characters.")
                % {"number": number, "max": MAX_LINE_LENGTH}
            )
            continue
        keys = phrase_keys(line, language)
        if not keys:
            errors.append(
                _("Line %(number)d (“%(line)s”) has no word that search can use.")
                % {"number": number, "line": line}
            )
            continue
        if keys in seen:
            errors.append(
                _("Line %(number)d (“%(line)s”) means the same as “%(other)s”.")
                % {"number": number, "line": line, "other": seen[keys]}
            )
            continue
        seen[keys] = line
        lines.append(line)
    if len(lines) > MAX_LINES:
        errors.append(_("At most %(max)d lines.") % {"max": MAX_LINES})
    if errors:
        raise ValidationError(errors)
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The table in memory
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Group:
    phrases: tuple[str, ...]  # canonical names first, English before Korean
    keys: tuple[tuple[str, ...], ...]  # analysed keys of each phrase
    measures: tuple[str, ...]


class _Table:
    def __init__(self, groups: list[_Group], measure_names: dict[str, tuple[str, str]] | None = None):
        self.groups = groups
        self.measure_names = measure_names or {}  # slug -> (English name, Korean name)
        # first key -> [(keys, group index)], longest phrase first
        self.starts: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for index, group in enumerate(groups):
            for keys in group.keys:
                if keys:
                    self.starts.setdefault(keys[0], []).append((keys, index))
        for entries in self.starts.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        self.words: frozenset[str] = frozenset(
            word.casefold()
            for group in groups
            for phrase in group.phrases
            for word in re.findall(r"[^\W_]+", phrase)
        )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _group(phrases: list[tuple[str, str]], measures: tuple[str, ...]) -> _Group | None:
    kept: list[str] = []
    keys: list[tuple[str, ...]] = []
    for phrase, language in phrases:
        phrase_key = phrase_keys(phrase, language)
        if phrase_key and phrase_key not in keys:
            kept.append(phrase)
            keys.append(phrase_key)
    if len(kept) < 2:
        return None
    return _Group(tuple(kept), tuple(keys), measures)


def _load() -> _Table:
    from casestudies.models import MeasureType
    from search.models import SynonymGroup

    groups: list[_Group] = []
    names: dict[str, tuple[str, str]] = {}
    for measure in MeasureType.objects.order_by("slug").values(
        "slug", "name", "name_ko", "aliases", "aliases_ko"
    ):
        names[measure["slug"]] = (measure["name"], measure["name_ko"] or "")
        phrases = [(measure["name"], "en"), (measure["name_ko"], "ko")]
        phrases += [(line, "en") for line in _lines(measure["aliases"])]
        phrases += [(line, "ko") for line in _lines(measure["aliases_ko"])]
        group = _group([(p, lang) for p, lang in phrases if p], (measure["slug"],))
        if group:
            groups.append(group)
    for entry in SynonymGroup.objects.order_by("pk").values("terms", "terms_ko"):
        phrases = [(line, "en") for line in _lines(entry["terms"])]
        phrases += [(line, "ko") for line in _lines(entry["terms_ko"])]
        group = _group(phrases, ())
        if group:
            groups.append(group)
    return _Table(groups, names)


_cache: VersionedCache[_Table] = VersionedCache("synonyms", _load)


def invalidate(**kwargs) -> None:
    """Forget the table in this process (next use reloads it)."""
    _cache.invalidate()


def _changed(sender, using="default", **kwargs) -> None:
    _cache.changed_safely(using)


def connect() -> None:
    """Reload when a measure type or a synonym group is saved or deleted (called from ready())."""
    from django.db.models.signals import post_delete, post_save

    from casestudies.models import MeasureType
    from search.models import SynonymGroup

    for model in (MeasureType, SynonymGroup):
        post_save.connect(_changed, sender=model, dispatch_uid=f"search.synonyms.save.{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"search.synonyms.delete.{model.__name__}")


def measure_names() -> dict[str, tuple[str, str]]:
    """slug -> (English name, Korean name) of every measure type, as current as the synonyms."""
    return _cache.get().measure_names


def phrases() -> frozenset[str]:
    """Every word (case-folded) of every name, alias and synonym: words the spelling
    correction must know and never change."""
    return _cache.get().words


# --------------------------------------------------------------------------------------------
# Query expansion
# --------------------------------------------------------------------------------------------
def expansions(query: str, language: str) -> list[Expansion]:
    """Every name, alias or synonym found in `query`, with what it means in both languages.

    Scans the query's tokens left to right and takes, at each position, the longest phrase
    that starts there; a phrase found in several groups (an alias two measure types share)
    gives one `Expansion` with the alternatives of all of them. Never raises: a query that
    cannot be analysed expands to nothing."""
    try:
        return _expansions(query or "", language)
    except Exception:  # noqa: BLE001 - expansion is an extra: a search must still answer
        logger.exception("search.synonyms: expansion failed")
        return []


def named_measures(found: Iterable[Expansion]) -> tuple[str, ...]:
    """Slugs of the measure types a query names (`found`: its expansions), by name, alias or
    synonym: the cases tagged with them rank higher (search.backends.database.TAGGED_BONUS)."""
    return tuple(dict.fromkeys(slug for expansion in found for slug in expansion.measures))


def _expansions(query: str, language: str) -> list[Expansion]:
    table = _cache.get()
    if not table.starts:
        return []
    words = query.split()[:MAX_QUERY_WORDS]
    tokens = _keys_by_word(query, language)
    found: dict[tuple[str, ...], tuple[str, list[int]]] = {}
    i = 0
    while i < len(tokens):
        match: tuple[tuple[str, ...], list[int]] | None = None
        for keys, index in table.starts.get(tokens[i][0], ()):
            if match is not None and len(keys) < len(match[0]):
                break  # longest first: shorter phrases cannot win any more
            if tuple(token for token, _word in tokens[i : i + len(keys)]) == keys:
                if match is None:
                    match = (keys, [index])
                else:
                    match[1].append(index)
        if match is None:
            i += 1
            continue
        keys, indexes = match
        first, last = tokens[i][1], tokens[i + len(keys) - 1][1]
        matched = " ".join(words[first : last + 1]).strip(" \t.,;:!?\"'()[]{}“”‘’")
        previous = found.get(keys)
        found[keys] = (previous[0] if previous else matched, [*(previous[1] if previous else []), *indexes])
        i += len(keys)
    out = []
    for keys, (matched, indexes) in found.items():
        alternatives: list[str] = []
        seen = {keys}
        measures: list[str] = []
        for index in dict.fromkeys(indexes):
            group = table.groups[index]
            measures.extend(group.measures)
            for phrase, phrase_key in zip(group.phrases, group.keys, strict=True):
                if phrase_key not in seen:
                    seen.add(phrase_key)
                    alternatives.append(phrase)
        if alternatives:
            out.append(Expansion(matched, tuple(alternatives), tuple(dict.fromkeys(measures))))
    return out
