"""`audit.log_change`, the one way services log a change to something other than an event
or a registration (themes, series, target groups, embed origins…)."""

from eventreg.extensions import db
from eventreg.models import AuditEntry
from eventreg.services import audit
from tests.factories import make_user


def test_log_change_records_who_and_cuts_the_label_to_the_column():
    user = make_user(quick_hash=True)
    entry = audit.log_change("admin.theme.update", "x" * 400, user, {"name_sv": ["a", "b"]})
    assert entry.id is not None  # flushed: the caller only commits
    assert audit.MAX_LABEL_LENGTH == 300
    stored = db.session.get(AuditEntry, entry.id)
    assert (stored.action, stored.label, stored.user_id, stored.changes) == (
        "admin.theme.update", "x" * 300, user.id, {"name_sv": ["a", "b"]}
    )  # fmt: skip


def test_log_change_without_a_user_or_a_flush():
    entry = audit.log_change("series.update", "Serie", None, {}, flush=False)
    assert entry.user_id is None
    assert entry.id is None
    assert entry in db.session.new
    db.session.flush()
    assert entry.id is not None
    assert entry.label == "Serie"
