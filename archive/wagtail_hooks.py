"""Admin wiring of the archive: live streams are edited as snippets (Snippets > Live streams)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from ops.model_moves import moved_admin_pages

from .models import LiveStream


class LiveStreamViewSet(SnippetViewSet):
    model = LiveStream
    icon = "media"
    menu_label = _("Live streams")
    list_display = ["session", "language", "video_id"]
    list_filter = ["language"]
    copy_view_enabled = False


register_snippet(LiveStreamViewSet)


@hooks.register("register_admin_urls")
def register_old_live_stream_addresses():
    # Live streams were community snippets (/admin/snippets/community/livestream/) before they moved here.
    return [moved_admin_pages("snippets/community/livestream", "snippets/archive/livestream")]
