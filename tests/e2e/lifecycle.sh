#!/bin/bash
# tests/e2e/lifecycle.sh -- the life of a grant on a booted test host (lib.sh):
# transient jit-expire-<grant>.timer units in systemd, sessions ended through
# logind at expiry and at revoke, timers re-created when jitd restarts,
# grants that ran out while jitd was down, the expiry warning on the user's
# terminal and `jitctl extend`, sessions ended by a retry when logind was
# down at the deadline. Exit 0 pass, 1 fail, 77 skip.
#
#   lifecycle.sh --case NAME (--jitd F --jitctl F --pam F | --debs DIR) [--fakeclock F]
#                --source DIR --workdir DIR
#
# --fakeclock: the build's fakeclock.so (tests/e2e/fakeclock.c), for clock_jump.
#
# Cases: timers, revoke, restart, warning_extend, sudo_timestamp, clock_jump,
# logout_expiry, logout_revoke, logout_not_ours, sudo_terminate, logind_retry,
# scheduled_jobs (cron, atd and the user manager after a login grant),
# user_manager (another live login grant keeps it; jitd down at the deadline).
set -euo pipefail

# shellcheck source=case-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/case-args.sh" "life" "$@"

quiet() { "$@" >/dev/null; }   # for check/refute: their own output must stay
GRANT_ID_RE='^g[0-9a-z]{16}$'
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# The shipped config plus a drop-in: the path of jitctl in this host (the
# build's default may name another prefix) and the case's own keys.
stage_lifecycle_conf() {   # EXTRA-LINES
        local d=$E2E_WORK/stage/jit/jitd.conf.d
        if [ ! -d "$d" ]; then
                mkdir -p "$d"
                e2e_place "$d" /etc/jitd/jitd.conf.d
        fi
        printf '# tests/e2e/lifecycle.sh\n[jitd]\njitctl = /usr/bin/jitctl\n%b\n' "${1:-}" > "$d/90-lifecycle.conf"
        chmod 0644 "$d/90-lifecycle.conf"
}

# STAGE_EXTRA: a function that stages more for the host (e2e_bind), if set.
STAGE_EXTRA=
boot_lifecycle() {   # [EXTRA-CONFIG-LINES]
        e2e_rootfs
        e2e_stage_common
        e2e_stage_jit "$JITD" "$JITCTL" "$PAM"
        stage_lifecycle_conf "${1:-}"
        [ -z "$STAGE_EXTRA" ] || "$STAGE_EXTRA"
        e2e_boot
        e2e_check_libs
        e2e_start_jitd
        check "jitd runs expiry from systemd timers" wait_for 5 sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -t jitd -b | grep -q 'transient systemd timers'"
}

admin_grant() {   # USER ACTION DURATION REASON
        jitctl_as carol grant --user "$1" --action "$2" --duration "$3" --reason "$4" --json | json_get "d.get('grant_id')"
}
timer_listed() {   # GRANT_ID
        in_host systemctl list-timers --all --no-legend --no-pager 'jit-*' | grep -qF "jit-expire-$1.timer"
}
# Sessions io.jit.Show lists under a grant that are still open.
open_sessions() {   # GRANT_ID
        jitctl_root show "$1" --json |
                json_get "' '.join(s['session_id'] for s in d.get('sessions', []) if not s.get('closed_at'))"
}
has_open_session() { [ -n "$(open_sessions "$1")" ]; }
# A journal entry of jitd with this MESSAGE_ID and fields (all of them).
journal_has() {   # EVENT FIELD=VALUE...
        local ev=$1; shift
        in_host journalctl -q -t jitd -b "MESSAGE_ID=$(e2e_message_id "$ev")" "$@" -o cat --no-pager | grep -q .
}

# An ssh login of USER that stays: a shell that leaves a process behind in
# the session (setsid: not the shell's child any more, still the session's)
# and sleeps. The PID of the left-behind process goes to /tmp/USER-left.pid.
start_session() {   # USER OUTFILE [ssh options]
        local u=$1 out=$2; shift 2
        in_host rm -f "/tmp/$u-left.pid"
        E2E_EXEC=1 e2e_ssh "$u" "$@" -- \
                "setsid -f sh -c 'echo \$\$ > /tmp/$u-left.pid; exec sleep 600'; sleep 600" \
                >"$out" 2>&1 &
        SESSION_PID=$!
        E2E_BG+=("$SESSION_PID")
        wait_for 15 in_host test -s "/tmp/$u-left.pid" || fail "the ssh session of $u did not start"
        LEFT_PID=$(in_host cat "/tmp/$u-left.pid" 2>/dev/null || echo 0)
}


# Sessions io.jit.Show lists under a grant that jitd has recorded as closed.
closed_sessions() {   # GRANT_ID
        jitctl_root show "$1" --json |
                json_get "' '.join(s['session_id'] for s in d.get('sessions', []) if s.get('closed_at'))"
}
has_closed_session() { [ -n "$(closed_sessions "$1")" ]; }
# An ssh login of USER that starts a process of its own (setsid: it leaves
# the shell, not the session's scope) and logs out. Sets LEFT_PID and SID
# (the logind session).
login_leave_process() {   # USER
        local u=$1
        in_host rm -f "/tmp/$u-left.pid"
        e2e_ssh "$u" -- "setsid -f sh -c 'echo \$\$ > /tmp/$u-left.pid; exec sleep 600' </dev/null >/dev/null 2>&1" \
                || fail "the ssh login of $u failed"
        wait_for 10 in_host test -s "/tmp/$u-left.pid" || fail "no process left behind by $u"
        LEFT_PID=$(in_host cat "/tmp/$u-left.pid" 2>/dev/null || echo 0)
        SID=$(in_host cat "/proc/$LEFT_PID/cgroup" 2>/dev/null | sed -n 's|.*/session-\([^/]*\)\.scope$|\1|p')
}

# ---- cases ------------------------------------------------------------------------------------

# A grant of a few seconds: its timer is listed, fires at the deadline, and
# the ssh session opened under it ends (client disconnected, a process left
# in it gone); a new login is refused.
case_timers() {
        local gid exp spec want rc t_ms
        boot_lifecycle
        gid=$(admin_grant bob login 15s "e2e: timer case") || gid=
        check "15 s login grant for bob ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        check "jit-expire-$gid.timer in systemctl list-timers 'jit-*'" wait_for 5 timer_listed "$gid"
        in_host systemctl list-timers --no-pager 'jit-*' | show
        spec=$(in_host systemctl show -P TimersCalendar "jit-expire-$gid.timer")
        want=$(date -u -d "@$exp" '+%Y-%m-%d %H:%M:%S UTC')
        check "OnCalendar= is the deadline in UTC ($want)" grep -qF "$want" <<<"$spec"

        start_session bob "$WORKDIR/ssh.out"
        check "bob's ssh session is recorded under $gid" wait_for 10 has_open_session "$gid"
        check "a process left in the session runs (pid $LEFT_PID)" in_host kill -0 "$LEFT_PID"

        rc=0; wait_exit "$SESSION_PID" $((exp - $(date +%s) + 15)) || rc=$?
        t_ms=$(now_ms)
        check "the ssh client was disconnected (exit $rc)" test "$rc" != 124
        check "... not before the deadline" test "$t_ms" -ge $((exp * 1000))
        check "... within 2 s of it ($((t_ms - exp * 1000)) ms)" test "$t_ms" -le $((exp * 1000 + 2000))
        refute "the process left in the session is gone" in_host kill -0 "$LEFT_PID" 2>/dev/null
        refute "bob: a new login is refused" e2e_ssh bob -- true 2>/dev/null
        check "the grant was expired by its timer's 'jitctl expire' (ended by root)" \
                test "$(grant_field "$gid" ended_by)" = root
        check "the timer's service ran jitctl" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -b -u jit-expire-$gid.service -o cat | grep -qF 'Expired $gid'"
        refute "the timer is gone" timer_listed "$gid"
        check "journal: session-terminated for $gid" journal_has SESSION_TERMINATED "JIT_GRANT_ID=$gid"
        check "journal: grant-expired for $gid" journal_has GRANT_EXPIRED "JIT_GRANT_ID=$gid"
}

# Revoke ends the sessions at once and removes the timer.
case_revoke() {
        local gid rc t0
        boot_lifecycle
        gid=$(admin_grant alice login 30m "e2e: revoke case") || gid=
        check "30 min login grant for alice ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        check "its timer is listed" wait_for 5 timer_listed "$gid"
        start_session alice "$WORKDIR/ssh.out"
        check "alice's ssh session is recorded under $gid" wait_for 10 has_open_session "$gid"
        t0=$SECONDS
        check "carol revokes $gid" quiet jitctl_as carol revoke "$gid" --reason "e2e: revoke case"
        rc=0; wait_exit "$SESSION_PID" 10 || rc=$?
        check "the ssh client was disconnected at once (exit $rc, $((SECONDS - t0)) s)" test "$rc" != 124
        refute "the process left in the session is gone" in_host kill -0 "$LEFT_PID" 2>/dev/null
        refute "the timer is gone" timer_listed "$gid"
        check "the session is closed in jitd's record" test -z "$(open_sessions "$gid")"
        check "journal: session-terminated, because the grant was revoked" \
                journal_has SESSION_TERMINATED "JIT_REASON=was revoked"
        refute "alice: a new login is refused" e2e_ssh alice -- true 2>/dev/null
}

# Timers are transient: after losing them (as a reboot would) a restart of
# jitd re-creates them. A grant whose deadline passes while jitd is stopped
# is expired when it starts again, and its session ended.
case_restart() {
        local glong gshort exp rc
        boot_lifecycle
        glong=$(admin_grant alice login 30m "e2e: restart case") || glong=
        check "timer for $glong" wait_for 5 timer_listed "$glong"
        in_host systemctl stop "jit-expire-$glong.timer"
        refute "timer removed behind jitd's back" timer_listed "$glong"
        in_host systemctl restart jitd.service
        check "after restarting jitd its timer is back" wait_for 10 timer_listed "$glong"
        check "... and the grant is still active" grant_state_is "$glong" active

        gshort=$(admin_grant bob login 12s "e2e: restart case, short") || gshort=
        exp=$(grant_field "$gshort" expires_at)
        start_session bob "$WORKDIR/ssh.out"
        check "bob's ssh session is recorded under $gshort" wait_for 10 has_open_session "$gshort"
        e2e_stop_jitd
        e2e_log "jitd stopped; waiting past the deadline of $gshort"
        while [ "$(date +%s)" -le $((exp + 2)) ]; do sleep 0.5; done
        check "the session outlives the deadline while jitd is down" kill -0 "$SESSION_PID"
        e2e_resume_jitd
        rc=0; wait_exit "$SESSION_PID" 15 || rc=$?
        check "once jitd is back, the session ends (ssh exit $rc)" test "$rc" != 124
        check "$gshort is expired" grant_state_is "$gshort" expired
        refute "its process is gone" in_host kill -0 "$LEFT_PID" 2>/dev/null
        check "$glong still has its timer" timer_listed "$glong"
}

# warn_before ahead of the deadline, the terminal of the session hears it;
# `jitctl extend` files an extension, and once approved the session carries
# on past the old deadline under the new grant.
case_warning_extend() {
        local gid exp req gnew exp2 out=$WORKDIR/ssh.out
        boot_lifecycle 'warn_before = 8s'
        gid=$(admin_grant bob login 20s "e2e: warning case") || gid=
        exp=$(grant_field "$gid" expires_at)
        # -tt: a pty, as an interactive login has
        start_session bob "$out" -tt
        check "bob's ssh session is recorded under $gid" wait_for 10 has_open_session "$gid"
        check "the warning reaches bob's terminal" wait_for 20 grep -qF "pam_jit: your access (login grant $gid) ends at" "$out"
        check "... before the deadline" test "$(date +%s)" -lt "$exp"
        show "$out"
        check "journal: grant-expiry-warning for $gid" journal_has GRANT_EXPIRY_WARNING "JIT_GRANT_ID=$gid"

        jitctl_as bob extend --duration 10m --reason "e2e: need more time" >"$WORKDIR/extend.out" 2>&1 || true
        show "$WORKDIR/extend.out"
        req=$(e2e_pending_request bob login) || req=
        check "jitctl extend created a pending request ($req)" test -n "$req"
        check "... that extends $gid" test "$(request_field "$req" extends)" = "$gid"
        check "jitctl list shows it as an extension" sh -c \
                "nsenter -t $E2E_LEADER -a env -i PATH=$E2E_PATH jitctl list --pending | grep -qF 'extension of $gid'"
        gnew=$(jitctl_as carol approve "$req" --json | json_get "d.get('grant_id')") || gnew=
        exp2=$(grant_field "$gnew" expires_at)
        check "approved: $gnew ends 10 min after $gid would have" test "$exp2" = $((exp + 600))
        check "$gid ended, extended by $gnew" test "$(grant_field "$gid" extended_by)" = "$gnew"
        check "the session moved to $gnew" wait_for 5 has_open_session "$gnew"
        refute "$gid's timer is gone" timer_listed "$gid"
        check "$gnew has a timer" wait_for 5 timer_listed "$gnew"
        while [ "$(date +%s)" -le $((exp + 2)) ]; do sleep 0.5; done
        check "past the old deadline, the session is still there" kill -0 "$SESSION_PID"
        check "... and so is the process left in it" in_host kill -0 "$LEFT_PID"
}

# sudo's cached credentials go with the grant: the user's timestamp file in
# /run/sudo/ts is removed when the sudo grant is revoked.
case_sudo_timestamp() {
        local glogin gsudo out
        boot_lifecycle
        glogin=$(admin_grant alice login 30m "e2e: sudo timestamp case") || glogin=
        gsudo=$(admin_grant alice sudo 30m "e2e: sudo timestamp case") || gsudo=
        check "login and sudo grants for alice ($glogin, $gsudo)" sh -c "[ -n '$glogin' ] && [ -n '$gsudo' ]"
        out=$(e2e_ssh alice -- "$(sudo_cmd alice unused true) && echo SUDO-OK" 2>&1) || true
        check "sudo with the grant (it caches the credentials)" grep -q SUDO-OK <<<"$out"
        check "sudo's timestamp file of alice exists" in_host test -f /run/sudo/ts/alice
        check "carol revokes $gsudo" quiet jitctl_as carol revoke "$gsudo"
        check "the timestamp file is gone" wait_for 5 sh -c "! nsenter -t $E2E_LEADER -a test -e /run/sudo/ts/alice"
        check "jitd says so in the journal" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -t jitd -b -o cat | grep -qF \"Dropped sudo's cached credentials of alice\""
}

# The wall clock jumps forward one hour as jitd and pam_jit.so (in sshd) see
# it: both services run with fakeclock.so (tests/e2e/fakeclock.c) preloaded,
# which shifts only their wall clock by the seconds in a file, read again
# at once when it changes; their monotonic clocks, the machine's own clock
# and systemd's are untouched, as in a real jump, so no timer fires. The
# decision alone, comparing the stored deadline with "now", must stop
# admitting alice. (Not libfaketime: Debian 12's moves absolute
# CLOCK_MONOTONIC timerfd deadlines by its offset too, and the jump ends
# jitd's event loop with EINVAL; see fakeclock.c.)
FAKECLOCK_HOST=/usr/local/lib/jit-e2e/fakeclock.so
FAKECLOCK_FILE=/run/jit-e2e-fakeclock
# Copied and bound like the build's binaries (lib.sh e2e_stage_jit), with
# the packages too: it is no part of them.
stage_fakeclock() {
        install -m 0644 "$FAKECLOCK" "$E2E_WORK/stage/jit/fakeclock.so"
        e2e_bind "$E2E_WORK/stage/jit/fakeclock.so" "$FAKECLOCK_HOST"
}
# Written whole (rename): a reader never sees it empty.
set_fake_offset() { in_host sh -c "echo '$1' > $FAKECLOCK_FILE.new && mv $FAKECLOCK_FILE.new $FAKECLOCK_FILE"; }
main_pid() { in_host systemctl show -P MainPID "$1"; }
case_clock_jump() {
        local gid exp u t_real t_jitd req jitd_pid
        if [ -z "$FAKECLOCK" ] || [ ! -f "$FAKECLOCK" ]; then
                fail "no fakeclock.so (--fakeclock '$FAKECLOCK')"; return 0
        fi
        STAGE_EXTRA=stage_fakeclock boot_lifecycle
        set_fake_offset +0
        for u in jitd ssh; do
                in_host mkdir -p "/etc/systemd/system/$u.service.d"
                in_host sh -c "printf '%s\n' '[Service]' \
                        'Environment=LD_PRELOAD=$FAKECLOCK_HOST JIT_FAKECLOCK_FILE=$FAKECLOCK_FILE' \
                        > /etc/systemd/system/$u.service.d/fakeclock.conf"
        done
        in_host systemctl daemon-reload
        in_host systemctl restart jitd.service ssh.service
        check "jitd runs with fakeclock.so" sh -c \
                "nsenter -t $E2E_LEADER -a cat /proc/\$(nsenter -t $E2E_LEADER -a systemctl show -P MainPID jitd.service)/maps | grep -qF $FAKECLOCK_HOST"
        check "sshd runs with fakeclock.so" sh -c \
                "nsenter -t $E2E_LEADER -a cat /proc/\$(nsenter -t $E2E_LEADER -a systemctl show -P MainPID ssh.service)/maps | grep -qF $FAKECLOCK_HOST"

        gid=$(admin_grant alice login 30m "e2e: clock jump case") || gid=
        check "30 min login grant for alice ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        check "alice logs in under $gid (no offset)" quiet e2e_ssh alice -- true
        jitd_pid=$(main_pid jitd.service)

        set_fake_offset +1h
        t_real=$(date +%s)
        refute "after the jump, alice's login is refused" e2e_ssh alice -- true 2>/dev/null
        # the refused login filed a request, stamped by jitd's own clock
        req=$(e2e_wait_pending_request alice login 5) || req=
        t_jitd=$(request_field "$req" created_at) || t_jitd=0
        check "jitd's clock is one hour ahead (request $req at $t_jitd, machine: $t_real)" \
                test "$t_jitd" -ge $((t_real + 3500)) -a "$t_jitd" -le $((t_real + 3700))
        check "... past the grant's deadline ($exp)" test "$t_jitd" -gt "$exp"
        check "journal: access-denied for alice's login" \
                journal_has ACCESS_DENIED "JIT_USER=alice"
        refute "no expiry timer has fired: the decision alone refused her" \
                sh -c "nsenter -t $E2E_LEADER -a journalctl -q -b -u jit-expire-$gid.service -o cat | grep -q ."
        check "jitd lived through the jump (pid $jitd_pid)" \
                test "$(main_pid jitd.service)" = "$jitd_pid" -a "$(in_host systemctl show -P ActiveState jitd.service)" = active
}


# A user logs out and leaves a process behind (Debian: KillUserProcesses=no,
# so logind keeps the session "closing"). pam_jit's close_session recorded
# the session closed; at expiry jitd still ends what logind keeps of it.
logout_left_behind() {   # USER GRANT_ID
        local u=$1 gid=$2
        login_leave_process "$u"
        check "$u logged out: the session ($SID) is recorded closed under $gid" \
                wait_for 10 has_closed_session "$gid"
        check "... and none is open" test -z "$(open_sessions "$gid")"
        check "the process left behind outlives the logout (pid $LEFT_PID)" in_host kill -0 "$LEFT_PID"
        check "... in logind's session $SID, now closing" \
                test "$(in_host loginctl show-session -P State "$SID" 2>/dev/null)" = closing
}

case_logout_expiry() {
        local gid exp
        boot_lifecycle
        gid=$(admin_grant bob login 15s "e2e: logout case") || gid=
        check "15 s login grant for bob ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        logout_left_behind bob "$gid"
        while [ "$(date +%s)" -le "$exp" ]; do sleep 0.5; done
        check "after the deadline, the process left behind is gone" \
                wait_for 10 sh -c "! nsenter -t $E2E_LEADER -a kill -0 $LEFT_PID 2>/dev/null"
        check "... and so is logind's session $SID" \
                wait_for 5 sh -c "! nsenter -t $E2E_LEADER -a loginctl show-session $SID >/dev/null 2>&1"
        check "journal: session-terminated for $gid (session $SID)" \
                journal_has SESSION_TERMINATED "JIT_SESSION=$SID"
        check "... because it expired" journal_has SESSION_TERMINATED "JIT_REASON=expired"
}

case_logout_revoke() {
        local gid other
        boot_lifecycle
        gid=$(admin_grant alice login 30m "e2e: logout revoke case") || gid=
        check "30 min login grant for alice ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        logout_left_behind alice "$gid"
        # carol's session is no grant's: revoking alice's grant leaves it be
        E2E_EXEC=1 e2e_ssh carol -- 'sleep 600' >/dev/null 2>&1 &
        other=$!; E2E_BG+=("$other")
        check "carol's ssh session runs" wait_for 10 sh -c \
                "nsenter -t $E2E_LEADER -a loginctl list-sessions --no-legend | grep -qw carol"
        check "carol revokes $gid" quiet jitctl_as carol revoke "$gid" --reason "e2e: logout revoke case"
        check "the process alice left behind is gone" \
                wait_for 10 sh -c "! nsenter -t $E2E_LEADER -a kill -0 $LEFT_PID 2>/dev/null"
        check "journal: session-terminated for $gid, because it was revoked" \
                journal_has SESSION_TERMINATED "JIT_REASON=was revoked"
        check "carol's session is untouched" kill -0 "$other"
}

# jitd ends a recorded session only if logind's session of that id is
# provably the recorded one. Two sessions left behind by bob, whose records
# are altered to say otherwise (another owner; recorded before logind
# created the session, as a reused id would be): both survive the expiry.
jitd_db_sql() {   # SQL: one row changed in the host's database, while jitd runs
        # chroot: SQLite resolves the /proc/PID/root link to this machine's /
        "$E2E_PYTHON" -c 'import os, sqlite3, sys
os.chroot(sys.argv[1]); os.chdir("/")
db = sqlite3.connect("/var/lib/jitd/jitd.db", timeout=10)
with db:
    n = db.execute(sys.argv[2]).rowcount
sys.exit(0 if n == 1 else 1)' "/proc/$E2E_LEADER/root" "$1"
}
case_logout_not_ours() {
        local gid exp pid1 sid1 pid2 sid2
        boot_lifecycle
        gid=$(admin_grant bob login 15s "e2e: not ours case") || gid=
        check "15 s login grant for bob ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        logout_left_behind bob "$gid"; pid1=$LEFT_PID sid1=$SID
        logout_left_behind bob "$gid"; pid2=$LEFT_PID sid2=$SID
        check "two sessions left behind ($sid1, $sid2)" test -n "$sid1" -a -n "$sid2" -a "$sid1" != "$sid2"
        check "record of $sid1 altered: another owner" \
                jitd_db_sql "UPDATE sessions SET uid = uid + 1 WHERE session_id = '$sid1' AND grant_id = '$gid'"
        check "record of $sid2 altered: made before the session existed" \
                jitd_db_sql "UPDATE sessions SET opened_monotonic_usec = 1 WHERE session_id = '$sid2' AND grant_id = '$gid'"
        while [ "$(date +%s)" -le $((exp + 3)) ]; do sleep 0.5; done
        check "$gid expired" grant_state_is "$gid" expired
        check "jitd looked and refused: $sid1" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -t jitd -b -o cat | grep -qF 'Session $sid1 is not the one recorded'"
        check "... and $sid2" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -t jitd -b -o cat | grep -qF 'Session $sid2 is not the one recorded'"
        check "the process in $sid1 still runs" in_host kill -0 "$pid1"
        check "the process in $sid2 still runs" in_host kill -0 "$pid2"
        refute "journal: no session-terminated" journal_has SESSION_TERMINATED "JIT_GRANT_ID=$gid"
}

# [sudo] on_expiry = terminate: the login session sudo ran in is recorded
# under the sudo grant (jitd finds it from the sudo process itself), its
# terminal is warned before the grant ends, and at expiry the session ends,
# with the process started under sudo.
case_sudo_terminate() {
        local glogin gsudo exp rc out=$WORKDIR/ssh.out
        boot_lifecycle 'warn_before = 8s\n[sudo]\non_expiry = terminate'
        glogin=$(admin_grant alice login 30m "e2e: sudo terminate case") || glogin=
        gsudo=$(admin_grant alice sudo 20s "e2e: sudo terminate case") || gsudo=
        check "login and 20 s sudo grants for alice ($glogin, $gsudo)" sh -c "[ -n '$glogin' ] && [ -n '$gsudo' ]"
        [ -n "$gsudo" ] || return 0
        exp=$(grant_field "$gsudo" expires_at)
        in_host rm -f /tmp/alice-sudo.pid
        # -tt: a pty, as an interactive login has
        E2E_EXEC=1 e2e_ssh alice -tt -- \
                "$(sudo_cmd alice unused sh -c 'echo $$ > /tmp/alice-sudo.pid; exec sleep 600') & sleep 600" \
                >"$out" 2>&1 &
        SESSION_PID=$!; E2E_BG+=("$SESSION_PID")
        check "a process runs under sudo" wait_for 15 in_host test -s /tmp/alice-sudo.pid
        LEFT_PID=$(in_host cat /tmp/alice-sudo.pid 2>/dev/null || echo 0)
        check "... as root (pid $LEFT_PID)" test "$(in_host ps -o uid= -p "$LEFT_PID" | tr -d ' ')" = 0
        check "the login session sudo ran in is recorded under $gsudo" wait_for 10 has_open_session "$gsudo"
        check "the warning reaches alice's terminal" \
                wait_for 20 grep -qF "pam_jit: your access (sudo grant $gsudo) ends at" "$out"
        check "... before the deadline" test "$(date +%s)" -lt "$exp"
        check "journal: grant-expiry-warning for $gsudo" journal_has GRANT_EXPIRY_WARNING "JIT_GRANT_ID=$gsudo"
        rc=0; wait_exit "$SESSION_PID" $((exp - $(date +%s) + 15)) || rc=$?
        show "$out"
        check "at the deadline the ssh session ended (exit $rc)" test "$rc" != 124
        check "... not before it" test "$(date +%s)" -ge "$exp"
        refute "the process started under sudo is gone" in_host kill -0 "$LEFT_PID" 2>/dev/null
        check "journal: session-terminated for $gsudo" journal_has SESSION_TERMINATED "JIT_GRANT_ID=$gsudo"
        check "the login grant is still active" grant_state_is "$glogin" active
}

# logind is down when a grant expires: masked at runtime and stopped (masked,
# so a D-Bus call to org.freedesktop.login1 cannot activate it again). The
# grant expires and is audited, but its ssh session cannot be ended; jitd
# logs the failed call and keeps the teardown pending, retrying after 2, 4,
# 8 ... s (teardown.c). Started again, logind re-reads its sessions from
# /run/systemd/sessions, and the next retry ends alice's session.
logind_state() { in_host systemctl show -P ActiveState systemd-logind.service; }
# A call as any bus client makes it (busctl: auto-start allowed, unlike
# jitd's); what the bus answered goes to $WORKDIR/busctl.err.
logind_answers() {
        in_host timeout 20 busctl --timeout=10 call org.freedesktop.login1 /org/freedesktop/login1 \
                org.freedesktop.login1.Manager ListSessions >/dev/null 2>"$WORKDIR/busctl.err"
}
# A line of jitd's own log (MESSAGE; no JIT_* fields) at warning or worse.
# The MESSAGE of the session-teardown-failed entry of GRANT's attempt N
# holds every TEXT.
audit_message_has() {   # GRANT N TEXT...
        local msg t
        msg=$(in_host journalctl -q -t jitd -b "MESSAGE_ID=$(e2e_message_id SESSION_TEARDOWN_FAILED)" \
                "JIT_GRANT_ID=$1" "JIT_ATTEMPTS=$2" -o cat --no-pager)
        shift 2
        [ -n "$msg" ] || return 1
        for t in "$@"; do grep -qF -- "$t" <<<"$msg" || return 1; done
}
jitd_warned() {   # TEXT
        in_host journalctl -q -t jitd -b -p warning -o cat --no-pager | grep -qF -- "$1"
}
case_logind_retry() {
        local gid exp sid rc t_up t_ms retry
        boot_lifecycle
        gid=$(admin_grant alice login 20s "e2e: logind retry case") || gid=
        check "20 s login grant for alice ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        start_session alice "$WORKDIR/ssh.out"
        check "alice's ssh session is recorded under $gid" wait_for 10 has_open_session "$gid"
        sid=$(in_host cat "/proc/$LEFT_PID/cgroup" 2>/dev/null | sed -n 's|.*/session-\([^/]*\)\.scope$|\1|p')
        check "a process left in logind's session $sid runs (pid $LEFT_PID)" in_host kill -0 "$LEFT_PID"
        check "logind knows it as alice's" test "$(in_host loginctl show-session -P Name "$sid" 2>/dev/null)" = alice

        while [ "$(date +%s)" -lt $((exp - 6)) ]; do sleep 0.2; done
        in_host systemctl mask --runtime --quiet systemd-logind.service
        in_host systemctl stop systemd-logind.service
        e2e_log "systemd-logind masked and stopped, $((exp - $(date +%s))) s before the deadline"
        check "logind is stopped ($(logind_state))" test "$(logind_state)" != active
        refute "a call to org.freedesktop.login1 fails: D-Bus cannot activate it while masked" logind_answers
        show "$WORKDIR/busctl.err"
        check "... and it stays stopped ($(logind_state))" test "$(logind_state)" != active
        check "all this before the deadline" test "$(date +%s)" -lt "$exp"

        check "journal: grant-expired for $gid" \
                wait_for $((exp - $(date +%s) + 15)) journal_has GRANT_EXPIRED "JIT_GRANT_ID=$gid"
        check "$gid is expired" grant_state_is "$gid" expired
        check "jitd logs the failed logind call" \
                wait_for 30 jitd_warned "Cannot ask logind about session $sid of alice, so it is not ended (grant $gid expired)"
        retry="could not end alice's sessions under login grant $gid on"
        check "journal: session-teardown-failed for $gid, attempt 1, at warning priority" \
                wait_for 5 journal_has SESSION_TEARDOWN_FAILED "JIT_GRANT_ID=$gid" JIT_USER=alice JIT_ACTION=login \
                JIT_ATTEMPTS=1 PRIORITY=4
        check "... saying what failed and that it will retry: 'attempt 1 of 8): ... session $sid ...; trying again in 2s'" \
                audit_message_has "$gid" 1 "$retry" "(attempt 1 of 8): cannot ask logind about session $sid" \
                "; trying again in 2s"
        check "the retry fails too while logind is down: 'attempt 2 of 8 ...; trying again in 4s'" \
                wait_for 30 audit_message_has "$gid" 2 "$retry" "(attempt 2 of 8)" "; trying again in 4s"
        check "alice's ssh session is not ended yet" kill -0 "$SESSION_PID"
        check "... nor is the process left in it" in_host kill -0 "$LEFT_PID"
        check "... and jitd still has it open" has_open_session "$gid"
        refute "journal: no session-terminated yet" journal_has SESSION_TERMINATED "JIT_GRANT_ID=$gid"

        in_host systemctl unmask --runtime --quiet systemd-logind.service
        in_host systemctl start systemd-logind.service
        t_up=$(now_ms)
        e2e_log "systemd-logind unmasked and started, $(($(date +%s) - exp)) s after the deadline"
        check "logind is back ($(logind_state))" test "$(logind_state)" = active
        check "it still knows alice's session $sid (re-read from /run/systemd/sessions)" \
                test "$(in_host loginctl show-session -P Name "$sid" 2>/dev/null)" = alice
        rc=0; wait_exit "$SESSION_PID" 30 || rc=$?
        t_ms=$(now_ms)
        check "a retry ends the ssh session: the client was disconnected (exit $rc, $((t_ms - t_up)) ms after logind came back)" \
                test "$rc" != 124
        refute "the process left in the session is gone" in_host kill -0 "$LEFT_PID" 2>/dev/null
        check "... and so is logind's session $sid" \
                wait_for 5 sh -c "! nsenter -t $E2E_LEADER -a loginctl show-session $sid >/dev/null 2>&1"
        check "jitd records it closed" test -z "$(open_sessions "$gid")"
        refute "alice: a new login is refused" e2e_ssh alice -- true 2>/dev/null
        check "journal: session-terminated for $gid (session $sid), because it expired" \
                journal_has SESSION_TERMINATED "JIT_SESSION=$sid" "JIT_GRANT_ID=$gid" "JIT_REASON=expired"
        refute "jitd did not give up" jitd_warned "gave up ending alice's sessions under login grant $gid"
        # what an admin reads: the audit trail of the grant, and jitd's warnings about it
        e2e_log "journalctl -t jitd -b JIT_GRANT_ID=$gid; journalctl -t jitd -b -p warning --grep $gid:"
        { in_host journalctl -q -t jitd -b "JIT_GRANT_ID=$gid" -o short-precise --no-pager
          in_host journalctl -q -t jitd -b -p warning --grep "$gid" -o short-precise --no-pager; } | show
}

# ---- scheduled jobs: cron, atd and the user's manager -----------------------------------------
# During a login grant alice installs a crontab (every minute), queues two
# at jobs and two `systemd-run --user` timers, one of each due under the
# grant (the control: they run) and one due after its deadline (they must
# not: cron and atd ask pam_jit in the account phase, and jitd ends her
# user manager at the deadline instead of logind's UserStopDelaySec
# later). Every job appends "NAME EPOCH" to ~/jobs.log. cron runs on minute
# boundaries, so the deadline is put 15 s after the next one (M1), and the
# case watches the one after it (M2): about two minutes.
#
# With --debs the host uses the pam-auth-update profile instead of the
# hand-written lines (cron, atd and systemd-user gated by common-account).
use_pam_profile() {
        in_host sed -i '/pam_jit\.so/d' /etc/pam.d/sshd /etc/pam.d/cron /etc/pam.d/atd
        in_host rm -f /etc/pam.d/systemd-user   # back to systemd's /usr/lib/pam.d/systemd-user
        check "pam-auth-update --enable jit" in_host env DEBIAN_FRONTEND=noninteractive pam-auth-update --enable jit
        check "... puts pam_jit.so action=login norequest into common-account" \
                in_host grep -q 'pam_jit.so action=login norequest' /etc/pam.d/common-account
}
job_lines() {   # NAME: the epochs NAME ran at, one a line
        in_host sh -c "cat /home/alice/jobs.log 2>/dev/null" | sed -n "s/^$1 \([0-9]*\)$/\1/p"
}
ran_before() { local t; for t in $(job_lines "$1"); do [ "$t" -lt "$2" ] && return 0; done; return 1; }   # NAME EPOCH
ran_since() { local t; for t in $(job_lines "$1"); do [ "$t" -ge "$2" ] && return 0; done; return 1; }    # NAME EPOCH
unit_inactive() { [ "$(in_host systemctl show -P ActiveState "$1")" = inactive ]; }
case_scheduled_jobs() {
        local now m1 m2 gid exp uid rc t_ms at1 at2 jobs um_gone
        boot_lifecycle
        [ -z "${E2E_DEBS:-}" ] || use_pam_profile
        check "cron and atd run" in_host systemctl -q is-active cron.service atd.service
        uid=$(in_host id -u alice)

        now=$(date +%s)
        m1=$(( (now + 15) / 60 * 60 + 60 ))   # the first minute boundary at least 15 s away
        m2=$((m1 + 60))
        gid=$(admin_grant alice login "$((m1 + 15 - now))s" "e2e: scheduled jobs") || gid=
        check "login grant for alice until 15 s after the next minute ($gid)" matches "$gid" "$GRANT_ID_RE"
        [ -n "$gid" ] || return 0
        exp=$(grant_field "$gid" expires_at)
        at1=$(date -u -d "@$m1" +%Y%m%d%H%M)
        at2=$(date -u -d "@$m2" +%Y%m%d%H%M)

        # shellcheck disable=SC2016 # expands in the host
        jobs='rm -f ~/jobs.log
echo "* * * * * echo cron \$(date +\%s) >> \$HOME/jobs.log" | crontab -
echo "echo at-control \$(date +%s) >> \$HOME/jobs.log" | TZ=UTC at -t '$at1' 2>&1
echo "echo at-after \$(date +%s) >> \$HOME/jobs.log" | TZ=UTC at -t '$at2' 2>&1
systemd-run --user --quiet --on-active=2s --timer-property=AccuracySec=100ms --unit=sd-control sh -c "echo sd-control \$(date +%s) >> \$HOME/jobs.log"
systemd-run --user --quiet --on-active='$((exp - now + 4))'s --timer-property=AccuracySec=100ms --unit=sd-after sh -c "echo sd-after \$(date +%s) >> \$HOME/jobs.log"
systemctl --user list-timers --no-pager; crontab -l; atq
echo JOBS-QUEUED; exec sleep 600'
        E2E_EXEC=1 e2e_ssh alice -- "$jobs" >"$WORKDIR/ssh.out" 2>&1 &
        SESSION_PID=$!; E2E_BG+=("$SESSION_PID")
        check "alice logs in under the grant and queues her jobs" wait_for 20 grep -q JOBS-QUEUED "$WORKDIR/ssh.out"
        show "$WORKDIR/ssh.out"
        check "her user manager runs (user@$uid.service)" in_host systemctl -q is-active "user@$uid.service"

        # the control: under the grant, every kind of job runs
        check "CONTROL: the systemd-run --user timer ran under the grant" wait_for 10 ran_before sd-control "$exp"
        check "CONTROL: cron ran her job under the grant (by $(date -u -d "@$m1" +%T))" \
                wait_for $((m1 - $(date +%s) + 10)) ran_before cron "$exp"
        check "CONTROL: atd ran her at job under the grant (due $(date -u -d "@$m1" +%T))" \
                wait_for $((m1 - $(date +%s) + 10)) ran_before at-control "$exp"

        # the deadline: session ended, and the manager with it, at once
        rc=0; wait_exit "$SESSION_PID" $((exp - $(date +%s) + 15)) || rc=$?
        check "the ssh session ended at the deadline (exit $rc)" test "$rc" != 124
        um_gone=0; wait_for 5 unit_inactive "user@$uid.service" && um_gone=1
        t_ms=$(now_ms)
        check "user@$uid.service is gone $((t_ms - exp * 1000)) ms after the deadline (logind would wait UserStopDelaySec=10s)" \
                test "$um_gone" = 1 -a "$t_ms" -le $((exp * 1000 + 5000))
        check "... not failed: the host is not left degraded" \
                test "$(in_host systemctl show -P ActiveState "user@$uid.service")" = inactive
        check "journal: user-manager-stopped for $gid (JIT_UNIT=user@$uid.service)" \
                journal_has USER_MANAGER_STOPPED "JIT_GRANT_ID=$gid" JIT_USER=alice "JIT_UNIT=user@$uid.service"
        check "no process of alice is left" wait_for 3 sh -c "! nsenter -t $E2E_LEADER -a pgrep -u alice >/dev/null"

        # after the deadline nothing of hers runs: wait past the next minute
        while [ "$(date +%s)" -lt $((m2 + 10)) ]; do sleep 1; done
        refute "the systemd-run --user timer due 4 s after the deadline did not run" ran_since sd-after 0
        refute "cron did not run her job at $(date -u -d "@$m2" +%T), after the deadline" ran_since cron "$exp"
        refute "atd did not run her at job due after the deadline" ran_since at-after 0
        refute "nothing at all was written after the deadline" sh -c \
                "nsenter -t $E2E_LEADER -a cat /home/alice/jobs.log | awk '\$2 >= $exp {f = 1} END {exit !f}'"
        check "journal: cron's job refused by jitd (access-denied, JIT_SERVICE=cron)" \
                journal_has ACCESS_DENIED JIT_USER=alice JIT_SERVICE=cron
        check "journal: atd's job refused by jitd (access-denied, JIT_SERVICE=atd)" \
                journal_has ACCESS_DENIED JIT_USER=alice JIT_SERVICE=atd
        check "pam_jit logged the refusal in cron (note=norequest)" sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -b --grep 'access denied: user=alice action=login service=cron' -o cat | grep -q norequest"
        check "... and no request pages the approvers (norequest)" test -z "$(e2e_pending_request alice login)"
        refute "a new login of alice is refused" e2e_ssh alice -- true 2>/dev/null
        e2e_log "what ran, from ~alice/jobs.log (deadline $exp):"
        in_host cat /home/alice/jobs.log | show
}

# Whose manager, and when: a login grant that ends while another of the
# user's login grants is live leaves the manager alone; the last one ends
# it, also when jitd was down at the deadline and does it when it is back.
manager_timer_active() { in_host runuser -u alice -- env XDG_RUNTIME_DIR="/run/user/$1" systemctl --user -q is-active keep.timer; }
case_user_manager() {
        local glong gshort uid rc t0 t_ms exp
        boot_lifecycle
        uid=$(in_host id -u alice)
        glong=$(admin_grant alice login 30s "e2e: user manager, long") || glong=
        gshort=$(admin_grant alice login 8s "e2e: user manager, short") || gshort=
        check "a 30 s login grant for alice ($glong)" matches "$glong" "$GRANT_ID_RE"
        check "... and an 8 s one ($gshort)" matches "$gshort" "$GRANT_ID_RE"
        [ -n "$glong" ] && [ -n "$gshort" ] || return 0
        E2E_EXEC=1 e2e_ssh alice -- \
                "systemd-run --user --quiet --on-active=1h --unit=keep true && echo TIMER-SET; exec sleep 600" \
                >"$WORKDIR/ssh.out" 2>&1 &
        SESSION_PID=$!; E2E_BG+=("$SESSION_PID")
        check "alice logs in and sets a user timer" wait_for 15 grep -q TIMER-SET "$WORKDIR/ssh.out"
        check "her manager runs it" manager_timer_active "$uid"

        check "$gshort expires" wait_for 20 grant_state_is "$gshort" expired
        check "... its teardown is done (grant-expired in the journal)" \
                wait_for 5 journal_has GRANT_EXPIRED "JIT_GRANT_ID=$gshort"
        sleep 2
        check "with $glong still live, her manager stays (timer active)" manager_timer_active "$uid"
        refute "... no user-manager-stopped for $gshort" journal_has USER_MANAGER_STOPPED "JIT_GRANT_ID=$gshort"
        check "... and her ssh session too" kill -0 "$SESSION_PID"

        exp=$(grant_field "$glong" expires_at)
        e2e_stop_jitd
        e2e_log "jitd stopped, $((exp - $(date +%s))) s before $glong ends"
        # root's own jobs never wait for jitd; a covered user's are refused
        # while it cannot be asked (failmode=secure), grant or not
        in_host sh -c 'echo "echo root-at > /root/at-down.log" | at now' 2>/dev/null
        as_user alice sh -c 'echo "echo alice-at > \$HOME/at-down.log" | at now' 2>/dev/null
        check "with jitd down, root's at job runs (uid 0 skips pam_jit)" wait_for 10 in_host test -s /root/at-down.log
        check "... alice's is refused by atd's PAM stack" wait_for 10 sh -c \
                "nsenter -t $E2E_LEADER -a journalctl -q -b -u atd.service -o cat | grep -q 'pam_jit(atd:account): jitd unavailable: user=alice'"
        refute "... and did not run" in_host test -e /home/alice/at-down.log
        while [ "$(date +%s)" -lt $((exp + 3)) ]; do sleep 0.5; done
        check "$glong's deadline passed while jitd was down: her manager still runs" \
                in_host systemctl -q is-active "user@$uid.service"
        e2e_resume_jitd
        t0=$(now_ms)
        e2e_start_jitd
        rc=0; wait_exit "$SESSION_PID" 15 || rc=$?
        check "jitd back: the session of the expired grant ends (exit $rc)" test "$rc" != 124
        check "... and her manager within 5 s of the start" wait_for 5 unit_inactive "user@$uid.service"
        t_ms=$(now_ms)
        e2e_log "user@$uid.service gone $((t_ms - t0)) ms after jitd was started again"
        check "journal: user-manager-stopped for $glong" \
                journal_has USER_MANAGER_STOPPED "JIT_GRANT_ID=$glong" "JIT_UNIT=user@$uid.service" JIT_REASON=expired
}

# ---- main -------------------------------------------------------------------------------------
declare -F "case_$CASE" >/dev/null || { echo "unknown case: $CASE" >&2; exit 2; }
rc=0; e2e_preflight || rc=$?
[ "$rc" = 0 ] || exit "$rc"
e2e_require_artifacts "$JITD" "$JITCTL" "$PAM"
e2e_log "lifecycle case $CASE"
"case_$CASE"
e2e_verdict "lifecycle case $CASE"
