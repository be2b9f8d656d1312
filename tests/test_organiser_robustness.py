"""No input to the organiser forms gives a server error: arbitrary text in every field is
either accepted or answered with the form and its errors, and nothing half-written stays."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.models import Event
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_user

EVENT_FIELDS = [
    "organisation_id", "title", "summary", "description", "format", "theme_ids",
    "language_codes", "audience", "interpretation_note", "speakers", "start_dt", "end_dt",
    "municipality", "venue_name", "address", "online_url", "capacity",
    "registration_opens_dt", "registration_closes_dt", "contact_email",
]  # fmt: skip

# Text that stresses parsers: any characters, plus values close to valid ones.
VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["2030-03-31T02:30", "0001-01-01T00:00", "9999-12-31T23:59", "-1",
                     "99999999999999999999", "9223372036854775808", "javascript:alert(1)",
                     "sv", "varberg", "1"]),
)  # fmt: skip


def _setup(app, is_admin: bool = False):
    organisation = make_organisation()
    user = make_user(organisations=[organisation], quick_hash=True, is_admin=is_admin)
    event = make_event(organisation=organisation, capacity=10)
    db.session.commit()
    client = app.test_client()
    client.post("/arrangor/logga-in", data={"email": user.email, "password": USER_PASSWORD})
    return client, event


@settings(
    max_examples=40, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.fixed_dictionaries({}, optional={name: VALUES for name in EVENT_FIELDS}))
def test_any_event_form_input_is_answered_without_a_server_error(app, data):
    client, event = _setup(app)
    try:
        before = db.session.scalar(select(func.count()).select_from(Event))
        new = client.post("/arrangor/evenemang/nytt", data=data)
        edit = client.post(f"/arrangor/evenemang/{event.id}/redigera", data=data)
        assert new.status_code in (200, 302, 400, 403)
        assert edit.status_code in (200, 302, 400, 403)
        if new.status_code != 302:
            assert db.session.scalar(select(func.count()).select_from(Event)) == before
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@settings(
    max_examples=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=300), organisation=st.text(max_size=20),
       fran=st.text(max_size=20))  # fmt: skip
def test_any_search_or_filter_is_answered_without_a_server_error(app, query, organisation, fran):
    client, event = _setup(app, is_admin=True)  # an admin reaches every page
    try:
        responses = [
            client.get(f"/arrangor/evenemang/{event.id}/incheckning", query_string={"q": query}),
            client.get("/arrangor/statistik",
                       query_string={"organisation": organisation, "fran": fran}),
            client.get("/arrangor/statistik.csv", query_string={"fran": fran}),
            client.get("/admin/logg", query_string={"event_id": query}),
        ]  # fmt: skip
        assert all(r.status_code in (200, 400) for r in responses)
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.mark.parametrize("posted_id", ["9223372036854775808", "2147483648", "0", "-5", " 7"])
def test_organisation_ids_beyond_any_row_are_refused_without_a_server_error(app, posted_id):
    client, event = _setup(app)
    for url in ("/arrangor/evenemang/nytt", "/arrangor/import"):
        response = client.post(url, data={"organisation_id": posted_id, "title": "X"})
        assert response.status_code in (400, 403), url
