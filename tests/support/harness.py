"""Types shared by conftest fixtures and tests (kept out of conftest so tests never import it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .origin import OriginServer
from .store import StoreLayout


class Scenario(Protocol):
    """The `scenario` fixture: `python ARGV...` in a fresh interpreter, ARGV a scenario's name
    (tests/scenarios/NAME.py) and its arguments, or python's own options ("-c", "-m"); see
    store.run_scenario."""

    def __call__(
        self,
        *argv: str | os.PathLike[str],
        store: StoreLayout | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
        python: str | os.PathLike[str] | None = None,
        setup: str = "",
    ) -> subprocess.CompletedProcess[str]: ...


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
