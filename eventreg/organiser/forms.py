"""Forms of the organiser area, every one of them. Labels are lazily translated."""

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .. import vocab
from ..forms import (
    CheckboxListField,
    TextForm,
    YearsBetween,
    https_url,
    longest,
    one_line,
    strip,
)
from ..models.events import MAX_CAPACITY, Event
from ..models.questions import ANSWER_MAX, HELP_TEXT_MAX, LABEL_MAX
from ..models.sessions import EventSession
from ..services.catalogue import all_organisations, all_target_groups, all_themes
from ..services.events import (
    SIMPLE_FIELDS,
    EventData,
    NonExistentLocalTime,
    local_to_utc,
    utc_to_local,
)
from ..services.reminders import MAX_REMINDER_HOURS, default_reminder_hours
from ..services.series import MAX_DESCRIPTION as MAX_SERIES_DESCRIPTION
from ..services.series import MAX_TITLE as MAX_SERIES_TITLE
from ..services.series import series_of_organisations
from ..services.sessions import SessionData


class LocalDateTimeField(DateTimeLocalField):
    """A datetime-local input read as Stockholm time; `data` is an aware UTC datetime."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date and time, like 2026-03-10 09:30.")) from None
        try:
            self.data = local_to_utc(self.data)
        except NonExistentLocalTime as error:
            self.data = None
            raise ValueError(str(error)) from None

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if not self.data:
            return ""
        local = utc_to_local(self.data)
        # Seconds (from an import) are kept, so saving the form unchanged changes no time.
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


class SpeakersField(TextAreaField):
    """Speakers one per line, 'Name, affiliation'; `data` is a list of (name, affiliation)."""

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        self.data = []
        for line in (valuelist[0] if valuelist else "").splitlines():
            name, _sep, affiliation = line.partition(",")
            if name.strip():
                # Too long or with control characters: the service says so, for this field.
                self.data.append((name.strip(), affiliation.strip()))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(f"{n}, {a}" if a else n for n, a in self.data or [])


class WholeNumberField(IntegerField):
    """An integer input with a plain-language error, and no second error from the
    validators when the text was not a number. Empty is no number (`data` None), not an
    error: whether that is allowed is the validators' call (Optional() for "no limit")."""

    def process_formdata(self, valuelist):
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a whole number, like 40.")) from None

    def post_validate(self, form, validation_stopped):
        if self.process_errors:
            self.errors = list(self.process_errors)


# The answers to a yes-or-no question that may be left unanswered, as posted and as stored.
YES_NO_NOT_STATED = {"y": True, "n": False, "": None}


def _yes_no_not_stated(value):
    if value is None or isinstance(value, bool):
        return value
    if value in YES_NO_NOT_STATED:
        return YES_NO_NOT_STATED[value]
    raise ValueError(_l("Choose yes, no or not stated."))


class YesNoNotStatedField(RadioField):
    """Yes, no or not stated, as radio buttons; `data` is True, False or None. Not posted
    at all is "not stated" (never a silent "no")."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("choices", [
            SelectChoice("y", _l("Yes")),
            SelectChoice("n", _l("No")),
            SelectChoice("", _l("Not stated")),
        ])  # fmt: skip
        super().__init__(label, validators, coerce=_yes_no_not_stated, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = _yes_no_not_stated(valuelist[0] if valuelist else "")
        except ValueError:
            self.data = None
            raise


def _optional_row_id(value):
    """A select's value as a row id, or None for its empty choice ("none")."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise ValueError(_l("Choose from the list."))
    return int(text)


def series_choices(organisations) -> list[SelectChoice]:
    """"No series", then the series of these organisations (named with their organisation
    when there are several)."""
    several = len(organisations) > 1
    return [SelectChoice("", _l("Not part of a series"))] + [
        SelectChoice(s.id, f"{s.title} ({s.organisation.name})" if several else s.title)
        for s in series_of_organisations({o.id for o in organisations})
    ]


class EventForm(TextForm):
    organisation_id = SelectField(_l("Organisation"), coerce=int)
    # Checked by the service, which says why one cannot be chosen (the responsible
    # organisation ticked too, after choosing another in the list above).
    co_organiser_ids = CheckboxListField(_l("Co-organisers"), coerce=int, validate_choice=False)
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), longest(Event.title)]
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), longest(Event.summary)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), longest(Event.description)]
    )
    format = SelectField(_l("Format"), choices=vocab.choices(vocab.FORMATS))
    # Not posted (an older form, an import tool): the series stays as it is.
    series_id = SelectField(_l("Series"), coerce=_optional_row_id)
    theme_ids = CheckboxListField(_l("Themes"), coerce=int)
    language_codes = CheckboxListField(
        _l("Languages"), choices=vocab.choices(vocab.LANGUAGES),
        validators=[DataRequired(_l("Choose at least one language."))],
    )
    target_group_ids = CheckboxListField(_l("Target groups"), coerce=int)
    audience = StringField(_l("For whom"), validators=[Optional(), longest(Event.audience)])
    interpretation_available = BooleanField(_l("Interpretation available"))
    interpretation_note = StringField(
        _l("About interpretation"), validators=[Optional(), longest(Event.interpretation_note)]
    )
    speakers = SpeakersField(_l("Speakers"), validators=[Length(max=5000)])
    start_dt = LocalDateTimeField(_l("Starts"), validators=[InputRequired(_l("Enter the start."))])
    end_dt = LocalDateTimeField(_l("Ends"), validators=[InputRequired(_l("Enter the end."))])
    municipality = SelectField(_l("Municipality"), choices=vocab.choices(vocab.MUNICIPALITIES))
    venue_name = StringField(_l("Venue"), validators=[Optional(), longest(Event.venue_name)])
    address = StringField(_l("Address"), validators=[Optional(), longest(Event.address)])
    online_url = URLField(
        _l("Link for online participation"),
        validators=[Optional(), longest(Event.online_url), https_url],
    )
    online_url_public = BooleanField(
        _l("Show the link to everyone: an open webinar anyone may join without registering")
    )
    first_reminder_hours = WholeNumberField(
        _l("First reminder, hours before the start"),
        default=lambda: default_reminder_hours()[0],
        validators=[Optional(), NumberRange(min=1, max=MAX_REMINDER_HOURS, message=_l(
            "Enter a number of hours from 1 to %(max)d, or leave it empty for no reminder."))],
    )  # fmt: skip
    second_reminder_hours = WholeNumberField(
        _l("Second reminder, hours before the start"),
        default=lambda: default_reminder_hours()[1],
        validators=[Optional(), NumberRange(min=1, max=MAX_REMINDER_HOURS, message=_l(
            "Enter a number of hours from 1 to %(max)d, or leave it empty for no reminder."))],
    )  # fmt: skip
    step_free_access = YesNoNotStatedField(_l("Step-free access"))
    hearing_loop = YesNoNotStatedField(_l("Hearing loop"))
    sign_language_interpretation = YesNoNotStatedField(_l("Sign language interpretation"))
    accessibility_notes = TextAreaField(
        _l("More about accessibility"),
        validators=[Optional(), longest(Event.accessibility_notes)],
    )
    capacity = WholeNumberField(
        _l("Seats"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=MAX_CAPACITY, message=_l("Enter a number of seats from 0 to %(max)d.")
            ),
        ],
    )
    confirm_capacity_reduction = BooleanField(
        _l("Move the people over the new number of seats to the waiting list")
    )
    # Not posted (an older form, an import tool): registration here, as before.
    registration_mode = RadioField(
        _l("How people register"), choices=vocab.choices(vocab.REGISTRATION_MODES),
        default="eventreg",
    )
    external_registration_url = URLField(
        _l("Address for registration elsewhere"),
        validators=[Optional(), longest(Event.external_registration_url), https_url],
    )
    registration_opens_dt = LocalDateTimeField(_l("Registration opens"), validators=[Optional()])
    registration_closes_dt = LocalDateTimeField(
        _l("Registration closes"), validators=[Optional()]
    )
    contact_email = EmailField(
        _l("Contact email"),
        validators=[Optional(), longest(Event.contact_email),
                    Email(_l("Enter an email address like name@example.se."))],
    )  # fmt: skip

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
        self.theme_ids.choices = [
            SelectChoice(t.id, t.name)
            for t in all_themes()
        ]
        self.target_group_ids.choices = [SelectChoice(t.id, t.name) for t in all_target_groups()]
        self.series_id.choices = series_choices(organisations)
        # The other organisations: not the responsible one (as saved or posted, else the
        # list's first, which the browser shows chosen). If another is chosen and this one
        # ticked too, the service says so.
        responsible = self.organisation_id.data
        if responsible not in {o.id for o in organisations}:
            responsible = organisations[0].id if organisations else None
        self.co_organiser_ids.choices = [
            SelectChoice(o.id, o.name) for o in all_organisations() if o.id != responsible
        ]

    def to_data(self) -> EventData:
        return EventData(
            **{name: getattr(self, name).data for name in SIMPLE_FIELDS},
            theme_ids=list(self.theme_ids.data or []),
            language_codes=list(self.language_codes.data or []),
            speakers=list(self.speakers.data or []),
            target_group_ids=list(self.target_group_ids.data or []),
            co_organiser_ids=list(self.co_organiser_ids.data or []),
        )

    def add_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors.append(message)


class SeriesDatesField(TextAreaField):
    """More dates for copies, one per line: "2026-03-17" (at the first copy's time of day)
    or "2026-03-17 13:00", Swedish time. `data` is a list of (date, time or None)."""

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        self.data = []
        for number, line in enumerate((valuelist[0] if valuelist else "").splitlines(), 1):
            text = line.strip()
            if not text:
                continue
            for pattern, has_time in (("%Y-%m-%d %H:%M", True), ("%Y-%m-%dT%H:%M", True),
                                      ("%Y-%m-%d", False)):  # fmt: skip
                try:
                    moment = datetime.strptime(text, pattern)  # noqa: DTZ007 - Swedish time
                except ValueError:
                    continue
                self.data.append((moment.date(), moment.time() if has_time else None))
                break
            else:
                self.data = []
                raise ValueError(_l(
                    "Line %(number)d, “%(text)s”, is not a date like 2026-03-17 or a date "
                    "and time like 2026-03-17 13:00.", number=number, text=text[:40],
                ))  # fmt: skip

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(
            f"{day:%Y-%m-%d} {at:%H:%M}" if at else f"{day:%Y-%m-%d}" for day, at in self.data
        )


class DuplicateEventForm(FlaskForm):
    start_dt = LocalDateTimeField(
        _l("Start of the new event"), validators=[InputRequired(_l("Enter the start."))]
    )
    more_dates = SeriesDatesField(_l("More copies (optional)"))
    # "Copy for a series": services.events.SERIES_LINKS. Not posted: no series, as before.
    series_link = RadioField(
        _l("Series"),
        choices=[
            SelectChoice("none", _l("Not part of a series")),
            SelectChoice("same", _l("Part of the same series as this event")),
            SelectChoice("new", _l("Part of a new series")),
        ],
        default="none",
    )
    series_title = StringField(
        _l("Name of the new series"),
        filters=[strip],
        validators=[Length(max=MAX_SERIES_TITLE), one_line],
    )

    def __init__(self, *args, series=None, **kwargs):
        """`series`: the original's series, offered by name; without one, not offered."""
        super().__init__(*args, **kwargs)
        if series is None:
            self.series_link.choices = [c for c in self.series_link.choices if c.value != "same"]
        else:
            self.series_link.choices = [
                # gettext, not lazy: a lazy string counts as safe HTML, and the title is not.
                SelectChoice("same", gettext("Part of the series “%(title)s”", title=series.title))
                if c.value == "same" else c
                for c in self.series_link.choices
            ]  # fmt: skip

    def starts(self) -> list[datetime]:
        """The starts of every copy, in UTC: the first, then one per extra date (at the
        first one's Swedish time of day when a line gives none)."""
        first = self.start_dt.data
        time_of_day = utc_to_local(first).time()
        starts = [first]
        for day, at in self.more_dates.data or []:
            starts.append(local_to_utc(datetime.combine(day, at or time_of_day)))
        return starts


class CancelEventForm(TextForm):
    reason = TextAreaField(
        _l("Message to the people registered"),
        validators=[DataRequired(_l("Tell people why the event is cancelled.")),
                    longest(Event.cancellation_reason)],
    )  # fmt: skip


class MessageForm(TextForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Enter a subject.")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(_l("Write the message.")), Length(max=5000)],
    )


class CheckInSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    q = SearchField(_l("Name or check-in code"), validators=[Optional(), Length(max=200)])


class RegistrationListForm(FlaskForm):
    """Searching and sorting the list of registrations (GET, so it works without script)."""

    class Meta:
        csrf = False  # a search changes nothing

    sok = SearchField(
        _l("Search by name, email or organisation"), validators=[Optional(), Length(max=200)]
    )
    ordning = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("", _l("Time of registration")),
            SelectChoice("namn", _l("Name")),
            SelectChoice("organisation", _l("Organisation")),
        ],
        default="",
        validators=[Optional()],
    )


def add_registration_form_class():
    """The public registration form, with the consent worded for an organiser."""
    from ..registration.forms import RegistrationForm

    class AddRegistrationForm(RegistrationForm):
        consent = BooleanField(
            _l("The person agrees that their personal data is processed as described"),
            validators=[DataRequired(_l("The person needs to agree to be registered."))],
        )

    return AddRegistrationForm


def _municipality_choices():
    return [SelectChoice("", _l("Read it from each event's place")), *vocab.choices(
        vocab.MUNICIPALITIES)]  # fmt: skip


class ImportUploadForm(FlaskForm):
    file = FileField(_l("File (.csv or .ics)"), validators=[FileRequired(_l("Choose a file."))])
    organisation_id = SelectField(_l("Organisation"), coerce=int)
    default_municipality = SelectField(
        _l("Municipality for .ics events without a place"), default=""
    )

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
        self.default_municipality.choices = _municipality_choices()


class ImportConfirmForm(FlaskForm):
    """The checked file travels back in the form, so the preview is exactly what is saved."""

    content = HiddenField()
    filename = HiddenField()
    organisation_id = HiddenField()
    default_municipality = HiddenField()


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


# --- materials after an event ---


class MaterialForm(TextForm):
    """A link or a file for a past event. Whether the file may be stored (type, size) is
    the materials service's to say; the form only carries it."""

    kind = RadioField(
        _l("Kind"), choices=vocab.choices(vocab.MATERIAL_KINDS), default="slides",
        validators=[InputRequired(_l("Choose the kind of material."))],
    )  # fmt: skip
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=300)]
    )
    language = SelectField(
        _l("Language of the material"), choices=vocab.choices(vocab.LANGUAGES), default="sv"
    )
    url = URLField(_l("Link (optional if you upload a file)"),
                   validators=[Optional(), Length(max=1000), https_url])  # fmt: skip
    file = FileField(_l("File (optional if you give a link)"))
    has_captions = YesNoNotStatedField(_l("Does the recording have captions?"))
    in_theme_library = BooleanField(_l("Also add it to the resource library of the event's themes"))


class MaterialEditForm(MaterialForm):
    """Changing a material: its kind and file stay as they are."""

    kind = None
    file = None


class SeriesForm(TextForm):
    """A series: its organisation (chosen once, at creation), title and description."""

    organisation_id = SelectField(_l("Organisation"), coerce=int)
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=MAX_SERIES_TITLE)],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=MAX_SERIES_DESCRIPTION)]
    )

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]


class SessionForm(TextForm):
    """One session of a course: its time, and a place only when it differs from the event's."""

    start_dt = LocalDateTimeField(_l("Starts"), validators=[InputRequired(_l("Enter the start."))])
    end_dt = LocalDateTimeField(_l("Ends"), validators=[InputRequired(_l("Enter the end."))])
    municipality = SelectField(
        _l("Municipality"),
        choices=[SelectChoice("", _l("The event's")), *vocab.choices(vocab.MUNICIPALITIES)],
    )
    venue_name = StringField(_l("Venue"), validators=[Optional(), longest(EventSession.venue_name)])
    address = StringField(_l("Address"), validators=[Optional(), longest(EventSession.address)])
    note = TextAreaField(
        _l("Note for this session"), validators=[Optional(), longest(EventSession.note)]
    )

    def to_data(self) -> SessionData:
        return SessionData(
            start_dt=self.start_dt.data, end_dt=self.end_dt.data,
            venue_name=self.venue_name.data or "", address=self.address.data or "",
            municipality=self.municipality.data or None, note=self.note.data or "",
        )  # fmt: skip


class QuestionForm(TextForm):
    """One of an event's own questions on its registration form. The rules (the number per
    event, the choices) are the service's (services.questions), which names the field."""

    label = StringField(
        _l("Question"),
        validators=[
            DataRequired(_l("Write the question.")),
            Length(max=LABEL_MAX, message=_l("Write at most %(max)d characters.")),
        ],
    )
    kind = RadioField(
        _l("Kind of answer"),
        choices=vocab.choices(vocab.QUESTION_KINDS),
        validators=[InputRequired(_l("Choose what kind of question it is."))],
    )
    choices = TextAreaField(
        _l("Choices, one per line"),
        validators=[Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
    help_text = StringField(
        _l("Help text (optional)"),
        validators=[Length(max=HELP_TEXT_MAX, message=_l("Write at most %(max)d characters."))],
    )
    is_required = BooleanField(_l("People must answer to register"))

    # A short text answer is at most this long (shown in the hint).
    answer_max = ANSWER_MAX
