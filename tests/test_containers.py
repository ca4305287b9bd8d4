"""`corptls env --shell compose|dotenv`: the bundle for containers (harbor's agents, any compose project).

No container engine here: the override is checked as YAML (what compose reads), and a container
is stood in for by a Node child that gets *only* the override's variables, with the in-container
path remapped to the host copy the override mounts. The corporate root is in the OS store only
(the store namespace): the control without the variables fails, the rogue host still fails.
README's harbor recipe runs as written, with a stub `harbor` that reports what it was given.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import yaml

from corptls import _containers
from tests.support.harness import Scenario, Stores
from tests.support.pki import PKI
from tests.support.shell import NODE_CONNECT, in_store, sections

GOOD, ROGUE = "api.corp.test", "rogue.corp.test"
TARGET = "/etc/corptls/ca.pem"
# The variables harbor's agents read, each checked against its tool (see README: Containers).
AGENT_NAMES = {"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CODEX_CA_CERTIFICATE"}
NODE_UNTRUSTED = "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
NODE_ROGUE = "error UNABLE_TO_VERIFY_LEAF_SIGNATURE"
VOLUME = {"type": "bind", "target": TARGET, "read_only": True}


def der_ders(pem_file: Path) -> set[bytes]:
    blocks = pem_file.read_text().split("-----END CERTIFICATE-----")[:-1]
    return {ssl.PEM_cert_to_DER_cert(b[b.index("-----BEGIN") :] + "-----END CERTIFICATE-----\n") for b in blocks}


def test_compose_override_mounts_a_stable_copy_into_each_service(stores: Stores, pki: PKI, tmp_path: Path) -> None:
    """Long-syntax bind mount, read-only, of a copy whose name stays when the roots change (the plain
    store, then the corporate one): the override is the same text, the copy gains the root."""
    out_dir = tmp_path / "project"
    out_dir.mkdir()
    write = f'"$PY" -m corptls env --shell compose --service main --service verifier -o {out_dir}/corp-ca.compose.yaml'
    before = in_store(write, stores.plain, tmp_path)
    assert before.returncode == 0, before
    first = (out_dir / "corp-ca.compose.yaml").read_text()
    corp = ssl.PEM_cert_to_DER_cert(pki.corp_root_pem.read_text())
    assert corp not in der_ders(out_dir / "corptls-ca.pem")
    after = in_store(write, stores.corp, tmp_path)
    assert after.returncode == 0 and after.stdout == "", after
    assert after.stderr.startswith("corptls env: ") and f"roots written to {out_dir}/corptls-ca.pem" in after.stderr
    text = (out_dir / "corp-ca.compose.yaml").read_text()
    assert text == first, "the override names the same copy whatever the roots"
    assert corp in der_ders(out_dir / "corptls-ca.pem")
    assert sorted(p.name for p in out_dir.iterdir()) == ["corp-ca.compose.yaml", "corptls-ca.pem"]
    override = yaml.safe_load(text)
    assert list(override) == ["services"] and list(override["services"]) == ["main", "verifier"]
    for service in override["services"].values():
        assert service["volumes"] == [{**VOLUME, "source": str(out_dir / "corptls-ca.pem")}]
        env = service["environment"]
        assert AGENT_NAMES <= set(env) and set(env.values()) == {TARGET}, env
        assert "UV_SYSTEM_CERTS" not in env, "uv would read the container's own store, without the root"


def test_dotenv_lines_and_options_that_belong_to_containers(stores: Stores, tmp_path: Path) -> None:
    proc = in_store(
        f"""
cd {tmp_path}
echo "== dotenv"; "$PY" -m corptls env --shell dotenv --bundle {tmp_path}/ca-copy.pem
echo "== misuse"; "$PY" -m corptls env --shell bash --service main 2>&1; echo "rc=$?"
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    lines = [line for line in out["dotenv"].splitlines() if not line.startswith("#")]
    names = [line.split("=", 1)[0] for line in lines]
    assert lines == [f"{name}={TARGET}" for name in names] and AGENT_NAMES <= set(names), out
    assert (tmp_path / "ca-copy.pem").read_text().count("BEGIN CERTIFICATE") > 50
    assert out["misuse"].splitlines() == [
        "corptls env: --service and --bundle are for --shell compose or dotenv",
        "rc=2",
    ]


def test_windows_host_path_and_dollar_survive_yaml_and_compose_interpolation(scenario: Scenario) -> None:
    """Docker Desktop takes `C:\\...` sources in the long syntax; compose interpolates `$`, so it is doubled."""
    proc = scenario(
        "-c",
        "from corptls import _containers\n"
        "print(_containers.compose('C:\\\\Users\\\\J\u00fcrgen $HOME\\\\corptls-ca.pem', ['main']), end='')",
    )
    assert proc.returncode == 0, proc
    volume = yaml.safe_load(proc.stdout)["services"]["main"]["volumes"][0]
    assert volume == {**VOLUME, "source": "C:\\Users\\J\u00fcrgen $$HOME\\corptls-ca.pem"}


def test_a_container_stand_in_verifies_the_corporate_chain_with_only_the_override(
    stores: Stores, proxy_env: dict, tmp_path: Path
) -> None:
    """Node with nothing but the override's environment (TARGET remapped to the mounted source),
    outside the store namespace: the stock store has no corporate root, only the mounted copy does."""
    written = in_store(f'"$PY" -m corptls env --shell compose -o {tmp_path}/o.yaml', stores.corp, tmp_path)
    assert written.returncode == 0, written
    main = yaml.safe_load((tmp_path / "o.yaml").read_text())["services"]["main"]
    (volume,) = main["volumes"]
    mounted = {
        name: volume["source"] if value == volume["target"] else value for name, value in main["environment"].items()
    }

    def node(host: str, env: dict[str, str]) -> str:
        bare = {"PATH": os.environ["PATH"], **env}  # no HOME, no proxy variables: only what a container gets
        done = subprocess.run(
            ["node", str(NODE_CONNECT), host, proxy_env["HTTPS_PROXY"]],
            env=bare,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return (done.stdout or done.stderr).strip()

    assert node(GOOD, {}) == NODE_UNTRUSTED  # control: the stock roots
    assert node(GOOD, mounted) == "ok 200"
    assert node(ROGUE, mounted) == NODE_ROGUE
    assert sorted(mounted) == sorted(_containers.variables())


def readme_harbor_recipe() -> list[str]:
    """README's two harbor lines (its bash block), with this interpreter for `uvx corptls` and options
    of the test's own for `<your options>`."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("\n### harbor\n", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0]
    lines = block.splitlines()
    assert len(lines) == 2 and all(line.startswith("uvx corptls ") for line in lines), lines
    return [line.replace("uvx corptls", '"$PY" -m corptls', 1).replace("<your options>", "-a x") for line in lines]


# What the stub harbor prints: its argv and the variables it got (NAMES), as JSON.
HARBOR_STUB = """
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "env": {name: os.environ.get(name) for name in NAMES}}))
"""


def harbor_stub(directory: Path) -> None:
    """HARBOR_STUB as the executable `harbor` in `directory`, for the agents' variables and CORPTLS_AUTOLOAD."""
    stub = directory / "harbor"
    stub.write_text(f"#!{sys.executable}\nNAMES = {sorted(AGENT_NAMES | {'CORPTLS_AUTOLOAD'})!r}\n{HARBOR_STUB}")
    stub.chmod(0o755)


def test_the_readme_harbor_recipe_with_a_stub_harbor(stores: Stores, pki: PKI, tmp_path: Path) -> None:
    """README's two lines as written, harbor a stub on PATH, and the PowerShell spelling without `--`:
    harbor gets its argv as given and the variables pointing at a bundle with the corporate root, and
    the override it is handed mounts the copy, which holds that root too. run itself says nothing."""
    write, run = readme_harbor_recipe()
    assert " run -- harbor run " in run, run
    (tmp_path / "bin").mkdir()
    harbor_stub(tmp_path / "bin")
    project = tmp_path / "project"
    project.mkdir()
    proc = in_store(
        f"""
cd {project}
echo "== write"; {write}
echo "== run"; {run}
echo "== run without --"; {run.replace(" run -- harbor ", " run harbor ")}
""",
        stores.corp,
        tmp_path,
        env={"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"},
    )
    assert proc.returncode == 0, proc
    out = sections(proc)
    assert out["write"] == "" and all(line.startswith("corptls env: ") for line in proc.stderr.splitlines()), proc
    corp = ssl.PEM_cert_to_DER_cert(pki.corp_root_pem.read_text())
    for spelling in ("run", "run without --"):
        got = json.loads(out[spelling])
        assert got["argv"] == ["run", "-a", "x", "--extra-docker-compose", "corp-ca.compose.yaml"], got
        assert got["env"].pop("CORPTLS_AUTOLOAD") == "1", got
        (bundle,) = set(got["env"].values())  # every variable names the one bundle file
        assert bundle.startswith(f"{tmp_path}/cache/corptls/bundle-") and corp in der_ders(Path(bundle)), got
    main = yaml.safe_load((project / "corp-ca.compose.yaml").read_text())["services"]["main"]
    assert main["volumes"] == [{**VOLUME, "source": str(project / "corptls-ca.pem")}], main
    assert corp in der_ders(project / "corptls-ca.pem")
