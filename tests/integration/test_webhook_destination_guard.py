"""The webhook sender's destination guard against real sockets on loopback: a refused
destination is never connected to, an allowed one is, and the address connected to is the
one that was checked (a name resolving elsewhere later changes nothing).

Every address a test connects to, or would connect to were the guard broken, is a loopback
one: nothing here leaves the machine."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jobplatform.domain.webhook_destinations import (
    DestinationPolicy,
    IPAddress,
    WebhookDestinationForbidden,
)
from jobplatform.domain.webhooks import WebhookAnswer, check_answer
from jobplatform.infrastructure.webhooks.destination_check import ResolvingDestinationCheck
from jobplatform.infrastructure.webhooks.guarded_backend import GuardedNetworkBackend
from jobplatform.infrastructure.webhooks.httpx_sender import HttpxWebhookSender
from jobplatform.infrastructure.webhooks.resolver import resolve
from jobplatform.infrastructure.webhooks.tls import webhook_ssl_context
from support.tls import make_server_certificate
from support.webhook_receiver import WebhookReceiver

LOOPBACK_ONLY = DestinationPolicy.of(allowed=["127.0.0.0/8"])


class CountingListener:
    """A TCP listener on 127.0.0.1 that never accepts: a connection made to it completes in
    the kernel's backlog, so once a post has returned, ``connected()`` tells whether it
    reached the listener (no thread, no wait)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=8)
        self._sock.setblocking(False)
        self.port = self._sock.getsockname()[1]

    def connected(self) -> bool:
        try:
            conn, _ = self._sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    server = CountingListener()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def sender(
    policy: DestinationPolicy, resolver: Callable[[str, int], list[IPAddress]] = resolve
) -> HttpxWebhookSender:
    return HttpxWebhookSender(
        5.0, 300.0, GuardedNetworkBackend(policy, resolver), webhook_ssl_context(None)
    )


def post(s: HttpxWebhookSender, url: str) -> WebhookAnswer:
    return s.post(url, {"Content-Type": "application/json"}, b"{}", 5.0)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",  # a name: resolved, then judged by its addresses
        "0.0.0.0",  # reaches the local host on Linux
        "[::ffff:127.0.0.1]",
    ],
)
def test_a_refused_destination_is_never_connected_to(listener: CountingListener, host: str) -> None:
    answer = post(sender(DestinationPolicy()), f"http://{host}:{listener.port}/hook")
    assert answer.status is None and answer.error_class == "WebhookDestinationForbidden"
    assert answer.refused is not None
    assert answer.refused.endswith(("is loopback", "is unspecified"))
    with pytest.raises(WebhookDestinationForbidden):
        check_answer(answer)
    assert not listener.connected()


def test_the_listener_sees_a_connection_the_guard_lets_through(
    listener: CountingListener,
) -> None:
    # Nobody answers on the listener: the post times out, after connecting.
    url = f"http://127.0.0.1:{listener.port}/hook"
    answer = sender(LOOPBACK_ONLY).post(url, {}, b"{}", 0.5)
    assert (answer.status, answer.refused) == (None, None)
    assert listener.connected()


def test_an_allowed_network_is_delivered_to(receiver: WebhookReceiver) -> None:
    path = f"/hook/{uuid.uuid4().hex}"
    answer = post(sender(LOOPBACK_ONLY), receiver.url(path))
    assert (answer.status, answer.refused) == (200, None)
    assert len(receiver.received(path)) == 1
    # Unspecified stays refused though the listener behind it is on an allowed address.
    port = receiver.url("").rsplit(":", 1)[1]
    answer = post(sender(LOOPBACK_ONLY), f"http://0.0.0.0:{port}{path}")
    assert answer.error_class == "WebhookDestinationForbidden"
    assert len(receiver.received(path)) == 1


def test_a_name_that_rebinds_after_the_check_at_registration_is_refused_at_delivery(
    listener: CountingListener,
) -> None:
    # A name whose lookups answer a public address first (the check when the endpoint is
    # configured), then loopback (the delivery): what is connected to is what is checked.
    answers = [[ipaddress.ip_address("93.184.215.14")], [ipaddress.ip_address("127.0.0.1")]]
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[IPAddress]:
        lookups.append(host)
        return answers[min(len(lookups), len(answers)) - 1]

    url = f"http://rebind.test:{listener.port}/hook"
    ResolvingDestinationCheck(DestinationPolicy(), rebinding).check(url)  # passes: public
    answer = post(sender(DestinationPolicy(), rebinding), url)
    assert answer.refused == "127.0.0.1 is loopback"
    assert not listener.connected()
    assert lookups == ["rebind.test", "rebind.test"]


def test_a_name_that_does_not_resolve_is_a_network_error_and_retried() -> None:
    def nowhere(host: str, port: int) -> list[IPAddress]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    answer = post(sender(DestinationPolicy(), nowhere), "http://nowhere.test/hook")
    assert (answer.status, answer.refused, answer.error_class) == (None, None, "ConnectError")
    # And configuring it is accepted: each delivery checks again.
    ResolvingDestinationCheck(DestinationPolicy(), nowhere).check("http://nowhere.test/hook")


def test_the_registration_check_refuses_a_name_resolving_to_loopback() -> None:
    with pytest.raises(WebhookDestinationForbidden, match="loopback"):
        ResolvingDestinationCheck(DestinationPolicy(), resolve).check("http://localhost:1/")


def test_tls_names_the_urls_host_though_the_socket_goes_to_the_checked_address(
    tmp_path: Path,
) -> None:
    # A TLS listener on loopback that records the server name each client hello asks for.
    cert = make_server_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert.cert, cert.key)
    asked: list[str | None] = []

    def remember(_sock: object, name: str | None, _ctx: ssl.SSLContext) -> None:
        asked.append(name)

    context.sni_callback = remember
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve_one() -> None:
        conn, _ = server.accept()
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True):
            pass

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    try:

        def hook_test(host: str, port: int) -> list[IPAddress]:
            assert host == "hook.test"
            return [ipaddress.ip_address("127.0.0.1")]

        answer = post(sender(LOOPBACK_ONLY, hook_test), f"https://hook.test:{port}/hook")
        thread.join(timeout=30)
    finally:
        server.close()
    assert asked == ["hook.test"]
    # The test CA is not one the sender trusts: the certificate check ran, against the name.
    assert (answer.status, answer.refused, answer.error_class) == (None, None, "ConnectError")
