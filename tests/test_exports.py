"""Other tools: `corptls env`, `corptls bundle` and `inject(export_env=True)`, checked with real tools.

Every case runs in a subprocess with the scrubbed environment inside the store namespace, where
the corporate root is a loose file in the OS store only: node, curl and openssl do not trust it
on their own (the controls prove it), and succeed only through the variables or the file that
corptls hands them. The rogue server shows that nothing is trusted beyond the bundle.
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import stat
from pathlib import Path

from corptls._native import BUNDLE_MARK
from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import VERIFY_FAILED, reported
from tests.support.pki import PKI
from tests.support.shell import in_store, sections
from tests.support.store import SCENARIOS

#: What `corptls env` sets, in order: the bundle path for all but the last.
PATH_NAMES = [
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "CODEX_CA_CERTIFICATE",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "PIP_CERT",
    "HTTPLIB2_CA_CERTS",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
    "DENO_CERT",
]
ALL_NAMES = [*PATH_NAMES, "UV_SYSTEM_CERTS"]
NODE_UNTRUSTED = "error UNABLE_TO_GET_ISSUER_CERT_LOCALLY"  # corp chain (leaf + intermediate), root unknown
NODE_ROGUE = "error UNABLE_TO_VERIFY_LEAF_SIGNATURE"  # rogue leaf alone, its issuer unknown
CURL_UNTRUSTED = 60  # curl: "SSL certificate problem: unable to get local issuer certificate"
#: argv: URL. Node's GET with its default roots (plus NODE_EXTRA_CA_CERTS): "ok <status> <body>" or "error <code>".
NODE_GET = SCENARIOS / "node_get.js"


def pem_ders(text: str) -> list[bytes]:
    mark, _, body = text.partition("\n")
    assert mark == BUNDLE_MARK, "the bundle's first line marks it as corptls's"
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----\n.*?\n-----END CERTIFICATE-----\n", body, re.S)
    assert "".join(blocks) == body, "then only PEM certificates, LF line endings"
    return [ssl.PEM_cert_to_DER_cert(b) for b in blocks]


def der_of(pem_file: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_file.read_text())


# --- corptls env: bash + node, bash + curl --------------------------------------------------------


def test_env_in_bash_lets_node_trust_the_os_store(stores: Stores, direct: DirectServers, tmp_path: Path) -> None:
    good, rogue = direct.good.url("localhost"), direct.rogue.url("localhost")
    proc = in_store(
        f"""
echo "== control"; node {NODE_GET} {good}
eval "$("$PY" -m corptls env --shell bash)" || exit 3
echo "== path"; printf '%s\\n' "$NODE_EXTRA_CA_CERTS"
echo "== good"; node {NODE_GET} {good}
echo "== rogue"; node {NODE_GET} {rogue}
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    assert proc.returncode == 1, proc  # the last command, the rogue request, fails
    assert out["control"].strip() == NODE_UNTRUSTED, proc
    assert out["path"].strip().startswith(f"{tmp_path}/cache/corptls/bundle-"), out
    assert out["good"].strip() == 'ok 200 {"ok": true}', proc
    assert out["rogue"].strip() == NODE_ROGUE, proc


def test_env_without_the_root_in_the_os_store_node_still_fails(
    stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    """Control: the root node trusts came from the OS store, not from anything corptls made up."""
    proc = in_store(
        f"""
eval "$("$PY" -m corptls env --shell bash)" || exit 3
echo "== good"; node {NODE_GET} {direct.good.url("localhost")}
""",
        stores.plain,
        tmp_path,
    )
    assert sections(proc)["good"].strip() == NODE_UNTRUSTED, proc


def test_env_curl_ca_bundle_alone_lets_curl_trust_the_os_store(
    stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    good, rogue = direct.good.url("localhost"), direct.rogue.url("localhost")
    curl = "curl -sS -o /dev/null -w '%{http_code}\\n' --max-time 15"
    proc = in_store(
        f"""
echo "== control"; {curl} {good}; echo "rc=$?"
eval "$("$PY" -m corptls env --shell bash | grep '^export CURL_CA_BUNDLE=')" || exit 3
echo "== set"; env | grep -E '^({"|".join(ALL_NAMES)})=' | cut -d= -f1
echo "== good"; {curl} {good}; echo "rc=$?"
echo "== rogue"; {curl} {rogue}; echo "rc=$?"
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    assert out["control"].splitlines()[-1] == f"rc={CURL_UNTRUSTED}", proc
    assert out["set"].split() == ["CURL_CA_BUNDLE"], out  # only that one: it alone did it
    assert out["good"].split() == ["200", "rc=0"], proc
    assert out["rogue"].splitlines()[-1] == f"rc={CURL_UNTRUSTED}", proc


# --- corptls env: quoting and formats ---------------------------------------------------------------

AWKWARD_DIR = 'it\'s a "dir" $HOME `id` \\ ; & | * ~'


def test_env_bash_quoting_survives_a_real_bash(stores: Stores, direct: DirectServers, tmp_path: Path) -> None:
    cache_dir = tmp_path / AWKWARD_DIR
    proc = in_store(
        f"""
echo "== expected"; "$PY" -c 'import corptls; print(corptls.bundle_path())'
eval "$("$PY" -m corptls env --shell bash)" || exit 3
echo "== values"; for name in {" ".join(ALL_NAMES)}; do printf '%s=%s\\n' "$name" "${{!name}}"; done
echo "== good"; node {NODE_GET} {direct.good.url("localhost")}
""",
        stores.corp,
        tmp_path,
        env={"CORPTLS_CACHE_DIR": str(cache_dir)},
    )
    out = sections(proc)
    path = out["expected"].strip()
    assert path.startswith(f"{cache_dir}/bundle-") and path.endswith(".pem"), proc
    assert out["values"].splitlines() == [f"{n}={path}" for n in PATH_NAMES] + ["UV_SYSTEM_CERTS=true"], proc
    assert out["good"].strip() == 'ok 200 {"ok": true}', proc


def test_env_formats_for_each_shell(stores: Stores, tmp_path: Path) -> None:
    cache_dir = tmp_path / "it's a dir"
    proc = in_store(
        """
echo "== path"; "$PY" -c 'import corptls; print(corptls.bundle_path())'
for shell in bash zsh fish powershell cmd; do echo "== $shell"; "$PY" -m corptls env --shell $shell; done
echo "== detected-fish"; SHELL=/usr/bin/fish "$PY" -m corptls env
echo "== detected-zsh"; SHELL=/bin/zsh "$PY" -m corptls env
echo "== file"; "$PY" -m corptls env --shell powershell -o "$XDG_CACHE_HOME/ps.txt" && cat "$XDG_CACHE_HOME/ps.txt"
""",
        stores.corp,
        tmp_path,
        env={"CORPTLS_CACHE_DIR": str(cache_dir)},
    )
    assert proc.returncode == 0, proc
    out = sections(proc)
    path = out["path"].strip()
    name = Path(path).name
    assert path == f"{tmp_path}/it's a dir/{name}", proc

    def expect(template: str, quoted_path: str, true: str) -> list[str]:
        return [template.format(n=n, v=quoted_path) for n in PATH_NAMES] + [
            template.format(n="UV_SYSTEM_CERTS", v=true)
        ]

    bash = expect("export {n}={v}", f"'{tmp_path}/it'\\''s a dir/{name}'", "'true'")
    assert out["bash"].splitlines() == bash
    assert out["zsh"] == out["bash"] == out["detected-zsh"]
    assert out["fish"].splitlines() == expect("set -gx {n} {v}", f"'{tmp_path}/it\\'s a dir/{name}'", "'true'")
    assert out["fish"].splitlines()[0] == f"set -gx SSL_CERT_FILE '{tmp_path}/it\\'s a dir/{name}'"
    assert out["detected-fish"] == out["fish"]
    assert out["powershell"].splitlines() == expect("$env:{n} = {v}", f"'{tmp_path}/it''s a dir/{name}'", "'true'")
    assert out["cmd"].splitlines() == expect('set "{n}={v}"', path, "true")
    assert out["cmd"].splitlines()[-1] == 'set "UV_SYSTEM_CERTS=true"'
    assert out["file"] == out["powershell"]  # -o FILE: the same lines, written atomically


def test_quoting_of_backslashes_typographic_quotes_and_what_cmd_cannot_carry(
    scenario: Scenario, stores: Stores
) -> None:
    out = reported(scenario("shell_quoting", store=stores.corp))
    win = "C:\\Users\\O'Brien\\bundle.pem"
    assert out[f"bash {win}"] == "export V='C:\\Users\\O'\\''Brien\\bundle.pem'"
    assert out[f"fish {win}"] == "set -gx V 'C:\\\\Users\\\\O\\'Brien\\\\bundle.pem'"
    assert out[f"powershell {win}"] == "$env:V = 'C:\\Users\\O''Brien\\bundle.pem'"
    assert out[f"cmd {win}"] == 'set "V=C:\\Users\\O\'Brien\\bundle.pem"'
    assert out["powershell a\u2019b"] == "$env:V = 'a' + [char]0x2019 + 'b'"  # ASCII only (’ is a quote there too)
    assert out["bash a\u2019b"] == "export V='a\u2019b'"
    assert out["cmd 50%"].startswith("ValueError: V: cmd cannot safely set a value holding '%'"), out
    assert out['cmd x"y'].startswith("ValueError: V: cmd cannot safely set a value holding '\"'"), out
    assert out["powershell 50%"] == "$env:V = '50%'" and out['bash x"y'] == "export V='x\"y'"
    assert out["detect"] == ["fish", "bash", "bash", "cmd", "powershell", "fish"]  # Windows: MSYS2's fish sets SHELL


def test_env_with_the_bundle_in_memory_only_says_what_to_do(stores: Stores, tmp_path: Path) -> None:
    unsafe = tmp_path / "cache" / "corptls"
    unsafe.mkdir(parents=True)
    os.chmod(unsafe, 0o777)  # writable by others: corptls will not write the bundle there
    proc = in_store('"$PY" -m corptls env --shell bash', stores.corp, tmp_path)
    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    assert "in memory only" in proc.stderr and "CORPTLS_CACHE_DIR" in proc.stderr, proc.stderr
    assert "corptls bundle -o FILE" in proc.stderr, proc.stderr


# --- inject(export_env=True) ------------------------------------------------------------------------


def test_inject_export_env_reaches_node_and_extract_restores_the_env(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    # One variable set before (restored to its value), one set to "" (restored to "", not removed).
    proc = scenario(
        "export_env",
        direct.good.url("localhost"),
        direct.rogue.url("localhost"),
        *ALL_NAMES,
        store=stores.corp,
        env={"REQUESTS_CA_BUNDLE": "/preexisting/ca.pem", "UV_SYSTEM_CERTS": ""},
    )
    out = reported(proc)
    assert out["control"] == NODE_UNTRUSTED
    assert VERIFY_FAILED in out["python_control"], out
    assert out["inject_alone_keeps_env"] is True and out["inject_alone_node"] == NODE_UNTRUSTED
    assert out["exported"] == {**{n: out["path"] for n in PATH_NAMES}, "UV_SYSTEM_CERTS": "true"}
    assert out["good"] == 'ok 200 {"ok": true}'
    assert out["rogue"] == NODE_ROGUE
    assert out["python_good"] == "200"
    assert out["restored"] is True, out["changed"]
    assert out["kept"] == {"REQUESTS_CA_BUNDLE": "/preexisting/ca.pem", "UV_SYSTEM_CERTS": "", "PIP_CERT": "<absent>"}
    assert out["after"] == NODE_UNTRUSTED


def test_inject_export_env_with_the_bundle_in_memory_only_warns_and_sets_nothing(
    scenario: Scenario, stores: Stores, tmp_path: Path
) -> None:
    unsafe = tmp_path / "corptls"  # the scenario's XDG_CACHE_HOME is tmp_path
    unsafe.mkdir()
    os.chmod(unsafe, 0o777)
    out = reported(scenario("export_env_in_memory", store=stores.corp))
    assert out["same"] is True
    assert any("export_env" in w and "in memory only" in w for w in out["warnings"]), out


# --- corptls bundle ---------------------------------------------------------------------------------


def test_bundle_file_works_for_openssl_and_python_and_sources_select_roots(
    stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "all.pem").write_text("stale\r\n")
    os.chmod(out_dir / "all.pem", 0o600)
    chain, _ = pki.leaf_files("localhost", san=["localhost", "127.0.0.1"])
    rogue_chain, _ = pki.leaf_files("localhost", issuer="rogue", san=["localhost", "127.0.0.1"])
    leaf = tmp_path / "leaf.pem"  # `openssl verify` checks the first certificate of its file only
    leaf.write_text(chain.read_text().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n")
    verify = f"openssl verify -no-CApath -no-CAstore -untrusted {pki.corp_intermediate_pem}"
    proc = in_store(
        f"""
cd {out_dir}
umask 077
echo "== write"; "$PY" -m corptls bundle -o all.pem && "$PY" -m corptls bundle --sources os -o os.pem \
  && "$PY" -m corptls bundle --sources certifi -o certifi.pem && "$PY" -m corptls bundle --sources os,certifi,openssl,extra -o named.pem \
  && "$PY" -m corptls bundle --sources os > stdout-os.pem; echo "rc=$?"
echo "== python"; "$PY" -S {SCENARIOS / "load_bundle.py"} all.pem {direct.good.url("localhost")} {direct.rogue.url("localhost")}
echo "== verify-all"; {verify} -CAfile all.pem {leaf} 2>&1; echo "rc=$?"
echo "== verify-os"; {verify} -CAfile os.pem {leaf} 2>&1; echo "rc=$?"
echo "== verify-rogue"; {verify} -CAfile all.pem {rogue_chain} 2>&1; echo "rc=$?"
echo "== verify-certifi"; {verify} -CAfile certifi.pem {leaf} 2>&1; echo "rc=$?"
echo "== roots"; "$PY" -c 'import corptls; print(len(corptls.roots()))'
""",
        stores.corp,
        tmp_path,
    )
    out = sections(proc)
    assert out["write"].strip() == "rc=0", proc
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "all.pem",
        "certifi.pem",
        "named.pem",
        "os.pem",
        "stdout-os.pem",
    ]
    for name in ("all.pem", "certifi.pem", "os.pem", "named.pem"):  # atomically replaced, 0644 whatever the umask
        assert stat.S_IMODE((out_dir / name).stat().st_mode) == 0o644, name
    texts = {p.name: p.read_bytes().decode("ascii") for p in out_dir.iterdir()}
    ders = {name: pem_ders(text) for name, text in texts.items()}
    corp = der_of(pki.corp_root_pem)
    assert corp in ders["all.pem"] and corp in ders["os.pem"]
    assert corp not in ders["certifi.pem"]
    assert len(ders["all.pem"]) == int(out["roots"]) == len(set(ders["all.pem"]))
    assert texts["named.pem"] == texts["all.pem"] and texts["stdout-os.pem"] == texts["os.pem"]
    assert set(ders["certifi.pem"]) < set(ders["all.pem"]) and set(ders["os.pem"]) < set(ders["all.pem"])
    good, rogue = out["python"].splitlines()
    assert good == "200", proc
    assert rogue.startswith("SSLCertVerificationError ") and "unable to get local issuer certificate" in rogue, proc
    assert out["verify-all"].splitlines() == [f"{leaf}: OK", "rc=0"], proc
    assert out["verify-os"].splitlines() == [f"{leaf}: OK", "rc=0"], proc
    assert "unable to get local issuer certificate" in out["verify-rogue"] and out["verify-rogue"].endswith("rc=2\n"), (
        proc
    )
    assert "unable to get local issuer certificate" in out["verify-certifi"] and out["verify-certifi"].endswith(
        "rc=2\n"
    ), proc


def test_a_bundle_read_back_anywhere_is_never_a_source(
    scenario: Scenario, stores: Stores, pki: PKI, tmp_path: Path
) -> None:
    """A bundle written while the corporate root was in the OS store, then named by SSL_CERT_FILE,
    SSL_CERT_DIR and CORPTLS_EXTRA_CA_CERTS outside any cache directory: once the root has left
    the store, corptls trusts it no more (its own cache directory is another one, too)."""
    saved = tmp_path / "saved"
    saved.mkdir()
    wrote = in_store(
        f'"$PY" -m corptls bundle -o {saved}/corp-ca.pem && cp {saved}/corp-ca.pem {saved}/copy.crt',
        stores.corp,
        tmp_path,
    )
    assert wrote.returncode == 0, wrote
    corp = der_of(pki.corp_root_pem)
    assert corp in pem_ders((saved / "corp-ca.pem").read_text())
    env = {
        "SSL_CERT_FILE": str(saved / "corp-ca.pem"),
        "SSL_CERT_DIR": str(saved),
        "CORPTLS_EXTRA_CA_CERTS": str(saved / "copy.crt"),
        "CORPTLS_CACHE_DIR": str(tmp_path / "other-cache"),
    }
    out = reported(scenario("bundle_report", store=stores.plain, env=env))
    assert out["warnings"] == [], out["warnings"]
    roots = {r["sha256"]: r["sources"] for r in out["roots"]}
    assert hashlib.sha256(corp).hexdigest() not in roots
    assert not any({"SSL_CERT_FILE", "SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS"} & set(s) for s in roots.values())


def test_bundle_extra_source_and_bad_source_name(stores: Stores, pki: PKI, tmp_path: Path) -> None:
    proc = in_store(
        f"""
cd {tmp_path}
echo "== extra"; "$PY" -m corptls bundle --sources extra
echo "== os"; "$PY" -m corptls bundle --sources os | grep -c 'BEGIN CERTIFICATE'
echo "== bad"; "$PY" -m corptls bundle --sources os,bogus -o bad.pem 2>&1; echo "rc=$?"
echo "== none"; CORPTLS_EXTRA_CA_CERTS= "$PY" -m corptls bundle --sources extra -o none.pem 2>&1; echo "rc=$?"
""",
        stores.plain,
        tmp_path,
        env={"CORPTLS_EXTRA_CA_CERTS": str(pki.rogue_root_pem)},
    )
    out = sections(proc)
    assert pem_ders(out["extra"]) == [der_of(pki.rogue_root_pem)], proc
    assert int(out["os"]) > 50
    assert out["bad"].splitlines() == [
        "corptls bundle: unknown source 'bogus'; choose from os, certifi, openssl, extra",
        "rc=2",
    ], proc
    assert "no roots from the sources 'extra'; nothing written" in out["none"] and out["none"].endswith("rc=1\n"), proc
    assert not (tmp_path / "bad.pem").exists() and not (tmp_path / "none.pem").exists()
