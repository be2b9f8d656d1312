"""Public pages: home, themes, the event list and archive, event pages, statements."""

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from ..mail.links import absolute_url
from ..models.translations import READ_PARAM, event_text, text_versions
from ..pagecache import cached_page
from ..services import catalogue, materials
from ..services.structured_data import event_json_ld
from ..templating import current_args
from .forms import active_filters, parse_event_filter

bp = Blueprint("catalogue", __name__)

# Far beyond any real list, and small enough that the row offset fits every database's
# integer (?sida=10**30 would overflow it).
MAX_PAGE = 100_000


@bp.get("/")
@cached_page
def home():
    return render_template(
        "catalogue/home.html",
        url=absolute_url("catalogue.home"),
        events=catalogue.upcoming_events(limit=6),
        themes=catalogue.all_themes(),
        counts=catalogue.upcoming_counts_by_theme(),
    )


@bp.get("/teman/")
@cached_page
def list_themes():
    return render_template(
        "catalogue/themes.html",
        themes=catalogue.all_themes(),
        counts=catalogue.upcoming_counts_by_theme(),
    )


@bp.get("/teman/<slug>")
@cached_page
def show_theme(slug: str):
    theme = catalogue.get_theme_by_slug(slug) or abort(404)
    return render_template(
        "catalogue/theme.html",
        theme=theme,
        url=absolute_url("catalogue.show_theme", slug=theme.slug),
        upcoming=catalogue.upcoming_events(limit=50, themes=(slug,)),
        past=catalogue.past_events(limit=10, themes=(slug,)),
    )


def _page_number() -> int:
    """?sida= as a page number from 1 to MAX_PAGE; anything else is the first page."""
    page = request.args.get("sida", 1, type=int)
    return min(max(page, 1), MAX_PAGE)


def _event_list(past: bool):
    form, event_filter = parse_event_filter(request.args, past=past)
    if event_filter is None:
        return render_template("catalogue/events.html", form=form, page=None, past=past), 400
    page = catalogue.paginate_events(
        event_filter,
        page=_page_number(),
        per_page=current_app.config["EVENTS_PER_PAGE"],
    )
    return render_template(
        "catalogue/events.html",
        form=form,
        page=page,
        past=past,
        event_filter=event_filter,
        chips=active_filters(form, current_args()),
    )


@bp.get("/evenemang/")
@cached_page
def list_events():
    return _event_list(past=False)


@bp.get("/evenemang/arkiv")
@cached_page
def list_past_events():
    return _event_list(past=True)


@bp.get("/evenemang/<public_id>")
@bp.get("/evenemang/<public_id>/<slug>")
@cached_page
def show_event(public_id: str, slug: str | None = None):
    event = catalogue.get_public_event(public_id) or abort(404)
    # ?las=ar: the event's text in another language it is written in (the address of the
    # page stays its canonical one); without it, the page's language when the event is
    # written in it, else Swedish.
    reading = request.args.get(READ_PARAM)
    if slug != event.slug:
        kept = {READ_PARAM: reading} if reading else {}
        return redirect(url_for(".show_event", public_id=public_id, slug=event.slug, **kept), 301)
    url = absolute_url("catalogue.show_event", public_id=event.public_id, slug=event.slug)
    return render_template(
        "catalogue/event.html", event=event, url=url,
        text=event_text(event, reading, g.lang), versions=text_versions(event),
        json_ld=event_json_ld(event, url),
        materials=materials.materials_of(event) if materials.can_have_materials(event) else [],
    )  # fmt: skip


@bp.get("/tillganglighet")
def accessibility_statement():
    return render_template("catalogue/accessibility.html")


@bp.get("/personuppgifter")
def privacy():
    return render_template("catalogue/privacy.html")


# Downloads of a past event's files register their routes on this blueprint.
from . import materials as _material_views  # noqa: E402, F401
from . import series as _series_views  # noqa: E402, F401
