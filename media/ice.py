"""Which local addresses WebRTC gathers ICE candidates on.

aioice skips loopback when it gathers host candidates, so an unconfigured peer
offers only the machine's other interfaces. Kvorum names its addresses, as
mediasoup's listenIps or Janus's ice_enforce_list do: 127.0.0.1 in tests and
demos, the LAN or public address in production.
"""

from __future__ import annotations

import aioice.ice

_default_get_host_addresses = aioice.ice.get_host_addresses


def use_addresses(addresses: list[str] | None) -> None:
    """Gather host candidates only on ``addresses`` (None: aioice's own choice)."""
    if not addresses:
        aioice.ice.get_host_addresses = _default_get_host_addresses
        return
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses
