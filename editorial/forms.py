"""Admin forms of the case import: the upload and its confirmation."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class ImportUploadForm(forms.Form):
    SOURCES = [
        ("", _("Case studies in the import format (CSV or JSON Lines)")),
        ("coronanet", _("A CoronaNet Research Project release (its own CSV)")),
    ]
    source = forms.ChoiceField(
        label=_("What the file holds"),
        choices=SOURCES,
        required=False,
        initial="",
        widget=forms.RadioSelect,
        help_text=_(
            "A tracker release, as published: its municipal records become cases, one per policy with its "
            "updates as a timeline."
        ),
    )
    file = forms.FileField(
        label=_("File"),
    )
    publish = forms.BooleanField(
        label=_("Publish the imported cases"),
        required=False,
        help_text=_("Otherwise they are saved as drafts and submitted for review."),
    )

    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows, set the invalid ones aside"),
        required=False,
        help_text=_(
            "Otherwise one invalid row refuses the whole file. The rows set aside can be downloaded "
            "with their errors, fixed and uploaded again."
        ),
    )

    def __init__(self, *args, can_publish: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = format_html(
            _('CSV (UTF-8, with a header row) or JSON Lines; see the <a href="{url}">import format</a>.'),
            url=reverse("editorial_import_format"),
        )
        if not can_publish:
            del self.fields["publish"]


class ImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
