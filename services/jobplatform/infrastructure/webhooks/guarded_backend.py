"""httpcore's network backend with the destination rule in front of every connection.

httpx would resolve the URL's name itself, after any check made beforehand: a name that
answers a public address to the check and an internal one to the connection (DNS rebinding)
would pass. Here the one lookup made is the one checked, and the socket is opened to a checked
address, so nothing is ever connected to before it passed the rule. Host header, TLS server
name and certificate check still use the URL's name (httpcore passes them separately)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import httpcore

from jobplatform.domain.webhook_destinations import DestinationPolicy, IPAddress

Resolve = Callable[[str, int], list[IPAddress]]
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class GuardedNetworkBackend(httpcore.NetworkBackend):
    def __init__(
        self,
        policy: DestinationPolicy,
        resolve: Resolve,
        inner: httpcore.NetworkBackend | None = None,
    ):
        self._policy = policy
        self._resolve = resolve
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:
            # A name that does not resolve (now) is a network error like a refused connection.
            raise httpcore.ConnectError(type(exc).__name__) from None
        # Raises WebhookDestinationForbidden, which httpx passes through untouched.
        self._policy.check(addresses)
        refused: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # each one checked; the first that answers
            try:
                return self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                refused = exc
        assert refused is not None  # check() refuses an empty list
        raise refused

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not sent over unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
