"""The human side of the open data: how to use the API, and the follow-up figures."""

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from ..mail.links import absolute_url
from ..services import open_data
from . import pages_bp
from .views import statistics_object

DIMENSION_NAMES = {
    "theme": _l("Theme"),
    "municipality": _l("Where held"),
    "format": _l("Format"),
    "month": _l("Month"),
}


@pages_bp.get("/oppna-data")
def api_page():
    return render_template(
        "api/index.html",
        api_root=absolute_url("api.list_events").removesuffix("/events"),
        openapi_url=absolute_url("api.openapi"),
        rate_limit=current_app.config["API_RATE_LIMIT"],
        min_count=current_app.config["OPEN_STATISTICS_MIN_COUNT"],
    )


@pages_bp.get("/oppna-data/statistik")
def show_statistics():
    figures = statistics_object(
        open_data.open_statistics(current_app.config["OPEN_STATISTICS_MIN_COUNT"])
    )
    return render_template(
        "api/statistics.html",
        figures=figures,
        dimensions=[
            (name, label, getattr(figures, f"by_{name}")) for name, label in DIMENSION_NAMES.items()
        ],  # fmt: skip
        api_url=absolute_url("api.show_statistics"),
    )
