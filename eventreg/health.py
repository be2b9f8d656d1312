"""`/healthz` for the reverse proxy and monitoring: whether this process can reach its
database, and nothing else."""

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .database import rollback_after_failure
from .errors import retry_after
from .extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt  # a monitor polls often, from one address
def healthz() -> Response:
    """200 "ok" when the database answers a `SELECT 1` (within the usual connect and
    statement timeouts), else 503. No version, no error text, no cookie, never cached."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.warning(
            "Health check: the database did not answer: %s",
            type(getattr(error, "orig", None) or error).__name__,
        )
        rollback_after_failure(db.session)
        return Response("unavailable\n", 503, mimetype="text/plain", headers=retry_after())
    return Response("ok\n", 200, mimetype="text/plain", headers={"Cache-Control": "no-store"})
