# shellcheck shell=bash
# tests/e2e/lib.sh -- a throw-away sandbox host for the end-to-end tests and
# scripts/demo: a cached Debian 12 rootfs booted with systemd-nspawn (systemd
# as PID 1, journald, logind, system D-Bus, sshd, sudo) on a private network
# and a throw-away overlay, with pam_jit.so, jitd and jitctl from the build
# tree installed into it by bind mounts. Sourced, never run; needs root.
#
#   E2E_WORK=DIR E2E_NAME=NAME; source tests/e2e/lib.sh
#   e2e_preflight || exit            # 77 (skip) when this kernel/host cannot run nspawn
#   e2e_rootfs                       # cached rootfs (built once, 1-2 min)
#   e2e_stage_jit JITD JITCTL PAM    # omit for a plain host (no pam_jit)
#   e2e_boot                         # EXIT trap tears the host down
#   e2e_start_jitd
#   in_host CMD / as_user USER CMD / run_unit CMD / in_netns CMD / e2e_ssh ...
#
# Knobs (environment): E2E_CACHE (rootfs cache, default /var/cache/pam-jit-e2e),
# E2E_MIRROR (apt sources file or URL for mmdebstrap; default: this host's),
# E2E_KEEP_LOGS=0 (delete logs of a passing run).

E2E_SOURCE=${E2E_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
E2E_CACHE=${E2E_CACHE:-/var/cache/pam-jit-e2e}
E2E_NAME=${E2E_NAME:-jit-e2e-$$}
: "${E2E_WORK:?E2E_WORK must name a scratch directory}"
E2E_SUITE=bookworm
E2E_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Debian's python3 (JSON helpers): it starts in milliseconds, unlike a version-manager shim
E2E_PYTHON=${E2E_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
# What the test host runs: systemd + D-Bus + logind, sshd, sudo, cron and
# atd (scheduled jobs go through PAM too), and the runtime libraries
# jitd/jitctl/pam_jit.so link against (checked with ldd at boot).
E2E_PACKAGES=(systemd systemd-sysv dbus libpam-systemd openssh-server sudo libpam-modules libpam-runtime
              libjson-c5 libsystemd0 libsqlite3-0 libinih1 libcurl4 libmicrohttpd12 libssl3
              ca-certificates curl iproute2 procps less cron at)
# Test users: engineers need approval (group jit-users), carol approves (jit-admin).
E2E_ENGINEERS=(alice bob)
E2E_APPROVERS=(carol)

E2E_LEADER=
E2E_NSPAWN=
E2E_BG=()          # PIDs of background helpers started on the host; killed by PID at teardown
E2E_TORN_DOWN=0
E2E_T0=${EPOCHREALTIME/./}

# ---- output ---------------------------------------------------------------------------------
e2e_elapsed() {
        local us=$((${EPOCHREALTIME/./} - E2E_T0))
        printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}
e2e_log() { printf '[%6ss] %s\n' "$(e2e_elapsed)" "$*"; }
e2e_die() { e2e_log "ERROR: $*" >&2; exit 1; }

# ---- can this machine run the host at all? ----------------------------------------------------
# Returns 77 (ctest: skipped) only for what the kernel or the environment cannot
# do; a missing tool is an error (scripts/install-deps installs them).
e2e_preflight() {
        if [ "$(id -u)" != 0 ]; then
                echo "SKIP: the end-to-end host needs root (systemd-nspawn, cgroups, mounts)"; return 77
        fi
        local t missing=()
        for t in systemd-nspawn nsenter setsid ssh ssh-keygen "$E2E_PYTHON" flock; do
                command -v "$t" >/dev/null || missing+=("$t")
        done
        [ -e "$E2E_CACHE/rootfs-$(e2e_rootfs_key)/.complete" ] || command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
        if [ ${#missing[@]} -gt 0 ]; then
                echo "ERROR: missing tools: ${missing[*]} -- run scripts/install-deps"; return 1
        fi
        if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
                echo "SKIP: this kernel has no overlayfs (needed for --volatile=overlay)"; return 77
        fi
        if ! unshare --net --pid --mount --uts --ipc --fork true 2>/dev/null; then
                echo "SKIP: cannot create namespaces here (unshare failed): no container can boot"; return 77
        fi
        if ! [ -w /sys/fs/cgroup ] && ! [ -w /sys/fs/cgroup/unified ]; then
                echo "SKIP: /sys/fs/cgroup is not writable: systemd-nspawn cannot set up the container's cgroup"; return 77
        fi
        return 0
}

# ---- the rootfs, built once and cached by its recipe ------------------------------------------
# Everything that is baked into the image (packages, users, groups, keys) is in
# e2e_provision_rootfs; its text is part of the cache key, so editing it rebuilds.
e2e_provision_rootfs() {
        local root=$1 u
        echo jit-host > "$root/etc/hostname"
        printf '127.0.0.1 localhost\n127.0.1.1 jit-host\n::1 localhost\n' > "$root/etc/hosts"
        : > "$root/etc/machine-id"   # a fresh one per boot
        chroot "$root" groupadd --system jit-users
        chroot "$root" groupadd --system jit-admin
        for u in "${E2E_ENGINEERS[@]}"; do
                chroot "$root" useradd --create-home --shell /bin/bash --groups jit-users "$u"
        done
        for u in "${E2E_APPROVERS[@]}"; do
                chroot "$root" useradd --create-home --shell /bin/bash --groups jit-admin "$u"
        done
        for u in "${E2E_ENGINEERS[@]}" "${E2E_APPROVERS[@]}"; do
                echo "$u:$(e2e_password "$u")" | chroot "$root" chpasswd
        done
        # background jobs that would only add noise to a short-lived test host
        chroot "$root" systemctl mask --quiet apt-daily.timer apt-daily-upgrade.timer \
                e2scrub_all.timer fstrim.timer 2>/dev/null || true
        rm -f "$root"/etc/ssh/ssh_host_*
        chroot "$root" ssh-keygen -A >/dev/null
        chroot "$root" apt-get clean
}
e2e_password() { printf '%s-pw' "$1"; }

e2e_rootfs_key() {
        { echo "$E2E_SUITE ${E2E_PACKAGES[*]} ${E2E_ENGINEERS[*]} ${E2E_APPROVERS[*]}"
          declare -f e2e_provision_rootfs e2e_password; } | sha1sum | cut -c1-12
}

e2e_mirror() {
        if [ -n "${E2E_MIRROR:-}" ]; then echo "$E2E_MIRROR"
        elif [ -f /etc/apt/sources.list.d/debian.sources ]; then echo /etc/apt/sources.list.d/debian.sources
        elif [ -s /etc/apt/sources.list ]; then echo /etc/apt/sources.list
        else echo http://deb.debian.org/debian; fi
}

# Sets E2E_ROOT. Concurrent runs wait on one lock; the image appears atomically.
e2e_rootfs() {
        local key pkgs tmp
        key=$(e2e_rootfs_key)
        E2E_ROOT=$E2E_CACHE/rootfs-$key
        mkdir -p "$E2E_CACHE" "$E2E_WORK"
        if [ -e "$E2E_ROOT/.complete" ]; then
                e2e_log "rootfs: cached $E2E_ROOT"; touch "$E2E_ROOT/.complete"; return 0
        fi
        exec {lockfd}>"$E2E_CACHE/.lock"
        flock "$lockfd"
        if [ ! -e "$E2E_ROOT/.complete" ]; then
                e2e_log "rootfs: building $E2E_ROOT (mmdebstrap, 1-2 min; log: $E2E_WORK/rootfs-build.log)"
                tmp=$E2E_CACHE/.build-$key-$$
                # we hold the lock: any other .build-* is left by a killed build
                rm -rf "$E2E_CACHE"/.build-* "$E2E_ROOT"
                pkgs=$(IFS=,; echo "${E2E_PACKAGES[*]}")
                if ! mmdebstrap --variant=minbase --include="$pkgs" "$E2E_SUITE" "$tmp" "$(e2e_mirror)" \
                        >"$E2E_WORK/rootfs-build.log" 2>&1 </dev/null; then
                        rm -rf "$tmp"; flock -u "$lockfd"
                        tail -n 30 "$E2E_WORK/rootfs-build.log" >&2
                        e2e_die "rootfs build failed (network? mirror $(e2e_mirror))"
                fi
                e2e_provision_rootfs "$tmp" >>"$E2E_WORK/rootfs-build.log" 2>&1 \
                        || { rm -rf "$tmp"; flock -u "$lockfd"; e2e_die "rootfs provisioning failed"; }
                touch "$tmp/.complete"
                mv "$tmp" "$E2E_ROOT"
                # images of other recipes not used for two weeks go
                find "$E2E_CACHE" -mindepth 2 -maxdepth 2 -name .complete -mtime +14 -printf '%h\n' 2>/dev/null |
                        while read -r old; do [ "$old" = "$E2E_ROOT" ] || rm -rf "$old"; done
                e2e_log "rootfs: built"
        else
                e2e_log "rootfs: cached $E2E_ROOT (built by a concurrent run)"
        fi
        flock -u "$lockfd"
        exec {lockfd}>&-
}

# ---- what goes into the host ------------------------------------------------------------------
# Everything is staged under $E2E_WORK/stage and bind-mounted read-only at
# boot, so the cached image never changes and every boot starts clean.
E2E_BINDS=()
e2e_bind() { E2E_BINDS+=("--bind-ro=$1:$2"); }

# The PAM module directory of the host's architecture (multiarch), e.g.
# /usr/lib/x86_64-linux-gnu/security.
e2e_pam_dir() {
        local f
        f=$(cd "$E2E_ROOT" && ls -d usr/lib/*/security/pam_unix.so lib/*/security/pam_unix.so 2>/dev/null | head -n1)
        [ -n "$f" ] || e2e_die "no pam_unix.so in $E2E_ROOT"
        echo "/$(dirname "$f")"
}

# Common to every host: users' ssh keys, sshd and sudoers drop-ins.
e2e_stage_common() {
        local st=$E2E_WORK/stage fix=$E2E_SOURCE/config/e2e u f
        rm -rf "$st"; mkdir -p "$st/authorized_keys" "$E2E_WORK/keys"
        [ -f "$E2E_WORK/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C e2e -f "$E2E_WORK/keys/id_ed25519"
        for u in "${E2E_ENGINEERS[@]}" "${E2E_APPROVERS[@]}"; do
                install -m 0644 "$E2E_WORK/keys/id_ed25519.pub" "$st/authorized_keys/$u"
        done
        # the host's keys are in the image: ssh checks them like any known host
        for f in "$E2E_ROOT"/etc/ssh/ssh_host_*_key.pub; do
                printf '127.0.0.1 %s\n[127.0.0.1]:2222 %s\n' "$(cut -d' ' -f1,2 "$f")" "$(cut -d' ' -f1,2 "$f")"
        done > "$E2E_WORK/known_hosts"
        install -m 0644 "$fix/sshd_config" "$st/sshd_config"
        install -m 0440 "$fix/sudoers" "$st/sudoers"
        install -m 0755 "$E2E_SOURCE/tests/e2e/askpass" "$st/askpass"
        E2E_BINDS=()
        e2e_bind "$st/askpass" /usr/local/bin/e2e-askpass
        e2e_bind "$st/authorized_keys" /etc/ssh/authorized_keys
        e2e_bind "$st/sshd_config" /etc/ssh/sshd_config.d/jit-e2e.conf
        e2e_bind "$st/sudoers" /etc/sudoers.d/jit-e2e
}

# pam_jit.so, jitd, jitctl, the unit, the shipped config and the PAM stacks.
# Copies, so a rebuild during a run cannot change what the host runs.
# With E2E_DEBS=DIR the host runs the built packages instead (jitd_*.deb and
# libpam-jit_*.deb in DIR, installed with apt after boot by
# e2e_install_debs): no binaries, unit or config are bound, jitd is started
# by systemd through jitd.socket, and the test's PAM stacks and jitd.conf.d
# drop-ins are copied over what the packages installed.
# Both packages built in DIR?
e2e_have_debs() { compgen -G "$1/jitd_*.deb" >/dev/null && compgen -G "$1/libpam-jit_*.deb" >/dev/null; }

e2e_stage_jit() {
        local jitd=$1 jitctl=$2 pam=$3 st=$E2E_WORK/stage fix=$E2E_SOURCE/config/e2e f
        mkdir -p "$st/jit"
        if [ -n "${E2E_DEBS:-}" ]; then
                e2e_have_debs "$E2E_DEBS" || e2e_die "no jitd_*.deb and libpam-jit_*.deb in $E2E_DEBS"
                mkdir -p "$st/debs"
                cp "$E2E_DEBS"/jitd_*.deb "$E2E_DEBS"/libpam-jit_*.deb "$st/debs/"
                e2e_bind "$st/debs" /srv/jit-debs
        else
                for f in "$jitd" "$jitctl" "$pam"; do [ -f "$f" ] || e2e_die "missing build artifact: $f"; done
                [ -f "$E2E_SOURCE/config/jitd.conf" ] || e2e_die "missing $E2E_SOURCE/config/jitd.conf (the shipped default config)"
                install -m 0755 "$jitd" "$st/jit/jitd"
                install -m 0755 "$jitctl" "$st/jit/jitctl"
                install -m 0644 "$pam" "$st/jit/pam_jit.so"
                install -m 0644 "$E2E_SOURCE/tests/e2e/jitd.service" "$st/jit/jitd.service"
                install -m 0644 "$E2E_SOURCE/config/jitd.conf" "$st/jit/jitd.conf"
                e2e_bind "$st/jit/jitd" /usr/sbin/jitd
                e2e_bind "$st/jit/jitctl" /usr/bin/jitctl
                e2e_bind "$st/jit/pam_jit.so" "$(e2e_pam_dir)/pam_jit.so"
                e2e_bind "$st/jit/jitd.service" /etc/systemd/system/jitd.service
                e2e_bind "$st/jit/jitd.conf" /etc/jitd/jitd.conf
        fi
        for f in sshd sudo sudo-i cron atd systemd-user; do
                install -m 0644 "$fix/pam.d/$f" "$st/jit/pam-$f"
                e2e_place "$st/jit/pam-$f" "/etc/pam.d/$f"
        done
        if [ -d "$fix/jitd.conf.d" ] && compgen -G "$fix/jitd.conf.d/*.conf" >/dev/null; then
                mkdir -p "$st/jit/jitd.conf.d"
                install -m 0644 "$fix"/jitd.conf.d/*.conf "$st/jit/jitd.conf.d/"
                e2e_place "$st/jit/jitd.conf.d" /etc/jitd/jitd.conf.d
        fi
}

# A file or directory of the test's own configuration at DST in the host:
# bound read-only, or with E2E_DEBS, copied there once the packages are in
# (dpkg must be free to write what the packages own; a directory's files
# are copied into the packages' directory).
E2E_PLACES=()
e2e_place() {   # SRC DST
        if [ -n "${E2E_DEBS:-}" ]; then
                e2e_bind "$1" "/srv/jit-place/${#E2E_PLACES[@]}"
                E2E_PLACES+=("$2")
        else
                e2e_bind "$1" "$2"
        fi
}

# E2E_DEBS: apt installs the packages as an admin would (their dependencies
# are in the image), the test's files go into place, and jitd is left for
# its socket to start.
e2e_install_debs() {
        local i dst debs=()
        for i in "$E2E_WORK"/stage/debs/*.deb; do debs+=("/srv/jit-debs/${i##*/}"); done
        if ! in_host env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 install \
                --no-install-recommends "${debs[@]}" \
                >"$E2E_WORK/install.log" 2>&1; then
                cat "$E2E_WORK/install.log" >&2; e2e_die "apt-get install of the packages failed"
        fi
        e2e_log "installed: $(in_host dpkg-query -W -f '${Package} ${Version}; ' jitd libpam-jit)"
        for i in "${!E2E_PLACES[@]}"; do
                dst=${E2E_PLACES[$i]}
                if in_host test -d "/srv/jit-place/$i"; then
                        in_host sh -c "mkdir -p '$dst' && cp -a /srv/jit-place/$i/. '$dst/'"
                else
                        in_host cp "/srv/jit-place/$i" "$dst"
                fi
        done
        in_host systemctl stop jitd.service 2>/dev/null   # (its socket stays: "can still be activated")
}

# ---- boot and teardown ------------------------------------------------------------------------
# nspawn puts its payload/supervisor cgroups below the caller's cgroup. The
# caller sits at the root here (the host's PID 1 is not systemd), so each host
# gets its own sub-cgroup, removed at teardown; otherwise two hosts collide
# and directories leak at the cgroup roots.
e2e_cgroup_dirs() {
        if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
                echo "/sys/fs/cgroup/e2e-$E2E_NAME"
        else
                echo "/sys/fs/cgroup/unified/e2e-$E2E_NAME /sys/fs/cgroup/systemd/e2e-$E2E_NAME"
        fi
}

e2e_boot() {
        local d c state cgdirs
        [ -n "${E2E_ROOT:-}" ] || e2e_die "e2e_rootfs first"
        [ -d "$E2E_WORK/stage" ] || e2e_stage_common
        cgdirs=$(e2e_cgroup_dirs)
        # leftovers of hosts killed without teardown: only empty directories,
        # and not those of a host that another run is setting up right now
        for d in /sys/fs/cgroup/e2e-jit-* /sys/fs/cgroup/unified/e2e-jit-* /sys/fs/cgroup/systemd/e2e-jit-*; do
                [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 0 -mmin +10)" ] &&
                        find "$d" -depth -type d -empty -delete 2>/dev/null
        done
        for d in $cgdirs; do mkdir -p "$d"; done
        trap e2e_teardown EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        e2e_log "boot: $E2E_NAME"
        (
                for d in $cgdirs; do echo "$BASHPID" > "$d/cgroup.procs"; done
                export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
                # --pdeathsig: if this script is killed outright, the host powers off anyway
                exec setsid setpriv --pdeathsig TERM systemd-nspawn --quiet \
                        --directory="$E2E_ROOT" --machine="$E2E_NAME" --hostname=jit-host \
                        --boot --volatile=overlay --private-network \
                        --register=no --keep-unit --console=read-only \
                        "${E2E_BINDS[@]}" \
                        </dev/null >"$E2E_WORK/console.log" 2>&1
        ) &
        E2E_NSPAWN=$!
        # the leader is nspawn's child running systemd
        for _ in $(seq 1 600); do
                for c in $(ps --ppid "$E2E_NSPAWN" -o pid= 2>/dev/null); do
                        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && E2E_LEADER=$c
                done
                [ -n "$E2E_LEADER" ] && break
                kill -0 "$E2E_NSPAWN" 2>/dev/null || break
                sleep 0.05
        done
        if [ -z "$E2E_LEADER" ]; then
                cat "$E2E_WORK/console.log" >&2; e2e_die "the host did not start (console above)"
        fi
        wait_for 20 in_host test -S /run/dbus/system_bus_socket || true
        state=$(in_host timeout 90 systemctl is-system-running --wait 2>/dev/null || true)
        case $state in
        running) e2e_log "boot: $state" ;;
        *) in_host systemctl --failed --no-pager >&2 || true
           e2e_die "host state after boot: '$state' (console: $E2E_WORK/console.log)" ;;
        esac
        [ -z "${E2E_DEBS:-}" ] || e2e_install_debs
}

e2e_save_logs() {
        [ -n "$E2E_LEADER" ] && kill -0 "$E2E_LEADER" 2>/dev/null || return 0
        in_host journalctl --no-pager -o short-precise > "$E2E_WORK/journal.txt" 2>&1
        in_host journalctl --no-pager -o export > "$E2E_WORK/journal.export" 2>/dev/null
        in_host journalctl --no-pager -o verbose -t jitd > "$E2E_WORK/jitd-journal.txt" 2>/dev/null
        in_host systemctl status --no-pager jitd.service > "$E2E_WORK/jitd-status.txt" 2>&1
}

e2e_teardown() {
        local rc=$? p d
        [ "$E2E_TORN_DOWN" = 1 ] && return 0
        E2E_TORN_DOWN=1
        set +e
        for p in "${E2E_BG[@]}"; do kill "$p" 2>/dev/null; done
        e2e_save_logs
        if [ -n "$E2E_NSPAWN" ]; then
                kill -TERM "$E2E_NSPAWN" 2>/dev/null   # nspawn: SIGTERM = orderly poweroff
                for _ in $(seq 1 300); do kill -0 "$E2E_NSPAWN" 2>/dev/null || break; sleep 0.05; done
                kill -KILL "$E2E_NSPAWN" 2>/dev/null
                wait "$E2E_NSPAWN" 2>/dev/null
        fi
        for d in $(e2e_cgroup_dirs); do [ -d "$d" ] && find "$d" -depth -type d -delete 2>/dev/null; done
        if [ "$rc" = 0 ] && [ "${E2E_KEEP_LOGS:-1}" = 0 ]; then
                rm -f "$E2E_WORK"/journal.* "$E2E_WORK"/jitd-*.txt
        elif [ "$rc" != 0 ]; then
                echo "logs: $E2E_WORK/{console.log,journal.txt,journal.export,jitd-journal.txt,jitd-status.txt}" >&2
        fi
        return "$rc"
}

# ---- running things in the host ---------------------------------------------------------------
# All namespaces, a clean environment (nsenter would pass the caller's on).
in_host() {
        nsenter -t "$E2E_LEADER" -a env -i PATH="$E2E_PATH" TERM=dumb LANG=C.UTF-8 "$@"
}
# A command as USER, with USER's groups, without PAM (no login session).
as_user() {
        local u=$1; shift
        in_host setpriv --reuid="$u" --regid="$u" --init-groups --reset-env "$@"
}
# Anything that opens a PAM/logind session must run in the host's own cgroup
# tree, as a transient unit; from a plain nsenter it stalls in pam_systemd.
run_unit() { in_host systemd-run --wait --pipe --quiet --collect "$@"; }
# A binary of this machine in the host's network namespace (its loopback).
# For a background process call nsenter directly, so $! is the process itself.
in_netns() { nsenter -t "$E2E_LEADER" -n "$@"; }

e2e_start_jitd() {
        in_host systemctl daemon-reload
        if [ -n "${E2E_DEBS:-}" ]; then
                # the packages' way: the socket listens, the first client starts jitd
                in_host systemctl -q is-active jitd.socket || e2e_die "jitd.socket is not listening after the install"
                in_host timeout 30 jitctl list >/dev/null || e2e_die "jitd did not answer through its socket"
        elif ! in_host timeout 30 systemctl start jitd.service; then
                in_host systemctl status --no-pager jitd.service >&2
                in_host journalctl --no-pager -b -u jitd.service -n 50 >&2
                e2e_die "jitd did not start"
        fi
        if ! in_host systemctl -q is-active jitd.service; then
                in_host systemctl status --no-pager jitd.service >&2
                e2e_die "jitd.service is not running"
        fi
        wait_for 5 in_host test -S /run/jitd/io.jit || e2e_die "jitd runs but /run/jitd/io.jit is missing"
        e2e_log "jitd: $(in_host systemctl show -P ActiveState jitd.service) (pid $(in_host systemctl show -P MainPID jitd.service))"
}
# jitd down and up again, as an outage is: with the packages' socket unit the
# socket goes too, or the next client would start jitd right away.
e2e_stop_jitd() {
        if [ -n "${E2E_DEBS:-}" ]; then in_host systemctl stop jitd.socket jitd.service
        else in_host systemctl stop jitd.service; fi
}
e2e_resume_jitd() {
        if [ -n "${E2E_DEBS:-}" ]; then in_host systemctl start jitd.socket jitd.service
        else in_host systemctl start jitd.service; fi
}

# Libraries the host lacks for our binaries show up here, not as a cryptic exec failure.
e2e_check_libs() {
        local f out
        for f in /usr/sbin/jitd /usr/bin/jitctl "$(e2e_pam_dir)/pam_jit.so"; do
                out=$(in_host ldd "$f" 2>&1 | grep 'not found') && e2e_die "$f in the host: $out"
        done
        return 0
}

# ---- ssh from this machine into the host ------------------------------------------------------
# e2e_ssh USER [ssh options] -- COMMAND : a public-key login only (BatchMode).
# With E2E_EXEC=1 (in a background subshell) the ssh process replaces the
# subshell, so $! can be waited for and killed.
e2e_ssh_opts() {
        E2E_SSH_OPTS=(-F /dev/null -i "$E2E_WORK/keys/id_ed25519" -o IdentitiesOnly=yes
                -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$E2E_WORK/known_hosts"
                -o ConnectTimeout=10 -o ServerAliveInterval=5)
}
e2e_ssh() {
        local u=$1; shift
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        [ "${1:-}" = -- ] && shift
        e2e_ssh_opts
        ${E2E_EXEC:+exec} timeout 150 nsenter -t "$E2E_LEADER" -n ssh "${E2E_SSH_OPTS[@]}" -o BatchMode=yes \
                -o PreferredAuthentications=publickey "${opts[@]}" "$u@127.0.0.1" "$@" </dev/null
}

# e2e_ssh_interactive USER LOGFILE REASON [ssh options] -- COMMAND
# Key, then keyboard-interactive (port 2222: AuthenticationMethods
# publickey,keyboard-interactive). SSH_ASKPASS (tests/e2e/askpass) answers
# every prompt and appends it to LOGFILE (pam_jit's messages come with the
# prompt text): REASON to the reason question, Enter to "Press Enter".
e2e_ssh_interactive() {
        local u=$1 log=$2 reason=$3; shift 3
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        [ "${1:-}" = -- ] && shift
        e2e_ssh_opts
        ${E2E_EXEC:+exec} env E2E_ASKPASS_LOG="$log" E2E_ASKPASS_REASON="$reason" \
                E2E_ASKPASS_PASSWORD="$(e2e_password "$u")" \
                SSH_ASKPASS="$E2E_SOURCE/tests/e2e/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY= \
                timeout 150 nsenter -t "$E2E_LEADER" -n setsid -w ssh "${E2E_SSH_OPTS[@]}" -p 2222 \
                -o PreferredAuthentications=publickey,keyboard-interactive -o NumberOfPasswordPrompts=1 \
                "${opts[@]}" "$u@127.0.0.1" "$@" </dev/null
}

# ---- jitd state through jitctl ----------------------------------------------------------------
jitctl_root() { in_host jitctl "$@"; }
jitctl_as() { local u=$1; shift; as_user "$u" jitctl "$@"; }

# json_get EXPR: evaluate a Python expression on the JSON document on stdin
# (bound to `d`); prints str/int as is, anything else as JSON; fails on error.
json_get() {
        "$E2E_PYTHON" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError as e:
    sys.exit("json_get: not JSON: %s" % e)
try:
    v = eval(sys.argv[1], {"__builtins__": {"len": len, "next": next, "sorted": sorted, "any": any, "all": all}}, {"d": d})
except Exception as e:
    sys.exit("json_get %s: %r" % (sys.argv[1], e))
if v is None: sys.exit(1)
print(v if isinstance(v, (str, int)) else json.dumps(v))' "$1"
}

# The pending request of USER for ACTION (id), or nothing.
e2e_pending_request() {
        jitctl_root list --pending --json |
                json_get "next((r['id'] for r in d.get('requests', []) if r.get('user') == '$1' and r.get('action') == '$2' and r.get('state') == 'pending'), None)"
}
# Wait up to SECS for a pending request of USER/ACTION; prints its id.
e2e_wait_pending_request() {
        local u=$1 a=$2 end=$((SECONDS + ${3:-20})) id
        while :; do
                id=$(e2e_pending_request "$u" "$a" 2>/dev/null) && [ -n "$id" ] && { echo "$id"; return 0; }
                [ "$SECONDS" -lt "$end" ] || return 1
                sleep 0.1
        done
}

# A request's or grant's field, through `jitctl show ID --json`.
request_field() {
        jitctl_root show "$1" --json | json_get "(d.get('request') or d).get('$2')"
}
grant_field() {
        jitctl_root show "$1" --json | json_get "(d.get('grant') or d).get('$2')"
}
grant_state_is() { [ "$(grant_field "$1" state)" = "$2" ]; }   # GRANT_ID STATE
# Live grant ids of USER for ACTION.
active_grants() {
        jitctl_root list --active --json |
                json_get "' '.join(g['id'] for g in d.get('grants', []) if g.get('user') == '$1' and g.get('action') == '$2')"
}

# ---- waiting ----------------------------------------------------------------------------------
wait_for() {   # SECS CMD...: poll until CMD succeeds (at least once, at most ~SECS)
        local end=$((SECONDS + $1)); shift
        while :; do
                "$@" 2>/dev/null && return 0
                [ "$SECONDS" -lt "$end" ] || return 1
                sleep 0.1
        done
}
wait_exit() {   # PID SECS: wait for a background process; its status, or 124 (killed) on timeout
        local pid=$1 end=$((SECONDS + $2))
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 124; fi
        wait "$pid"
}

# ---- sudo inside an ssh session -----------------------------------------------------------------
# The shell command (for ssh) that runs sudo ARGS as USER with the test
# askpass (sudo -A): pam_jit's reason question gets REASON, the password
# question USER's password; every prompt is appended to /tmp/askpass-USER.log
# in the host and, with its answer, echoed into the command's output, which
# holds sudo's stderr too (one stream, in the order a terminal shows it).
sudo_cmd() {   # USER REASON SUDO-ARGS...
        local u=$1 reason=$2; shift 2
        printf 'env E2E_ASKPASS_LOG=/tmp/askpass-%s.log E2E_ASKPASS_ECHO=1 E2E_ASKPASS_REASON=%q E2E_ASKPASS_PASSWORD=%q SUDO_ASKPASS=/usr/local/bin/e2e-askpass sudo -A' \
                "$u" "$reason" "$(e2e_password "$u")"
        printf ' %q' "$@"
        printf ' 2>&1'
}
# A command for sudo that says whom it ran as.
# shellcheck disable=SC2034,SC2016 # used by the sourcing scripts; expands in the host
SUDO_MARK=(sh -c 'echo SUDO-AS-UID-$(id -u)')

# MESSAGE_ID of an audit event, read from the project's header (single source of truth).
e2e_message_id() {
        sed -n "s/^#define JIT_MESSAGE_ID_$1 \"\([0-9a-f]\{32\}\)\"/\1/p" "$E2E_SOURCE/common/jit-message-ids.h"
}

# ---- approvers on the web: a webhook receiver and review links ------------------------------------
# e2e_stage_approvers (before e2e_boot) adds a drop-in to the shipped
# config: carol approves logins from a review link; one generic webhook,
# signed with a root-only secret, to a receiver on the host's loopback,
# which e2e_start_webhook_receiver (after boot) starts. What it receives is
# in $E2E_WEBHOOK_LOG, one JSON record per message.
E2E_RECEIVER_PORT=9999
E2E_REVIEW_PORT=8743
E2E_WEBHOOK_LOG=$E2E_WORK/webhooks.jsonl
e2e_stage_approvers() {
        local d=$E2E_WORK/stage/jit/jitd.conf.d s=$E2E_WORK/stage/jit/secret
        mkdir -p "$d" "$s"
        e2e_place "$d" /etc/jitd/jitd.conf.d
        e2e_bind "$s" /etc/jitd/secret
        E2E_WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64 -w0)"
        (umask 077; printf '%s\n' "$E2E_WEBHOOK_SECRET" > "$s/webhook")
        chmod 0700 "$s"
        cat > "$d/90-approvers.conf" <<EOF
# carol approves logins from her review link (tests/e2e/lib.sh)
[login]
approvers = carol
[review]
listen = 127.0.0.1:$E2E_REVIEW_PORT
[webhook chat]
url = http://127.0.0.1:$E2E_RECEIVER_PORT/hook
allow_http_loopback = yes
secret_file = /etc/jitd/secret/webhook
retry_initial = 1s
EOF
        chmod 0644 "$d/90-approvers.conf"
}

# In the host's network namespace (its loopback); killed by PID at teardown.
e2e_start_webhook_receiver() {
        nsenter -t "$E2E_LEADER" -n "$E2E_PYTHON" "$E2E_SOURCE/tests/tools/webhook-receiver.py" \
                --port "$E2E_RECEIVER_PORT" --log "$E2E_WEBHOOK_LOG" --secret "$E2E_WEBHOOK_SECRET" \
                >"$E2E_WORK/receiver.out" 2>&1 &
        E2E_BG+=("$!")
        wait_for 10 test -s "$E2E_WORK/receiver.out"
}

# The review link for APPROVER in the "created" message of REQUEST, once it arrived.
e2e_review_link() {   # REQUEST_ID APPROVER
        [ -s "$E2E_WEBHOOK_LOG" ] || return 1
        "$E2E_PYTHON" - "$E2E_WEBHOOK_LOG" "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    body = json.loads(json.loads(line)["body"])
    if body.get("type") == "jit.request.created" and body["data"]["request_id"] == sys.argv[2]:
        for link in body["data"]["review_links"]:
            if link.get("approver") == sys.argv[3]:
                print(link["url"])
                sys.exit(0)
sys.exit(1)
EOF
}

# Every message about REQUEST arrived with a valid signature (the receiver checks).
e2e_webhook_signed() {   # REQUEST_ID
        "$E2E_PYTHON" - "$E2E_WEBHOOK_LOG" "$1" <<'EOF'
import json, sys
ok = [json.loads(l).get("signature_valid") for l in open(sys.argv[1]) if sys.argv[2] in l]
sys.exit(0 if ok and all(ok) else 1)
EOF
}

# curl in the host's network namespace: the review server listens on its loopback.
host_curl() { in_netns curl -sS --noproxy '*' --max-time 20 "$@"; }

# The CSRF token of the review page's form.
e2e_form_token() {   # PAGE-FILE
        sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$1" | head -n1
}

# ---- for the case scripts (run-case.sh, lifecycle.sh, review.sh, install-test.sh) ---------------
# Every check is logged; the script's exit status counts the failures.
FAILS=0
ok() { e2e_log "ok: $*"; }
fail() { e2e_log "FAIL: $*"; FAILS=$((FAILS + 1)); }
# check WHAT CMD...: CMD must succeed
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# refute WHAT CMD...: CMD must fail
refute() { local what=$1; shift; if "$@"; then fail "$what"; else ok "$what"; fi; }
show() { sed 's/^/    | /' "$@"; }   # quote what a user saw, for the log
contains() { grep -qF -- "$2" "$1"; }
matches() { [[ $1 =~ $2 ]]; }
# shellcheck disable=SC2034 # used by the sourcing scripts
REQ_ID_RE='^r[0-9a-z]{16}$'

# What the host will run: the packages in E2E_DEBS (a skip, 77, when they
# were not built), or the three build artifacts (usage error, 2, if one is
# missing).
e2e_require_artifacts() {   # JITD JITCTL PAM
        local f
        if [ -n "${E2E_DEBS:-}" ]; then
                if ! e2e_have_debs "$E2E_DEBS"; then
                        echo "SKIP: no jitd/libpam-jit .debs in $E2E_DEBS (packaging-debs did not build them)"; exit 77
                fi
                e2e_log "against the installed packages in $E2E_DEBS"
                return 0
        fi
        for f in "$@"; do
                if [ -z "$f" ] || [ ! -f "$f" ]; then echo "missing --jitd/--jitctl/--pam ($f)" >&2; exit 2; fi
        done
}

# The end of a case script: its verdict and exit status.
e2e_verdict() {   # WHAT
        if [ "$FAILS" -gt 0 ]; then
                e2e_log "$1: $FAILS check(s) failed"
                exit 1
        fi
        e2e_log "$1: passed"
}
