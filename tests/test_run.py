"""`corptls run -- CMD`: real children through the intercepting proxy, exit codes and signals.

The corporate root is a loose file in the OS store only (the store namespace), so a child that
does not read the OS store fails on its own: every case has that control (the same command
without `run`), and the rogue host shows that `run` trusts nothing beyond the bundle. The Python
child lives in a venv of its own *without* corptls: only the variables can help it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import venvs
from tests.support.harness import Stores
from tests.support.outcomes import VERIFY_FAILED, last_json
from tests.support.pki import PKI
from tests.support.shell import NODE_CONNECT, in_store, sections
from tests.support.store import SCENARIOS, scrubbed_env

GOOD, ROGUE = "api.corp.test", "rogue.corp.test"
NODE_UNTRUSTED = "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY"  # corp chain (leaf + intermediate), root unknown
NODE_ROGUE = "error UNABLE_TO_VERIFY_LEAF_SIGNATURE"  # rogue leaf alone, its issuer unknown
CURL_UNTRUSTED = 60
RUN = '"$PY" -m corptls run --'
# The Python child (the probe) reads the variables: requests REQUESTS_CA_BUNDLE; httpx, litellm
# (httpx and aiohttp underneath), aiohttp and urllib SSL_CERT_FILE.
CHILD_CLIENTS = ("requests", "httpx", "urllib", "aiohttp", "litellm")


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> venvs.Venv:
    """A venv with the client libraries but no corptls (see venvs: zz-clients.pth brings no .pth along)."""
    return venvs.create_venv(tmp_path_factory.mktemp("bare") / "venv")


def python_child(venv: venvs.Venv) -> str:
    """The probe in `venv`, every client of CHILD_CLIENTS on GOOD and ROGUE, as a shell command."""
    return f"{venv.python} {SCENARIOS / 'probe.py'} {','.join(CHILD_CLIENTS)} stock {GOOD} {ROGUE}"


def test_a_python_child_without_corptls_trusts_the_os_store(
    stores: Stores, proxy_env: dict, tmp_path: Path, bare_venv: venvs.Venv
) -> None:
    child = python_child(bare_venv)
    proc = in_store(
        f"""
echo "== control"; {child}
echo "== run"; {RUN} {child}
""",
        stores.corp,
        tmp_path,
        env=proxy_env,
    )
    out = {name: last_json(text) for name, text in sections(proc).items()}
    assert set(out) == {"control", "run"}, proc
    assert out["control"]["corptls"] == out["run"]["corptls"] == "absent", "the child's venv must not hold corptls"
    control, run = out["control"]["results"], out["run"]["results"]
    for client in CHILD_CLIENTS:
        assert VERIFY_FAILED in control[client][GOOD], out
        assert run[client][GOOD] == "ok", out
        assert VERIFY_FAILED in run[client][ROGUE], out
    assert proc.stderr == "", proc.stderr  # run says nothing when all is well


def test_node_and_curl_through_the_proxy(stores: Stores, proxy_env: dict, tmp_path: Path) -> None:
    curl = "curl -sS -o /dev/null -w '%{http_code}\\n' --max-time 15"
    node = f"node {NODE_CONNECT}"
    proc = in_store(
        f"""
echo "== node control"; {node} {GOOD} "$HTTPS_PROXY"
echo "== node run"; {RUN} {node} {GOOD} "$HTTPS_PROXY"
echo "== node rogue"; {RUN} {node} {ROGUE} "$HTTPS_PROXY"
echo "== curl control"; {curl} https://{GOOD}/; echo "rc=$?"
echo "== curl run"; {RUN} {curl} https://{GOOD}/; echo "rc=$?"
echo "== curl rogue"; {RUN} {curl} https://{ROGUE}/; echo "rc=$?"
""",
        stores.corp,
        tmp_path,
        env=proxy_env,
    )
    out = sections(proc)
    assert out["node control"].strip() == NODE_UNTRUSTED, proc
    assert out["node run"].strip() == "ok 200", proc
    assert out["node rogue"].strip() == NODE_ROGUE, proc
    assert out["curl control"].splitlines()[-1] == f"rc={CURL_UNTRUSTED}", proc
    assert out["curl run"].split() == ["200", "rc=0"], proc
    assert out["curl rogue"].splitlines()[-1] == f"rc={CURL_UNTRUSTED}", proc


def test_a_ca_file_the_user_named_is_merged_and_a_missing_one_refused(
    stores: Stores, proxy_env: dict, pki: PKI, tmp_path: Path, bare_venv: venvs.Venv
) -> None:
    """REQUESTS_CA_BUNDLE names the user's own root (the rogue one here): under run requests trusts it
    still, and the OS store's corporate root too. So does Node with NODE_EXTRA_CA_CERTS naming it (and
    REQUESTS_CA_BUNDLE empty, so unset: only Node's variable brings the user's root in). A variable
    naming a missing file runs nothing."""
    child = python_child(bare_venv)
    own, node = f"REQUESTS_CA_BUNDLE= NODE_EXTRA_CA_CERTS={pki.rogue_root_pem}", f"node {NODE_CONNECT}"
    proc = in_store(
        f"""
echo "== control"; {child}
echo "== run"; {RUN} {child}
echo "== node control"; {own} {node} {GOOD} "$HTTPS_PROXY"; {own} {node} {ROGUE} "$HTTPS_PROXY"
echo "== node run"; {own} {RUN} {node} {GOOD} "$HTTPS_PROXY"; {own} {RUN} {node} {ROGUE} "$HTTPS_PROXY"
echo "== missing"; REQUESTS_CA_BUNDLE=/nonexistent/ca.pem {RUN} echo ran 2>&1; echo "rc=$?"
""",
        stores.corp,
        tmp_path,
        env={**proxy_env, "REQUESTS_CA_BUNDLE": str(pki.rogue_root_pem)},
    )
    out = sections(proc)
    control, run = last_json(out["control"])["results"]["requests"], last_json(out["run"])["results"]["requests"]
    assert control[ROGUE] == "ok" and VERIFY_FAILED in control[GOOD], control
    assert run[ROGUE] == run[GOOD] == "ok", run
    assert out["node control"].splitlines() == [NODE_UNTRUSTED, "ok 200"], proc
    assert out["node run"].splitlines() == ["ok 200", "ok 200"], proc
    assert out["missing"].splitlines() == [
        "corptls run: REQUESTS_CA_BUNDLE=/nonexistent/ca.pem: no such file; unset it, or point it at your CA file "
        "(its roots are then trusted as well)",
        "rc=125",
    ], proc


def test_exit_status_stdio_and_exec(stores: Stores, tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("not a program\n")
    proc = in_store(
        f"""
echo "== exit"; "$PY" -m corptls run sh -c 'exit 7'; echo "rc=$?"  # `--` is optional
echo "== stdio"; echo piped | {RUN} cat
echo "== env"; {RUN} sh -c 'echo "$CORPTLS_AUTOLOAD $SSL_CERT_FILE $NODE_EXTRA_CA_CERTS $CODEX_CA_CERTIFICATE"'
echo "== autoload"; {RUN} "$PY" -c 'import ssl, corptls; print(corptls.is_injected())'
echo "== exec"; sh -c 'echo $$; exec "$PY" -m corptls run -- sh -c "echo \\$\\$"'
echo "== missing"; {RUN} no-such-command 2>&1; echo "rc=$?"
echo "== not executable"; {RUN} {tmp_path}/plain.txt 2>&1; echo "rc=$?"
echo "== nothing"; {RUN} 2>&1; echo "rc=$?"
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    assert out["exit"] == "rc=7\n", proc
    assert out["stdio"] == "piped\n", proc
    autoload, *paths = out["env"].split()
    assert (
        autoload == "1"
        and len(paths) == 3
        and len(set(paths)) == 1
        and paths[0].startswith(f"{tmp_path}/cache/corptls/bundle-")
    ), out
    assert out["autoload"] == "True\n", proc  # a Python child with corptls: autoload
    shell_pid, child_pid = out["exec"].split()
    assert shell_pid == child_pid, "corptls run became the command (exec), it did not spawn it"
    assert out["missing"].splitlines() == ["corptls run: no-such-command: command not found", "rc=127"]
    assert out["not executable"].splitlines() == [f"corptls run: {tmp_path}/plain.txt: Permission denied", "rc=126"]
    assert out["nothing"].splitlines()[-1] == "rc=2", proc


def test_a_broken_pipe_ends_the_command_as_without_corptls(stores: Stores, tmp_path: Path) -> None:
    """CPython ignores SIGPIPE and SIGXFSZ at start-up, and an ignored signal stays ignored across
    exec: `yes` would then report the broken pipe and exit 1. Under run it dies of SIGPIPE (128 + 13),
    silently, as it does without corptls; and the kernel shows CMD ignoring what it ignores without."""
    proc = in_store(
        f"""
echo "== control"; yes | head -n1; echo "rc=${{PIPESTATUS[0]}}"
echo "== run"; {RUN} yes | head -n1; echo "rc=${{PIPESTATUS[0]}}"
echo "== ignored control"; grep SigIgn /proc/self/status
echo "== ignored run"; {RUN} grep SigIgn /proc/self/status
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    assert out["control"] == out["run"] == f"y\nrc={128 + signal.SIGPIPE}\n", proc
    assert out["ignored run"] == out["ignored control"] != "", proc
    assert proc.stderr == "", proc.stderr


def _started(argv: list[str], tmp_path: Path, **popen: object) -> subprocess.Popen[str]:
    """`argv` with the scrubbed env, once it has printed its first line ("ready")."""
    proc = subprocess.Popen(
        argv, env=scrubbed_env(None, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )  # type: ignore[call-overload]
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n", proc.stderr and proc.stderr.read()
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_reaches_the_command(signum: signal.Signals, tmp_path: Path) -> None:
    """The signal sent to `corptls run` is the command's: one that dies of it dies of it, one that
    handles it exits on its own terms (a wrapper that died of it itself would say -signum here)."""
    run = [sys.executable, "-m", "corptls", "run", "--", "sh", "-c"]
    killed = _started([*run, "echo ready; exec sleep 30"], tmp_path)
    killed.send_signal(signum)
    assert killed.wait(timeout=15) == -signum
    assert killed.stderr is not None and killed.stderr.read() == ""
    handled = _started(
        [*run, f"trap 'echo handled; exit 3' {signum.name[3:]}; echo ready; while :; do sleep 0.1; done"], tmp_path
    )
    handled.send_signal(signum)
    assert handled.wait(timeout=15) == 3
    assert handled.stdout is not None and handled.stdout.read() == "handled\n"


def test_windows_way_ctrl_c_reaches_the_child_and_its_exit_code_comes_back(tmp_path: Path) -> None:
    """What Windows runs (`spawn`), here on Linux: a console's Ctrl+C goes to its whole process group
    (killpg stands in for it). corptls ignores it and waits; the child decides, and its code is passed on."""
    child = "trap 'exit 42' INT; echo ready; while :; do sleep 0.1; done"
    spawn = [sys.executable, str(SCENARIOS / "spawn.py")]
    proc = _started([*spawn, "sh", "-c", child], tmp_path, start_new_session=True)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=15) == 42
    missing = subprocess.run(
        [*spawn, "no-such-command"],
        capture_output=True,
        text=True,
        env=scrubbed_env(None, tmp_path),
        timeout=30,
    )
    assert (missing.returncode, missing.stderr) == (127, "corptls run: no-such-command: command not found\n")
