"""An OpenAPI 3.0 description of the API, built from the endpoint classes themselves
(their filters and field lists), so that it cannot drift from what the API accepts."""

from __future__ import annotations

from django.db import models
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from opendata.rows import LICENCE_URL
from ops import ratelimit

CUSTOM_SCHEMAS = {
    "city": {"$ref": "#/components/schemas/CityInline"},
    "cities": {"type": "array", "items": {"$ref": "#/components/schemas/CityInline"}},
    "policy_areas": {"type": "array", "items": {"$ref": "#/components/schemas/AreaInline"}},
    "policy_area": {"allOf": [{"$ref": "#/components/schemas/AreaInline"}], "nullable": True},
    "measure_types": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "name_ko": {"type": "string"},
            },
        },
    },
    "sources": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
        },
    },
    "body": {
        "type": "array",
        "items": {"type": "object"},
        "description": "StreamField blocks: type, value, id",
    },
    "outcomes": {"type": "string", "description": "HTML"},
    "lessons_learned": {"type": "string", "description": "HTML"},
    "description": {"type": "string"},
    "countries": {"type": "array", "items": {"type": "string"}},
    "speakers": {"type": "array", "items": {"type": "object"}},
    "recordings": {"type": "array", "items": {"type": "object"}},
    "chapters": {"type": "array", "items": {"type": "object"}},
    "related_cases": {"type": "array", "items": {"type": "integer"}},
    "permalink": {"type": "string", "format": "uri"},
    "translation_key": {"type": "string", "format": "uuid"},
    "locale": {"type": "string", "enum": ["en", "ko"]},
    "type": {"type": "string"},
    "detail_url": {"type": "string", "format": "uri"},
    "html_url": {"type": "string", "format": "uri"},
    "parent": {"type": "object", "nullable": True},
    "alias_of": {"type": "object", "nullable": True},
}


def field_schema(model, name: str) -> dict:
    if name in CUSTOM_SCHEMAS:
        return CUSTOM_SCHEMAS[name]
    try:
        field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a property
        return {"type": "string"}
    if isinstance(field, models.DateTimeField):
        return {"type": "string", "format": "date-time", "nullable": field.null}
    if isinstance(field, models.DateField):
        return {"type": "string", "format": "date", "nullable": field.null}
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return {"type": "integer"}
    if isinstance(field, (models.DecimalField, models.FloatField)):
        return {"type": "number", "nullable": field.null}
    if isinstance(field, models.BooleanField):
        return {"type": "boolean"}
    return {"type": "string"}


def model_schema(endpoint) -> dict:
    model = endpoint.model
    body = [f.name for f in endpoint.get_body_fields(model)]
    meta = [f.name for f in endpoint.get_meta_fields(model)]
    properties = {name: field_schema(model, name) for name in body}
    properties["meta"] = {"type": "object", "properties": {name: field_schema(model, name) for name in meta}}
    return {"type": "object", "properties": properties}


def parameters(endpoint) -> list[dict]:
    known = endpoint.known_query_parameters
    described = {
        "limit": ("integer", "items per page, 1 to 100 (default 20)"),
        "offset": ("integer", "items to skip, 0 to 1,000,000"),
        "fields": ("string", "fields to add or remove, e.g. `*`, `body,-summary`"),
        "order": ("string", "a field name, `-field` for descending, or `random`"),
        "search": ("string", "full-text search (after every filter)"),
        "search_operator": ("string", "`and` or `or`"),
        "locale": ("string", "language: en or ko"),
        "type": ("string", "page type, e.g. casestudies.CaseStudyPage"),
        "child_of": ("integer", "pages directly below this page id"),
        "descendant_of": ("integer", "pages below this page id"),
        "ancestor_of": ("integer", "pages above this page id"),
        "translation_of": ("integer", "translations of this page id"),
        "site": ("string", "host name of the site"),
    }
    out = []
    for name in sorted(known - {"format", "_"}):
        kind, text = described.get(name, ("string", endpoint.extra_filters.get(name, "")))
        if name in endpoint.extra_filters:
            text = endpoint.extra_filters[name]
        out.append(
            {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": kind}}
        )
    return out


def _responses(schema_ref: str, listing: bool) -> dict:
    ok_schema = (
        {
            "type": "object",
            "properties": {
                "meta": {"type": "object", "properties": {"total_count": {"type": "integer"}}},
                "items": {"type": "array", "items": {"$ref": schema_ref}},
            },
        }
        if listing
        else {"$ref": schema_ref}
    )
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok_schema}}},
        "400": {"description": "A malformed or unknown parameter", **error},
        "404": {"description": "Not found (or not public)", **error},
        "429": {
            "description": "Too many requests",
            "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
            **error,
        },
    }


def build(base_url: str = "") -> dict:
    from opendata.api.views import ENDPOINTS

    paths: dict = {}
    schemas: dict = {
        "Error": {"type": "object", "properties": {"message": {"type": "string"}}},
        "CityInline": {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "name_ko": {"type": "string"},
                "country": {"type": "string"},
                "continent": {"type": "string"},
                "latitude": {"type": "number", "nullable": True},
                "longitude": {"type": "number", "nullable": True},
            },
        },
        "AreaInline": {
            "type": "object",
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
        },
    }
    for name, endpoint in ENDPOINTS.items():
        schema_name = endpoint.model.__name__
        schemas[schema_name] = model_schema(endpoint)
        ref = f"#/components/schemas/{schema_name}"
        paths[f"/api/v2/{name}/"] = {
            "get": {
                "operationId": f"list_{name}",
                "summary": f"List {name}",
                "tags": [name],
                "parameters": parameters(endpoint),
                "responses": _responses(ref, listing=True),
            }
        }
        paths[f"/api/v2/{name}/{{id}}/"] = {
            "get": {
                "operationId": f"get_{name}",
                "summary": f"One of {name}",
                "tags": [name],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "fields", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": _responses(ref, listing=False),
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "CAC Knowledge Platform API",
            "version": "2",
            "description": (
                "Read-only access to the published case studies, summit sessions, cities, policy areas "
                "and measure types (Wagtail API v2). Only live, public content; never drafts, private "
                f"pages or revisions. Anonymous clients: {ratelimit.rate_for('api')} requests per IP "
                "address; past it, 429 with Retry-After. Malformed or unknown parameters: 400 with a "
                "message."
            ),
            "license": {"name": "Case study texts: CC BY 4.0, CAC Knowledge Platform", "url": LICENCE_URL},
        },
        "servers": [{"url": base_url or "/"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


@require_safe
@ratelimit.limited("api")
def openapi_view(request):
    from opendata.api.views import keep_api_404s

    keep_api_404s(request)
    base = request.build_absolute_uri("/").rstrip("/")
    return JsonResponse(build(base), json_dumps_params={"ensure_ascii": False, "indent": 1})
