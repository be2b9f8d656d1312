"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and can be
stopped and started again on the same port to play a mail server that goes down.

`running_smtp_server(app)` starts one and points the app's MAIL_* settings at it; a test
module makes it a fixture:

    @pytest.fixture
    def smtp_server(app):
        with running_smtp_server(app) as server:
            yield server
"""

import email
import socket
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free loopback port, chosen first (aiosmtpd's Controller cannot use port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    """Accepts every message, except recipients listed in `refuse` (answered with the code
    given, e.g. '550 5.1.1 No such user' or '451 4.3.0 Try later')."""

    def __init__(self):
        self.received: list[bytes] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None
        # aiosmtpd announces SMTPUTF8 unless told otherwise; many real servers do not.
        self.smtputf8 = True

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=default) for raw in self.handler.received]


@contextmanager
def running_smtp_server(app):
    server = SMTPServer()
    server.start()
    saved = {key: app.config.get(key) for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)
