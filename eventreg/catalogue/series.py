"""The public pages of series of events: the index of every public series, and a series'
page with its description, coming parts and (paged) past parts. Routes live on the
catalogue blueprint, cached like its other pages."""

from flask import abort, current_app, redirect, render_template, request, url_for

from ..mail.links import absolute_url
from ..pagecache import cached_page
from ..services import catalogue
from ..services import series as series_service
from ..services.catalogue import EventFilter
from ..services.structured_data import series_json_ld
from .views import MAX_PAGE, bp


@bp.get("/serier/")
@cached_page
def list_series():
    return render_template(
        "catalogue/series_list.html", summaries=series_service.public_series_index()
    )


@bp.get("/serier/<public_id>")
@bp.get("/serier/<public_id>/<slug>")
@cached_page
def show_series(public_id: str, slug: str | None = None):
    series = series_service.get_public_series(public_id) or abort(404)
    if slug != series.slug:
        return redirect(url_for(".show_series", public_id=public_id, slug=series.slug), 301)
    page_number = min(max(request.args.get("sida", 1, type=int), 1), MAX_PAGE)
    upcoming = catalogue.upcoming_events(
        limit=series_service.MAX_UPCOMING_SHOWN, series=(public_id,)
    )
    past = catalogue.paginate_events(
        EventFilter(series=(public_id,), past=True),
        page=page_number,
        per_page=current_app.config["EVENTS_PER_PAGE"],
    )
    url = absolute_url("catalogue.show_series", public_id=series.public_id, slug=series.slug)
    return render_template(
        "catalogue/series.html",
        series=series,
        url=url,
        upcoming=upcoming,
        past=past,
        json_ld=series_json_ld(series, url, [*upcoming, *past.items]),
    )
