"""The Markdown subset of the import format: what it reads, and that export → import keeps any text."""

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casestudies.exporter import block_to_markdown, richtext_to_markdown
from casestudies.imports import MarkupError, Refs, markdown_to_blocks, markdown_to_richtext, split_list


def blocks(text):
    return markdown_to_blocks(text, Refs())


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Plain text.", [("paragraph", "<p>Plain text.</p>")]),
        ("Two lines\nof one paragraph.", [("paragraph", "<p>Two lines of one paragraph.</p>")]),
        ("One.\n\nTwo.", [("paragraph", "<p>One.</p>"), ("paragraph", "<p>Two.</p>")]),
        (
            "A **bold** and *italic* and _italic_.",
            [("paragraph", "<p>A <b>bold</b> and <i>italic</i> and <i>italic</i>.</p>")],
        ),
        ("5 * 3 = 15 and snake_case_name", [("paragraph", "<p>5 * 3 = 15 and snake_case_name</p>")]),
        ("Line\\\nbreak", [("paragraph", "<p>Line<br/>break</p>")]),
        (
            "[a site](https://example.org/?a=1&b=2)",
            [("paragraph", '<p><a href="https://example.org/?a=1&amp;b=2">a site</a></p>')],
        ),
        (
            "[a page](page:3) [a file](document:4) [mail](mailto:a@b.org)",
            [
                (
                    "paragraph",
                    '<p><a linktype="page" id="3">a page</a> <a linktype="document" id="4">a file</a> <a href="mailto:a@b.org">mail</a></p>',
                )
            ],
        ),
        (
            "[Wiki](https://en.wikipedia.org/wiki/Seoul_(city))",
            [("paragraph", '<p><a href="https://en.wikipedia.org/wiki/Seoul_(city)">Wiki</a></p>')],
        ),
        (
            "# Title\n\n## Heading ##\n\n### Small",
            [
                ("heading", {"text": "Title", "level": "h2"}),
                ("heading", {"text": "Heading", "level": "h2"}),
                ("heading", {"text": "Small", "level": "h3"}),
            ],
        ),
        ("- a\n- b\n  continued\n* c", [("paragraph", "<ul><li>a</li><li>b continued</li><li>c</li></ul>")]),
        ("1. one\n2) two", [("paragraph", "<ol><li>one</li><li>two</li></ol>")]),
        (
            "Intro:\n- a\n- b",
            [("paragraph", "<p>Intro:</p>"), ("paragraph", "<ul><li>a</li><li>b</li></ul>")],
        ),
        ("> Said.\n> — Someone", [("quote", {"text": "Said.", "attribution": "Someone"})]),
        ("> Just a quote", [("quote", {"text": "Just a quote", "attribution": ""})]),
        (
            "| Figures | |\n| --- | --- |\n| Tests | 1,000 |",
            [("key_figures", {"title": "Figures", "figures": [{"label": "Tests", "value": "1,000"}]})],
        ),
        ("<script>alert(1)</script>", [("paragraph", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")]),
        ("\\# \\- \\* \\[x\\]", [("paragraph", "<p># - * [x]</p>")]),
    ],
)
def test_markdown_to_blocks(markdown, expected):
    assert blocks(markdown) == expected


def test_images_and_documents_are_blocks_and_references():
    refs = Refs()
    result = markdown_to_blocks('![A clinic](image:7 "Photo: city")\n\n[Report](document:9)', refs)
    assert result == [
        ("image", {"image": 7, "caption": "A clinic", "attribution": "Photo: city"}),
        ("document", {"document": 9, "title": "Report"}),
    ]
    assert refs.images == {7} and refs.documents == {9}


@pytest.mark.parametrize(
    ("markdown", "message"),
    [
        ("[x](javascript:alert(1))", "is not a link target"),
        ("[x](https://)", "is not a valid link"),
        ("| one |\n| --- |\n| 1 |", "two cells"),
        ("| a | b |\n| c | d |", "separator row"),
        ("#", "a heading has no text"),
        ("## " + "h" * 121, "longer than 120"),
    ],
)
def test_bad_markdown(markdown, message):
    with pytest.raises(MarkupError, match=message):
        blocks(markdown)


def test_outcomes_allow_paragraphs_and_lists_only():
    assert markdown_to_richtext("Good *results*.\n\n- fewer cases", Refs()) == (
        "<p>Good <i>results</i>.</p><ul><li>fewer cases</li></ul>"
    )
    for markdown in ("## Heading", "> quote", "| a | b |\n| --- | --- |\n| c | d |", "![x](image:1)"):
        with pytest.raises(MarkupError, match="only paragraphs and lists"):
            markdown_to_richtext(markdown, Refs())


def test_lists_split_on_unescaped_semicolons():
    assert split_list("a; b ;c;; ") == ["a", "b", "c"]
    assert split_list("Masks\\; gloves; Testing") == ["Masks; gloves", "Testing"]


TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\u00a0"),
        min_size=1,
        max_size=80,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_paragraph_text_survives_export_and_import(text):
    source = f"<p>{html.escape(text, quote=False)}</p>"
    markdown = richtext_to_markdown(source)
    assert blocks(markdown) == [("paragraph", source)]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT, TEXT)
def test_formatted_text_survives_export_and_import(a, b, c):
    source = (
        f"<p>{html.escape(a, quote=False)} <b>{html.escape(b, quote=False)}</b> "
        f'<a href="https://example.org/">{html.escape(c, quote=False)}</a></p>'
    )
    markdown = richtext_to_markdown(source)
    ((kind, value),) = blocks(markdown)
    assert kind == "paragraph"
    assert richtext_to_markdown(value) == markdown


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT, TEXT)
def test_block_texts_survive_export_and_import(title, label, value):
    heading = {"text": title[:120], "level": "h3"}
    assert blocks(block_to_markdown("heading", heading)) == [("heading", heading)]
    quote = {"text": title, "attribution": label}
    assert blocks(block_to_markdown("quote", quote)) == [("quote", quote)]
    figures = {"title": title, "figures": [{"label": label[:120], "value": value[:60]}]}
    assert blocks(block_to_markdown("key_figures", figures)) == [("key_figures", figures)]
