#!/bin/bash
# pam-valgrind: pam_jit.so under valgrind, over many PAM decisions in one
# long-lived process (pam-decisions.c) against a real jitd, itself under
# valgrind too: no definite or indirect leak, no invalid read, write or
# free, no use of uninitialised memory, in either. sshd and sudo load the
# module into processes that live on (and a PAM-using daemon keeps it for
# good), and jitd runs for months: a few bytes lost per decision add up.
#
#   valgrind-decisions.sh --harness PATH --module PATH --marker PATH
#                         --jitd PATH --jitctl PATH [--rounds N] [--sanitized]
#
# Needs root (pam_jit.so trusts only a root-owned socket and a root server)
# and valgrind; exits 77 otherwise. In a sanitizer build (--sanitized)
# valgrind cannot run: the same decisions run without it, ASan, UBSan and
# LeakSanitizer checking them instead.
set -euo pipefail

rounds=20
sanitized=0
while [ $# -gt 0 ]; do
        case $1 in
        --harness) harness=$2; shift 2 ;;
        --module) module=$2; shift 2 ;;
        --marker) marker=$2; shift 2 ;;
        --jitd) jitd=$2; shift 2 ;;
        --jitctl) jitctl=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --sanitized) sanitized=1; shift ;;
        *) echo "valgrind-decisions: unknown argument $1" >&2; exit 2 ;;
        esac
done

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: pam_jit.so trusts only a jitd running as root; run this test as root"
        exit 77
fi
if [ "$sanitized" = 0 ] && ! command -v valgrind >/dev/null; then
        echo "SKIP: valgrind not installed (Debian: valgrind; scripts/install-deps installs it)"
        exit 77
fi

# Short, under /tmp: the socket path must fit sun_path.
dir=$(mktemp -d /tmp/pam-jit-vg.XXXXXX)
chmod 755 "$dir"
jitd_pid=
cleanup() {
        if [ -n "$jitd_pid" ]; then
                kill -KILL "$jitd_pid" 2>/dev/null || true
                wait "$jitd_pid" 2>/dev/null || true
        fi
        [ -n "${PAM_JIT_TEST_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

# Fictional users: jitd matches listed users by name.
cat >"$dir/jitd.conf" <<EOF
[jitd]
socket = $dir/io.jit
state_directory = $dir/state
request_ttl = 1h

[login]
users = alice bob carol frank grace heidi ivan mallory

[sudo]
users = alice bob carol frank grace heidi ivan mallory

[breakglass]
users = erin
EOF

# valgrind's own reports go to files: the harness's stderr carries the
# module's syslog lines. (--keep-debuginfo: a leak in the module is named
# even when libpam has unloaded it by the time of the report.)
valgrind=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
          --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 --keep-debuginfo=yes)
jitd_runner=("${valgrind[@]}" --log-file="$dir/valgrind-jitd.log")
harness_runner=("${valgrind[@]}" --log-file="$dir/valgrind.log")
if [ "$sanitized" = 1 ]; then
        jitd_runner=()
        harness_runner=()
fi

# The approver is root in a login of root's own, as an admin logged in as
# root: jitd refuses approvals and grants from root outside any login
# (jitd(8), IDENTITY AND PERMISSIONS). The shell's loginuid is inherited by
# jitctl and the harness.
if [ "$(cat /proc/self/loginuid)" != 0 ] && ! { echo 0 > /proc/self/loginuid; } 2>/dev/null; then
        echo "SKIP: cannot set this process's audit loginuid (needs root with CAP_AUDIT_CONTROL)"
        exit 77
fi

# No system bus: this jitd must not reach the host's systemd or logind.
DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/jitd-test-no-bus \
        "${jitd_runner[@]}" "$jitd" --config "$dir/jitd.conf" >"$dir/jitd.log" 2>&1 &
jitd_pid=$!
for _ in $(seq 300); do
        "$jitctl" --socket "$dir/io.jit" list >/dev/null 2>&1 && break
        kill -0 "$jitd_pid" 2>/dev/null || { echo "jitd exited during start-up:"; cat "$dir/jitd.log"; exit 1; }
        sleep 0.1
done
"$jitctl" --socket "$dir/io.jit" list >/dev/null

for action in login sudo; do
        "$jitctl" --socket "$dir/io.jit" grant --user alice --action "$action" --duration 1h \
                --reason "valgrind decisions" >/dev/null
done

mkdir "$dir/pam.d"
service() {
        local name=$1 args=$2
        cat >"$dir/pam.d/$name" <<EOF
auth    [success=done ignore=ignore default=die] $module $args
auth    required $marker
account [success=done ignore=ignore default=die] $module $args
account required $marker
session [success=done ignore=ignore default=die] $module $args
session required $marker
EOF
}
service login "socket=$dir/io.jit action=login timeout=2000 reason=none wait=5 debug"
service sudo "socket=$dir/io.jit action=sudo timeout=2000 reason=optional wait=5"
service wait0 "socket=$dir/io.jit action=login reason=none wait=0"
service required "socket=$dir/io.jit action=login reason=required wait=5"
service missing "socket=$dir/missing.sock action=login timeout=500 reason=none"
service missing-safe "socket=$dir/missing.sock action=login timeout=500 reason=none failmode=safe journal_socket=$dir/journal.sock"
service bad "socket=$dir/io.jit bogus=1"

rc=0
"${harness_runner[@]}" "$harness" "$dir/pam.d" "$jitctl" "$dir/io.jit" "$rounds" || rc=$?
if [ -s "$dir/valgrind.log" ]; then
        echo "---- valgrind ----"
        cat "$dir/valgrind.log"
        echo "---- end ----"
fi
case $rc in
0) ;;
99) echo "valgrind found errors or definite/indirect leaks (above)"; exit 1 ;;
*) echo "pam-decisions exited $rc (unexpected PAM results or a sanitizer report, above)"; exit 1 ;;
esac

# jitd answered throughout and stops cleanly: 99 is valgrind's verdict
# on jitd, anything else but 0 jitd's own failure.
kill -TERM "$jitd_pid"
status=0
wait "$jitd_pid" || status=$?
jitd_pid=
if [ "$status" != 0 ]; then
        echo "jitd exited $status on SIGTERM:"
        cat "$dir/jitd.log"
        if [ -s "$dir/valgrind-jitd.log" ]; then
                echo "---- valgrind (jitd) ----"
                cat "$dir/valgrind-jitd.log"
                echo "---- end ----"
        fi
        exit 1
fi
