"""Event text in several languages: the administrators' list of languages, organisers'
translations of an event's title, summary and description, and where readers, filters,
feeds, JSON-LD and the API meet them. Swedish stays the event's own text; a translation is
shown in the reader's language (or the one asked for with ?las=), each block marked with its
language and, written right to left, dir="rtl"."""

import json
import re
from datetime import timedelta
from html import unescape

import feedparser
import pytest
from flask_migrate import downgrade, upgrade
from icalendar import Calendar
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from eventreg import create_app
from eventreg.extensions import db
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import AuditEntry, ContentLanguage, Event, EventTranslation, utcnow
from eventreg.models.data_version import current_token
from eventreg.services import translations as service
from eventreg.services.translations import TranslationData, TranslationRuleError
from tests.factories import log_in, make_event, make_organisation, make_user

PAYLOAD = "<img src=x onerror=alert(1)>"
ARABIC_TITLE = "لقاء معلومات صحية"
ARABIC_SUMMARY = "كيف تعمل الرعاية الصحية في السويد"


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    app.extensions[CACHE_EXTENSION].clear()


@pytest.fixture
def languages() -> dict[str, ContentLanguage]:
    """The seed list (the test database starts empty, as after `flask db upgrade` and a
    cleanup)."""
    service.add_missing_seed_languages()
    db.session.commit()
    return {language.code: language for language in db.session.scalars(select(ContentLanguage))}


@pytest.fixture
def organisation():
    return make_organisation(name="Region Halland")


@pytest.fixture
def event(languages, organisation) -> Event:
    """Swedish, with an English and an Arabic translation (the Arabic without description)."""
    event = make_event(
        title="Hälsoträff för nyanlända", summary="Om vården i Sverige.",
        description="Vi pratar om **1177**.", organisation=organisation, languages=["sv"],
    )  # fmt: skip
    event.translations = [
        EventTranslation(code="en", language=languages["en"], title="Health meeting",
                         summary="About health care in Sweden.",
                         description="We talk about **1177**."),
        EventTranslation(code="ar", language=languages["ar"], title=ARABIC_TITLE,
                         summary=ARABIC_SUMMARY, description=""),
    ]  # fmt: skip
    db.session.commit()
    return event


def page_of(client, event: Event, query: str = "") -> str:
    response = client.get(f"/evenemang/{event.public_id}/{event.slug}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def owner_client(app, organisation):
    user = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    client = app.test_client()
    log_in(client, user)
    return client, user


def admin_client(app):
    admin = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    client = app.test_client()
    log_in(client, admin)
    return client


# --- model and migration --------------------------------------------------------------------


def test_the_migration_seeds_the_languages_and_goes_down_and_up_again(tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "BASE_URL": "http://localhost",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migration.sqlite'}",
    })  # fmt: skip
    with app.app_context():
        upgrade(revision="df6f0e7a0010")
        rows = db.session.execute(
            text(
                "SELECT code, native_name, direction, is_active FROM content_language "
                "ORDER BY position"
            )  # fmt: skip
        ).all()
        assert [row[0] for row in rows] == ["en", "sv-x-lattlast", "ar", "so", "ti", "prs",
                                            "fa", "uk"]  # fmt: skip
        assert {row[0] for row in rows if row[2] == "rtl"} == {"ar", "fa", "prs"}
        assert ("ar", "العربية") in {(row[0], row[1]) for row in rows}
        assert all(row[3] for row in rows)
        db.session.remove()
        downgrade(revision="ce5f0e7a0009")
        assert "content_language" not in inspect(db.engine).get_table_names()
        upgrade(revision="df6f0e7a0010")
        assert "event_translation" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_one_translation_per_language_and_event(event, languages):
    db.session.add(EventTranslation(event_id=event.id, code="ar", title="مرة أخرى"))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_the_database_refuses_an_unknown_direction(languages):
    db.session.add(ContentLanguage(code="xx", native_name="X", name_sv="X", name_en="X",
                                   direction="up"))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_a_translation_changes_the_events_revision_last_change_and_search_text(event):
    before_revision, before_change = event.revision, event.updated_at
    translation = next(t for t in event.translations if t.code == "ar")
    translation.title = "لقاء جديد"
    db.session.commit()
    assert event.revision == before_revision + 1
    assert event.updated_at > before_change
    assert "لقاء جديد" in event.search_text

    service.delete_translation(event, "ar", None)
    db.session.commit()
    assert event.revision == before_revision + 2
    assert "لقاء جديد" not in event.search_text
    # An edit that changes nothing is no new revision.
    unchanged = TranslationData(
        "en", "Health meeting", "About health care in Sweden.", "We talk about **1177**."
    )
    service.save_translation(event, unchanged, None)
    db.session.commit()
    assert event.revision == before_revision + 2


def test_a_translation_gives_the_public_data_a_new_version(event):
    """Cached pages and feeds are keyed by the data version: a changed translation is seen."""
    before = current_token()
    service.save_translation(event, TranslationData("en", "A new title"), None)
    db.session.commit()
    assert current_token() != before


def test_deleting_an_event_deletes_its_translations(event):
    db.session.delete(event)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(EventTranslation)) == 0


# --- administrators' list of languages ------------------------------------------------------


def test_admin_lists_languages_by_their_own_names(app, languages):
    client = admin_client(app)
    assert "/admin/sprak" in client.get("/admin/").get_data(as_text=True)
    html = client.get("/admin/sprak").get_data(as_text=True)
    assert '<span lang="ar" dir="rtl">العربية</span>' in html
    assert '<span lang="sv-x-lattlast" dir="ltr">Lättläst svenska</span>' in html


def test_admin_adds_a_language(app, languages):
    client = admin_client(app)
    response = client.post("/admin/sprak/nytt", data={
        "code": "bs", "native_name": "Bosanski", "name_sv": "Bosniska", "name_en": "Bosnian",
        "direction": "ltr"})  # fmt: skip
    assert response.status_code == 302
    added = db.session.scalar(select(ContentLanguage).where(ContentLanguage.code == "bs"))
    assert added.position == len(languages)
    assert added.is_active
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "admin.content_language.create")) is not None  # fmt: skip


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("sv", "Swedish is every event"),
        ("ar", "already in the list"),
        ("arabiska språket", "BCP 47"),
        ("a", "BCP 47"),
        (PAYLOAD, "BCP 47"),
        ("x" * 36, "35"),
    ],
)
def test_admin_refuses_a_code_that_cannot_be_one(app, languages, code, message):
    client = admin_client(app)
    response = client.post(
        "/admin/sprak/nytt?lang=en",
        data={"code": code, "native_name": "X", "name_sv": "X", "name_en": "X", "direction": "ltr"},
    )
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(ContentLanguage)) == len(languages)


def test_admin_refuses_control_characters_and_an_unknown_direction(app, languages):
    client = admin_client(app)
    base = {"code": "bs", "native_name": "Bosanski", "name_sv": "Bosniska",
            "name_en": "Bosnian", "direction": "ltr"}  # fmt: skip
    for bad in ({"native_name": "Bos\x1banski"}, {"name_sv": "Bos\nniska"},
                {"direction": "up"}, {"name_en": "x" * 101}, {"native_name": ""}):  # fmt: skip
        assert client.post("/admin/sprak/nytt", data={**base, **bad}).status_code == 400, bad
    assert db.session.scalar(select(ContentLanguage).where(ContentLanguage.code == "bs")) is None


def test_the_code_of_a_language_never_changes(app, languages):
    client = admin_client(app)
    arabic = languages["ar"]
    response = client.post(f"/admin/sprak/{arabic.id}", data={
        "code": "xx", "native_name": "العربية", "name_sv": "Arabiska (standard)",
        "name_en": "Arabic", "direction": "rtl"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert (arabic.code, arabic.name_sv) == ("ar", "Arabiska (standard)")


def test_admin_moves_a_language_up_and_down(app, languages):
    client = admin_client(app)
    client.post(f"/admin/sprak/{languages['ar'].id}/flytta", data={"step": "up"})
    db.session.expire_all()
    assert [language.code for language in service.content_languages()][:3] == [
        "en", "ar", "sv-x-lattlast"]  # fmt: skip
    client.post(f"/admin/sprak/{languages['ar'].id}/flytta", data={"step": "down"})
    client.post(f"/admin/sprak/{languages['uk'].id}/flytta", data={"step": "down"})  # last
    db.session.expire_all()
    assert [language.code for language in service.content_languages()] == [
        "en", "sv-x-lattlast", "ar", "so", "ti", "prs", "fa", "uk"]  # fmt: skip


def test_a_language_in_use_is_not_removed_but_can_be_deactivated(app, event, languages):
    client = admin_client(app)
    arabic = languages["ar"]
    page = client.get(f"/admin/sprak/{arabic.id}/ta-bort?lang=en").get_data(as_text=True)
    assert "cannot be removed" in page
    client.post(f"/admin/sprak/{arabic.id}/ta-bort")
    db.session.expire_all()
    assert db.session.get(ContentLanguage, arabic.id) is not None
    assert {t.code for t in db.session.get(Event, event.id).translations} == {"en", "ar"}

    client.post(f"/admin/sprak/{arabic.id}/aktiv", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(ContentLanguage, arabic.id).is_active is False
    # The translation stays on the public page …
    assert ARABIC_TITLE in page_of(app.test_client(), event, "?las=ar")
    # … and no new translation can be written in the language.
    other = make_event(organisation=event.organisation)
    db.session.commit()
    owner, _ = owner_client(app, event.organisation)
    assert "/oversattningar/ar" not in owner.get(
        f"/arrangor/evenemang/{other.id}/oversattningar"
    ).get_data(as_text=True)
    assert owner.get(f"/arrangor/evenemang/{other.id}/oversattningar/ar").status_code == 404
    with pytest.raises(TranslationRuleError):
        service.save_translation(other, TranslationData("ar", "عنوان"), None)


def test_a_language_nobody_wrote_in_is_removed(app, languages):
    client = admin_client(app)
    response = client.post(f"/admin/sprak/{languages['ti'].id}/ta-bort")
    assert response.status_code == 302
    assert db.session.scalar(select(ContentLanguage).where(ContentLanguage.code == "ti")) is None


def test_the_database_keeps_a_language_in_use(event, languages):
    """The foreign key refuses what the service refuses, where the database enforces keys
    (PostgreSQL; SQLite runs without foreign-key checks, and the service is the guard)."""
    with pytest.raises(TranslationRuleError):
        service.delete_content_language(languages["ar"], make_user(is_admin=True))
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError):
            db.session.execute(text("DELETE FROM content_language WHERE code = 'ar'"))
        db.session.rollback()


# --- organisers' translations ---------------------------------------------------------------


def test_organiser_adds_changes_and_removes_a_translation(app, languages, organisation):
    event = make_event(organisation=organisation, title="Föreläsning om vård")
    db.session.commit()
    client, user = owner_client(app, organisation)
    overview = client.get(f"/arrangor/evenemang/{event.id}").get_data(as_text=True)
    assert f"/arrangor/evenemang/{event.id}/oversattningar" in overview  # the tab
    listing = client.get(f"/arrangor/evenemang/{event.id}/oversattningar").get_data(as_text=True)
    assert f"/arrangor/evenemang/{event.id}/oversattningar/so" in listing
    assert '<span lang="so" dir="ltr">Soomaali</span>' in listing

    response = client.post(f"/arrangor/evenemang/{event.id}/oversattningar/so", data={
        "title": "  Muxaadaro ku saabsan daryeelka  ", "summary": "Kulan\r\nmacluumaad",
        "description": "Waxaan ka hadli doonaa **1177**."})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    translation = db.session.scalar(select(EventTranslation))
    assert (translation.code, translation.title) == ("so", "Muxaadaro ku saabsan daryeelka")
    assert translation.summary == "Kulan\nmacluumaad"  # CRLF becomes LF, as in event text

    client.post(f"/arrangor/evenemang/{event.id}/oversattningar/so",
                data={"title": "Muxaadaro", "summary": "", "description": ""})  # fmt: skip
    db.session.expire_all()
    assert db.session.scalar(select(EventTranslation.title)) == "Muxaadaro"

    client.post(f"/arrangor/evenemang/{event.id}/oversattningar/so/ta-bort")
    assert db.session.scalar(select(func.count()).select_from(EventTranslation)) == 0
    actions = set(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.event_id == event.id)))  # fmt: skip
    assert {"event.translation.add", "event.translation.update",
            "event.translation.delete"} <= actions  # fmt: skip


def test_the_translation_form_marks_its_fields_with_the_language(app, languages, organisation):
    event = make_event(organisation=organisation)
    db.session.commit()
    client, _ = owner_client(app, organisation)
    html = client.get(f"/arrangor/evenemang/{event.id}/oversattningar/ar").get_data(as_text=True)
    for name in ("title", "summary", "description"):
        tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', html).group(0)
        assert 'lang="ar"' in tag, tag
        assert 'dir="rtl"' in tag, tag
    html = client.get(f"/arrangor/evenemang/{event.id}/oversattningar/en").get_data(as_text=True)
    tag = re.search(r'<input[^>]*\bname="title"[^>]*>', html).group(0)
    assert 'lang="en"' in tag
    assert 'dir="ltr"' in tag


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"title": "   "}, "Enter a title."),
        ({"title": "Rad ett\nrad två"}, "one line"),
        ({"title": "Escape\x1b[31m"}, "one line"),
        ({"title": "Separator\u2028here"}, "one line"),
        ({"title": "x" * 201}, "200"),
        ({"summary": "x" * 501}, "500"),
        ({"description": "[" * 20_001}, "20000"),
    ],
)
def test_translation_input_is_cleaned_and_limited(app, languages, organisation, data, message):
    event = make_event(organisation=organisation)
    db.session.commit()
    client, _ = owner_client(app, organisation)
    form = {"title": "Title", "summary": "", "description": "", **data}
    response = client.post(f"/arrangor/evenemang/{event.id}/oversattningar/en?lang=en",
                           data=form)  # fmt: skip
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EventTranslation)) == 0


def test_the_service_checks_what_the_form_checks(event):
    """Imports and other callers do not pass through the form."""
    for data in (TranslationData("en", "Two\nlines"), TranslationData("en", "x" * 201),
                 TranslationData("en", "Ok", description="x" * 20_001),
                 TranslationData("xx", "Unknown language")):  # fmt: skip
        with pytest.raises(TranslationRuleError):
            service.save_translation(event, data, None)
    saved = service.save_translation(
        event, TranslationData("en", "Ok", "Line\r\none\x00\x07", "Text\u2028more"), None
    )
    assert (saved.summary, saved.description) == ("Line\none", "Text\nmore")


def test_addresses_that_name_no_language_are_not_found(app, languages, organisation):
    event = make_event(organisation=organisation)
    db.session.commit()
    client, _ = owner_client(app, organisation)
    base = f"/arrangor/evenemang/{event.id}/oversattningar"
    for code in ("xx", "%00", "a" * 300, "AR", "ar%0a"):
        assert client.get(f"{base}/{code}").status_code == 404, code
        assert client.post(f"{base}/{code}", data={"title": "x"}).status_code == 404, code
    assert client.get(f"{base}/en/ta-bort").status_code == 404  # none written


def test_another_organisations_organiser_cannot_touch_the_translations(app, event):
    stranger, _ = owner_client(app, make_organisation(name="Hylte kommun"))
    base = f"/arrangor/evenemang/{event.id}/oversattningar"
    assert stranger.get(base).status_code == 403
    assert stranger.post(f"{base}/so", data={"title": "x"}).status_code == 403
    assert stranger.post(f"{base}/ar/ta-bort").status_code == 403
    assert {t.code for t in db.session.get(Event, event.id).translations} == {"en", "ar"}


# --- the public page ------------------------------------------------------------------------


def h1_of(html: str) -> str:
    return re.search(r'<h1 id="event-title">(.*?)</h1>', html, re.S).group(1)


def test_the_page_is_in_swedish_for_swedish_readers(client, event):
    html = page_of(client, event)
    assert h1_of(html) == "Hälsoträff för nyanlända"
    assert '<p class="lead">Om vården i Sverige.</p>' in html


def test_english_readers_get_the_english_text(client, event):
    html = page_of(client, event, "?lang=en")
    assert h1_of(html) == "Health meeting"
    assert '<p class="lead">About health care in Sweden.</p>' in html
    assert '<div class="prose"><p>We talk about <strong>1177</strong>.</p>' in html
    assert "Hälsoträff för nyanlända" not in h1_of(html)


def test_without_a_translation_english_readers_get_swedish_marked_as_swedish(client, languages):
    event = make_event(title="Bara svenska", summary="Svensk text.")
    db.session.commit()
    html = page_of(client, event, "?lang=en")
    assert h1_of(html) == '<span lang="sv">Bara svenska</span>'
    assert '<p class="lead" lang="sv">Svensk text.</p>' in html
    assert "read-in" not in html  # nothing else to read it in


def test_another_version_is_asked_for_with_las_and_marked_right_to_left(client, event):
    html = page_of(client, event, "?las=ar")
    assert h1_of(html) == f'<span lang="ar" dir="rtl">{ARABIC_TITLE}</span>'
    assert f'<p class="lead" lang="ar" dir="rtl">{ARABIC_SUMMARY}</p>' in html
    # No Arabic description: the Swedish one, marked Swedish, on this Swedish page.
    assert '<div class="prose"><p>Vi pratar om <strong>1177</strong>.</p>' in html
    english_page = page_of(client, event, "?las=ar&lang=en")
    assert '<div class="prose" lang="sv"><p>Vi pratar om' in english_page
    assert f"<title>{ARABIC_TITLE}" in html
    # The page's address stays the canonical one.
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert canonical.endswith(f"/evenemang/{event.public_id}/{event.slug}")


def test_english_readers_can_ask_for_the_swedish_text(client, event):
    html = page_of(client, event, "?las=sv&lang=en")
    assert h1_of(html) == '<span lang="sv">Hälsoträff för nyanlända</span>'
    nav = re.search(r'<nav class="read-in".*?</nav>', html, re.S).group(0)
    assert ">English</a>" in nav


def test_read_in_links_name_each_language_in_itself(client, event):
    html = page_of(client, event)
    nav = re.search(r'<nav class="read-in".*?</nav>', html, re.S).group(0)
    assert "Läs på:" in nav
    path = f"/evenemang/{event.public_id}/{event.slug}"
    assert (f'<a href="{path}?las=en" lang="en" hreflang="en">English</a>') in nav
    assert (f'<a href="{path}?las=ar" lang="ar" hreflang="ar" dir="rtl">العربية</a>') in nav
    assert "Svenska" not in nav  # the version shown is not offered again
    arabic = re.search(r'<nav class="read-in".*?</nav>', page_of(client, event, "?las=ar"),
                       re.S).group(0)  # fmt: skip
    assert f'<a href="{path}?las=sv" lang="sv" hreflang="sv">Svenska</a>' in arabic
    assert "العربية" not in arabic


def test_an_unknown_version_shows_the_default_one(client, event):
    for value in ("xx", "", "a" * 500, PAYLOAD):
        html = page_of(client, event, f"?las={value}")
        assert h1_of(html) == "Hälsoträff för nyanlända"
        assert "<img src=x" not in html


def test_a_wrong_slug_keeps_the_version_asked_for(client, event):
    response = client.get(f"/evenemang/{event.public_id}/fel?las=ar")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/{event.slug}?las=ar")


def test_cards_show_the_title_in_the_readers_language(app, event):
    english = app.test_client().get("/evenemang/?lang=en").get_data(as_text=True)
    assert "Health meeting" in english
    assert "Hälsoträff för nyanlända" not in english
    swedish = app.test_client().get("/evenemang/").get_data(as_text=True)
    assert "Hälsoträff för nyanlända" in swedish
    assert "Health meeting" not in swedish


def test_translated_text_is_escaped_everywhere(app, client, languages, organisation):
    event = make_event(organisation=organisation, title="Säker titel")
    event.translations = [EventTranslation(
        code="en", language=languages["en"], title=f"Title {PAYLOAD}",
        summary=f"Summary {PAYLOAD}", description=f"Text {PAYLOAD} <script>alert(1)</script>",
    )]  # fmt: skip
    db.session.commit()
    owner, _ = owner_client(app, organisation)
    pages = [
        page_of(app.test_client(), event, "?lang=en"),
        page_of(app.test_client(), event, "?las=en"),  # on a Swedish page: in a <span lang>
        app.test_client().get("/evenemang/?lang=en").get_data(as_text=True),
        owner.get(f"/arrangor/evenemang/{event.id}/oversattningar").get_data(as_text=True),
        owner.get(f"/arrangor/evenemang/{event.id}/oversattningar/en").get_data(as_text=True),
        owner.get(f"/arrangor/evenemang/{event.id}/oversattningar/en/ta-bort").get_data(
            as_text=True),
        client.get("/kalender/evenemang.atom?lang=en").get_data(as_text=True),
    ]  # fmt: skip
    for html in pages:
        assert "<img src=x" not in html
        assert "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[0]


# --- the filter -----------------------------------------------------------------------------


@pytest.fixture
def held_and_described(event, organisation):
    """One event held in Arabic (but described in Swedish), and `event`, described in
    Arabic (but held in Swedish)."""
    held = make_event(title="Samtal på arabiska", languages=["ar"], organisation=organisation)
    db.session.commit()
    return held, event


def titles_in(html: str) -> list[str]:
    return re.findall(r'class="event-card-title">\s*<a href="[^"]+">(?:<span[^>]*>)?([^<]+)', html)


def test_described_in_and_held_in_are_different_filters(client, held_and_described):
    held, described = held_and_described
    assert titles_in(client.get("/evenemang/?beskriven_pa=ar").get_data(as_text=True)) == [
        described.title
    ]
    assert titles_in(client.get("/evenemang/?sprak=ar").get_data(as_text=True)) == [held.title]
    assert (
        titles_in(client.get("/evenemang/?sprak=ar&beskriven_pa=ar").get_data(as_text=True)) == []
    )
    form = client.get("/evenemang/").get_data(as_text=True)
    assert 'name="beskriven_pa" type="checkbox" value="ar"' in form
    assert "Beskrivet på språk" in form
    assert "Hålls på språk" in form
    chips = client.get("/evenemang/?beskriven_pa=ar").get_data(as_text=True)
    assert '<span lang="ar">العربية</span>' in chips  # the active filter, in Arabic


def test_the_described_in_filter_refuses_unknown_languages(client, languages):
    assert client.get("/evenemang/?beskriven_pa=xx").status_code == 400
    assert client.get("/kalender/evenemang.ics?beskriven_pa=xx").status_code == 400
    assert client.get("/api/v1/events?beskriven_pa=xx").status_code == 400


def test_feeds_and_the_api_filter_on_the_language_described_in(client, held_and_described):
    held, described = held_and_described
    calendar = Calendar.from_ical(client.get("/kalender/evenemang.ics?beskriven_pa=ar").data)
    assert [str(e["uid"]).split("@")[0] for e in calendar.walk("VEVENT")] == [
        described.public_id]  # fmt: skip
    parsed = feedparser.parse(client.get("/kalender/evenemang.atom?beskriven_pa=ar").data)
    assert len(parsed.entries) == 1
    listed = client.get("/api/v1/events?beskriven_pa=ar").get_json()["items"]
    assert [item["identifier"] for item in listed] == [described.public_id]
    # The list page offers the feeds of what it shows.
    html = client.get("/evenemang/?beskriven_pa=ar").get_data(as_text=True)
    assert "/kalender/evenemang.ics?beskriven_pa=ar" in html


# --- feeds, JSON-LD and the API carry the translations ------------------------------------


def vevent_of(client, url: str):
    return Calendar.from_ical(client.get(url).data).walk("VEVENT")[0]


def test_an_english_calendar_has_the_english_text_marked_english(client, event):
    for url in ("/kalender/evenemang.ics?lang=en", f"/kalender/evenemang/{event.public_id}.ics"
                "?lang=en"):  # fmt: skip
        vevent = vevent_of(client, url)
        assert str(vevent["SUMMARY"]) == "Health meeting"
        assert vevent["SUMMARY"].params["LANGUAGE"] == "en"
        assert "We talk about 1177." in str(vevent["DESCRIPTION"])
        assert "About health care in Sweden." in str(vevent["DESCRIPTION"])
        assert vevent["DESCRIPTION"].params["LANGUAGE"] == "en"
        assert "Vi pratar om" not in str(vevent["DESCRIPTION"])


def test_a_swedish_calendar_is_as_before(client, event):
    body = client.get("/kalender/evenemang.ics").get_data(as_text=True)
    assert "SUMMARY:Hälsoträff för nyanlända" in body  # no LANGUAGE: Swedish in Swedish
    vevent = vevent_of(client, "/kalender/evenemang.ics")
    assert "LANGUAGE" not in vevent["SUMMARY"].params


def test_an_english_calendar_marks_swedish_only_text_as_swedish(client, languages):
    make_event(title="Bara svenska")
    db.session.commit()
    vevent = vevent_of(client, "/kalender/evenemang.ics?lang=en")
    assert str(vevent["SUMMARY"]) == "Bara svenska"
    assert vevent["SUMMARY"].params["LANGUAGE"] == "sv"
    assert vevent["DESCRIPTION"].params["LANGUAGE"] == "sv"


def test_a_changed_translation_reaches_subscribed_calendars(client, event):
    # Last changed a minute ago (feeds give the time to the second).
    db.session.execute(update(Event).values(updated_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    before = vevent_of(client, "/kalender/evenemang.ics?lang=en")
    service.save_translation(event, TranslationData("en", "Health meeting, new time"), None)
    db.session.commit()
    after = vevent_of(client, "/kalender/evenemang.ics?lang=en")
    assert str(after["SUMMARY"]) == "Health meeting, new time"
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")


def test_atom_entries_carry_the_text_and_its_language(client, event, languages):
    make_event(title="Bara svenska")
    db.session.commit()
    body = client.get("/kalender/evenemang.atom?lang=en").data
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    entries = {entry.title: entry for entry in parsed.entries}
    assert "About health care in Sweden." in entries["Health meeting"].summary
    # Swedish text in the English feed says so; the English needs no mark.
    xml = body.decode()
    assert re.search(r'<title xml:lang="sv">Bara svenska</title>', xml)
    assert "<title>Health meeting</title>" in xml
    swedish = feedparser.parse(client.get("/kalender/evenemang.atom?lang=sv").data)
    assert "Hälsoträff för nyanlända" in {entry.title for entry in swedish.entries}


def json_ld_of(html: str) -> dict:
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def test_json_ld_gives_every_version_with_its_language(client, event):
    data = json_ld_of(page_of(client, event))
    assert data["name"] == [
        {"@value": "Hälsoträff för nyanlända", "@language": "sv"},
        {"@value": ARABIC_TITLE, "@language": "ar"},
        {"@value": "Health meeting", "@language": "en"},
    ]
    assert {"@value": ARABIC_SUMMARY, "@language": "ar"} in data["description"]
    plain = make_event(title="Bara svenska")
    db.session.commit()
    assert json_ld_of(page_of(client, plain))["name"] == "Bara svenska"  # as before


def test_json_ld_cannot_be_broken_out_of_by_a_translation(client, languages):
    event = make_event()
    event.translations = [
        EventTranslation(
            code="en", language=languages["en"], title="</script><script>alert(1)</script>"
        )
    ]
    db.session.commit()
    html = page_of(client, event)
    assert "<script>alert(1)" not in html
    assert json_ld_of(html)["name"][1]["@value"] == "</script><script>alert(1)</script>"


def test_the_api_carries_the_translations(client, event):
    item = client.get(f"/api/v1/events/{event.public_id}").get_json()
    assert item["name"] == "Hälsoträff för nyanlända"  # the Swedish text, as before
    by_language = {t["inLanguage"]: t for t in item["translations"]}
    assert by_language["ar"] == {"inLanguage": "ar", "direction": "rtl", "name": ARABIC_TITLE,
                                 "summary": ARABIC_SUMMARY, "description": ""}  # fmt: skip
    assert by_language["en"]["description"] == "We talk about 1177."
    document = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"] for p in document["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert "beskriven_pa" in parameters
    assert "ApiTranslation" in json.dumps(document)


def test_a_copy_for_a_series_is_described_in_the_same_languages(event):
    from eventreg.services.events import duplicate_event

    copy = duplicate_event(event, event.start_dt + timedelta(days=7), None)
    db.session.commit()
    assert {(t.code, t.title) for t in copy.translations} == {
        ("en", "Health meeting"), ("ar", ARABIC_TITLE)}  # fmt: skip
    assert {t.code for t in db.session.get(Event, event.id).translations} == {"en", "ar"}


def test_the_embedded_list_shows_the_title_in_the_readers_language(app, event):
    english = app.test_client().get("/inbaddning/evenemang?lang=en").get_data(as_text=True)
    assert "Health meeting" in english
    assert "Hälsoträff för nyanlända" not in english
    swedish = app.test_client().get("/inbaddning/evenemang").get_data(as_text=True)
    assert "Hälsoträff för nyanlända" in swedish


def test_the_search_finds_an_event_by_its_translated_text(app, event):
    html = app.test_client().get("/evenemang/?q=الصحية").get_data(as_text=True)
    assert titles_in(html) == [event.title]
    assert titles_in(app.test_client().get("/evenemang/?q=HEALTH").get_data(as_text=True)) == [
        event.title
    ]


def test_the_demo_data_has_an_event_in_arabic_and_easy_to_read_swedish(runner):
    from eventreg.demo import TRANSLATED_EVENT_TITLE

    result = runner.invoke(args=["demo-db", "--force"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event).where(Event.title == TRANSLATED_EVENT_TITLE))
    assert {"ar", "sv-x-lattlast"} <= {t.code for t in event.translations}
    assert all(t.title and t.title != event.title for t in event.translations)
