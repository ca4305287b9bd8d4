"""Attacks by a second local user on the first one's trust, run for real as two Unix users.

The victim and the attacker are fresh accounts (``useradd``; the tests run as root). The
victim runs corptls from its wheel in a venv of Debian's own CPython (the test interpreter
lives under root's private home), with nothing but the standard library: the attack is on
what it trusts, and the standard library trusts what corptls gives it. Each attack has its
control: the attacker's planted file really makes a program that reads it trust the rogue root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.harness import DirectServers
from tests.support.outcomes import UNTRUSTED, last_json, reported
from tests.support.pki import PKI
from tests.support.store import SCENARIOS

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's: the test interpreter is under /root, which others cannot enter


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int
    home: Path


def _user(name: str) -> User:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
        entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    home.mkdir(exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o755)  # a common home: others may enter and read, not write
    return User(name, entry.pw_uid, entry.pw_gid, home)


@pytest.fixture(scope="module")
def victim() -> Iterator[User]:
    user = _user("corptls-victim")
    yield user
    subprocess.run(["userdel", "--remove", user.name], capture_output=True)


@pytest.fixture(scope="module")
def attacker() -> Iterator[User]:
    user = _user("corptls-attacker")
    yield user
    subprocess.run(["userdel", "--remove", user.name], capture_output=True)


@pytest.fixture(scope="module")
def shared(wheel: Path, pki: PKI) -> Iterator[Path]:
    """A directory both users can read: the victim's venv, its program, the rogue root."""
    base = Path(f"/srv/corptls-multiuser-{os.getpid()}")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o755, parents=True)
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(base / "venv")], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(base / "venv" / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )
    shutil.copy(pki.rogue_root_pem, base / "rogue-root.pem")
    for script in ("victim.py", "kit.py", "probe.py"):  # the victim cannot read the work tree
        shutil.copy(SCENARIOS / script, base / script)
    subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def as_user(
    user: User,
    argv: list[str],
    env: Mapping[str, str] | None = None,
    umask: str = "022",
    timeout: float = 60,
    wait: bool = True,
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    """`argv` as `user` (setpriv: real and effective ids, the user's groups), in a clean environment."""
    command = [
        "setpriv",
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--init-groups",
        "sh",
        "-c",
        f'umask {umask} && exec "$@"',
        "sh",
        *argv,
    ]
    run_env = {"PATH": "/usr/bin:/bin", "HOME": str(user.home), "LANG": "C.UTF-8", **(env or {})}
    if not wait:
        return subprocess.Popen(
            command, env=run_env, cwd=user.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(command, env=run_env, cwd=user.home, capture_output=True, text=True, timeout=timeout)


# The attacker: the victim's cache directory renamed away, and a directory of its own linked in
# its place, holding the victim's bundle file name with the rogue root in it (the name is the
# hash of the roots, which the attacker's own corptls computes alike), and the hashed directory
# of the same name with the rogue root under its subject hash: what OpenSSL would read at the
# victim's next handshake. Each step says if it worked.
ATTACK = r"""
cache=$1; evil=$2; rogue=$3; name=${4:-bundle-planted.pem}
certs="$evil/certs-${name#bundle-}"; certs=${certs%.pem}
mkdir -p "$certs" && cp "$rogue" "$evil/$name" && cp "$rogue" "$certs/$(openssl x509 -hash -noout -in "$rogue").0"
if mv "$cache" "$cache.moved" 2>/dev/null; then echo moved; else echo "not moved"; fi
if ln -s "$evil" "$cache" 2>/dev/null; then echo linked; else echo "not linked"; fi
"""


def attack_during_victim(
    victim: User,
    attacker: User,
    shared: Path,
    direct: DirectServers,
    victim_env: Mapping[str, str],
    cache: Path,
    evil: Path,
    umask: str = "022",
) -> tuple[dict[str, str], str, str]:
    sync = Path(f"/srv/corptls-multiuser-sync-{os.getpid()}")
    sync.mkdir(mode=0o777, exist_ok=True)
    os.chmod(sync, 0o777)
    ready, go = sync / "ready", sync / "go"
    for flag in (ready, go):
        flag.unlink(missing_ok=True)
    env = {"READY": str(ready), "GO": str(go), "ROGUE": direct.rogue.address("127.0.0.1"), **victim_env}
    proc = as_user(
        victim, [str(shared / "venv" / "bin" / "python"), str(shared / "victim.py")], env=env, umask=umask, wait=False
    )
    assert isinstance(proc, subprocess.Popen)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), proc.communicate(timeout=5)
        attack = as_user(
            attacker,
            ["sh", "-c", ATTACK, "sh", str(cache), str(evil), str(shared / "rogue-root.pem"), ready.read_text()],
        )
        go.touch()
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
        shutil.rmtree(sync, ignore_errors=True)
    assert proc.returncode == 0, stdout + stderr
    assert isinstance(attack, subprocess.CompletedProcess)
    return last_json(stdout), stderr, attack.stdout


def control_planted_file_is_effective(victim: User, shared: Path, direct: DirectServers, evil: Path) -> None:
    """The attack is real: a program that reads the attacker's bundle file, or its hashed
    directory, trusts the rogue server."""
    (planted,) = evil.glob("bundle-*.pem")
    (hashed,) = evil.glob("certs-*")
    assert hashed.name == f"certs-{planted.stem[len('bundle-') :]}" and any(hashed.glob("*.0")), hashed
    rogue = direct.rogue.address("127.0.0.1")
    probe = [SYSTEM_PYTHON, "-S", str(shared / "probe.py"), "urllib", "stock", rogue]
    for variable, path in (("SSL_CERT_FILE", planted), ("SSL_CERT_DIR", hashed)):
        done = as_user(victim, probe, env={variable: str(path)})
        assert isinstance(done, subprocess.CompletedProcess)
        assert reported(done)["results"]["urllib"][rogue] == "ok", (variable, done.stderr)


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o775], ids=["world-writable", "sticky like /tmp", "group-writable"])
def test_a_shared_cache_parent_cannot_be_used_to_plant_a_root(
    mode: int, victim: User, attacker: User, shared: Path, direct: DirectServers
) -> None:
    """A shared XDG_CACHE_HOME: the attacker renames the victim's corptls directory away and
    links in a directory of its own holding the same file names plus a rogue root."""
    xdg = shared / f"shared-cache-{mode:o}"
    xdg.mkdir()
    os.chmod(xdg, mode)
    if mode == 0o775:
        os.chown(xdg, 0, attacker.gid)  # the attacker's group may write there
    evil = attacker.home / f"evil-{mode:o}"
    out, stderr, attack = attack_during_victim(
        victim, attacker, shared, direct, {"XDG_CACHE_HOME": str(xdg)}, xdg / "corptls", evil
    )
    assert out["path"] is None and out["exported"] is None, (out, stderr, attack)
    assert f"cache directory {xdg}/corptls: {xdg} above it is writable by other users" in stderr, stderr
    assert not (xdg / "corptls.moved").exists()  # nothing of the victim's was there to take
    assert UNTRUSTED in out["in_process"] and UNTRUSTED in out["child"], (out, attack)
    control_planted_file_is_effective(victim, shared, direct, evil)


def test_directories_corptls_creates_are_private_whatever_the_umask(
    victim: User, attacker: User, shared: Path, direct: DirectServers
) -> None:
    """umask 000 and no ~/.cache yet: corptls creates ~/.cache and ~/.cache/corptls 0700, so
    the attacker can neither rename the directory away nor plant anything in it."""
    shutil.rmtree(victim.home / ".cache", ignore_errors=True)
    cache = victim.home / ".cache" / "corptls"
    evil = attacker.home / "evil-umask"
    out, stderr, attack = attack_during_victim(victim, attacker, shared, direct, {}, cache, evil, umask="000")
    assert out["path"] is not None and out["path"].startswith(f"{cache}/bundle-"), (out, stderr)
    for made in (victim.home / ".cache", cache):
        assert (made.stat().st_mode & 0o7777, made.stat().st_uid) == (0o700, victim.uid), made
    assert oct(os.stat(out["path"]).st_mode & 0o777) == oct(0o644)
    assert attack.splitlines()[0] == "not moved" and "not linked" in attack, attack
    assert UNTRUSTED in out["in_process"] and UNTRUSTED in out["child"], (out, attack)
    control_planted_file_is_effective(victim, shared, direct, evil)


def test_a_cache_directory_in_tmp_is_refused_and_never_exported(
    victim: User, attacker: User, shared: Path, direct: DirectServers
) -> None:
    """CORPTLS_CACHE_DIR=/tmp/x: a tmp cleaner removes it, the attacker recreates it with its own
    bundle. corptls refuses it outright: roots in memory, one warning, nothing exported."""
    cache = Path(f"/tmp/corptls-victim-cache-{os.getpid()}")
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(f"{cache}.moved", ignore_errors=True)
    evil = attacker.home / "evil-tmp"
    try:
        out, stderr, attack = attack_during_victim(
            victim, attacker, shared, direct, {"CORPTLS_CACHE_DIR": str(cache)}, cache, evil
        )
        assert out["path"] is None and out["exported"] is None, (out, stderr)
        assert f"cache directory {cache}: /tmp above it is writable by other users" in stderr, stderr
        assert UNTRUSTED in out["in_process"] and UNTRUSTED in out["child"], (out, attack)
        # The attacker's directory now stands at that name: still refused, and `corptls env` says so.
        assert cache.is_symlink()
        env = as_user(
            victim,
            [str(shared / "venv" / "bin" / "python"), "-m", "corptls", "env", "--shell", "bash"],
            env={"CORPTLS_CACHE_DIR": str(cache)},
        )
        assert isinstance(env, subprocess.CompletedProcess)
        assert env.returncode == 1 and env.stdout == "", env
        assert "in memory only" in env.stderr, env.stderr
        control_planted_file_is_effective(victim, shared, direct, evil)
    finally:
        for leftover in (cache, Path(f"{cache}.moved")):
            if leftover.is_symlink():
                leftover.unlink()
            else:
                shutil.rmtree(leftover, ignore_errors=True)
