"""The bundle for containers: a compose override that mounts it, or a dotenv file of the variables.

A container sees neither the OS store nor corptls's cache directory. So a copy of the bundle is
written to a stable host path (its name never changes when the roots do: the override written
once stays valid, and writing the copy again refreshes it), bind-mounted read-only at TARGET, and
every CA variable of ``corptls env`` points there. Standard library only.
"""

from __future__ import annotations

import json
from typing import Dict, Sequence

from ._exports import PATH_VARIABLES

#: Where the bundle appears inside the container.
TARGET = "/etc/corptls/ca.pem"
#: The host copy's file name, beside the override unless ``--bundle`` says otherwise.
COPY_NAME = "corptls-ca.pem"
FORMATS = ("compose", "dotenv")


def variables() -> Dict[str, str]:
    """The path variables only: ``UV_SYSTEM_CERTS`` would send uv to the container's own store,
    which lacks the corporate root (uv reads ``SSL_CERT_FILE`` without it)."""
    return {name: TARGET for name, _ in PATH_VARIABLES}


def compose(source: str, services: Sequence[str]) -> str:
    """A compose override: each service gets ``source`` (an absolute host path, ``C:\\...`` on
    Windows, which Docker Desktop takes in the long syntax) mounted read-only at TARGET, and the
    variables. Every string is double-quoted (JSON's escapes are YAML's), and ``$`` is doubled:
    compose would interpolate it."""
    lines = [
        "# corptls env --shell compose: the OS roots and certifi's for these containers. Run it again",
        "# after IT changes the roots (the copy keeps its name; a running container keeps the old file).",
        "services:",
    ]
    for service in services:
        lines += [
            f"  {_string(service)}:",
            "    volumes:",
            "      - type: bind",
            f"        source: {_string(source)}",
            f"        target: {_string(TARGET)}",
            "        read_only: true",
            "    environment:",
        ]
        lines += [f"      {_string(name)}: {_string(value)}" for name, value in variables().items()]
    return "\n".join(lines) + "\n"


def dotenv() -> str:
    """``NAME=VALUE`` lines for ``docker run --env-file`` or a compose service's ``env_file:``: no
    quotes, as docker takes the value verbatim; the bundle must be mounted at TARGET. Not for
    harbor's ``--env-file``: harbor loads that file into its own process (override=True), where
    TARGET does not exist; harbor takes the compose override (``--extra-docker-compose``)."""
    header = f"# corptls env --shell dotenv: mount the bundle copy read-only at {TARGET}\n"
    return header + "".join(f"{name}={value}\n" for name, value in variables().items())


def _string(value: str) -> str:
    return json.dumps(value.replace("$", "$$"), ensure_ascii=False)
