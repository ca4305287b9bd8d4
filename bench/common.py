"""What bench.py and startup.py share: measured processes (run like the test suite's, in its
scrubbed environment), the local HTTPS server (the suite's PKI and origin server), the
contenders' throwaway venvs, and the statistics and tables."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import venvs  # noqa: E402
from tests.support.origin import OriginServer  # noqa: E402
from tests.support.outcomes import last_json  # noqa: E402
from tests.support.pki import PKI  # noqa: E402

T = TypeVar("T")

# --------------------------------------------------------------------------- processes


def work_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """Scratch space in the user's own ~/.cache, as the test suite's: corptls refuses a cache
    directory below a world-writable one such as /tmp (it would keep the bundle in memory only)."""
    home_cache = Path.home() / ".cache"
    home_cache.mkdir(mode=0o700, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=home_cache)


@dataclass(frozen=True)
class Child:
    """One measured process. Its environment is the suite's scrubbed one (PATH, HOME, LANG, LC_ALL,
    TMPDIR; none of this machine's CA variables, no CORPTLS_*, no PYTHON* such as
    PYTHONDONTWRITEBYTECODE), XDG_CACHE_HOME at `cache`, plus `env`."""

    argv: tuple[str, ...]
    cache: Path
    env: Mapping[str, str] = field(default_factory=dict)
    stderr_ok: bool = False  # else anything on stderr (a warning, an error) stops the bench

    def run(self) -> subprocess.CompletedProcess[str]:
        done = venvs.run(self.argv, cache_dir=self.cache, env=self.env)
        if done.returncode != 0 or (done.stderr and not self.stderr_ok):
            sys.exit(f"bench: {' '.join(self.argv)[:300]} failed (rc={done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def wall_ms(self) -> float:
        started = time.perf_counter()
        self.run()
        return (time.perf_counter() - started) * 1e3

    def json(self) -> Any:
        """The JSON object the child printed last (bench/child.py prints one)."""
        return last_json(self.run().stdout)


def measure(jobs: Mapping[str, Callable[[], T]], runs: int) -> dict[str, list[T]]:
    """{name: [result of each round]}: one untimed round, then `runs` rounds of every job in turn
    (interleaved, so a burst of load on the machine hits every job alike)."""
    for job in jobs.values():
        job()
    results: dict[str, list[T]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            results[name].append(job())
    return results


# --------------------------------------------------------------------------- the HTTPS server


@dataclass(frozen=True)
class Server:
    """The local HTTPS server (GET / answers 200) and the trust it needs."""

    port: int
    root: Path  # the root its chain ends in: the corporate root of the suite's PKI
    trust_file: Path  # certifi's roots and that root: stock trust that reaches the server

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"


def https_server(directory: Path) -> Server:
    """Started on a daemon thread of this process, for as long as it runs."""
    import certifi

    pki = PKI(directory)
    origin = OriginServer(pki.server_context("127.0.0.1")).start()
    trust_file = directory / "certifi+root.pem"
    trust_file.write_bytes(Path(certifi.where()).read_bytes() + b"\n" + pki.corp_root_pem.read_bytes())
    return Server(origin.port, pki.corp_root_pem, trust_file)


# --------------------------------------------------------------------------- contenders


def contender_venv(path: Path, package: str) -> venvs.Venv:
    """A fresh venv with `package` from PyPI, which sees this interpreter's client libraries
    (httpx, certifi) but not corptls (tests/support/venvs.py). `--ignore-installed`: a copy of
    `package` among those libraries must not stand in for its own install. Raises VenvError."""
    venv = venvs.create_venv(path)
    venvs.pip(venv, "install", "-q", "--ignore-installed", package)
    return venv


def package_version(venv: venvs.Venv, package: str) -> str:
    done = subprocess.run(
        [str(venv.python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "?"


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Figure:
    """One measurement over the rounds, against the baseline measured in the same rounds."""

    values: Sequence[float]
    baseline: Sequence[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def ratio(self) -> float:
        return self.median / statistics.median(self.baseline)

    @property
    def overhead(self) -> float:
        """Median of the per-round differences (ms): steadier than a difference of medians."""
        return statistics.median(a - b for a, b in zip(self.values, self.baseline))

    def row(self, name: str) -> tuple[str, ...]:
        """name, median, IQR, ratio: the columns of FIGURE_HEADER."""
        return name, ms(self.median), spread(self.values), times(self.ratio)


FIGURE_HEADER = ("", "median", "IQR ms", "ratio")


def spread(values: Sequence[float]) -> str:
    """The interquartile range (the whole range under 4 values)."""
    low, high = (min(values), max(values)) if len(values) < 4 else statistics.quantiles(values, n=4)[::2]
    return f"{low:.2f}-{high:.2f}"


def ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def times(ratio: float) -> str:
    return f"{ratio:.3f}x" if ratio < 0.1 else f"{ratio:.2f}x"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for k, row in enumerate([header, *rows]):
        print("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        if k == 0:
            print("  " + "  ".join("-" * width for width in widths))


@dataclass(frozen=True)
class Target:
    """One line of a summary: what was measured, the figure, the goal, and whether it is met."""

    name: str
    figure: str
    goal: str
    met: bool


def summary(targets: Sequence[Target]) -> None:
    table(
        "summary",
        ("target", "figure", "goal", ""),
        [(t.name, t.figure, t.goal, "PASS" if t.met else "FAIL") for t in targets],
    )
