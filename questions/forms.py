"""The question form under every case page: plain text only, bounded sizes, a honeypot field."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ops.forms import CleanTextMixin

# Anything that looks like a tag or an HTML entity: "<b>", "</a", "<!--", "&lt;", "&#60;".
HTML_RE = re.compile(r"<\s*[a-zA-Z/!?]|&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
# C0/C1 control characters except tab and newlines (NUL bytes break PostgreSQL).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
HONEYPOT_FIELD = "website"
# The hidden field that tells this form's post from any other post to a case page. Its name is older
# than this app: pages cached or open in a browser before the move still post it.
FORM_MARKER = "community_form"
FORM_MARKER_VALUE = "question"


class PlainTextMixin:
    """Strips control characters and rejects HTML, keeping what was typed for the visitor to fix."""

    def clean_plain(self, value: str) -> str:
        value = CONTROL_RE.sub("", value or "")
        if HTML_RE.search(value):
            raise forms.ValidationError(
                _("Please write plain text: HTML tags and entities are not accepted."), code="html"
            )
        return value


class PlainCharField(PlainTextMixin, forms.CharField):
    def to_python(self, value):
        return self.clean_plain(super().to_python(value))


class CaseQuestionForm(CleanTextMixin, forms.Form):
    """Name, organisation and city are one line each (ops.forms): a name such as
    "Bob\r\nBcc: x@evil.example" must not forge lines in the forwarded e-mail."""

    name = PlainCharField(label=_("Your name"), max_length=120)
    organisation = PlainCharField(label=_("Organisation"), max_length=200)
    city = PlainCharField(label=_("City"), max_length=120)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("Only the city sees it, to answer you. It never appears on this site."),
    )
    message = PlainCharField(
        label=_("Your question"),
        min_length=10,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text, up to 3,000 characters."),
    )
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "ask-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    @property
    def is_spam(self) -> bool:
        """True when the honeypot was filled in (checked on the raw data: no validation needed)."""
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()
