"""The agent memory benchmark's measuring: what /proc says of a process (smaps_rollup for
RSS, PSS and private memory, stat for CPU time), sampled over a window; where a process's
resident memory lies, mapping by mapping (smaps), grouped; and the commands of the measured
processes: the baselines (bare Python, Python holding one libvlc instance, idle or playing
into a WAV file, Python with the agent's imports) and the agent itself, started as on a
Raspberry Pi (the server's packages hidden, benchmarks/agent_load_procs.py)."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audio.vlc_player import is_ogg_file, vlc_options
from benchmarks.agent_load_procs import PI_LAUNCHER, SERVER_PACKAGES

# The MQTT push's clients' imports (issue 18), measured on top of the agent's own: since
# the push is in, the agent imports them itself and this checks that none is missed.
MQTT_IMPORTS = "import paho.mqtt.client, aiomqtt"
# What the agent imports to run (its command, and through it the runtime and the player),
# as `loaxa agent` imports it (cli/entry.py).
AGENT_IMPORTS = "from cli.entry import lean_agent_imports; lean_agent_imports(); import cli.agent"
HIDE_SERVER = f"import sys; sys.modules.update(dict.fromkeys({SERVER_PACKAGES!r}))"
# Each baseline says when it is set up, then holds still until stopped.
SLEEP = "import time; print('ready', flush=True); time.sleep(3600)"


@dataclass(frozen=True, slots=True)
class Memory:
    rss_mb: float
    pss_mb: float
    private_mb: float  # Private_Clean + Private_Dirty: pages no other process shares
    anon_mb: float


@dataclass(frozen=True, slots=True)
class Sample:
    memory: Memory  # the sample with the largest RSS in the window
    cpu_s: float  # user + system CPU over the window
    window_s: float

    @property
    def cpu_s_per_min(self) -> float:
        return self.cpu_s / self.window_s * 60 if self.window_s > 0 else 0.0


def memory(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(
        rss_mb=fields.get("Rss", 0) / 1024,
        pss_mb=fields.get("Pss", 0) / 1024,
        private_mb=private / 1024,
        anon_mb=fields.get("Anonymous", 0) / 1024,
    )


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def sample(pid: int, seconds: float, every_s: float, alive: Callable[[], bool]) -> Sample:
    """Memory every `every_s` through `seconds` (the sample with the largest RSS kept) and
    the CPU time used over them."""
    began, cpu = time.monotonic(), cpu_seconds(pid)
    largest = memory(pid)
    while (elapsed := time.monotonic() - began) < seconds:
        if not alive():
            raise RuntimeError(f"process {pid} exited while measured")
        time.sleep(min(every_s, seconds - elapsed))  # the sampling period
        now = memory(pid)
        if now.rss_mb > largest.rss_mb:
            largest = now
    return Sample(largest, cpu_seconds(pid) - cpu, time.monotonic() - began)


# where it goes ----------------------------------------------------------------------------

GROUPS = (
    ("VLC plugins", re.compile(r"/vlc/plugins/")),
    ("libvlc, libvlccore", re.compile(r"/libvlc(core)?\.so")),
    ("Python interpreter", re.compile(r"/libpython|/bin/python")),
    ("Python extension modules", re.compile(r"/(site-packages|lib-dynload)/")),
    ("heap and anonymous", re.compile(r"^(\[heap\]|\[anon\]|\[stack.*\]|$)")),
    ("other shared libraries", re.compile(r"\.so[.\d]*$")),
)


def where(pid: int) -> tuple[dict[str, tuple[float, int]], list[tuple[str, float]]]:
    """Resident MB per group of mappings (with how many files each spans), and the largest
    single files."""
    per_file: dict[str, float] = {}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if len(head) >= 5 and "-" in head[0] and ":" in head[3]:
            name = head[5].strip() if len(head) > 5 else ""
        elif line.startswith("Rss:"):
            per_file[name] = per_file.get(name, 0.0) + int(line.split()[1]) / 1024
    groups: dict[str, tuple[float, int]] = {}
    for path, mb in per_file.items():
        group = next((g for g, pattern in GROUPS if pattern.search(path)), "other files")
        total, count = groups.get(group, (0.0, 0))
        groups[group] = (total + mb, count + 1)
    largest = [(path or "[anon]", mb) for path, mb in per_file.items()]
    return groups, sorted(largest, key=lambda f: -f[1])[:8]


# the commands ----------------------------------------------------------------------------


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def bare() -> list[str]:
    return python(SLEEP)


def libvlc(audio: Path | None, wav: Path | None) -> list[str]:
    """One libvlc instance with the agent's options, idle, or playing `audio` into `wav`
    (as the agent plays a cached file: VLC's own demuxer for WebM, libavformat's for Ogg) and
    then holding it."""
    options = vlc_options(wav=wav)
    code = f"import time, vlc; instance = vlc.Instance({options!r})"
    if audio is not None:
        demux = "; media.add_option('demux=avformat')" if is_ogg_file(str(audio)) else ""
        code += (
            f"; player = instance.media_player_new(); media = instance.media_new({str(audio)!r})"
            f"{demux}; player.set_media(media); player.play()"
        )
    return python(f"{code}; {SLEEP}")


def imports(mqtt: bool) -> list[str]:
    """The agent's imports (the server's packages hidden), and MQTT's on top if asked."""
    code = f"{HIDE_SERVER}; {AGENT_IMPORTS}"
    return python(f"{code}; {MQTT_IMPORTS}; {SLEEP}" if mqtt else f"{code}; {SLEEP}")


def agent(options: list[str], *, mqtt: bool) -> list[str]:
    """`loaxa agent` as on a Raspberry Pi, with MQTT's clients imported first if asked."""
    launcher = PI_LAUNCHER.format(packages=SERVER_PACKAGES)
    if mqtt:
        launcher = f"{MQTT_IMPORTS}; {launcher}"
    return [*python(launcher), "agent", *options]
