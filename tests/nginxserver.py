"""nginx for the tests: Debian's binary running the shipped deploy/nginx.conf with the tests' own ports.

`make test` installs the `nginx` package (as it installs PostgreSQL); a test renders the shipped file,
replacing only the replica and listen addresses, and runs it in the foreground under a temporary
prefix (pid, logs and temp folders inside it), on loopback only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "nginx.conf"
REPLICAS = ("127.0.0.1:8001", "127.0.0.1:8002")  # the shipped file's replica addresses
LISTEN = "listen 127.0.0.1:8080;"


def nginx_bin() -> Path | None:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    return Path(found) if found else None


def render(replica_ports: tuple[int, int], port: int, conf: str | None = None) -> str:
    """The shipped configuration with the tests' ports; fails if the file no longer has the lines it replaces."""
    text = conf if conf is not None else SHIPPED.read_text(encoding="utf-8")
    for address, replica in zip(REPLICAS, replica_ports, strict=True):
        assert text.count(f"server {address} ") == 1, f"{SHIPPED} no longer names the replica {address}"
        text = text.replace(f"server {address} ", f"server 127.0.0.1:{replica} ")
    assert text.count(LISTEN) == 1, f"{SHIPPED} no longer has {LISTEN!r}"
    return text.replace(LISTEN, f"listen 127.0.0.1:{port};")


def prefix_folder(prefix: Path) -> Path:
    """The folders the shipped file's relative paths name, inside `prefix`."""
    for folder in ("logs", "temp"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    return prefix


def argv(binary: Path, prefix: Path, conf: Path, *more: str) -> list[str]:
    # as root, nginx's workers switch to an unprivileged user that cannot enter pytest's 0700 folders: keep ours
    user = " user root;" if os.geteuid() == 0 else ""
    return [str(binary), "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "logs" / "error.log"),
            "-g", f"daemon off;{user}", *more]


@dataclass
class NginxServer:
    process: subprocess.Popen
    port: int
    prefix: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_nginx(binary: Path, conf_text: str, prefix: Path, port: int) -> NginxServer:
    prefix_folder(prefix)
    conf = prefix / "nginx.conf"
    conf.write_text(conf_text, encoding="utf-8")
    process = subprocess.Popen(argv(binary, prefix, conf), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return NginxServer(process, port, prefix)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"nginx did not listen on {port}; see {prefix / 'logs' / 'error.log'}")
