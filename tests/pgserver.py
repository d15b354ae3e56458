"""A throwaway PostgreSQL server for the tests: Debian's binaries, a fresh cluster in a temporary folder.

`make test` installs the `postgresql` package (as it installs chromium); the tests start their own
server on a free loopback port with its socket in the same folder, so nothing depends on, or
touches, a cluster the machine may already run. As root, the server runs as the `postgres` user
(initdb refuses root). Each test gets a database of its own (`fresh_database`).
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from serving import free_port


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: Debian's /usr/lib/postgresql/N/bin (newest), else PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin: Path
    user: str
    options: str = ""  # the server's command line (pg_ctl -o), to start it again the same way

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def halt(self) -> None:
        """Stop the server at once, keeping its data: every connection drops, as in a crash."""
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"])

    def resume(self) -> None:
        """Start a halted server again, on the same port with the same data."""
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-o", self.options, "-l", str(self.root / "log"),
              "-w", "-t", "60", "start"])

    def stop(self) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run(argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=120)


def _user() -> str:
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def _own_folder(prefix: str) -> Path:
    """A new temporary folder the server's user owns."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


def _initdb(folder: Path, data: Path) -> None:
    _run([str(folder / "initdb"), "-D", str(data), "-U", _user(), "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])


def cluster_template(shared: Path) -> Path:
    """A new cluster's data folder (initdb's), made once in `shared` (a run's folder, which its xdist workers share) and
    kept there: each worker's cluster starts from a copy of it, not from an initdb of its own (~0.6 s of CPU each)."""
    folder = postgres_bin()
    if folder is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test does)")
    template = shared / "postgres-template"
    with open(shared / "postgres-template.lock", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker making it: wait, then copy it
        if not (template / "PG_VERSION").exists():
            made = _own_folder("faq-pg-template-")  # initdb runs as the server's user, who cannot enter pytest's folders
            try:
                _initdb(folder, made / "data")
                shutil.move(made / "data", template)
            finally:
                shutil.rmtree(made, ignore_errors=True)
    return template


def start_postgres(template: Path | None = None) -> PostgresServer:
    """initdb (or a copy of `template`, a `cluster_template`) + pg_ctl start on a free port; trust auth on loopback only
    (a throwaway test cluster)."""
    folder = postgres_bin()
    if folder is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (make test does)")
    root = _own_folder("faq-pg-")
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    server = PostgresServer(root, port, folder, _user(), options)
    if template is None:
        _initdb(folder, root / "data")
    else:  # as this process's user: the copy keeps the template's owner (the server's user) and modes
        subprocess.run(["cp", "-a", str(template), str(root / "data")], check=True, capture_output=True, timeout=120)
    server.resume()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not start; see {root / 'log'}")
