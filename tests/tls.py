"""A test's own certificate authority and a certificate it signed for 127.0.0.1, ECDSA
P-256 as docs/deployment.md advises, made by Debian's openssl."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_certificates(directory: Path, name: str = "loaxa-test") -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
    _openssl("req", "-x509", *curve, "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "2", "-subj", f"/CN={name} CA", cwd=directory)  # fmt: skip
    _openssl("req", *curve, "-nodes", "-keyout", "host.key", "-out", "host.csr",
             "-subj", "/CN=127.0.0.1", cwd=directory)  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("x509", "-req", "-in", "host.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "host.crt", "-days", "2", "-extfile", "san.ext",
             cwd=directory)  # fmt: skip
    for key in ("ca.key", "host.key"):
        (directory / key).chmod(0o644)  # Mosquitto reads the key as itself
    return Certificates(directory / "ca.crt", directory / "host.crt", directory / "host.key")
