"""Where a webhook may be sent: a tenant names the URL, so without a rule a webhook is a way
to make the platform's workers post to its own network (the cloud's metadata service, the
database, a pod). Only http and https, and only addresses on the public internet, unless the
operator allows a network; networks the operator denies (the cluster's own ranges) never.

The rule is judged on addresses, not names: the sender resolves the name, checks every
address, and connects only to one it checked (a name that resolves elsewhere on the next
lookup changes nothing)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from jobplatform.domain.errors import NonRetryableError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 6598 shared address space (carrier NAT, and some clusters' pod ranges).
_SHARED = ipaddress.ip_network("100.64.0.0/10")
# The well-known NAT64 prefix (RFC 6052): the last 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible IPv6 (deprecated), ::a.b.c.d.
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class WebhookDestinationForbidden(NonRetryableError):
    """The endpoint's URL or an address its name resolves to is not one the platform posts
    to. Sending again changes nothing until the endpoint or the operator's rule does."""


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: str
    host: str
    port: int


def destination(url: str) -> Destination:
    """The scheme, host and port of a webhook URL; raises WebhookDestinationForbidden for a
    scheme other than http(s), a URL without a host, or credentials in the URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookDestinationForbidden(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise WebhookDestinationForbidden(f"scheme {scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise WebhookDestinationForbidden("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookDestinationForbidden("the URL carries credentials")
    return Destination(scheme, parts.hostname, port or DEFAULT_PORTS[scheme])


def literal_address(host: str) -> IPAddress | None:
    """The address a host names when it is an IP literal (``[::1]`` included), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _embedded_v4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, compatible), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _V4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _special_use(address: IPAddress) -> str | None:
    """Why an address is not on the public internet, or None when it is."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared address space"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if isinstance(address, ipaddress.IPv6Address) and address.teredo is not None:
        return "a Teredo tunnel"
    if not address.is_global:
        return "not public"
    return None


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """The operator's rule over the built-in one: ``denied`` networks are refused whatever
    else is said (the cluster's own pod and service ranges), ``allowed`` networks are
    accepted though not public (a receiver inside the company network, loopback in tests)."""

    allowed: tuple[IPNetwork, ...] = ()
    denied: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, allowed: Iterable[str] = (), denied: Iterable[str] = ()) -> DestinationPolicy:
        return cls(
            allowed=tuple(ipaddress.ip_network(n, strict=False) for n in allowed),
            denied=tuple(ipaddress.ip_network(n, strict=False) for n in denied),
        )

    def refusal(self, address: IPAddress) -> str | None:
        """Why a webhook may not be posted to ``address``, or None when it may."""
        embedded = _embedded_v4(address)
        candidates = [address] if embedded is None else [address, embedded]
        for candidate in candidates:
            if any(_contains(n, candidate) for n in self.denied):
                return f"{address} is in a denied network"
        # A network allows the addresses it holds and their IPv4-mapped form (the same host
        # through a dual-stack socket), never a 6to4, NAT64 or compatible address that merely
        # carries one of them (allowing 0.0.0.0 must not allow 2002::).
        same_host = [address] if address.version == 4 else [address, address.ipv4_mapped]
        if any(_contains(n, c) for n in self.allowed for c in same_host if c is not None):
            return None
        # An address carrying an IPv4 one reaches that one: it is the one judged.
        reason = _special_use(address if embedded is None else embedded)
        if reason is not None:
            via = "" if embedded is None else f" (carries {embedded})"
            return f"{address}{via} is {reason}"
        return None

    def check(self, addresses: Iterable[IPAddress]) -> None:
        """Raise WebhookDestinationForbidden unless every address may be posted to: a name
        with one internal address among public ones is refused as a whole."""
        seen = False
        for address in addresses:
            seen = True
            reason = self.refusal(address)
            if reason is not None:
                raise WebhookDestinationForbidden(reason)
        if not seen:
            raise WebhookDestinationForbidden("the host resolves to no address")


def _contains(network: IPNetwork, address: IPAddress) -> bool:
    return network.version == address.version and address in network
