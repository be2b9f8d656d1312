"""/inbaddning/evenemang: upcoming events as a compact page for an iframe on another site.

No JavaScript needed: links open eventreg in the top window (`target="_top"`). The page
may be framed only by the origins administrators list (Content-Security-Policy
frame-ancestors, every organisation's, or those of the organisations in `arrangor`); every
other page of the site keeps frame-ancestors 'none'.
"""

from flask import current_app, g, render_template, request, url_for

from .. import security
from ..i18n import current_language
from ..services import catalogue, embedding
from . import bp
from .forms import EmbedForm


def _chosen_labels(field) -> list[str]:
    labels = {str(choice.value): str(choice.label) for choice in field.choices}
    return [labels.get(value, value) for value in field.data or ()]


def _lang_args() -> dict:
    language = current_language()
    return {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}


@bp.get("/evenemang")
def events():
    # ?lang= picks the list's language without becoming the visitor's choice for the site
    # (the preview on an organiser's page would otherwise switch their language), and a
    # cacheable answer sets no cookie.
    g.remember_locale = False
    form = EmbedForm(request.args)
    arrangor = tuple(value for value in request.args.getlist("arrangor") if value)
    if not form.validate():
        response = current_app.make_response(
            (render_template("embed/events.html", form=form, events=None), 400)
        )
    else:
        event_filter = form.to_filter()
        events = catalogue.upcoming_events(
            limit=form.count,
            themes=event_filter.themes,
            municipalities=event_filter.municipalities,
            organisations=event_filter.organisations,
        )
        topics = [
            *_chosen_labels(form.tema),
            *_chosen_labels(form.kommun),
            *_chosen_labels(form.arrangor),
        ]
        list_args = {
            key: value
            for key, value in (
                ("tema", list(event_filter.themes)),
                ("kommun", list(event_filter.municipalities)),
                ("arrangor", list(event_filter.organisations)),
            )
            if value
        }
        response = current_app.make_response(
            render_template(
                "embed/events.html",
                form=form,
                events=events,
                topics=topics,
                more_url=url_for("catalogue.list_events", **list_args, **_lang_args()),
                lang_args=_lang_args(),
            )
        )
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["EMBED_MAX_AGE"]
        response.vary.add("Cookie")  # the language may come from the lang cookie
    # An error page is framed like the list, so the site embedding it shows the message.
    # 'self': the preview on the organisers' "show on your website" page.
    origins = embedding.frame_ancestors(arrangor)
    response.headers["Content-Security-Policy"] = security.content_security_policy(
        ["'self'", *origins]
    )
    if not origins:  # for browsers without frame-ancestors; it cannot name other origins
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
