"""Where webhooks may go: the address rule, on its own (no lookup, no connection)."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobplatform.domain import webhooks
from jobplatform.domain.errors import NonRetryableError
from jobplatform.domain.webhook_destinations import (
    DestinationPolicy,
    WebhookDestinationForbidden,
    destination,
    literal_address,
)

DEFAULT = DestinationPolicy()
NAT64 = ipaddress.ip_network("64:ff9b::/96")
V4_COMPATIBLE = ipaddress.ip_network("::/96")
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450::1"]
INTERNAL = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "fd12:3456::1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local",
    "169.254.0.1": "link-local",
    "fe80::1": "link-local",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "100.64.0.1": "shared address space",
    "240.0.0.1": "reserved",
    "192.0.2.1": "private",  # documentation range: Python counts it private
}


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_may_be_posted_to(address: str) -> None:
    assert DEFAULT.refusal(ip(address)) is None


@pytest.mark.parametrize(("address", "reason"), INTERNAL.items())
def test_internal_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    assert DEFAULT.refusal(ip(address)) == f"{address} is {reason}"


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "::a00:1",  # IPv4-compatible 10.0.0.1
    ],
)
def test_an_ipv6_address_carrying_an_internal_ipv4_one_is_refused(address: str) -> None:
    assert DEFAULT.refusal(ip(address)) is not None


def test_an_ipv6_address_carrying_a_public_ipv4_one_is_allowed() -> None:
    assert DEFAULT.refusal(ip("64:ff9b::808:808")) is None  # NAT64 of 8.8.8.8


def test_an_allowed_network_opens_only_itself() -> None:
    policy = DestinationPolicy.of(allowed=["127.0.0.0/8"])
    assert policy.refusal(ip("127.0.0.1")) is None
    assert policy.refusal(ip("::ffff:127.0.0.1")) is None
    assert policy.refusal(ip("::1")) == "::1 is loopback"
    assert policy.refusal(ip("10.0.0.1")) == "10.0.0.1 is private"
    assert policy.refusal(ip("169.254.169.254")) is not None


def test_a_denied_network_wins_over_public_and_allowed() -> None:
    policy = DestinationPolicy.of(allowed=["10.0.0.0/8"], denied=["10.96.0.0/12", "8.8.8.0/24"])
    assert policy.refusal(ip("10.1.0.1")) is None
    assert policy.refusal(ip("10.96.0.1")) == "10.96.0.1 is in a denied network"
    assert policy.refusal(ip("8.8.8.8")) == "8.8.8.8 is in a denied network"
    assert policy.refusal(ip("::ffff:8.8.8.8")) is not None
    assert policy.refusal(ip("1.1.1.1")) is None


def test_one_internal_address_refuses_the_whole_name() -> None:
    DEFAULT.check([ip("8.8.8.8"), ip("1.1.1.1")])
    with pytest.raises(WebhookDestinationForbidden, match=re.escape("10.0.0.1 is private")):
        DEFAULT.check([ip("8.8.8.8"), ip("10.0.0.1")])
    with pytest.raises(WebhookDestinationForbidden, match="no address"):
        DEFAULT.check([])


@given(st.ip_addresses(v=4, network="10.0.0.0/8") | st.ip_addresses(v=4, network="127.0.0.0/8"))
def test_every_private_and_loopback_ipv4_address_is_refused(address: ipaddress.IPv4Address) -> None:
    assert DEFAULT.refusal(address) is not None
    # Mapped into IPv6 it is the same address.
    assert DEFAULT.refusal(ipaddress.IPv6Address(f"::ffff:{address}")) is not None


@given(st.ip_addresses())
def test_only_global_unicast_addresses_pass_the_default_rule(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    if DEFAULT.refusal(address) is None:
        # An IPv6 address carrying an IPv4 one (mapped, 6to4, NAT64) is judged by that one.
        judged = address
        if isinstance(address, ipaddress.IPv6Address):
            carried = address.ipv4_mapped or address.sixtofour
            if carried is None and (address in NAT64 or address in V4_COMPATIBLE):
                carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            judged = carried or address
        assert judged.is_global and not judged.is_multicast
        assert not (judged.is_private or judged.is_loopback or judged.is_link_local)


@given(st.ip_addresses(), st.ip_addresses())
def test_an_allowed_network_allows_what_it_holds_and_nothing_it_does_not(
    allowed: ipaddress.IPv4Address | ipaddress.IPv6Address,
    other: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    policy = DestinationPolicy.of(allowed=[str(allowed)])
    assert policy.refusal(allowed) is None
    # The IPv4-mapped form of the allowed address is the same host, and is allowed with it.
    same_host = isinstance(other, ipaddress.IPv6Address) and other.ipv4_mapped == allowed
    if other != allowed and not same_host:
        assert policy.refusal(other) == DEFAULT.refusal(other) or DEFAULT.refusal(other) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://example.com/", "scheme 'gopher'"),
        ("ftp://example.com/", "scheme 'ftp'"),
        ("example.com/hook", "scheme '(none)'"),
        ("http:///hook", "no host"),
        ("https://user:pw@example.com/", "credentials"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_only_http_and_https_urls_with_a_host_name_a_destination(url: str, why: str) -> None:
    with pytest.raises(WebhookDestinationForbidden, match=re.escape(why)):
        destination(url)


def test_a_destination_has_the_schemes_default_port() -> None:
    assert destination("https://Example.com/x").port == 443
    assert destination("HTTP://example.com/x").port == 80
    assert destination("http://[::1]:8080/x").host == "::1"
    assert literal_address("[::1]") == ip("::1")
    assert literal_address("fe80::1%eth0") == ip("fe80::1")
    assert literal_address("example.com") is None


def test_a_refused_answer_fails_the_delivery_for_good() -> None:
    answer = webhooks.WebhookAnswer(status=None, latency_ms=0.0, refused="10.0.0.1 is private")
    with pytest.raises(WebhookDestinationForbidden) as raised:
        webhooks.check_answer(answer)
    assert isinstance(raised.value, NonRetryableError)
