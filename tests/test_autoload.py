"""Autoload, for real: environments built from the wheel, unmodified programs, real start-ups.

Every environment here is a fresh venv with corptls installed from the wheel (see
tests/support/venvs.py); programs run in the store namespace (the corporate root only in the
OS store), with the scrubbed environment and their own XDG cache, through the intercepting
proxy. The program under test never imports corptls: only the start-up hook can make it work.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.support import venvs
from tests.support.harness import DirectServers, Stores
from tests.support.outcomes import UNTRUSTED, assert_fails, reported
from tests.support.pki import PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import READ_ONLY_CACHE, SCENARIOS, StoreLayout, StoreNamespaceError, build_store
from tests.support.venvs import Venv

GOOD, ROGUE = "api.corp.test", "rogue.corp.test"
#: The program under test is tests/scenarios/probe.py in "stock" mode: it never imports corptls.
PROBE = SCENARIOS / "probe.py"
CLIENTS = ("litellm-async-aiohttp", "httpx", "requests", "aiohttp", "urllib")
LIGHT = ("httpx", "requests", "aiohttp", "urllib")  # no litellm: its import alone takes seconds
UNREADABLE = "corptls-test-unreadable.pem"
#: Wheels for tests' fresh environments, downloaded by scripts/test before the tests run.
WHEELHOUSE = Path(__file__).resolve().parents[1] / "target" / "wheelhouse"

PANIC = '''
class PanicException(BaseException):
    """What pyo3 raises for a Rust panic: a BaseException, not an Exception."""


PanicException.__module__ = "pyo3_runtime"
raise PanicException("simulated Rust panic")
'''

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


# --------------------------------------------------------------------------- environments


def _fresh(where: Path, wheel: Path) -> Venv:
    venv = venvs.create_venv(where)
    venvs.install_wheel(venv, wheel)
    return venv


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """corptls as installed: autoload off. Shared: never modified."""
    return _fresh(tmp_path_factory.mktemp("installed") / "venv", wheel)


@pytest.fixture(scope="session")
def enabled(installed: Venv, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A copy of `installed` after `python -m corptls autoload enable`. Shared: never modified."""
    venv = venvs.copy_venv(installed, tmp_path_factory.mktemp("enabled") / "venv")
    out = corptls_command(venv, "autoload", "enable")
    assert out.startswith("autoload enabled:"), out
    return venv


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[Venv], Venv]:
    """A private `cp -a` copy, for a test that changes or breaks its environment."""
    made: list[Venv] = []

    def make(src: Venv) -> Venv:
        venv = venvs.copy_venv(src, tmp_path / f"venv-{len(made)}")
        made.append(venv)
        return venv

    return make


@pytest.fixture
def run_in(tmp_path: Path) -> Runner:
    """`run_in(argv, store=, env=, setup=, timeout=)`: venvs.run with this test's XDG cache directory."""
    cache = tmp_path / "xdg-cache"
    cache.mkdir()

    def go(argv: list, **kwargs: object) -> subprocess.CompletedProcess[str]:
        try:
            return venvs.run(argv, cache_dir=cache, **kwargs)  # type: ignore[arg-type]
        except StoreNamespaceError as exc:
            pytest.fail(str(exc), pytrace=False)

    go.cache = cache  # type: ignore[attr-defined]
    return go


@pytest.fixture(scope="session")
def unreadable_store(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> StoreLayout:
    """The corporate store plus an entry whose read fails even for root: /proc/self/mem gives EIO at offset 0."""
    layout = build_store(tmp_path_factory.mktemp("stores") / "unreadable", corp_root_pem=pki.corp_root_pem)
    (layout.path / UNREADABLE).symlink_to("/proc/self/mem")
    return layout


def corptls_command(venv: Venv, *args: str, script: bool = False, env: Mapping[str, str] | None = None) -> str:
    """`<venv>/bin/python -m corptls ARGS` (or the `corptls` console script); returns its stdout."""
    argv = [str(venv.bin("corptls"))] if script else [str(venv.python), "-m", "corptls"]
    cache = venv.path.parent / "command-cache"
    cache.mkdir(exist_ok=True)
    done = venvs.run([*argv, *args], cache_dir=cache, env=env)
    assert done.returncode == 0 and not done.stderr, (done.stdout, done.stderr)
    return done.stdout.strip()


def run_program(
    run_in: Runner,
    venv: Venv,
    stores: Stores,
    proxy_env: dict,
    *hosts: str,
    clients: tuple = CLIENTS,
    env: Mapping[str, str] | None = None,
    store: StoreLayout | None = None,
    **kwargs: object,
) -> tuple[dict, str]:
    """The probe with the venv's python, through the proxy, in the corporate store; (report, stderr)."""
    done = run_in(
        [venv.python, PROBE, ",".join(clients), "stock", *hosts],
        store=store or stores.corp,
        env={**proxy_env, **(env or {})},
        timeout=180,
        **kwargs,
    )
    return reported(done), done.stderr


def corptls_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("corptls")]


def assert_trusted(report: dict, clients: tuple = CLIENTS) -> None:
    """corptls was loaded by the start-up hook; the corporate chain verifies; the rogue one does not."""
    assert report["corptls"] == "loaded", report
    results = report["results"]
    assert {name: results[name][GOOD] for name in clients} == {name: "ok" for name in clients}, results
    for name in clients:
        assert_fails(results[name][ROGUE], UNTRUSTED)


def assert_stock(report: dict, clients: tuple = CLIENTS) -> None:
    """corptls never loaded; every client fails on the corporate chain, as without corptls."""
    assert report["corptls"] != "loaded", report
    for name in clients:
        assert_fails(report["results"][name][GOOD], UNTRUSTED)


def assert_one_warning(stderr: str, *names: str) -> None:
    """Exactly one line, `corptls: ...`, naming the problem (`names`) and a fix."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("corptls:"), line
    for name in names:
        assert name in line, (name, line)
    assert "Fix:" in line or "set CORPTLS_" in line, f"no fix named: {line}"


def remove_module(venv: Venv, name: str) -> None:
    """Delete corptls/<name>.py and its compiled forms: a half-removed installation."""
    package = venv.package_dir
    (package / f"{name}.py").unlink()
    for pyc in (package / "__pycache__").glob(f"{name}.*.pyc"):
        pyc.unlink()
    assert not list(package.rglob(f"{name}.*"))


def relevant(files: set[str]) -> set[str]:
    """Site-packages files, less the clients' .pth and the bytecode that running Python left of non-corptls code."""
    return {f for f in files if f != venvs.CLIENTS_PTH and ("__pycache__" not in Path(f).parts or "corptls" in f)}


# --------------------------------------------------------------------------- the environments themselves


def test_environments_see_the_clients_but_not_the_dev_corptls(installed: Venv, run_in: Runner, tmp_path: Path) -> None:
    # CORPTLS_AUTOLOAD=1 would wake the test environment's own hook if its .pth files were read.
    bare = venvs.create_venv(tmp_path / "bare")
    seen = {}
    for name, venv in (("bare", bare), ("installed", installed)):
        done = run_in(
            [venv.python, SCENARIOS / "site_view.py"], env={"CORPTLS_AUTOLOAD": "1" if name == "bare" else None}
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        seen[name] = json.loads(done.stdout)
    assert seen["bare"] == {"corptls": None, "certifi": seen["bare"]["certifi"], "loaded": []}
    assert seen["bare"]["certifi"].startswith(venvs.CLIENT_SITE)
    assert seen["installed"]["corptls"] == str(installed.package_dir / "__init__.py")
    assert seen["installed"]["loaded"] == []  # installed means off
    # The wheel's hooks land in site-packages itself.
    assert {f for f in installed.files() if "corptls" in f and "__pycache__" not in f and ".dist-info" not in f} >= {
        "corptls_autoload.pth",
        "corptls_autoload.start",
        "corptls/_autoload.py",
        "corptls/_switch.py",
    }
    assert installed.bin("corptls").exists()


# --------------------------------------------------------------------------- on, off, and the switches


@pytest.mark.parametrize("how", ["python -m corptls", "corptls console script"])
def test_enabled_unmodified_program_trusts_the_os_store(
    how: str,
    enabled: Venv,
    wheel: Path,
    tmp_path: Path,
    run_in: Runner,
    stores: Stores,
    proxy_env: dict,
    proxy: InterceptingProxy,
) -> None:
    if how == "python -m corptls":
        venv = enabled
    else:  # a venv of its own: a copy's console script would run the original's interpreter
        venv = _fresh(tmp_path / "venv", wheel)
        out = corptls_command(venv, "autoload", "enable", script=True)
        assert out == f"autoload enabled: {venv.site_packages / 'corptls_autoload.pth'}"
    status = corptls_command(venv, "autoload", "status")
    assert "corptls_autoload.pth: enabled" in status, status
    before = proxy.connects[GOOD]
    report, stderr = run_program(run_in, venv, stores, proxy_env, GOOD, ROGUE)
    assert_trusted(report)
    assert proxy.connects[GOOD] - before >= len(CLIENTS), "the clients did not go through the proxy"
    assert not corptls_lines(stderr), stderr


SWITCHES = {
    # name: (environment fixture, extra variables, trusted?, clients)
    "default after install": ("installed", {}, False, CLIENTS),
    "after autoload disable": ("disabled", {}, False, CLIENTS),
    # The variables act before any client is touched: the light clients show it as well.
    "enabled, CORPTLS_DISABLE=1": ("enabled", {"CORPTLS_DISABLE": "1"}, False, LIGHT),
    "disabled, CORPTLS_AUTOLOAD=1": ("installed", {"CORPTLS_AUTOLOAD": "1"}, True, LIGHT),
}


@pytest.mark.parametrize("case", list(SWITCHES))
def test_switches(
    case: str,
    request: pytest.FixtureRequest,
    copy_of: Callable[[Venv], Venv],
    run_in: Runner,
    stores: Stores,
    proxy_env: dict,
    proxy: InterceptingProxy,
) -> None:
    name, env, trusted, clients = SWITCHES[case]
    if name == "disabled":
        venv = copy_of(request.getfixturevalue("enabled"))
        out = corptls_command(venv, "autoload", "disable")
        assert out == f"autoload disabled: {venv.site_packages / 'corptls_autoload.pth'}"
    else:
        venv = request.getfixturevalue(name)
    status = corptls_command(venv, "autoload", "status")
    assert f"corptls_autoload.pth: {'enabled' if name == 'enabled' else 'disabled'}" in status, status
    before = proxy.connects[GOOD]
    report, stderr = run_program(
        run_in, venv, stores, proxy_env, *((GOOD, ROGUE) if trusted else (GOOD,)), clients=clients, env=env
    )
    assert proxy.connects[GOOD] - before >= len(clients), "the clients did not go through the proxy"
    if trusted:
        assert_trusted(report, clients)
    else:
        assert_stock(report, clients)
    assert not corptls_lines(stderr), stderr


def test_sitecustomize_block(
    installed: Venv, copy_of: Callable[[Venv], Venv], run_in: Runner, stores: Stores, proxy_env: dict
) -> None:
    venv = copy_of(installed)
    custom = venv.site_packages / "sitecustomize.py"
    user = "# the user's own start-up code\nimport builtins\nbuiltins.USER_SITECUSTOMIZE = 'ran'\n"
    custom.write_text(user)
    for _ in range(2):
        out = corptls_command(venv, "autoload", "enable", "--sitecustomize")
        assert out == f"autoload enabled: block added to {custom}"
    text = custom.read_text()
    assert text.startswith(user), text
    assert text.count("# >>> corptls autoload") == 1 and text.count("# <<< corptls autoload <<<") == 1, text
    assert text.count("import corptls._autoload") == 1, text
    status = corptls_command(venv, "autoload", "status")
    assert "corptls_autoload.pth: disabled" in status and "block present" in status, status

    report, stderr = run_program(run_in, venv, stores, proxy_env, GOOD, ROGUE, clients=LIGHT)
    assert_trusted(report, LIGHT)
    assert not corptls_lines(stderr), stderr

    out = corptls_command(venv, "autoload", "disable", "--sitecustomize")
    assert out == f"autoload disabled: block removed from {custom}"
    assert custom.read_text() == user
    check = "import builtins, sys; print(builtins.USER_SITECUSTOMIZE, 'corptls' in sys.modules)"
    done = run_in([venv.python, "-c", check])
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran False\n", "")


# --------------------------------------------------------------------------- start-up cost and safety


def test_start_up_is_lazy(enabled: Venv, run_in: Runner) -> None:
    # At start-up nothing of corptls is imported, only a finder waits; the first `import ssl`
    # (or certifi) brings corptls and inject().
    done = run_in([enabled.python, SCENARIOS / "lazy_start.py"])
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout) == {"loaded": [], "waiting": "CorptlsStart"}
    done = run_in([enabled.python, "-c", "import ssl, corptls; print(corptls.is_injected())"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "True\n", "")
    done = run_in([enabled.python, "-c", "pass"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_pth_running_twice_is_harmless(enabled: Venv, run_in: Runner, stores: Stores, proxy_env: dict) -> None:
    done = run_in([enabled.python, SCENARIOS / "pth_twice.py", GOOD], store=stores.corp, env=proxy_env)
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    # One finder; ssl patched once: the patch wraps the C method itself, not another patch.
    assert json.loads(done.stdout) == {
        "finders": 1,
        "injected": True,
        "patch": "corptls.clients.ssl",
        "wraps": ["method_descriptor"],
    }


def _break_autoload(venv: Venv) -> None:
    remove_module(venv, "_autoload")


def _break_api(venv: Venv) -> None:
    remove_module(venv, "_api")


def _panic_at_start_up(venv: Venv) -> None:
    (venv.package_dir / "_hooks.py").write_text(PANIC)


START_UP_BREAKAGES = {
    # name: (break the environment, what the line must name). site processes a venv's site-packages
    # twice (CPython 3.9-3.13 alike), so the .pth line runs twice: still one line.
    "corptls/_autoload.py removed": (_break_autoload, "corptls._autoload"),
    "corptls/_api.py removed": (_break_api, "_api"),
    "panic while starting": (_panic_at_start_up, "PanicException"),
}


@pytest.mark.parametrize("case", START_UP_BREAKAGES)
def test_broken_installation_never_breaks_start_up(
    case: str, enabled: Venv, copy_of: Callable[[Venv], Venv], run_in: Runner
) -> None:
    breaks, names = START_UP_BREAKAGES[case]
    venv = copy_of(enabled)
    breaks(venv)
    # `import ssl`: the part of corptls that loads when a client library is imported runs too.
    done = run_in([venv.python, "-c", "import ssl; print('ran')"], env={"CORPTLS_QUIET": "1"})
    assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", "")
    done = run_in([venv.python, "-c", "import ssl; print('ran')"])
    assert (done.returncode, done.stdout) == (0, "ran\n"), done.stderr
    assert_one_warning(done.stderr, names)


def _native_files(venv: Venv) -> list[Path]:
    found = list(venv.package_dir.glob("_native*.so"))
    assert found, list(venv.package_dir.iterdir())
    return found


def _native_missing(venv: Venv) -> None:
    for path in _native_files(venv):
        path.unlink()


def _native_garbage(venv: Venv) -> None:
    for path in _native_files(venv):
        path.write_bytes(b"\x7fELF this is not a shared object " * 64)


def _native_panics(venv: Venv) -> None:
    _native_missing(venv)
    (venv.package_dir / "_native.py").write_text(PANIC)


NATIVE_BREAKAGES = {
    "intact": (None, ()),
    "native module missing": (_native_missing, ("_native",)),
    "native module garbage": (_native_garbage, ("_native", "ELF")),
    "native module panics": (_native_panics, ("PanicException", "simulated Rust panic")),
}


@pytest.mark.parametrize("case", list(NATIVE_BREAKAGES))
def test_broken_native_core_leaves_python_stock(
    case: str, enabled: Venv, copy_of: Callable[[Venv], Venv], run_in: Runner, stores: Stores, direct: DirectServers
) -> None:
    breaks, names = NATIVE_BREAKAGES[case]
    venv = enabled
    if breaks is not None:
        venv = copy_of(enabled)
        breaks(venv)
    host = direct.good.address("localhost")
    for quiet in (True, False):
        done = run_in(
            [venv.python, PROBE, "urllib", "stock", host],
            store=stores.corp,
            env={"CORPTLS_QUIET": "1" if quiet else None},
        )
        request = reported(done)["results"]["urllib"][host]
        if breaks is None:
            assert request == "ok" and done.stderr == "", (request, done.stderr)
            continue
        assert UNTRUSTED in request, request  # stock: the corporate root is only in the OS store
        if quiet:
            assert done.stderr == ""
        else:
            assert_one_warning(done.stderr, *names)


NO_STDERR = {
    # name: (break the environment, variables, trusted?): each reports one line, to no stderr
    "start-up finder fails (_autoload.py removed)": (_break_autoload, None, False),
    "inject() fails (_api.py removed)": (_break_api, None, False),
    "native module missing": (_native_missing, None, False),
    "intact, an extra CA missing": (None, {"CORPTLS_EXTRA_CA_CERTS": "/nonexistent/corp-ca.pem"}, True),
}


@pytest.mark.parametrize("warnings_flag", [[], ["-W", "error"]], ids=["default", "-W error"])
@pytest.mark.parametrize("stderr", ["fd 2 closed", "sys.stderr = None"])
@pytest.mark.parametrize("case", list(NO_STDERR))
def test_no_stderr_never_breaks_start_up(
    case: str,
    stderr: str,
    warnings_flag: list,
    enabled: Venv,
    copy_of: Callable[[Venv], Venv],
    run_in: Runner,
    stores: Stores,
    direct: DirectServers,
) -> None:
    breaks, env, trusted = NO_STDERR[case]
    venv = enabled
    if breaks is not None:
        venv = copy_of(enabled)
        breaks(venv)
    closed = stderr == "fd 2 closed"
    program = [SCENARIOS / "no_stderr.py", direct.good.url("localhost"), "as-is" if closed else "none"]
    done = run_in(
        [venv.python, *warnings_flag, *program], store=stores.corp, env=env, setup="exec 2>&-" if closed else ""
    )
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["closed"] is closed, report
    if trusted:
        assert report["request"] == "ok", report
    else:
        assert UNTRUSTED in report["request"], report  # stock: the corporate root is only in the OS store


def _unreadable_entry(run_in: Runner, unreadable_store: StoreLayout) -> dict:
    return {"store": unreadable_store}


def _read_only_cache(run_in: Runner, unreadable_store: StoreLayout) -> dict:
    return {"setup": READ_ONLY_CACHE}


def _world_writable_cache(run_in: Runner, unreadable_store: StoreLayout) -> dict:
    directory = run_in.cache / "corptls"  # type: ignore[attr-defined]
    directory.mkdir()
    directory.chmod(0o777)
    return {}


DEGRADED = {
    # name: (set up, what the line must name)
    "store entry unreadable": (_unreadable_entry, (UNREADABLE, "Input/output error")),
    "cache directory read-only": (_read_only_cache, ("Read-only file system", "in memory")),
    "cache directory world-writable": (_world_writable_cache, ("writable by other users", "in memory")),
}


@pytest.mark.parametrize("case", DEGRADED)
def test_degraded_sources_still_trust_the_os_store(
    case: str,
    enabled: Venv,
    run_in: Runner,
    stores: Stores,
    proxy_env: dict,
    unreadable_store: StoreLayout,
) -> None:
    prepare, names = DEGRADED[case]
    options = prepare(run_in, unreadable_store)
    for quiet in (True, False):
        report, stderr = run_program(
            run_in,
            enabled,
            stores,
            proxy_env,
            GOOD,
            ROGUE,
            clients=LIGHT,
            env={"CORPTLS_QUIET": "1"} if quiet else None,
            **options,
        )
        assert_trusted(report, LIGHT)
        if quiet:
            assert stderr == ""
            if case != "store entry unreadable":  # nothing was written: the roots stayed in memory
                assert not list(run_in.cache.rglob("*.pem")), list(run_in.cache.rglob("*"))  # type: ignore[attr-defined]
        else:
            assert_one_warning(stderr, *names)


# --------------------------------------------------------------------------- uninstall, and a tool's own venv


@pytest.mark.parametrize("hook", [".pth", "sitecustomize"])
def test_uninstall_leaves_nothing(hook: str, wheel: Path, tmp_path: Path, run_in: Runner) -> None:
    venv = venvs.create_venv(tmp_path / "venv")
    before = relevant(venv.files())
    venvs.install_wheel(venv, wheel)
    corptls_command(venv, "autoload", "enable", *(["--sitecustomize"] if hook == "sitecustomize" else []))
    done = run_in([venv.python, "-c", "import ssl, corptls; print(corptls.is_injected())"])
    assert (done.returncode, done.stdout, done.stderr) == (0, "True\n", "")

    venvs.pip(venv, "uninstall", "-y", "corptls")

    left = relevant(venv.files()) - before
    if hook == "sitecustomize":  # pip cannot know our block: it stays, and says nothing without corptls
        assert left == {"sitecustomize.py"}, left
        assert "import corptls._autoload" in (venv.site_packages / "sitecustomize.py").read_text()
    else:
        assert left == set(), left
    assert relevant(venv.files()) >= before
    assert not venv.bin("corptls").exists()
    for env in ({}, {"CORPTLS_AUTOLOAD": "1"}):
        done = run_in([venv.python, "-c", "print('ran')"], env=env)
        assert (done.returncode, done.stdout, done.stderr) == (0, "ran\n", ""), env
    done = run_in([venv.python, "-c", "import corptls"])
    assert done.returncode == 1 and "ModuleNotFoundError: No module named 'corptls'" in done.stderr, done.stderr


def test_tool_venv_with_corptls_added(
    wheel: Path, tmp_path: Path, run_in: Runner, stores: Stores, proxy_env: dict, proxy: InterceptingProxy
) -> None:
    """The pip equivalent of `uv tool install httpie --with corptls`: the tool's own venv and console script
    (httpie from the wheelhouse scripts/test fills: no registry at test time)."""
    venv = venvs.create_venv(tmp_path / "httpie", with_pip=True, clients=False)
    # pip itself keeps this machine's CA variables; only the scenarios drop them.
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"no {WHEELHOUSE}: scripts/test downloads httpie there before the tests", pytrace=False)
    done = subprocess.run(
        [
            str(venv.python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(WHEELHOUSE),
            "httpie",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = tmp_path / "httpie-config"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"disable_update_warnings": True}))
    env = {**proxy_env, "HTTPIE_CONFIG_DIR": str(config)}

    def https(host: str) -> subprocess.CompletedProcess[str]:
        return run_in(
            [venv.bin("https"), "--ignore-stdin", "--timeout", "15", f"https://{host}/"], store=stores.corp, env=env
        )

    before = proxy.connects[GOOD]
    control = https(GOOD)
    assert control.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in control.stderr, control.stderr
    assert proxy.connects[GOOD] > before, "httpie did not go through the proxy"

    corptls_command(venv, "autoload", "enable")
    good = https(GOOD)
    assert good.returncode == 0 and good.stderr == "", good.stderr
    assert json.loads(good.stdout) == {"ok": True}
    rogue = https(ROGUE)
    assert rogue.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in rogue.stderr, rogue.stderr
    assert UNTRUSTED in rogue.stderr, rogue.stderr
