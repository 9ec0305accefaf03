"""Forms that drop control characters from what they accept (issue 13: a form feed pasted from a
PDF into a summary took down a language's feeds; a NUL is refused by PostgreSQL).

`CleanTextMixin` works on any Django form; `CleanPageForm` and `CleanModelForm` are the Wagtail
admin's page and snippet forms with it, and their inline panels (sources, speakers, chapters…)
get it too. Every page model uses `CleanPageForm` unless it names its own form (which then derives
from it), and every snippet names `CleanModelForm` (tests/test_input_hardening.py checks both).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.forms.models import WagtailAdminModelFormMetaclass
from wagtail.blocks import StreamValue

from ops.text import clean_querydict, has_controls, one_line, strip_controls


def is_one_line(field: forms.Field) -> bool:
    """A text input (title, name, e-mail, URL) holds one line; textareas and rich text may have more."""
    widget = field.widget
    return isinstance(widget, forms.widgets.Input) and not isinstance(
        widget, (forms.HiddenInput, forms.PasswordInput, forms.FileInput)
    )


def _nested_has_controls(value: Any) -> bool:
    if isinstance(value, str):
        return has_controls(value)
    if isinstance(value, dict):
        return any(_nested_has_controls(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_nested_has_controls(v) for v in value)
    return False


def _clean_nested(value: Any) -> Any:
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {key: _clean_nested(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clean_nested(v) for v in value)
    return value


def clean_value(value: Any, single_line: bool) -> Any:
    """A cleaned form value: text, a list of texts (tags), or a StreamField's blocks (through their
    stored form, so rich text and text blocks at any depth are cleaned); anything else as it is."""
    if isinstance(value, str):
        return one_line(value) if single_line else strip_controls(value)
    if isinstance(value, StreamValue):
        block = value.stream_block
        raw = block.get_prep_value(value)
        return block.to_python(_clean_nested(raw)) if _nested_has_controls(raw) else value
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return type(value)(one_line(v) for v in value)
    return value


def _clean_data(data):
    if isinstance(data, QueryDict):
        return clean_querydict(data, multiline=True)
    if isinstance(data, dict):
        return {key: _clean_nested(value) for key, value in data.items()}
    return data


class CleanTextMixin:
    """Drops control characters from what a form accepts, before a model form builds its instance:
    from the submitted data (which the forms of inline panels share), then from each cleaned value
    (rich text and StreamField blocks decode their own JSON; text inputs become one line). Tab and
    newline stay in multi-line text; a required field left empty by this is an error."""

    def __init__(self, *args, **kwargs):
        if "data" in kwargs:
            kwargs["data"] = _clean_data(kwargs["data"])
        elif args:
            args = (_clean_data(args[0]), *args[1:])
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        for name, value in list(self.cleaned_data.items()):
            field = self.fields.get(name)
            if field is None or isinstance(field.widget, forms.PasswordInput):
                continue
            cleaned = clean_value(value, is_one_line(field))
            if cleaned is value:
                continue
            self.cleaned_data[name] = cleaned
            if field.required and value and not cleaned:
                self.add_error(name, _("This field holds only control characters."))
        return cleaned_data


class CleanModelFormMetaclass(WagtailAdminModelFormMetaclass):
    @classmethod
    def child_form(cls):
        # The forms of inline panels (a case's sources, a session's speakers) clean their text too.
        return CleanModelForm


class CleanModelForm(CleanTextMixin, WagtailAdminModelForm, metaclass=CleanModelFormMetaclass):
    """The admin form of snippets (cities, measure types, …)."""


class CleanPageForm(CleanTextMixin, WagtailAdminPageForm, metaclass=CleanModelFormMetaclass):
    """The admin form of pages."""
