"""Archive admin: bad session input is a form error (never a crash), and times are typed in the summit's zone."""

import datetime

import pytest

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from archive.models import SessionPage, SummitPage
from archive.utils import format_offset, offset_fragment, parse_offset, parse_youtube_id
from casestudies.factories import CaseStudyPageFactory, index_page
from casestudies.models import PolicyArea

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


# --- pure helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s",
        "http://youtube.com/watch?v=dQw4w9WgXcQ",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?t=10",
        "youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=5",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "  dQw4w9WgXcQ  ",
    ],
)
def test_youtube_ids_and_urls_parse_to_the_id(value):
    assert parse_youtube_id(value) == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "value",
    [
        "dQw4w9WgXc",  # 10 characters
        "dQw4w9WgXcQQ",  # 12
        "dQw4w9WgX!Q",
        "https://vimeo.com/123456789",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/channel/UC123",
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)//youtu.be/dQw4w9WgXcQ",
        "ftp://youtu.be/dQw4w9WgXcQ",
    ],
)
def test_malformed_youtube_values_are_rejected(value):
    with pytest.raises(ValueError):
        parse_youtube_id(value)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3730", 3730),
        ("1:02:10", 3730),
        ("62:10", 3730),
        ("1h02m10s", 3730),
        ("62m10s", 3730),
        ("90s", 90),
        ("2m", 120),
        ("0", 0),
        (45, 45),
        ("", None),
        (None, None),
    ],
)
def test_offsets_parse(value, seconds):
    assert parse_offset(value) == seconds


@pytest.mark.parametrize("value", ["1:60", "abc", "-5", "1:2:3:4", "h", "1.5", str(101 * 3600)])
def test_bad_offsets_are_rejected(value):
    with pytest.raises(ValueError):
        parse_offset(value)


def test_offset_formats():
    assert format_offset(3730) == "1:02:10"
    assert format_offset(125) == "2:05"
    assert offset_fragment(3730) == "1h02m10s"
    assert offset_fragment(125) == "2m05s"
    assert offset_fragment(7) == "7s"


# --- admin forms -----------------------------------------------------------------------------
@pytest.fixture
def summit(db):
    from home.models import HomePage

    page = SummitPage(
        title="Test summit",
        slug="test-summit",
        name="Test summit 2020",
        start_date=datetime.date(2020, 6, 1),
        end_date=datetime.date(2020, 6, 5),
        time_zone="Asia/Seoul",
    )
    HomePage.objects.get(locale__language_code="en").add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("archivist", "archivist@example.org", "pw")
    client.force_login(user)
    return client


def quarantine_pk():
    return PolicyArea.objects.get(slug="quarantine", locale__language_code="en").pk


def session_form(recordings=(), chapters=(), **overrides):
    data = {
        "title": "Discussion on Quarantine Measures",
        "slug": "quarantine",
        "kind": "discussion",
        "policy_area": quarantine_pk(),
        "start": "2020-06-03 13:00",
        "end": "2020-06-03 14:30",
        "topic": "Sharing quarantine measures",
        "description": rich_text(""),
        "department": "Citizens' Health Bureau",
        "speakers": inline_formset([]),
        "recordings": inline_formset(list(recordings)),
        "chapters": inline_formset(list(chapters)),
        "attachments": inline_formset([]),
        "notes": "",
    }
    multi = {key: overrides.pop(key) for key in ("countries", "cities", "related_cases") if key in overrides}
    data.update(overrides)
    form = nested_form_data(data)
    # Multiple choices post lists: nested_form_data would flatten them into numbered keys.
    for key, value in multi.items():
        form[key] = value
    return form


def bound_form(summit, data, instance=None):
    form_class = SessionPage.get_edit_handler().get_form_class()
    return form_class(data, instance=instance or SessionPage(), parent_page=summit)


def recording(language="en", video_id="dQw4w9WgXcQ", duration="1:30:00"):
    return {"language": language, "video_id": video_id, "duration": duration}


def chapter(language="en", offset="10:00", title="A moment", case_study=""):
    return {"language": language, "offset": offset, "title": title, "case_study": case_study}


def child_errors(form, relation):
    return [f.errors for f in form.formsets[relation].forms]


def test_valid_session_form_reads_times_in_the_summit_zone(summit):
    form = bound_form(
        summit,
        session_form(
            recordings=[recording(video_id="https://youtu.be/dQw4w9WgXcQ", duration="1:30:00")],
            chapters=[chapter(offset="1:02:10")],
            countries=["US", "CN"],
        ),
    )
    assert form.is_valid(), (form.errors, child_errors(form, "recordings"), child_errors(form, "chapters"))
    # 13:00 in Seoul, whatever the editor's admin time zone (UTC here), is 04:00 UTC.
    assert form.cleaned_data["start"] == datetime.datetime(2020, 6, 3, 4, 0, tzinfo=UTC)
    assert form.formsets["recordings"].forms[0].cleaned_data["video_id"] == "dQw4w9WgXcQ"
    assert form.formsets["recordings"].forms[0].cleaned_data["duration"] == 5400
    assert form.formsets["chapters"].forms[0].cleaned_data["offset"] == 3730


def test_edit_form_shows_stored_utc_times_in_the_summit_zone(summit):
    session = SessionPage(
        title="Welfare",
        slug="welfare",
        kind="forum",
        start=datetime.datetime(2020, 6, 4, 9, 0, tzinfo=UTC),
        end=datetime.datetime(2020, 6, 4, 10, 30, tzinfo=UTC),
    )
    summit.add_child(instance=session)
    form_class = SessionPage.get_edit_handler().get_form_class()
    form = form_class(instance=session, parent_page=summit)
    assert "18:00" in form["start"].value().strftime("%H:%M")
    assert "Asia/Seoul" in str(form.fields["start"].help_text)


def test_end_before_start_is_a_form_error(summit):
    form = bound_form(summit, session_form(start="2020-06-03 14:30", end="2020-06-03 13:00"))
    assert not form.is_valid()
    assert "end" in form.errors


def test_end_equal_to_start_is_a_form_error(summit):
    form = bound_form(summit, session_form(start="2020-06-03 14:30", end="2020-06-03 14:30"))
    assert not form.is_valid()
    assert "end" in form.errors


def test_discussion_needs_a_policy_area(summit):
    form = bound_form(summit, session_form(policy_area=""))
    assert not form.is_valid()
    assert "policy_area" in form.errors
    # Other kinds may have none.
    assert bound_form(summit, session_form(policy_area="", kind="forum")).is_valid()


@pytest.mark.parametrize(
    "video_id",
    ["https://vimeo.com/76979871", "not a video", "dQw4w9WgXc", "https://www.youtube.com/watch?v=abc"],
)
def test_malformed_video_url_or_id_is_a_form_error(summit, video_id):
    form = bound_form(summit, session_form(recordings=[recording(video_id=video_id)]))
    assert not form.is_valid()
    assert "video_id" in form.formsets["recordings"].forms[0].errors


def test_bad_duration_is_a_form_error(summit):
    form = bound_form(summit, session_form(recordings=[recording(duration="ninety minutes")]))
    assert not form.is_valid()
    assert "duration" in form.formsets["recordings"].forms[0].errors


def test_chapter_beyond_the_recording_is_a_form_error(summit):
    form = bound_form(
        summit,
        session_form(recordings=[recording(duration="1:30:00")], chapters=[chapter(offset="1:30:01")]),
    )
    assert not form.is_valid()
    errors = form.formsets["chapters"].forms[0].errors
    assert "offset" in errors
    assert "1:30:01" in str(errors["offset"]) and "1:30:00" in str(errors["offset"])
    # At the very end is fine; without a known duration any offset is accepted.
    assert bound_form(
        summit, session_form(recordings=[recording(duration="5400")], chapters=[chapter(offset="1:30:00")])
    ).is_valid()
    assert bound_form(
        summit, session_form(recordings=[recording(duration="")], chapters=[chapter(offset="5:00:00")])
    ).is_valid()


def test_chapter_needs_a_recording_in_its_language(summit):
    form = bound_form(summit, session_form(recordings=[recording("en")], chapters=[chapter(language="ko")]))
    assert not form.is_valid()
    assert "language" in form.formsets["chapters"].forms[0].errors


def test_one_recording_per_language(summit):
    form = bound_form(summit, session_form(recordings=[recording("en"), recording("en", "M7lc1UVf-VE")]))
    assert not form.is_valid()
    assert "language" in form.formsets["recordings"].forms[1].errors


def test_deleted_rows_are_not_checked(summit):
    duplicate = dict(recording("en", "M7lc1UVf-VE"), DELETE="on")
    form = bound_form(summit, session_form(recordings=[recording("en"), duplicate]))
    assert form.is_valid(), child_errors(form, "recordings")


def test_chapter_pointing_at_a_draft_case_is_a_form_error(summit):
    index_page("en")
    draft = CaseStudyPageFactory(title="Unfinished case")
    draft.unpublish()
    live = CaseStudyPageFactory(title="Published case")
    form = bound_form(summit, session_form(recordings=[recording()], chapters=[chapter(case_study=draft.pk)]))
    assert not form.is_valid()
    assert "case_study" in form.formsets["chapters"].forms[0].errors
    assert bound_form(
        summit, session_form(recordings=[recording()], chapters=[chapter(case_study=live.pk)])
    ).is_valid()


def test_reserved_slug_is_a_form_error(summit):
    form = bound_form(summit, session_form(slug="calendar"))
    assert not form.is_valid()
    assert "slug" in form.errors


# --- through the admin views ------------------------------------------------------------------
def add_url(summit):
    return f"/admin/pages/add/archive/sessionpage/{summit.pk}/"


def test_admin_creates_a_valid_session(admin_client, summit):
    data = session_form(recordings=[recording()], chapters=[chapter()], countries=["US", "CN"])
    data["action-publish"] = "action-publish"
    response = admin_client.post(add_url(summit), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    session = SessionPage.objects.get(slug="quarantine")
    assert session.live
    assert session.start == datetime.datetime(2020, 6, 3, 4, 0, tzinfo=UTC)
    assert session.country_codes == ["US", "CN"]  # the source order is kept
    assert session.recordings.get().video_id == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("overrides", "relation", "field"),
    [
        ({"end": "2020-06-03 12:00"}, None, "end"),
        ({"recordings": [recording(video_id="https://vimeo.com/1")]}, "recordings", "video_id"),
        ({"chapters": [chapter(offset="2:00:00")]}, "chapters", "offset"),
    ],
)
@pytest.mark.parametrize("action", ["draft", "publish"])
def test_admin_shows_form_errors(admin_client, summit, overrides, relation, field, action):
    overrides = dict(overrides)
    recordings = overrides.pop("recordings", [recording()])
    chapters = overrides.pop("chapters", [])
    data = session_form(recordings=recordings, chapters=chapters, **overrides)
    if action == "publish":
        data["action-publish"] = "action-publish"
    response = admin_client.post(add_url(summit), data)
    assert response.status_code == 200  # the form again, with its errors
    form = response.context["form"]
    errors = form.errors if relation is None else form.formsets[relation].forms[0].errors
    assert field in errors
    assert not SessionPage.objects.filter(slug="quarantine").exists()


def test_admin_chapter_to_a_draft_case_is_refused(admin_client, summit):
    index_page("en")
    draft = CaseStudyPageFactory(title="Unfinished case")
    draft.unpublish()
    data = session_form(recordings=[recording()], chapters=[chapter(case_study=draft.pk)])
    response = admin_client.post(add_url(summit), data)
    assert response.status_code == 200
    assert "case_study" in response.context["form"].formsets["chapters"].forms[0].errors


def summit_form(**overrides):
    data = {
        "title": "Summit",
        "slug": "summit",
        "name": "A summit",
        "theme": "",
        "slogan": "",
        "start_date": "2020-06-01",
        "end_date": "2020-06-05",
        "time_zone": "Asia/Seoul",
        "venue": "",
        "organiser": "",
        "description": rich_text(""),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_summit_time_zone_must_be_an_iana_name(admin_client):
    from home.models import HomePage

    home = HomePage.objects.get(locale__language_code="en")
    data = summit_form(time_zone="Seoul/Korea")
    response = admin_client.post(f"/admin/pages/add/archive/summitpage/{home.pk}/", data)
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    data["time_zone"] = "Asia/Seoul"
    response = admin_client.post(f"/admin/pages/add/archive/summitpage/{home.pk}/", data)
    assert response.status_code == 302
    assert SummitPage.objects.get(slug="summit").time_zone == "Asia/Seoul"


# --- previews ---------------------------------------------------------------------------------
def test_preview_of_a_new_session(admin_client, summit):
    url = f"/admin/pages/add/archive/sessionpage/{summit.pk}/preview/"
    data = session_form(recordings=[recording()], chapters=[chapter(offset="1:02:10")])
    response = admin_client.post(url, data)
    assert response.json()["is_valid"] is True
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html
    assert "13:00" in html and "KST" in html


def test_preview_of_an_existing_session_and_summit(admin_client, summit):
    data = session_form(recordings=[recording()])
    data["action-publish"] = "action-publish"
    admin_client.post(add_url(summit), data)
    page = SessionPage.objects.get(slug="quarantine")
    url = f"/admin/pages/{page.pk}/edit/preview/"
    assert admin_client.post(url, session_form(topic="Changed topic")).json()["is_valid"] is True
    assert "Changed topic" in admin_client.get(url).content.decode()
    summit_url = f"/admin/pages/{summit.pk}/edit/preview/"
    assert admin_client.post(summit_url, summit_form(theme="A previewed theme")).json()["is_valid"] is True
    html = admin_client.get(summit_url).content.decode()
    assert "A previewed theme" in html
    assert "Discussion on Quarantine Measures" in html  # the timetable of the saved sessions


def test_preview_of_a_new_summit(admin_client):
    from home.models import HomePage

    home = HomePage.objects.get(locale__language_code="en")
    url = f"/admin/pages/add/archive/summitpage/{home.pk}/preview/"
    assert admin_client.post(url, summit_form()).json()["is_valid"] is True
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "A summit" in response.content.decode()
