"""The bulk page writer (casestudies.imports.writing) writes what Wagtail's own way writes.

The importer writes new pages in batches, with private Wagtail APIs (tree paths, reference
extraction, a raw INSERT of the specific rows), for speed. This test is the seam's guard: the same
rows are written once by `write_pages` and once the plain Wagtail way (`parent.add_child`,
`page.save_revision`, `revision.publish`, as the admin's "Publish" of a new page does; for drafts,
`Workflow.start` as its "Submit for moderation" does), each inside a savepoint rolled back
afterwards, and what each left behind is compared: the tree, the page row, the revision, the log
entries, the workflow state, the page_published signal, the reference index and the site search. A
Wagtail upgrade that changes what a new page needs fails here, not on the live site.
"""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django_tasks import default_task_backend

from django.db import transaction

from wagtail.blocks import StreamValue
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision, TaskState, WorkflowState
from wagtail.rich_text import RichText
from wagtail.signals import page_published
from wagtail.tasks import update_reference_index_task

from casestudies.exporter import COLUMNS
from casestudies.factories import CityFactory
from casestudies.imports import ImportPlan, prepare, write_pages
from casestudies.models import CaseStudyPage, CaseStudySource, TaggedCaseStudy
from search import service
from search.types import SearchRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(en_index, ko_index, django_user_model, settings):
    """Both case indexes, two known cities and an editor; search answered by the database index,
    written in the transaction (Elasticsearch is told after a commit, which a savepoint never is)."""
    settings.CAC_SEARCH_BACKEND = "database"  # the service picks its backend again (setting_changed)
    CityFactory(name="Seoul", name_ko="서울", slug="seoul", country="KR", continent="asia")
    CityFactory(name="Busan", name_ko="부산", slug="busan", country="KR", continent="asia")
    user = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    return {"en": en_index, "ko": ko_index, "user": user}


def rows(en_index) -> bytes:
    """Two cases, the first also in Korean: areas, measure types, sources, a city, a page link."""
    base = {column: "" for column in COLUMNS}
    cases = [
        {
            **base,
            "key": "seoul-masks",
            "locale": "en",
            "title": "Public mask distribution",
            "summary": "Masks for every resident through pharmacies.",
            "city": "Seoul",
            "policy_areas": "quarantine; welfare",
            "measure_types": "Mask distribution; Contact tracing",
            "start_date": "2020-03-09",
            "end_date": "2020-07-12",
            "body": f"## How it worked\n\nPharmacies sold two masks a week ([all cases](page:{en_index.pk})).",
            "outcomes": "- Queues were gone within **two weeks**.",
            "source_urls": "[City of Seoul](https://example.org/masks); https://example.org/masks-2",
            "contact_email": "masks@seoul.go.kr",
        },
        {
            **base,
            "key": "seoul-masks",
            "locale": "ko",
            "title": "공적 마스크 공급",
            "summary": "약국을 통해 모든 시민에게 마스크를 공급했다.",
            "body": "약국은 일주일에 두 장씩 마스크를 판매했다.",
        },
        {
            **base,
            "key": "busan-tracing",
            "locale": "en",
            "title": "Contact tracing by text message",
            "summary": "Residents near a case were told by text message.",
            "city": "Busan",
            "policy_areas": "quarantine",
            "measure_types": "Contact tracing",
            "start_date": "2020-02-24",
            "body": "Messages went out within the hour.",
            "source_urls": "https://example.org/busan",
        },
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(cases)
    return out.getvalue().encode()


def write_the_wagtail_way(plan: ImportPlan, user) -> None:
    """What an editor's "Publish" (or, for drafts, "Submit for moderation") of a new page writes
    (wagtail.admin.views.pages.create), page by page, with the values the plan read from the rows.
    Wagtail updates the reference index in a
    background task (the worker on the site; tests record tasks without running them): run here
    as the worker would."""
    enqueued = len(default_task_backend.results)
    for row in plan.rows:
        index = plan.indexes[row.locale]
        page = CaseStudyPage(
            title=row.title,
            draft_title=row.title,
            slug=row.slug,
            locale=index.locale,
            translation_key=plan.translation_keys[row.key],
            owner=user,
            summary=row.summary,
            city=row.city,
            start_date=row.start_date,
            end_date=row.end_date,
            body=[(kind, RichText(value) if kind == "paragraph" else value) for kind, value in row.body],
            outcomes=row.outcomes,
            contact_email=row.contact_email,
        )
        page.policy_areas = list(row.areas)
        page.tagged_measures = [TaggedCaseStudy(tag=measure) for measure in row.measures]
        page.sources = [
            CaseStudySource(title=title or url, url=url, sort_order=order)
            for order, (title, url) in enumerate(row.sources)
        ]
        if plan.publish:
            index.add_child(instance=page)
            revision = page.save_revision(user=user)
            revision.publish(user=user)
        else:
            page.live = False
            index.add_child(instance=page)
            page.save_revision(user=user, log_action=True)
            page.get_workflow().start(page, user)
    for result in default_task_backend.results[enqueued:]:
        if result.task.func is update_reference_index_task.func:
            result.task.call(*result.args, **result.kwargs)


class _RollBack(Exception):
    """Leaves the savepoint of one way of writing, so that the other starts from the same site."""


def written(write, site, publish: bool) -> dict:
    """Prepare the rows, write them with `write`, and describe what was written; then undo it."""
    description: dict = {}
    try:
        with transaction.atomic():
            plan = prepare(rows(site["en"]), "csv", publish=publish)
            assert plan.counts["create"] == 3 and not plan.new_cities and not plan.new_measures
            published: list[tuple] = []  # what page_published told its receivers (the page cache's, search's)

            def on_published(sender, instance, revision=None, **kwargs):
                published.append((sender.__name__, instance.pk, revision.pk if revision else None))

            page_published.connect(on_published, weak=False)
            try:
                write(plan, site["user"])
            finally:
                page_published.disconnect(on_published)
            description = describe(plan, site["user"], published)
            raise _RollBack
    except _RollBack:
        pass
    assert not CaseStudyPage.objects.exists()
    return description


# Fields a revision's content holds that Wagtail does not take back from it, and that differ: the
# bulk writer stores the page as written (published: times set; draft: has_unpublished_changes), Wagtail
# the page before publishing or before marking it changed. `Page.with_content_json` keeps the page's
# own has_unpublished_changes and latest_revision_created_at, takes first_published_at only when the
# page has none, and publishing sets last_published_at.
NOT_RESTORED = (
    "first_published_at",
    "last_published_at",
    "latest_revision_created_at",
    "has_unpublished_changes",
)


class Names:
    """The two ways of writing give pages, child rows and blocks other ids, and each plan its own
    translation keys, and they run at different moments: what they wrote is compared with pages
    named by (language, slug), cases by key, blocks by position and times as set or not."""

    def __init__(self, plan: ImportPlan, pages: dict[int, CaseStudyPage]):
        self.pages = {pk: (page.locale.language_code, page.slug) for pk, page in pages.items()}
        self.pages.update({index.pk: (code, "index") for code, index in plan.indexes.items()})
        self.cases = {str(tk): key for key, tk in plan.translation_keys.items()}

    def page(self, pk):
        return self.pages.get(pk, pk)

    @staticmethod
    def time(value) -> str | None:
        return None if value is None else "set"

    def column(self, field: str, value):
        """A value of the page's row."""
        if isinstance(value, datetime.datetime):
            return self.time(value)
        if field in ("id", "page_ptr_id"):
            return self.page(value)
        if field == "translation_key":
            return self.cases[str(value)]
        if isinstance(value, StreamValue):
            return [(block.block_type, block.block.get_prep_value(block.value)) for block in value]
        return value

    def content(self, value, key: str = ""):
        """A revision's content (JSON): child rows' own ids and the body's block ids left out."""
        if isinstance(value, dict):
            left_out = ("pk", "id", *NOT_RESTORED)
            return {k: self.content(v, k) for k, v in value.items() if k not in left_out}
        if isinstance(value, list):
            return [self.content(item) for item in value]
        if key.endswith("_at"):
            return self.time(value)
        if key in ("latest_revision", "live_revision"):
            return None if value is None else "set"
        if key in ("page", "page_ptr", "content_object"):
            return self.page(value)
        if key == "task_state_id":  # in a workflow log entry's data
            return None if value is None else "set"
        if key == "translation_key":
            return self.cases[value]
        if key == "body":
            return self.content(json.loads(value))
        return value

    def reference(self, ref: ReferenceIndex, page: CaseStudyPage) -> tuple:
        """A reference-index row of the page: a page it points to by name; its place in the page
        with a block by position and a child row (a measure type's tag) without its id."""
        is_page = issubclass(ref.to_content_type.model_class(), Page)
        blocks = {block.id: f"block {n}" for n, block in enumerate(page.body)}
        place = (blocks.get(part, "row" if part.isdigit() else part) for part in ref.content_path.split("."))
        return (
            ref.content_type_id,
            ref.to_content_type_id,
            self.page(int(ref.to_object_id)) if is_page else ref.to_object_id,
            ref.model_path,
            ".".join(place),
        )


def describe(plan: ImportPlan, user, published: list[tuple]) -> dict:
    """What the import left in the database and the search index."""
    pages = {
        page.pk: page
        for page in CaseStudyPage.objects.filter(translation_key__in=plan.translation_keys.values())
    }
    names = Names(plan, pages)
    found: dict = {
        "tree problems": Page.find_problems(),
        "index numchild": {
            code: Page.objects.get(pk=index.pk).numchild for code, index in plan.indexes.items()
        },
    }
    for pk, page in pages.items():
        page_row = CaseStudyPage.objects.filter(pk=pk).values().get()
        found[names.page(pk)] = {
            "tree": {
                "depth": page.depth,
                "path length": len(page.path),
                "parent": names.page(page.get_parent().pk),
                "url_path": page.url_path,
                "url": page.get_url(),
            },
            "page row": {
                field: names.column(field, value)
                for field, value in page_row.items()
                if field not in ("path", "latest_revision_id", "live_revision_id")
            },
            "revisions": [
                {
                    "user": revision.user_id == user.pk,
                    "is latest": revision.pk == page.latest_revision_id,
                    "is live": revision.pk == page.live_revision_id,
                    "content": names.content(revision.content),
                }
                for revision in Revision.page_revisions.filter(object_id=str(pk))
            ],
            "log entries": [
                (
                    entry.action,
                    entry.user_id == user.pk,
                    entry.label,
                    entry.content_changed,
                    names.content(entry.data),
                    entry.revision_id == page.live_revision_id if entry.revision_id else None,
                )
                for entry in PageLogEntry.objects.filter(page_id=pk).order_by("timestamp", "pk")
            ],
            "workflow": [
                (
                    state.workflow.name,
                    state.status,
                    state.requested_by_id == user.pk,
                    state.current_task_state.task.name,
                    type(state.current_task_state.specific).__name__,
                    state.current_task_state.status,
                    state.current_task_state.revision_id == page.latest_revision_id,
                    TaskState.objects.filter(workflow_state=state).count(),
                )
                for state in WorkflowState.objects.filter(base_content_type__model="page", object_id=str(pk))
            ],
            "page_published": [
                (sender, revision == page.live_revision_id)
                for sender, pk_sent, revision in published
                if pk_sent == pk
            ],
            "references": sorted(
                names.reference(ref, page)
                for ref in ReferenceIndex.objects.filter(object_id=str(pk), base_content_type__model="page")
            ),
            "relations": {
                "areas": sorted(area.slug for area in page.policy_areas.all()),
                "measures": sorted(measure.slug for measure in page.measure_types.all()),
                "sources": [(s.title, s.url, s.sort_order) for s in page.sources.all()],
            },
            "search": [
                (names.page(hit.page_id), hit.title, hit.url, hit.city, hit.policy_areas, hit.measure_types)
                for hit in service.search(
                    SearchRequest(language=page.locale.language_code, query=page.title)
                ).hits
            ],
        }
    return found


def compare(bulk: dict, plain: dict) -> None:
    assert set(bulk) == set(plain)
    for key in plain:
        if isinstance(key, tuple):
            for part in plain[key]:
                assert bulk[key][part] == plain[key][part], (key, part)
        assert bulk[key] == plain[key], key


def test_published_pages_are_written_as_wagtail_writes_them(site):
    bulk = written(lambda plan, user: write_pages(plan, user=user), site, publish=True)
    plain = written(write_the_wagtail_way, site, publish=True)
    compare(bulk, plain)
    # And what both wrote is what a published page needs (so that the comparison is not empty).
    seoul = plain[("ko", "seoul-masks")]
    assert seoul["tree"]["url_path"].endswith("/seoul-masks/") and seoul["tree"]["depth"] == 4
    assert seoul["page row"]["live"] and not seoul["page row"]["has_unpublished_changes"]
    assert seoul["page row"]["first_published_at"] == "set"
    assert len(seoul["revisions"]) == 1 and seoul["revisions"][0]["is live"]
    assert [entry[0] for entry in seoul["log entries"]] == ["wagtail.create", "wagtail.publish"]
    assert seoul["page_published"] == [("CaseStudyPage", True)] and seoul["workflow"] == []
    assert seoul["search"][0][0] == ("ko", "seoul-masks")
    assert plain["index numchild"] == {"en": 2, "ko": 1}
    english = plain[("en", "seoul-masks")]
    assert any(ref[2] == ("en", "index") for ref in english["references"])  # the body's page link
    assert english["relations"]["measures"] == ["contact-tracing", "mask-distribution"]
    assert english["relations"]["sources"][0][:2] == ("City of Seoul", "https://example.org/masks")


def test_drafts_enter_their_workflow_as_wagtail_submits_them(site):
    """Drafts: the bulk workflow start (writing._PageWriter._start_workflows) against the admin's
    "Submit for moderation" of a new page."""
    bulk = written(lambda plan, user: write_pages(plan, user=user), site, publish=False)
    plain = written(write_the_wagtail_way, site, publish=False)
    # The one difference: the admin's submit also logs its first revision as an edit
    # (`save_revision(log_action=True)`); the import logs the creation and the workflow start only.
    for key in plain:
        if isinstance(key, tuple):
            actions = [entry[0] for entry in plain[key]["log entries"]]
            assert actions == ["wagtail.create", "wagtail.edit", "wagtail.workflow.start"], key
            del plain[key]["log entries"][1]
    compare(bulk, plain)
    seoul = plain[("ko", "seoul-masks")]
    assert not seoul["page row"]["live"] and seoul["page row"]["has_unpublished_changes"]
    assert seoul["page row"]["first_published_at"] is None
    assert len(seoul["revisions"]) == 1 and seoul["revisions"][0]["is latest"]
    assert not seoul["revisions"][0]["is live"]
    ((workflow, status, requested_by_user, task, _kind, task_status, on_revision, tasks),) = seoul["workflow"]
    assert (status, task_status, requested_by_user, on_revision, tasks) == (
        "in_progress",
        "in_progress",
        True,
        True,
        1,
    )
    assert seoul["page_published"] == [] and seoul["search"] == []
