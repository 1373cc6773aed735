#!/usr/bin/env bash
# Set up Loaxa on Debian, Ubuntu or Raspberry Pi OS: system packages, then a Python
# virtual environment in .venv with Loaxa installed in it. Safe to run again.
#   scripts/setup.sh          the server and agent
#   scripts/setup.sh --dev    plus the test and lint tools
#   scripts/setup.sh --agent  the station agent alone (a Raspberry Pi: no server parts)
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="[server]"
[[ "${1:-}" == "--dev" ]] && EXTRAS="[server,dev]"
[[ "${1:-}" == "--agent" ]] && EXTRAS=""

# ffmpeg: audio ingest; libvlc5 + vlc-plugin-base: playout; espeak-ng: text-to-speech;
# sox: test audio; python3-venv: the virtual environment; libvlc-bin: VLC's plugin cache
# (without it every VLC process loads all ~400 plugins: about 38 MB more).
SYSTEM_PACKAGES=(ffmpeg libvlc5 libvlc-bin vlc-plugin-base espeak-ng sox python3-venv)
# The server's PDF reports: WeasyPrint lays out with Pango (and subsets fonts with HarfBuzz);
# DejaVu Sans has every Vietnamese letter. The agent needs none of them.
[[ "${1:-}" != "--agent" ]] \
    && SYSTEM_PACKAGES+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
# The shellcheck package: the tests lint the Raspberry Pi install script with it; chromium: the web
# pages' tests drive it through Playwright (never `playwright install`: it downloads);
# nginx-light: a test runs Debian's nginx in front of the server, as deployments do;
# mosquitto: the push tests start their own broker (with its dynamic security plugin);
# pulseaudio (with its parec): the playout benchmark plays into a null sink and records it.
[[ "${1:-}" == "--dev" ]] \
    && SYSTEM_PACKAGES+=(shellcheck chromium nginx-light mosquitto pulseaudio pulseaudio-utils)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_system_packages() {
    if ! command -v dpkg-query >/dev/null; then
        say "not a Debian-like system: install these yourself: ${SYSTEM_PACKAGES[*]}"
        return
    fi
    local missing=()
    for package in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    local apt=(apt-get)
    if [[ $(id -u) -ne 0 ]]; then
        if sudo -n true 2>/dev/null; then
            apt=(sudo apt-get)
        else
            say "missing system packages; run this, then run me again:"
            echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
            return
        fi
    fi
    say "installing system packages: ${missing[*]}"
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
}

find_python() {
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "error: Loaxa needs Python 3.11 or newer (Raspberry Pi OS Bookworm has it): apt-get install python3" >&2
    exit 1
}

install_python_packages() {
    local python stamp wanted
    python=$(find_python)
    if [[ ! -x .venv/bin/python ]]; then
        say "creating the virtual environment .venv"
        "$python" -m venv .venv
    fi
    stamp=.venv/.loaxa-installed
    wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)$EXTRAS"
    if [[ -f $stamp && "$(cat "$stamp")" == "$wanted" ]]; then
        return
    fi
    say "installing Python packages into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$EXTRAS"
    echo "$wanted" >"$stamp"
}

install_system_packages
install_python_packages
say "set up: .venv/bin/loaxa --help"
