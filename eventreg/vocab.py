"""Controlled vocabularies: the one source for forms, filters, templates and tests."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

TIMEZONE = "Europe/Stockholm"

# Halland's six municipalities, then the two places that are not one of them.
HALLAND_MUNICIPALITIES = {
    "halmstad": "Halmstad",
    "kungsbacka": "Kungsbacka",
    "varberg": "Varberg",
    "falkenberg": "Falkenberg",
    "laholm": "Laholm",
    "hylte": "Hylte",
}
MUNICIPALITIES = {
    **HALLAND_MUNICIPALITIES,
    "online": _l("Online"),
    "elsewhere": _l("Outside Halland"),
}

FORMATS = {
    "seminar": _l("Seminar"),
    "lecture": _l("Lecture"),
    "workshop": _l("Workshop"),
    "webinar": _l("Webinar"),
    # Usually several sessions under one registration (models.sessions), but not necessarily.
    "short_course": _l("Short course"),
}

# ISO 639 codes of the languages events are held in.
LANGUAGES = {
    "sv": _l("Swedish"),
    "en": _l("English"),
    "ar": _l("Arabic"),
    "so": _l("Somali"),
    "ti": _l("Tigrinya"),
    "prs": _l("Dari"),
    "fa": _l("Persian"),
    "uk": _l("Ukrainian"),
    "bs": _l("Bosnian/Croatian/Serbian"),
    "sgn-se": _l("Swedish Sign Language"),
}

# How people sign up for an event: here (a form, seats, a waiting list), not at all (an open
# lecture: just come), or on another website (a joint event registered by a partner).
REGISTRATION_MODES = {
    "eventreg": _l("Registration here"),
    "none": _l("No registration needed"),
    "external": _l("Registration on another website"),
}

EVENT_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

# A registration's status in words (lists, exports, the audit log).
REGISTRATION_STATUSES = {
    "confirmed": _l("Confirmed seat"),
    "waiting": _l("On the waiting list"),
    "cancelled": _l("Cancelled registration"),
}

RESOURCE_KINDS = {
    "recording": _l("Recorded lecture"),
    "course": _l("Short course"),
    "reading": _l("Further reading"),
}

# What organisers attach to a past event (models.materials.MATERIAL_KINDS).
MATERIAL_KINDS = {
    "slides": _l("Slides"),
    "document": _l("Document"),
    "recording": _l("Recording"),
}

# The kinds of question an organiser can add to an event's registration form
# (models.questions.QUESTION_KINDS).
QUESTION_KINDS = {
    "text": _l("Short text"),
    "choice": _l("One of a few choices"),
    "yes_no": _l("Yes or no"),
}

# The feedback form's answers (models.feedback).
FEEDBACK_USEFULNESS = {
    "yes": _l("Yes"),
    "partly": _l("Partly"),
    "no": _l("No"),
}
FEEDBACK_IMPROVEMENTS = {
    "content": _l("The content"),
    "speakers": _l("The speakers"),
    "practical": _l("Venue, technology or practical arrangements"),
    "length": _l("Length and timing"),
    "information": _l("Information before the event"),
    "accessibility": _l("Accessibility"),
}

SECTORS = {
    "municipality": _l("Municipality"),
    "region": _l("Region"),
    "government_agency": _l("Government agency"),
    "civil_society": _l("Non-profit organisation"),
    "business": _l("Business"),
    "private_person": _l("Private person"),
    "other": _l("Other"),
}


def municipality_named_in(text: str) -> str | None:
    """The Halland municipality whose name the text contains ("Varbergs kommun",
    "Biblioteket, Falkenberg"), or None."""
    folded = (text or "").casefold()
    for code, name in HALLAND_MUNICIPALITIES.items():
        if name.casefold() in folded:
            return code
    return None


def choices(vocabulary: dict) -> list[SelectChoice]:
    """Options for a WTForms select or checkbox list; labels are translated at render time."""
    return [SelectChoice(value, label) for value, label in vocabulary.items()]
