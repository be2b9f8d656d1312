"""Turning user-written text into safe output."""

import re
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


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML, sanitised with nh3 so no script or handler survives."""
    html = markdown.markdown(source or "", extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 above


def markdown_to_text(source: str | None) -> str:
    """Plain text of a Markdown description, for calendar files and emails."""
    return nh3.clean(str(render_markdown(source)), tags=set()).strip()


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug for URLs: 'Hälsa på lika villkor' → 'halsa-pa-lika-villkor'."""
    normalized = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "evenemang"
