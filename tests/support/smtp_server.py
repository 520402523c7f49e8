"""A real SMTP server on loopback (aiosmtpd) that requires a login and keeps what it accepts.

A recipient's local part scripts the answer to its RCPT: ``refuse-...`` gets 550 (final),
``later-...`` 451 the first time (temporary). ``hold-quit-...`` holds the QUIT after its
message was accepted, until the test lets go: the send succeeded, and the client is still in
it."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from devstack.ports import free_port


@dataclass
class _State:
    accepted: list[tuple[list[str], Message]] = field(default_factory=list)
    deferred: set[str] = field(default_factory=set)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    quit_held: threading.Event = field(default_factory=threading.Event)
    release_quit: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, state: _State):
        self.s = state

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        local = address.split("@")[0]
        if local.startswith("refuse-"):
            return "550 5.1.1 no such mailbox"
        if local.startswith("later-"):
            with self.s.lock:
                first = address not in self.s.deferred
                self.s.deferred.add(address)
            if first:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.s.lock:
            self.s.accepted.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        session.hold_quit = any(r.startswith("hold-quit-") for r in envelope.rcpt_tos)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if getattr(session, "hold_quit", False):
            self.s.quit_held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.s.release_quit.wait, 120)
        return "221 Bye"


class MailServer:
    def __init__(self, username: str, password: str):
        self.state = _State()

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(),
                data.password.decode(),
            ) == (username, password)
            with self.state.lock:
                self.state.logins.append((data.login.decode() if ok or data else "", ok))
            # handled=False: aiosmtpd answers 535 itself on a failure.
            return AuthResult(success=ok, handled=False)

        self.port = free_port()
        self._controller = Controller(
            _Handler(self.state),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticate,
            # Login without TLS on loopback; MAIL refuses a session that did not log in (aiosmtpd
            # warns on auth_required without TLS, and the suite treats warnings as errors).
            auth_require_tls=False,
        )
        self._controller.start()

    def accepted(self) -> list[tuple[list[str], Message]]:
        with self.state.lock:
            return list(self.state.accepted)

    def to(self, address: str) -> list[Message]:
        return [m for rcpts, m in self.accepted() if address in rcpts]

    def close(self) -> None:
        self.state.release_quit.set()
        self._controller.stop()
