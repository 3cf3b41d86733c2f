"""A real PostgreSQL for the tests, started from the Debian binaries.

``initdb`` refuses to run as root, so when the tests run as root the cluster is created and
started as the ``postgres`` user (``runuser``) in a temporary directory, listening on loopback
only, with fsync off (a test cluster needs no durability). One cluster serves a whole test
session; each test gets a fresh database in it (``fresh_database``).

When no PostgreSQL can be started the PostgreSQL tests skip with the reason, except in CI
(``CI=true``), where they fail: a CI that silently skipped them would look green.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = (os.environ.get("SEBAYA_PG_BIN", ""), "/usr/lib/postgresql/15/bin",
            "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")


class Unavailable(Exception):
    """PostgreSQL could not be started here (the reason is the message)."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_bin() -> Path:
    for folder in BIN_DIRS:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable("no PostgreSQL binaries (apt-get install postgresql, or set SEBAYA_PG_BIN)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    """A running throwaway cluster; ``url(dbname)`` addresses a database in it."""

    bin: Path
    root: Path
    port: int
    user: str
    as_postgres: bool

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    @classmethod
    def start(cls) -> PgServer:
        bindir = find_bin()
        as_postgres = os.geteuid() == 0
        if as_postgres and shutil.which("runuser") is None:
            raise Unavailable("running as root without runuser: initdb refuses root")
        root = Path(tempfile.mkdtemp(prefix="sebaya-pg-"))
        os.chmod(root, 0o755)
        server = cls(bindir, root, _free_port(), "postgres" if as_postgres else
                     os.environ.get("USER", "postgres"), as_postgres)
        data = root / "data"
        if as_postgres:
            shutil.chown(root, "postgres")
        try:
            server._run(str(bindir / "initdb"), "-D", str(data), "-U", server.user,
                        "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync")
            with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
                conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\n"
                           f"unix_socket_directories = '{root}'\nfsync = off\n"
                           "synchronous_commit = off\nfull_page_writes = off\n"
                           "max_connections = 200\n")
            server._start_on_a_free_port()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            log = root / "log"
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable(f"PostgreSQL did not start: {detail.strip()}") from exc
        return server

    def _start_on_a_free_port(self) -> None:
        """Start; if another process (a parallel test worker) took the port between choosing
        and binding it, choose again (a later ``port`` line in postgresql.conf wins)."""
        for attempt in range(3):
            try:
                self._pg_ctl("start")
                return
            except subprocess.CalledProcessError:
                log = self.root / "log"
                taken = log.exists() and "already in use" in log.read_text(errors="replace")
                if not taken or attempt == 2:
                    raise
                self.port = _free_port()
                with open(self.root / "data" / "postgresql.conf", "a", encoding="utf-8") as conf:
                    conf.write(f"port = {self.port}\n")
                log.unlink()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        result = self._run(str(self.bin / "psql"), "-X", "-q", "-t", "-A", "-h", "127.0.0.1",
                           "-p", str(self.port), "-U", self.user, "-d", dbname, "-c", sql)
        return result.stdout.strip()

    def fresh_database(self) -> str:
        """A new empty database; returns its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[-1]
        with contextlib.suppress(subprocess.CalledProcessError):
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def _pg_ctl(self, action: str, mode: str = "fast", check: bool = True) -> None:
        data = str(self.root / "data")
        if action == "start":
            self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", str(self.root / "log"), "-w",
                      "start", check=check)
        else:
            self._run(str(self.bin / "pg_ctl"), "-D", data, "-m", mode, "-w", "stop",
                      check=check)

    def restart(self) -> None:
        """Stop (fast: connections are cut) and start again, as a database restart would."""
        self._pg_ctl("stop")
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop", mode="immediate", check=False)
        for _ in range(50):
            if not (self.root / "data" / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)
