"""`/api/v2/`: the Wagtail API router with the open-data endpoints, the index and the OpenAPI description."""

from django.urls import path

from wagtail.api.v2.router import WagtailAPIRouter

from ..inspirations import inspirations_api
from .openapi import openapi_view
from .views import ENDPOINTS, api_index

api_router = WagtailAPIRouter("wagtailapi")
for name, endpoint in ENDPOINTS.items():
    api_router.register_endpoint(name, endpoint)

urlpatterns = [
    path("", api_index, name="opendata_api_index"),
    path("openapi.json", openapi_view, name="opendata_openapi"),
    path("inspirations/", inspirations_api, name="opendata_inspirations"),
    path("", api_router.urls),
]
