"""Reading what scenarios report: their JSON line, and the reasons a verification fails with."""

from __future__ import annotations

import json
import subprocess
from typing import Any

#: OpenSSL's reason when no trusted root completes the chain (the corporate one, stock; a rogue one).
UNTRUSTED = "unable to get local issuer certificate"
#: OpenSSL's name for a failed verification, whatever the reason: in every client's error.
VERIFY_FAILED = "CERTIFICATE_VERIFY_FAILED"


def last_json(text: str) -> Any:
    """The last line of `text`, parsed: a scenario's report (libraries may print before it)."""
    lines = text.strip().splitlines()
    assert lines, "no output: the scenario printed no report"
    return json.loads(lines[-1])


def reported(proc: subprocess.CompletedProcess[str]) -> Any:
    """A scenario's report: it ran to its end (exit code 0) and printed its JSON line last."""
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return last_json(proc.stdout)


def assert_fails(outcome: str, *reasons: str) -> None:
    """`outcome` is a failure for one of `reasons`, whatever the client wrapped it in."""
    assert outcome != "ok" and any(reason in outcome for reason in reasons), outcome


def assert_verify_failed(outcome: str, reason: str) -> None:
    """`outcome` is a failed verification (VERIFY_FAILED), for `reason`."""
    assert VERIFY_FAILED in outcome and reason in outcome, outcome
