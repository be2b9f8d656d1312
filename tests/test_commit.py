"""The views' one commit helper (eventreg/commit.py): a change is committed once, or rolled
back with the rule's message beside the form field it names, else as a flash message."""

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from wtforms import StringField

from eventreg.commit import commit_change
from eventreg.extensions import db
from eventreg.models import Organisation
from eventreg.services.errors import RuleError
from tests.factories import make_organisation


class OrganisationNameForm(FlaskForm):
    slug = StringField("Slug")
    name = StringField("Name")


def organisations() -> int:
    db.session.commit()  # what the helper left in the session would be saved now
    return db.session.scalar(select(func.count()).select_from(Organisation))


def add_organisation(slug: str = "ny") -> str:
    organisation = Organisation(slug=slug, name="Ny")
    db.session.add(organisation)
    db.session.flush()
    return organisation.name  # read before the commit


def broken(field: str | None):
    def change():
        add_organisation()
        raise RuleError("Regeln bröts.", field)

    return change


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield


def test_a_change_is_committed_and_its_value_returned(request_context):
    outcome = commit_change(add_organisation)
    assert (outcome.done, outcome.value, outcome.busy) == (True, "Ny", False)
    assert organisations() == 1


def test_a_broken_rule_is_rolled_back_and_shown_beside_its_field(request_context):
    form = OrganisationNameForm()
    outcome = commit_change(broken("name"), form=form, field="slug")
    assert not outcome.done
    assert form.name.errors == ["Regeln bröts."]
    assert not form.slug.errors
    assert get_flashed_messages() == []
    assert organisations() == 0


def test_a_rule_without_a_field_goes_beside_the_views_field_or_is_flashed(request_context):
    form = OrganisationNameForm()
    commit_change(broken(None), form=form, field="slug")
    assert form.slug.errors == ["Regeln bröts."]
    commit_change(broken("no_such_field"), form=form)
    commit_change(broken("name"))  # no form at all
    assert get_flashed_messages(with_categories=True) == [("error", "Regeln bröts.")] * 2
    assert organisations() == 0


def test_a_unique_value_taken_at_the_commit_is_a_field_error(request_context):
    make_organisation(slug="tagen")
    db.session.commit()
    form = OrganisationNameForm()
    outcome = commit_change(lambda: add_organisation("tagen"), form=form, unique_field="slug")
    assert not outcome.done
    assert form.slug.errors == ["Det här används redan."]
    assert organisations() == 1


class LockNotAvailable(Exception):
    sqlstate = "55P03"  # PostgreSQL's lock_not_available


def test_a_busy_event_changes_nothing_and_says_so(request_context):
    def change():
        add_organisation()
        raise OperationalError("UPDATE event", {}, LockNotAvailable())

    outcome = commit_change(change)
    assert (outcome.done, outcome.busy) == (False, True)
    [(category, _message)] = get_flashed_messages(with_categories=True)
    assert category == "error"
    assert organisations() == 0


def test_another_database_failure_is_not_taken_for_a_busy_event(request_context):
    def change():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    with pytest.raises(OperationalError):
        commit_change(change)
