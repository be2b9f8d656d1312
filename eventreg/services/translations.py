"""Event text in several languages: the administrators' list of languages, and organisers'
translations of an event's title, summary and description.

Functions flush; the view commits. Every change is written to the audit log. A translation
is cleaned as the event's own text is (services/events.py): one-line title, multi-line
summary and description with LF line ends only, the columns' lengths.
"""

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEntry, ContentLanguage, Event, EventTranslation, User
from ..models.translations import (
    DIRECTIONS,
    ORIGINAL_LANGUAGE,
    SEED_CONTENT_LANGUAGES,
    translation_in,
)
from ..models.types import max_length
from ..text import is_one_line, normalise_newlines
from .audit import diff, record_event_change
from .errors import RuleError

# A BCP 47 tag as people write them for a language: a primary language subtag of two or three
# letters, then optional subtags (a script, a region, or a private use part as in
# "sv-x-lattlast"). Lower case, as the codes in addresses are.
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$")

LANGUAGE_FIELDS = ("code", "native_name", "name_sv", "name_en", "direction")
TRANSLATION_FIELDS = ("title", "summary", "description")


class TranslationRuleError(RuleError):
    """A change the rules do not allow; `field` names the form field to mark, if any."""


# --- The list of languages (administrators) ------------------------------------------------


def content_languages(*, active_only: bool = False) -> list[ContentLanguage]:
    """The languages in the administrators' order."""
    stmt = select(ContentLanguage).order_by(ContentLanguage.position, ContentLanguage.id)
    if active_only:
        stmt = stmt.where(ContentLanguage.is_active)
    return list(db.session.scalars(stmt))


def translation_counts() -> dict[str, int]:
    """How many events have a translation in each language; languages without any are left
    out."""
    rows = db.session.execute(
        select(EventTranslation.code, func.count()).group_by(EventTranslation.code)
    )
    return dict(rows.all())


def _log_language(action: str, language: ContentLanguage, user: User, changes: dict) -> None:
    db.session.add(AuditEntry(action=action, label=f"{language.name_sv} ({language.code})"[:300],
                              user_id=user.id, changes=changes))  # fmt: skip
    db.session.flush()


def _next_position() -> int:
    last = db.session.scalar(select(func.max(ContentLanguage.position)))
    return 0 if last is None else last + 1


def save_content_language(
    language: ContentLanguage | None, values: dict[str, Any], user: User
) -> ContentLanguage:
    """Create (language=None) or change a language. The code is given once, when the
    language is added: translations refer to it, so it never changes afterwards."""
    values = dict(values)
    if language is not None:
        values["code"] = language.code
    code = (values.get("code") or "").strip().lower()
    if not LANGUAGE_TAG.match(code) or len(code) > max_length(ContentLanguage.code):
        raise TranslationRuleError(
            _("Enter a language code such as ar, prs or sv-x-lattlast (BCP 47)."), "code"
        )
    if code == ORIGINAL_LANGUAGE:
        raise TranslationRuleError(
            _("Swedish is every event's own language; it needs no translation."), "code"
        )
    clash = db.session.scalar(select(ContentLanguage).where(ContentLanguage.code == code))
    if clash is not None and clash is not language:
        raise TranslationRuleError(_("This language is already in the list."), "code")
    if values.get("direction") not in DIRECTIONS:
        raise TranslationRuleError(_("Choose the direction of the writing."), "direction")
    for name in ("native_name", "name_sv", "name_en"):
        text = (values.get(name) or "").strip()
        if not text:
            raise TranslationRuleError(_("Enter the name."), name)
        if not is_one_line(text) or len(text) > max_length(getattr(ContentLanguage, name)):
            raise TranslationRuleError(
                _("Write the name on one line, in at most %(max)d characters.",
                  max=max_length(getattr(ContentLanguage, name))), name)  # fmt: skip
        values[name] = text
    values["code"] = code
    created = language is None
    language = language or ContentLanguage(position=_next_position(), is_active=True)
    before = {name: getattr(language, name) for name in LANGUAGE_FIELDS}
    for name in LANGUAGE_FIELDS:
        setattr(language, name, values[name])
    db.session.add(language)
    db.session.flush()
    changes = diff(before, {name: getattr(language, name) for name in LANGUAGE_FIELDS})
    if changes:
        action = "create" if created else "update"
        _log_language("admin.content_language." + action, language, user, changes)
    return language


def set_language_active(language: ContentLanguage, active: bool, user: User) -> None:
    """An inactive language is not offered for new translations; those already written in it
    stay, are still shown and can still be edited or removed."""
    if language.is_active == active:
        return
    _log_language("admin.content_language.update", language, user,
                  {"is_active": [language.is_active, active]})  # fmt: skip
    language.is_active = active
    db.session.flush()


def move_language(language: ContentLanguage, step: int, user: User) -> None:
    """Move a language one place up (step -1) or down (+1) in the list; the positions are
    renumbered 0, 1, 2 … on the way, so equal numbers cannot keep two in place."""
    languages = content_languages()
    index = languages.index(language)
    other = index + step
    if step not in (-1, 1) or not 0 <= other < len(languages):
        return
    languages[index], languages[other] = languages[other], languages[index]
    for position, item in enumerate(languages):
        item.position = position
    _log_language("admin.content_language.update", language, user,
                  {"position": [index, other]})  # fmt: skip
    db.session.flush()


def delete_content_language(language: ContentLanguage, user: User) -> None:
    """Remove a language nobody has written in. One in use is refused (deactivate it
    instead): removing it would remove translations without anyone deciding so."""
    in_use = db.session.scalar(
        select(func.count())
        .select_from(EventTranslation)
        .where(EventTranslation.code == language.code)
    )
    if in_use:
        raise TranslationRuleError(_(
            "Events are described in this language, so it cannot be removed. Deactivate it "
            "instead: it is then no longer offered for new translations."
        ))  # fmt: skip
    _log_language("admin.content_language.delete", language, user, {"code": [language.code, None]})
    db.session.delete(language)
    db.session.flush()


def add_missing_seed_languages() -> list[ContentLanguage]:
    """The seed list's languages that are missing (by code), added at the end (for demo data
    on a database whose seed rows were removed)."""
    known = set(db.session.scalars(select(ContentLanguage.code)))
    position = _next_position()
    added = []
    for code, native, name_sv, name_en, direction in SEED_CONTENT_LANGUAGES:
        if code not in known:
            added.append(ContentLanguage(
                code=code, native_name=native, name_sv=name_sv, name_en=name_en,
                direction=direction, position=position + len(added), is_active=True,
            ))  # fmt: skip
    db.session.add_all(added)
    db.session.flush()
    return added


# --- An event's translations (organisers) ---------------------------------------------------


@dataclass
class TranslationData:
    code: str
    title: str
    summary: str = ""
    description: str = ""


MAX_LENGTHS = {name: max_length(getattr(EventTranslation, name)) for name in TRANSLATION_FIELDS}


def _cleaned(data: TranslationData) -> TranslationData:
    return TranslationData(
        code=(data.code or "").strip(),
        title=(data.title or "").strip(),
        summary=normalise_newlines(data.summary or "").strip(),
        description=normalise_newlines(data.description or "").strip(),
    )


def validate_translation(data: TranslationData) -> dict[str, str]:
    """Problems with a translation's text, keyed by field name (empty when all is well)."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Enter a title.")
    elif not is_one_line(data.title):
        errors["title"] = _("Write this on one line, without line breaks or control characters.")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(data, name) or "") > limit:
            errors.setdefault(name, _("Write at most %(max)d characters.", max=limit))
    return errors


def languages_to_translate(event: Event) -> list[ContentLanguage]:
    """Active languages the event has no translation in yet."""
    written = {t.code for t in event.translations}
    return [language for language in content_languages(active_only=True)
            if language.code not in written]  # fmt: skip


def save_translation(event: Event, data: TranslationData, user: User | None) -> EventTranslation:
    """Add the event's translation into `data.code`, or change the one it has. A new
    translation needs an active language; one already written can always be changed."""
    data = _cleaned(data)
    errors = validate_translation(data)
    if errors:
        name, message = next(iter(errors.items()))
        raise TranslationRuleError(message, name)
    translation = translation_in(event, data.code)
    if translation is None:
        language = db.session.scalar(
            select(ContentLanguage).where(
                ContentLanguage.code == data.code, ContentLanguage.is_active
            )
        )
        if language is None:
            raise TranslationRuleError(_("Choose a language from the list."), "code")
        translation = EventTranslation(code=data.code, language=language, title="")
        before = {}
        event.translations.append(translation)
    else:
        before = {name: getattr(translation, name) for name in TRANSLATION_FIELDS}
    for name in TRANSLATION_FIELDS:
        setattr(translation, name, getattr(data, name))
    db.session.flush()
    changes = diff(before, {name: getattr(translation, name) for name in TRANSLATION_FIELDS})
    if changes or not before:
        action = "event.translation.update" if before else "event.translation.add"
        record_event_change(event, action, user, {"language": [None, data.code], **changes})
    return translation


def delete_translation(event: Event, code: str, user: User | None) -> None:
    """Remove the event's translation into `code` (nothing happens if it has none)."""
    translation = translation_in(event, code)
    if translation is None:
        return
    event.translations.remove(translation)  # delete-orphan: the row goes at the flush
    db.session.flush()
    record_event_change(event, "event.translation.delete", user, {"language": [code, None]})


def copy_translations(original: Event, copy: Event) -> None:
    """Give a copy of an event (for a series) the original's translations, so the copy is
    described in the same languages (flushes)."""
    copy.translations = [
        EventTranslation(
            code=t.code, language=t.language, title=t.title, summary=t.summary,
            description=t.description,
        )  # fmt: skip
        for t in original.translations
    ]
    db.session.flush()
