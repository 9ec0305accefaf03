"""StreamField blocks of a case study's body: typed, each with its own template."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=120)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Level 2")), ("h3", _("Level 3"))], default="h2", label=_("Level")
    )

    class Meta:
        icon = "title"
        template = "casestudies/blocks/heading_block.html"
        preview_value = {"text": "What the city did", "level": "h2"}


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)
    attribution = blocks.CharBlock(label=_("Credit"), required=False, max_length=120)

    class Meta:
        icon = "image"
        template = "casestudies/blocks/image_block.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Who said it"), required=False, max_length=160)

    class Meta:
        icon = "openquote"
        template = "casestudies/blocks/quote_block.html"
        preview_value = {
            "text": "Testing must be fast, safe and free for every citizen.",
            "attribution": "City health bureau",
        }


class KeyFigureBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Label"), max_length=120)
    value = blocks.CharBlock(label=_("Value"), max_length=60)


class KeyFiguresBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    figures = blocks.ListBlock(KeyFigureBlock(), label=_("Figures"), min_num=1)

    class Meta:
        icon = "table"
        template = "casestudies/blocks/key_figures_block.html"
        preview_value = {
            "title": "Key figures",
            "figures": [
                {"label": "Stations opened", "value": "12"},
                {"label": "Minutes per test", "value": "10"},
            ],
        }


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(label=_("Link text"), required=False, max_length=160)

    class Meta:
        icon = "doc-full"
        template = "casestudies/blocks/document_block.html"


class CaseStudyBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=["bold", "italic", "link", "ol", "ul"],
        template="casestudies/blocks/paragraph_block.html",
    )
    heading = HeadingBlock(label=_("Heading"))
    image = ImageWithCaptionBlock(label=_("Image"))
    quote = QuoteBlock(label=_("Quote"))
    key_figures = KeyFiguresBlock(label=_("Key figures"))
    document = DocumentLinkBlock(label=_("Document"))


class TimelineEventBlock(blocks.StructBlock):
    """One step of a measure's life (started, changed, ended), with the tracker record it comes
    from when imported: a tracker's updates of one policy become one case with its timeline."""

    date = blocks.DateBlock(label=_("Date"))
    kind = blocks.ChoiceBlock(
        choices=[("start", _("Started")), ("change", _("Changed")), ("end", _("Ended"))],
        default="change",
        label=_("What happened"),
    )
    text = blocks.TextBlock(label=_("Description"), required=False)
    source = blocks.CharBlock(
        label=_("Source"), required=False, max_length=120, help_text=_("e.g. CoronaNet Research Project")
    )
    record = blocks.CharBlock(
        label=_("Record"), required=False, max_length=100, help_text=_("The source's id of this record.")
    )
    url = blocks.URLBlock(label=_("Link"), required=False, max_length=2000)

    class Meta:
        icon = "date"


class TimelineBlock(blocks.StreamBlock):
    event = TimelineEventBlock(label=_("Event"))
