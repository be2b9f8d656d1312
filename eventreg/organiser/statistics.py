"""Follow-up statistics pages: per organisation for organisers, across all for admins."""

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..services import feedback, statistics
from . import bp
from .access import can_manage_organisation, managed_organisations, parse_row_id
from .charts import bar_chart_svg
from .forms import StatisticsFilterForm

DIMENSION_NAMES = {
    "total": _l("All"),
    "theme": _l("Theme"),
    "target_group": _l("Target group"),
    "municipality": _l("Registrant's municipality"),
    "event_municipality": _l("Where held"),
    "sector": _l("Sector"),
    "month": _l("Month"),
}


def _scope(form: StatisticsFilterForm) -> set[int] | None:
    """Which organisations' figures: one the user may see, all of theirs, or (admins) all.
    An organisation id the user may not see is refused with 403, even if guessed."""
    chosen = request.args.get("organisation", "")
    if chosen:
        organisation_id = parse_row_id(chosen)
        if organisation_id is None:
            abort(400)
        if not can_manage_organisation(current_user, organisation_id):
            abort(403)
        return {organisation_id}
    return None if current_user.is_admin else current_user.organisation_ids


def _figures():
    form = StatisticsFilterForm(managed_organisations(current_user), request.args)
    scope = _scope(form)
    if not form.validate():
        return form, None
    tallies = statistics.load_tallies(scope, form.fran.data, form.till.data)
    figures = statistics.compute_tallies(
        tallies, statistics.theme_names(), statistics.vocabulary_labels(),
        month_label=statistics.month_name, target_group_names=statistics.target_group_names(),
    )  # fmt: skip
    return form, figures


# The feedback ratings' groups: all of them are the events' own (never the respondent's).
RATING_DIMENSION_NAMES = {
    "total": _l("All"),
    "theme": _l("Theme"),
    "event_municipality": _l("Where held"),
    "format": _l("Format"),
}


def _ratings(form: StatisticsFilterForm) -> feedback.Ratings:
    """Feedback ratings for the same organisations and dates as the figures."""
    facts = feedback.load_rating_facts(_scope(form), form.fran.data, form.till.data)
    return feedback.compute_ratings(facts, statistics.theme_names(), feedback.rating_labels())


@bp.get("/statistik")
def show_statistics():
    form, figures = _figures()
    charts = {}
    if figures is not None:
        legend = (_("Registered"), _("Attended"))
        for dimension, buckets in figures.dimensions():
            title = _("Registrations and attendance per %(dimension)s",
                      dimension=str(DIMENSION_NAMES[dimension]).lower())  # fmt: skip
            bars = [(b.label, b.registrations, b.attended) for b in buckets]
            svg = bar_chart_svg(title, bars, legend, f"chart-{dimension}")
            charts[dimension] = (title, Markup(svg))  # noqa: S704 - built from escaped text
    return render_template(
        "organiser/statistics.html",
        form=form,
        figures=figures,
        charts=charts,
        dimension_names=DIMENSION_NAMES,
        event_dimensions=statistics.EVENT_DIMENSIONS,
        demand_dimensions=statistics.DEMAND_DIMENSIONS,
        percent=statistics.percent,
        query=request.query_string.decode(),
        ratings=_ratings(form) if figures is not None else None,
        rating_dimension_names=RATING_DIMENSION_NAMES,
        format_mean=feedback.format_mean,
    ), (200 if figures is not None else 400)


@bp.get("/statistik.csv")
def export_statistics():
    form, figures = _figures()
    if figures is None:
        abort(400)
    names = {key: str(value) for key, value in DIMENSION_NAMES.items()}
    return Response(
        statistics.figures_csv(figures, names),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="uppfoljning.csv"'},
    )


@bp.get("/statistik/omdomen.csv")
def export_ratings():
    form, figures = _figures()
    if figures is None:
        abort(400)
    names = {key: str(value) for key, value in RATING_DIMENSION_NAMES.items()}
    return Response(
        feedback.ratings_csv(_ratings(form), names),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="omdomen.csv"'},
    )
