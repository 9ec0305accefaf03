"""Admin form rules that hold for drafts too: a case always has a city and a policy area."""

from django.utils.translation import gettext_lazy as _

from cac_platform.forms import CleanPageForm


class CaseStudyPageForm(CleanPageForm):
    def clean(self):
        cleaned_data = super().clean()
        # Wagtail defers required-field checks when saving a draft; these two define what a case is.
        if not cleaned_data.get("city") and "city" not in self.errors:
            self.add_error("city", _("Choose the city that ran this measure."))
        if not cleaned_data.get("policy_areas") and "policy_areas" not in self.errors:
            self.add_error("policy_areas", _("Choose at least one policy area."))
        return cleaned_data
