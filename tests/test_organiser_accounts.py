"""Organiser accounts: login, logout, rate limit, no user enumeration, create-admin, demo users."""

import re

import pytest
from sqlalchemy import select

from eventreg.demo import DEMO_USERS, load_demo_data
from eventreg.extensions import db, limiter
from eventreg.models import Membership, User
from tests.factories import USER_PASSWORD, make_organisation, make_user


def login(client, email, password=USER_PASSWORD, **extra):
    return client.post(
        "/arrangor/logga-in?lang=en", data={"email": email, "password": password, **extra}
    )


def error_text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.findall(r'class="field-error"[^>]*>(.*?)</p>', html, re.S))


def test_password_is_stored_as_a_strong_hash_not_in_clear():
    user = make_user(password="hemligt-lösenord-123")
    assert "hemligt" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:sha256:"))
    assert user.check_password("hemligt-lösenord-123")
    assert not user.check_password("fel")


def test_login_then_dashboard_then_logout(client):
    organisation = make_organisation(name="Varbergs kommun")
    make_user(email="anna@varberg.se", organisations=[organisation])
    db.session.commit()

    assert client.get("/arrangor/").status_code == 302
    response = login(client, "Anna@Varberg.se ")  # case and blanks do not matter
    assert response.status_code == 302
    assert response.headers["Location"] == "/arrangor/"
    page = client.get("/arrangor/?lang=en").get_data(as_text=True)
    assert "Varbergs kommun" in page

    response = client.post("/arrangor/logga-ut")
    assert response.status_code == 302
    assert client.get("/arrangor/").status_code == 302


def test_login_records_last_login_time(client):
    user = make_user()
    db.session.commit()
    login(client, user.email)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    user = make_user()
    db.session.commit()
    wrong_password = login(client, user.email, "not the password")
    unknown_email = login(client, "nobody@example.se", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert error_text(wrong_password) == error_text(unknown_email)
    assert "not correct" in error_text(unknown_email)
    # The typed email is kept, the password is not echoed back.
    assert 'value="nobody@example.se"' in unknown_email.get_data(as_text=True)
    assert "not the password" not in unknown_email.get_data(as_text=True)


def test_unknown_email_costs_a_password_hash_check(monkeypatch, client):
    """Similar work for unknown and known emails, so timing reveals nothing."""
    from eventreg.models import users

    calls = []
    original = users.check_password_hash
    monkeypatch.setattr(
        users, "check_password_hash", lambda h, p: calls.append(h) or original(h, p)
    )
    login(client, "nobody@example.se", "whatever")
    assert calls == [users.DUMMY_PASSWORD_HASH]


def test_inactive_user_cannot_log_in(client):
    user = make_user(active=False)
    db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 400
    assert client.get("/arrangor/").status_code == 302


def test_deactivated_user_loses_an_open_session(client):
    user = make_user()
    db.session.commit()
    login(client, user.email)
    assert client.get("/arrangor/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/arrangor/").status_code == 302


def test_empty_login_form_shows_error_summary_linking_to_fields(client):
    response = client.post("/arrangor/logga-in?lang=en", data={"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert 'href="#email"' in html
    assert 'href="#password"' in html


def test_login_redirects_to_the_page_asked_for(client):
    user = make_user()
    db.session.commit()
    response = client.get("/arrangor/")
    assert "/arrangor/logga-in?next=" in response.headers["Location"]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/arrangor/"' in form
    response = login(client, user.email, next="/arrangor/?x=1")
    assert response.headers["Location"] == "/arrangor/?x=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\x0d\x0aSet-Cookie:x",
    ],
)
def test_login_never_redirects_off_site(client, target):
    user = make_user()
    db.session.commit()
    response = login(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/arrangor/"


def test_logout_needs_a_csrf_token(csrf_app):
    user = make_user()
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/arrangor/logga-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/arrangor/logga-in",
        data={"email": user.email, "password": USER_PASSWORD, "csrf_token": token},
    )
    assert client.get("/arrangor/").status_code == 200
    assert client.post("/arrangor/logga-ut").status_code == 400
    assert client.get("/arrangor/").status_code == 200  # still logged in
    assert client.post("/arrangor/logga-ut", data={"csrf_token": token}).status_code == 302
    assert client.get("/arrangor/").status_code == 302


def test_login_needs_a_csrf_token(csrf_app):
    user = make_user()
    db.session.commit()
    client = csrf_app.test_client()
    response = client.post(
        "/arrangor/logga-in", data={"email": user.email, "password": USER_PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/arrangor/").status_code == 302


def test_session_protection_is_strong(app):
    from eventreg.extensions import login_manager

    assert login_manager.session_protection == "strong"


def test_session_cookie_from_another_browser_is_not_trusted(client):
    user = make_user()
    db.session.commit()
    login(client, user.email)
    assert client.get("/arrangor/").status_code == 200
    other_browser = client.get("/arrangor/", headers={"User-Agent": "Another browser"})
    assert other_browser.status_code == 302


@pytest.fixture
def rate_limit(app):
    """A small login quota instead of the generous one tests normally run with."""
    original = app.config["LOGIN_RATE_LIMIT"]
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    yield
    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = original


def test_login_is_rate_limited(client, rate_limit):
    user = make_user()
    db.session.commit()
    for _ in range(3):
        assert login(client, user.email, "wrong").status_code == 400
    response = login(client, user.email)  # even the right password is refused now
    assert response.status_code == 429
    assert client.get("/arrangor/").status_code == 302
    # Reading the form is not limited.
    assert client.get("/arrangor/logga-in").status_code == 200


def test_rate_limit_storage_defaults_to_memory_and_is_configurable(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    from eventreg import create_app

    other = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
         "RATELIMIT_STORAGE_URI": "memory://?custom=1"}
    )  # fmt: skip
    assert other.config["RATELIMIT_STORAGE_URI"] == "memory://?custom=1"


def test_create_admin_command(runner):
    result = runner.invoke(
        args=["create-admin"],
        input="Admin@Region.se\nAdam Admin\nett-långt-lösenord\nett-långt-lösenord\n",
    )
    assert result.exit_code == 0, result.output
    assert "ett-långt-lösenord" not in result.output  # hidden input
    user = db.session.scalar(select(User).where(User.email == "admin@region.se"))
    assert user.is_admin
    assert user.name == "Adam Admin"
    assert user.check_password("ett-långt-lösenord")


def test_create_admin_asks_again_when_confirmation_differs(runner):
    result = runner.invoke(
        args=["create-admin", "--email", "a@b.se", "--name", "A"],
        input="ett-långt-lösenord\nnågot-annat-lösen\nett-långt-lösenord\nett-långt-lösenord\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "don't match" in result.output.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "inte-en-adress", "--name", "A", "--password", "ett-långt-lösenord"], "email"),
        (["--email", "a@b.se", "--name", "A", "--password", "kort"], "12 characters"),
    ],
)
def test_create_admin_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["create-admin", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User)) is None


def test_create_admin_refuses_an_email_in_use(runner):
    make_user(email="a@b.se")
    db.session.commit()
    result = runner.invoke(
        args=["create-admin", "--email", "A@b.se", "--name", "A", "--password", "ett-långt-ord"]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_demo_data_has_an_admin_and_a_varberg_organiser(client):
    load_demo_data()
    db.session.commit()
    users = {u.email: u for u in db.session.scalars(select(User))}
    admin_email, _, admin_password, _ = DEMO_USERS[0]
    organiser_email, _, organiser_password, _ = DEMO_USERS[1]
    assert users[admin_email].is_admin
    organiser = users[organiser_email]
    assert not organiser.is_admin
    memberships = db.session.scalars(select(Membership).where(Membership.user_id == organiser.id))
    assert [m.organisation.slug for m in memberships] == ["varbergs-kommun"]
    assert login(client, organiser_email, organiser_password).status_code == 302
    client.post("/arrangor/logga-ut")
    assert login(client, admin_email, admin_password).status_code == 302


# --- password reset ------------------------------------------------------------------------


def reset_emails():
    from eventreg.models import OutboxEmail

    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "password_reset")))


def reset_link(email) -> str:
    return re.search(r"(/arrangor/nytt-losenord/\S+)", email.body_text).group(1)


def test_password_reset_answers_the_same_for_every_email(client):
    user = make_user(email="anna@varberg.se")
    inactive = make_user(email="off@varberg.se", active=False)
    db.session.commit()
    answers = []
    for email in ("anna@varberg.se", "nobody@varberg.se", inactive.email):
        response = client.post("/arrangor/glomt-losenord?lang=en", data={"email": email})
        assert response.status_code == 302
        page = client.get("/arrangor/logga-in?lang=en").get_data(as_text=True)
        answers.append(re.search(r'class="flash[^"]*">(.*?)</p>', page, re.S).group(1)
                       .replace(email, "EMAIL"))  # fmt: skip
    assert answers[0] == answers[1] == answers[2]
    emails = reset_emails()
    assert len(emails) == 1
    assert emails[0].recipient.endswith("<anna@varberg.se>")
    assert emails[0].registration_id is None
    assert user.id


def test_the_reset_email_is_on_the_shared_email_layout_and_names_the_site(app, client):
    make_user(email="anna@varberg.se", name="Anna Andersson")
    db.session.commit()
    original, app.config["SITE_NAME"] = app.config["SITE_NAME"], "Testsajten"
    try:
        client.post("/arrangor/glomt-losenord?lang=en", data={"email": "anna@varberg.se"})
    finally:
        app.config["SITE_NAME"] = original
    [email] = reset_emails()
    assert email.subject == "Choose a new password for Testsajten"
    for body in (email.body_text, email.body_html):
        assert "Hello Anna Andersson," in body
        assert "organiser account on Testsajten" in body
        # The layout's own footer, and nothing of its event table or personal links.
        assert "This is an automatic message from Testsajten." in body
        assert "See, change or cancel your registration" not in body
        assert "Organiser" not in body
    assert '<html lang="en">' in email.body_html
    assert 'style="max-width: 40em;' in email.body_html  # the layout's phone-sized column


def test_the_reset_pages_are_not_stored_and_send_no_referrer(client):
    make_user(email="anna@varberg.se")
    db.session.commit()
    client.post("/arrangor/glomt-losenord", data={"email": "anna@varberg.se"})
    for path in ("/arrangor/glomt-losenord", reset_link(reset_emails()[0])):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/arrangor/logga-in").headers["Cache-Control"] == "no-store"


def test_password_reset_link_sets_a_new_password_once(client):
    user = make_user(email="anna@varberg.se")
    db.session.commit()
    client.post("/arrangor/glomt-losenord", data={"email": "Anna@Varberg.se"})
    link = reset_link(reset_emails()[0])
    assert client.get(link).status_code == 200
    response = client.post(link + "?lang=en", data={"password": "kort", "password_again": "kort"})
    assert response.status_code == 400
    new = "ett-nytt-långt-lösenord"
    response = client.post(link, data={"password": new, "password_again": new})
    assert response.status_code == 302
    assert login(client, user.email, new).status_code == 302
    # Used once: the same link no longer works.
    assert client.get(link).status_code == 404


def test_password_reset_link_expires_and_cannot_be_forged(client, app):
    user = make_user()
    db.session.commit()
    with app.test_request_context():
        from eventreg.auth import accounts

        token = accounts.password_reset_token(user)
        assert accounts.user_from_reset_token(token) == user
        assert accounts.user_from_reset_token(token[:-2] + "xx") is None
        app.config["PASSWORD_RESET_MAX_AGE"] = -1
        try:
            assert accounts.user_from_reset_token(token) is None
        finally:
            app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    assert client.get("/arrangor/nytt-losenord/inte-en-token").status_code == 404


def test_password_reset_request_needs_csrf(csrf_app):
    make_user(email="anna@varberg.se")
    db.session.commit()
    client = csrf_app.test_client()
    assert (
        client.post("/arrangor/glomt-losenord", data={"email": "anna@varberg.se"}).status_code
        == 400
    )
    assert reset_emails() == []
