"""Fresh virtual environments with corptls installed from its wheel, for start-up (autoload) tests.

The wheel is built once (`maturin build`) with the interpreter running the tests. Environments
are made without pip (fast) and filled with the test interpreter's pip (`pip --python`). They
see the client libraries (requests, httpx, aiohttp, litellm, certifi, ...) of the test
interpreter through one `zz-clients.pth` line naming its site-packages: a path added by a
`.pth` line is *not* itself scanned for `.pth` files, so neither the test environment's own
(editable) corptls nor its hooks come along, and the environment's own site-packages stays
first on sys.path.

A copy (`copy_venv`, i.e. `cp -a`) is a working environment for `<copy>/bin/python`, but its
console scripts still name the original's interpreter in their shebang: use `python -m ...`
in copies, and a freshly made environment where a console script itself is under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .store import StoreLayout, empty_dir, run_command

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_PTH = "zz-clients.pth"
#: The test interpreter's site-packages: where the client libraries live.
CLIENT_SITE = sysconfig.get_path("purelib")


class VenvError(RuntimeError):
    """Building the wheel or an environment failed: a broken test setup, never a skip."""


def _check(
    argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), env=None if env is None else dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise VenvError(
            f"{' '.join(map(str, argv))} failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    return proc


def build_wheel(out_dir: Path, *, release: bool = False) -> Path:
    """`maturin build -o out_dir` from the work tree; returns the one wheel it wrote."""
    out_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "maturin", "build", "-q", "-o", str(out_dir)]
    if release:
        argv.append("--release")
    _check(argv, cwd=ROOT, timeout=1200)
    wheels = sorted(out_dir.glob("corptls-*.whl"))
    if len(wheels) != 1:
        raise VenvError(f"expected one corptls wheel in {out_dir}, found {wheels}")
    return wheels[0]


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name

    @property
    def site_packages(self) -> Path:
        """purelib: same base interpreter as the tests, so the same layout."""
        found = sorted(self.path.glob("lib/python3*/site-packages"))
        if len(found) != 1:
            raise VenvError(f"no single site-packages in {self.path}: {found}")
        return found[0]

    @property
    def package_dir(self) -> Path:
        return self.site_packages / "corptls"

    def files(self) -> set[str]:
        """Every file and symlink under site-packages, relative to it."""
        base = self.site_packages
        return {str(p.relative_to(base)) for p in base.rglob("*") if not p.is_dir() or p.is_symlink()}


def create_venv(path: Path, *, with_pip: bool = False, clients: bool = True) -> Venv:
    """`python -m venv` (the test interpreter's base Python), optionally with zz-clients.pth."""
    argv = [sys.executable, "-m", "venv", str(path)]
    if not with_pip:
        argv.insert(3, "--without-pip")
    _check(argv)
    venv = Venv(path)
    if clients:
        (venv.site_packages / CLIENTS_PTH).write_text(CLIENT_SITE + "\n")
    return venv


def pip(venv: Venv, *args: str) -> subprocess.CompletedProcess[str]:
    """The test interpreter's pip acting on `venv` (which may have no pip of its own)."""
    return _check([sys.executable, "-m", "pip", "--python", str(venv.python), *args])


def install_wheel(venv: Venv, wheel: Path) -> None:
    pip(venv, "install", "-q", "--no-deps", str(wheel))


def copy_venv(src: Venv, dest: Path) -> Venv:
    """`cp -a`: fast; see the module docstring about console scripts in copies."""
    _check(["cp", "-a", str(src.path), str(dest)])
    return Venv(dest)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: Path,
    store: StoreLayout | None = None,
    env: Mapping[str, str | None] | None = None,
    setup: str = "",
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`store.run_command`, from an empty directory unless `cwd` (so a venv's interpreter never
    picks up the work tree's package)."""
    return run_command(
        argv, cache_dir=cache_dir, store=store, env=env, setup=setup, timeout=timeout, cwd=cwd or Path(empty_dir())
    )
