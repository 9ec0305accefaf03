"""Blocks for plain content pages."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks

from casestudies.blocks import HeadingBlock, ImageWithCaptionBlock, QuoteBlock


class StandardBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul"],
        template="casestudies/blocks/paragraph_block.html",
    )
    heading = HeadingBlock(label=_("Heading"))
    image = ImageWithCaptionBlock(label=_("Image"))
    quote = QuoteBlock(label=_("Quote"))
