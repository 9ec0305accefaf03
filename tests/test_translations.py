"""Every interface string a visitor can see has a Korean translation, compiled into the .mo file."""

import ast
import re
from pathlib import Path

import polib
import pytest

from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
APPS = [
    "cac_platform",
    "home",
    "casestudies",
    "archive",
    "search",
    "editorial",
    "opendata",
    "community",
    "questions",
    "ops",
    "templates",
]
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
TEMPLATIZED_CALL = re.compile(r"\b(n?gettext|pgettext)\(\s*u?(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")")


def _project_files(suffix: str):
    for app in APPS:
        for path in (ROOT / app).rglob(f"*{suffix}"):
            if "migrations" not in path.parts and "demo_data" not in path.parts:
                yield path


def template_messages() -> set[str]:
    """The msgids Django's makemessages would extract from our templates."""
    messages = set()
    for path in _project_files(".html"):
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for match in TEMPLATIZED_CALL.finditer(code):
            if match.group(1) == "pgettext":
                continue  # context strings: covered by the .po check below
            raw = match.group(2) if match.group(2) is not None else match.group(3)
            messages.add(raw.replace("\\'", "'").replace('\\"', '"'))
    return messages


def python_messages() -> set[str]:
    messages = set()
    for path in _project_files(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in GETTEXT_NAMES
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.func.id not in {"pgettext", "pgettext_lazy"}
            ):
                messages.add(node.args[0].value)
    return messages


@pytest.fixture(scope="module")
def catalogue():
    return polib.pofile(str(PO_FILE))


def test_po_file_has_no_untranslated_or_fuzzy_entries(catalogue):
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("source", ["templates", "python"])
def test_every_interface_string_has_a_korean_translation(catalogue, source):
    messages = template_messages() if source == "templates" else python_messages()
    assert messages, "no translatable strings found: the extraction is broken"
    translated = {entry.msgid for entry in catalogue if entry.translated()}
    missing = sorted(message for message in messages if message not in translated)
    assert missing == [], f"{len(missing)} strings lack a Korean translation (run `make messages`)"


def test_compiled_catalogue_matches_the_po_file(catalogue):
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in polib.mofile(str(MO_FILE))}
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid
