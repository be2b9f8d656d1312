"""Turning user-written text into safe output."""

import re
import threading
import unicodedata

import markdown
import nh3
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

# A Markdown parser is costly to build (every extension, processor and pattern) but keeps
# per-document state while converting, so it cannot be shared between threads (the app
# serves requests on several): each thread builds one and reuses it, reset per document.
_parsers = threading.local()


def _parser() -> markdown.Markdown:
    parser = getattr(_parsers, "markdown", None)
    if parser is None:
        parser = _parsers.markdown = markdown.Markdown(
            extensions=["sane_lists"], output_format="html"
        )
    return parser


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML, sanitised with nh3 so no script or handler survives."""
    # Reset before rather than after: a conversion that raised leaves no state behind.
    html = _parser().reset().convert(source or "")
    return Markup(_SANITISER.clean(html))  # noqa: S704 - sanitised by nh3 above


def markdown_to_text(source: str | None) -> str:
    """Plain text of a Markdown description, for calendar files and emails."""
    return _TEXT_ONLY.clean(str(render_markdown(source))).strip()


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug for URLs: 'Hälsa på lika villkor' → 'halsa-pa-lika-villkor'."""
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "evenemang"
