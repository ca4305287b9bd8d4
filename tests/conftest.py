"""Session fixtures: PKI, origin, intercepting proxy, direct servers and OS-store layouts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

# tests/ is not a package and pyproject sets no pytest `pythonpath`: make `tests.support`
# importable however pytest is launched (plain `pytest`, from another cwd, ...).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import venvs  # noqa: E402
from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.origin import OriginServer
from tests.support.pki import ORIGIN_HOSTNAME, PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import (
    StoreLayout,
    StoreNamespaceError,
    build_store,
    check_namespace_support,
    run_scenario,
)

LOCAL_NAMES = ["localhost", "127.0.0.1"]
# Python 3.13+'s strict verification needs that interpreter: scripts/test-abi3 runs it there
# (a skip would fail the run).
collect_ignore = [] if sys.version_info >= (3, 13) else ["test_strict.py"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def origin(pki: PKI) -> Iterator[OriginServer]:
    server = OriginServer(
        pki.server_context(ORIGIN_HOSTNAME, issuer="origin", san=[ORIGIN_HOSTNAME, *LOCAL_NAMES])
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def proxy(pki: PKI, origin: OriginServer) -> Iterator[InterceptingProxy]:
    mitm = InterceptingProxy(pki, origin.port).start()
    yield mitm
    mitm.stop()


@pytest.fixture(scope="session")
def direct(pki: PKI) -> Iterator[DirectServers]:
    servers = DirectServers(
        good=OriginServer(pki.server_context("localhost", san=LOCAL_NAMES)).start(),
        rogue=OriginServer(pki.server_context("localhost", issuer="rogue", san=LOCAL_NAMES)).start(),
        expired=OriginServer(pki.server_context("localhost", expired=True, san=LOCAL_NAMES)).start(),
        wrongname=OriginServer(pki.server_context("wrong.corp.test")).start(),
    )
    yield servers
    for server in servers.all():
        server.stop()


@pytest.fixture(scope="session")
def stores(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Stores:
    base = tmp_path_factory.mktemp("stores")
    layouts = Stores(
        corp=build_store(base / "corp", corp_root_pem=pki.corp_root_pem),
        plain=build_store(base / "plain", corp_root_pem=None),
        bad=build_store(
            base / "bad",
            corp_root_pem=pki.corp_root_pem,
            extra_files={"corptls-test-garbage.pem": pki.garbage_pem(), "corptls-test-non-ca.pem": pki.non_ca_pem()},
        ),
    )
    try:
        check_namespace_support(layouts.corp)
    except StoreNamespaceError as exc:
        pytest.fail(f"OS-store namespace unavailable (tests need root + unshare + mount): {exc}", pytrace=False)
    return layouts


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corptls's wheel, built once per run from the work tree."""
    try:
        return venvs.build_wheel(tmp_path_factory.mktemp("wheel"))
    except venvs.VenvError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def proxy_env(proxy: InterceptingProxy) -> dict[str, str | None]:
    """Env for proxied scenarios: both spellings of HTTPS_PROXY, NO_PROXY explicitly absent."""
    return {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url, "NO_PROXY": None, "no_proxy": None}


# What tests/scenarios/kit.py's has_corp reads (its CORP_LEAF_VAR, CORP_LEAF_HOST).
CORP_LEAF_VAR, CORP_LEAF_HOST = "CORPTLS_TEST_CORP_LEAF", "leaf.corptls.test"


@pytest.fixture(scope="session")
def corp_leaf(pki: PKI) -> str:
    """The corporate leaf's chain and key files, for kit.has_corp in the scenarios."""
    return os.pathsep.join(map(str, pki.leaf_files(CORP_LEAF_HOST)))


@pytest.fixture
def scenario(tmp_path: Path, corp_leaf: str) -> Scenario:
    """`scenario(NAME, *args, store=, env=, timeout=, python=, setup=)`: run_scenario with a
    per-test XDG cache dir (NAME: tests/scenarios/NAME.py, or python's "-c"/"-m"), and the corporate
    leaf for kit.has_corp."""

    def run(
        *argv: str | os.PathLike[str],
        store: StoreLayout | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
        python: str | os.PathLike[str] | None = None,
        setup: str = "",
    ) -> subprocess.CompletedProcess[str]:
        env = {CORP_LEAF_VAR: corp_leaf, **(env or {})}
        try:
            return run_scenario(
                argv, store=store, env=env, timeout=timeout, cache_dir=tmp_path, python=python, setup=setup
            )
        except StoreNamespaceError as exc:
            pytest.fail(str(exc), pytrace=False)

    return run


def pytest_configure(config: pytest.Config) -> None:
    """Scratch space (tmp_path, so the scenarios' cache directories) in the user's own home:
    corptls refuses a cache directory below a world-writable one, /tmp included."""
    if config.option.basetemp is None:
        home_cache = Path.home() / ".cache"
        home_cache.mkdir(mode=0o700, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix="corptls-tests-", dir=home_cache))
        config.add_cleanup(lambda: shutil.rmtree(base, ignore_errors=True))
        # pytest empties basetemp when a test first asks for tmp_path: TMPDIR lives beside it.
        config.option.basetemp = base / "pytest"
        scratch = base / "tmp"
    else:
        scratch = Path(config.option.basetemp).parent / f"{Path(config.option.basetemp).name}-tmp"
    scratch.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(scratch)  # scenarios' own temporary files too


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is not a passing one: any skip fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
