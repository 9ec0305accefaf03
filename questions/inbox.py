"""The editors' questions inbox: list with status filters, edit (answer, publish), forward by e-mail
(admin address /admin/questions/)."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from .forwarding import FORWARD_ACTION, ForwardError, forward_question
from .models import CaseQuestion, QuestionStatus


class InboxPermissionPolicy(ModelPermissionPolicy):
    """Questions come from the public form only: nobody adds one in the admin."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class QuestionIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("case")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            buttons.append(
                MenuItem(
                    _("Forward to the city"),
                    url=reverse("questions:forward", args=[quote(instance.pk)]),
                    icon_name="mail",
                    priority=15,
                )
            )
        return buttons


class QuestionEditView(generic.EditView):
    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                _("Forward to the city"),
                url=reverse("questions:forward", args=[quote(self.object.pk)]),
                icon_name="mail",
            )
        ]


class ForwardView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: what will be sent, to whom. POST: send it and mark the question forwarded."""

    permission_policy = InboxPermissionPolicy(CaseQuestion)
    permission_required = "change"
    template_name = "questions/admin/forward.html"
    header_icon = "mail"
    page_title = gettext_lazy("Forward to the city")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(CaseQuestion.objects.select_related("case"), pk=kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse("questions:index"),
                "label": capfirst(CaseQuestion._meta.verbose_name_plural),
            },
            {
                "url": reverse("questions:edit", args=[quote(self.object.pk)]),
                "label": str(self.object),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["question"] = self.object
        context["recipient"] = (self.object.case.contact_email or "").strip()
        context["edit_url"] = reverse("questions:edit", args=[quote(self.object.pk)])
        return context

    def post(self, request, *args, **kwargs):
        edit_url = reverse("questions:edit", args=[quote(self.object.pk)])
        try:
            recipient = forward_question(self.object, user=request.user)
        except ForwardError as error:
            messages.error(request, str(error))
            return redirect(edit_url)
        log(instance=self.object, action=FORWARD_ACTION, user=request.user)
        messages.success(request, _("The question was sent to %(address)s.") % {"address": recipient})
        return redirect(edit_url)


class CaseQuestionViewSet(ModelViewSet):
    model = CaseQuestion
    icon = "mail"
    menu_label = gettext_lazy("Questions inbox")
    menu_order = 250
    add_to_admin_menu = True
    name = "questions"
    index_view_class = QuestionIndexView
    edit_view_class = QuestionEditView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_filter = ["status", "publish_answer", "language"]
    search_fields = ["name", "organisation", "city", "message", "answer"]
    search_backend_name = None
    list_per_page = 30
    list_display = [
        TitleColumn("message", label=gettext_lazy("Question"), url_name="questions:edit", accessor=str),
        Column("case", label=gettext_lazy("Case study")),
        Column("language", label=gettext_lazy("Language"), accessor="get_language_display"),
        Column("asker", label=gettext_lazy("From")),
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            primary=lambda question: question.status == QuestionStatus.NEW,
        ),
        BooleanColumn("publish_answer", label=gettext_lazy("Published")),
        DateColumn("created_at", label=gettext_lazy("Asked")),
    ]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("case", read_only=True),
                FieldRowPanel(
                    [FieldPanel("created_at", read_only=True), FieldPanel("language", read_only=True)]
                ),
                FieldRowPanel([FieldPanel("name", read_only=True), FieldPanel("email", read_only=True)]),
                FieldRowPanel(
                    [FieldPanel("organisation", read_only=True), FieldPanel("city", read_only=True)]
                ),
                FieldPanel("message", read_only=True),
            ],
            heading=gettext_lazy("Question"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldRowPanel(
                    [FieldPanel("forwarded_to", read_only=True), FieldPanel("forwarded_at", read_only=True)]
                ),
            ],
            heading=gettext_lazy("Status"),
        ),
        MultiFieldPanel(
            [FieldPanel("answer"), FieldPanel("publish_answer"), FieldPanel("answered_at", read_only=True)],
            heading=gettext_lazy("Answer"),
        ),
    ]

    @property
    def permission_policy(self):
        return InboxPermissionPolicy(self.model)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(f"forward/<{self.pk_path_converter}:pk>/", ForwardView.as_view(), name="forward"),
        ]
