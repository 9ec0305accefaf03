"""Model and form fields for recordings: offsets typed as h:m:s, YouTube ids typed as URLs, zoned times."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .utils import format_offset, parse_offset, parse_youtube_id, zone


class SecondsFormField(forms.CharField):
    """Seconds typed as `3730`, `1:02:10` or `1h02m10s`; shown as `1:02:10`."""

    default_error_messages = {
        "invalid": _("Enter a time as seconds (3730), as h:mm:ss (1:02:10) or as 1h02m10s."),
    }

    def __init__(self, *, max_length=None, min_length=None, strip=True, empty_value=None, **kwargs):
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        kwargs.pop("step_size", None)
        # No max_length: its validator would run on the parsed number of seconds.
        super().__init__(strip=strip, empty_value=empty_value, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("placeholder", "1:02:10")
        return attrs

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return format_offset(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_offset(value)
        except ValueError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != initial
        except ValidationError:
            return True


class SecondsField(models.PositiveIntegerField):
    """A duration or offset in whole seconds, edited as h:mm:ss in forms."""

    def formfield(self, **kwargs):
        kwargs.pop("form_class", None)
        # Skip IntegerField.formfield (min/max value kwargs): the form field parses text.
        return models.Field.formfield(self, form_class=SecondsFormField, **kwargs)


class YouTubeIdFormField(forms.CharField):
    """Takes a YouTube video id or any usual YouTube URL, cleans to the 11-character id."""

    default_error_messages = {
        "invalid": _(
            "Enter an 11-character YouTube video id (e.g. dQw4w9WgXcQ) or a YouTube address "
            "(https://www.youtube.com/watch?v=…, https://youtu.be/…)."
        ),
    }

    def __init__(self, *, max_length=None, **kwargs):
        super().__init__(max_length=500, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return parse_youtube_id(value)
        except ValueError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


def validate_youtube_id(value: str) -> None:
    try:
        if parse_youtube_id(value) != (value or "").strip():
            raise ValueError("not an id")
    except ValueError as error:
        raise ValidationError(YouTubeIdFormField.default_error_messages["invalid"], code="invalid") from error


class YouTubeIdField(models.CharField):
    """Stores the 11-character id; its form field also accepts a YouTube URL."""

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 11
        kwargs.setdefault("validators", [validate_youtube_id])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        if kwargs.get("validators") == [validate_youtube_id]:
            kwargs.pop("validators")
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        kwargs.pop("form_class", None)
        kwargs.pop("max_length", None)
        return models.Field.formfield(self, form_class=YouTubeIdFormField, **kwargs)


class ZonedDateTimeField(forms.DateTimeField):
    """A date-time typed and shown in a fixed IANA zone (the summit's), whatever the admin user's zone."""

    def __init__(self, *args, time_zone: str | None = None, **kwargs):
        self.time_zone = zone(time_zone)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        with timezone.override(self.time_zone):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(self.time_zone):
            return super().to_python(value)

    def has_changed(self, initial, data):
        with timezone.override(self.time_zone):
            return super().has_changed(initial, data)
