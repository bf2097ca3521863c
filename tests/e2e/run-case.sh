#!/bin/bash
# tests/e2e/run-case.sh -- one end-to-end case: boot a fresh test host (lib.sh)
# with this build's pam_jit.so, jitd and jitctl, drive it the way users and
# admins do (ssh from outside, sudo inside, jitctl, journalctl) and check what
# they would see. Exit 0 pass, 1 fail, 77 skip (this machine cannot boot it).
#
#   run-case.sh --case NAME --source DIR --workdir DIR [--jitd F --jitctl F --pam F | --debs DIR]
#
# --debs DIR: the host runs the built packages (jitd_*.deb, libpam-jit_*.deb),
# installed with apt, jitd started through jitd.socket (lib.sh, E2E_DEBS).
#
# Cases: rootfs (build/cache the image only), host (the test host itself:
# boot, sshd, sudo, logind, journald, timers; no pam_jit), ssh_pubkey,
# ssh_kbdint, sudo, sudo_i, other_paths, revoke, expiry, restart, journal.
set -euo pipefail

# shellcheck source=case-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/case-args.sh" "" "$@"

# ---- small helpers on top of lib.sh ---------------------------------------------------------
GRANT_ID_RE='^g[0-9a-z]{16}$'
CODE_RE='^[0-9]{3}-[0-9]{3}$'

# jitctl as carol (the approver, in jit-admin): prints the new grant id.
admin_grant() {   # USER ACTION DURATION REASON
        jitctl_as carol grant --user "$1" --action "$2" --duration "$3" --reason "$4" --json | json_get "d.get('grant_id')"
}
approve_as_carol() {   # REQUEST_ID [approve options]
        jitctl_as carol approve "$@" --json | json_get "d.get('grant_id')"
}

# The case's own jitd.conf keys, as a drop-in over the shipped config.
stage_case_conf() {   # LINES
        local d=$E2E_WORK/stage/jit/jitd.conf.d
        mkdir -p "$d"
        e2e_place "$d" /etc/jitd/jitd.conf.d
        printf '# tests/e2e/run-case.sh\n%b\n' "$1" > "$d/90-case.conf"
        chmod 0644 "$d/90-case.conf"
}

boot_with_jit() {   # [EXTRA-JITD-CONF-LINES]
        e2e_rootfs
        e2e_stage_common
        e2e_stage_jit "$JITD" "$JITCTL" "$PAM"
        [ -z "${1:-}" ] || stage_case_conf "$1"
        e2e_boot
        e2e_check_libs
        e2e_start_jitd
}

# ---- cases ------------------------------------------------------------------------------------
case_rootfs() { e2e_rootfs; }

# The test host itself, without pam_jit: if this fails, the other cases say
# nothing about pam_jit.
case_host() {
        local sid out
        e2e_rootfs; e2e_stage_common; e2e_boot
        check "ssh public-key login (port 22)" e2e_ssh alice -- 'test "$(id -un)" = alice'
        check "ssh key + keyboard-interactive password (port 2222, askpass)" \
                e2e_ssh_interactive alice "$WORKDIR/askpass.log" unused -- 'test "$(id -un)" = alice'
        check "askpass saw the password prompt" contains "$WORKDIR/askpass.log" assword
        out=$(e2e_ssh alice -- "$(sudo_cmd alice unused -k "${SUDO_MARK[@]}")" 2>&1) || true
        check "sudo with password in an ssh session" grep -qx SUDO-AS-UID-0 <<<"$out"
        refute "carol (no sudoers entry) cannot sudo" e2e_ssh carol -- 'sudo -n true' 2>/dev/null
        E2E_EXEC=1 e2e_ssh alice -- 'sleep 60' >/dev/null 2>&1 & local pid=$!; E2E_BG+=("$pid")
        wait_for 10 sh -c "nsenter -t $E2E_LEADER -a loginctl list-sessions --no-legend | grep -q alice" &&
                sid=$(in_host loginctl list-sessions --no-legend | awk '$3 == "alice" {print $1; exit}')
        check "logind session for the ssh login" test -n "${sid:-}"
        [ -n "${sid:-}" ] && in_host busctl call org.freedesktop.login1 /org/freedesktop/login1 \
                org.freedesktop.login1.Manager TerminateSession s "$sid"
        local rc=0; wait_exit "$pid" 10 || rc=$?
        check "TerminateSession ends the ssh login" test "$rc" != 124
        in_host systemd-run --quiet --on-active=1 --timer-property=AccuracySec=1s --unit=jit-expire-e2etest /bin/true
        check "transient timer listed" sh -c "nsenter -t $E2E_LEADER -a systemctl list-timers --no-legend 'jit-*' | grep -q jit-expire-e2etest"
        check "transient timer fired" wait_for 10 sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -u jit-expire-e2etest.service | grep -q Started"
        printf 'MESSAGE=e2e probe\nJIT_USER=alice\nSYSLOG_IDENTIFIER=jitd\n' | in_host logger --journald
        check "journald keeps custom fields" wait_for 5 sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -o json -t jitd JIT_USER=alice | grep -q 'e2e probe'"
}

# The account phase is the gate: a key login without a grant is refused and
# leaves a pending request; after `jitctl approve` the same login works.
case_ssh_pubkey() {
        local req code gid out
        boot_with_jit
        refute "alice: key login without a grant" e2e_ssh alice -- true 2>"$WORKDIR/ssh.err"
        show "$WORKDIR/ssh.err"
        req=$(e2e_wait_pending_request alice login 10) || req=
        check "pending login request for alice in 'jitctl list --pending' ($req)" matches "$req" "$REQ_ID_RE"
        [ -n "$req" ] || return 0
        code=$(request_field "$req" match_code) || code=
        check "request has a match code ($code)" matches "$code" "$CODE_RE"
        # what pam_jit(8) LIMITATIONS quotes: sshd sends the account phase's
        # message as a banner, then closes the connection
        check "the refused login told alice the request id and code" grep -qxF \
                "Access to this host needs approval. Request $req (code $code) is pending; ask an approver, then try again." \
                "$WORKDIR/ssh.err"
        check "... and then the connection closed" grep -q '^Connection closed by ' "$WORKDIR/ssh.err"
        check "request records service sshd" test "$(request_field "$req" service)" = sshd
        refute "alice: second try still refused" e2e_ssh alice -- true 2>/dev/null
        check "the retry reuses the pending request" test "$(e2e_pending_request alice login)" = "$req"
        check "carol (not in jit-users) logs in without a grant" e2e_ssh carol -- true
        refute "alice cannot approve for herself (not admin)" jitctl_as alice approve "$req" 2>/dev/null
        gid=$(approve_as_carol "$req") || gid=
        check "carol (jit-admin) approves: grant $gid" matches "$gid" "$GRANT_ID_RE"
        check "request is now approved" test "$(request_field "$req" state)" = approved
        check "grant is active for alice/login" test "$(active_grants alice login)" = "$gid"
        out=$(e2e_ssh alice -- id -un 2>&1) || true
        check "alice: key login with the grant" test "$out" = alice
        refute "bob: still refused (grants are per user)" e2e_ssh bob -- true 2>/dev/null
}

# Keyboard-interactive (port 2222, after the key): the prompt names the
# request and its match code, asks for a reason, and the waiting login is let
# in by an approval made meanwhile.
case_ssh_kbdint() {
        local log=$WORKDIR/askpass.log req code pid rc before
        local reason="e2e: debugging incident 42"
        boot_with_jit
        E2E_EXEC=1 e2e_ssh_interactive alice "$log" "$reason" -- id -un \
                >"$WORKDIR/ssh.out" 2>"$WORKDIR/ssh.err" & pid=$!; E2E_BG+=("$pid")
        req=$(e2e_wait_pending_request alice login 20) || req=
        check "pending login request while the login waits ($req)" matches "$req" "$REQ_ID_RE"
        [ -n "$req" ] || { wait_exit "$pid" 1 || true; return 0; }
        code=$(request_field "$req" match_code) || code=
        wait_for 10 contains "$log" "$req" || true
        e2e_log "the prompt alice saw:"; show "$log"
        check "prompt shows the request id" contains "$log" "$req"
        check "prompt shows the match code ($code)" contains "$log" "$code"
        # The default jitd.conf has no webhook: nobody hears of the request.
        check "prompt says nobody is notified and what an admin must run" \
                contains "$log" "no approvers are notified: ask an admin to run \"jitctl approve $req\""
        sleep 1
        check "login is still waiting for the decision" kill -0 "$pid"
        check "the reason alice typed is on the request" test "$(request_field "$req" reason)" = "$reason"
        check "carol approves while alice waits" approve_as_carol "$req" >/dev/null
        rc=0; wait_exit "$pid" 20 || rc=$?
        check "the waiting login completes (ssh exit $rc)" test "$rc" = 0
        check "the session runs as alice" test "$(cat "$WORKDIR/ssh.out")" = alice
        show "$WORKDIR/ssh.err"
        # with a live grant the dialogue is silent: no reason question
        before=$(wc -l < "$log")
        check "next keyboard-interactive login goes straight in" \
                e2e_ssh_interactive alice "$log" "$reason" -- true
        check "... without asking for a reason" test "$(wc -l < "$log")" = "$before"
}

# sudo: denied (approver says no), approved (while sudo waits), allowed (grant live).
case_sudo() {
        local req req2 pid rc out
        boot_with_jit
        admin_grant alice login 30m "e2e: login for the sudo case" >/dev/null ||
                { fail "jitctl grant (login) for alice"; return 0; }
        in_host rm -f /tmp/askpass-alice.log
        # 1. denied
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "e2e: restart nginx" -k "${SUDO_MARK[@]}")" \
                >"$WORKDIR/sudo1.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        req=$(e2e_wait_pending_request alice sudo 20) || req=
        check "sudo without a grant waits on a pending request ($req)" matches "$req" "$REQ_ID_RE"
        check "carol denies it" jitctl_as carol deny "$req" --reason "e2e: not today" >/dev/null
        rc=0; wait_exit "$pid" 20 || rc=$?
        e2e_log "what alice saw:"; show "$WORKDIR/sudo1.out"; in_host cat /tmp/askpass-alice.log | show
        check "sudo is refused (exit $rc)" test "$rc" != 0
        refute "... and did not run the command" contains "$WORKDIR/sudo1.out" SUDO-AS-UID-0
        check "alice was shown the request id" sh -c "grep -qF -- '$req' '$WORKDIR/sudo1.out' ||
                nsenter -t $E2E_LEADER -a grep -qF -- '$req' /tmp/askpass-alice.log"
        check "request state is denied" test "$(request_field "$req" state)" = denied
        # 2. approved while sudo waits
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "e2e: restart nginx, again" -k "${SUDO_MARK[@]}")" \
                >"$WORKDIR/sudo2.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        req2=$(e2e_wait_pending_request alice sudo 20) || req2=
        check "a new request for the second try ($req2)" sh -c "[ -n '$req2' ] && [ '$req2' != '$req' ]"
        check "carol approves it" approve_as_carol "$req2" >/dev/null
        rc=0; wait_exit "$pid" 20 || rc=$?
        show "$WORKDIR/sudo2.out"
        check "sudo runs the command as root once approved (exit $rc)" contains "$WORKDIR/sudo2.out" SUDO-AS-UID-0
        # 3. allowed: a live grant, no new request
        out=$(e2e_ssh alice -- "$(sudo_cmd alice unused -k "${SUDO_MARK[@]}")" 2>&1) || true
        check "sudo with the live grant runs at once" grep -qx SUDO-AS-UID-0 <<<"$out"
        check "... without a new request" test -z "$(e2e_pending_request alice sudo)"
        refute "bob (no grant): sudo -n refused" e2e_ssh bob -- "$(sudo_cmd bob unused -n true)" >/dev/null
}

# sudo -i: Debian's sudo runs it under the PAM service sudo-i, not sudo, so
# it is gated only by the lines in /etc/pam.d/sudo-i (config/e2e/pam.d/sudo-i):
# refused without a sudo grant, a login shell as root with one.
case_sudo_i() {
        local req rc pid out gsudo
        boot_with_jit
        admin_grant alice login 30m "e2e: login for the sudo -i case" >/dev/null ||
                { fail "jitctl grant (login) for alice"; return 0; }
        in_host rm -f /tmp/askpass-alice.log
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "e2e: a root shell" -k -i "${SUDO_MARK[@]}")" \
                >"$WORKDIR/sudo-i1.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        req=$(e2e_wait_pending_request alice sudo 20) || req=
        check "sudo -i without a grant waits on a pending sudo request ($req)" matches "$req" "$REQ_ID_RE"
        check "... filed by the PAM service sudo-i" test "$(request_field "$req" service)" = sudo-i
        check "carol denies it" jitctl_as carol deny "$req" --reason "e2e: no root shell" >/dev/null
        rc=0; wait_exit "$pid" 20 || rc=$?
        e2e_log "what alice saw:"; show "$WORKDIR/sudo-i1.out"
        check "sudo -i is refused (exit $rc)" test "$rc" != 0
        refute "... and ran nothing as root" contains "$WORKDIR/sudo-i1.out" SUDO-AS-UID-0
        check "... after showing alice the request id" contains "$WORKDIR/sudo-i1.out" "${req:-(no request)}"
        gsudo=$(admin_grant alice sudo 30m "e2e: sudo -i with a grant") || gsudo=
        check "sudo grant for alice ($gsudo)" matches "$gsudo" "$GRANT_ID_RE"
        out=$(e2e_ssh alice -- "$(sudo_cmd alice unused -k -i "${SUDO_MARK[@]}")" 2>&1) || true
        show <<<"$out"
        check "sudo -i with the grant: a login shell as root runs the command" grep -qx SUDO-AS-UID-0 <<<"$out"
        check "... without a new request" test -z "$(e2e_pending_request alice sudo)"
}

# The other ways to a shell or to root on Debian 12 (pam_jit(8), "WAYS TO A
# SHELL OR TO ROOT ON DEBIAN 12"), as the table says: su asks the target's
# password and is not gated by the shipped lines; with the table's line in
# /etc/pam.d/su it needs the caller's sudo grant (su -l too), root's su does
# not; runuser is root's only; systemd-run needs root (no polkit here).
case_other_paths() {
        local out req gsudo
        boot_with_jit
        # as alice, in the host's own cgroup tree (su opens a logind session)
        as_alice() { run_unit -p User=alice "$@"; }
        su_bob_as_alice() {   # [-l] PASSWORD
                local l=''; [ "$1" = -l ] && { l=-l; shift; }
                as_alice sh -c "echo '$1' | su $l bob -c 'id -un'" 2>&1
        }
        # the command's output is the last line, after su's "Password: " prompt
        ran_as() { grep -qE "(^|: )$1\$"; }   # USER (stdin: what su printed)
        out=$(su_bob_as_alice "$(e2e_password bob)") || true
        show <<<"$out"
        check "su bob with bob's password: a shell as bob, with no grant (not gated)" ran_as bob <<<"$out"
        check "... and no request" test -z "$(e2e_pending_request bob login)$(e2e_pending_request alice sudo)"
        refute "su bob with a wrong password: refused (su asks the target's password)" \
                ran_as bob <<<"$(su_bob_as_alice wrong-pw)"
        check "root's password is locked on the test host" test "$(in_host passwd -S root | cut -d' ' -f2)" = L
        refute "... so su to root is refused" ran_as root <<<"$(as_alice sh -c "echo x | su -c 'id -un'" 2>&1)"
        out=$(as_user alice /usr/sbin/runuser -u bob -- id -un 2>&1) || true
        show <<<"$out"
        check "runuser: refused to anyone but root" grep -q 'may not be used by non-root users' <<<"$out"
        out=$(as_user alice systemd-run --wait --pipe --quiet --uid=root id -un 2>&1) || true
        show <<<"$out"
        check "systemd-run as alice (no polkit): access denied" grep -q 'Access denied' <<<"$out"
        # the table's line for su
        in_host sed -i 's/^@include common-account/account    required   pam_jit.so action=sudo\n&/' /etc/pam.d/su
        in_host grep -B1 '^@include common-account' /etc/pam.d/su | show
        out=$(su_bob_as_alice "$(e2e_password bob)") || true
        show <<<"$out"
        refute "with the line: su bob with bob's password is refused without alice's sudo grant" ran_as bob <<<"$out"
        req=$(e2e_pending_request alice sudo) || req=
        check "... it filed a sudo request for alice, by the service su ($req)" \
                test -n "$req" -a "$(request_field "${req:-none}" service 2>/dev/null)" = su
        check "... and told her its id" contains <(printf '%s\n' "$out") "${req:-(no request)}"
        refute "... su -l bob too (su-l includes su)" ran_as bob <<<"$(su_bob_as_alice -l "$(e2e_password bob)")"
        check "root's su bob is not gated (root is not covered)" test "$(run_unit su -s /bin/sh bob -c 'id -un' 2>/dev/null)" = bob
        gsudo=$(admin_grant alice sudo 30m "e2e: su with a sudo grant") || gsudo=
        check "with a sudo grant ($gsudo) alice's su bob works" ran_as bob <<<"$(su_bob_as_alice "$(e2e_password bob)")"
}

# Revoke: a cached sudo timestamp does not outlive the grant (account phase),
# and a revoked login grant lets no new login in.
case_revoke() {
        local glogin gsudo pid rc
        # jitd also drops sudo's cached timestamp at revoke (defence in
        # depth); switched off here so that the cached timestamp is still
        # there and this proves the account phase refuses on its own.
        boot_with_jit '[jitd]\nsudo_timestamp_dir ='
        glogin=$(admin_grant alice login 30m "e2e: revoke case") || glogin=
        gsudo=$(admin_grant alice sudo 30m "e2e: revoke case") || gsudo=
        check "grants for alice: login $glogin, sudo $gsudo" sh -c "[ -n '$glogin' ] && [ -n '$gsudo' ]"
        in_host rm -f /tmp/e2e-ready /tmp/e2e-go
        # one ssh session (so one sudo timestamp scope: no tty, so sudo keys it
        # to the parent shell): sudo with password (no -k: that would neither
        # use nor write the timestamp), sudo -n from the cache, wait for the
        # revoke, sudo -n again
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice unused true) && echo FIRST-OK
                sudo -n true && echo CACHED-OK
                touch /tmp/e2e-ready
                i=0; while [ ! -e /tmp/e2e-go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done
                sudo -n true; echo AFTER-REVOKE-RC=\$?" >"$WORKDIR/session.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        wait_for 30 in_host test -e /tmp/e2e-ready || fail "the session did not get ready"
        check "revoke alice's sudo grant (jitctl revoke --user alice --action sudo)" \
                jitctl_as carol revoke --user alice --action sudo >/dev/null
        in_host touch /tmp/e2e-go
        rc=0; wait_exit "$pid" 30 || rc=$?
        show "$WORKDIR/session.out"
        check "sudo with the grant" contains "$WORKDIR/session.out" FIRST-OK
        check "sudo -n from the cached timestamp, grant live" contains "$WORKDIR/session.out" CACHED-OK
        check "after revoke: sudo -n refused despite the cached timestamp" \
                sh -c "grep -q 'AFTER-REVOKE-RC=[1-9]' '$WORKDIR/session.out'"
        check "sudo grant state is revoked" test "$(grant_field "$gsudo" state)" = revoked
        check "login still allowed (only sudo was revoked)" e2e_ssh alice -- true
        check "revoke the login grant by id" jitctl_as carol revoke "$glogin" >/dev/null
        refute "after revoke: new ssh login refused" e2e_ssh alice -- true 2>/dev/null
        check "login grant state is revoked" test "$(grant_field "$glogin" state)" = revoked
}

# A short grant ends on its own: allowed before, refused after, state expired.
case_expiry() {
        local gid exp t0 now
        boot_with_jit
        t0=$(date +%s)
        gid=$(admin_grant bob login 6s "e2e: expiry case") || gid=
        check "6 s login grant for bob ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at) || exp=0
        check "expires_at is 6 s out ($((exp - t0)) s)" test $((exp - t0)) -ge 5 -a $((exp - t0)) -le 7
        # (transient jit-expire-<grant>.timer units come in a later issue; jitd
        # expires grants on its own timer until then, and says so in the journal)
        check "bob: login allowed before expiry" e2e_ssh bob -- true
        now=$(date +%s)
        [ "$now" -lt "$exp" ] || fail "the allowed login ended after the deadline: the host is too slow for this case"
        sleep $((exp - $(date +%s) + 2))
        refute "bob: login refused after expiry" e2e_ssh bob -- true 2>/dev/null
        check "grant state becomes expired on its own" wait_for 10 grant_state_is "$gid" expired
}

# jitd's state survives a restart, and without jitd nobody it would cover
# gets in (failmode=secure, the default).
case_restart() {
        local gid out
        boot_with_jit
        gid=$(admin_grant alice login 30m "e2e: restart case") || gid=
        check "alice: login with grant $gid" e2e_ssh alice -- true
        in_host systemctl restart jitd.service
        check "after systemctl restart jitd: the grant is still active" grant_state_is "$gid" active
        check "... and alice still logs in" e2e_ssh alice -- true
        e2e_stop_jitd
        if out=$(e2e_ssh alice -- true 2>&1); then fail "alice logged in while jitd was stopped"
        else ok "jitd stopped: alice refused (failmode=secure)"; fi
        show <<<"$out"
        e2e_resume_jitd
        wait_for 5 in_host test -S /run/jitd/io.jit || true
        check "jitd back: alice logs in again" e2e_ssh alice -- true
}

# The audit trail an admin reads: journalctl -t jitd JIT_USER=alice JIT_ACTION=...
case_journal() {
        local req gid rsudo gsudo pid rc
        # keep sudo's cached timestamp at revoke, so the refused sudo -n
        # reaches pam_jit and is audited as access denied
        boot_with_jit '[jitd]\nsudo_timestamp_dir ='
        # login: refused (request created, access denied), approved, allowed
        e2e_ssh alice -- true 2>/dev/null || true
        req=$(e2e_wait_pending_request alice login 10) || req=
        gid=$(approve_as_carol "$req") || gid=
        e2e_ssh alice -- true || fail "alice login after approval"
        # sudo: request created while waiting, approved, allowed
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice "e2e: journal case" -k true)" \
                >"$WORKDIR/sudo.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        rsudo=$(e2e_wait_pending_request alice sudo 20) || rsudo=
        gsudo=$(approve_as_carol "$rsudo") || gsudo=
        wait_exit "$pid" 20 || fail "sudo after approval"
        # sudo: revoked, then refused from the cached timestamp (access denied)
        in_host rm -f /tmp/e2e-ready /tmp/e2e-go
        E2E_EXEC=1 e2e_ssh alice -- "$(sudo_cmd alice unused true) && sudo -n true && touch /tmp/e2e-ready
                i=0; while [ ! -e /tmp/e2e-go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done
                sudo -n true; exit \$?" >"$WORKDIR/session.out" 2>&1 & pid=$!; E2E_BG+=("$pid")
        # (not the shell's last command: bash would exec it, and sudo's
        # timestamp, keyed to its parent without a tty, would not apply)
        wait_for 30 in_host test -e /tmp/e2e-ready || fail "session not ready"
        jitctl_as carol revoke "$gsudo" >/dev/null || fail "revoke $gsudo"
        in_host touch /tmp/e2e-go
        if wait_exit "$pid" 30; then fail "sudo -n after the revoke succeeded"; fi
        # sudo: a 2 s grant that expires
        local gexp; gexp=$(admin_grant alice sudo 2s "e2e: expiring") || gexp=
        wait_for 15 grant_state_is "$gexp" expired || fail "grant $gexp did not expire"
        sleep 0.5
        in_host journalctl -t jitd JIT_USER=alice JIT_ACTION=sudo -o json --no-pager >"$WORKDIR/alice-sudo.json"
        in_host journalctl -t jitd JIT_USER=alice JIT_ACTION=login -o json --no-pager >"$WORKDIR/alice-login.json"
        e2e_log "journalctl -t jitd JIT_USER=alice JIT_ACTION=sudo:"
        "$E2E_PYTHON" - "$WORKDIR/alice-sudo.json" <<'EOF' | show
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e.get("MESSAGE", ""), {k: v for k, v in e.items() if k.startswith("JIT_")})
EOF
        # has_entry FILE EVENT [FIELD=VALUE...] [after=EVENT]: an entry with that
        # MESSAGE_ID and fields (later than the first entry of the after= event)
        has_entry() {
                local f=$1 mid; mid=$(e2e_message_id "$2"); shift 2
                local args=() a
                for a in "$@"; do
                        case $a in after=*) args+=("after=$(e2e_message_id "${a#after=}")") ;; *) args+=("$a") ;; esac
                done
                "$E2E_PYTHON" - "$f" "$mid" "${args[@]}" <<'EOF'
import json, sys
f, mid, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
after = want.pop("after", None)
seen = after is None
for line in open(f):
    e = json.loads(line)
    if not seen:
        seen = e.get("MESSAGE_ID") == after
        continue
    if e.get("MESSAGE_ID") == mid and all(e.get(k) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)
EOF
        }
        local j=$WORKDIR/alice-login.json
        check "login: request created ($req)" has_entry "$j" REQUEST_CREATED JIT_REQUEST_ID="$req" JIT_SERVICE=sshd
        check "login: access denied" has_entry "$j" ACCESS_DENIED JIT_SERVICE=sshd
        check "login: request approved by carol" has_entry "$j" REQUEST_APPROVED JIT_REQUEST_ID="$req" JIT_GRANT_ID="$gid" JIT_APPROVER=carol
        check "login: access allowed under $gid" has_entry "$j" ACCESS_ALLOWED JIT_GRANT_ID="$gid"
        j=$WORKDIR/alice-sudo.json
        check "sudo: request created ($rsudo) with reason" has_entry "$j" REQUEST_CREATED JIT_REQUEST_ID="$rsudo" JIT_REASON="e2e: journal case"
        check "sudo: request approved" has_entry "$j" REQUEST_APPROVED JIT_REQUEST_ID="$rsudo" JIT_GRANT_ID="$gsudo"
        check "sudo: access allowed" has_entry "$j" ACCESS_ALLOWED JIT_GRANT_ID="$gsudo" JIT_SERVICE=sudo
        check "sudo: grant revoked" has_entry "$j" GRANT_REVOKED JIT_GRANT_ID="$gsudo"
        check "sudo: access denied after the revoke" has_entry "$j" ACCESS_DENIED JIT_SERVICE=sudo after=GRANT_REVOKED
        check "sudo: grant expired ($gexp)" has_entry "$j" GRANT_EXPIRED JIT_GRANT_ID="$gexp"
}

# Root is not a person: alice, who holds a sudo grant, runs `sudo jitctl
# approve` on her own pending login request from her ssh login and is
# refused (jitd reads the login's audit loginuid behind root); bob doing the
# same on her request approves it, recorded and audited as root (bob).
case_sudo_approve_own() {
        local req out u
        boot_with_jit
        refute "alice: key login without a grant" e2e_ssh alice -- true 2>/dev/null
        req=$(e2e_wait_pending_request alice login 10) || req=
        check "pending login request for alice ($req)" matches "$req" "$REQ_ID_RE"
        [ -n "$req" ] || return 0
        # Break-glass grants let alice and bob in and make them root; her
        # request stays pending.
        for u in alice bob; do
                admin_grant "$u" login 30m "e2e: $u logs in" >/dev/null || fail "login grant for $u"
                admin_grant "$u" sudo 30m "e2e: $u may be root" >/dev/null || fail "sudo grant for $u"
        done
        check "alice's login request is still pending" test "$(request_field "$req" state)" = pending
        out=$(e2e_ssh alice -- "$(sudo_cmd alice unused jitctl approve "$req")" 2>&1) || true
        e2e_log "alice's sudo jitctl approve:"; show <<<"$out"
        # (jitd says so only to an admin: root, through sudo and her grant)
        check "alice's sudo jitctl approve of her own request is refused" \
                grep -q "nobody may decide their own request" <<<"$out"
        check "... and the request is still pending" test "$(request_field "$req" state)" = pending
        check "jitd's log names alice behind root" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -b -u jitd.service -o cat | grep -qF 'alice (as root) tried to approve their own request $req'"
        out=$(e2e_ssh bob -- "$(sudo_cmd bob unused jitctl approve "$req")" 2>&1) || true
        e2e_log "bob's sudo jitctl approve:"; show <<<"$out"
        check "bob's sudo jitctl approve of it is an approval" grep -q "^Approved $req" <<<"$out"
        check "decided by root ..." test "$(request_field "$req" decided_by)" = root
        check "... and by bob behind it" test "$(request_field "$req" decided_by_person)" = bob
        check "jitctl show says root (bob)" sh -c "nsenter -t $E2E_LEADER -a jitctl show '$req' | grep -qF 'root (bob)'"
        check "journal: request approved, JIT_APPROVER=root JIT_APPROVER_PERSON=bob" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -b -t jitd MESSAGE_ID=$(e2e_message_id REQUEST_APPROVED) JIT_REQUEST_ID=$req JIT_APPROVER=root JIT_APPROVER_PERSON=bob -o cat | grep -q ."
}

# ---- main -------------------------------------------------------------------------------------
declare -F "case_$CASE" >/dev/null || { echo "unknown case: $CASE" >&2; exit 2; }
rc=0; e2e_preflight || rc=$?
[ "$rc" = 0 ] || exit "$rc"
case $CASE in rootfs|host) ;; *) e2e_require_artifacts "$JITD" "$JITCTL" "$PAM" ;; esac
e2e_log "case $CASE"
"case_$CASE"
e2e_verdict "case $CASE"
