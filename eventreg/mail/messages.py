"""Email messages from data: pure functions, no request, no database, no sending."""

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

from ..services.registrations import contains_line_break


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
    from email.utils import parseaddr

    return parseaddr(sender)[1] or "noreply@eventreg.invalid"


def build_message(email: OutgoingEmail) -> EmailMessage:
    """multipart/mixed: the text and HTML alternatives, then the calendar file if any.

    The calendar part carries `method=` in its content type, which Outlook and Apple Mail
    need to treat it as an invitation update rather than a plain file."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    # Tells autoresponders (out-of-office replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
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
