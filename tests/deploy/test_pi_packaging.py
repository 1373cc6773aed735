"""The Raspberry Pi packaging: the systemd unit, deploy/pi/install.sh and its page."""

from __future__ import annotations

import configparser
import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.deploy.systemd import verify_complaints

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "pi" / "loaxa-agent.service"
INSTALL = ROOT / "deploy" / "pi" / "install.sh"
TRIAL = ROOT / "scripts" / "pi_trial.sh"
DOC = ROOT / "docs" / "raspberry-pi.md"
LOAXA = Path(sys.executable).with_name("loaxa")  # .venv/bin/loaxa

SERVER = "https://loaxa.example.vn"
CODE = "ABCD-EFGH-JKMN"
STATE_DIR = Path("/var/lib/loaxa-agent")
TOKEN_FILE = STATE_DIR / "station.json"
ENV_FILE = Path("/etc/loaxa/agent.env")
# What a real install writes; a dry run must leave each as it was.
INSTALLED = [
    Path("/opt/loaxa"),
    Path("/etc/loaxa"),
    Path("/etc/systemd/system/loaxa-agent.service"),
    Path("/etc/chrony/conf.d/loaxa.conf"),
    STATE_DIR,
]
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
FALSE = {"", "no", "false", "0", "off"}


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case
    parser.read_string(UNIT.read_text())
    return parser


def exec_start() -> list[str]:
    return shlex.split(unit()["Service"]["ExecStart"])


def install(*args: str, systemd: str = "running") -> subprocess.CompletedProcess[str]:
    """The script, told whether systemd runs (this machine may have none)."""
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd="/",
        check=False,
        env={**os.environ, "LOAXA_INSTALL_SYSTEMD": systemd},
    )


@cache
def dry_run(systemd: str = "running") -> subprocess.CompletedProcess[str]:
    return install("--server", SERVER + "/", "--enroll", CODE, "--dry-run", systemd=systemd)


@cache
def agent_options() -> frozenset[str]:
    """Every option `loaxa agent --help` lists."""
    assert LOAXA.exists(), f"{LOAXA} is missing: install Loaxa into the virtual environment"
    result = subprocess.run(
        [str(LOAXA), "agent", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
    )
    options = frozenset(OPTION.findall(result.stdout))
    assert {"--server", "--data-dir", "--enroll", "--enroll-only", "--help"} <= options, options
    return options


def options_after_agent(command: list[str]) -> set[str]:
    words = command[command.index("agent") + 1 :]
    return {w.partition("=")[0] for w in words if w.startswith("-")}


# install.sh ----------------------------------------------------------------------------


def test_install_script_is_valid_bash() -> None:
    result = subprocess.run(["bash", "-n", str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert INSTALL.stat().st_mode & 0o111, "install.sh is not executable"
    assert "set -euo pipefail" in INSTALL.read_text()


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", [INSTALL, TRIAL], ids=["install.sh", "pi_trial.sh"])
def test_install_script_and_its_trial_pass_shellcheck(script: Path) -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_trial_says_how_to_run_it_and_refuses_a_wrong_architecture() -> None:
    """scripts/pi_trial.sh itself runs by hand before a release (minutes, root, network):
    here only that it starts."""
    assert TRIAL.stat().st_mode & 0o111, "pi_trial.sh is not executable"
    shown = subprocess.run(["bash", str(TRIAL), "--help"], capture_output=True, text=True)
    assert shown.returncode == 0
    assert "--arch" in shown.stdout and "--offline" in shown.stdout
    wrong = subprocess.run(
        ["bash", str(TRIAL), "--arch", "armel"], capture_output=True, text=True, timeout=30
    )
    assert wrong.returncode == 2 and "amd64 or arm64" in wrong.stderr


def test_dry_run_prints_every_step_in_order_and_changes_nothing() -> None:
    before = {path: path.exists() for path in INSTALLED}
    result = dry_run()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert {path: path.exists() for path in INSTALLED} == before

    steps = re.findall(r"^==> \[(\d+)/(\d+)\] ", out, re.M)
    assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
    assert len(steps) >= 7 and all(int(total) == len(steps) for _, total in steps)

    def line(pattern: str) -> int:
        found = [i for i, text in enumerate(out.splitlines()) if re.search(pattern, text)]
        assert found, f"no line matches {pattern!r} in:\n{out}"
        return found[0]

    apt = line(r"^\+ .*apt-get update$")
    apt_install = line(r"^\+ .*apt-get install -y")
    installed = out.splitlines()[apt_install].split()
    for package in (
        "python3-venv",
        "vlc-bin",
        "vlc-plugin-base",
        "libvlc5",
        "libvlc-bin",
        "chrony",
    ):
        assert package in installed
    for server_only in ("ffmpeg", "espeak-ng", "sox", "postgresql"):
        assert server_only not in out

    account_exists = _user_exists("loaxa")
    if account_exists:
        user = line(r"^\+ usermod --append --groups audio loaxa$")
    else:
        user = line(r"^\+ useradd --system .*--groups audio .*loaxa$")
        command = out.splitlines()[user]
        assert "--shell /usr/sbin/nologin" in command
        assert "--home-dir /var/lib/loaxa-agent" in command

    line(r"^\+ .*python3 -m venv .*/opt/loaxa/\.venv$")
    pip = line(r"^\+ /opt/loaxa/\.venv/bin/pip install( --?\S+)* /opt/loaxa$")
    assert "[server]" not in out and "[dev]" not in out

    env = line(r"^\+ write /etc/loaxa/agent\.env \(mode 0640, root:loaxa\)")
    assert re.search(rf"^\s+LOAXA_SERVER={re.escape(SERVER)}$", out, re.M), "trailing / kept"

    chrony = line(r"^\+ write /etc/chrony/conf\.d/loaxa\.conf")
    assert re.search(r"^\s+makestep 1 -1$", out, re.M)
    chrony_restart = line(r"^\+ systemctl restart chrony")

    enroll = line(
        rf"^\+ runuser -u loaxa -- /opt/loaxa/\.venv/bin/loaxa agent --server {SERVER} "
        rf"--data-dir /var/lib/loaxa-agent --enroll {CODE} --enroll-only$"
        if not TOKEN_FILE.exists()
        else r"already enrolled as station"
    )
    unit_copy = line(r"^\+ install .*\.service /etc/systemd/system/loaxa-agent\.service$")
    reload = line(r"^\+ systemctl daemon-reload$")
    start = line(r"^\+ systemctl (enable --now|restart) loaxa-agent\.service$")
    logs = line(r"journalctl -u loaxa-agent -f")
    line(r"systemctl status loaxa-agent")

    order = [apt, apt_install, user, pip, env, chrony, chrony_restart, enroll, unit_copy]
    assert order == sorted(order), "steps out of order"
    assert [unit_copy, reload, start, logs] == sorted([unit_copy, reload, start, logs])


def test_without_a_running_systemd_it_still_enrols_and_enables_for_the_first_boot() -> None:
    """In a chroot (how SD-card images are built) nothing can be started or reloaded: the
    script enrols, installs and enables the unit, and says what starts at the first boot."""
    result = dry_run("absent")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    lines = out.splitlines()
    commands = [text for text in lines if text.startswith("+ systemctl")]
    assert not [c for c in commands if "restart" in c or "daemon-reload" in c or "--now" in c]
    enabled = [i for i, text in enumerate(lines) if text.startswith("+ systemctl enable ")]
    assert [lines[i].split()[-1] for i in enabled] == ["chrony.service", "loaxa-agent.service"]
    enrolled = next(i for i, text in enumerate(lines) if "--enroll-only" in text)
    assert enabled[0] < enrolled < enabled[1]
    assert "chrony starts at the first boot" in out
    assert "loaxa-agent.service is enabled and starts at the first boot" in out
    assert re.search(r"^The agent starts as the service .* at the first boot", out, re.M)
    # A chroot's kernel host name is the build machine's: the device is named by its own.
    command = shlex.split(lines[enrolled][2:])
    assert command[command.index("--hardware-id") + 1] == _own_hardware_id(Path("/etc"))
    running = [s for s in dry_run("running").stdout.splitlines() if "--enroll-only" in s]
    assert all("--hardware-id" not in s for s in running), "the agent names itself there"


@pytest.mark.parametrize(
    ("hostname", "machine_id", "expected"),
    [
        ("thon-dong\n", "5e15978b72d440d784a7df10c40cd0fe\n", "thon-dong/5e15978b72d4"),
        ("thon-dong\n", "uninitialized\n", "thon-dong"),  # an image before its first boot
        ("thon-dong\n", "", "thon-dong"),
        (None, None, "raspberrypi"),
    ],
)
def test_an_image_names_its_device_by_its_own_files(
    tmp_path: Path, hostname: str | None, machine_id: str | None, expected: str
) -> None:
    for name, text in (("hostname", hostname), ("machine-id", machine_id)):
        if text is not None:
            (tmp_path / name).write_text(text)
    assert _own_hardware_id(tmp_path) == expected


def test_an_armv6_board_is_refused_at_once_saying_which_boards_work(tmp_path: Path) -> None:
    fake = tmp_path / "uname"
    fake.write_text("#!/bin/sh\necho armv6l\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(INSTALL), "--server", SERVER, "--enroll", CODE, "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
    )
    assert result.returncode == 2
    assert "ARMv6" in result.stderr and "Pi Zero 2 W" in result.stderr
    assert "apt-get" not in result.stdout  # nothing was begun


def test_dry_run_writes_vlc_plugin_cache_where_it_is_missing() -> None:
    """VLC without its plugin cache loads every plugin (about 40 MB more in the agent): the
    install writes the cache when no package trigger did. What this machine has decides
    which is expected."""
    lines = dry_run().stdout.splitlines()
    for plugins in [*Path("/usr/lib").glob("*/vlc/plugins"), Path("/usr/lib/vlc/plugins")]:
        if plugins.is_dir():
            command = f"+ {plugins.parent / 'vlc-cache-gen'} {plugins}"
            assert (command in lines) == (not (plugins / "plugins.dat").exists()), lines


@pytest.mark.skipif(TOKEN_FILE.exists(), reason="this machine is enrolled: not a first install")
def test_first_install_without_enroll_fails_naming_it() -> None:
    result = install("--server", SERVER, "--dry-run")
    assert result.returncode != 0
    assert "--enroll" in result.stderr
    assert "enrollment-code" in result.stderr  # where the code comes from
    assert "==>" not in result.stdout  # nothing was started


@pytest.mark.skipif(ENV_FILE.exists(), reason="a saved server address stands in for --server")
def test_install_without_server_fails_naming_it() -> None:
    result = install("--enroll", CODE, "--dry-run")
    assert result.returncode != 0
    assert "--server" in result.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--server"], "--server needs a value"),
        (["--server", "ftp://loaxa.example.vn", "--enroll", CODE], "https://"),
        (["--server", "loaxa.example.vn", "--enroll", CODE], "https://"),
        (["--server", SERVER, "--enroll", "AB CD"], "--enroll"),
        (["--server", SERVER, "--enroll", CODE, "--colour"], "--colour"),
        (["--server", SERVER, "--enroll", CODE, "--source", "/nonexistent"], "/nonexistent"),
        (["--server", SERVER, "--enroll", CODE, "--source", "/tmp"], "not the Loaxa source"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(args: list[str], named: str) -> None:
    result = install(*args, "--dry-run")
    assert result.returncode != 0
    assert named in result.stderr
    assert "==>" not in result.stdout


def test_help_exits_zero() -> None:
    result = install("--help")
    assert result.returncode == 0
    assert "--server" in result.stdout and "--enroll" in result.stdout


def test_debian_makestep_no_longer_overrides_ours(tmp_path: Path) -> None:
    # Debian's chrony.conf includes conf.d at the top and says `makestep 1 3` further down;
    # chrony keeps the last makestep it reads, so that line must go.
    conf = tmp_path / "chrony.conf"
    conf.write_text(
        "confdir /etc/chrony/conf.d\n"
        "pool 2.debian.pool.ntp.org iburst\n"
        "# one second, but only in the first three clock updates.\n"
        "makestep 1 3\n"
        "  makestep 0.5 1\n"
        "leapsectz right/UTC\n"
    )

    def disable() -> str:
        script = f'source "{INSTALL}" && disable_main_makestep "$1"'
        subprocess.run(["bash", "-c", script, "bash", str(conf)], check=True, timeout=10)
        return conf.read_text()

    first = disable()
    live = [s.split() for s in first.splitlines() if s.strip() and not s.lstrip().startswith("#")]
    assert [words for words in live if words[0] == "makestep"] == []
    assert ["pool", "2.debian.pool.ntp.org", "iburst"] in live
    assert ["leapsectz", "right/UTC"] in live
    assert "#makestep 1 3" in first
    assert disable() == first  # a second run changes nothing


def test_files_are_written_whole_with_their_mode(tmp_path: Path) -> None:
    target = tmp_path / "agent.env"
    target.write_text("LOAXA_SERVER=https://old.example.vn\n")
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    script = f'source "{INSTALL}" && write_file "$1" 0640 "$2" "$3"'
    subprocess.run(
        ["bash", "-c", script, "bash", str(target), user, group],
        input=f"LOAXA_SERVER={SERVER}\nLOAXA_AGENT_OPTS=",
        text=True,
        check=True,
        timeout=10,
    )
    assert target.read_text() == f"LOAXA_SERVER={SERVER}\nLOAXA_AGENT_OPTS=\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["agent.env"]  # no temporary file left


# the systemd unit ----------------------------------------------------------------------


def test_unit_runs_the_agent_as_loaxa_and_always_restarts() -> None:
    service = unit()["Service"]
    assert service["User"] == "loaxa"
    assert service["Group"] == "loaxa"
    assert "audio" in service["SupplementaryGroups"].split()
    assert service["Restart"] == "always"
    assert service["RestartSec"] == "5"
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"] == "15"
    assert service["EnvironmentFile"] == "/etc/loaxa/agent.env"
    assert service["StateDirectory"] == "loaxa-agent"
    assert service["StateDirectoryMode"] == "0700"

    command = exec_start()
    assert command[:2] == ["/opt/loaxa/.venv/bin/loaxa", "agent"]
    assert command[command.index("--server") + 1] == "${LOAXA_SERVER}"
    assert command[command.index("--data-dir") + 1] == "/var/lib/loaxa-agent"
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


def test_unit_waits_for_network_and_time_but_starts_without_them() -> None:
    section = unit()["Unit"]
    after = section.get("After", "").split()
    assert {"network-online.target", "time-sync.target"} <= set(after)
    assert "network-online.target" in section.get("Wants", "").split()
    for hard in ("Requires", "Requisite", "BindsTo", "PartOf"):
        assert not {"network-online.target", "time-sync.target"} & set(
            section.get(hard, "").split()
        ), f"{hard}= would keep the agent from starting offline"


def test_unit_hardening_keeps_sound_clock_and_state_dir() -> None:
    service = unit()["Service"]
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert "/var/lib/loaxa-agent" in service["ReadWritePaths"].split()
    breaks = {
        "PrivateDevices": "hides /dev/snd",
        "ProtectClock": "blocks adjtimex(2), which stations/agent/clock.py reads",
        "PrivateUsers": "loses the audio group's access to /dev/snd",
    }
    for key, why in breaks.items():
        assert service.get(key, "no").lower() in FALSE, f"{key}= {why}"
    assert "SystemCallFilter" not in service, "the usual filters block adjtimex(2)"
    assert "SystemCallArchitectures" not in service, "32-bit Pi OS runs on a 64-bit kernel"
    assert service.get("ProcSubset", "all") == "all", "ALSA reads /proc/asound"
    assert service.get("DevicePolicy", "auto") == "auto", "the sound card is a device"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    code, complaints, output = verify_complaints(UNIT, tmp_path)
    assert code == 0 and not complaints, output


# options really exist --------------------------------------------------------------------


def test_unit_passes_only_options_the_agent_has() -> None:
    used = options_after_agent(exec_start())
    assert {"--server", "--data-dir"} <= used
    assert used <= agent_options(), used - agent_options()


def test_install_script_passes_only_options_the_agent_has() -> None:
    out = dry_run().stdout
    commands = [shlex.split(s[2:]) for s in out.splitlines() if re.match(r"\+ .*/loaxa agent", s)]
    assert any("--enroll-only" in c for c in commands) or TOKEN_FILE.exists()
    for command in commands:
        used = options_after_agent(command)
        assert used <= agent_options(), (command, used - agent_options())
    for example in re.findall(r"LOAXA_AGENT_OPTS=(\S+)", out):
        assert set(OPTION.findall(example)) <= agent_options(), example


def test_page_names_only_options_the_agent_has() -> None:
    text = DOC.read_text()
    spans = [s for s in re.findall(r"`([^`]*)`", text) if "loaxa agent" in s]
    spans += re.findall(r"LOAXA_AGENT_OPTS=(\S+?)`", text)
    assert spans
    for span in spans:
        words = span.split("loaxa agent", 1)[-1]
        assert set(OPTION.findall(words)) <= agent_options(), span


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _own_hardware_id(etc: Path) -> str:
    script = f'source "{INSTALL}" && own_hardware_id "$1"'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(etc)], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
