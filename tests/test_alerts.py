"""Email alerts ("Bevaka"): double opt-in, signed links that expire or are tampered with,
one-click unsubscribe (RFC 8058) and through a page, the List-Unsubscribe headers in the
sent messages, immediate alerts and weekly digests on a fake clock, each alert once with
two workers, only published events, privacy of the subscribe form, and rate limits."""

import re
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from eventreg import worker
from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.mail.messages import OutgoingEmail, build_message
from eventreg.models import (
    AlertDelivery,
    AlertDigest,
    AlertSubscription,
    OutboxEmail,
    OutboxStatus,
    utcnow,
)
from eventreg.services import alerts
from eventreg.services.alerts import AlertTarget
from eventreg.tokens import alert_unsubscribe_token
from tests.factories import STOCKHOLM, make_event, make_organisation, make_theme
from tests.races import race_while_held

ADDRESS = "amina@example.se"


def outbox(kind: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
    ))  # fmt: skip


def path_in(text: str, part: str) -> str:
    """The path of the first link to /bevaka/<part>/… in an email's text."""
    (url,) = set(re.findall(rf"https?://\S+/bevaka/{part}/\S+", text))
    return url.split("localhost:5000", 1)[-1]


def subscribe(client, target_args: dict, email: str = ADDRESS, frequency: str = "immediate",
              **headers):  # fmt: skip
    return client.post("/bevaka", query_string=target_args,
                       data={"email": email, "frequency": frequency}, headers=headers)  # fmt: skip


def confirm_last(client) -> None:
    """Open the newest confirmation email's link and press its button."""
    path = path_in(outbox("alert_confirm")[-1].body_text, "bekrafta")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200


def subscribed(client, theme, frequency: str = "immediate", email: str = ADDRESS,
               **headers) -> AlertSubscription:  # fmt: skip
    assert subscribe(client, {"tema": theme.slug}, email, frequency, **headers).status_code == 302
    confirm_last(client)
    db.session.expire_all()
    return db.session.scalar(
        select(AlertSubscription).where(AlertSubscription.email_normalised == email.lower())
    )


def run_alerts(now: datetime | None = None) -> tuple[int, int]:
    now = now or utcnow()
    return alerts.queue_immediate(now), alerts.queue_weekly(now)


def sent_messages(app, kind: str = "alert_event") -> list:
    """Send the outbox to the folder and read back the messages of `kind` written."""
    mail_sender.send_due()
    folder = Path(app.config["OUTBOX_DIR"])
    return [message_from_bytes(path.read_bytes(), policy=default)
            for path in sorted(folder.glob(f"*-{kind}.eml"))]  # fmt: skip


@pytest.fixture(autouse=True)
def _empty_outbox_folder(app):
    folder = Path(app.config["OUTBOX_DIR"])
    for path in folder.glob("*.eml"):
        path.unlink()


@pytest.fixture
def theme():
    theme = make_theme(name_sv="Hälsa", name_en="Health")
    db.session.commit()
    return theme


# --- the subscribe page -----------------------------------------------------------------


def test_the_subscribe_page_asks_for_an_address_and_how_often(client, theme):
    page = client.get("/bevaka", query_string={"tema": theme.slug})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Hälsa" in html
    assert 'type="email"' in html
    assert 'value="weekly"' in html
    assert 'value="immediate"' in html
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("args", [
    {}, {"tema": "no-such-theme"}, {"kommun": "stockholm"}, {"arrangor": "nobody"},
    {"tema": "x", "kommun": "halmstad"},
])  # fmt: skip
def test_a_missing_or_unknown_target_is_not_found(client, args):
    assert client.get("/bevaka", query_string=args).status_code == 404
    assert client.post("/bevaka", query_string=args, data={"email": ADDRESS}).status_code == 404


def test_a_municipality_and_an_organiser_can_be_followed(client):
    organisation = make_organisation(name="Region Halland")
    db.session.commit()
    assert "Varberg" in client.get("/bevaka?kommun=varberg").get_data(as_text=True)
    page = client.get(f"/bevaka?arrangor={organisation.slug}").get_data(as_text=True)
    assert "Region Halland" in page


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b\n.se", "x" * 250 + "@example.se"])
def test_a_bad_address_is_refused_with_a_message(client, theme, email):
    response = subscribe(client, {"tema": theme.slug}, email)
    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    assert outbox("alert_confirm") == []


# --- double opt-in ----------------------------------------------------------------------


def test_nothing_is_sent_before_the_address_is_confirmed(client, theme):
    response = subscribe(client, {"tema": theme.slug})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/bevaka/skickad")
    (confirmation,) = outbox("alert_confirm")
    assert confirmation.recipient == ADDRESS
    assert "Hälsa" in confirmation.body_text
    make_event(themes=[theme])
    db.session.commit()
    assert run_alerts() == (0, 0)
    assert outbox("alert_event") == []
    # Opening the link shows a button and confirms nothing: mail systems' link scanners
    # open links.
    path = path_in(confirmation.body_text, "bekrafta")
    assert client.get(path).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(AlertSubscription.confirmed_at)) is None
    assert client.post(path).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(AlertSubscription.confirmed_at)) is not None
    # The event already public when confirming is not news; the next one is.
    assert run_alerts() == (0, 0)
    new = make_event(themes=[theme], title="Ny föreläsning")
    db.session.commit()
    assert run_alerts() == (1, 0)
    (alert,) = outbox("alert_event")
    assert alert.subject == "Nytt evenemang: Ny föreläsning"
    assert new.public_id in alert.body_text


def test_the_answer_is_the_same_for_new_pending_and_subscribed_addresses(client, theme):
    subscribed(client, theme, email="known@example.se")
    subscribe(client, {"tema": theme.slug}, "pending@example.se")
    answers = []
    for email in ("known@example.se", "pending@example.se", "new@example.se"):
        response = subscribe(client, {"tema": theme.slug}, email)
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"],
                        page.status_code, page.get_data(as_text=True)))  # fmt: skip
    assert answers[0] == answers[1] == answers[2]


def test_a_second_request_sends_a_new_link_that_may_change_the_frequency(client, theme):
    subscription = subscribed(client, theme, "immediate")
    subscribe(client, {"tema": theme.slug}, ADDRESS.upper(), "weekly")
    db.session.expire_all()
    assert subscription.frequency == "immediate"  # not until the link is used
    confirm_last(client)
    db.session.expire_all()
    assert subscription.frequency == "weekly"
    assert db.session.scalar(select(func.count(AlertSubscription.id))) == 1


def test_a_tampered_link_opens_nothing(client, theme):
    subscribe(client, {"tema": theme.slug})
    path = path_in(outbox("alert_confirm")[0].body_text, "bekrafta")
    token = path.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x", token + "x"):
        assert client.get(f"/bevaka/bekrafta/{bad}").status_code == 404
        assert client.post(f"/bevaka/bekrafta/{bad}").status_code == 404
    # An unsubscribe token is not a confirmation token, nor the other way round.
    subscription = db.session.scalar(select(AlertSubscription))
    unsubscribe_path = f"/bevaka/bekrafta/{alert_unsubscribe_token(subscription)}"
    assert client.get(unsubscribe_path).status_code == 404
    assert client.post(f"/bevaka/avsluta/{token}").status_code == 404


def test_an_unconfirmed_subscription_expires_and_is_deleted(app, client, theme):
    subscribe(client, {"tema": theme.slug})
    path = path_in(outbox("alert_confirm")[0].body_text, "bekrafta")
    mail_sender.send_due()
    assert list(Path(app.config["OUTBOX_DIR"]).glob("*-alert_confirm.eml"))
    later = utcnow() + timedelta(days=7, minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
        worker.delete_expired_alerts(utcnow())
    assert db.session.scalar(select(func.count(AlertSubscription.id))) == 0
    (email,) = outbox("alert_confirm")
    assert (email.status, email.recipient, email.body_text) == (OutboxStatus.PURGED, "", "")
    assert not list(Path(app.config["OUTBOX_DIR"]).glob("*-alert_confirm.eml"))


def test_a_subscription_confirmed_in_time_is_kept(client, theme):
    subscribe(client, {"tema": theme.slug})
    with time_machine.travel(utcnow() + timedelta(days=6), tick=False):
        confirm_last(client)
    with time_machine.travel(utcnow() + timedelta(days=30), tick=False):
        assert alerts.delete_expired() == (0, [])
    assert db.session.scalar(select(AlertSubscription.confirmed_at)) is not None


# --- what is sent -----------------------------------------------------------------------


def test_only_published_events_are_sent_and_drafts_never(client, theme):
    subscribed(client, theme)
    draft = make_event(themes=[theme], status="draft", title="Utkast")
    cancelled = make_event(themes=[theme], status="cancelled", title="Inställt")
    past = make_event(themes=[theme], title="Förbi",
                      start_dt=utcnow() - timedelta(days=2))  # fmt: skip
    other = make_event(themes=[make_theme()], title="Annat tema")
    db.session.commit()
    assert run_alerts() == (0, 0)
    # The draft published later is news then.
    draft.status = "published"
    db.session.commit()
    assert run_alerts() == (1, 0)
    assert [email.subject for email in outbox("alert_event")] == ["Nytt evenemang: Utkast"]
    assert run_alerts() == (0, 0)
    assert {cancelled.id, past.id, other.id}.isdisjoint(
        db.session.scalars(
            select(AlertDelivery.event_id).where(AlertDelivery.outbox_email_id.is_not(None))
        )
    )


def test_municipality_and_organiser_subscriptions_match_their_events(client):
    organisation = make_organisation()
    db.session.commit()
    for args in ({"kommun": "varberg"}, {"arrangor": organisation.slug}):
        subscribe(client, args)
        confirm_last(client)
    make_event(municipality="varberg", title="I Varberg")
    make_event(organisation=organisation, title="Hos arrangören")
    make_event(municipality="laholm", title="Ingen träff")
    db.session.commit()
    assert run_alerts() == (2, 0)
    assert sorted(email.subject for email in outbox("alert_event")) == [
        "Nytt evenemang: Hos arrangören", "Nytt evenemang: I Varberg",
    ]  # fmt: skip


def test_an_english_subscriber_gets_english_emails(client, theme):
    client.get("/?lang=en")
    subscribe(client, {"tema": theme.slug})
    (confirmation,) = outbox("alert_confirm")
    assert confirmation.locale == "en"
    assert confirmation.subject == "Confirm your email alert: Health"
    confirm_last(client)
    make_event(themes=[theme], title="Språkcafé")
    db.session.commit()
    run_alerts()
    (alert,) = outbox("alert_event")
    assert alert.subject == "New event: Språkcafé"
    assert '<html lang="en">' in alert.body_html


def test_weekly_subscribers_get_one_digest_after_the_week(client, theme):
    # A Wednesday noon some weeks ahead, in Stockholm.
    day = (utcnow() + timedelta(days=21)).astimezone(STOCKHOLM).date()
    wednesday = datetime.combine(day - timedelta(days=day.weekday() - 2), time(12),
                                 tzinfo=STOCKHOLM)  # fmt: skip
    monday_eight = datetime.combine(wednesday.date() + timedelta(days=5), time(8),
                                    tzinfo=STOCKHOLM)  # fmt: skip
    with time_machine.travel(wednesday - timedelta(days=1), tick=False):
        weekly = subscribed(client, theme, "weekly", email="weekly@example.se")
        subscribed(client, theme, "immediate", email="now@example.se")
    with time_machine.travel(wednesday, tick=False):
        make_event(themes=[theme], title="Första", start_dt=utcnow() + timedelta(days=30))
        make_event(themes=[theme], title="Andra", start_dt=utcnow() + timedelta(days=31))
        db.session.commit()
        assert run_alerts() == (2, 0)  # the immediate one at once, the weekly one waits
    with time_machine.travel(monday_eight - timedelta(minutes=1), tick=False):
        assert run_alerts() == (0, 0)
    with time_machine.travel(monday_eight, tick=False):
        assert run_alerts() == (0, 1)
        assert run_alerts() == (0, 0)
    with time_machine.travel(monday_eight + timedelta(days=7), tick=False):
        assert run_alerts() == (0, 0)  # a week without news sends nothing
    (digest,) = outbox("alert_digest")
    assert digest.recipient == "weekly@example.se"
    assert digest.subject == "Nya evenemang den här veckan: Hälsa"
    assert "Första" in digest.body_text
    assert "Andra" in digest.body_text
    week = wednesday.isocalendar()
    assert db.session.scalar(select(AlertDigest.week).where(
        AlertDigest.subscription_id == weekly.id, AlertDigest.outbox_email_id == digest.id)
    ) == f"{week.year}-W{week.week:02d}"  # fmt: skip


def test_the_digest_week_turns_on_monday_morning_in_stockholm():
    monday = datetime(2030, 1, 7, 8, 0, tzinfo=STOCKHOLM)
    assert alerts.digest_week(monday.astimezone(UTC)) == "2030-W01"
    assert alerts.digest_week((monday - timedelta(seconds=1)).astimezone(UTC)) == "2029-W52"


# --- unsubscribing ------------------------------------------------------------------------


def test_alerts_carry_one_click_unsubscribe_headers(app, client, theme):
    subscribed(client, theme)
    make_event(themes=[theme])
    db.session.commit()
    run_alerts()
    (message,) = sent_messages(app)
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<https?://[^>\s]+/bevaka/avsluta/[^>\s]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in message.get_body(("plain",)).get_content()


def test_the_confirmation_has_no_unsubscribe_headers(app, client, theme):
    subscribe(client, {"tema": theme.slug})
    (message,) = sent_messages(app, "alert_confirm")
    assert message["List-Unsubscribe"] is None


def test_one_click_unsubscribe_is_a_post_without_csrf(app, csrf_app, client, theme):
    app.config["WTF_CSRF_ENABLED"] = False
    subscription = subscribed(client, theme)
    make_event(themes=[theme])
    db.session.commit()
    run_alerts()
    (message,) = sent_messages(app)
    path = message["List-Unsubscribe"][1:-1].split("localhost:5000", 1)[1]
    make_event(themes=[theme], title="Köad men inte skickad")
    db.session.commit()
    run_alerts()
    app.config["WTF_CSRF_ENABLED"] = True
    # What a mail client sends (RFC 8058 section 3.2): no cookie, no token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert subscription.unsubscribed_at is not None
    assert subscription.email is None
    assert subscription.email_normalised is None
    assert subscription.nonce is None
    # Its emails are purged, the queued one never goes, and no copy keeps the address.
    assert {email.status for email in outbox("alert_event")} == {OutboxStatus.PURGED}
    assert all(email.recipient == "" for email in outbox("alert_event") + outbox("alert_confirm"))
    assert not list(Path(app.config["OUTBOX_DIR"]).glob("*-alert_*.eml"))
    # No more alerts; a second POST is fine.
    make_event(themes=[theme])
    db.session.commit()
    assert run_alerts() == (0, 0)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.get(path).status_code == 200


def test_unsubscribe_through_the_page_and_its_button(client, theme):
    subscription = subscribed(client, theme)
    token = alert_unsubscribe_token(subscription)
    page = client.get(f"/bevaka/avsluta/{token}")
    assert page.status_code == 200
    assert "<button" in page.get_data(as_text=True)
    db.session.expire_all()
    assert subscription.unsubscribed_at is None  # opening the link stops nothing
    assert client.post(f"/bevaka/avsluta/{token}").status_code == 200
    db.session.expire_all()
    assert subscription.unsubscribed_at is not None
    # The address may follow the same theme again later: a new subscription.
    assert subscribed(client, theme).id != subscription.id


# --- several workers ----------------------------------------------------------------------


def test_two_workers_send_each_alert_once(app, client, theme):
    """The interleaving is forced: the first worker has taken the subscription and holds its
    transaction open while the second runs a whole round. On PostgreSQL the second passes
    over the locked subscription (SKIP LOCKED) at once; on SQLite it waits for the first to
    commit and the unique delivery row refuses its copy. Either way one email per event."""
    subscription = subscribed(client, theme)
    subscription_id = subscription.id
    make_event(themes=[theme])
    make_event(themes=[theme])
    db.session.commit()
    now = utcnow()
    postgresql = db.engine.dialect.name == "postgresql"
    race = race_while_held(
        app,
        lambda: alerts.queue_immediate_for(subscription_id, now),
        lambda: alerts.queue_immediate(now),
        watch_seconds=30 if postgresql else 0,
    )
    if postgresql:
        assert race.second_finished_while_held, "the second worker waited for the first's lock"
    assert (race.first, race.second) == (2, 0)
    assert len(outbox("alert_event")) == 2
    assert run_alerts() == (0, 0)
    assert len(outbox("alert_event")) == 2


def test_the_database_refuses_a_second_delivery_of_an_event(client, theme):
    subscription = subscribed(client, theme)
    event = make_event(themes=[theme])
    db.session.add(AlertDelivery(subscription_id=subscription.id, event_id=event.id))
    db.session.flush()
    db.session.add(AlertDelivery(subscription_id=subscription.id, event_id=event.id))
    with pytest.raises(Exception, match="(?i)unique"):
        db.session.flush()
    db.session.rollback()


def test_the_worker_runs_the_alert_jobs(client, theme):
    subscribed(client, theme)
    make_event(themes=[theme])
    db.session.commit()
    said = worker.Worker(interval=0).run_round()
    assert said["email-alerts"] == "queued 1 alert(s) and 0 weekly digest(s)"
    assert outbox("alert_event")[0].status == OutboxStatus.SENT


# --- limits -------------------------------------------------------------------------------


def test_an_address_gets_a_limited_number_of_confirmations_an_hour(app, client, theme):
    limit = app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]
    for _ in range(limit + 3):
        assert subscribe(client, {"tema": theme.slug}).status_code == 302
    assert len(outbox("alert_confirm")) == limit
    with time_machine.travel(utcnow() + timedelta(hours=1, minutes=1), tick=False):
        assert subscribe(client, {"tema": theme.slug}).status_code == 302
    assert len(outbox("alert_confirm")) == limit + 1


def test_subscribe_requests_are_limited_per_client_address(app, client, theme):
    app.config["ALERT_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [subscribe(client, {"tema": theme.slug}, f"p{n}@example.se").status_code
                 for n in range(4)]  # fmt: skip
    finally:
        app.config["ALERT_RATE_LIMIT"] = "1000 per minute"
    assert codes == [302, 302, 302, 429]


def test_robots_txt_keeps_crawlers_off_the_alert_pages(client):
    assert "Disallow: /bevaka" in client.get("/robots.txt").get_data(as_text=True)


def test_alert_target_names_and_arguments(theme):
    assert AlertTarget(theme=theme).query_args == {"tema": theme.slug}
    assert AlertTarget(municipality="halmstad").key == "municipality:halmstad"


def test_the_event_list_offers_an_alert_for_one_municipality_or_organiser(client, theme):
    organisation = make_organisation()
    make_event(municipality="varberg", organisation=organisation, themes=[theme])
    db.session.commit()
    for query, link in (
        ("kommun=varberg", "/bevaka?kommun=varberg"),
        (f"arrangor={organisation.slug}", f"/bevaka?arrangor={organisation.slug}"),
        (f"tema={theme.slug}", f"/bevaka?tema={theme.slug}"),
    ):
        page = client.get(f"/evenemang/?{query}").get_data(as_text=True)
        assert f'href="{link}"' in page
    # Two filters are not one thing to follow.
    page = client.get("/evenemang/?kommun=varberg&kommun=halmstad").get_data(as_text=True)
    assert "/bevaka?" not in page
    theme_page = client.get(f"/teman/{theme.slug}").get_data(as_text=True)
    assert f'href="/bevaka?tema={theme.slug}"' in theme_page


def test_a_message_gets_its_extra_headers_and_refuses_line_breaks_in_them():
    def message(headers):
        return build_message(OutgoingEmail(
            sender="noreply@example.se", recipient="a@example.se", subject="S", text="t",
            html="<p>t</p>", message_id="<1@example.se>", headers=headers,
        ))  # fmt: skip

    parsed = message_from_bytes(message({"List-Unsubscribe": "<https://x.se/u>"}).as_bytes(),
                                policy=default)  # fmt: skip
    assert parsed["List-Unsubscribe"] == "<https://x.se/u>"
    with pytest.raises(ValueError, match="line break"):
        message({"List-Unsubscribe": "<https://x.se/u>\r\nBcc: someone@example.se"})


@pytest.mark.parametrize("token", ["x", "%00", "a" * 5_000, "..%2F..", "%ff%fe", "WzEsIngiXQ"])
def test_hostile_links_are_not_found(client, token):
    for path in (f"/bevaka/bekrafta/{token}", f"/bevaka/avsluta/{token}"):
        for method in ("GET", "POST"):
            assert client.open(path, method=method).status_code in (400, 404), (method, path)
