"""A webhook host's addresses: an IP literal is its own, a name is looked up (the system
resolver, as any connection of the process would)."""

from __future__ import annotations

import ipaddress
import socket

from jobplatform.domain.webhook_destinations import IPAddress, literal_address


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for, in the resolver's order; raises OSError
    (``socket.gaierror``) when the name does not resolve."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    found: list[IPAddress] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        # An IPv6 sockaddr's host may carry a zone (fe80::1%eth0): the address is before it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found
