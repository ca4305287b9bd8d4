"""Types shared by conftest fixtures and tests (kept out of conftest so tests never import it)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from .origin import OriginServer
from .store import StoreLayout

#: The `scenario` fixture: scenario(code, *, store=None, env=None, timeout=60) -> CompletedProcess.
Scenario = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass
class DirectServers:
    """HTTPS servers on 127.0.0.1 reached without a proxy, one per kind of chain."""

    good: OriginServer  # corp leaf + intermediate, SAN localhost/127.0.0.1
    rogue: OriginServer  # rogue-root leaf, SAN localhost/127.0.0.1
    expired: OriginServer  # expired corp leaf (+ intermediate), SAN localhost/127.0.0.1
    wrongname: OriginServer  # valid corp leaf, but only for wrong.corp.test

    def all(self) -> list[OriginServer]:
        return [self.good, self.rogue, self.expired, self.wrongname]


@dataclass
class Stores:
    """Store layouts (copies of /etc/ssl/certs) to bind-mount in scenarios."""

    corp: StoreLayout  # stock store + loose corporate root file
    plain: StoreLayout  # stock store only (no corporate root)
    bad: StoreLayout  # corporate root + garbage PEM + non-CA certificate
