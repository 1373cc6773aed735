"""The broker's files: Mosquitto's configuration from the template in the repository
(deploy/server/mosquitto-loaxa.conf) and the dynamic security plugin's first
configuration, for `loaxa mqtt init` and for the tests' own brokers."""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass
from pathlib import Path

from stations.fleet.mqtt import security

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "server" / "mosquitto-loaxa.conf"
PLUGIN_GLOBS = (
    "/usr/lib/*/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
)


class BrokerSetupError(Exception):
    """The broker cannot be set up here (no plugin, a bad value)."""


def find_plugin() -> Path:
    for pattern in PLUGIN_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return Path(found[0])
    raise BrokerSetupError(
        "Mosquitto's dynamic security plugin is not installed (Debian: apt-get install mosquitto)"
    )


@dataclass(frozen=True, slots=True)
class BrokerFiles:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 1883
    # (certificate, key) for mqtts on this listener.
    tls: tuple[Path, Path] | None = None
    # The user Mosquitto runs as when started as root (the tests' brokers stay root, to
    # write in the test's own directory).
    user: str | None = None

    @property
    def config(self) -> Path:
        return self.data_dir / "mosquitto.conf"

    @property
    def security(self) -> Path:
        return self.data_dir / "dynamic-security.json"

    def write(
        self, *, admin_username: str, admin_password: str, plugin: Path | None = None
    ) -> None:
        """Write both files; the plugin's is written only if absent (it holds every
        station's client once the server has run)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tls = (
            f"certfile {self.tls[0]}\nkeyfile {self.tls[1]}\ntls_version tlsv1.3"
            if self.tls
            else ""
        )
        text = (
            TEMPLATE.read_text()
            .replace("@PLUGIN@", str(plugin or find_plugin()))
            .replace("@DATA_DIR@", str(self.data_dir))
            .replace("@PORT@", str(self.port))
            .replace("@HOST@", self.host)
            .replace("@TLS@", tls)
            .replace("@USER@", f"user {self.user}" if self.user else "")
        )
        self.config.write_text(text)
        if not self.security.exists():
            body = json.dumps(security.initial_config(admin_username, admin_password), indent=1)
            fd = os.open(self.security, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(body)
