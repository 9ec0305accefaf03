"""Admin form rules that hold for drafts too: a case always has a city and a policy area; the
policy-area choices are the page's own language; a measure type typed in full is kept (by its
English or Korean name), an unknown one refuses the save with a message instead of vanishing.
A city editor's form offers their own city only (`CityScopedCaseStudyPageForm`, the case pages' form)."""

from taggit.forms import TagField as TaggitTagField

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.tags import TagField

from ops.forms import CleanPageForm

from .evidence import inspiration_graph, inspiration_problem
from .permissions import city_id_for_user


class MeasureTypeField(TagField):
    """Wagtail's tag field for a closed vocabulary silently drops names it does not know: an
    editor who typed a name in full (or in Korean) and pressed Enter lost it on save."""

    def clean(self, value):
        # The tag model is MeasureType (given by CaseStudyPageForm): named through the field, the
        # forms need not import casestudies.models, which imports them (no import loop).
        names = TaggitTagField.clean(self, value) or []
        kept, unknown = [], []
        for name in names:
            match = self.tag_model.objects.filter(
                Q(name__iexact=name) | Q(name_ko__iexact=name) | Q(slug__iexact=name)
            ).first()
            if match is None:
                unknown.append(name)
            elif match.name not in kept:
                kept.append(match.name)
        if unknown:
            raise ValidationError(
                _(
                    "Unknown measure type: %(names)s. Pick one from the suggestions, or have it added "
                    "under Snippets › Measure types first; nothing was saved."
                )
                % {"names": ", ".join(f"“{name}”" for name in unknown)}
            )
        return kept


class CaseStudyPageForm(CleanPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = self._page_locale()
        areas = self.fields.get("policy_areas")
        if areas is not None and locale is not None:
            # Every area exists once per language: offer the page's own only (the other
            # language's would be accepted and shown on the wrong page).
            areas.queryset = areas.queryset.filter(locale=locale)
        measures = self.fields.get("measure_types")
        if measures is not None and not isinstance(measures, MeasureTypeField):
            self.fields["measure_types"] = MeasureTypeField(
                label=measures.label,
                help_text=measures.help_text,
                required=measures.required,
                tag_model=measures.tag_model,
                free_tagging=False,
                widget=measures.widget,
            )

    def _page_locale(self):
        if getattr(self.instance, "locale_id", None):
            return self.instance.locale
        parent = getattr(self, "parent_page", None)
        return parent.locale if parent is not None and parent.locale_id else None

    def clean(self):
        cleaned_data = super().clean()
        # Wagtail defers required-field checks when saving a draft; these two define what a case is.
        if not cleaned_data.get("city") and "city" not in self.errors:
            self.add_error("city", _("Choose the city that ran this measure."))
        if not cleaned_data.get("policy_areas") and "policy_areas" not in self.errors:
            self.add_error("policy_areas", _("Choose at least one policy area."))
        self._check_inspirations()
        return cleaned_data

    def _check_inspirations(self) -> None:
        """A case cannot name itself, nor a case that (through others) names it: the loop is
        reported on the row that would close it."""
        formset = self.formsets.get("inspired_by") if hasattr(self, "formsets") else None
        if formset is None or not formset.is_valid():
            return
        page_key = self.instance.translation_key if self.instance.pk else None
        graph = inspiration_graph(exclude_key=page_key)
        chosen = set()
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None) or {}
            source = data.get("source")
            if source is None or data.get("DELETE"):
                continue
            problem = inspiration_problem(page_key, source.translation_key, graph)
            if problem is None and source.translation_key in chosen:
                problem = str(_("This case is named twice."))
            if problem:
                form.add_error("source", problem)
            chosen.add(source.translation_key)


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
