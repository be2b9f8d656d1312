"""Emails name the event by its title in the recipient's language when the event is
translated into it, else by the Swedish title, as before: in the subject, both parts, the
"Event" line and the calendar file's name; the alerts likewise. In the HTML part a title in
another language than the email's is marked with it (lang, and dir for right-to-left); one in
the email's own language is not. Inside a sentence the title is escaped once, as before."""

import re

import icalendar
import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail import alerts as mail_alerts
from eventreg.mail import notifications
from eventreg.models import AlertSubscription, ContentLanguage, EventTranslation, OutboxEmail
from eventreg.services import translations as translation_service
from eventreg.services.registrations import cancel_registration
from eventreg.templating import event_title, text_attrs
from tests.factories import make_event, make_organisation, make_registration, make_theme
from tests.test_answers_in_emails import read, rendered

SWEDISH = "Hälsoträff för nyanlända"
ENGLISH = "Health meeting"
SCRIPT = "<script>alert(1)</script>"

SENTENCES = {
    "confirmation": "You have a seat at {}.",
    "waiting": "All seats at {} are taken, so you are on the waiting list.",
    "promotion": "You are no longer on the waiting list for {}.",
    "reminder_first": "A reminder: you have a seat at {},",
}
SUBJECTS = {
    "confirmation": "Registration confirmed: {}",
    "waiting": "You are on the waiting list: {}",
    "promotion": "You have a seat: {}",
    "reminder_first": "Reminder: {}",
}


@pytest.fixture
def languages() -> dict[str, ContentLanguage]:
    translation_service.add_missing_seed_languages()
    db.session.commit()
    return {language.code: language for language in db.session.scalars(select(ContentLanguage))}


def translated_event(languages, english: str | None = ENGLISH, **fields):
    """An event (one seat) written in Swedish, with an English translation unless None."""
    event = make_event(title=SWEDISH, organisation=make_organisation(), capacity=1, **fields)
    if english is not None:
        event.translations = [EventTranslation(code="en", language=languages["en"], title=english)]
    db.session.commit()
    return event


def email_of(event, kind: str, locale: str) -> OutboxEmail:
    """The `kind` email to a registration in `locale`, rendered for reading."""
    holder = make_registration(event) if kind in ("waiting", "promotion") else None
    registration = make_registration(event, locale=locale)
    db.session.commit()
    if kind == "promotion":
        assert cancel_registration(holder) == [registration]
        db.session.commit()
    if kind == "reminder_first":
        notifications.queue_registration_email(registration, kind)
        db.session.commit()
    return rendered(registration, kind)


def event_link(html: str) -> str:
    """The "Event" line's link: its attributes after the style, and its text."""
    pattern = r'<a href="[^"]*/evenemang/[^"]*" style="color: #00508c;"([^>]*>[^<]*)</a>'
    (link,) = re.findall(pattern, html)
    return link


@pytest.mark.parametrize("kind", list(SENTENCES))
def test_an_english_registrant_gets_the_english_title(languages, kind):
    email = email_of(translated_event(languages), kind, "en")
    assert email.subject == SUBJECTS[kind].format(ENGLISH)
    for part in (email.body_text, email.body_html):
        assert SENTENCES[kind].format(ENGLISH) in read(part)
        assert SWEDISH not in part
    assert f"Event: {ENGLISH}\n" in email.body_text
    # In the email's own language: no lang attribute on it.
    assert event_link(email.body_html) == f">{ENGLISH}"
    assert 'lang="sv"' not in email.body_html


def test_the_calendar_file_is_named_by_the_english_title(languages):
    email = email_of(translated_event(languages), "confirmation", "en")
    calendar = icalendar.Calendar.from_ical(email.ics)
    assert str(calendar["x-wr-calname"]) == ENGLISH
    assert str(calendar["name"]) == ENGLISH


@pytest.mark.parametrize("kind", ["confirmation", "reminder_first"])
def test_a_swedish_registrant_gets_the_swedish_title(languages, kind):
    email = email_of(translated_event(languages), kind, "sv")
    assert SWEDISH in email.subject
    for part in (email.body_text, email.body_html):
        assert SWEDISH in read(part)
        assert ENGLISH not in part
    assert event_link(email.body_html) == f">{SWEDISH}"
    assert str(icalendar.Calendar.from_ical(email.ics)["x-wr-calname"]) == SWEDISH


def test_without_an_english_translation_the_swedish_title_is_marked_swedish(languages):
    email = email_of(translated_event(languages, english=None), "confirmation", "en")
    assert email.subject == f"Registration confirmed: {SWEDISH}"
    assert f"Event: {SWEDISH}\n" in email.body_text
    assert event_link(email.body_html) == f' lang="sv">{SWEDISH}'


def test_a_translated_title_is_escaped_in_the_html_and_as_written_in_the_text(languages):
    email = email_of(translated_event(languages, english=f"Meeting {SCRIPT}"), "confirmation",
                     "en")  # fmt: skip
    assert email.subject == f"Registration confirmed: Meeting {SCRIPT}"
    html = email.body_html
    assert "<script" not in html
    escaped = "Meeting &lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"You have a seat at {escaped}." in html  # in the sentence
    assert event_link(html) == f">{escaped}"  # the "Event" line
    assert "&amp;lt;" not in html  # escaped once
    assert f"You have a seat at Meeting {SCRIPT}." in email.body_text
    assert f"Event: Meeting {SCRIPT}\n" in email.body_text


def test_the_organisers_message_names_the_event_in_the_attendees_language(languages):
    event = translated_event(languages)
    registration = make_registration(event, locale="en")
    notifications.queue_organiser_message(registration, "Parking", "Park behind the library.")
    db.session.commit()
    email = notifications.render(db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.kind == "organiser_message")
    ))  # fmt: skip
    assert email.subject == f"Parking ({ENGLISH})"
    assert f"A message from the organiser of {ENGLISH}:" in email.body_text


def test_the_title_helper_marks_a_right_to_left_translation(languages):
    """Emails are in Swedish or English today; one in Arabic would mark its Arabic title
    right to left only, and the Swedish fallback of another email as Swedish."""
    event = translated_event(languages)
    event.translations.append(
        EventTranslation(code="ar", language=languages["ar"], title="لقاء صحي")
    )
    db.session.commit()
    with force_locale("ar"):
        title = event_title(event)
        assert (title.text, title.lang) == ("لقاء صحي", "ar")
        assert text_attrs(title) == ' dir="rtl"'
    with force_locale("en"):
        assert text_attrs(event_title(event, "so")) == ' lang="sv"'
        assert text_attrs(event_title(event, "ar")) == ' lang="ar" dir="rtl"'


@pytest.fixture
def english_subscription():
    theme = make_theme(name_sv="Hälsa", name_en="Health")
    subscription = AlertSubscription(
        email="amina@example.se", email_normalised="amina@example.se", locale="en",
        frequency="immediate", theme=theme, target_key=f"theme:{theme.id}",
    )  # fmt: skip
    db.session.add(subscription)
    db.session.commit()
    return subscription


def test_an_english_alert_uses_the_english_title(languages, english_subscription):
    event = translated_event(languages)
    alert = mail_alerts.queue_event_alert(english_subscription, event)
    assert alert.subject == f"New event: {ENGLISH}"
    assert f"Event: {ENGLISH}\n" in alert.body_text
    assert event_link(alert.body_html) == f">{ENGLISH}"
    assert SWEDISH not in alert.body_text + alert.body_html


def test_an_english_digest_uses_each_events_own_title(languages, english_subscription):
    translated = translated_event(languages)
    swedish_only = make_event(title="Språkcafé", organisation=make_organisation())
    digest = mail_alerts.queue_digest(english_subscription, [translated, swedish_only])
    assert f"\n{ENGLISH}\n" in digest.body_text
    assert "\nSpråkcafé\n" in digest.body_text
    assert SWEDISH not in digest.body_text + digest.body_html
    html = digest.body_html
    assert f'font-weight: bold;">{ENGLISH}</a>' in html
    assert 'font-weight: bold;" lang="sv">Språkcafé</a>' in html
