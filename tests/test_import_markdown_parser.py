"""The Markdown subset's inline text (bold, italic, links, escapes, line breaks) is read by
markdown-it-py with CommonMark's rules (casestudies.imports.markdown): what that changed, beyond the
behaviour that tests/test_import_markdown.py pins down."""

import html
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from casestudies.imports import Refs, markdown_to_blocks
from casestudies.imports.markdown import _INLINE, _INLINE_SPECIAL, InlineParser


@pytest.mark.parametrize(
    "text",
    ["**a " * 3000, "*a " * 3000, "[" * 5000 + "]" * 5000, "[a](" * 2000],
    ids=["bold", "italic", "brackets", "links"],
)
def test_unclosed_markup_takes_linear_time(text):
    """The hand-written parser searched for each opener's closer again and again: 12 KB of
    unclosed `**` took 6.8 s (and a cell may hold far more). CommonMark's delimiter algorithm is
    linear: about 0.1 s here."""
    started = time.perf_counter()
    ((kind, value),) = markdown_to_blocks(text, Refs())
    assert kind == "paragraph" and value.startswith("<p>")
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # CommonMark's emphasis: nesting (the old parser closed at the inner "*"), "__" as bold, and
        # a closing "**" after punctuation only before a space or punctuation.
        ("*a *b* c*", "<p><i>a <i>b</i> c</i></p>"),
        ("__init__ file", "<p><b>init</b> file</p>"),
        ("**Bold.**Next and **bold.** next", "<p>**Bold.**Next and <b>bold.</b> next</p>"),
        ("a **b** c*", "<p>a <b>b</b> c*</p>"),
        # Code spans, entities and HTML are not part of the subset: text, escaped.
        ("`code` &amp; <b>x</b>", "<p>`code` &amp;amp; &lt;b&gt;x&lt;/b&gt;</p>"),
        # Link targets are kept as written (no percent-encoding) and checked by the import.
        (
            "[Seoul](https://ko.wikipedia.org/wiki/서울)",
            '<p><a href="https://ko.wikipedia.org/wiki/서울">Seoul</a></p>',
        ),
    ],
)
def test_inline_rules(markdown, expected):
    assert markdown_to_blocks(markdown, Refs()) == [("paragraph", expected)]


TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("\\\n*_[]()!&<`#-")), st.characters(blacklist_categories=("Cs",)))
)


@settings(max_examples=500)
@given(TEXT)
def test_text_without_markup_skips_the_parser_and_reads_the_same(text):
    """Text with none of the characters the inline rules read is escaped as it is, without a parse:
    what the parser gives for it. (Line ends, \\r too, never reach the inline parser:
    markdown_to_blocks splits the text into lines; nor does a NUL, which reading drops and reports.)"""
    assume("\r" not in text and "\x00" not in text and not _INLINE_SPECIAL.search(text))
    tokens = _INLINE.parseInline(text)[0].children or []
    assert [token.type for token in tokens] in ([], ["text"])
    assert InlineParser(Refs()).parse(text) == html.escape(
        "".join(token.content for token in tokens), quote=False
    )
