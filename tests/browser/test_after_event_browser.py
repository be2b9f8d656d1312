"""The organiser's pages after an event in Chromium: attaching a link and a file, a refused
file, changing and removing a material, the event's feedback and the ratings on the
follow-up page, each with an axe-core scan."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import EventMaterial, utcnow
from eventreg.services import feedback
from eventreg.services.feedback import FeedbackData
from eventreg.services.registrations import register
from tests.factories import (
    USER_PASSWORD,
    make_event,
    make_organisation,
    make_theme,
    make_user,
    registration_details,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def past_event(app):
    varberg = make_organisation(name="Varbergs kommun")
    theme = make_theme(name_sv="Mottagande", name_en="Reception")
    event = make_event(organisation=varberg, themes=[theme], title="Mottagande i praktiken",
                       start_dt=utcnow() - timedelta(days=2, hours=3),
                       end_dt=utcnow() - timedelta(days=2, hours=1))  # fmt: skip
    comments = ["Bra exempel", "Mer tid för frågor", "", "Tack!", "Lokalen var för liten"]
    for n, comment in enumerate(comments):
        registration = register(event, registration_details(), locale="sv",
                                ignore_window=True).registration  # fmt: skip
        feedback.submit_feedback(registration, FeedbackData(5 - n % 3, "yes", ["practical"],
                                                            comment))  # fmt: skip
    organiser = make_user(organisations=[varberg], quick_hash=True)
    db.session.commit()
    return event, organiser


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in?lang=en")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My events")


def test_attach_change_and_remove_materials(past_event, page, assert_no_axe_violations,
                                            screenshot, tmp_path):  # fmt: skip
    event, organiser = past_event
    log_in(page, organiser)
    page.goto(f"/arrangor/evenemang/{event.id}/material")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Materials: {event.title}")
    assert_no_axe_violations(page)

    page.get_by_label("Recording").check()
    page.get_by_label("Title").fill("The lecture, recorded")
    page.get_by_label("Language of the material").select_option("en")
    page.get_by_label("Link (optional if you upload a file)").fill("https://play.example.se/v/9")
    page.get_by_role("group", name="Does the recording have captions?").get_by_label(
        "Yes").check()
    page.get_by_label("Also add it to the resource library").check()
    page.get_by_role("button", name="Add material").click()
    expect(page.get_by_text("The material is added.")).to_be_visible()

    program = tmp_path / "slides.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)  # a program named as a PDF
    page.get_by_label("Title").fill("Slides")
    page.get_by_label("File (optional if you give a link)").set_input_files(str(program))
    page.get_by_role("button", name="Add material").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "materials-refused-file")

    slides = tmp_path / "bilder.pdf"
    slides.write_bytes(PDF)
    page.get_by_label("Title").fill("Bilder")
    page.get_by_label("File (optional if you give a link)").set_input_files(str(slides))
    page.get_by_role("button", name="Add material").click()
    expect(page.get_by_text("The material is added.")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "materials")

    bilder = db.session.scalar(select(EventMaterial).where(EventMaterial.title == "Bilder"))
    page.locator(f"a[href='/arrangor/evenemang/{event.id}/material/{bilder.id}']").click()
    assert_no_axe_violations(page)
    page.get_by_label("Title").fill("Presentationsbilder")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The material is saved.")).to_be_visible()
    page.locator(f"a[href$='/material/{bilder.id}/ta-bort']").click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("The material is removed.")).to_be_visible()
    db.session.expire_all()
    assert [m.title for m in db.session.scalars(select(EventMaterial))] == [
        "The lecture, recorded"]


def test_feedback_results_and_ratings(past_event, page, assert_no_axe_violations, screenshot):
    event, organiser = past_event
    log_in(page, organiser)
    page.goto(f"/arrangor/evenemang/{event.id}/omdomen")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Feedback: {event.title}")
    expect(page.get_by_text("Lokalen var för liten")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "feedback-results")
    page.goto("/arrangor/statistik")
    expect(page.get_by_role("heading", name="Feedback from participants")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "statistics-ratings")
