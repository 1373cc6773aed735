"""A real nginx (Debian's) on a free loopback port, configured from the deployment's own
template (deploy/server/nginx-loaxa.conf) in front of real server processes."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from tests.e2e.processes import Process, free_port, wait_for

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "server" / "nginx-loaxa.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The request, what nginx sent, and what the upstream (Python) sent: 0 for a file nginx
# served from disk after the server's X-Accel-Redirect.
LOG_FORMAT = "$request_method $request_uri $status $body_bytes_sent $upstream_response_length"


class Nginx(Process):
    def __init__(self, tmp: Path, *, upstream_ports: list[int], content_dir: Path) -> None:
        self.port = free_port()
        self.access_log = tmp / "nginx-access.log"
        root = tmp / "nginx"
        (root / "temp").mkdir(parents=True, exist_ok=True)
        site = TEMPLATE.read_text()
        for name, value in {
            "@UPSTREAMS@": " ".join(f"server 127.0.0.1:{port};" for port in upstream_ports),
            "@LISTEN@": f"127.0.0.1:{self.port}",
            "@CONTENT_DIR@": str(content_dir.resolve()),
        }.items():
            site = site.replace(name, value)
        (root / "loaxa.conf").write_text(site)
        temp = root / "temp"
        # Run as root (CI), the workers would drop to nobody, who cannot read pytest's
        # private temporary folders: they stay root here. A deployment runs them as
        # www-data with read access to the content store.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {root}/nginx.pid;\n"
            f"error_log {tmp}/nginx-error.log;\nevents {{ worker_connections 512; }}\n"
            "http {\n"
            f"    log_format loaxa '{LOG_FORMAT}';\n"
            f"    access_log {self.access_log} loaxa;\n"
            + "".join(
                f"    {kind}_temp_path {temp}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"    include {root}/loaxa.conf;\n}}\n"
        )
        args = [
            NGINX,
            "-p",
            str(root),
            "-c",
            str(root / "nginx.conf"),
            "-e",
            str(tmp / "nginx-error.log"),
        ]
        super().__init__(args, dict(os.environ), tmp / "nginx.log", tmp)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        super().start()
        wait_for(self._listening, timeout=20, what="nginx listening", log=self.log)
        return self

    def _listening(self) -> bool:
        if not self.alive():
            raise AssertionError(f"nginx exited:\n{self.text()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def served(self, path: str) -> list[tuple[int, int, str]]:
        """(status, bytes sent, bytes from upstream) of each request for `path`."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            _, uri, status, sent, upstream = line.split(" ")
            if uri == path:
                rows.append((int(status), int(sent), upstream))
        return rows
