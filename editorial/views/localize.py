"""wagtail-localize's submit and update views check only `submit_translation`: these wrappers add
the page permissions (the source must be editable by the user, every translation it writes to
too, and publishing translations needs publish permission on each of them).

They are registered on the same admin URLs, ahead of wagtail-localize's own (see wagtail_hooks).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from wagtail.models import Page, TranslatableMixin
from wagtail.snippets.models import get_snippet_models
from wagtail_localize.models import TranslationSource
from wagtail_localize.views import submit_translations, update_translations

_submit_page = submit_translations.SubmitPageTranslationView.as_view()
_submit_snippet = submit_translations.SubmitSnippetTranslationView.as_view()
_update = update_translations.UpdateTranslationsView.as_view()


def _check_page(user, page: Page, publish: bool = False) -> None:
    perms = page.specific_deferred.permissions_for_user(user)
    if not perms.can_edit():
        raise PermissionDenied
    if publish and not perms.can_publish():
        raise PermissionDenied


def submit_page_translation(request, page_id):
    page = get_object_or_404(Page, id=page_id)
    if not page.is_root():
        _check_page(request.user, page)
    return _submit_page(request, page_id=page_id)


def submit_snippet_translation(request, app_label, model_name, pk):
    model = next(
        (
            m
            for m in get_snippet_models()
            if m._meta.app_label == app_label and m._meta.model_name == model_name
        ),
        None,
    )
    if (
        model is not None
        and issubclass(model, TranslatableMixin)
        and not request.user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}")
    ):
        raise PermissionDenied
    return _submit_snippet(request, app_label=app_label, model_name=model_name, pk=pk)


def update_translations_view(request, translation_source_id):
    source = get_object_or_404(TranslationSource, id=translation_source_id)
    try:
        instance = source.get_source_instance()
    except source.specific_content_type.model_class().DoesNotExist:
        instance = None
    if isinstance(instance, Page):
        publish = request.method == "POST" and bool(request.POST.get("publish_translations"))
        _check_page(request.user, instance)
        for translation in source.translations.filter(enabled=True).select_related("target_locale"):
            target = instance.get_translation_or_none(translation.target_locale)
            if target is not None:
                _check_page(request.user, target, publish=publish)
    elif instance is not None:
        model = type(instance)
        if not request.user.has_perm(f"{model._meta.app_label}.change_{model._meta.model_name}"):
            raise PermissionDenied
    return _update(request, translation_source_id=translation_source_id)
