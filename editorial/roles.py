"""The editorial roles: groups, their permissions and the review workflow, set up idempotently.

Written against an `apps` registry so that the data migration (historical models) and the
`setup_editorial` command (real models) share one definition.

- Editors: add, change, lock and unlock pages anywhere (no publish: they submit for review);
  add and change cities and measure types; import case studies.
- Reviewers: as Editors, plus publish pages and delete cities and measure types.
- City editors: add and change pages beneath each case-study index only, further scoped to
  their own city by `casestudies.permissions`.
- Administrators: every page permission; every taxonomy snippet including policy areas;
  users, groups, sites, workflows, locales, collections and redirects.

Every group has admin access, translation submission and image/document use.
"""

from __future__ import annotations

EDITORS = "Editors"
REVIEWERS = "Reviewers"
CITY_EDITORS = "City editors"
ADMINISTRATORS = "Administrators"
WAGTAIL_MODERATORS = "Moderators"  # Wagtail's default group: renamed to Reviewers

WORKFLOW_NAME = "Case and session review"
TASK_NAME = "Review by a reviewer"

PAGE_PERMISSIONS = {
    EDITORS: ["add_page", "change_page", "lock_page", "unlock_page"],
    REVIEWERS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
    ADMINISTRATORS: [
        "add_page",
        "change_page",
        "publish_page",
        "bulk_delete_page",
        "lock_page",
        "unlock_page",
    ],
}
CITY_EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]

_COMMON = [
    ("wagtailadmin", "admin", "access_admin"),
    ("wagtail_localize", "translation", "submit_translation"),
    ("wagtailimages", "image", "add_image"),
    ("wagtailimages", "image", "choose_image"),
    ("wagtaildocs", "document", "add_document"),
    ("wagtaildocs", "document", "choose_document"),
]
_TAXONOMY_EDIT = [
    ("casestudies", "city", "add_city"),
    ("casestudies", "city", "change_city"),
    ("casestudies", "city", "view_city"),
    ("casestudies", "measuretype", "add_measuretype"),
    ("casestudies", "measuretype", "change_measuretype"),
    ("casestudies", "measuretype", "view_measuretype"),
]
_IMPORT = [("editorial", "cityeditor", "import_casestudies")]


def _crud(app_label: str, model: str, actions=("add", "change", "delete", "view")):
    return [(app_label, model, f"{action}_{model}") for action in actions]


MODEL_PERMISSIONS = {
    EDITORS: _COMMON
    + _TAXONOMY_EDIT
    + _IMPORT
    + [("wagtailimages", "image", "change_image"), ("wagtaildocs", "document", "change_document")],
    REVIEWERS: _COMMON
    + _TAXONOMY_EDIT
    + _IMPORT
    + [
        ("casestudies", "city", "delete_city"),
        ("casestudies", "measuretype", "delete_measuretype"),
        ("wagtailimages", "image", "change_image"),
        ("wagtaildocs", "document", "change_document"),
    ],
    CITY_EDITORS: list(_COMMON),
    ADMINISTRATORS: _COMMON
    + _IMPORT
    + _crud("casestudies", "city")
    + _crud("casestudies", "measuretype")
    + _crud("casestudies", "policyarea")
    + _crud("editorial", "cityeditor")
    + _crud("auth", "user", ("add", "change", "delete"))
    + _crud("auth", "group", ("add", "change", "delete"))
    + _crud("wagtailcore", "site", ("add", "change", "delete"))
    + _crud("wagtailcore", "workflow", ("add", "change", "delete"))
    + _crud("wagtailcore", "task", ("add", "change", "delete"))
    + _crud("wagtailcore", "locale", ("add", "change", "delete"))
    + _crud("wagtailcore", "collection", ("add", "change", "delete"))
    + _crud("wagtailredirects", "redirect", ("add", "change", "delete"))
    + _crud("wagtailimages", "image", ("add", "change", "delete", "choose"))
    + _crud("wagtaildocs", "document", ("add", "change", "delete", "choose")),
}

PERMISSION_NAMES = {
    "import_casestudies": "Can import case studies",
    "access_admin": "Can access Wagtail admin",
    "submit_translation": "Can submit translations",
    "choose_image": "Can choose image",
    "choose_document": "Can choose document",
}


def _permission(apps, app_label: str, model: str, codename: str):
    """The Permission row, created (with its content type) when migrations run before post_migrate."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission = Permission.objects.filter(content_type=content_type, codename=codename).first()
    if permission is None:
        action, _, _ = codename.partition("_")
        name = PERMISSION_NAMES.get(codename) or f"Can {action} {model}"
        permission = Permission.objects.create(content_type=content_type, codename=codename, name=name)
    return permission


def _page_permission(apps, codename: str):
    return _permission(apps, "wagtailcore", "page", codename)


def grant_city_editor_permissions(apps, index_page_ids) -> None:
    """City editors may add and change pages beneath each case-study index (and nowhere else)."""
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    group, _ = Group.objects.get_or_create(name=CITY_EDITORS)
    for page_id in index_page_ids:
        for codename in CITY_EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=group, page_id=page_id, permission=_page_permission(apps, codename)
            )


def configure_roles(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")

    # Wagtail's "Moderators" become the Reviewers (keeping their members).
    if not Group.objects.filter(name=REVIEWERS).exists():
        Group.objects.filter(name=WAGTAIL_MODERATORS).update(name=REVIEWERS)

    root = Page.objects.filter(depth=1).order_by("path").first()
    groups = {}
    for name in (EDITORS, REVIEWERS, CITY_EDITORS, ADMINISTRATORS):
        group, _ = Group.objects.get_or_create(name=name)
        groups[name] = group
        wanted = {_permission(apps, *spec).pk for spec in MODEL_PERMISSIONS[name]}
        group.permissions.add(*wanted)
        if root is None:
            continue
        page_codenames = PAGE_PERMISSIONS.get(name, [])
        keep = []
        for codename in page_codenames:
            gpp, _ = GroupPagePermission.objects.get_or_create(
                group=group, page=root, permission=_page_permission(apps, codename)
            )
            keep.append(gpp.pk)
        # The tree-wide rights are exactly these: e.g. publish never stays with Editors.
        GroupPagePermission.objects.filter(group=group, page=root).exclude(pk__in=keep).delete()

    try:
        CaseStudyIndexPage = apps.get_model("casestudies", "CaseStudyIndexPage")
    except LookupError:
        CaseStudyIndexPage = None
    if CaseStudyIndexPage is not None:
        grant_city_editor_permissions(apps, CaseStudyIndexPage.objects.values_list("pk", flat=True))

    if root is not None:
        configure_workflow(apps, root, groups[REVIEWERS])


def configure_workflow(apps, root, reviewers) -> None:
    """One workflow for every page (case studies and summit sessions alike): a reviewer approves."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.set([reviewers])

    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})

    # The root assignment covers every page of every locale; Wagtail's default workflow retires.
    assigned = WorkflowPage.objects.filter(page=root).exclude(workflow=workflow)
    replaced = list(assigned.values_list("workflow_id", flat=True))
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    for workflow_id in replaced:
        if not WorkflowPage.objects.filter(workflow_id=workflow_id).exists():
            Workflow.objects.filter(pk=workflow_id, name="Moderators approval").update(active=False)
