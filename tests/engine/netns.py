"""The private engine's network namespace, reached from the host.

`scripts/engine.sh` runs dockerd inside a network namespace of its own: its bridges, its
iptables chains and NAT rules, and the ports it publishes on 127.0.0.1 exist there and not on
the host. A client that fetches a published port, or reads the engine's iptables, therefore
runs inside that namespace: `nsenter --net=<path> CMD`, as the engine itself was started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# A minimal HTTP client run inside the namespace: the page on stdout, or the error on stderr
# and exit 1.
_FETCH = """
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as response:
        sys.stdout.write(response.read().decode("utf-8", "replace"))
except OSError as error:
    sys.stderr.write(f"{error}\\n")
    sys.exit(1)
"""


@dataclass(frozen=True)
class Fetched:
    """What a fetch from inside the namespace got."""

    page: str | None
    """The body, or None when nothing answered."""
    error: str
    """Why nothing answered (the client's error), empty when a page came."""


@dataclass(frozen=True)
class EngineNetns:
    """The network namespace one private engine lives in."""

    path: Path
    """The namespace's file, `/var/run/netns/<name>` (what `nsenter --net=` takes)."""

    @property
    def name(self) -> str:
        return self.path.name

    def run(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run `argv` inside the namespace (the host's mounts, the engine's network)."""
        return subprocess.run(
            ["nsenter", f"--net={self.path}", *argv],
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def output(self, *argv: str) -> str:
        """Stdout of `argv` run inside the namespace; fails with stderr when it fails."""
        result = self.run(*argv)
        assert result.returncode == 0, f"{' '.join(argv)} in {self.name}: {result.stderr.strip()}"
        return result.stdout

    def fetch(self, url: str, timeout: float = 2.0) -> Fetched:
        """GET `url` from inside the namespace, as a client on the engine's side of it."""
        client = (sys.executable, "-I", "-c", _FETCH, url, str(timeout))
        result = self.run(*client, timeout=timeout + 20)
        if result.returncode == 0:
            return Fetched(result.stdout, "")
        return Fetched(None, result.stderr.strip() or f"exit {result.returncode}")

    def inode(self) -> int:
        return os.stat(self.path).st_ino


def netns_inode_of(pid: int) -> int:
    """The inode of the network namespace process `pid` is in."""
    return os.stat(f"/proc/{pid}/ns/net").st_ino
