"""Organiser pages for series of events: the series of the user's organisations, and
creating, changing and removing one. Routes live on the organiser blueprint (whose guard
needs a login); each view checks the series' organisation here."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..commit import commit_change
from ..extensions import db
from ..forms import ConfirmForm
from ..models import EventSeries
from ..services import series as series_service
from ..services.series import SeriesData
from . import bp
from .access import (
    can_manage_organisation,
    managed_organisation_ids,
    managed_organisations,
)
from .forms import SeriesForm
from .views import _check_posted_organisation as check_posted_organisation


def series_or_403(series_id: int) -> EventSeries:
    """The series, if the current user may manage it: 404 if there is none, 403 if it is
    another organisation's."""
    series = db.session.get(EventSeries, series_id)
    if series is None:
        abort(404)
    if not can_manage_organisation(current_user, series.organisation_id):
        abort(403)
    return series


def _data(form: SeriesForm, organisation_id: int) -> SeriesData:
    return SeriesData(
        title=form.title.data or "",
        description=form.description.data or "",
        organisation_id=organisation_id,
    )


@bp.get("/serier")
def list_series():
    all_series = series_service.series_of_organisations(managed_organisation_ids(current_user))
    return render_template(
        "organiser/series_list.html",
        all_series=all_series,
        counts=series_service.event_counts([s.id for s in all_series]),
        can_create=bool(managed_organisations(current_user)),
    )


@bp.route("/serier/ny", methods=["GET", "POST"])
def new_series():
    organisations = managed_organisations(current_user)
    if not organisations:
        abort(403)
    if request.method == "POST":
        # An organisation id that exists but is not the user's is a forbidden request.
        check_posted_organisation()
    form = SeriesForm(organisations)
    if form.validate_on_submit():
        data = _data(form, form.organisation_id.data)
        outcome = commit_change(
            lambda: series_service.create_series(data, current_user).id, form=form
        )
        if outcome.done:
            flash(_("The series is saved. Choose it on the events that are part of it."),
                  "success")  # fmt: skip
            return redirect(url_for(".edit_series", series_id=outcome.value))
    status = 400 if form.errors else 200
    return render_template("organiser/series_form.html", form=form, series=None), status


@bp.route("/serier/<id:series_id>", methods=["GET", "POST"])
def edit_series(series_id: int):
    series = series_or_403(series_id)
    form = SeriesForm([series.organisation], obj=series)
    # The organisation is not changed here: the form posts none, and the series keeps its own.
    form.organisation_id.data = series.organisation_id
    if form.validate_on_submit():
        data = _data(form, series.organisation_id)
        if commit_change(lambda: series_service.update_series(series, data, current_user),
                         form=form).done:  # fmt: skip
            flash(_("Saved."), "success")
            return redirect(url_for(".edit_series", series_id=series_id))
    status = 400 if form.errors else 200
    return render_template(
        "organiser/series_form.html",
        form=form,
        series=series,
        events=series_service.events_of(series),
    ), status


@bp.route("/serier/<id:series_id>/ta-bort", methods=["GET", "POST"])
def delete_series(series_id: int):
    series = series_or_403(series_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if commit_change(lambda: series_service.delete_series(series, current_user)).done:
            flash(_("The series is removed. Its events are kept, outside any series."),
                  "success")  # fmt: skip
            return redirect(url_for(".list_series"))
        return redirect(url_for(".edit_series", series_id=series_id))
    return render_template(
        "organiser/series_delete.html",
        series=series,
        form=form,
        count=series_service.event_counts([series.id]).get(series.id, 0),
    )
