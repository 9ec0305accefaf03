"""Admin forms: the case-study page form scoped to a city editor's city, and the import upload."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casestudies.forms import CaseStudyPageForm

from .permissions import city_id_for_user


class CityScopedCaseStudyPageForm(CaseStudyPageForm):
    """A city editor can only choose their own city (and a posted other city is a form error)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scoped_city_id = city_id_for_user(self.for_user)
        if self.scoped_city_id is not None and "city" in self.fields:
            field = self.fields["city"]
            field.queryset = field.queryset.filter(pk=self.scoped_city_id)
            field.empty_label = None
            if not self.instance.pk and not self.is_bound:
                self.initial.setdefault("city", self.scoped_city_id)

    def clean(self):
        cleaned_data = super().clean()
        city = cleaned_data.get("city")
        if self.scoped_city_id is not None and city is not None and city.pk != self.scoped_city_id:
            self.add_error("city", _("You can only write case studies of your own city."))
        return cleaned_data


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
