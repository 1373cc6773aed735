#!/usr/bin/env bash
# The Raspberry Pi install, for real: run by hand and before each release, not in CI (it
# takes minutes and needs root, the Debian mirror and PyPI). As root, from the repository:
#
#   scripts/pi_trial.sh                  a fresh Debian bookworm root (amd64) made with
#                                        debootstrap; deploy/pi/install.sh run in it for real
#   scripts/pi_trial.sh --arch arm64     the same root for arm64, run under qemu-user, as on
#                                        a Raspberry Pi with 64-bit Raspberry Pi OS
#   scripts/pi_trial.sh --offline        install.sh --make-bundle in one fresh root (online),
#                                        then install.sh --bundle in a second one with no
#                                        network at all (a network namespace: loopback only)
#
# Each run: a real `loaxa server` from this repository's .venv on loopback with a fresh
# SQLite database; through its API an admin, an operator and an approver set up a station,
# upload and approve real audio (made by ffmpeg) and make the station's enrolment code. The
# install script runs in the root with that code (systemd does not run there, so it enrols,
# installs and enables the service for the first boot), then the installed agent runs in
# the root as the user loaxa for a session a minute or two ahead, capturing into WAV files:
# the check is that each item was played, on time by the server's as-run records, and that
# the capture is the stored audio, whole. Each step's wall time is printed, and a summary.
# Exits non-zero naming the step that failed. See docs/raspberry-pi.md.
set -euo pipefail
umask 022

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
readonly REPO
readonly HELPER=$REPO/scripts/pi_trial.py
readonly SUITE=bookworm

ARCH=amd64
OFFLINE=0
REUSE=0
KEEP=0
DIR=/var/tmp/loaxa-pi-trial
MIRROR=""
LEAD=""
TOLERANCE_MS=1000

usage() {
    cat <<EOF
Usage: sudo $0 [--arch amd64|arm64] [--offline] [--reuse] [--dir DIR] [--mirror URL]
                    [--lead SECONDS] [--tolerance-ms MS] [--keep]

Installs the station agent with deploy/pi/install.sh in a fresh Debian $SUITE root
(debootstrap), enrols it with a real server on loopback and checks that it plays a session
on time into WAV files.

  --arch ARCH       amd64 (default) or arm64 (under qemu-user; much slower)
  --offline         make an offline bundle in one fresh root, then install from it in a
                    second root with no network (only loopback, where the server is)
  --reuse           reuse the debootstrapped root in DIR if an earlier run left one (each
                    install still gets a fresh copy of it)
  --dir DIR         where the roots go (default $DIR)
  --mirror URL      the Debian mirror (default: the one this machine's apt uses)
  --lead SECONDS    the session starts this long after the agent is started (default 75;
                    150 for arm64)
  --tolerance-ms MS how late or early an item may start (default $TOLERANCE_MS)
  --keep            keep the roots of this run (they are deleted after a success)
EOF
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 2
}

# Steps and their wall times, for the summary.
STEP_NAMES=()
STEP_SECONDS=()
CURRENT=""
STARTED=0
RUN_STARTED=$(date +%s.%N)

begin() {
    CURRENT=$1
    STARTED=$(date +%s.%N)
    printf '\n=== %s\n' "$CURRENT"
}

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

end() {
    local took
    took=$(since "$STARTED")
    STEP_NAMES+=("$CURRENT")
    STEP_SECONDS+=("$took")
    printf '=== %s: done in %s s\n' "$CURRENT" "$took"
    CURRENT=""
}

summary() {
    local status=$1 i
    printf '\n=== Summary (%s, %s%s)\n' "$SUITE" "$ARCH" "$( ((OFFLINE)) && echo ', offline')"
    for i in "${!STEP_NAMES[@]}"; do
        printf '  %7s s  ok      %s\n' "${STEP_SECONDS[$i]}" "${STEP_NAMES[$i]}"
    done
    if [[ -n $CURRENT ]]; then
        printf '  %7s s  FAILED  %s\n' "$(since "$STARTED")" "$CURRENT"
    fi
    printf '  %7s s  in all\n' "$(since "$RUN_STARTED")"
    if ((status == 0)); then
        echo "PASSED"
    else
        echo "FAILED${CURRENT:+ at: $CURRENT} (exit $status)"
    fi
}

# ---------------------------------------------------------------------------------------
# Cleaning up: processes left in a root, its mounts, the server, the network namespace.

MOUNTS=()
SERVER_PID=""
AGENT_PID=""
NETNS=""
ROOTS=()

# Processes whose root directory is inside $1 (the agent; a daemon a package started).
processes_in() {
    local root=$1 proc link
    [[ $root == /?* ]] || return 0
    for proc in /proc/[0-9]*; do
        link=$(readlink "$proc/root" 2>/dev/null) || continue
        [[ $link == "$root" || $link == "$root"/* ]] && printf '%s\n' "${proc#/proc/}"
    done
    return 0
}

stop_pid() {
    local pid=$1 _
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? i root pid
    set +e
    [[ -z $AGENT_PID ]] || stop_pid "$AGENT_PID"
    for root in "${ROOTS[@]}"; do
        for pid in $(processes_in "$root"); do
            echo "stopping process $pid left in $root: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
            stop_pid "$pid"
        done
    done
    [[ -z $SERVER_PID ]] || stop_pid "$SERVER_PID"
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}"
    done
    [[ -z $NETNS ]] || ip netns delete "$NETNS"
    summary "$status"
    if ((status == 0 && !KEEP)); then
        for root in "${ROOTS[@]}"; do remove_root "$root"; done
        [[ -z $WORK ]] || rm -rf -- "$WORK"
        [[ -z $STICK ]] || rm -rf -- "$STICK"
    else
        echo "kept for a look: ${ROOTS[*]} ${WORK:+$WORK (server database and logs)}" \
            "${STICK:+$STICK (the bundle)}"
    fi
    exit "$status"
}

# Never delete a root with anything still mounted in it: that would delete the host's /dev.
remove_root() {
    local root=$1
    [[ -d $root ]] || return 0
    if findmnt -rn -o TARGET | grep -q -F -- "$root/"; then
        die "$root still has mounts; not deleting it"
    fi
    rm -rf --one-file-system -- "$root"
}

# ---------------------------------------------------------------------------------------
# The roots.

parse_arguments() {
    while (($#)); do
        case $1 in
        --arch | --dir | --mirror | --lead | --tolerance-ms)
            [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
            case $1 in
            --arch) ARCH=$2 ;;
            --dir) DIR=$2 ;;
            --mirror) MIRROR=$2 ;;
            --lead) LEAD=$2 ;;
            --tolerance-ms) TOLERANCE_MS=$2 ;;
            esac
            shift 2
            ;;
        --offline) OFFLINE=1 && shift ;;
        --reuse) REUSE=1 && shift ;;
        --keep) KEEP=1 && shift ;;
        -h | --help) usage && exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
        esac
    done
    [[ $ARCH == amd64 || $ARCH == arm64 ]] || die "--arch $ARCH: amd64 or arm64"
    [[ -n $LEAD ]] || { [[ $ARCH == arm64 ]] && LEAD=150 || LEAD=75; }
    [[ $(id -u) -eq 0 ]] || die "run me as root (debootstrap, chroot and mounts need it)"
    [[ -x $REPO/.venv/bin/loaxa ]] || die "no $REPO/.venv: run scripts/setup.sh --dev first"
    mkdir -p "$DIR"
    DIR=$(cd -- "$DIR" && pwd -P)
}

# The mirror this machine's apt uses, so the root is made from what is reachable here.
host_mirror() {
    local found
    found=$(grep -rhoE '^(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^[:space:]]+' | grep -v -- '-security' | head -n 1 || true)
    printf '%s\n' "${found:-http://deb.debian.org/debian}"
}

install_host_tools() {
    begin "Host tools (debootstrap$([[ $ARCH == arm64 ]] && echo ', qemu-user-static, binfmt-support')$( ((OFFLINE)) && echo ', iproute2'))"
    local wanted=(debootstrap) missing=() package
    [[ $ARCH != arm64 ]] || wanted+=(qemu-user-static binfmt-support)
    ((!OFFLINE)) || wanted+=(iproute2)
    command -v ffmpeg >/dev/null || wanted+=(ffmpeg) # the helper makes and decodes audio
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    else
        echo "all there: ${wanted[*]}"
    fi
    [[ $ARCH != arm64 ]] || enable_qemu
    end
}

# Without systemd on this machine nothing registered qemu with the kernel: mount binfmt_misc
# and let binfmt-support do it, so arm64 programs in the root run under qemu-aarch64-static.
enable_qemu() {
    local flags
    if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
        update-binfmts --enable qemu-aarch64
    fi
    flags=$(sed -n 's/^flags: //p' /proc/sys/fs/binfmt_misc/qemu-aarch64)
    # F: the kernel opens the interpreter now, so it works inside the chroot too.
    [[ $flags == *F* ]] || die "qemu-aarch64 is registered without the F flag ($flags)"
    echo "qemu-aarch64: $(head -n 1 /proc/sys/fs/binfmt_misc/qemu-aarch64), flags $flags"
}

# A Debian bookworm base, as close to Raspberry Pi OS Lite as debootstrap gets: the
# required and important packages (systemd among them), and python3 and ca-certificates,
# which Raspberry Pi OS Lite has too. Made once; every install gets a fresh copy.
base_root() {
    local base=$DIR/$SUITE-$ARCH.base
    BASE=$base
    if ((REUSE)) && [[ -e $base/.loaxa-trial-complete ]]; then
        begin "Debian $SUITE $ARCH root: reusing $base"
        echo "made $(cat "$base/.loaxa-trial-complete"), $(du -shx "$base" | cut -f1)"
        end
        return
    fi
    begin "Debian $SUITE $ARCH root: debootstrap into $base"
    remove_root "$base"
    ROOTS+=("$base") # its mounts are cleaned up if debootstrap fails part-way
    local mirror=${MIRROR:-$(host_mirror)}
    echo "mirror: $mirror"
    debootstrap --arch="$ARCH" --include=python3,ca-certificates "$SUITE" "$base" "$mirror" \
        >"$DIR/debootstrap-$ARCH.log" 2>&1 \
        || { tail -n 30 "$DIR/debootstrap-$ARCH.log" >&2; die "debootstrap failed"; }
    tail -n 1 "$DIR/debootstrap-$ARCH.log"
    # The updates and security suites too, as a Pi's sources have.
    cat >"$base/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${mirror%/debian*}/debian-security $SUITE-security main
EOF
    ROOTS=() # complete: kept for the next --reuse
    date -u +%FT%TZ >"$base/.loaxa-trial-complete"
    du -shx "$base" | cut -f1 | sed 's/^/size: /'
    end
}

# fresh_root NAME: a copy of the base for one install; prints nothing, sets ROOT.
fresh_root() {
    ROOT=$DIR/$SUITE-$ARCH.$1
    remove_root "$ROOT"
    cp -a --reflink=auto "$BASE" "$ROOT"
    rm -f "$ROOT/.loaxa-trial-complete"
    # Its own host name, as an image has: debootstrap copied this machine's.
    echo "$DEVICE" >"$ROOT/etc/hostname"
    ROOTS+=("$ROOT")
    echo "root: $ROOT ($(du -shx "$ROOT" | cut -f1))"
}

# What a chroot needs, mounted fresh (not bound: a bind of /dev would carry mounts made
# under it back to this machine): /proc, /sys, /dev with /dev/pts and /dev/shm; and this
# machine's resolver and the CAs it trusts.
mount_root() {
    local root=$1
    mount -t proc proc "$root/proc" && MOUNTS+=("$root/proc")
    mount -t sysfs -o ro sysfs "$root/sys" && MOUNTS+=("$root/sys")
    mount -t devtmpfs -o mode=0755,nosuid udev "$root/dev" && MOUNTS+=("$root/dev")
    mount -t devpts -o mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts" \
        && MOUNTS+=("$root/dev/pts")
    mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm" && MOUNTS+=("$root/dev/shm")
    rm -f "$root/etc/resolv.conf"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    trust_host_cas "$root"
}

# A machine behind a TLS-inspecting proxy trusts the proxy's CA through
# /usr/local/share/ca-certificates; the root must too, or pip cannot reach PyPI. A Pi on a
# plain network needs none of this.
trust_host_cas() {
    local root=$1 ca
    PIP_CERT_ENV=()
    compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null || return 0
    for ca in /usr/local/share/ca-certificates/*.crt; do
        cp "$ca" "$root/usr/local/share/ca-certificates/"
    done
    in_root "$root" update-ca-certificates >/dev/null 2>&1
    echo "the root trusts this machine's extra CAs too:" \
        "$(cd /usr/local/share/ca-certificates && echo ./*.crt)"
    PIP_CERT_ENV=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
}

PIP_CERT_ENV=()
DEVICE=loaxa-trial-pi

# in_root ROOT COMMAND...: in the root, with a clean environment (none of this machine's
# pip or LOAXA_ settings), in the network namespace if there is one.
in_root() {
    local root=$1
    shift
    local netns=()
    [[ -z $NETNS ]] || netns=(ip netns exec "$NETNS")
    "${netns[@]}" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 TERM=dumb "${PIP_CERT_ENV[@]}" chroot "$root" "$@"
}

# on_host COMMAND...: on this machine, in the network namespace if there is one.
on_host() {
    if [[ -n $NETNS ]]; then
        ip netns exec "$NETNS" "$@"
    else
        "$@"
    fi
}

# The repository as `git clone` would give it, with what is not committed yet: the files
# git knows or would add, not .venv or caches.
copy_source() {
    local target=$1
    mkdir -p "$target"
    git -C "$REPO" ls-files -z --cached --others --exclude-standard \
        | (cd "$REPO" && while IFS= read -r -d '' file; do
            [[ -e $file ]] && printf '%s\0' "$file"
        done) \
        | tar -C "$REPO" --null -T - -cf - | tar -C "$target" -xf -
    echo "source: $(find "$target" -type f | wc -l) files in ${target#"$ROOT"}"
}

# ---------------------------------------------------------------------------------------
# The server.

WORK=""
STICK=""
PORT=""
URL=""

start_server() {
    begin "A real loaxa server on loopback (fresh SQLite database)$([[ -n $NETNS ]] && echo ", in network namespace $NETNS")"
    [[ -n $WORK ]] || WORK=$(mktemp -d "$DIR/work-$ARCH.XXXXXX")
    PORT=$("$REPO/.venv/bin/python" -c \
        'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    URL=http://127.0.0.1:$PORT
    # Not through on_host: a backgrounded function is a subshell, and $! would be that
    # subshell's, leaving the server running after cleanup stops it. ip netns exec and env
    # both exec, so $! is the server's own.
    local netns=()
    [[ -z $NETNS ]] || netns=(ip netns exec "$NETNS")
    "${netns[@]}" env -u LOAXA_CONFIG LOAXA_DATABASE_URL="sqlite:///$WORK/loaxa.sqlite3" \
        LOAXA_DATA_DIR="$WORK/data" "$REPO/.venv/bin/loaxa" server --host 127.0.0.1 \
        --port "$PORT" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    local _
    for _ in $(seq 600); do
        kill -0 "$SERVER_PID" 2>/dev/null \
            || { tail -n 40 "$WORK/server.log" >&2; die "the server exited"; }
        if on_host curl -fsS -o /dev/null "$URL/readyz" 2>/dev/null; then
            echo "server: $URL (pid $SERVER_PID, log $WORK/server.log)"
            break
        fi
        sleep 0.1
    done
    on_host curl -fsS -o /dev/null "$URL/readyz" || die "the server was not ready in 60 s"
    local out
    out=$(on_host "$REPO/.venv/bin/python" "$HELPER" --url "$URL" --work "$WORK" prepare \
        --database-url "sqlite:///$WORK/loaxa.sqlite3")
    printf '%s\n' "$out"
    CODE=$(tail -n 1 <<<"$out")
    end
}

CODE=""

# ---------------------------------------------------------------------------------------
# The install, and the agent.

# run_install ROOT ARGS...: install.sh from the copy of the source in the root.
# Its whole output goes to DIR/install-NAME.log, kept after the run; shown here without
# apt's and pip's line per package (a thousand lines), which that log has.
run_install() {
    local root=$1
    shift
    local log noise
    log=$DIR/install-$(basename "$root").log
    noise='^(Get:[0-9]+ |Selecting previously unselected |Preparing to unpack |Unpacking |'
    noise+='Setting up |Processing triggers for |\(Reading database |'
    noise+='  [a-z0-9][a-z0-9.+:~-]*( [a-z0-9][a-z0-9.+:~-]*)*$|  \| |'
    noise+='The following (additional |NEW )?packages|Suggested packages:|'
    noise+='Recommended packages:|  Downloading |Collecting |  Using cached |Saved |\s+━)'
    echo "(apt's and pip's line per package left out; all of it: $log)"
    set +e
    in_root "$root" /root/loaxa/deploy/pi/install.sh "$@" 2>&1 | tee "$log" \
        | grep --line-buffered -avE "$noise"
    local status=${PIPESTATUS[0]}
    set -e
    ((status == 0)) || die "install.sh exited with $status (all its output: $log)"
    INSTALL_LOG=$log
}

INSTALL_LOG=""

# What the install must have left: enrolled, the service enabled for the first boot, the
# agent alone in its virtual environment, nothing left running.
check_install() {
    local root=$1
    local problems=() wants=$root/etc/systemd/system/multi-user.target.wants owner
    # Asked in the root: its loaxa is not this machine's user of the same number.
    owner=$(in_root "$root" stat -c '%U:%G %a' /var/lib/loaxa-agent/station.json 2>&1 || true)
    [[ $owner == "loaxa:loaxa 600" ]] || problems+=("station.json is not loaxa's alone: $owner")
    [[ -L $wants/loaxa-agent.service ]] || problems+=("loaxa-agent.service is not enabled")
    [[ -L $wants/chrony.service ]] || problems+=("chrony.service is not enabled")
    grep -q "loaxa-agent.service is enabled and starts at the first boot" "$INSTALL_LOG" \
        || problems+=("install.sh did not say the agent starts at the first boot")
    # The root's own systemd (Debian's 252, as Raspberry Pi OS Bookworm has) reads the unit.
    local verify
    verify=$(in_root "$root" systemd-analyze verify /etc/systemd/system/loaxa-agent.service 2>&1) \
        || problems+=("systemd-analyze verify: $verify")
    local packages server_parts
    packages=$(in_root "$root" /opt/loaxa/.venv/bin/pip list --format=freeze 2>/dev/null)
    server_parts=$(grep -iE '^(fastapi|uvicorn|sqlmodel|sqlalchemy|alembic|weasyprint)==' \
        <<<"$packages" || true)
    [[ -z $server_parts ]] || problems+=("server packages in the agent's venv: $server_parts")
    # shellcheck disable=SC2016  # dpkg-query's own ${Status}
    if in_root "$root" dpkg-query -W -f='${Status}' ffmpeg 2>/dev/null | grep -q installed; then
        problems+=("ffmpeg (a server package) was installed")
    fi
    # Without VLC's plugin cache every VLC process loads all its plugins (about 40 MB more).
    local cache
    cache=$(compgen -G "$root/usr/lib/*/vlc/plugins/plugins.dat" | head -n 1 || true)
    [[ -n $cache ]] || problems+=("no VLC plugin cache (plugins.dat)")
    local left
    left=$(processes_in "$root")
    [[ -z $left ]] || problems+=("processes left running in the root: $left")
    echo "station.json: $owner, $(grep -o '"station_id": *[0-9]*' \
        "$root/var/lib/loaxa-agent/station.json" 2>/dev/null)"
    echo "enabled for the boot: $(cd "$wants" && echo ./*.service)"
    echo "systemd-analyze verify loaxa-agent.service: ${verify:-no complaints}"
    echo "the agent's venv: $(wc -l <<<"$packages") packages ($(du -shx "$root/opt/loaxa/.venv" \
        | cut -f1)), no server parts: $(tr '\n' ' ' <<<"$packages")"
    echo "VLC's plugin cache: ${cache#"$root"} ($(stat -c %s "$cache" 2>/dev/null) bytes)"
    echo "nothing left running in the root: ${left:-none}"
    echo "the root now: $(du -shx "$root" | cut -f1)"
    if ((${#problems[@]})); then
        printf 'problem: %s\n' "${problems[@]}" >&2
        die "the install is not what it should be"
    fi
}

# The installed agent as the service would run it at the first boot: the unit's own
# ExecStart with /etc/loaxa/agent.env, as the user loaxa, capturing into WAV files.
play_session() {
    local root=$1 capture=/var/lib/loaxa-agent/trial-capture
    begin "A session ${LEAD} s ahead, played by the installed agent (as loaxa, into WAV capture)"
    on_host "$REPO/.venv/bin/python" "$HELPER" --url "$URL" --work "$WORK" schedule \
        --lead "$LEAD"
    in_root "$root" install -d -m 0700 -o loaxa -g loaxa "$capture"
    local exec_start server opts command
    exec_start=$(sed -n 's/^ExecStart=//p' "$root/etc/systemd/system/loaxa-agent.service")
    server=$(sed -n 's/^LOAXA_SERVER=//p' "$root/etc/loaxa/agent.env")
    opts=$(sed -n 's/^LOAXA_AGENT_OPTS=//p' "$root/etc/loaxa/agent.env")
    # shellcheck disable=SC2016  # the unit's own variables, replaced as systemd would
    command=${exec_start//'${LOAXA_SERVER}'/$server}
    # shellcheck disable=SC2016
    command=${command//'$LOAXA_AGENT_OPTS'/$opts}
    # Records after a quiet spell wait up to --upload-spread (30 s) so that a province's
    # stations do not all report at once; one station need not wait.
    command+=" --capture-dir $capture --upload-spread 2"
    echo "agent: $command"
    local words
    read -r -a words <<<"$command"
    local netns=()
    [[ -z $NETNS ]] || netns=(ip netns exec "$NETNS")
    "${netns[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/loaxa-agent \
        LANG=C.UTF-8 PYTHONUNBUFFERED=1 chroot --userspec=loaxa:loaxa --groups=audio \
        "$root" "${words[@]}" >"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    local status=0
    on_host "$REPO/.venv/bin/python" "$HELPER" --url "$URL" --work "$WORK" verify \
        --capture "$root$capture" --tolerance-ms "$TOLERANCE_MS" --device "$DEVICE" \
        || status=$?
    local stopping
    stopping=$(date +%s.%N)
    stop_pid "$AGENT_PID"
    wait "$AGENT_PID" 2>/dev/null || true
    AGENT_PID=""
    echo "agent stopped on SIGTERM in $(since "$stopping") s; its log:"
    sed 's/^/  | /' "$WORK/agent.log"
    ((status == 0)) || die "the session was not played as planned (above)"
    end
}

# ---------------------------------------------------------------------------------------

online_trial() {
    base_root
    start_server
    begin "install.sh in a fresh root (no systemd running: enrol, install, enable)"
    fresh_root run
    copy_source "$ROOT/root/loaxa"
    mount_root "$ROOT"
    run_install "$ROOT" --server "$URL" --enroll "$CODE"
    end
    begin "Checks after the install"
    check_install "$ROOT"
    end
    play_session "$ROOT"
}

# The offline install, as from a USB stick: the bundle made in one fresh root with the network, installed in
# another with none. The second root, the server and the agent share a network namespace
# with only loopback in it, so the install cannot reach a mirror or PyPI even by mistake.
offline_trial() {
    base_root
    begin "install.sh --make-bundle in a fresh root (online)"
    fresh_root maker
    local maker=$ROOT stick=$DIR/bundle-$ARCH
    STICK=$stick
    copy_source "$maker/root/loaxa"
    mount_root "$maker"
    WORK=$(mktemp -d "$DIR/work-$ARCH.XXXXXX")
    run_install "$maker" --make-bundle /root/loaxa-bundle
    rm -rf -- "$stick"
    cp -a "$maker/root/loaxa-bundle" "$stick"
    echo "the bundle (as on a USB stick): $stick, $(du -sh "$stick" | cut -f1):"
    grep '^#' "$stick/MANIFEST" | sed 's/^/  /'
    echo "  $(find "$stick/debs" -name '*.deb' | wc -l) .deb files, $(find "$stick/wheels" \
        -name '*.whl' | wc -l) wheels: $(cd "$stick/wheels" && echo ./*.whl)"
    if compgen -G "$stick/wheels/hatchling-*" >/dev/null; then
        die "hatchling is in the bundle: only the build needs it"
    fi
    end

    begin "A network namespace with loopback only"
    NETNS=loaxa-pi-trial-$$
    ip netns add "$NETNS"
    ip netns exec "$NETNS" ip link set lo up
    local site
    for site in http://deb.debian.org/debian/ https://pypi.org/simple/; do
        if on_host curl -sS -m 10 -o /dev/null "$site" 2>"$DIR/curl.err"; then
            die "$site is reachable from network namespace $NETNS"
        fi
        echo "$site: unreachable, as meant ($(head -c 120 "$DIR/curl.err"))"
    done
    end

    start_server

    begin "install.sh --bundle in a second fresh root, offline (loopback only)"
    fresh_root offline
    copy_source "$ROOT/root/loaxa"
    mkdir -p "$ROOT/media/usb"
    cp -a "$stick" "$ROOT/media/usb/loaxa-bundle"
    mount_root "$ROOT"
    run_install "$ROOT" --bundle /media/usb/loaxa-bundle --server "$URL" --enroll "$CODE"
    end
    begin "Checks after the install"
    check_install "$ROOT"
    if grep -qiE "^(Get|Err|Ign):[0-9]+ https?://" "$INSTALL_LOG"; then
        die "apt tried to fetch something: $(grep -iE '^(Get|Err|Ign):' "$INSTALL_LOG" | head -3)"
    fi
    echo "apt fetched nothing; pip installed from the bundle alone (--no-index)"
    end
    play_session "$ROOT"
}

main() {
    parse_arguments "$@"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    echo "Loaxa Pi trial: Debian $SUITE $ARCH, $(git -C "$REPO" describe --always --dirty)," \
        "on $(uname -srm), $(date -u +%FT%TZ)"
    install_host_tools
    if ((OFFLINE)); then
        offline_trial
    else
        online_trial
    fi
}

# bash reads a script as it runs it: what follows main would be read from the file as it is
# when main returns, after an edit in the meantime perhaps. A compound command is read
# whole before it runs, exit with it.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
    exit
fi
