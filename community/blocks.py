"""StreamField blocks of the media archive and the related-links page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from wagtail import blocks

from archive.utils import parse_youtube_id
from casestudies.blocks import DocumentLinkBlock, ImageWithCaptionBlock


class YouTubeIdBlock(blocks.CharBlock):
    """A YouTube video id, typed as an id or a YouTube address; stored as the 11-character id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_youtube_id(value)
        except ValueError as error:
            raise ValidationError(
                _("Enter an 11-character YouTube video id or a YouTube address."), code="invalid"
            ) from error


class VideoBlock(blocks.StructBlock):
    """A video by its YouTube id: rendered as a youtube-nocookie player, never fetched on render."""

    video_id = YouTubeIdBlock(label=_("YouTube video id or address"))
    title = blocks.CharBlock(label=_("Title"), max_length=200)
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "media"
        template = "community/blocks/video_block.html"


class MediaBlock(blocks.StreamBlock):
    image = ImageWithCaptionBlock(label=_("Image"))
    document = DocumentLinkBlock(label=_("Document"))
    video = VideoBlock(label=_("Video"))


class RelatedLinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Name"), max_length=160)
    url = blocks.URLBlock(label=_("Address"))
    organisation = blocks.CharBlock(label=_("Run by"), required=False, max_length=200)
    description = blocks.CharBlock(label=_("One-line description"), max_length=300)

    class Meta:
        icon = "link-external"
        template = "community/blocks/related_link_block.html"


class RelatedLinksBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"), max_length=120, template="community/blocks/links_heading_block.html"
    )
    link = RelatedLinkBlock(label=_("Link"))
