"""Types and helpers shared by conftest fixtures and tests (kept out of conftest so tests never import it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .origin import OriginServer
from .outcomes import reported
from .store import StoreLayout


class Scenario(Protocol):
    """The `scenario` fixture: `python ARGV...` in a fresh interpreter, where ARGV starts with a
    scenario's name (tests/scenarios/NAME.py) or python's own options ("-c", "-m"); see
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


@dataclass
class ProbeRun:
    """What tests/scenarios/probe.py reported: whether corptls was loaded, installed or absent,
    and per client the outcome per host (and "before"/"during" in those modes)."""

    corptls: str
    results: dict[str, dict[str, str]]
    stderr: str


def run_probe(
    scenario: Scenario,
    clients: str,
    mode: str,
    *hosts: str,
    store: StoreLayout | None = None,
    env: Mapping[str, str | None] | None = None,
    cafile: os.PathLike[str] | None = None,
) -> ProbeRun:
    """`probe.py [--cafile FILE] CLIENT[,CLIENT...] MODE HOST...` in a scenario; it must report."""
    pin = ["--cafile", os.fspath(cafile)] if cafile else []
    done = scenario("probe", *pin, clients, mode, *hosts, store=store, env=env, timeout=120)
    out = reported(done)
    return ProbeRun(out["corptls"], out["results"], done.stderr)
