"""Run scenarios against a modified *copy* of the Linux OS store, inside a private mount namespace.

The corporate root is added to the copy as one loose file, deliberately NOT appended to
ca-certificates.crt and WITHOUT an OpenSSL hash symlink. This models Windows/macOS, where
the OS store holds the corporate root but OpenSSL's default paths do not: every stock
client must fail, and only something that reads the OS store (corptls) can succeed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

OS_STORE = Path("/etc/ssl/certs")
#: The scripts scenarios run: each a fresh interpreter's program (see run_scenario).
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CORP_ROOT_NAME = "corptls-test-corporate-root.pem"
#: Exit code of the namespace wrapper when the bind mount could not be set up or verified.
NAMESPACE_FAILURE = 97

# Only these survive from the parent environment; everything CA- or proxy-related is dropped
# because the developer/CI machines export SSL_CERT_FILE, REQUESTS_CA_BUNDLE, proxies, etc.
_KEPT_VARS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
_DEFAULT_VARS = {
    # litellm downloads its model price map at import time; offline that costs ~10 s of retries.
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
}

#: `setup` for run_command: XDG_CACHE_HOME read-only, even for root (a bind mount in the namespace only).
READ_ONLY_CACHE = (
    'mount --bind "$XDG_CACHE_HOME" "$XDG_CACHE_HOME" && mount -o remount,bind,ro "$XDG_CACHE_HOME" || exit 97'
)

_WRAPPER = f"""
mount --bind "$CORPTLS_STORE_COPY" {OS_STORE} || {{ echo "corptls-store: bind mount failed" >&2; exit {NAMESPACE_FAILURE}; }}
[ "$(stat -c %d:%i {OS_STORE})" = "$(stat -c %d:%i "$CORPTLS_STORE_COPY")" ] || {{ echo "corptls-store: bind mount not visible" >&2; exit {NAMESPACE_FAILURE}; }}
unset CORPTLS_STORE_COPY
exec "$@"
"""


class StoreNamespaceError(RuntimeError):
    """The private mount namespace could not be created (needs root + unshare + mount)."""


@dataclass(frozen=True)
class StoreLayout:
    """A prepared copy of /etc/ssl/certs; `added` lists the file names put into it."""

    path: Path
    added: tuple[str, ...] = field(default=())

    @property
    def corp_root_file(self) -> Path:
        """Where scenarios see the corporate root once the copy is mounted."""
        return OS_STORE / CORP_ROOT_NAME


def build_store(
    dest: Path,
    *,
    corp_root_pem: Path | None,
    extra_files: Mapping[str, Path] | None = None,
) -> StoreLayout:
    """Copy /etc/ssl/certs to `dest` (symlinks kept as-is, like `cp -a`) and add loose PEM files.

    `extra_files` maps a file name inside the store to a source file (e.g. a garbage PEM or a
    non-CA certificate) for bad-input tests. Nothing is hashed or appended to the bundle.
    """
    shutil.copytree(OS_STORE, dest, symlinks=True)
    added: dict[str, Path] = dict(extra_files or {})
    if corp_root_pem is not None:
        added[CORP_ROOT_NAME] = corp_root_pem
    for name, source in added.items():
        shutil.copyfile(source, dest / name)
        os.chmod(dest / name, 0o644)
    return StoreLayout(Path(dest), tuple(sorted(added)))


def scrubbed_env(
    env: Mapping[str, str | None] | None,
    cache_dir: Path | None,
    kept: Sequence[str] = _KEPT_VARS,
    defaults: Mapping[str, str] = _DEFAULT_VARS,
) -> dict[str, str]:
    """Minimal environment for scenarios: only `kept` of this process's variables, `defaults`,
    XDG_CACHE_HOME=`cache_dir` (unless None), then `env`, where a None value removes a variable."""
    result = {k: os.environ[k] for k in kept if k in os.environ}
    result.update(defaults)
    if cache_dir is not None:
        result["XDG_CACHE_HOME"] = str(cache_dir)
    for key, value in (env or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


@functools.lru_cache(maxsize=None)
def empty_dir() -> str:
    """A working directory with nothing importable in it (`python -c` puts the cwd first on sys.path)."""
    return tempfile.mkdtemp(prefix="corptls-cwd-")


def namespace_command(store: StoreLayout, argv: Sequence[str]) -> list[str]:
    """Wrap `argv` so it runs with `store` bind-mounted over /etc/ssl/certs in a private namespace."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", _WRAPPER, "sh", *argv]


def run_command(
    argv: Sequence[str | os.PathLike[str]],
    *,
    store: StoreLayout | None = None,
    env: Mapping[str, str | None] | None = None,
    setup: str = "",
    timeout: float = 60,
    cache_dir: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The one runner of the suite's Linux side: `argv` with the scrubbed environment, optionally
    inside `store`'s namespace. `setup` is shell run inside the namespace (after the store is
    mounted) before `argv`, e.g. to mount something read-only; it must fail with exit code 97.

    Raises StoreNamespaceError if the namespace could not be set up: that is a broken test
    environment, never a reason to skip.
    """
    command = [os.fspath(a) for a in argv]
    run_env = scrubbed_env(env, cache_dir or Path(tempfile.mkdtemp(prefix="corptls-cache-")))
    if setup:
        if store is None:
            raise ValueError("setup needs a store namespace")
        command = ["sh", "-c", f'{setup}\nexec "$@"', "sh", *command]
    if store is not None:
        command = namespace_command(store, command)
        run_env["CORPTLS_STORE_COPY"] = str(store.path)
    try:
        proc = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except FileNotFoundError as exc:  # no `unshare` binary
        raise StoreNamespaceError(f"cannot run {command[0]!r}: {exc}") from exc
    if store is not None and (proc.returncode == NAMESPACE_FAILURE or proc.stderr.startswith("unshare:")):
        raise StoreNamespaceError(
            "could not bind-mount the test store over /etc/ssl/certs in a private mount namespace "
            f"(needs root, util-linux unshare and mount): rc={proc.returncode} stderr={proc.stderr.strip()[-2000:]!r}"
        )
    return proc


def run_scenario(
    argv: Sequence[str | os.PathLike[str]],
    *,
    store: StoreLayout | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 60,
    cache_dir: Path | None = None,
    python: str | os.PathLike[str] | None = None,
    setup: str = "",
) -> subprocess.CompletedProcess[str]:
    """`python ARGV...` with `run_command`: the interpreter running pytest unless `python`. ARGV
    starts with a scenario's name (NAME: tests/scenarios/NAME.py) or python's own options
    ("-c", CODE for a one-liner; "-m", MODULE)."""
    first, *rest = argv
    if isinstance(first, str) and first.isidentifier():
        first = SCENARIOS / f"{first}.py"
    return run_command(
        [python or sys.executable, first, *rest],
        store=store,
        env=env,
        setup=setup,
        timeout=timeout,
        cache_dir=cache_dir,
    )


def check_namespace_support(store: StoreLayout) -> None:
    """Fail loudly (StoreNamespaceError) unless the store namespace works and shows the copy."""
    proc = run_scenario(
        ["-c", f"import os; print(os.path.exists({str(store.corp_root_file)!r}))"], store=store, timeout=20
    )
    if proc.returncode != 0 or proc.stdout.strip() != str(CORP_ROOT_NAME in store.added):
        raise StoreNamespaceError(f"store namespace probe failed: rc={proc.returncode} {proc.stderr.strip()!r}")
