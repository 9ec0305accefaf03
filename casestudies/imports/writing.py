"""Writing a planned import (`write_pages`): new cities and measure types, then each page, created
or given a new revision, published or submitted to its workflow, with search indexing deferred and
done once per batch. Every row was validated before the first write, so the import is all or nothing.

New pages are written in bulk (`_PageWriter.create`) the way Wagtail's own `add_child` +
`save_revision` + `publish` (or workflow start) would leave them, for speed: it uses private Wagtail
APIs (`Page._get_path`, `ReferenceIndex._extract_references_from_object`, ...), so an upgrade of
Wagtail is checked by tests/test_import_writer.py, which compares both ways of writing the same rows.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.admin import signal_handlers as admin_signals
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import (
    COMMENTS_RELATION_NAME,
    AbstractGroupApprovalTask,
    Page,
    PageLogEntry,
    ReferenceIndex,
    Revision,
    Task,
    TaskState,
    WorkflowState,
)
from wagtail.signal_handlers import disable_reference_index_auto_update
from wagtail.signals import page_published, task_submitted, workflow_submitted

from casestudies.models import (
    CaseInspiration,
    CaseOutcome,
    CaseStudyPage,
    CaseStudySource,
    City,
    ImportedCase,
    MeasureType,
    TaggedCaseStudy,
)
from search import indexing

from .. import gazetteer
from ..evidence import strongest
from .plan import ImportPlan, _latest, prepare
from .validation import MAX_SOURCE_TITLE, CleanRow, _native


@dataclass
class ImportResult:
    counts: dict[str, int]
    new_cities: list[str]
    new_measures: list[str]
    page_ids: list[int]
    seconds: float

    def summary(self) -> list[str]:
        lines = [
            _(
                "%(create)d created, %(update)d updated, %(publish)d published, %(unchanged)d unchanged "
                "in %(seconds).1f s."
            )
            % {**self.counts, "seconds": self.seconds}
        ]
        if self.new_cities:
            lines.append(_("New cities: %(names)s.") % {"names": ", ".join(self.new_cities)})
        if self.new_measures:
            lines.append(_("New measure types: %(names)s.") % {"names": ", ".join(self.new_measures)})
        return lines


@contextlib.contextmanager
def deferred_indexing() -> Iterator[indexing.PausedIndexing]:
    """Per-save search and reference indexing off while the import writes; it indexes each batch once.

    Search's own seam (search.indexing.paused) and Wagtail's public switch for the reference index.
    Signals are process-wide: this is meant for the management command and for admin requests
    served one at a time per process (gunicorn's sync workers).
    """
    with indexing.paused(CaseStudyPage) as paused, disable_reference_index_auto_update():
        yield paused


@contextlib.contextmanager
def quiet_workflow_notifications() -> Iterator[None]:
    """No e-mail per submitted page: reviewers find the imported drafts on their dashboard."""
    handlers = [
        (
            task_submitted,
            admin_signals.task_submission_email_notifier,
            TaskState,
            "group_approval_task_submitted_email_notification",
        ),
        (
            workflow_submitted,
            admin_signals.workflow_submission_email_notifier,
            WorkflowState,
            "workflow_state_submitted_email_notification",
        ),
    ]
    removed = [
        (signal, handler, sender, uid)
        for signal, handler, sender, uid in handlers
        if signal.disconnect(sender=sender, dispatch_uid=uid)
    ]
    try:
        yield
    finally:
        for signal, handler, sender, uid in removed:
            signal.connect(handler, sender=sender, dispatch_uid=uid)


def insert_rows(model, objects: list) -> None:
    """INSERT many rows whose primary keys nobody needs back, in one parametrised statement.

    Values go through each field's own `pre_save` and `get_db_prep_save`, as `save()` does;
    only the per-object SQL compilation of `bulk_create` is skipped (a large share of its cost).
    """
    if not objects:
        return
    fields = [
        field for field in model._meta.concrete_fields if not (field.primary_key and field.auto_created)
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values as parameters
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    params = [
        [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _index_references(pages: list, page_type, base_type) -> None:
    """Reference-index rows for new pages, extracted from the in-memory pages (no queries)."""
    rows = []
    for page in pages:
        for to_type_id, to_object_id, model_path, content_path in set(
            ReferenceIndex._extract_references_from_object(page)
        ):
            rows.append(
                ReferenceIndex(
                    content_type=page_type,
                    base_content_type=base_type,
                    object_id=str(page.pk),
                    to_content_type_id=to_type_id,
                    to_object_id=to_object_id,
                    model_path=model_path,
                    content_path=content_path,
                    content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
                )
            )
    insert_rows(ReferenceIndex, rows)


def _resolve_blocks(blocks, images, documents):
    resolved = []
    for kind, value in blocks:
        if kind == "image":
            value = {**value, "image": images[value["image"]]}
        elif kind == "document":
            value = {**value, "document": documents[value["document"]]}
        resolved.append((kind, _native(kind, value)))
    return resolved


def _fill(page, row: CleanRow, cities, measures, images, documents) -> None:
    page.title = row.title
    page.draft_title = row.title
    page.summary = row.summary
    page.city = cities[id(row.city)] if not hasattr(row.city, "pk") else row.city
    page.start_date = row.start_date
    page.end_date = row.end_date
    page.body = _resolve_blocks(row.body, images, documents)
    page.outcomes = row.outcomes
    page.contact_email = row.contact_email
    for name, value in row.extra.items():
        setattr(page, name, value)
    page.policy_areas = list(row.areas)
    page.tagged_measures = [
        TaggedCaseStudy(tag=measures[id(m)] if not hasattr(m, "pk") else m) for m in row.measures
    ]
    _fill_issue16(page, row)
    # Sources: a URL already there keeps its title unless the row gives one.
    titles = {source.url: source.title for source in page.sources.all()} if page.pk else {}
    page.sources = [
        CaseStudySource(title=(title or titles.get(url) or url)[:MAX_SOURCE_TITLE], url=url, sort_order=order)
        for order, (title, url) in enumerate(row.sources)
    ]


def _fill_issue16(page, row: CleanRow) -> None:
    """Graded outcomes, what it takes and (once resolved to pages) inspirations: only the columns
    the file has."""
    if row.evidence is not None:
        page.outcome_evidence = [
            CaseOutcome(sort_order=n, **outcome) for n, outcome in enumerate(row.evidence)
        ]
        page.evidence_level = strongest(outcome["level"] for outcome in row.evidence)
    for column, value in (row.requirements or {}).items():
        setattr(page, column, value)
    sources = getattr(row, "inspiration_pages", None)
    if row.inspirations is not None and sources is not None:
        page.inspired_by = [
            CaseInspiration(source_id=source, note=note, sort_order=n)
            for n, (source, note) in enumerate(sources)
        ]


def _resolve_inspiration_pages(rows: list[CleanRow]) -> None:
    """The page each named case stands for: its page in the row's language, else English, else any."""
    wanted = {tk for row in rows for _key, _note, tk in row.resolved_inspirations}
    if not wanted:
        for row in rows:
            row.inspiration_pages = []
        return
    pages: dict = defaultdict(dict)
    for pk, tk, language in (
        CaseStudyPage.objects.filter(translation_key__in=wanted)
        .order_by("pk")
        .values_list("pk", "translation_key", "locale__language_code")
    ):
        pages[tk].setdefault(language, pk)
    for row in rows:
        found = []
        for _key, note, tk in row.resolved_inspirations:
            by_language = pages.get(tk, {})
            pk = (
                by_language.get(row.locale) or by_language.get("en") or next(iter(by_language.values()), None)
            )
            if pk is not None:
                found.append((pk, note))
        row.inspiration_pages = found


def _link_created_inspirations(rows: list[CleanRow], pages_by_line: dict[int, object]) -> None:
    """New pages name their inspirations once every new page exists: the links, and the same in
    their revision (so that publishing it later keeps them)."""
    _resolve_inspiration_pages(rows)
    links = []
    for row in rows:
        page = pages_by_line.get(row.line)
        if page is None or not row.inspiration_pages:
            continue
        mine = [
            CaseInspiration(page_id=page.pk, source_id=source, note=note, sort_order=n)
            for n, (source, note) in enumerate(row.inspiration_pages)
        ]
        links.extend(mine)
        revision = page.latest_revision
        content = dict(revision.content)
        content["inspired_by"] = [
            {
                "pk": None,
                "page": page.pk,
                "source": link.source_id,
                "note": link.note,
                "sort_order": link.sort_order,
            }
            for link in mine
        ]
        Revision.objects.filter(pk=revision.pk).update(content=content)
    CaseInspiration.objects.bulk_create(links)


BULK_BATCH = 200
# Seconds between two batches on SQLite, for other writers (about 10 % of a batch's time).
WRITER_PAUSE = 0.12


def _undo_creates(plan: ImportPlan, created: list[int]) -> None:
    """Delete what the committed batches of a failed import wrote (SQLite's short transactions):
    the new pages (their revisions, workflow states and relations go with them), their log entries
    and references, and the new cities, measure types and import keys."""
    with transaction.atomic():
        if created:
            ReferenceIndex.objects.filter(
                base_content_type=ContentType.objects.get_for_model(Page),
                object_id__in=[str(pk) for pk in created],
            ).delete()
            Page.objects.filter(pk__in=created).delete()
            PageLogEntry.objects.filter(page_id__in=created).delete()
        ImportedCase.objects.filter(key__in=plan.new_records).delete()
        City.objects.filter(
            pk__in=[c.instance.pk for c in plan.new_cities if c.instance is not None]
        ).delete()
        MeasureType.objects.filter(
            pk__in=[m.instance.pk for m in plan.new_measures if m.instance is not None]
        ).delete()


def write_pages(
    plan: ImportPlan, user=None, progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Write what `plan` says (the one way an import writes): `progress(done, total)` after each
    batch. SQLite: short transactions, undone if one fails; PostgreSQL: one transaction."""
    started = time.monotonic()
    total = len(plan.rows)
    touched: list[int] = []
    counts = {"create": 0, "update": 0, "publish": 0, "unchanged": 0}
    for row in plan.rows:
        counts[row.action] += 1
    image_ids = {v["image"] for row in plan.rows for k, v in row.body if k == "image"}
    document_ids = {v["document"] for row in plan.rows for k, v in row.body if k == "document"}
    images = get_image_model().objects.in_bulk(image_ids)
    documents = get_document_model().objects.in_bulk(document_ids)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    # SQLite lets one connection write at a time: there the new pages are written in short
    # transactions, one batch each, so that a visitor's question or login is written between them
    # rather than waiting (and failing) for the whole import. Every row is validated before the
    # first write, so no bad row can stop it half-way; should a batch fail anyway (a full disk),
    # what the earlier batches wrote is deleted again, so the import stays all or nothing.
    # Updates of existing pages (Wagtail's revision API: revisions, workflows, aliases) could not be
    # undone that way: they are written in one transaction after the new pages, as on PostgreSQL,
    # whose writers do not block visitors' inserts.
    chunked = connection.vendor == "sqlite"
    step = transaction.atomic if chunked else contextlib.nullcontext
    created: list[int] = []

    whole = contextlib.nullcontext() if chunked else transaction.atomic()
    try:
        with whole, deferred_indexing() as paused, quiet_workflow_notifications():
            with step():
                cities = {}
                for new_city in plan.new_cities:
                    # Coordinates from the bundled gazetteer when it knows the place (casestudies.gazetteer).
                    place = gazetteer.lookup([new_city.name, *new_city.aliases.values()], new_city.country)
                    new_city.instance = City.objects.create(
                        name=new_city.name,
                        name_ko="",  # not a guess: listed in the missing-translation report until written
                        slug=new_city.slug,
                        country=new_city.country,
                        continent=new_city.continent,
                        aliases="\n".join(new_city.aliases.values()),
                        latitude=place.latitude if place else None,
                        longitude=place.longitude if place else None,
                        coordinates_source=place.source if place else "",
                    )
                    cities[id(new_city)] = new_city.instance
                for city in City.objects.filter(pk__in=plan.new_aliases):
                    spellings = [*city.alias_list, *plan.new_aliases[city.pk].values()]
                    City.objects.filter(pk=city.pk).update(aliases="\n".join(dict.fromkeys(spellings)))
                measures = {}
                for new_measure in plan.new_measures:
                    new_measure.instance = MeasureType.objects.create(
                        name=new_measure.name, slug=new_measure.slug
                    )
                    measures[id(new_measure)] = new_measure.instance
                ImportedCase.objects.bulk_create(
                    [
                        ImportedCase(key=key, translation_key=plan.translation_keys[key])
                        for key in sorted(plan.new_records)
                    ]
                )
            writer = _PageWriter(plan, user, cities, measures, images, documents)
            unchanged = sum(1 for row in plan.rows if row.action == "unchanged")
            if unchanged:
                advance(unchanged)
            creates = [row for row in plan.rows if row.action == "create"]
            updates = [row for row in plan.rows if row.action in ("update", "publish")]
            for start in range(0, len(creates), BULK_BATCH):
                batch = creates[start : start + BULK_BATCH]
                with step():
                    writer.next_step.clear()  # tree positions from the database: pages may have been added
                    indexed = len(writer.written)
                    ids = writer.create(batch)
                    paused.index(writer.written[indexed:])
                created.extend(ids)
                advance(len(batch))
                if chunked and (start + BULK_BATCH < len(creates) or updates):
                    # A writer waiting for the lock polls it (SQLite's busy handler: every 100 ms at
                    # most): without a pause the next batch would take the lock first, every time.
                    time.sleep(WRITER_PAUSE)
            touched.extend(created)
            linking = [row for row in creates if row.resolved_inspirations]
            if linking:
                with step():
                    _link_created_inspirations(linking, writer.by_line)
            _resolve_inspiration_pages(updates)
            if updates:
                with transaction.atomic():
                    indexed = len(writer.written)
                    for row in updates:
                        touched.append(writer.update(row))
                        advance(1)
                    paused.index(writer.written[indexed:])
    except BaseException:
        if chunked:
            _undo_creates(plan, created)
        raise

    return ImportResult(
        counts=counts,
        new_cities=[str(city) for city in plan.new_cities],
        new_measures=[str(measure) for measure in plan.new_measures],
        page_ids=touched,
        seconds=time.monotonic() - started,
    )


class _PageWriter:
    """Writes the planned pages. New pages are written in batches, the way Wagtail's own
    `add_child` + `save_revision` + `publish` (or workflow start) would leave them: tree path,
    URL path, specific row, relations, first revision, live revision, log entries and the
    `page_published` signal. Existing pages go through Wagtail's revision API, one by one.
    """

    def __init__(self, plan: ImportPlan, user, cities, measures, images, documents):
        self.plan = plan
        self.user = user
        self.cities, self.measures, self.images, self.documents = cities, measures, images, documents
        self.page_type = ContentType.objects.get_for_model(CaseStudyPage)
        self.base_type = ContentType.objects.get_for_model(Page)
        self.next_step: dict[int, int] = {}
        self.workflows: dict[str, object] = {}
        self.written: list = []  # in-memory pages, indexed at the end
        self.by_line: dict[int, object] = {}  # the new pages, by the line of their row

    def _next_path(self, index) -> str:
        if index.pk not in self.next_step:
            last = (
                Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
                .order_by("-path")
                .first()
            )
            self.next_step[index.pk] = last._get_lastpos_in_path() if last else 0
        self.next_step[index.pk] += 1
        return Page._get_path(index.path, index.depth + 1, self.next_step[index.pk])

    def create(self, rows: list[CleanRow]) -> list[int]:
        now = timezone.now()
        publish = self.plan.publish
        pages = []
        per_index: dict[int, int] = defaultdict(int)
        for row in rows:
            index = self.plan.indexes[row.locale]
            page = CaseStudyPage(
                slug=row.slug,
                locale=index.locale,
                translation_key=self.plan.translation_keys[row.key],
                live=publish,
                has_unpublished_changes=not publish,
                owner=self.user,
                path=self._next_path(index),
                depth=index.depth + 1,
                numchild=0,
                url_path=f"{index.url_path}{row.slug}/",
                latest_revision_created_at=now,
                first_published_at=now if publish else None,
                last_published_at=now if publish else None,
            )
            _fill(page, row, self.cities, self.measures, self.images, self.documents)
            self.by_line[row.line] = page
            setattr(page, COMMENTS_RELATION_NAME, [])  # a new page has none: no query for them
            pages.append(page)
            per_index[index.pk] += 1

        # The page rows, then the case-study rows that extend them (multi-table inheritance).
        Page.objects.bulk_create(pages)
        for page in pages:
            page.page_ptr_id = page.id
        CaseStudyPage._base_manager._insert(
            pages, fields=CaseStudyPage._meta.local_concrete_fields, using=Page.objects.db
        )
        for index_pk, count in per_index.items():
            Page.objects.filter(pk=index_pk).update(numchild=F("numchild") + count)

        areas_through = CaseStudyPage.policy_areas.through
        area_links, tags, sources = [], [], []
        for page in pages:
            area_links.extend(
                areas_through(casestudypage_id=page.pk, policyarea_id=a.pk) for a in page.policy_areas.all()
            )
            for tag in page.tagged_measures.all():
                tag.content_object_id = page.pk
                tags.append(tag)
            for source in page.sources.all():
                source.page_id = page.pk
                sources.append(source)
        insert_rows(areas_through, area_links)
        TaggedCaseStudy.objects.bulk_create(tags)
        CaseStudySource.objects.bulk_create(sources)
        outcomes = []
        for page in pages:
            for outcome in page.outcome_evidence.all():
                outcome.page_id = page.pk
                outcomes.append(outcome)
        CaseOutcome.objects.bulk_create(outcomes)

        revisions = [
            Revision(
                content_type=self.page_type,
                base_content_type=self.base_type,
                object_id=str(page.pk),
                user=self.user,
                created_at=now,
                content=page.serializable_data(),
                object_str=str(page),
            )
            for page in pages
        ]
        Revision.objects.bulk_create(revisions)
        for page, revision in zip(pages, revisions, strict=True):
            page.latest_revision = revision
            if publish:
                page.live_revision = revision
        # One parametrised statement for the batch (bulk_update's CASE expressions cost more).
        meta = Page._meta
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {meta.db_table} SET {meta.get_field('latest_revision').column} = %s, "  # noqa: S608
                f"{meta.get_field('live_revision').column} = %s WHERE {meta.pk.column} = %s",
                [(page.latest_revision_id, page.live_revision_id, page.pk) for page in pages],
            )

        entries = []
        for page, revision in zip(pages, revisions, strict=True):
            entries.append(self._log(page, "wagtail.create", now, None))
            if publish:
                entries.append(self._log(page, "wagtail.publish", now, revision))
        insert_rows(PageLogEntry, entries)

        _index_references(pages, self.page_type, self.base_type)
        if publish:
            for page, revision in zip(pages, revisions, strict=True):
                page_published.send(sender=CaseStudyPage, instance=page, revision=revision)
        else:
            self._start_workflows(pages, revisions, now)
        self.written.extend(pages)
        return [page.pk for page in pages]

    def _start_workflows(self, pages, revisions, now) -> None:
        """New drafts enter their workflow, in bulk when its first task is a plain approval task
        (what `Workflow.start` would write: state, task state, signals, log entry)."""
        by_workflow: dict[int, list] = defaultdict(list)
        workflows = {}
        for page, revision in zip(pages, revisions, strict=True):
            parent_path = page.path[: -page.steplen]
            if parent_path not in self.workflows:
                self.workflows[parent_path] = page.get_workflow()
            workflow = self.workflows[parent_path]
            if workflow is not None:
                workflows[workflow.pk] = workflow
                by_workflow[workflow.pk].append((page, revision))
        for workflow_pk, items in by_workflow.items():
            workflow = workflows[workflow_pk]
            task = workflow.tasks.filter(active=True).first()
            task = task.specific if task is not None else None
            # A group approval task only differs from Task.start for locked objects (new pages are not).
            if task is None or type(task).start not in (Task.start, AbstractGroupApprovalTask.start):
                for page, _revision in items:  # no task, or one with its own start: Wagtail's way
                    workflow.start(page, self.user)
                continue
            state_class = task.get_task_state_class()
            states = [
                WorkflowState(
                    content_type=self.page_type,
                    base_content_type=self.base_type,
                    object_id=str(page.pk),
                    workflow=workflow,
                    status=WorkflowState.STATUS_IN_PROGRESS,
                    requested_by=self.user,
                )
                for page, _revision in items
            ]
            WorkflowState.objects.bulk_create(states)
            task_states = [
                state_class(
                    workflow_state=state,
                    revision=revision,
                    task=task,
                    status=TaskState.STATUS_IN_PROGRESS,
                    content_type=ContentType.objects.get_for_model(state_class),
                )
                for state, (_page, revision) in zip(states, items, strict=True)
            ]
            state_class.objects.bulk_create(task_states)
            meta = WorkflowState._meta
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {meta.db_table} SET {meta.get_field('current_task_state').column} = %s "  # noqa: S608
                    f"WHERE {meta.pk.column} = %s",
                    [
                        (task_state.pk, state.pk)
                        for state, task_state in zip(states, task_states, strict=True)
                    ],
                )
            entries = []
            for state, task_state, (page, revision) in zip(states, task_states, items, strict=True):
                state.current_task_state = task_state
                task_submitted.send(sender=state_class, instance=task_state, user=self.user)
                workflow_submitted.send(sender=WorkflowState, instance=state, user=self.user)
                entry = self._log(page, "wagtail.workflow.start", now, revision)
                entry.content_changed = False
                entry.data = {
                    "workflow": {
                        "id": workflow.pk,
                        "title": workflow.name,
                        "status": state.status,
                        "next": {"id": task.pk, "title": task.name},
                        "task_state_id": task_state.pk,
                    }
                }
                entries.append(entry)
            insert_rows(PageLogEntry, entries)

    def _log(self, page, action: str, now, revision):
        return PageLogEntry(
            content_type=self.page_type,
            label=page.title,
            action=action,
            timestamp=now,
            data={},
            user=self.user,
            page_id=page.pk,
            revision=revision,
            content_changed=True,
            uuid=uuid.uuid4(),
        )

    def update(self, row: CleanRow) -> int:
        if row.page.alias_of_id:
            # An alias (a copy kept in sync with its original) becomes a page of its own.
            ConvertAliasPageAction(row.page, user=self.user).execute(skip_permission_checks=True)
            row.page = CaseStudyPage.objects.select_related("latest_revision").get(pk=row.page.pk)
        page = _latest(row.page)
        if row.action == "update":
            _fill(page, row, self.cities, self.measures, self.images, self.documents)
            revision = page.save_revision(user=self.user, clean=False, log_action=True)
        else:
            revision = page.latest_revision or page.save_revision(user=self.user, clean=False)
        if self.plan.publish:
            revision.publish(user=self.user, skip_permission_checks=True)
            # The live content changed: its references too (drafts leave them as they are).
            ReferenceIndex.create_or_update_for_object(page)
        elif row.action == "update":
            _submit(page, self.user, self.workflows, existing=True)
        # Indexed as stored: for a draft, the page row still holds the live content.
        self.written.append(CaseStudyPage.objects.select_related("city").get(pk=page.pk))
        return page.pk


def _submit(page, user, workflows, existing: bool) -> None:
    """A draft enters the review workflow (a running one restarts on the new revision)."""
    parent_path = page.path[: -page.steplen]
    if parent_path not in workflows:
        workflows[parent_path] = page.get_workflow()
    workflow = workflows[parent_path]
    if workflow is None:
        return
    if existing:
        current = page.current_workflow_state
        if current is not None:
            current.cancel(user=user)
    workflow.start(page, user)


def import_file(
    data: bytes,
    fmt: str,
    publish: bool = False,
    dry_run: bool = False,
    user=None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportPlan, ImportResult | None]:
    plan = prepare(data, fmt, publish=publish)
    if dry_run:
        return plan, None
    return plan, write_pages(plan, user=user, progress=progress)
