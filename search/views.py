"""The public search page; the search service itself lives in search.service."""

from django.template.response import TemplateResponse


def search_view(request):
    return TemplateResponse(request, "search/search.html", {"query": request.GET.get("q", "")})
