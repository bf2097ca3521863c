#!/bin/bash
# tests/e2e/failsafe.sh -- no state of jitd opens the host (issue 10), on a
# booted test host (lib.sh), meant for the installed packages (--debs): the
# packaged jitd.socket and hardened jitd.service, and the test's PAM stacks
# with failmode=safe. It walks jitd through every bad state it can be in:
#
#   corrupt database, database owned by another user, database jitd may not
#   write (0400: jitd runs without CAP_DAC_OVERRIDE), state directory full
#   (a tiny tmpfs), configuration broken by an edit and reloaded,
#   configuration broken at start, and a crash loop (a drop-in whose
#   ExecStart= dies of SIGSEGV)
#
# and in each asserts through ssh and sudo: a covered user is refused (alice
# holds a login and a sudo grant, bob none) and no FAIL-OPEN reaches the
# journal; carol, whom the policy does not cover, still logs in and runs
# sudo (the crash loop excepted: no jitd answers, so nobody can be told
# apart); /run/jitd/io.jit stays and
# jitd.socket never fails; after the repair "systemctl restart jitd" works
# at once (no reset-failed) and alice's grant lets her in again.
#
#   failsafe.sh --case NAME --source DIR --workdir DIR (--jitd F --jitctl F --pam F | --debs DIR)
#
# Cases: states. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

# shellcheck source=case-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/case-args.sh" "failsafe" "$@"

DB=/var/lib/jitd/jitd.db
FAIL_OPEN_ID=$(e2e_message_id FAIL_OPEN)

boot_safe() {
        e2e_rootfs
        e2e_stage_common
        e2e_stage_jit "$JITD" "$JITCTL" "$PAM"
        # The mode this is about: failmode=safe on every pam_jit line.
        sed -i 's/^\(.*pam_jit\.so.*\)$/\1 failmode=safe/' "$E2E_WORK/stage/jit/pam-sshd" "$E2E_WORK/stage/jit/pam-sudo"
        # sudo without a password for these three, so "sudo -n" reaches
        # pam_jit's account phase (the gate) and nothing else decides.
        printf 'alice, bob, carol ALL=(ALL:ALL) NOPASSWD: ALL\n' > "$E2E_WORK/stage/sudoers-failsafe"
        chmod 0440 "$E2E_WORK/stage/sudoers-failsafe"
        e2e_bind "$E2E_WORK/stage/sudoers-failsafe" /etc/sudoers.d/jit-e2e-failsafe
        e2e_boot
        e2e_check_libs
        e2e_start_jitd
}

sudo_as() { as_user "$1" sudo -n id -u 2>>"$WORKDIR/sudo.err" | grep -qx 0; }   # USER: sudo runs as root
login_as() { e2e_ssh "$1" -- id -un 2>>"$WORKDIR/ssh.err" | grep -qx "$1"; }   # USER: a key login that runs
fail_opens() { in_host journalctl -b -q --no-pager -o cat MESSAGE_ID="$FAIL_OPEN_ID" | wc -l; }
socket_stays() { in_host test -S /run/jitd/io.jit && in_host systemctl -q is-active jitd.socket; }
jitd_status() { in_host systemctl show -P StatusText jitd.service; }

# What every bad state must look like. WHO_PASSES: carol (the policy is
# known) or "" (nobody can be told apart).
expect_closed() {   # STATE WHO_PASSES
        local state=$1 passes=$2
        e2e_log "-- $state: $(jitd_status)"
        refute "$state: alice (covered, with a grant) is refused" login_as alice
        refute "$state: bob (covered, no grant) is refused" login_as bob
        refute "$state: alice's sudo (with a grant) is refused" sudo_as alice
        [ -z "$passes" ] || check "$state: carol (not covered) logs in" login_as "$passes"
        [ -z "$passes" ] || check "$state: carol's sudo works" sudo_as "$passes"
        check "$state: no FAIL-OPEN in the journal" test "$(fail_opens)" = 0
        check "$state: /run/jitd/io.jit stays, jitd.socket active" socket_stays
        check "$state: jitd.socket never failed (no service-start-limit-hit)" \
                test "$(in_host systemctl show -P Result jitd.socket)" = success
}

# After the repair: a plain restart must work at once, and a grant again.
expect_repaired() {   # STATE
        check "$1 repaired: systemctl restart jitd works at once" in_host timeout 30 systemctl restart jitd.service
        check "$1 repaired: alice's grant lets her in" login_as alice
        check "$1 repaired: alice's sudo grant lets her sudo" sudo_as alice
}

with_jitd_stopped() { in_host systemctl stop jitd.service; "$@"; }   # the socket stays and starts it again

# ---- cases ------------------------------------------------------------------------------------
case_states() {
        local grant
        boot_safe
        grant=$(admin_grant alice login) || grant=
        check "alice holds a login grant ($grant)" test -n "$grant"
        grant=$(admin_grant alice sudo) || grant=
        check "alice holds a sudo grant ($grant)" test -n "$grant"
        check "healthy: alice logs in" login_as alice
        check "healthy: alice's sudo works" sudo_as alice
        check "healthy: carol logs in" login_as carol
        check "healthy: carol's sudo works" sudo_as carol
        refute "healthy: bob is refused" login_as bob
        refute "healthy: bob's sudo is refused" sudo_as bob
        in_host systemctl stop jitd.service
        in_host cp -a "$DB" /root/jitd.db.good

        # -- the database ---------------------------------------------------------------------
        in_host sh -c "rm -f $DB-wal $DB-shm; head -c 65536 /dev/urandom > $DB"
        expect_closed "corrupt database" carol
        check "corrupt database: jitd says so in its status" grep -q 'DATABASE UNAVAILABLE' <<<"$(jitd_status)"
        with_jitd_stopped in_host cp -a /root/jitd.db.good "$DB"
        expect_repaired "corrupt database"

        with_jitd_stopped in_host chown nobody:nogroup "$DB"
        expect_closed "database owned by nobody" carol
        in_host chown root:root "$DB"
        expect_repaired "database owned by nobody"

        with_jitd_stopped in_host chmod 0400 "$DB"
        expect_closed "database jitd may not write (0400)" carol
        in_host chmod 0600 "$DB"
        expect_repaired "database jitd may not write (0400)"

        # A state directory on a tiny tmpfs, filled up: jitd may still read
        # alice's grant (then that is her grant, not a fail-open), but bob's
        # request cannot be filed and nobody else gets in.
        in_host systemctl stop jitd.service
        in_host sh -c "cp -a $DB /root/jitd.db.tmp && mount -t tmpfs -o size=512k,mode=0700 tmpfs /var/lib/jitd &&
                cp -a /root/jitd.db.tmp $DB && (head -c 1048576 /dev/zero > /var/lib/jitd/filler || true)"
        e2e_log "-- state directory full: $(in_host df -h /var/lib/jitd | tail -n1)"
        refute "state directory full: bob (covered, no grant) is refused" login_as bob
        check "state directory full: carol (not covered) logs in" login_as carol
        check "state directory full: carol's sudo works" sudo_as carol
        check "state directory full: no FAIL-OPEN in the journal" test "$(fail_opens)" = 0
        check "state directory full: /run/jitd/io.jit stays, jitd.socket active" socket_stays
        check "state directory full: jitd.socket never failed" \
                test "$(in_host systemctl show -P Result jitd.socket)" = success
        in_host rm -f /var/lib/jitd/filler
        expect_repaired "state directory full"
        in_host systemctl stop jitd.service
        in_host sh -c "cp -a $DB /root/jitd.db.tmp && umount /var/lib/jitd && cp -a /root/jitd.db.tmp $DB"
        in_host systemctl start jitd.service

        # -- the configuration ----------------------------------------------------------------
        in_host sh -c 'printf "[login]\nthis line does not parse\n" > /etc/jitd/jitd.conf.d/99-broken.conf'
        check "broken by an edit: systemctl reload jitd" in_host systemctl reload jitd.service
        check "... logs the error with file:line" wait_for 10 sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -b -u jitd.service -o cat | grep -q 'Reload failed.*99-broken.conf:2'"
        check "... and keeps the configuration in use: alice logs in" login_as alice
        check "... alice's sudo works" sudo_as alice
        check "... carol logs in" login_as carol
        refute "... bob is refused" login_as bob

        in_host systemctl restart jitd.service || true
        expect_closed "configuration broken at start" carol
        check "configuration broken at start: jitd runs, and says why" \
                grep -q 'CONFIGURATION BROKEN.*99-broken.conf:2' <<<"$(jitd_status)"
        in_host rm -f /etc/jitd/jitd.conf.d/99-broken.conf
        check "repaired, systemctl reload jitd takes it up" in_host systemctl reload jitd.service
        check "... alice's grant lets her in again" wait_for 10 login_as alice
        expect_repaired "configuration broken at start"

        # -- a crash loop -------------------------------------------------------------------
        in_host sh -c 'mkdir -p /run/systemd/system/jitd.service.d && printf "[Service]\nExecStart=\nExecStart=/bin/sh -c \"kill -SEGV \$\$\$\$\"\n" > /run/systemd/system/jitd.service.d/crash.conf'
        in_host systemctl daemon-reload
        in_host systemctl restart jitd.service 2>/dev/null || true
        sleep 8   # several crashes: more than the start limit systemd would otherwise apply (5 in 10 s)
        e2e_log "-- crash loop: jitd.service restarted $(in_host systemctl show -P NRestarts jitd.service) times"
        check "crash loop: jitd.service keeps being restarted" test "$(in_host systemctl show -P NRestarts jitd.service)" -ge 5
        expect_closed "crash loop" ""
        check "crash loop: alice is told jitd cannot be reached, not let in" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -b -q -o cat -t sshd | grep -q 'jitd not answering: user=alice'"
        in_host rm -f /run/systemd/system/jitd.service.d/crash.conf
        in_host systemctl daemon-reload
        expect_repaired "crash loop"
        check "no FAIL-OPEN anywhere in this boot" test "$(fail_opens)" = 0
}

# carol, the approver (jit-admin), from a login of her own: root outside any
# login is nobody in particular and may not grant (jitd(8)).
admin_grant() {   # USER ACTION: prints the grant id
        jitctl_as carol grant --user "$1" --action "$2" --duration 1h --reason "e2e failsafe" --json |
                json_get "d.get('grant_id')"
}

# ---- main -------------------------------------------------------------------------------------
declare -F "case_$CASE" >/dev/null || { echo "unknown case: $CASE" >&2; exit 2; }
rc=0; e2e_preflight || rc=$?
[ "$rc" = 0 ] || exit "$rc"
e2e_require_artifacts "$JITD" "$JITCTL" "$PAM"
e2e_log "failsafe case $CASE"
"case_$CASE"
e2e_verdict "failsafe case $CASE"
