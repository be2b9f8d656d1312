"""Turning user-written text into safe output, and cleaning text on its way in."""

import re
import unicodedata
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# What an organiser may use in a description: text structure and links, nothing active.
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "code", "pre", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

# Built once: nh3's cleaners are immutable, so one serves every thread.
_SANITISER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer",
)
_TEXT_ONLY = nh3.Cleaner(tags=set())

# CommonMark, parsed by markdown-it-py in time linear in the input: Python-Markdown took 14 s
# for 4,000 "[" and an organiser may write 20,000 characters. HTML typed into a description
# is shown as text, not parsed (the parser's raw-HTML rules are where its worst cases were
# found); links whose scheme markdown-it thinks unsafe stay text. nh3 still sanitises the
# result, so nothing the parser lets through can be active. The parser keeps no state
# between documents, so one serves every thread; rendering once here builds its rule caches
# before threads share it.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_MARKDOWN.render("")


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML, sanitised with nh3 so no script or handler survives."""
    html = _MARKDOWN.render(source or "")
    return Markup(_SANITISER.clean(html))  # noqa: S704 - sanitised by nh3 above


def markdown_to_text(source: str | None) -> str:
    """Plain text of a Markdown description, for calendar files and emails."""
    return _TEXT_ONLY.clean(str(render_markdown(source))).strip()


# Control characters (C0 with tab, CR and LF; DEL; C1) and the Unicode line and paragraph
# separators. None belongs in a one-line value: a line break in a title or a venue ends the
# header of every email and the line of every calendar file it is written into.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS_BUT_TAB_AND_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def is_one_line(value: str | None) -> bool:
    """Whether the text has no line break and no other control character."""
    return not CONTROL_CHARACTERS.search(value or "")


def contains_line_break(value: str | None) -> bool:
    """Line breaks (and other vertical separators) end an email header early."""
    return any(char in (value or "") for char in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def is_https_url(value: str | None) -> bool:
    """A web address that starts with https:// and names a host: the only kind of link an
    event or a resource may give (no unencrypted http://, no javascript:)."""
    try:
        parts = urlsplit((value or "").strip())
    except ValueError:  # e.g. an unclosed [ in the host
        return False
    return parts.scheme.lower() == "https" and bool(parts.hostname)


def normalise_newlines(value: str) -> str:
    """Multi-line text with LF line ends only: CRLF, a lone CR and the other line separators
    (Unicode's, vertical tab, form feed) become LF; other control characters but tab go."""
    return _CONTROLS_BUT_TAB_AND_LF.sub("", _LINE_BREAKS.sub("\n", value))


def spreadsheet_safe(value: str) -> str:
    """A CSV cell that a spreadsheet shows as text: one that would run as a formula gets an
    apostrophe in front."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug for URLs: 'Hälsa på lika villkor' → 'halsa-pa-lika-villkor'."""
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "evenemang"
