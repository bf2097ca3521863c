#!/bin/bash
# tests/packaging/install-test.sh -- the built packages on a booted test host
# (tests/e2e/lib.sh), installed with apt the way an admin does, then used:
#
#   - both units enabled and running; jitd started by the socket, restarted
#     and upgraded without a refused connection; a bad configuration does
#     not stop jitd (it starts degraded; tests/e2e/failsafe.sh walks every
#     bad state) and a restart works at once after the repair
#   - the sandbox: no capabilities, read-only system, and still allowed what
#     jitd needs (transient timers over D-Bus, TerminateSession, writing a
#     user's terminal, dropping sudo timestamps); systemd-analyze security
#   - journalctl -x explains a jitd event from the catalog
#   - the pam-auth-update profile: off until enabled; then ssh, sudo and
#     sudo -i are gated and sessions recorded, cron/atd/systemd-user checked
#     without a request, other services are not; the README's sshd setups for
#     it let a key-only engineer (plain useradd, no password) in with a grant
#     and show the request without; disabled cleanly
#   - purge leaves a host whose logins work and no trace of jitd's state
#
#   install-test.sh --source DIR --debs DIR --workdir DIR
#
# Exit 0 pass, 1 fail, 77 skip (no root, no container support, no .debs).
set -euo pipefail

SOURCE='' DEBS='' WORKDIR=''
while [ $# -gt 0 ]; do
        case $1 in
        --source) SOURCE=$2; shift 2 ;;
        --debs) DEBS=$2; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        *) echo "usage: $0 --source DIR --debs DIR --workdir DIR" >&2; exit 2 ;;
        esac
done
[ -n "$SOURCE" ] && [ -n "$DEBS" ] && [ -n "$WORKDIR" ] || {
        echo "usage: $0 --source DIR --debs DIR --workdir DIR" >&2; exit 2; }

export E2E_SOURCE=$SOURCE E2E_WORK=$WORKDIR E2E_NAME="jit-e2e-packaging-$$"
rm -rf "$WORKDIR"; mkdir -p "$WORKDIR"
# shellcheck source=../e2e/lib.sh
source "$SOURCE/tests/e2e/lib.sh"

rc=0; e2e_preflight || rc=$?
[ "$rc" = 0 ] || exit "$rc"
if ! e2e_have_debs "$DEBS"; then
        echo "SKIP: no jitd/libpam-jit .debs in $DEBS (packaging-debs did not build them)"; exit 77
fi

e2e_rootfs
e2e_stage_common
# dave: an engineer added on the host by plain useradd (the key-only checks)
install -m 0644 "$WORKDIR/keys/id_ed25519.pub" "$WORKDIR/stage/authorized_keys/dave"
mkdir -p "$WORKDIR/debs"
cp "$DEBS"/jitd_*.deb "$DEBS"/libpam-jit_*.deb "$WORKDIR/debs/"
e2e_bind "$WORKDIR/debs" /srv/jit-debs
DEB_JITD=/srv/jit-debs/$(basename "$(ls "$WORKDIR"/debs/jitd_*.deb)")
DEB_PAM=/srv/jit-debs/$(basename "$(ls "$WORKDIR"/debs/libpam-jit_*.deb)")
e2e_boot

apt_in_host() { in_host env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0 "$@"; }
pam_lines() { in_host grep -c 'pam_jit\.so' "/etc/pam.d/$1" || true; }   # FILE: how many lines name pam_jit.so
main_pid() { in_host systemctl show -P MainPID jitd.service; }
active() { [ "$(in_host systemctl is-active "$1")" = active ]; }

# jitctl status as alice over and over for SECS, in the background; the
# counts of answered and refused calls end up in FILE, the errors in
# FILE.err. A generous --timeout: a slow start on a loaded machine is not
# what this is about, a missing or refusing socket is.
CLIENT_PID=
clients_start() {   # SECS FILE
        local secs=$1 file=$2
        ( ok=0 bad=0 end=$((SECONDS + secs))
          while [ "$SECONDS" -lt "$end" ]; do
                  if as_user alice jitctl --timeout 30000 status >/dev/null 2>>"$file.err"; then
                          ok=$((ok + 1))
                  else
                          bad=$((bad + 1))
                  fi
          done
          echo "$ok $bad" >"$file" ) &
        CLIENT_PID=$!; E2E_BG+=("$CLIENT_PID")
}
clients_refused() {   # FILE: succeeds if every call was answered (and there were some)
        local ok bad
        wait "$CLIENT_PID" 2>/dev/null || true
        read -r ok bad <"$1" || return 1
        e2e_log "    clients: $ok answered, $bad refused"
        [ "$bad" = 0 ] || sort "$1.err" | uniq -c | show
        [ "$ok" -gt 0 ] && [ "$bad" = 0 ]
}

# ---- install ----------------------------------------------------------------------------------
check "apt-get install ./jitd_*.deb ./libpam-jit_*.deb" \
        apt_in_host install --no-install-recommends "$DEB_JITD" "$DEB_PAM" \
        >"$WORKDIR/install.log" 2>&1
grep -E 'Created symlink|^Setting up|W: |E: ' "$WORKDIR/install.log" | show || true

check "jitd.socket and jitd.service are enabled" \
        test "$(in_host systemctl is-enabled jitd.socket jitd.service | sort -u)" = enabled
check "jitd.socket is listening" active jitd.socket
check "jitd.service is running" active jitd.service
check "systemd-analyze verify accepts both units" in_host systemd-analyze verify --man=no jitd.socket jitd.service
check "audit entries are not rate-limited by journald (LogRateLimitIntervalSec=0)" \
        test "$(in_host systemctl show -P LogRateLimitIntervalUSec jitd.service)" = 0
check "/run/jitd/io.jit: a root socket, mode 0666" test "$(in_host stat -c '%F %U %a' /run/jitd/io.jit)" = "socket root 666"
check "/run/jitd: mode 0755" test "$(in_host stat -c '%U %a' /run/jitd)" = "root 755"
check "/var/lib/jitd: mode 0700" test "$(in_host stat -c '%U %a' /var/lib/jitd)" = "root 700"
check "/etc/jitd/jitd.conf installed" in_host test -f /etc/jitd/jitd.conf
check "groups jit-users and jit-admin exist" in_host getent group jit-users jit-admin >/dev/null
check "installing changed no PAM stack (profile off by default)" test "$(pam_lines common-account)" = 0

# ---- socket activation, restart, upgrade ---------------------------------------------------------
in_host systemctl stop jitd.service 2>/dev/null || true
check "stopping jitd leaves the socket listening" sh -c "! nsenter -t $E2E_LEADER -a systemctl -q is-active jitd.service &&
        nsenter -t $E2E_LEADER -a systemctl -q is-active jitd.socket && nsenter -t $E2E_LEADER -a test -S /run/jitd/io.jit"
check "a client's connection starts jitd (socket activation)" as_user alice jitctl status >/dev/null
check "... jitd.service is running again" active jitd.service
check "... serving the socket systemd passed" \
        sh -c "nsenter -t $E2E_LEADER -a journalctl -b -u jitd.service _PID=$(main_pid) -o cat | grep -q 'socket systemd passed'"

clients_start 4 "$WORKDIR/restart.clients"; sleep 1
in_host systemctl restart jitd.service || true
check "systemctl restart jitd: no client refused" clients_refused "$WORKDIR/restart.clients"

pid=$(main_pid)
clients_start 6 "$WORKDIR/upgrade.clients"; sleep 1
check "upgrade (dpkg -i of the jitd package again)" \
        in_host env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB_JITD" \
        >"$WORKDIR/upgrade.log" 2>&1
check "... restarts jitd" test "$(main_pid)" != "$pid"
check "... and no client was refused meanwhile" clients_refused "$WORKDIR/upgrade.clients"

in_host sh -c 'printf "[jitd]\nno_such_key = 1\n" > /etc/jitd/jitd.conf.d/99-broken.conf' || true
check "a broken configuration: jitd still starts, degraded" in_host systemctl restart jitd.service
check "... says why, with file:line, in the journal" sh -c \
        "nsenter -t $E2E_LEADER -a journalctl -b -u jitd.service -o cat | grep -q '99-broken.conf:2: unknown key'"
check "... and jitd.socket stays" active jitd.socket
in_host rm -f /etc/jitd/jitd.conf.d/99-broken.conf || true
check "fixed: systemctl restart jitd works at once" in_host systemctl restart jitd.service
check "fixed: jitd runs again" active jitd.service
refute "no configuration dump in the journal" sh -c \
        "nsenter -t $E2E_LEADER -a journalctl -b -u jitd.service -o cat | grep -q 'Effective jitd configuration'"

# ---- the sandbox --------------------------------------------------------------------------------
status=$(in_host cat "/proc/$(main_pid)/status") || status=
check "jitd has no capabilities" grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$status"
check "... an empty bounding set" grep -Eq '^CapBnd:[[:space:]]+0+$' <<<"$status"
check "... no_new_privs" grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$status"
check "... a seccomp filter" grep -Eq '^Seccomp:[[:space:]]+2$' <<<"$status"
in_host systemd-analyze security --no-pager jitd.service >"$WORKDIR/security.txt" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for jitd.service: \([0-9.]*\).*/\1/p' "$WORKDIR/security.txt")
e2e_log "    systemd-analyze security: ${exposure:-?} (table: $WORKDIR/security.txt)"
check "systemd-analyze security: exposure ${exposure:-?} <= 2.5" awk -v x="${exposure:-99}" 'BEGIN { exit !(x <= 2.5) }'

# Probes in a transient service with jitd.service's own sandbox settings:
# what jitd must still be able to do as a sandboxed, capability-less root.
mapfile -t props < <(in_host systemctl cat jitd.service | sed -n '/^\[Service\]/,/^\[/{/^[A-Z][A-Za-z]*=/p}' |
        grep -vE '^(Type|ExecStart|ExecStartPre|StandardOutput|StandardError|Restart)=')
popts=(); for p in "${props[@]}"; do popts+=(-p "$p"); done
sandboxed() { in_host systemd-run --wait --pipe --quiet --collect "${popts[@]}" "$@"; }
check "probe has jitd's sandbox (${#props[@]} settings, no capabilities)" \
        sandboxed sh -c 'grep -Eq "^CapEff:[[:space:]]+0+$" /proc/self/status'
refute "sandbox: /etc is read-only" sandboxed touch /etc/jitd/probe 2>/dev/null
check "sandbox: /var/lib/jitd is writable" sandboxed sh -c 'touch /var/lib/jitd/probe && rm /var/lib/jitd/probe'
in_host sh -c 'mkdir -p -m 0700 /run/sudo/ts && : > /run/sudo/ts/probe' || true
check "sandbox: may drop sudo timestamps (/run/sudo/ts)" sandboxed rm /run/sudo/ts/probe
check "sandbox: may create a transient timer (StartTransientUnit over D-Bus)" \
        sandboxed systemd-run --quiet --on-active=300 --unit=jit-expire-probe /bin/true
check "... listed by systemctl list-timers 'jit-*'" sh -c \
        "nsenter -t $E2E_LEADER -a systemctl list-timers --no-legend 'jit-*' | grep -q jit-expire-probe.timer"
check "sandbox: may stop it" sandboxed systemctl stop jit-expire-probe.timer
# Virtual consoles get expiry warnings too: /dev is the host's (read-only),
# not PrivateDevices=yes's, which has no /dev/ttyN. The container has no
# consoles of its own: make the node of one (VT 63; opening it, with no
# write, at most allocates that VT on this machine's kernel).
refute "sandbox: /dev takes no new files" sandboxed touch /dev/jitd-probe 2>/dev/null
if in_host sh -c 'mknod -m 0620 /dev/tty63 c 4 63 && chgrp tty /dev/tty63 && : >> /dev/tty63' 2>/dev/null; then
        check "sandbox: may open a virtual console (/dev/tty63)" sandboxed sh -c ': >> /dev/tty63'
        refute "... which PrivateDevices=yes would hide" sandboxed -p PrivateDevices=yes sh -c ': >> /dev/tty63' 2>/dev/null
else
        e2e_log "    no virtual consoles on this kernel: not checking /dev/ttyN"
fi
check "sandbox: the device ACL is closed, with terminals" sh -c \
        "nsenter -t $E2E_LEADER -a systemctl show -P DevicePolicy jitd.service | grep -qx closed &&
         nsenter -t $E2E_LEADER -a systemctl show -P DeviceAllow jitd.service | grep -q 'char-tty'"
E2E_EXEC=1 e2e_ssh carol -tt -- 'sleep 60' >"$WORKDIR/carol-session.out" 2>&1 &
spid=$!; E2E_BG+=("$spid")
# The session and its terminal: logind learns the pty a little after the
# session appears.
carol_session() {
        sid=$(in_host loginctl list-sessions --no-legend | awk '$3 == "carol" {print $1; exit}')
        [ -n "$sid" ] && tty=$(in_host loginctl show-session -P TTY "$sid") && [[ $tty == pts/* ]]
}
sid='' tty=''
wait_for 15 carol_session || true
check "carol's ssh session ($sid on ${tty:-no tty})" test -n "$sid" -a -n "$tty"
if [ -n "$sid" ] && [ -n "$tty" ]; then
        check "sandbox: may write to the user's terminal" sandboxed sh -c "echo JIT-PROBE-WARNING > /dev/$tty"
        check "sandbox: may end the session (logind TerminateSession)" sandboxed loginctl terminate-session "$sid"
        rc=0; wait_exit "$spid" 10 || rc=$?
        check "... the ssh connection ended (exit $rc)" test "$rc" != 124
        check "... after showing the terminal text" contains "$WORKDIR/carol-session.out" JIT-PROBE-WARNING
fi

# ---- the journal catalog ------------------------------------------------------------------------
n_ids=$(grep -c '^#define JIT_MESSAGE_ID_' "$SOURCE/common/jit-message-ids.h")
n_cat=$(in_host journalctl --list-catalog | grep -c ' pam_jit: ' || true)
check "journalctl --list-catalog: $n_cat of $n_ids pam_jit entries (dpkg trigger updated it)" test "$n_cat" = "$n_ids"
req=$(jitctl_as alice request --action sudo --reason "packaging test" --json | json_get "d.get('request_id')") || req=
in_host journalctl -x --no-pager -t jitd JIT_REQUEST_ID="$req" >"$WORKDIR/catalog.txt" 2>&1 || true
show "$WORKDIR/catalog.txt"
check "journalctl -x explains the request event" contains "$WORKDIR/catalog.txt" "Subject: Access request $req: alice asks for sudo"
refute "... with every @FIELD@ filled in" contains "$WORKDIR/catalog.txt" "@JIT_"
jitctl_as carol deny "$req" --reason "packaging test" >/dev/null 2>&1 || true

# ---- the pam-auth-update profile -----------------------------------------------------------------
check "pam-auth-update --enable jit" in_host env DEBIAN_FRONTEND=noninteractive pam-auth-update --enable jit
for f in common-auth common-session; do
        check "$f has the pam_jit.so line" test "$(pam_lines $f)" = 1
done
check "common-account has two: sshd/sudo/sudo-i, and cron/atd/systemd-user with norequest" \
        test "$(pam_lines common-account)" = 2
check "common-session-noninteractive has it too (sudo's session stack)" test "$(pam_lines common-session-noninteractive)" = 1
check "in common-session pam_jit.so comes after pam_systemd.so" sh -c \
        "nsenter -t $E2E_LEADER -a awk '/pam_systemd.so/ {s = NR} /pam_jit.so/ {j = NR} END {exit !(s && j > s)}' /etc/pam.d/common-session"
in_host grep -h pam_jit.so /etc/pam.d/common-account | show || true

refute "alice (jit-users): ssh key login refused without a grant" e2e_ssh alice -- true 2>"$WORKDIR/alice.err"
show "$WORKDIR/alice.err"
req=$(e2e_wait_pending_request alice login 10) || req=
check "... and a login request is pending ($req)" test -n "$req"
check "carol (not covered by the policy) logs in" e2e_ssh carol -- true
check "su to bob (not sshd/sudo: not gated by the profile)" test "$(run_unit su -s /bin/sh bob -c 'id -un' 2>/dev/null)" = bob
check "... and files no request for bob" test -z "$(e2e_pending_request bob login)"
gid=
[ -n "$req" ] && gid=$(jitctl_as carol approve "$req" --json | json_get "d.get('grant_id')") || true
check "carol approves: grant $gid" test -n "$gid"
check "alice logs in with the grant" e2e_ssh alice -- true
check "... and her session is recorded under the grant (session phase)" sh -c \
        "nsenter -t $E2E_LEADER -a jitctl show '$gid' --json | grep -q '\"service\": \"sshd\"'"
in_host rm -f /tmp/askpass-alice.log || true
E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "packaging: sudo via the profile" -k "${SUDO_MARK[@]}")" \
        >"$WORKDIR/sudo.out" 2>&1 &
upid=$!; E2E_BG+=("$upid")
sreq=$(e2e_wait_pending_request alice sudo 20) || sreq=
check "sudo: the auth line asked for a reason and filed a request ($sreq)" test -n "$sreq"
[ -z "$sreq" ] || jitctl_as carol approve "$sreq" >/dev/null 2>&1 || true
rc=0; wait_exit "$upid" 30 || rc=$?
show "$WORKDIR/sudo.out"
check "... approved while waiting, sudo runs the command" contains "$WORKDIR/sudo.out" SUDO-AS-UID-0

# Debian's sudo runs `sudo -i` under the PAM service sudo-i: the profile gates it too.
out=$(e2e_ssh alice -- "$(sudo_cmd alice unused -k -i "${SUDO_MARK[@]}")" 2>&1) || true
check "sudo -i with the sudo grant: a root login shell runs the command" grep -qx SUDO-AS-UID-0 <<<"$out"
jitctl_as carol revoke --user alice --action sudo >/dev/null 2>&1 || true
E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "packaging: sudo -i via the profile" -k -i "${SUDO_MARK[@]}")" \
        >"$WORKDIR/sudo-i.out" 2>&1 &
upid=$!; E2E_BG+=("$upid")
ireq=$(e2e_wait_pending_request alice sudo 20) || ireq=
check "sudo -i after the revoke: a request filed by the PAM service sudo-i ($ireq)" \
        test -n "$ireq" -a "$(request_field "${ireq:-none}" service 2>/dev/null)" = sudo-i
[ -z "$ireq" ] || jitctl_as carol deny "$ireq" --reason "packaging: no root shell" >/dev/null 2>&1 || true
rc=0; wait_exit "$upid" 30 || rc=$?
show "$WORKDIR/sudo-i.out"
check "... denied: sudo -i is refused (exit $rc)" test "$rc" != 0 -a "$rc" != 124
refute "... and ran nothing as root" contains "$WORKDIR/sudo-i.out" SUDO-AS-UID-0

# ---- a key-only engineer with the profile: the README's two sshd setups ----------------------------
# dave is added the way an admin adds an engineer: plain useradd (no
# password), a key. The sshd settings and PAM lines are taken from the
# README's marked blocks, so what is tested is what it tells admins to write.
readme_block() {   # N: the Nth code block marked for this test in the README
        awk -v want="$1" '
                /^<!-- tests\/packaging\/install-test\.sh / { n++; grab = (n == want); inblock = 0; next }
                grab && /^```/ { if (inblock) exit; inblock = 1; next }
                grab && inblock { print }' "$SOURCE/README.md"
}
sshd_listening() { in_netns timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/22 && head -c 7 <&3' | grep -qx SSH-2.0; }
sshd_setup() {   # FILE: the README's sshd_config lines, as a drop-in read before the test host's own
        in_host sh -c 'cat > /etc/ssh/sshd_config.d/00-readme.conf' <"$1" &&
                in_host systemctl restart ssh.service && wait_for 15 sshd_listening
}
# AuthenticationMethods sshd uses for dave on PORT
auth_methods() { in_host sshd -T -C "user=dave,host=client,addr=127.0.0.1,lport=$1" | sed -n 's/^authenticationmethods //p'; }

in_host useradd --groups jit-users dave || true
check "dave (plain useradd, in jit-users) has no usable password" \
        test "$(in_host passwd -S dave | cut -d' ' -f2)" = L
readme_block 1 >"$WORKDIR/readme-sshd-keys.conf"
show "$WORKDIR/readme-sshd-keys.conf"
check "README, with the profile, keys only: sshd takes the setup" sshd_setup "$WORKDIR/readme-sshd-keys.conf"
check "... AuthenticationMethods publickey" test "$(auth_methods 22)" = publickey
refute "dave, key only, no grant: refused" e2e_ssh dave -- true 2>"$WORKDIR/dave.err"
show "$WORKDIR/dave.err"
dreq=$(e2e_wait_pending_request dave login 10) || dreq=
dcode=$(request_field "${dreq:-none}" match_code 2>/dev/null) || dcode=
check "... sees the request id and match code, as the README shows ($dreq, $dcode)" grep -qxF \
        "Access to this host needs approval. Request ${dreq:-none} (code ${dcode:-none}) is pending; ask an approver, then try again." \
        "$WORKDIR/dave.err"
check "... and then the connection closes" grep -q '^Connection closed by ' "$WORKDIR/dave.err"
[ -z "$dreq" ] || jitctl_as carol approve "$dreq" >/dev/null 2>&1 || true
check "dave, approved: in with his key" test "$(e2e_ssh dave -- id -un 2>/dev/null)" = dave

# keyboard-interactive with the profile alone: the Unix password comes first.
readme_block 2 >"$WORKDIR/readme-sshd-dialogue.conf"
show "$WORKDIR/readme-sshd-dialogue.conf"
check "README, a key then pam_jit's dialogue: sshd takes the setup" sshd_setup "$WORKDIR/readme-sshd-dialogue.conf"
check "... AuthenticationMethods publickey,keyboard-interactive" test "$(auth_methods 22)" = publickey,keyboard-interactive
refute "without the README's /etc/pam.d/sshd edit dave cannot log in, grant or not (what the README warns of)" \
        e2e_ssh_interactive dave "$WORKDIR/dave-nopam.log" unused -- true 2>/dev/null
check "... sshd asked him for a Unix password he does not have" contains "$WORKDIR/dave-nopam.log" assword
# a password user (bob) on the same stack: the password first, then pam_jit
E2E_EXEC=1 e2e_ssh_interactive bob "$WORKDIR/bob-pw.log" "packaging: bob with a password" -- true \
        >/dev/null 2>&1 &
upid=$!; E2E_BG+=("$upid")
breq=$(e2e_wait_pending_request bob login 20) || breq=
check "bob (a password): after it, pam_jit's dialogue files a request ($breq)" test -n "$breq"
[ -z "$breq" ] || jitctl_as carol deny "$breq" --reason "packaging: no" >/dev/null 2>&1 || true
wait_exit "$upid" 30 || true
show "$WORKDIR/bob-pw.log"
check "... and it asked for the password before the reason" awk '
        /assword/ && !pw { pw = NR } /Reason for access/ && !why { why = NR }
        END { exit !(pw && why && pw < why) }' "$WORKDIR/bob-pw.log"

# the README's lines in place of "@include common-auth" in /etc/pam.d/sshd
readme_block 3 >"$WORKDIR/readme-pam-sshd-auth"
show "$WORKDIR/readme-pam-sshd-auth"
in_host cat /etc/pam.d/sshd >"$WORKDIR/pam-sshd.orig"
awk -v lines="$WORKDIR/readme-pam-sshd-auth" '
        /^@include common-auth/ { while ((getline l < lines) > 0) print l; next } { print }' \
        "$WORKDIR/pam-sshd.orig" >"$WORKDIR/pam-sshd.readme"
in_host sh -c 'cat > /etc/pam.d/sshd' <"$WORKDIR/pam-sshd.readme" || true
check "/etc/pam.d/sshd: pam_jit and pam_permit in place of common-auth" sh -c \
        "! grep -q '^@include common-auth' '$WORKDIR/pam-sshd.readme' && grep -q '^auth.*pam_jit.so' '$WORKDIR/pam-sshd.readme'"
jitctl_as carol revoke --user dave --action login >/dev/null 2>&1 || true
E2E_EXEC=1 e2e_ssh_interactive dave "$WORKDIR/dave-kbd1.log" "packaging: dave, key only" -- true \
        >/dev/null 2>&1 &
upid=$!; E2E_BG+=("$upid")
kreq=$(e2e_wait_pending_request dave login 20) || kreq=
check "dave, no grant: after his key the dialogue files a request ($kreq)" test -n "$kreq"
wait_for 10 contains "$WORKDIR/dave-kbd1.log" "${kreq:-none}" || true
show "$WORKDIR/dave-kbd1.log"
check "... shows it to him while he waits" contains "$WORKDIR/dave-kbd1.log" "${kreq:-none}"
refute "... and asks for no password" contains "$WORKDIR/dave-kbd1.log" assword
[ -z "$kreq" ] || jitctl_as carol deny "$kreq" --reason "packaging: not now" >/dev/null 2>&1 || true
rc=0; wait_exit "$upid" 30 || rc=$?
check "... denied: refused (ssh exit $rc)" test "$rc" != 0 -a "$rc" != 124
E2E_EXEC=1 e2e_ssh_interactive dave "$WORKDIR/dave-kbd2.log" "packaging: dave again" -- id -un \
        >"$WORKDIR/dave-kbd2.out" 2>/dev/null &
upid=$!; E2E_BG+=("$upid")
kreq=$(e2e_wait_pending_request dave login 20) || kreq=
[ -z "$kreq" ] || jitctl_as carol approve "$kreq" >/dev/null 2>&1 || true
rc=0; wait_exit "$upid" 30 || rc=$?
check "dave, approved while he waits: in (ssh exit $rc)" test "$rc" = 0 -a "$(cat "$WORKDIR/dave-kbd2.out")" = dave
check "carol (not covered) still logs in with her key alone" \
        e2e_ssh_interactive carol "$WORKDIR/carol-kbd.log" unused -- true
# back to the test host's sshd for the rest
in_host sh -c 'cat > /etc/pam.d/sshd' <"$WORKDIR/pam-sshd.orig" || true
in_host rm -f /etc/ssh/sshd_config.d/00-readme.conf || true
in_host systemctl restart ssh.service || true
wait_for 15 sshd_listening || true

check "pam-auth-update --disable jit" in_host env DEBIAN_FRONTEND=noninteractive pam-auth-update --disable jit
check "... takes the lines out again" test "$(pam_lines common-account)$(pam_lines common-auth)$(pam_lines common-session)$(pam_lines common-session-noninteractive)" = 0000
check "bob logs in without a grant once disabled" e2e_ssh bob -- true

# ---- purge ----------------------------------------------------------------------------------------
in_host env DEBIAN_FRONTEND=noninteractive pam-auth-update --enable jit || true
check "apt-get purge libpam-jit jitd (with the profile enabled)" apt_in_host purge libpam-jit jitd >"$WORKDIR/purge.log" 2>&1
grep -E 'W: |E: |warning' "$WORKDIR/purge.log" | show || true
check "... removes pam_jit.so from the PAM stacks" \
        test "$(pam_lines common-account)$(pam_lines common-auth)$(pam_lines common-session)" = 000
refute "... removes /var/lib/jitd" in_host test -e /var/lib/jitd
refute "... removes /run/jitd" in_host test -e /run/jitd
refute "... removes /etc/jitd" in_host test -e /etc/jitd
refute "... stops the units" in_host systemctl -q is-active jitd.socket jitd.service
check "... removes the catalog entries" test "$(in_host journalctl --list-catalog | grep -c ' pam_jit: ' || true)" = 0
check "alice logs in after the purge (the stacks still work)" e2e_ssh alice -- true
check "... and so does carol" e2e_ssh carol -- true

e2e_log "done: $FAILS failed"
[ "$FAILS" = 0 ]
