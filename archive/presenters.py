"""What the session page and the case page show: players, chapters and the links both ways."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from casestudies.visibility import public_now
from ops.i18n import current_language

from .utils import format_offset, parse_offset


def localized_live(model, pages, language: str | None = None) -> dict:
    """translation_key -> the live, public translation in the visitor's language (others dropped)."""
    keys = {page.translation_key for page in pages if page is not None}
    if not keys:
        return {}
    language = language or current_language()
    found = public_now(
        model.objects.filter(translation_key__in=keys, locale__language_code=language)
    ).select_related("locale")
    return {page.translation_key: page for page in found}


@dataclass
class Moment:
    chapter: object
    url: str  # relative to the session page: "?t=3730&rec=en#player-en"
    label: str  # "1:02:10"
    language: str
    language_label: str
    case: object | None = None


@dataclass
class Player:
    recording: object
    language: str
    language_label: str
    anchor: str
    start: int
    embed_url: str
    watch_url: str
    moments: list[Moment] = field(default_factory=list)


@dataclass
class RelatedCase:
    case: object
    direct: bool = False
    moments: list[Moment] = field(default_factory=list)


def _requested_start(request) -> tuple[int | None, str | None]:
    """?t= (seconds, h:m:s or 1h02m10s) and ?rec= (en|ko); bad values are ignored."""
    try:
        start = parse_offset(request.GET.get("t"))
    except ValueError:
        start = None
    rec = request.GET.get("rec")
    return start, rec if rec in {"en", "ko"} else None


def session_context(session, request) -> dict:
    from casestudies.models import CaseStudyPage

    language = current_language()
    start, start_language = _requested_start(request)

    recordings = sorted(
        session.available_recordings, key=lambda r: (r.language != language, r.sort_order or 0)
    )
    playable = {recording.language for recording in recordings}
    chapters = sorted(
        (chapter for chapter in session.chapters.all() if chapter.language in playable),
        key=lambda chapter: (chapter.language, chapter.offset or 0),
    )
    related = list(session.related_cases.all())
    cases = localized_live(
        CaseStudyPage, [c.case_study for c in chapters if c.case_study_id] + related, language
    )

    moments_by_language: dict[str, list[Moment]] = {}
    for chapter in chapters:
        case = cases.get(chapter.case_study.translation_key) if chapter.case_study_id else None
        moment = Moment(
            chapter=chapter,
            url=chapter.link_query,
            label=format_offset(chapter.offset or 0),
            language=chapter.language,
            language_label=chapter.get_language_display(),
            case=case,
        )
        moments_by_language.setdefault(chapter.language, []).append(moment)

    players = []
    for recording in recordings:
        offset = start if start is not None and start_language in (None, recording.language) else 0
        if recording.duration and offset > recording.duration:
            offset = 0
        players.append(
            Player(
                recording=recording,
                language=recording.language,
                language_label=recording.get_language_display(),
                anchor=f"player-{recording.language}",
                start=offset,
                embed_url=recording.embed_url(offset),
                watch_url=recording.watch_url(offset),
                moments=moments_by_language.get(recording.language, []),
            )
        )

    related_cases: dict[str, RelatedCase] = {}
    for case in related:
        target = cases.get(case.translation_key)
        if target is not None:
            related_cases.setdefault(str(target.translation_key), RelatedCase(case=target)).direct = True
    for player in players:
        for moment in player.moments:
            if moment.case is not None:
                entry = related_cases.setdefault(
                    str(moment.case.translation_key), RelatedCase(case=moment.case)
                )
                entry.moments.append(moment)

    summit = session.summit
    return {
        "summit": summit,
        "players": players,
        "related_case_entries": list(related_cases.values()),
        "speakers": list(session.speakers.all()),
        "attachments": list(session.attachments.all()),
        "calendar_url": f"{session.url}calendar/" if session.url else "",
        "zone_name": session.time_zone,
        "zone_abbreviation": session.local_start.strftime("%Z") if session.start else "",
    }


def sessions_for_case(case, language: str | None = None) -> list[dict]:
    """Live, public sessions (in the visitor's language) that discussed a case, with the exact moments."""
    from wagtail.models import Page

    from .models import SessionChapter, SessionPage

    if case is None or not getattr(case, "translation_key", None):
        return []
    language = language or current_language()
    key = case.translation_key
    # Two indexed lookups (the case's language versions -> links to them) rather than one OR over
    # both joins, which PostgreSQL answers by walking every session's every related case.
    case_ids = Page.objects.filter(translation_key=key).values("pk")
    directly = SessionPage.related_cases.through.objects.filter(casestudypage_id__in=case_ids)
    in_chapters = SessionChapter.objects.filter(case_study_id__in=case_ids)
    session_keys = set(
        SessionPage.objects.filter(
            Q(pk__in=directly.values("sessionpage_id")) | Q(pk__in=in_chapters.values("page_id"))
        ).values_list("translation_key", flat=True)
    )
    if not session_keys:
        return []
    sessions = list(
        public_now(
            SessionPage.objects.filter(translation_key__in=session_keys, locale__language_code=language)
        ).order_by("start", "path")
    )
    chapters = list(
        SessionChapter.objects.filter(
            case_study__translation_key=key, page__translation_key__in=session_keys
        ).select_related("page")
    )
    results = []
    for session in sessions:
        playable = {recording.language for recording in session.available_recordings}
        own = [c for c in chapters if c.page_id == session.pk]
        # A translation without the chapter still leads to the moment, in its own recordings.
        chosen = own or [c for c in chapters if c.page.translation_key == session.translation_key]
        seen = set()
        moments = []
        for chapter in sorted(chosen, key=lambda c: (c.language, c.offset or 0)):
            if chapter.language not in playable or (chapter.language, chapter.offset) in seen:
                continue
            seen.add((chapter.language, chapter.offset))
            moments.append(
                Moment(
                    chapter=chapter,
                    url=f"{session.url}{chapter.link_query}",
                    label=format_offset(chapter.offset or 0),
                    language=chapter.language,
                    language_label=chapter.get_language_display(),
                    case=case,
                )
            )
        results.append({"session": session, "moments": moments})
    return results
