"""A throwaway PostgreSQL 15 cluster for the test session.

The server refuses to run as root, so when the tests run as root the cluster is
created and started as the ``postgres`` user (runuser), with its data folder,
socket folder and log file owned by that user. It listens on a Unix socket only.
"""

from __future__ import annotations

import os
import pwd
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin")


def _pg_bin(name: str) -> str:
    for folder in PG_BIN_CANDIDATES:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL tool {name} not found; install postgresql-15")
    return found


class PostgresCluster:
    """initdb + pg_ctl start in a temporary folder; stop() removes everything."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="mgz-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sock"
        self.logfile = self.base / "server.log"
        self.port = random.randint(20000, 60000)
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresCluster:
        """Create and start the cluster; wait until it accepts connections."""
        self.sockets.mkdir()
        self.logfile.touch()
        if self.as_root:
            entry = pwd.getpwnam("postgres")
            for path in (self.base, self.sockets, self.logfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.base.chmod(0o755)
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        )
        options = (
            f"-k {self.sockets} -p {self.port} -c listen_addresses='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        try:
            self._run(
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as exc:
            log = self.logfile.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
        return self

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL for ``dbname`` over the Unix socket."""
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.sockets}&port={self.port}"

    def create_database(self, dbname: str) -> str:
        """Create a database and return its URL."""
        self._run(
            _pg_bin("createdb"),
            "-h",
            str(self.sockets),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            dbname,
        )
        return self.url(dbname)

    def dump(self, dbname: str) -> str:
        """pg_dump of ``dbname`` as SQL text (for canary checks)."""
        return self._run(
            _pg_bin("pg_dump"),
            "-h",
            str(self.sockets),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            dbname,
        ).stdout

    def restart(self, mode: str = "fast") -> None:
        """Restart the server as an operator would (``pg_ctl restart -m fast``)."""
        # -l again: without it the new server would write to our pipe and never close it.
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-m",
            mode,
            "-w",
            "restart",
        )

    def start_replica(self) -> PostgresCluster:
        """A hot standby of this cluster (``pg_basebackup -R``), streaming, on its own port."""
        replica = PostgresCluster()
        replica.sockets.mkdir()
        replica.logfile.touch()
        if replica.as_root:
            entry = pwd.getpwnam("postgres")
            for path in (replica.base, replica.sockets, replica.logfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        replica.base.chmod(0o755)
        # -R writes standby.signal and primary_conninfo; -X stream copies the WAL too;
        # -c fast: an immediate checkpoint (the default spreads it over minutes).
        self._run(
            _pg_bin("pg_basebackup"), "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast",
            "-h", str(self.sockets), "-p", str(self.port), "-U", "postgres",
        )  # fmt: skip
        options = (
            f"-k {replica.sockets} -p {replica.port} -c listen_addresses='' "
            "-c hot_standby=on -c fsync=off -c max_connections=200"
        )
        self._run(
            _pg_bin("pg_ctl"), "-D", str(replica.data), "-o", options,
            "-l", str(replica.logfile), "-w", "-t", "60", "start",
        )  # fmt: skip
        return replica

    def stop_server(self) -> None:
        """Stop the server, keeping its folder (a replica that went down)."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
