#!/usr/bin/env bash
# Install the Loaxa station agent on a Raspberry Pi (Raspberry Pi OS Bookworm), as root:
#
#   sudo deploy/pi/install.sh --server https://loaxa.example.vn --enroll ABCD-EFGH-JKMN
#
# System packages (VLC, chrony), the user `loaxa`, the agent in /opt/loaxa/.venv (no server
# parts), /etc/loaxa/agent.env, chrony allowed to step the clock at any time, enrolment with
# the one-time code (mã đăng ký), and the systemd service loaxa-agent. Safe to run again: to
# upgrade, to change the server, or after a failed enrolment. See docs/raspberry-pi.md.
#
# Without internet (no Debian mirror, no PyPI), from a bundle made beforehand on a Pi of the
# same OS and architecture that has a network:
#
#   sudo deploy/pi/install.sh --make-bundle /media/usb/loaxa-bundle       (with a network)
#   sudo deploy/pi/install.sh --bundle /media/usb/loaxa-bundle --server … --enroll …
set -euo pipefail
umask 022

readonly APP_DIR=/opt/loaxa
readonly VENV=$APP_DIR/.venv
readonly AGENT_USER=loaxa
readonly STATE_DIR=/var/lib/loaxa-agent
readonly TOKEN_FILE=$STATE_DIR/station.json
readonly CONF_DIR=/etc/loaxa
readonly ENV_FILE=$CONF_DIR/agent.env
readonly UNIT=loaxa-agent.service
readonly UNIT_PATH=/etc/systemd/system/$UNIT
readonly CHRONY_CONF=/etc/chrony/chrony.conf
readonly CHRONY_DROPIN=/etc/chrony/conf.d/loaxa.conf
# python3-venv: the virtual environment; vlc-bin, vlc-plugin-base, libvlc5: playout through
# python-vlc; libvlc-bin: vlc-cache-gen, which writes VLC's plugin cache (vlc-bin needs it
# too); chrony: the system clock; fake-hwclock: a Pi without a real-time clock boots at its
# last saved time, not in 1970, so TLS certificates are valid before chrony has a source
# (Raspberry Pi OS has it already). No ffmpeg and nothing of the server.
readonly PACKAGES=(python3-venv vlc-bin vlc-plugin-base libvlc5 libvlc-bin chrony fake-hwclock)
# An offline bundle: DIR/debs (the .deb files), DIR/wheels (the agent's wheel and every one
# it needs) and DIR/MANIFEST (what they were made for, and each file's sha256).
readonly MANIFEST=MANIFEST
STEPS=8

SERVER=""
ENROLL=""
LOCATION=""
SOURCE=""
BUNDLE=""
MAKE_BUNDLE=""
DRY_RUN=0
STEP=0
# Is systemd running here? Not in a chroot or while an SD-card image is built: services are
# then enabled for the first boot, not started. LOAXA_INSTALL_SYSTEMD=running|absent says
# so instead of asking /run/systemd/system (for image builders and the tests).
case ${LOAXA_INSTALL_SYSTEMD:-} in
running) SYSTEMD_RUNNING=1 ;;
absent) SYSTEMD_RUNNING=0 ;;
*) [[ -d /run/systemd/system ]] && SYSTEMD_RUNNING=1 || SYSTEMD_RUNNING=0 ;;
esac

usage() {
    cat <<EOF
Usage: sudo $0 --server URL --enroll CODE [--location LAT,LON] [--bundle DIR]
                 [--source DIR] [--dry-run]
       sudo $0 --make-bundle DIR [--source DIR] [--dry-run]

Installs the Loaxa station agent on this Raspberry Pi and starts it (service $UNIT).

  --server URL    the Loaxa server, e.g. https://loaxa.example.vn (on a re-run, the one in
                  $ENV_FILE is kept when this is left out)
  --enroll CODE   the station's one-time enrolment code (mã đăng ký) from an admin; needed
                  only while this Pi is not enrolled ($TOKEN_FILE missing)
  --location LAT,LON
                  where the loudspeakers stand, in decimal degrees (e.g. 16.4637,107.5909),
                  sent with the enrolment: the station takes it only when an admin has set
                  none (alerts drawn as a polygon or circle reach it by this)
  --source DIR    the Loaxa source to install (default: the repository this script is in)
  --bundle DIR    install from an offline bundle made by --make-bundle: no Debian mirror
                  and no PyPI are needed (the enrolment still needs the Loaxa server)
  --make-bundle DIR
                  make that bundle in DIR (new or empty) instead of installing: run it on
                  a Pi of the same OS and architecture as the ones to install, with a
                  network, before installing there, so that it holds what they lack
  --dry-run       print what would be done, change nothing
  -h, --help      this help
EOF
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 2
}

warn() { printf 'warning: %s\n' "$*" >&2; }

step() {
    STEP=$((STEP + 1))
    printf '\n==> [%d/%d] %s\n' "$STEP" "$STEPS" "$*"
}

# Run a command, or print it under --dry-run.
run() {
    if ((DRY_RUN)); then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# The same, its output hidden unless it fails.
run_quiet() {
    if ((DRY_RUN)); then
        run "$@"
        return
    fi
    local output
    if ! output=$("$@" 2>&1); then
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# write_file PATH MODE OWNER GROUP: write stdin to PATH atomically, or print it (--dry-run).
write_file() {
    local path=$1 mode=$2 owner=$3 group=$4 content temporary
    content=$(cat)
    if ((DRY_RUN)); then
        printf '+ write %s (mode %s, %s:%s):\n' "$path" "$mode" "$owner" "$group"
        # shellcheck disable=SC2001  # indent every line
        sed 's/^/    /' <<<"$content"
        return
    fi
    temporary=$(mktemp "$path.XXXXXX")
    printf '%s\n' "$content" >"$temporary"
    chown "$owner:$group" "$temporary"
    chmod "$mode" "$temporary"
    mv -f "$temporary" "$path"
}

# Comment out `makestep` in chrony's main file: Debian's says `makestep 1 3` after its
# `confdir` line, and chrony keeps the last makestep it reads, so it would override ours.
disable_main_makestep() {
    local conf=$1
    [[ -f $conf ]] || return 0
    grep -Eq '^[[:space:]]*makestep[[:space:]]' "$conf" || return 0
    run sed -i -E \
        "s|^([[:space:]]*makestep[[:space:]].*)$|#\\1  # Loaxa: see $CHRONY_DROPIN|" "$conf"
}

parse_arguments() {
    while (($#)); do
        case $1 in
        --server | --enroll | --location | --source | --bundle | --make-bundle)
            [[ $# -ge 2 && -n $2 && $2 != --* ]] || die "$1 needs a value (see --help)"
            case $1 in
            --server) SERVER=$2 ;;
            --enroll) ENROLL=$2 ;;
            --location) LOCATION=$2 ;;
            --source) SOURCE=$2 ;;
            --bundle) BUNDLE=$2 ;;
            --make-bundle) MAKE_BUNDLE=$2 ;;
            esac
            shift 2
            ;;
        --server=*) SERVER=${1#*=} && shift ;;
        --enroll=*) ENROLL=${1#*=} && shift ;;
        --location=*) LOCATION=${1#*=} && shift ;;
        --source=*) SOURCE=${1#*=} && shift ;;
        --bundle=*) BUNDLE=${1#*=} && shift ;;
        --make-bundle=*) MAKE_BUNDLE=${1#*=} && shift ;;
        --dry-run) DRY_RUN=1 && shift ;;
        -h | --help) usage && exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
        esac
    done
}

saved_server() {
    [[ -r $ENV_FILE ]] || return 0
    sed -n 's/^LOAXA_SERVER=//p' "$ENV_FILE" | tail -n 1
}

validate() {
    if ((!DRY_RUN)) && [[ $(id -u) -ne 0 ]]; then
        die "run me as root: sudo $0 $*"
    fi

    if [[ -z $SOURCE ]]; then
        SOURCE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
    fi
    [[ -d $SOURCE ]] || die "--source $SOURCE: no such directory"
    SOURCE=$(cd -- "$SOURCE" && pwd -P)
    grep -Eq '^name[[:space:]]*=[[:space:]]*"loaxa"' "$SOURCE/pyproject.toml" 2>/dev/null \
        || die "--source $SOURCE is not the Loaxa source (no pyproject.toml naming loaxa)"
    [[ -f $SOURCE/deploy/pi/$UNIT ]] || die "$SOURCE/deploy/pi/$UNIT is missing"
    check_system

    if [[ -n $MAKE_BUNDLE ]]; then
        validate_make_bundle
        return
    fi
    [[ -z $BUNDLE ]] || check_bundle "$BUNDLE"

    [[ -n $SERVER ]] || SERVER=$(saved_server)
    [[ -n $SERVER ]] || die "--server is required: the Loaxa server's address, e.g." \
        "--server https://loaxa.example.vn"
    SERVER=${SERVER%/}
    local url='^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$'
    local code='^[A-Za-z0-9-]{4,64}$'
    # Decimal degrees only: the agent checks the ranges again (latitude ±90, longitude ±180).
    local location='^-?[0-9]{1,2}(\.[0-9]+)?,-?[0-9]{1,3}(\.[0-9]+)?$'
    [[ $SERVER =~ $url ]] \
        || die "--server $SERVER: give the address as https://host[:port][/path]"
    [[ $SERVER == https://* ]] \
        || warn "$SERVER is plain http: the station token travels unencrypted; use https"

    if [[ -n $ENROLL ]]; then
        [[ $ENROLL =~ $code ]] \
            || die "--enroll $ENROLL: an enrolment code looks like ABCD-EFGH-JKMN"
    elif [[ ! -e $TOKEN_FILE ]]; then
        die "--enroll is required on a first install: ask an admin for this station's" \
            "enrolment code (mã đăng ký, POST /api/v1/stations/{id}/enrollment-code; valid" \
            "24 h, single use) and run: sudo $0 --server $SERVER --enroll CODE"
    fi

    if [[ -n $LOCATION ]]; then
        [[ $LOCATION =~ $location ]] \
            || die "--location $LOCATION: give it as LAT,LON in decimal degrees, e.g." \
                "--location 16.4637,107.5909"
    fi
}

# The system itself: Bookworm (a warning), not ARMv6, with apt and systemd.
check_system() {
    local codename
    codename=$(os_codename)
    [[ $codename == bookworm ]] \
        || warn "made for Raspberry Pi OS Bookworm; this is '${codename:-unknown}'"
    if [[ $(uname -m) == armv6l ]]; then
        die "this is an ARMv6 board (Pi Zero, Zero W or Pi 1): the agent needs pydantic-core," \
            "which has no ARMv6 build on PyPI; use a Pi Zero 2 W, Pi 3, 4 or 5" \
            "(docs/raspberry-pi.md)"
    fi
    if ((!DRY_RUN)); then
        command -v apt-get >/dev/null || die "apt-get not found: this needs Raspberry Pi OS"
        command -v systemctl >/dev/null || die "systemctl not found: this needs systemd"
    fi
}

os_codename() {
    [[ -r /etc/os-release ]] || return 0
    sed -n 's/^VERSION_CODENAME=//p' /etc/os-release
}

# What an offline bundle must match: the dpkg architecture (armhf, arm64), the Python of
# python3 (the wheels of pydantic-core and websockets are built for one) and the release.
dpkg_architecture() { dpkg --print-architecture 2>/dev/null || echo unknown; }

python_version() {
    python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none
}

manifest_field() {
    sed -n "s/^# $2: //p" "$1" | head -n 1
}

validate_make_bundle() {
    [[ -z $BUNDLE ]] || die "--make-bundle and --bundle: one or the other"
    [[ -z $ENROLL && -z $LOCATION ]] \
        || die "--make-bundle installs nothing, so it enrols nothing: leave out --enroll" \
            "and --location (give them with --bundle on each Pi)"
    if [[ -e $MAKE_BUNDLE ]]; then
        [[ -d $MAKE_BUNDLE ]] || die "--make-bundle $MAKE_BUNDLE: not a directory"
        [[ -z $(ls -A -- "$MAKE_BUNDLE") ]] \
            || die "--make-bundle $MAKE_BUNDLE is not empty: give a new or empty directory"
    fi
    [[ $(python_version) != none ]] \
        || die "python3 is missing (Raspberry Pi OS has it): apt-get install python3"
    MAKE_BUNDLE=$(realpath -m -- "$MAKE_BUNDLE")
}

# Refuse, before changing anything, a bundle that is not for this system or not whole.
check_bundle() {
    local dir=$1 manifest=$1/$MANIFEST field want have
    [[ -d $dir ]] || die "--bundle $dir: no such directory"
    [[ -f $manifest ]] \
        || die "--bundle $dir: no $MANIFEST there, so not a bundle made by --make-bundle"
    for field in architecture python codename; do
        want=$(manifest_field "$manifest" "$field")
        case $field in
        architecture) have=$(dpkg_architecture) ;;
        python) have=$(python_version) ;;
        codename) have=$(os_codename) ;;
        esac
        [[ $want == "$have" ]] \
            || die "--bundle $dir was made for $field ${want:-?}, and this system has" \
                "${have:-?}: make the bundle (--make-bundle) on a Pi like this one" \
                "(the same Raspberry Pi OS, 32 or 64 bit, and Python)"
    done
    # A stick can corrupt a file, and a file slipped in would be installed too.
    local listed present
    listed=$(grep -v '^#' "$manifest" | sed 's/^[0-9a-f]\{64\}  //' | LC_ALL=C sort)
    present=$(cd "$dir" && find debs wheels -type f 2>/dev/null | LC_ALL=C sort)
    [[ $listed == "$present" ]] \
        || die "--bundle $dir: its files are not the ones $MANIFEST lists:" \
            "$(diff <(echo "$listed") <(echo "$present") | grep '^[<>]' | tr '\n' ' ')"
    (cd "$dir" && grep -v '^#' "$MANIFEST" | sha256sum --check --strict --quiet) \
        || die "--bundle $dir: the files above are damaged; copy the bundle again"
    if [[ -z $(manifest_field "$manifest" loaxa) ]] \
        || ! compgen -G "$dir/wheels/loaxa-*.whl" >/dev/null; then
        die "--bundle $dir: no wheel of the agent (wheels/loaxa-*.whl) in it"
    fi
    BUNDLE=$(cd -- "$dir" && pwd -P)
}

install_packages() {
    if [[ -n $BUNDLE ]]; then
        install_bundled_packages
    else
        step "Installing system packages: ${PACKAGES[*]}"
        run apt-get update
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${PACKAGES[@]}"
    fi
    # VLC learns what each of its plugins does from its plugin cache (plugins.dat, written by
    # libvlc-bin's trigger); without it every VLC process opens all ~400 plugins and keeps
    # them loaded, about 40 MB more in the agent. Write it if a trigger did not.
    local plugins
    for plugins in /usr/lib/*/vlc/plugins /usr/lib/vlc/plugins; do
        if [[ -d $plugins && ! -e $plugins/plugins.dat ]]; then
            run "$(dirname "$plugins")/vlc-cache-gen" "$plugins"
        fi
    done
}

# The bundle's .deb files, with no network: apt orders them by their dependencies. It is
# given no package lists at all (an empty directory instead of /var/lib/apt/lists): with
# the system's lists, apt takes a version that the mirror has too from the mirror rather
# than from the file, and fails offline. Without them it knows only what is installed and
# the files, so it cannot reach for a mirror, and a missing dependency is named. No
# `apt-get update`: there is nothing to update from.
install_bundled_packages() {
    step "Installing system packages from the bundle, offline: ${PACKAGES[*]}"
    local debs=("$BUNDLE"/debs/*.deb)
    if [[ -e ${debs[0]} ]]; then
        echo "${#debs[@]} package file(s) from $BUNDLE/debs"
        local lists=/tmp/loaxa-apt-lists.XXXXXX
        ((DRY_RUN)) || lists=$(mktemp -d /tmp/loaxa-apt-lists.XXXXXX)
        run install -d -m 0700 "$lists/partial"
        run env DEBIAN_FRONTEND=noninteractive apt-get -o Dir::State::Lists="$lists" \
            -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= install -y \
            --no-install-recommends -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold "${debs[@]}"
        run rm -rf -- "$lists"
    else
        echo "the bundle has no package files: the system it was made on had them all"
    fi
    ((!DRY_RUN)) || return 0
    local package missing=()
    for package in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    ((${#missing[@]} == 0)) \
        || die "not installed, and not in the bundle: ${missing[*]}; make the bundle on a" \
            "Pi in the same state as this one (before installing there), or install them" \
            "from the mirror: apt-get install ${missing[*]}"
}

create_user() {
    step "Creating the system user $AGENT_USER (group audio for the sound card)"
    if id -u "$AGENT_USER" >/dev/null 2>&1; then
        echo "user $AGENT_USER exists"
        run usermod --append --groups audio "$AGENT_USER"
    else
        local group=(--user-group)
        getent group "$AGENT_USER" >/dev/null && group=(--gid "$AGENT_USER")
        run useradd --system "${group[@]}" --groups audio --home-dir "$STATE_DIR" \
            --no-create-home --shell /usr/sbin/nologin --comment "Loaxa station agent" \
            "$AGENT_USER"
    fi
    run install -d -m 0700 -o "$AGENT_USER" -g "$AGENT_USER" "$STATE_DIR"
}

install_agent() {
    step "Installing the agent into $APP_DIR (virtual environment $VENV, no server parts)"
    if [[ $SOURCE == "$APP_DIR" ]]; then
        echo "the source is $APP_DIR already"
    else
        run install -d -m 0755 "$APP_DIR"
        # Replace the previous copy; the virtual environment stays.
        run find "$APP_DIR" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf -- {} +
        local excludes=(--exclude=./.git --exclude=./.venv --exclude=./var
            --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache
            --exclude=.ruff_cache --exclude=.hypothesis)
        if ((DRY_RUN)); then
            printf '+ tar -C %q %s -cf - . | tar -C %q --no-same-owner -xf -\n' \
                "$SOURCE" "${excludes[*]}" "$APP_DIR"
        else
            tar -C "$SOURCE" "${excludes[@]}" -cf - . | tar -C "$APP_DIR" --no-same-owner -xf -
        fi
    fi
    if ((!DRY_RUN)); then
        python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || die "Loaxa needs Python 3.11 or newer (Raspberry Pi OS Bookworm has it)"
    fi
    if ((DRY_RUN)) || ! "$VENV/bin/python" -c '' 2>/dev/null; then
        run python3 -m venv --clear "$VENV"
    fi
    # The base install is the agent's (pydantic, httpx, websockets, python-vlc, typer).
    if [[ -n $BUNDLE ]]; then
        # The wheel the bundle built from the source, and its dependencies, from the stick:
        # no PyPI, and no hatchling (it was needed once, to build the wheel).
        run "$VENV/bin/pip" install --disable-pip-version-check --no-index \
            --find-links "$BUNDLE/wheels" "loaxa==$(manifest_field "$BUNDLE/$MANIFEST" loaxa)"
    else
        run "$VENV/bin/pip" install --disable-pip-version-check "$APP_DIR"
    fi
    run_quiet "$VENV/bin/loaxa" agent --help \
        || die "the installed agent does not start: $VENV/bin/loaxa agent --help"
    run_quiet "$VENV/bin/python" -c 'import vlc; assert vlc.Instance("--quiet")' \
        || die "python-vlc cannot load libvlc: apt-get install ${PACKAGES[*]}"
}

write_environment() {
    step "Writing $ENV_FILE (LOAXA_SERVER=$SERVER)"
    local options="LOAXA_AGENT_OPTS="
    if [[ -r $ENV_FILE ]] && grep -q '^LOAXA_AGENT_OPTS=' "$ENV_FILE"; then
        options=$(grep '^LOAXA_AGENT_OPTS=' "$ENV_FILE" | tail -n 1)
    fi
    run install -d -m 0755 "$CONF_DIR"
    write_file "$ENV_FILE" 0640 root "$AGENT_USER" <<EOF
# The Loaxa station agent's settings, read by $UNIT (written by install.sh).
# After a change: sudo systemctl restart loaxa-agent
LOAXA_SERVER=$SERVER
# More \`loaxa agent\` options, e.g. LOAXA_AGENT_OPTS=-v (a log line per request).
$options
EOF
}

configure_chrony() {
    step "Letting chrony step the clock whenever it is more than 1 s off (makestep 1 -1)"
    run install -d -m 0755 "$(dirname "$CHRONY_DROPIN")"
    write_file "$CHRONY_DROPIN" 0644 root root <<'EOF'
# Loaxa (deploy/pi/install.sh): a Raspberry Pi has no real-time clock and boots with the last
# saved time, possibly hours off. Step the clock whenever it is more than 1 s off, not only in
# the first updates after boot (Debian's makestep 1 3).
makestep 1 -1
EOF
    disable_main_makestep "$CHRONY_CONF"
    run systemctl enable chrony.service
    if ((SYSTEMD_RUNNING)); then
        run systemctl restart chrony.service
    else
        echo "systemd is not running here (a chroot or an image being built): chrony" \
            "starts at the first boot"
    fi
    if ((!DRY_RUN)) && command -v chronyd >/dev/null; then
        local effective
        effective=$(chronyd -p 2>/dev/null | grep -E '^makestep' | tail -n 1 || true)
        [[ $effective == "makestep 1 -1" ]] \
            || warn "chrony's makestep in force is '${effective:-none}', not 'makestep 1 -1':" \
                "check $CHRONY_CONF and /etc/chrony/conf.d"
    fi
}

enroll() {
    step "Enrolling this Pi with $SERVER"
    if [[ -e $TOKEN_FILE ]]; then
        local station
        station=$(grep -Eo '"station_id": *[0-9]+' "$TOKEN_FILE" | grep -Eo '[0-9]+$' || true)
        echo "already enrolled as station #${station:-?} ($TOKEN_FILE)"
        [[ -z $ENROLL ]] || echo "--enroll ignored; to enrol again see docs/raspberry-pi.md"
        [[ -z $LOCATION ]] || echo "--location ignored: an admin sets it on the station"
        return
    fi
    local where=()
    [[ -z $LOCATION ]] || where=(--location "$LOCATION")
    # In a chroot (an image being built) the kernel's host name is the build machine's, and
    # the agent would enrol under it (the server's audit log names the device by it): give
    # it this system's own name instead.
    ((SYSTEMD_RUNNING)) || where+=(--hardware-id "$(own_hardware_id /etc)")
    if ! (cd / && run runuser -u "$AGENT_USER" -- "$VENV/bin/loaxa" agent --server "$SERVER" \
        --data-dir "$STATE_DIR" --enroll "$ENROLL" "${where[@]}" --enroll-only); then
        cat >&2 <<EOF

error: enrolment failed (the reason is above). Check that:
  - this Pi reaches $SERVER (try: curl -sS $SERVER/healthz);
  - the code $ENROLL is this station's, typed right, unused and less than 24 hours old.
Ask an admin for a new code (mã đăng ký: POST /api/v1/stations/{id}/enrollment-code), then
run again: sudo $0 --server $SERVER --enroll NEW-CODE
EOF
        exit 1
    fi
}

# As the agent names a device (host name/machine id), from this system's files rather than
# the kernel's host name. The machine id is empty or "uninitialized" in an image until its
# first boot. ETC is /etc, or another for the tests.
own_hardware_id() { # ETC
    local etc=$1 name id
    name=$(head -n 1 "$etc/hostname" 2>/dev/null || true)
    id=$(head -n 1 "$etc/machine-id" 2>/dev/null || true)
    [[ $id =~ ^[0-9a-f]{32}$ ]] || id=""
    printf '%s%s\n' "${name:-raspberrypi}" "${id:+/${id:0:12}}"
}

install_service() {
    step "Installing and starting the service $UNIT"
    run install -m 0644 -o root -g root "$SOURCE/deploy/pi/$UNIT" "$UNIT_PATH"
    if ((!SYSTEMD_RUNNING)); then
        run systemctl enable "$UNIT"
        echo "systemd is not running here: $UNIT is enabled and starts at the first boot"
        return
    fi
    run systemctl daemon-reload
    if ((!DRY_RUN)) && systemctl is-active --quiet "$UNIT"; then
        run systemctl enable "$UNIT"
        run systemctl restart "$UNIT" # the new version
    else
        run systemctl enable --now "$UNIT"
    fi
}

finish() {
    step "Done"
    local runs="runs as the service $UNIT and starts at every boot"
    ((SYSTEMD_RUNNING)) || runs="starts as the service $UNIT at the first boot, then at every boot"
    cat <<EOF
The agent $runs.
  logs:        journalctl -u loaxa-agent -f
  status:      systemctl status loaxa-agent
  clock:       chronyc tracking; timedatectl
  its data:    $STATE_DIR (token, manifest, audio cache, as-run outbox)
  settings:    $ENV_FILE
EOF
    if ((DRY_RUN)); then
        echo "(dry run: nothing was changed)"
    fi
}

# write_manifest DIR: what the bundle in DIR is for (check_bundle compares it with the
# system installing it), and each file with its sha256, as `sha256sum --check` reads them.
write_manifest() {
    local dir=$1 wheel version
    wheel=$(compgen -G "$dir/wheels/loaxa-*.whl" | head -n 1) \
        || die "pip made no wheel of the agent in $dir/wheels"
    version=$(basename "$wheel" | cut -d- -f2)
    {
        echo "# Loaxa offline bundle, made by deploy/pi/install.sh --make-bundle; install with"
        echo "# sudo deploy/pi/install.sh --bundle DIR --server URL --enroll CODE"
        echo "# loaxa: $version"
        echo "# architecture: $(dpkg_architecture)"
        echo "# python: $(python_version)"
        echo "# codename: $(os_codename)"
        echo "# os: $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null | tr -d '"')"
        echo "# made: $(date -u +%FT%TZ)"
        (cd "$dir" && find debs wheels -type f | LC_ALL=C sort | xargs -r -d '\n' sha256sum)
    } >"$dir/$MANIFEST"
}

# --make-bundle: what `--bundle` installs offline, fetched here with a network. Run before
# installing, apt downloads exactly what this system lacks, with the dependencies it lacks.
make_bundle() {
    local dir=$MAKE_BUNDLE
    STEPS=3
    step "Downloading the system packages this system lacks into $dir/debs"
    run install -d -m 0755 "$dir" "$dir/debs" "$dir/wheels"
    # apt downloads as its user _apt into partial/, as into /var/cache/apt/archives.
    local owner=root
    getent passwd _apt >/dev/null && owner=_apt
    run install -d -m 0700 -o "$owner" -g root "$dir/debs/partial"
    run apt-get update
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        --download-only -o Dir::Cache::archives="$dir/debs" "${PACKAGES[@]}"
    run rm -rf -- "$dir/debs/partial" "$dir/debs/lock"

    step "Building the agent's wheel and fetching every wheel it needs into $dir/wheels"
    local scratch=/tmp/loaxa-bundle.XXXXXX
    ((DRY_RUN)) || scratch=$(mktemp -d /tmp/loaxa-bundle.XXXXXX)
    # A throwaway environment, so nothing of this system's Python is touched; without
    # python3-venv (not installed yet) it has no pip of its own, so pip runs from its
    # wheel: this system's, or the one in the packages just downloaded.
    run python3 -m venv --without-pip "$scratch/venv"
    local pip
    pip=$(compgen -G "/usr/share/python-wheels/pip-*.whl" | head -n 1 || true)
    if [[ -z $pip ]]; then
        local deb
        deb=$(compgen -G "$dir/debs/python3-pip-whl_*.deb" | head -n 1 || true)
        ((DRY_RUN)) || [[ -n $deb ]] \
            || die "no pip wheel here nor in $dir/debs: apt-get install python3-pip-whl"
        run dpkg-deb -x "${deb:-$dir/debs/python3-pip-whl_VERSION.deb}" "$scratch/pip"
        pip=$scratch/pip/usr/share/python-wheels/pip-VERSION.whl
        ((DRY_RUN)) || pip=$(compgen -G "$scratch/pip/usr/share/python-wheels/pip-*.whl")
    fi
    # The source's wheel (its build backend, hatchling, is fetched for this once) and every
    # wheel it depends on, for this architecture and Python.
    run "$scratch/venv/bin/python" "$pip/pip" wheel --disable-pip-version-check \
        --wheel-dir "$dir/wheels" "$SOURCE"
    run rm -rf -- "$scratch"

    step "Writing $dir/$MANIFEST"
    if ((DRY_RUN)); then
        echo "+ write $dir/$MANIFEST (the bundle's architecture, Python and release, and each" \
            "file's sha256)"
        echo "(dry run: nothing was changed)"
        return
    fi
    write_manifest "$dir"
    local debs wheels
    debs=$(find "$dir/debs" -name '*.deb' | wc -l)
    wheels=$(find "$dir/wheels" -name '*.whl' | wc -l)
    cat <<EOF
The bundle in $dir: $debs package file(s), $wheels wheel(s), $(du -sh "$dir" | cut -f1), for
$(dpkg_architecture), Python $(python_version), $(os_codename). Copy it with the Loaxa source
to each Pi of the same kind (e.g. on a USB stick) and run there, with no internet needed:
  sudo deploy/pi/install.sh --bundle DIR --server URL --enroll CODE
EOF
}

main() {
    parse_arguments "$@"
    validate "$@"
    ((!DRY_RUN)) || echo "dry run: printing the commands instead of running them"
    if [[ -n $MAKE_BUNDLE ]]; then
        make_bundle
        return
    fi
    install_packages
    create_user
    install_agent
    write_environment
    configure_chrony
    enroll
    install_service
    finish
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
