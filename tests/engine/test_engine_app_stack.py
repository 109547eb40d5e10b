"""Proof 3: the app stack (web + app + db as services) realized on the engine.

app resolves db only through the internal back network and web cannot resolve it at all; the
database's named volume is shared with its backup sidecar and outlives the containers that
write it; the password file is in app and db with mode 0444 (compose's default) and the file's
exact text; app was started only after db's health check passed. Also the engine behaviour
behind two refusals of the components: a job the engine restarts never stays completed, and a
read-only root filesystem takes no uploaded secret.
"""

from __future__ import annotations

import ipaddress
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import docker
import pytest

from plan import Plan
from tests.conftest import PROJECT_DIR
from tests.engine.conftest import realized_stack
from tests.engine.images import Standin
from tests.engine.probes import container, secret, sh
from tests.engine.realize import EngineRefused, Realization

pytestmark = pytest.mark.engine

SECRET_FILE = PROJECT_DIR / "stacks" / "secrets" / "app-db-password.txt"
DEADLINE_S = 20.0


@dataclass
class App:
    """The realized stack and what the engine said about app and db right after the start."""

    plan: Plan
    realization: Realization
    db_state: dict[str, Any]
    app_state: dict[str, Any]


@pytest.fixture(scope="module")
def app(engine: docker.DockerClient, standins: dict[str, Standin]) -> Iterator[App]:
    for plan, realization in realized_stack(engine, "app"):
        # Read at once: the engine keeps only the last five health check results.
        db_state = realization.container("db").attrs["State"]
        app_state = realization.container("app").attrs["State"]
        yield App(plan, realization, db_state, app_state)


def _networks(box: Any) -> dict[str, Any]:
    return dict(box.attrs["NetworkSettings"]["Networks"])


def _until(check: Callable[[], tuple[bool, str]], what: str) -> str:
    """Poll `check` until it holds, for at most DEADLINE_S; its last word on failure."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        done, said = check()
        if done:
            return said
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not hold within {DEADLINE_S:g} s: {said}")
        time.sleep(0.5)


def _lookup(box: Any, name: str) -> list[str]:
    """The addresses the embedded DNS server gives `box` for `name` (polled until it answers)."""

    def ask() -> tuple[bool, str]:
        code, out = sh(box, f"nslookup {name}")
        return code == 0 and "Address:" in out.split("Name:", 1)[-1], out

    out = _until(ask, f"{box.name} resolving {name}")
    return re.findall(r"Address:\s*(\d+\.\d+\.\d+\.\d+)", out.split("Name:", 1)[1])


def _instant(text: str) -> float:
    """An engine timestamp (RFC 3339 with nanoseconds) as seconds since the epoch."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp() + float(f"0.{fraction}")


def test_app_resolves_db_only_through_the_back_network(app: App) -> None:
    r = app.realization
    back = ipaddress.ip_network(app.plan.exports["networks"]["back"]["subnet"])
    db_address = app.plan.exports["staticAddresses"]["back"]["db"]
    assert set(_networks(r.container("db"))) == {"back"}
    assert set(_networks(r.container("app"))) == {"front", "back"}
    assert _networks(r.container("db"))["back"]["IPAddress"] == db_address
    answers = _lookup(r.container("app"), "db")
    assert answers == [db_address]
    assert ipaddress.ip_address(answers[0]) in back
    code, out = sh(r.container("app"), f"ping -c 1 -W 2 {answers[0]}")
    assert code == 0, out


def test_web_cannot_resolve_db_but_reaches_app_by_name(app: App) -> None:
    r = app.realization
    web = r.container("web")
    assert set(_networks(web)) == {"front"}
    # The lookups work on web's network (app and its alias api answer)...
    app_front = _networks(r.container("app"))["front"]["IPAddress"]
    assert _lookup(web, "app") == [app_front]
    assert _lookup(web, "api") == [app_front]
    page = _until(lambda: _fetch(web, "http://app:8000/"), "web fetching http://app:8000/")
    assert "stand-in for python:3.12-alpine" in page
    # ...and db, on back only, is not a name there.
    code, out = sh(web, "ping -c 1 -W 1 db")
    assert (code, out) == (1, "ping: bad address 'db'")


def _fetch(box: Any, url: str) -> tuple[bool, str]:
    code, page = sh(box, f"timeout 3 wget -q -O- {url}")  # busybox's own -T crashes here
    return code == 0, page


def test_db_volume_is_shared_with_the_backup_sidecar_and_outlives_its_writers(
    app: App, realize: Callable[[], Realization]
) -> None:
    r = app.realization
    db, backup = r.container("db"), r.container("db-backup")
    token = uuid.uuid4().hex
    assert sh(db, f"echo {token} > /var/lib/postgresql/data/proof-{token}") == (0, "")
    assert sh(backup, f"cat /backup/data/proof-{token}") == (0, token)
    code, out = sh(backup, f"touch /backup/data/other-{token}")
    assert code != 0 and "Read-only file system" in out, out
    # A container of its own writes into the volume and is removed; db still reads it.
    later = uuid.uuid4().hex
    writer = container(
        "app_volume_writer",
        command=["sh", "-c", f"echo {later} > /v/later-{later}"],
        mounts=[{"target": "/v", "type": "volume", "source": "db-data"}],
        attach=True,
        mustRun=False,
        restart="no",
    )
    once = realize()
    once.apply([writer])
    assert once.container("app_volume_writer").attrs["State"]["ExitCode"] == 0
    once.teardown()
    assert r.client.containers.list(all=True, filters={"name": "app_volume_writer"}) == []
    assert sh(db, f"cat /var/lib/postgresql/data/later-{later}") == (0, later)
    assert sh(backup, f"cat /backup/data/later-{later}") == (0, later)
    assert r.volumes == ["db-data"]


def test_secret_file_is_in_app_and_db_with_mode_0444_and_the_files_text(app: App) -> None:
    text = SECRET_FILE.read_bytes()
    for name in ("app", "db"):
        box = app.realization.container(name)
        assert sh(box, "stat -c '%a %u %g' /run/secrets/db-password") == (0, "444 0 0"), name
        code, content = box.exec_run(["cat", "/run/secrets/db-password"])
        assert (code, content) == (0, text), name
        code, env = box.exec_run(["env"])
        assert text.strip() not in env, name
    code, _ = app.realization.container("web").exec_run(["test", "-e", "/run/secrets/db-password"])
    assert code == 1


def test_app_started_only_after_db_was_healthy(app: App) -> None:
    db_started = _instant(app.db_state["StartedAt"])
    app_started = _instant(app.app_state["StartedAt"])
    # The engine runs db's first check `interval` (2 s) after its start: app cannot have started
    # after db was healthy unless it started at least that much later.
    assert app_started - db_started >= 2.0, (db_started, app_started)
    passed = [
        _instant(check["End"]) for check in app.db_state["Health"]["Log"] if check["ExitCode"] == 0
    ]
    assert passed and min(passed) <= app_started, (app.db_state["Health"], app_started)
    assert app.realization.healthy_at["db"] <= app_started + 0.5


def test_backup_sidecar_reaches_db_on_loopback(app: App) -> None:
    (endpoint,) = app.plan.exports["loopbackEndpoints"]["db"]
    backup = app.realization.container("db-backup")
    page = _until(lambda: _fetch(backup, f"http://{endpoint}/"), f"db-backup fetching {endpoint}")
    assert "stand-in for postgres:16-alpine" in page


# -- the engine behaviour behind the components' refusals --------------------------------------


def test_a_job_the_engine_restarts_never_stays_completed(
    realize: Callable[[], Realization],
) -> None:
    """Why waiting for a service to complete needs restart "no" (or "on-failure")."""
    jobs = [
        container(f"app_job_{policy.replace('-', '_')}", command=["sh", "-c", "echo ran"],
                  attach=True, mustRun=False, restart=policy)
        for policy in ("unless-stopped", "no")
    ]  # fmt: skip
    r = realize()
    r.apply(jobs)

    def restarted() -> tuple[bool, str]:
        count = r.container("app_job_unless_stopped").attrs["RestartCount"]
        return count >= 2, f"RestartCount {count}"

    _until(restarted, "the unless-stopped job running again")
    done = r.container("app_job_no").attrs
    assert (done["RestartCount"], done["State"]["Status"], done["State"]["ExitCode"]) == (
        0,
        "exited",
        0,
    )


def test_a_read_only_root_filesystem_takes_no_uploaded_secret(
    realize: Callable[[], Realization],
) -> None:
    """Why a secret file on a read-only container is refused before anything is made."""
    locked = container(
        "app_read_only",
        readOnly=True,
        uploads=[{"file": "/run/secrets/pw", "content": secret("x"), "permissions": "0400"}],
    )
    with pytest.raises(EngineRefused) as caught:
        realize().apply([locked])
    assert (caught.value.step, caught.value.message) == (
        "upload /run/secrets/pw",
        "container rootfs is marked read-only",
    )
