"""Which network addresses a feed may reach (DESIGN.md, "Addresses").

Links, redirects and robots.txt reached from a feed never go to loopback,
private, link-local, multicast, unspecified or other reserved addresses,
unless the feed's own URL is on such an address (a mirror or test server on
the same network) or feeds.yaml allows it (`allow_private_addresses`). The
rule is applied to the address a connection actually goes to
(tracker.fetch.guard resolves each name once, vets the answers and connects
to a vetted one), so a name that resolves differently the second time (DNS
rebinding) cannot slip past.

Pure: ipaddress and socket only, so the rule is tested without a network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tracker.errors import FetchError

# host, port -> [(address family, socket address)], as socket.getaddrinfo gives them.
Resolver = Callable[[str, int], list[tuple[int, Any]]]

# NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # Linux connects 0.x.x.x to this host


def system_resolver(host: str, port: int) -> list[tuple[int, Any]]:
    """The operating system's answer (raises socket.gaierror when there is none)."""
    return [(family, sockaddr)
            for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def classify(address: str) -> str | None:
    """Why a public feed may not reach `address` ("loopback", "private", ...); None when it may.

    IPv6 forms that carry an IPv4 address (::ffff:127.0.0.1, 6to4, Teredo,
    NAT64) are judged by the IPv4 address they carry.
    """
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "unreadable"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify(str(embedded))
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


class AddressRefused(FetchError):
    """A feed's link, redirect or robots.txt led to an address the feed may not reach."""

    def __init__(self, host: str, address: str, why: str):
        self.host, self.address, self.why = host, address, why
        name = host if host.strip("[]") == address else f"{host} resolves to {address}, which"
        self.detail = (f"{name} is a {why} address, which links from this feed may not reach "
                       f"(allow_private_addresses: true in feeds.yaml allows it)")
        super().__init__(self.detail)

    def at(self, url: str) -> AddressRefused:
        """This refusal, its message naming `url` (the link, not robots.txt or a socket)."""
        self.args = (f"{url}: refused: {self.detail}.",)
        return self


@dataclass
class AddressPolicy:
    """One feed's rule for the addresses it may connect to.

    allow_private: feeds.yaml's allow_private_addresses, or learnt: the
    feed's own host (own_host) turned out to be on a private address, which
    then opens every private address to this feed.
    """

    allow_private: bool = False
    own_host: str | None = None
    resolver: Resolver = field(default=system_resolver)

    def vet(self, host: str, port: int) -> list[tuple[int, Any]]:
        """The addresses of host:port this feed may connect to, in the resolver's
        order; AddressRefused when there are none (socket.gaierror passes through)."""
        answers = self.resolver(host, port)
        if self.allow_private:
            return answers
        barred = [(sockaddr[0], why) for _family, sockaddr in answers if (why := classify(sockaddr[0]))]
        if barred and self._own(host):
            self.allow_private = True
            return answers
        allowed = [(family, sockaddr) for family, sockaddr in answers if classify(sockaddr[0]) is None]
        if not allowed and barred:
            raise AddressRefused(host, *barred[0])
        return allowed

    def check(self, host: str, address: str) -> None:
        """An open connection to `host` goes to `address`: may this feed use it?"""
        why = classify(address)
        if why is None or self.allow_private:
            return
        if self._own(host):
            self.allow_private = True
            return
        raise AddressRefused(host, address, why)

    def _own(self, host: str) -> bool:
        return self.own_host is not None and host.strip("[]").lower() == self.own_host.strip("[]").lower()


# The policy of the request being sent in this thread; None (outside any
# feed: `tracker extract URL`) means no check. Set by Fetcher around each request.
CURRENT: ContextVar[AddressPolicy | None] = ContextVar("tracker_address_policy", default=None)
