"""Stand-in images built from Debian's static busybox, since no image can be pulled here.

Every image a stack names gets a local stand-in with the same tag, made by `docker import` of
a tiny root filesystem: `bin/busybox` plus a symlink per applet (what `busybox --install -s`
makes), a minimal `etc/passwd` and `etc/group`, `/www/index.html`, and `/standin`, a script
that serves `/www` with busybox's httpd on each port in `$STANDIN_PORTS` and then stays up.

- Shell images (busybox, alpine, debian, ubuntu) keep the real image's default, `sh`, which
  exits at once without a terminal, exactly like the real ones: a stack must give them a
  command that keeps running.
- Every other image (httpd, nginx, an API, a database) runs `/standin`: HTTP on the image's
  well-known port (80 for web servers and unknown images) and on every port the plan publishes
  for it. The page names the image it stands in for, so a test can tell who answered; the
  httpd stand-in serves the real httpd image's page, "It works!".
- A command the plan runs in such an image that busybox lacks (`python -m http.server 8000`,
  `tcpdump ...`) gets a shim of that name: it serves HTTP on the port numbers among its
  arguments (none: it just stays up).
- A stand-in made with `entrypoint=True` (any kind) runs `/standin` as its entrypoint, as
  images with an entrypoint do: a command the file gives becomes its arguments, which it
  ignores, so it serves and stays up whatever command a compose file sets (the compose parity
  proofs use these, since they run files as they are written).
- A health check program busybox lacks (`pg_isready` in `["CMD", "pg_isready", ...]`) gets a
  shim that passes only while the stand-in's own server answers on every port it serves: the
  container is healthy when the stand-in is, never by fiat. A `CMD-SHELL` check runs as
  written.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

BUSYBOX = Path(os.environ.get("CC_BUSYBOX", "/bin/busybox"))
IT_WORKS = "<html><body><h1>It works!</h1></body></html>\n"
STANDIN_LABEL = "container-comms.standin"

_SHELL_IMAGES = ("busybox", "alpine", "debian", "ubuntu")
_WEB_IMAGES = ("httpd", "nginx", "caddy", "apache", "traefik", "haproxy")
_WELL_KNOWN_PORTS = {
    "httpd": 80, "nginx": 80, "caddy": 80, "apache": 80, "traefik": 80, "haproxy": 80,
    "postgres": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379, "mongo": 27017,
    "memcached": 11211, "rabbitmq": 5672, "elasticsearch": 9200, "grafana": 3000,
    "prometheus": 9090,
}  # fmt: skip

_STANDIN_SCRIPT = """#!/bin/sh
# Stand-in server: serve /www on every port in $STANDIN_PORTS, then stay up.
for port in $STANDIN_PORTS; do
  httpd -p "$port" -h /www || echo "standin: port $port not served" >&2
done
exec sleep 2147483647
"""

_COMMAND_SHIM = """#!/bin/sh
# Stand-in for a program busybox lacks: serve /www on the port numbers among the arguments.
ports=""
for arg in "$@"; do
  case "$arg" in
    "" | *[!0-9]*) ;;
    *) if [ "$arg" -ge 1 ] && [ "$arg" -le 65535 ]; then ports="$ports $arg"; fi ;;
  esac
done
STANDIN_PORTS="$ports" exec /standin
"""


_HEALTH_SHIM = """#!/bin/sh
# Stand-in for a health check program busybox lacks: healthy while /standin answers.
[ -n "$STANDIN_PORTS" ] || exit 1
for port in $STANDIN_PORTS; do
  timeout 2 wget -q -O /dev/null "http://127.0.0.1:$port/" || exit 1
done
exit 0
"""


class StandinError(Exception):
    """The stand-ins cannot be built on this machine; the message says why."""


@dataclass(frozen=True)
class Standin:
    """One stand-in image: the tag it answers to and how it behaves."""

    tag: str
    """The image name the stacks use, e.g. `httpd:2.4`."""
    kind: str
    """`shell` (default `sh`), `web` or `service` (both run `/standin`)."""
    ports: tuple[int, ...]
    """The ports `/standin` serves (empty for shell images)."""
    commands: tuple[str, ...] = ()
    """Programs the plan runs that busybox lacks; each gets a shim (never for shell images)."""
    entrypoint: bool = False
    """`/standin` is the entrypoint (a command becomes ignored arguments), not the command."""
    health: tuple[str, ...] = ()
    """Health check programs busybox lacks; each gets a health shim (never for shell images)."""


def repository_of(image: str) -> str:
    """`docker.io/library/httpd:2.4@sha256:..` -> `httpd`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def kind_of(image: str) -> str:
    repo = repository_of(image)
    if repo in _SHELL_IMAGES:
        return "shell"
    if any(word in repo for word in _WEB_IMAGES):
        return "web"
    return "service"


def plan_standins(
    images: Iterable[str],
    ports: Mapping[str, Iterable[int]],
    commands: Mapping[str, Iterable[str]] | None = None,
    health: Mapping[str, Iterable[str]] | None = None,
) -> list[Standin]:
    """The stand-in for each image name, serving its well-known port and `ports[image]`.

    `commands[image]` are the programs (argv[0]) the plan runs in it and `health[image]` the
    programs of its `CMD` health checks; those busybox lacks get shims in every image but the
    shell ones.
    """
    applets = {os.path.basename(a) for a in _applets(BUSYBOX)} if BUSYBOX.is_file() else set()
    result: list[Standin] = []
    for image in sorted(set(images)):
        kind = kind_of(image)
        served: set[int] = set()
        shims: set[str] = set()
        checks: set[str] = set()
        if kind != "shell":
            shims = {
                c for c in (commands or {}).get(image, ()) if os.path.basename(c) not in applets
            }
            checks = {
                c
                for c in (health or {}).get(image, ())
                if os.path.basename(c) not in applets and c not in shims
            }
            repo = repository_of(image)
            served |= {p for word, p in _WELL_KNOWN_PORTS.items() if word in repo}
            served |= set(ports.get(image, ()))
            if not served:
                served.add(80)
        result.append(
            Standin(
                tag=image,
                kind=kind,
                ports=tuple(sorted(served)),
                commands=tuple(sorted(shims)),
                health=tuple(sorted(checks)),
            )
        )
    return result


def check_static_busybox(path: Path = BUSYBOX) -> None:
    """Raise `StandinError` unless `path` is a statically linked busybox."""
    if not path.is_file():
        raise StandinError(
            f"{path} not found: install Debian's busybox-static "
            "(apt-get install -y --no-install-recommends busybox-static)"
        )
    if _has_interpreter(path.read_bytes()):
        raise StandinError(
            f"{path} is dynamically linked; the stand-in images need busybox-static "
            "(apt-get install -y --no-install-recommends busybox-static)"
        )


def _has_interpreter(elf: bytes) -> bool:
    """True when the ELF file asks for a dynamic loader (a PT_INTERP program header)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:  # 64-bit only
        raise StandinError("busybox is not a 64-bit ELF executable")
    endian = "<" if elf[5] == 1 else ">"
    phoff = struct.unpack_from(endian + "Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from(endian + "HH", elf, 0x36)
    for index in range(phnum):
        (p_type,) = struct.unpack_from(endian + "I", elf, phoff + index * phentsize)
        if p_type == 3:  # PT_INTERP
            return True
    return False


def _applets(path: Path) -> list[str]:
    listing = subprocess.run(
        [str(path), "--list-full"], check=True, capture_output=True, text=True
    ).stdout
    return [line.strip() for line in listing.splitlines() if line.strip()]


def rootfs_tar(
    page: str,
    applets: list[str],
    shims: Iterable[str] = (),
    busybox: Path = BUSYBOX,
    health: Iterable[str] = (),
) -> bytes:
    """A root filesystem as a tar: busybox, its applet links, etc files, /www, /standin, shims
    of commands and of health check programs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(info)

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))

        dirs = {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "www", "root", "proc",
                "sys", "dev", "var", "var/run"}  # fmt: skip
        for name in sorted(dirs):
            add_dir(name)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", busybox.read_bytes(), 0o755)
        for applet in applets:
            if applet == "bin/busybox":
                continue
            parent = os.path.dirname(applet)
            if parent and parent not in dirs:
                add_dir(parent)
                dirs.add(parent)
            link = tarfile.TarInfo(applet)
            link.type = tarfile.SYMTYPE
            link.linkname = "/bin/busybox"
            tar.addfile(link)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/sbin/nologin\n"
        add_file("etc/passwd", passwd)
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
        add_file("www/index.html", page.encode())
        add_file("standin", _STANDIN_SCRIPT.encode(), 0o755)
        programs = [(shim, _COMMAND_SHIM) for shim in shims]
        programs += [(check, _HEALTH_SHIM) for check in health]
        for program, script in programs:
            path = program.lstrip("/") if "/" in program else f"usr/local/bin/{program}"
            for parent in _parents(path):
                if parent not in dirs:
                    add_dir(parent)
                    dirs.add(parent)
            add_file(path, script.encode(), 0o755)
    return buffer.getvalue()


def build_standins(client: docker.DockerClient, standins: Iterable[Standin]) -> dict[str, str]:
    """Import each stand-in under its tag; returns tag -> image id. Existing tags are replaced."""
    check_static_busybox()
    applets = _applets(BUSYBOX)
    built: dict[str, str] = {}
    for standin in standins:
        page = (
            IT_WORKS
            if repository_of(standin.tag) == "httpd"
            else (f"<html><body><p>stand-in for {standin.tag}</p></body></html>\n")
        )
        repository, tag = _split_tag(standin.tag)
        changes = [f"LABEL {STANDIN_LABEL}={standin.kind}"]
        if standin.entrypoint:
            changes.append(f'ENV STANDIN_PORTS="{" ".join(str(p) for p in standin.ports)}"')
            changes.append('ENTRYPOINT ["/standin"]')
        elif standin.kind == "shell":
            changes.append('CMD ["sh"]')
        else:
            changes.append(f'ENV STANDIN_PORTS="{" ".join(str(p) for p in standin.ports)}"')
            changes.append('CMD ["/standin"]')
        result: Any = client.api.import_image_from_data(
            rootfs_tar(page, applets, standin.commands, health=standin.health),
            repository=repository,
            tag=tag,
            changes=changes,
        )
        built[standin.tag] = client.images.get(standin.tag).id
        del result
    return built


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _split_tag(image: str) -> tuple[str, str]:
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1 :]
    return name, "latest"
