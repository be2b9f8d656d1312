"""Sign-up and self-service: the registration form, and the pages behind the manage link.

Everything behind a manage or feed link is found by its signed token; a wrong, tampered or
revoked token is a plain 404, the same as an address that never existed.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from ..database import is_lock_timeout, rollback_keeping_loaded
from ..errors import retry_after
from ..extensions import db, limiter
from ..feeds import ical
from ..feeds.links import webcal_url
from ..i18n import current_language
from ..mail.links import absolute_url, base_url
from ..models import Registration, RegistrationState
from ..services import catalogue, questions, registrations
from ..services.errors import RuleError
from ..services.registrations import RegistrationClosed, RegistrationError, UnsafeHeaderValue
from .forms import CancelForm, ProfileForm, RegistrationForm, with_questions

bp = Blueprint("registration", __name__)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]

# Pages whose address holds a secret: not cached, not indexed, and not sent as Referer to
# the links on them (an online meeting link, the privacy authority …).
SECRET_URL_ENDPOINTS = {
    "registration.manage",
    "registration.cancel",
    "registration.download_ics",
    "registration.personal_feed",
}


@bp.after_request
def _protect_secret_urls(response: Response) -> Response:
    if request.endpoint in SECRET_URL_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        if request.endpoint != "registration.personal_feed":
            response.headers["Cache-Control"] = "no-store"
    return response


def _registration_or_404(token: str) -> Registration:
    return registrations.registration_from_manage_token(token) or abort(404)


def _busy(template: str, **context):
    """503 with the page as it was and a "try again" message (nothing was stored). Called
    after `rollback_keeping_loaded`: the page shows what was loaded before the change was
    tried, without asking the busy database again."""
    return render_template(template, busy=True, **context), 503, retry_after()


def _show_on_form(form, error: RuleError) -> None:
    """The service's message next to the field it names (the form then answers 400)."""
    form[error.field].errors.append(error.message)


def _closed(event, state: str, status: int):
    return render_template("registration/closed.html", event=event, state=state), status


# Where the sign-up leaves the address it was sent to, for the "check your email" page.
SIGNUP_EMAIL_KEY = "signup_email"


@bp.route("/evenemang/<public_id>/anmalan", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
def register(public_id: str):
    """The registration form. A valid sign-up always ends on the same "check your email"
    page, whether the address is new or already registered: the details and the manage link
    (and through it the personal calendar of all the address's events) go to the mailbox
    only, so typing someone's address here tells nothing about them."""
    event = registrations.signup_event(public_id) or abort(404)
    state = event.registration_state()
    if state != RegistrationState.OPEN:
        return _closed(event, state, 200 if request.method == "GET" else 409)
    # The event's own questions, read before the sign-up takes the event's lock.
    form = with_questions(RegistrationForm, questions.form_questions(event))()
    if form.validate_on_submit():
        try:
            registrations.register(event, form.attendee_details(), locale=current_language())
        except RegistrationClosed as closed:
            db.session.rollback()
            return _closed(event, closed.reason, 409)
        except UnsafeHeaderValue as error:
            db.session.rollback()
            _show_on_form(form, error)
            return render_template("registration/register.html", event=event, form=form), 400
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise  # the database failed: the 503 page of errors.py
            # Others held the event longer than the lock timeout: answer now, keep the input.
            rollback_keeping_loaded(db.session)
            return _busy("registration/register.html", event=event, form=form)
        except IntegrityError:
            # The unique index caught the same address registering twice at the same moment:
            # the other request stored it and emailed the address, so the answer is the same.
            db.session.rollback()
        else:
            db.session.commit()
        session[SIGNUP_EMAIL_KEY] = form.email.data
        return redirect(url_for(".check_email", public_id=public_id))
    status = 400 if form.errors else 200
    return render_template("registration/register.html", event=event, form=form), status


@bp.get("/evenemang/<public_id>/anmalan/skickad")
def check_email(public_id: str):
    """After a sign-up: "we have sent you an email". The same for every address, and
    nothing on it depends on the registration (not even whether it has a seat)."""
    event = registrations.signup_event(public_id) or abort(404)
    page = render_template(
        "registration/check_email.html",
        event=event,
        email=session.pop(SIGNUP_EMAIL_KEY, None),
        contact_email=event.contact_email or event.organisation.contact_email,
    )
    return page, 200, {"Cache-Control": "no-store"}  # it shows the address typed


@bp.route("/anmalan/<token>", methods=["GET", "POST"])
def manage(token: str):
    """See the registration and change name, organisation and needs."""
    registration = _registration_or_404(token)
    asked = questions.questions_of(registration.event_id)
    answers = questions.answers_of(registration)
    form_class = with_questions(ProfileForm, asked, earlier=answers)
    if request.method == "GET":
        form = form_class(obj=registration, data={
            questions.field_name(q): answers.get(q.id) for q in asked})  # fmt: skip
    else:
        form = form_class()
    if request.method == "GET" and registration.interpretation_language is None:
        form.interpretation_language.data = ""
    if request.method == "POST":
        if not registration.is_active:
            abort(409)
        if form.validate():
            try:
                questions.update_registration_and_answers(
                    registration, form.profile_update(), form.answers
                )
            except UnsafeHeaderValue as error:
                db.session.rollback()
                _show_on_form(form, error)  # and the page again, below
            except RegistrationError:
                db.session.rollback()
                abort(409)
            else:
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(url_for(".manage", token=token))
    feed_token = registrations.feed_token(registration)
    feed_url = absolute_url("registration.personal_feed", token=feed_token)
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
        questions=asked,
        answers=answers,
        answer_text=questions.answer_text,
        position=registrations.waiting_position(registration),
        feed_url=feed_url,
        feed_webcal_url=webcal_url(feed_url),
    ), (400 if form.errors else 200)


@bp.route("/anmalan/<token>/avboka", methods=["GET", "POST"])
def cancel(token: str):
    """Cancel, after a confirmation step; a freed seat goes to the waiting list."""
    registration = _registration_or_404(token)
    form = CancelForm()
    if not registration.is_active:
        return redirect(url_for(".manage", token=token))
    event = catalogue.event_with_details(registration.event_id)
    if form.validate_on_submit():
        try:
            registrations.cancel_registration(registration)
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise  # the database failed: the 503 page of errors.py
            rollback_keeping_loaded(db.session)
            return _busy(
                "registration/cancel.html", registration=registration,
                event=event, form=form, token=token,
            )  # fmt: skip
        db.session.commit()
        flash(_("Your registration is cancelled. We have sent a confirmation to your email."),
              "success")  # fmt: skip
        return redirect(url_for(".manage", token=token))
    return render_template(
        "registration/cancel.html",
        registration=registration,
        event=event,
        form=form,
        token=token,
    )


@bp.get("/anmalan/<token>/evenemang.ics")
def download_ics(token: str):
    """The event as a calendar file (the same UID as the public feeds)."""
    registration = _registration_or_404(token)
    event = registration.event
    calendar = ical.build_calendar(
        [event], base_url=base_url(), name=event.title, locale=current_language(),
        # The meeting link and the alarm the attendee chose, for someone with a seat.
        for_registrant=registration.is_confirmed,
        alarms={event.id: registration.calendar_alarm_minutes},
    )
    response = Response(ical.serialize(calendar), mimetype="text/calendar")
    response.headers.set("Content-Disposition", "attachment", filename=f"{event.slug}.ics")
    return response


@bp.get("/kalender/mina/<token>.ics")
def personal_feed(token: str):
    """A private calendar feed of the events this address has a seat at. It carries no
    manage link: seeing someone's calendar must not let anyone change their registration."""
    registration = registrations.registration_from_feed_token(token) or abort(404)
    locale = request.args.get("lang")
    if locale not in current_app.config["LANGUAGES"]:
        locale = registration.locale
    with force_locale(locale):
        name = _("My registrations – %(site)s", site=current_app.config["SITE_NAME"])
    events = registrations.personal_feed_events(registration)
    calendar = ical.build_calendar(
        events,
        base_url=base_url(),
        name=name,
        locale=locale,
        # Only events this address has a seat at: their meeting links, and their alarms.
        for_registrant=True,
        alarms=registrations.calendar_alarms(registration, events),
    )
    response = Response(ical.serialize(calendar), mimetype="text/calendar")
    response.headers.set("Content-Disposition", "attachment", filename="mina-anmalningar.ics")
    response.cache_control.private = True
    response.cache_control.max_age = 900
    return response
