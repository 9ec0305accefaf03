"""The helpers every app shares (ops.i18n, ops.progress): one copy each, behaving as the old copies did."""

import io

from django.core.management.base import OutputWrapper
from django.utils import translation

from ops.i18n import current_language, is_korean
from ops.progress import ProgressBar


def test_current_language_is_the_base_code_of_the_active_language():
    with translation.override("ko"):
        assert current_language() == "ko" and is_korean()
    with translation.override("ko-kr"):
        assert current_language() == "ko" and is_korean()
    with translation.override("en-gb"):
        assert current_language() == "en" and not is_korean()


def test_current_language_falls_back_to_the_site_default():
    with translation.override(None):  # no language active, as in a management command
        assert current_language() == "en"
    with translation.override("fr"):  # not one of the site's languages
        assert current_language() == "en" and not is_korean()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_writes_a_line_every_ten_percent_off_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream, "Indexing", unit="pages")
    for done in range(0, 101):
        bar(done, 100)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split("] ")[1].split("%")[0].strip() for line in lines] == [
        str(n) for n in range(0, 101, 10)
    ]
    assert lines[-1].startswith("Indexing [" + "#" * 30 + "] 100% 100/100 pages, ")
    assert lines[-1].endswith(" pages/s")


def test_progress_redraws_one_line_on_a_terminal_and_ends_it():
    stream = Terminal()
    bar = ProgressBar(stream, unit="rows", width=4)
    bar(1, 2)
    bar(2, 2)
    bar.finish()
    text = stream.getvalue()
    assert text.startswith("\r[##..]  50% 1/2 rows, ") and "\r[####] 100% 2/2 rows, " in text
    assert text.count("\n") == 1 and text.endswith("\n")


def test_progress_on_a_commands_stderr_adds_no_endings_and_no_colour():
    """A command passes its own self.stderr (public API), not the private stream inside it."""
    terminal = Terminal()
    wrapper = OutputWrapper(terminal)
    wrapper.style_func = lambda text: f"<red>{text}</red>"  # what BaseCommand sets on a terminal
    bar = ProgressBar(wrapper, unit="rows", width=2)
    bar(1, 1)
    bar.finish()
    assert terminal.getvalue().startswith("\r[##] 100% 1/1 rows, ")
    assert terminal.getvalue().count("\n") == 1 and "<red>" not in terminal.getvalue()


def test_finishing_a_bar_that_never_drew_writes_nothing():
    stream = Terminal()
    ProgressBar(stream).finish()
    assert stream.getvalue() == ""


def test_site_tags_read_the_language_through_the_shared_helper(db):
    """The language switcher's and the menu's locale: a regional variant is its site language."""
    from wagtail.models import Locale

    from home.templatetags.site_tags import active_locale

    korean, _ = Locale.objects.get_or_create(language_code="ko")
    with translation.override("ko-kr"):
        assert active_locale() == korean
    with translation.override("fr"):  # not a site language: the default language's locale
        assert active_locale() == Locale.objects.get(language_code="en")
