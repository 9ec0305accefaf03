"""The first letter a city is listed under on `/cities/`, in any script.

Latin names go under their unaccented capital ("Łódź" → L, "Ōsaka" → O). Hangul names go under
their initial consonant, as Korean indexes do ("서울" → ㅅ, "까치산" → ㄱ: the doubled consonants
under the plain one). Names in other scripts (Arabic, Cyrillic, Chinese, Devanagari…) go under
the initial of their transliteration by anyascii ("Москва" → M, "مسقط" → M, "北京" → B), so that
a visitor who reads the Latin alphabet finds them, and the letter bar stays short whatever
scripts the data holds. Anything else (digits, symbols) goes under "#".
"""

from __future__ import annotations

import string
import unicodedata
from functools import lru_cache

from anyascii import anyascii

# Hangul syllables: (code - 0xAC00) // 588 is the initial consonant's index in this list.
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_PLAIN = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
HANGUL_LETTERS = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
OTHER = "#"
# Every letter a city can be listed under, in the order of the letter bar.
LETTERS: tuple[str, ...] = (*string.ascii_uppercase, *HANGUL_LETTERS, OTHER)
_ORDER = {letter: position for position, letter in enumerate(LETTERS)}


@lru_cache(maxsize=16384)  # /cities/ asks for every city's on each request
def initial(name: str) -> str:
    """The letter of LETTERS that a name is listed under."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    for ch in name:
        if ch.isalnum():
            break
    else:
        return OTHER
    code = ord(ch)
    if 0xAC00 <= code <= 0xD7A3:
        consonant = _CHOSEONG[(code - 0xAC00) // 588]
        return _PLAIN.get(consonant, consonant)
    if ch in _CHOSEONG:  # a bare jamo
        return _PLAIN.get(ch, ch)
    for letter in anyascii(name[name.index(ch) :]):
        if letter.isascii() and letter.isalpha():
            return letter.upper()
        if letter.isalnum():
            break
    return OTHER


def order(letter: str) -> int:
    return _ORDER.get(letter, len(LETTERS))


@lru_cache(maxsize=16384)
def sort_key(name: str) -> tuple[int, str, str]:
    """Names sorted within and across letters: the letter bar's order, then the transliteration."""
    return order(initial(name)), anyascii(name).casefold(), name.casefold()
