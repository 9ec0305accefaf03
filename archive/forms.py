"""Admin form for sessions: times typed in the summit's zone, and checks across recordings and chapters."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ops.forms import CleanPageForm

from .fields import ZonedDateTimeField
from .utils import DEFAULT_TIME_ZONE, format_offset, is_valid_time_zone


class SessionPageForm(CleanPageForm):
    """Start and end are read and shown in the summit's time zone (Asia/Seoul), not the editor's.

    Wagtail would otherwise interpret them in the editor's admin time zone (Account → time zone,
    defaulting to settings.TIME_ZONE = UTC), which is how a 13:00 KST session would end up at 22:00.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.summit_time_zone = self._summit_time_zone()
        for name in ("start", "end"):
            old = self.fields.get(name)
            if old is None:
                continue
            self.fields[name] = ZonedDateTimeField(
                time_zone=self.summit_time_zone,
                required=old.required,
                widget=old.widget,
                label=old.label,
                initial=old.initial,
                disabled=old.disabled,
                help_text=_("In the summit's time zone: %(zone)s.") % {"zone": self.summit_time_zone},
            )
        if "policy_area" in self.fields and self.instance.locale_id:
            field = self.fields["policy_area"]
            current = self.instance.policy_area_id
            queryset = field.queryset.filter(locale_id=self.instance.locale_id)
            if current:
                queryset = queryset | field.queryset.filter(pk=current)
            field.queryset = queryset.distinct()

    def _summit_time_zone(self) -> str:
        parent = self.parent_page
        if parent is None and self.instance.pk:
            parent = self.instance.get_parent()
        name = getattr(parent.specific if parent is not None else None, "time_zone", "") or ""
        return name if is_valid_time_zone(name) else DEFAULT_TIME_ZONE

    def _kept_forms(self, relation: str) -> list:
        """The child forms of one inline panel that are cleaned and not marked for deletion."""
        formset = self.formsets.get(relation)
        if formset is None:
            return []
        formset.is_valid()  # cleans every child form, so their cleaned_data can be cross-checked
        return [
            form
            for form in formset.forms
            if getattr(form, "cleaned_data", None) and not formset._should_delete_form(form)
        ]

    def clean(self):
        cleaned_data = super().clean()
        recordings: dict[str, dict] = {}
        for form in self._kept_forms("recordings"):
            language = form.cleaned_data.get("language")
            if not language:
                continue
            if language in recordings:
                form.add_error("language", _("A session has at most one recording per language."))
            else:
                recordings[language] = form.cleaned_data
        for form in self._kept_forms("chapters"):
            language = form.cleaned_data.get("language")
            offset = form.cleaned_data.get("offset")
            if not language:
                continue
            recording = recordings.get(language)
            language_name = dict(form.fields["language"].choices).get(language, language)
            if recording is None or not recording.get("video_id"):
                form.add_error(
                    "language",
                    _("There is no %(language)s recording with a video id for this moment.")
                    % {"language": language_name},
                )
                continue
            duration = recording.get("duration")
            if offset is not None and duration is not None and offset > duration:
                form.add_error(
                    "offset",
                    _("%(offset)s is beyond the end of the %(language)s recording (%(duration)s).")
                    % {
                        "offset": format_offset(offset),
                        "language": language_name,
                        "duration": format_offset(duration),
                    },
                )
        return cleaned_data
