"""The offline install of deploy/pi/install.sh: `--make-bundle DIR` and `--bundle DIR`, in
dry runs, and the bundle's MANIFEST as the script writes and checks it. The real thing (a
bundle made in one fresh Debian root and installed in another with no network) is
scripts/pi_trial.sh --offline, run by hand before a release."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "deploy" / "pi" / "install.sh"
DOC = ROOT / "docs" / "raspberry-pi.md"
SERVER = "https://loaxa.example.vn"
CODE = "ABCD-EFGH-JKMN"
PACKAGES = ["python3-venv", "vlc-bin", "vlc-plugin-base", "libvlc5", "libvlc-bin", "chrony"]

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg") is None or shutil.which("python3") is None,
    reason="a bundle is for a Debian system with python3 (dpkg's architecture, its Python)",
)


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        check=False,
        env={**os.environ, "LOAXA_INSTALL_SYSTEMD": "running"},
    )


def sourced(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A function of install.sh, run on its own."""
    return subprocess.run(
        ["bash", "-c", f'source "{INSTALL}" && {script}', "bash", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def this_system() -> dict[str, str]:
    architecture = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    python = subprocess.run(
        ["python3", "-c", 'import sys; print("%d.%d" % sys.version_info[:2])'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    codename = re.search(r"^VERSION_CODENAME=(.*)$", release, re.M)
    return {
        "architecture": architecture,
        "python": python,
        "codename": codename.group(1) if codename else "",
    }


def bundle(tmp_path: Path) -> Path:
    """A small bundle whose MANIFEST install.sh itself wrote (its files are stand-ins: a dry
    run installs nothing)."""
    where = tmp_path / "loaxa-bundle"
    (where / "debs").mkdir(parents=True)
    (where / "wheels").mkdir()
    (where / "debs" / "chrony_4.3-2+deb12u3_arm64.deb").write_bytes(b"deb " * 100)
    (where / "debs" / "libass9_1%3a0.17.1-1+deb12u1_arm64.deb").write_bytes(b"epoch")
    (where / "wheels" / "loaxa-0.1.0-py3-none-any.whl").write_bytes(b"the agent")
    (where / "wheels" / "httpx-0.29.0-py3-none-any.whl").write_bytes(b"a dependency")
    result = sourced('write_manifest "$1"', str(where))
    assert result.returncode == 0, result.stderr
    return where


def header(manifest: Path) -> dict[str, str]:
    return dict(re.findall(r"^# (\w+): (.*)$", manifest.read_text(), re.M))


def with_field(manifest: Path, field: str, value: str) -> None:
    text = re.sub(rf"^# {field}: .*$", f"# {field}: {value}", manifest.read_text(), flags=re.M)
    manifest.write_text(text)


# --make-bundle ---------------------------------------------------------------------------


def test_make_bundle_downloads_what_is_missing_and_builds_the_wheels(tmp_path: Path) -> None:
    target = tmp_path / "stick" / "loaxa-bundle"
    result = install("--make-bundle", str(target), "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not target.exists()  # a dry run changes nothing

    steps = re.findall(r"^==> \[(\d+)/(\d+)\] (.*)$", out, re.M)
    assert [(n, total) for n, total, _ in steps] == [("1", "3"), ("2", "3"), ("3", "3")]
    lines = out.splitlines()

    def line(pattern: str) -> int:
        found = [i for i, text in enumerate(lines) if re.search(pattern, text)]
        assert found, f"no line matches {pattern!r} in:\n{out}"
        return found[0]

    update = line(r"^\+ apt-get update$")
    download = line(
        rf"^\+ .*apt-get install -y --no-install-recommends --download-only "
        rf"-o Dir::Cache::archives={re.escape(str(target))}/debs "
    )
    assert set(PACKAGES) <= set(lines[download].split())
    venv = line(r"^\+ python3 -m venv --without-pip /tmp/loaxa-bundle\.\S+/venv$")
    wheel = line(
        rf"^\+ /tmp/loaxa-bundle\.\S+/venv/bin/python \S+\.whl/pip wheel "
        rf"--disable-pip-version-check --wheel-dir {re.escape(str(target))}/wheels {ROOT}$"
    )
    manifest = line(rf"^\+ write {re.escape(str(target))}/MANIFEST ")
    assert [update, download, venv, wheel, manifest] == sorted(
        [update, download, venv, wheel, manifest]
    )
    # Nothing is installed, nobody enrolled, no service touched.
    for install_only in ("useradd", "usermod", "--enroll", "systemctl", "/opt/loaxa"):
        assert install_only not in out


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--enroll", CODE], "leave out --enroll"),
        (["--bundle", "/tmp"], "one or the other"),
    ],
)
def test_make_bundle_refuses_what_it_cannot_do(
    tmp_path: Path, extra: list[str], named: str
) -> None:
    result = install("--make-bundle", str(tmp_path / "new"), *extra, "--dry-run")
    assert result.returncode != 0
    assert named in result.stderr
    assert "==>" not in result.stdout


def test_make_bundle_wants_a_new_or_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"photo")
    result = install("--make-bundle", str(tmp_path), "--dry-run")
    assert result.returncode != 0
    assert "not empty" in result.stderr
    assert "==>" not in result.stdout


# The MANIFEST --------------------------------------------------------------------------


def test_manifest_says_what_the_bundle_is_for_and_each_file_s_sha256(tmp_path: Path) -> None:
    where = bundle(tmp_path)
    manifest = where / "MANIFEST"
    fields = header(manifest)
    assert {k: fields[k] for k in ("architecture", "python", "codename")} == this_system()
    assert fields["loaxa"] == "0.1.0"
    files = {
        path: digest
        for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", manifest.read_text(), re.M)
    }
    assert set(files) == {
        "debs/chrony_4.3-2+deb12u3_arm64.deb",
        "debs/libass9_1%3a0.17.1-1+deb12u1_arm64.deb",
        "wheels/httpx-0.29.0-py3-none-any.whl",
        "wheels/loaxa-0.1.0-py3-none-any.whl",
    }
    for path, digest in files.items():
        assert hashlib.sha256((where / path).read_bytes()).hexdigest() == digest
    # What sha256sum itself checks, as on the Pi.
    check = subprocess.run(
        "grep -v '^#' MANIFEST | sha256sum --check --strict --quiet",
        shell=True,
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert sourced('check_bundle "$1" && echo "$BUNDLE"', str(where)).stdout.strip() == str(where)


# --bundle ----------------------------------------------------------------------------------


def test_bundle_install_takes_packages_and_wheels_from_the_bundle_alone(tmp_path: Path) -> None:
    where = bundle(tmp_path)
    result = install("--bundle", str(where), "--server", SERVER, "--enroll", CODE, "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    steps = re.findall(r"^==> \[(\d+)/(\d+)\] ", out, re.M)
    assert [int(n) for n, _ in steps] == list(range(1, 9))

    assert "apt-get update" not in out  # nothing to update from
    apt = [s for s in lines if re.match(r"^\+ .*apt-get ", s)]
    assert len(apt) == 1, apt
    words = apt[0].split()
    # No package lists: apt knows only the files and what is installed, so it cannot
    # take a package from a mirror.
    lists = next(w for w in words if w.startswith("Dir::State::Lists="))
    assert lists.startswith("Dir::State::Lists=/tmp/loaxa-apt-lists.")
    assert {"Dir::Cache::pkgcache=", "Dir::Cache::srcpkgcache="} <= set(words)
    debs = sorted(str(p) for p in (where / "debs").glob("*.deb"))
    assert [w for w in words if w.endswith(".deb")] == debs
    assert "install" in words and "-y" in words and "--no-install-recommends" in words

    pip = [s for s in lines if re.match(r"^\+ /opt/loaxa/\.venv/bin/pip install", s)]
    assert pip == [
        "+ /opt/loaxa/.venv/bin/pip install --disable-pip-version-check --no-index "
        f"--find-links {where}/wheels loaxa==0.1.0"
    ]
    # Enrolment still goes to the server: the bundle replaces the mirrors and PyPI only.
    assert any(f"--server {SERVER}" in s and "--enroll-only" in s for s in lines)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("architecture", "armhf", "made for architecture armhf"),
        ("python", "3.13", "made for python 3.13"),
        ("codename", "trixie", "made for codename trixie"),
    ],
)
def test_a_bundle_for_another_system_is_refused_before_anything_is_done(
    tmp_path: Path, field: str, value: str, named: str
) -> None:
    where = bundle(tmp_path)
    if this_system()[field] == value:
        value += "x"
        named += "x"
    with_field(where / "MANIFEST", field, value)
    result = install("--bundle", str(where), "--server", SERVER, "--enroll", CODE, "--dry-run")
    assert result.returncode == 2
    assert named in result.stderr
    assert f"this system has {this_system()[field]}" in result.stderr
    assert "--make-bundle" in result.stderr  # what to do instead
    assert "==>" not in result.stdout


def test_a_damaged_file_is_refused(tmp_path: Path) -> None:
    where = bundle(tmp_path)
    wheel = where / "wheels" / "loaxa-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"the agent, but one byte off")
    result = install("--bundle", str(where), "--server", SERVER, "--enroll", CODE, "--dry-run")
    assert result.returncode == 2
    assert "loaxa-0.1.0-py3-none-any.whl" in result.stdout + result.stderr
    assert "damaged" in result.stderr and "copy the bundle again" in result.stderr
    assert "==>" not in result.stdout


@pytest.mark.parametrize("change", ["extra", "missing"])
def test_files_other_than_the_listed_ones_are_refused(tmp_path: Path, change: str) -> None:
    where = bundle(tmp_path)
    if change == "extra":
        (where / "debs" / "evil_1.0_all.deb").write_bytes(b"slipped in")
        name = "evil_1.0_all.deb"
    else:
        (where / "debs" / "chrony_4.3-2+deb12u3_arm64.deb").unlink()
        name = "chrony_4.3-2+deb12u3_arm64.deb"
    result = install("--bundle", str(where), "--server", SERVER, "--enroll", CODE, "--dry-run")
    assert result.returncode == 2
    assert "not the ones MANIFEST lists" in result.stderr and name in result.stderr
    assert "==>" not in result.stdout


def test_a_directory_without_a_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    result = install("--bundle", str(tmp_path), "--server", SERVER, "--enroll", CODE, "--dry-run")
    assert result.returncode == 2
    assert "no MANIFEST" in result.stderr and "--make-bundle" in result.stderr


def test_help_and_page_tell_of_the_offline_install() -> None:
    help_text = install("--help").stdout
    assert "--bundle DIR" in help_text and "--make-bundle DIR" in help_text
    page = DOC.read_text()
    assert "--make-bundle" in page and "--bundle" in page
    assert "scripts/pi_trial.sh --offline" in page
