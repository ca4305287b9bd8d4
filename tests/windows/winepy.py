"""The Windows side of the Wine lane, driven from Linux: a Windows CPython in the private Wine
prefix (scripts/wine/setup.sh builds it), its scenarios, and the Windows certificate store.

Every Windows process runs with a scrubbed environment: Wine hands each host variable to
Windows programs, and the machines running this export SSL_CERT_FILE, REQUESTS_CA_BUNDLE, ...
Standard streams are pipes: CPython under Wine 8 cannot start with a regular file as one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from tests.support.outcomes import reported
from tests.support.store import empty_dir, scrubbed_env

ROOT = Path(__file__).resolve().parents[2]
WINE_ROOT = Path(os.environ.get("CORPTLS_WINE_ROOT") or ROOT / "target" / "wine")
PREFIX = WINE_ROOT / "prefix"
DRIVE_C = PREFIX / "drive_c"
#: scripts/wine/setup.sh's install: CPython 3.11 + pip + the test dependencies, no corptls.
BASE_PYTHON = DRIVE_C / "corptls-base" / "Python311"
#: Where each session installs corptls: a fresh copy of the base, in a path with spaces.
LANE_PYTHON = DRIVE_C / "Program Files" / "CorpTLS Lane" / "Python 3.11"
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
#: tests/scenarios/probe.py: the Linux suite's client harness, run as is by the Windows CPython.
PROBE = ROOT / "tests" / "scenarios" / "probe.py"

#: The Wine settings every Windows process gets; nothing else of the host's environment.
WINE_VARS = {
    "WINEPREFIX": str(PREFIX),
    "WINEARCH": "win64",
    "WINEDEBUG": "-all",
    "WINEDLLOVERRIDES": "mscoree,mshtml=",
}
_KEPT_VARS = ("PATH", "HOME", "LANG", "USER")


class WineError(RuntimeError):
    """The Wine set-up is broken: a failure of the test run, never a skip."""


def windows_path(path: os.PathLike[str] | str) -> str:
    """The Windows spelling of a Linux path: C:\\... inside the prefix's drive_c, else Z:\\..."""
    path = Path(path).absolute()
    try:
        return str(PureWindowsPath("C:\\", *path.relative_to(DRIVE_C).parts))
    except ValueError:
        return str(PureWindowsPath("Z:\\", *path.parts[1:]))


def linux_path(path: str) -> Path:
    """The Linux file behind a Windows path on C: or Z: (Wine's default drive mapping)."""
    win = PureWindowsPath(path)
    drive = win.drive.upper()
    if drive == "C:":
        return DRIVE_C.joinpath(*win.parts[1:])
    if drive == "Z:":
        return Path("/").joinpath(*win.parts[1:])
    raise ValueError(f"not on C: or Z:: {path}")


def wine_env(env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The scrubbed environment of a Windows process; a None value in `env` removes a variable."""
    return scrubbed_env(env, None, kept=_KEPT_VARS, defaults=WINE_VARS)


def wine(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`wine argv...` with the scrubbed environment, stdin from /dev/null, stdout/stderr captured."""
    return subprocess.run(
        ["wine", *map(os.fspath, argv)],
        env=wine_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        cwd=cwd or empty_dir(),
    )


def check(proc: subprocess.CompletedProcess[str], what: str) -> subprocess.CompletedProcess[str]:
    if proc.returncode != 0:
        raise WineError(f"{what} failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


@dataclass(frozen=True)
class WinePython:
    """A Windows CPython install (Lib\\site-packages, Scripts\\) inside the prefix."""

    home: Path

    @property
    def exe(self) -> Path:
        return self.home / "python.exe"

    @property
    def site_packages(self) -> Path:
        return self.home / "Lib" / "site-packages"

    def script(self, name: str) -> Path:
        """A console script in Scripts\\ (e.g. corptls.exe)."""
        return self.home / "Scripts" / f"{name}.exe"

    def run(
        self,
        *args: str | os.PathLike[str],
        exe: Path | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 120,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`python.exe args...` (or `exe args...`); Path arguments are passed as Windows paths."""
        argv = [windows_path(a) if isinstance(a, Path) else a for a in args]
        return wine([exe or self.exe, *argv], env=env, timeout=timeout, cwd=cwd)

    def scenario(self, name: str, *args: str | os.PathLike[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        """Run tests/windows/scenarios/<name>.py."""
        return self.run(SCENARIOS / f"{name}.py", *args, **kwargs)  # type: ignore[arg-type]

    def probe(
        self, client: str, mode: str, *hosts: str, env: Mapping[str, str | None] | None = None, timeout: float = 120
    ) -> dict[str, str]:
        """tests/scenarios/probe.py CLIENT MODE HOST...: {host: "ok" | error chain}."""
        proc = self.run(PROBE, client, mode, *hosts, env=env, timeout=timeout)
        return parse_json(proc, f"probe {client} {mode}")["results"][client]


def parse_json(proc: subprocess.CompletedProcess[str], what: str) -> dict:
    """outcomes.reported, its failure labelled with `what`."""
    try:
        return reported(proc)
    except (AssertionError, json.JSONDecodeError) as exc:
        raise AssertionError(f"{what}: {exc}") from exc


def install_lane(wheel: Path) -> WinePython:
    """A fresh copy of the base install at LANE_PYTHON, with `wheel` installed by its pip."""
    if not (BASE_PYTHON / ".corptls-stamp").is_file():
        raise WineError(f"no Windows CPython at {BASE_PYTHON}: run scripts/wine/setup.sh (scripts/test-windows does)")
    if LANE_PYTHON.exists():
        shutil.rmtree(LANE_PYTHON)
    LANE_PYTHON.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(BASE_PYTHON, LANE_PYTHON, symlinks=True)
    lane = WinePython(LANE_PYTHON)
    check(
        lane.run(
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-deps",
            "--no-warn-script-location",
            Path(wheel),
            timeout=300,
        ),
        f"pip install {wheel.name}",
    )
    return lane


# --- The Windows certificate store, through the registry (what the CryptoAPI system stores read).

SYSTEM_CERTIFICATES = r"SOFTWARE\Microsoft\SystemCertificates"


def sha1_hex(der: bytes) -> str:
    """The registry key name of a certificate: SHA-1 of its DER, upper-case hex."""
    return hashlib.sha1(der).hexdigest().upper()


class WindowsStore:
    """Adds and removes certificates in HKLM's system stores (Root, Disallowed, ...) through
    scenarios/winstore.py, run by a Windows CPython (its winreg writes the registry)."""

    def __init__(self, python: WinePython) -> None:
        self.python = python

    def _run(self, *args: str) -> dict:  # type: ignore[type-arg]
        return parse_json(self.python.scenario("winstore", *args), f"winstore {' '.join(a[:40] for a in args)}")

    def add(self, store: str, der: bytes) -> None:
        result = self._run("add", store, der.hex())
        if not result.get("visible"):
            raise WineError(
                f"{store}: certificate {sha1_hex(der)} written but not seen by CertOpenSystemStore: {result}"
            )

    def remove(self, store: str, der: bytes) -> None:
        self._run("remove", store, sha1_hex(der))

    def clean(self) -> list[str]:
        """Remove every test certificate (O=CorpTLS Tests) left by an earlier, interrupted run."""
        return list(self._run("clean")["removed"])

    def contains(self, store: str, der: bytes) -> bool:
        return bool(self._run("has", store, sha1_hex(der))["present"])
