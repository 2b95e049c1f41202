"""Which receivers a webhook may go to: an ``http(s)`` URL whose host resolves only to
public addresses. Loopback, private, link-local, multicast, reserved and unspecified
addresses are refused (an endpoint must not reach the server's own network), unless
``SHOWDESK_WEBHOOKS_ALLOW_PRIVATE`` allows them.

Checked when an endpoint is created or changed, and again before each delivery, since
the name may resolve elsewhere by then (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from server.errors import InvalidInput

ALLOWED_SCHEMES = ("https", "http")


class RefusedAddress(InvalidInput):
    """The URL is malformed, does not resolve, or reaches a non-public address."""

    code = "webhook_address_refused"


def check_url_shape(url: str) -> tuple[str, int]:
    """The host and port of ``url``; RefusedAddress for anything but an absolute http(s)
    URL with a host and no user name or password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedAddress("url: not a valid URL") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise RefusedAddress("url: only http and https URLs are accepted")
    if not parts.hostname:
        raise RefusedAddress("url: the URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress("url: put no user name or password in the URL")
    if parts.fragment:
        raise RefusedAddress("url: a URL with a #fragment is not accepted")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_public(address: str) -> bool:
    """Whether ``address`` (IPv4 or IPv6) is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (blocking); RefusedAddress when it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"url: the host {host} does not resolve ({exc})") from None
    return sorted({str(info[4][0]) for info in infos})


def check_receiver(url: str, *, allow_private: bool) -> list[str]:
    """Check ``url`` and resolve its host (blocking); its addresses. RefusedAddress when
    any of them is not public (unless ``allow_private``), so a name that has one
    private address among public ones is refused too."""
    host, port = check_url_shape(url)
    addresses = resolve(host, port)
    if not allow_private:
        blocked = [a for a in addresses if not is_public(a)]
        if blocked:
            raise RefusedAddress(
                f"url: {host} resolves to {', '.join(blocked)}, a loopback, private, "
                "link-local or reserved address; webhooks go to public addresses only"
            )
    return addresses
