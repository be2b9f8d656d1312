"""Follow-up statistics pages: per organisation for organisers, across all for admins."""

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from ..forms import YearsBetween
from ..services import statistics
from .access import can_manage_organisation, managed_organisations, parse_row_id
from .views import bp

DIMENSION_NAMES = {
    "total": _l("All"),
    "theme": _l("Theme"),
    "municipality": _l("Registrant's municipality"),
    "event_municipality": _l("Where held"),
    "sector": _l("Sector"),
    "month": _l("Month"),
}


class StatisticsFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET: reading figures changes nothing

    organisation = SelectField(_l("Organisation"), validators=[Optional()])
    # Follow-up covers this registry's years; far-off dates are typing mistakes.
    fran = DateField(_l("Events from"), validators=[Optional(), YearsBetween(2000, 2100)])
    till = DateField(_l("Events until"), validators=[Optional(), YearsBetween(2000, 2100)])

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = _l("All organisations") if current_user.is_admin else _l("All mine")
        self.organisation.choices = [SelectChoice("", everything)] + [
            SelectChoice(str(o.id), o.name) for o in organisations
        ]

    def validate_till(self, field):
        if field.data and self.fran.data and field.data < self.fran.data:
            raise ValidationError(_l("The end date must not be before the start date."))


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
    facts = statistics.load_facts(scope, form.fran.data, form.till.data)
    events = statistics.load_events(scope, form.fran.data, form.till.data)
    figures = statistics.compute(
        facts, statistics.theme_names(), statistics.vocabulary_labels(), events=events,
        month_label=statistics.month_name,
    )  # fmt: skip
    return form, figures


@bp.get("/statistik")
@login_required
def show_statistics():
    form, figures = _figures()
    charts = {}
    if figures is not None:
        legend = (_("Registered"), _("Attended"))
        for dimension, buckets in figures.dimensions():
            title = _("Registrations and attendance per %(dimension)s",
                      dimension=str(DIMENSION_NAMES[dimension]).lower())  # fmt: skip
            bars = [(b.label, b.registrations, b.attended) for b in buckets]
            svg = statistics.bar_chart_svg(title, bars, legend, f"chart-{dimension}")
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
    ), (200 if figures is not None else 400)


@bp.get("/statistik.csv")
@login_required
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
