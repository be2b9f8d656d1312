"""Email messages from data: pure functions, no request, no database, no sending."""

import io
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from ..qr import qr_symbol
from ..text import contains_line_break


@dataclass(frozen=True)
class OutgoingEmail:
    """Everything a message is made of, as stored in the outbox."""

    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    message_id: str
    ics: bytes | None = None
    ics_method: str | None = None
    ics_filename: str = "event.ics"
    # What the QR code shown in the HTML holds (the check-in URL), or None for no QR code.
    qr_content: str | None = None
    # Where replies go (formatted like the recipient), or None for the sender's address.
    reply_to: str | None = None
    # Extra headers ({name: value}), e.g. an alert's List-Unsubscribe (RFC 2369, RFC 8058).
    headers: dict[str, str] | None = None


# The QR code in emails: 5 pixels a module stays sharp on screens and paper, and the 4-module
# white border is the quiet zone the QR standard asks for (scanners need it).
QR_SCALE = 5
QR_BORDER = 4
QR_FILENAME = "check-in-qr.png"


def qr_png(content: str) -> bytes:
    """The QR code as a black-on-white PNG, written by segno itself (no imaging library).

    A PNG rather than SVG because many email clients block SVG images."""
    buffer = io.BytesIO()
    qr_symbol(content).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def qr_pixel_size(content: str) -> int:
    """Width (= height) in pixels of `qr_png(content)`, for the HTML's width and height."""
    width, _height = qr_symbol(content).symbol_size(scale=QR_SCALE, border=QR_BORDER)
    return width


def qr_content_id(message_id: str) -> str:
    """The Content-ID of a message's QR image (without <>), used as `cid:` in its HTML.

    Derived from the Message-ID, which is fixed when the email is queued, so the HTML rendered
    then and the image part added at sending agree, and the id is unique to the message."""
    return "qr." + message_id.strip().strip("<>")


def format_recipient(name: str, address: str) -> str:
    """'Name <address>' with the name quoted or encoded as needed; refuses line breaks,
    which would let a value add headers of its own.

    A domain with å, ä or ö is written in its ASCII (IDNA) form, which every mail server
    takes; a non-ASCII part before the @ is kept and fails at sending if the server cannot
    take it (the form does not accept such addresses)."""
    if contains_line_break(name) or contains_line_break(address):
        raise ValueError("line break in a recipient")
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        try:
            address = f"{local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            pass
    try:
        return str(Address(display_name=name.strip(), addr_spec=address))
    except ValueError:
        # Not a plain ASCII address: queued anyway (a registration never fails on its email);
        # the sender marks it failed if the mail server cannot take it.
        quoted = name.strip().replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'


def new_message_id(sender: str) -> str:
    """A Message-ID fixed when the email is queued, so a copy sent again after a crash has
    the same id (mail clients show duplicates with one Message-ID once)."""
    domain = Address(addr_spec=_address_part(sender)).domain or "eventreg.invalid"
    return make_msgid(domain=domain)


def _address_part(sender: str) -> str:
    return parseaddr(sender)[1] or "noreply@eventreg.invalid"


def build_message(email: OutgoingEmail) -> EmailMessage:
    """multipart/mixed: the text and HTML alternatives, then the calendar file if any.

    With `qr_content`, the HTML alternative becomes multipart/related: the HTML and the QR
    code as an inline PNG that the HTML shows as `cid:<qr_content_id>`:

        multipart/mixed
          multipart/alternative
            text/plain
            multipart/related
              text/html
              image/png
          text/calendar

    The calendar part carries `method=` in its content type, which Outlook and Apple Mail
    need to treat it as an invitation update rather than a plain file."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    # Tells autoresponders (out-of-office replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (email.headers or {}).items():
        if contains_line_break(name) or contains_line_break(value):
            raise ValueError("line break in a header")
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.qr_content:
        message.get_body(("html",)).add_related(
            qr_png(email.qr_content),
            maintype="image",
            subtype="png",
            cid=f"<{qr_content_id(email.message_id)}>",
            disposition="inline",
            filename=QR_FILENAME,
        )
    if email.ics:
        params = {"charset": "utf-8"}
        if email.ics_method:
            params = {"method": email.ics_method, **params}
        message.add_attachment(
            email.ics,
            maintype="text",
            subtype="calendar",
            filename=email.ics_filename,
            params=params,
        )
    return message
