"""Serializers whose absolute URLs (`detail_url`, `html_url`, the parent's) name the host the
request came to, as `permalink` and the API index do: Wagtail's own use the Site record, which on
the demo (and any site not configured with `SITE_URL`) says `http://localhost`."""

from __future__ import annotations

from rest_framework.fields import Field, SkipField

from django.urls import NoReverseMatch

from wagtail.api.v2.serializers import (
    BaseSerializer,
    PageAliasOfField,
    PageParentField,
    PageSerializer,
    get_serializer_class,
)

PARENT_FIELDS = ["id", "type", "detail_url", "html_url", "title"]
PARENT_META = ["type", "detail_url", "html_url"]


def request_url(request, path: str | None) -> str | None:
    """`path` made absolute on the request's scheme and host. A full URL stays as it is: Wagtail
    gives one only for a page of another Site, which has a host of its own."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return request.build_absolute_uri(path)


class RequestDetailUrlField(Field):
    """`detail_url` on the request's host; hidden for objects without an endpoint (as Wagtail's)."""

    def get_attribute(self, instance):
        path = self.context["router"].get_object_detail_urlpath(type(instance), instance.pk)
        if not path:
            raise SkipField
        return request_url(self.context["request"], path)

    def to_representation(self, value):
        return value


class RequestHtmlUrlField(Field):
    """`html_url`: the page's address on the request's host."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, page):
        request = self.context["request"]
        try:
            return request_url(request, page.get_url(request=request))
        except NoReverseMatch:
            return None


class _RelatedPageMixin:
    def to_representation(self, value):
        serializer_class = get_serializer_class(
            value.__class__, PARENT_FIELDS, meta_fields=PARENT_META, base=OpenDataPageSerializer
        )
        return serializer_class(context=self.context).to_representation(value)


class RequestParentField(_RelatedPageMixin, PageParentField):
    pass


class RequestAliasOfField(_RelatedPageMixin, PageAliasOfField):
    pass


class OpenDataBaseSerializer(BaseSerializer):
    detail_url = RequestDetailUrlField(read_only=True)


class OpenDataPageSerializer(PageSerializer):
    detail_url = RequestDetailUrlField(read_only=True)
    html_url = RequestHtmlUrlField(read_only=True)
    parent = RequestParentField(read_only=True)
    alias_of = RequestAliasOfField(read_only=True)
