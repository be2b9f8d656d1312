"""Which web sites may frame the embeddable event list: origins an administrator lists per
organisation, checked and normalised here, and the `frame-ancestors` list built from them.

An origin is scheme://host[:port] and nothing else (RFC 6454): https only, except
http://localhost and http://127.0.0.1 for trying an embed out on one's own computer.
"""

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import EmbedOrigin, Organisation, User
from ..models.types import max_length
from .audit import log_change
from .catalogue import searchable
from .errors import RuleError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
# One DNS label: letters, digits and inner hyphens (IDNA names arrive here as xn--…).
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
MAX_ORIGIN_LENGTH = max_length(EmbedOrigin.origin)


class OriginError(RuleError):
    """An origin that cannot be allowed; the message says why."""


def normalise_origin(text: str) -> str:
    """`text` as a normalised origin (lower case, default port left out, no trailing slash),
    or OriginError. Whatever it returns is safe to put in a Content-Security-Policy header:
    only letters, digits, dots, hyphens, the scheme's "://" and a port are left."""
    text = (text or "").strip()
    if not text:
        raise OriginError(_("Enter the address of the web site, such as https://www.varberg.se."))
    if len(text) > MAX_ORIGIN_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise OriginError(_("This is not a web address."))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise OriginError(_("This is not a web address.")) from None
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        raise OriginError(_("The address must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise OriginError(_("The address must not hold a user name or password."))
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise OriginError(
            _("Enter only the web site's address (scheme and host), without a path: "
              "https://www.varberg.se, not https://www.varberg.se/evenemang.")
        )  # fmt: skip
    host = _normalise_host(parts.hostname or "")
    scheme = parts.scheme.lower()
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise OriginError(
            _("The address must start with https:// (http:// only for localhost and 127.0.0.1).")
        )
    if port is not None and not 0 < port < 65536:
        raise OriginError(_("This is not a web address."))
    default_port = {"https": 443, "http": 80}[scheme]
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{scheme}://{host}{suffix}"


def _normalise_host(host: str) -> str:
    """A DNS name in its ASCII (IDNA) form, or an IPv4 address; IPv6 and wildcards are
    refused."""
    invalid = OriginError(_("This is not a web address."))
    host = host.rstrip(".")
    if _IPV4.match(host):
        if any(int(part) > 255 for part in host.split(".")):
            raise invalid
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise invalid from None
    labels = ascii_host.split(".")
    if not ascii_host or not all(_LABEL.match(label) for label in labels):
        raise invalid
    if len(labels) < 2 and ascii_host not in LOCAL_HOSTS:
        raise OriginError(_("Enter the web site's full address, such as https://www.varberg.se."))
    return ascii_host


def add_origin(organisation: Organisation, text: str, user: User) -> EmbedOrigin:
    """Allow `organisation`'s listing to be framed by the site at `text`. Flushes."""
    origin = normalise_origin(text)
    if any(existing.origin == origin for existing in organisation.embed_origins):
        raise OriginError(_("This web site is already in the list."))
    allowed = EmbedOrigin(organisation=organisation, origin=origin)
    db.session.add(allowed)
    log_change("admin.embed_origin.add", organisation.name, user, {"origin": [None, origin]})
    return allowed


def remove_origin(allowed: EmbedOrigin, user: User) -> None:
    changes = {"origin": [allowed.origin, None]}
    # Not flushed here: the entry goes to the database with the deletion.
    log_change("admin.embed_origin.remove", allowed.organisation.name, user, changes, flush=False)
    db.session.delete(allowed)
    db.session.flush()


def frame_ancestors(organisation_slugs: tuple[str, ...] = ()) -> list[str]:
    """The origins that may frame the embed: every organisation's, or only those of the
    organisations (by slug) whose events the embed is limited to. Sorted, without repeats."""
    stmt = select(EmbedOrigin.origin).distinct()
    if organisation_slugs:
        slugs = [slug for slug in organisation_slugs if searchable(slug)]
        stmt = stmt.join(Organisation).where(Organisation.slug.in_(slugs))
    return sorted(db.session.scalars(stmt))
