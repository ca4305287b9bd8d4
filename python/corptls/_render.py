"""How ``corptls doctor`` prints its report for people (``--json`` prints the same report as is)."""

from __future__ import annotations

from typing import List

from ._report import EnvironmentReport, Interpreter, UrlReport


def _interpreter_line(status: Interpreter) -> str:
    """``corptls.status()`` of the interpreter running doctor, in one line."""
    how = "injected" + (" by autoload" if status["autoloaded"] else "") if status["injected"] else "not injected"
    failed = f"; failed: {status['reason']}" if status["state"] == "failed" else ""
    # Injected before any client asked for roots: the store is read on first use, nothing failed.
    pending = status["injected"] and status["state"] == "unset"
    return (
        f"this interpreter: corptls {how}; patches: {', '.join(status['patches']) or 'none'}; "
        f"bundle in use: {status['bundle'] or ('not collected yet' if pending else 'none')}{failed}"
    )


def environment_text(report: EnvironmentReport) -> List[str]:
    v = report["versions"]
    lines = [
        f"corptls {v['corptls']}, Python {v['python']}, {v['openssl']}, {v['platform']}",
        *[f"autoload: {line}" for line in report["autoload"]],
        _interpreter_line(report["interpreter"]),
        f"bundle: {report['bundle'] or 'in memory only'}",
        "roots per source:",
    ]
    for source, entry in report["sources"].items():
        lines.append(f"  {entry['roots']:4d}  {source}")
        lines.extend(f"        problem: {p}" for p in entry["problems"])
    lines.append("TLS settings:" if report["settings"] else "TLS settings: none set")
    lines.extend(f"  {name}={value}" for name, value in report["settings"].items())
    lines.extend(f"{f['severity']}: {f['setting']}: {f['reason']}. Fix: {f['fix']}" for f in report["findings"])
    return lines


def url_text(report: UrlReport) -> List[str]:
    lines = [f"{report['url']}" + (f" via proxy {report['proxy']}" if report["proxy"] else " (no proxy)")]
    if "error" in report:
        return lines + [f"error: {report['error']}"]
    for n, cert in enumerate(report["chain"]):
        lines += [
            f"  [{n}] {cert['subject']}",
            f"      issuer {cert['issuer']}",
            f"      valid {cert['not_before']} .. {cert['not_after']}  sha256 {cert['sha256']}",
        ]
    for name, verdict in report["verdicts"].items():
        lines.append(f"  trusted by {name:8s} {'yes' if verdict is None else 'NO: ' + verdict}")
    seen = report["interception"]
    if seen["detected"]:
        by = f" by {seen['product']}" if seen.get("product") else ""
        lines.append(f"TLS interception{by}: {seen['advice']}")
    lines.extend(f"warning: {s}" for s in report["strict"])
    return lines
