#!/bin/bash
# tests/e2e/review.sh -- approving from the review link on a booted test host
# (lib.sh): jitd sends a signed webhook to a receiver on the host's loopback,
# alice's ssh keyboard-interactive login waits, an approver's click on the
# review link (a GET, then the form's POST with its CSRF token, made with curl
# in the host's network namespace, as a browser behind a port forward would)
# releases it, and the journal tells the story: request, notification,
# approval with the approver's name. Exit 0 pass, 1 fail, 77 skip.
#
#   review.sh --case NAME --source DIR --workdir DIR (--jitd F --jitctl F --pam F | --debs DIR)
#
# --debs DIR: the host runs the built packages, as in run-case.sh.
#
# Cases: kbdint_web.
set -euo pipefail

# shellcheck source=case-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/case-args.sh" "review" "$@"

boot_review() {
        e2e_rootfs
        e2e_stage_common
        e2e_stage_jit "$JITD" "$JITCTL" "$PAM"
        e2e_stage_approvers
        e2e_boot
        e2e_check_libs
        e2e_start_webhook_receiver || fail "the webhook receiver did not start"
        e2e_start_jitd
}

journal_has() {   # FILE EVENT FIELD=VALUE...
        local f=$1 mid; mid=$(e2e_message_id "$2"); shift 2
        "$E2E_PYTHON" - "$f" "$mid" "$@" <<'EOF'
import json, sys
f, mid, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for line in open(f):
    e = json.loads(line)
    if e.get("MESSAGE_ID") == mid and all(e.get(k) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)
EOF
}

# ---- cases ------------------------------------------------------------------------------------
case_kbdint_web() {
        local log=$WORKDIR/askpass.log req url csrf pid rc status
        local reason="e2e: approve me from the web"
        boot_review
        E2E_EXEC=1 e2e_ssh_interactive alice "$log" "$reason" -- id -un \
                >"$WORKDIR/ssh.out" 2>"$WORKDIR/ssh.err" & pid=$!; E2E_BG+=("$pid")
        req=$(e2e_wait_pending_request alice login 20) || req=
        check "alice's keyboard-interactive login waits on a request ($req)" matches "$req" "$REQ_ID_RE"
        [ -n "$req" ] || { wait_exit "$pid" 1 || true; return 0; }
        wait_for 10 contains "$log" "$req" || true
        check "alice is told where the request went" contains "$log" "Request $req sent to carol via webhook chat"

        wait_for 20 e2e_review_link "$req" carol >/dev/null || true
        url=$(e2e_review_link "$req" carol) || url=
        check "the webhook arrived with carol's review link ($url)" test -n "$url"
        check "... signed (Standard Webhooks, checked by the receiver)" e2e_webhook_signed "$req"
        [ -n "$url" ] || { wait_exit "$pid" 1 || true; return 0; }

        # A link preview first: it must change nothing.
        host_curl -A 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' -o "$WORKDIR/page.html" "$url" ||
                fail "GET the review page"
        host_curl -I -A 'SkypeUriPreview Preview/0.5' -o /dev/null "$url" || true
        check "the page shows the request" contains "$WORKDIR/page.html" "$req"
        check "... after a preview the request is still pending" test "$(request_field "$req" state)" = pending
        check "... and alice still waits" kill -0 "$pid"

        csrf=$(e2e_form_token "$WORKDIR/page.html")
        check "the page carries a CSRF token" test -n "$csrf"
        status=$(host_curl -o "$WORKDIR/post-bad.html" -w '%{http_code}' --data 'csrf=forged&decision=approve&duration=900' "$url") || status=
        check "a POST with a forged token is refused ($status)" test "$status" = 403
        status=$(host_curl -o "$WORKDIR/result.html" -w '%{http_code}' \
                --data "csrf=$csrf&decision=approve&duration=900" "$url") || status=
        check "carol clicks Approve ($status)" test "$status" = 200
        check "the result page says so" contains "$WORKDIR/result.html" "You approved"

        rc=0; wait_exit "$pid" 20 || rc=$?
        check "the waiting login completes (ssh exit $rc)" test "$rc" = 0
        check "the session runs as alice" test "$(cat "$WORKDIR/ssh.out")" = alice
        e2e_log "what alice saw:"; show "$log"; show "$WORKDIR/ssh.err"
        check "alice is told who approved and until when" sh -c \
                "grep -qE 'Approved by carol until [0-9]{4}-' '$log' '$WORKDIR/ssh.err'"
        check "request approved by carol" test "$(request_field "$req" decided_by)" = carol

        status=$(host_curl -o "$WORKDIR/replay.html" -w '%{http_code}' \
                --data "csrf=$csrf&decision=approve&duration=900" "$url") || status=
        check "a replayed POST gets 'already approved' ($status)" test "$status" = 409
        check "... and no second grant" test "$(active_grants alice login | wc -w)" = 1

        check "jitctl show lists the delivered notifications" sh -c \
                "nsenter -t $E2E_LEADER -a jitctl show '$req' | grep -E 'chat +approved +delivered'"
        jitctl_root show "$req" | show

        sleep 0.5
        in_host journalctl -t jitd JIT_REQUEST_ID="$req" -o json --no-pager >"$WORKDIR/journal-request.json"
        e2e_log "journalctl -t jitd JIT_REQUEST_ID=$req:"
        "$E2E_PYTHON" - "$WORKDIR/journal-request.json" <<'EOF' | show
import json, sys
for line in open(sys.argv[1]):
    print(json.loads(line).get("MESSAGE", ""))
EOF
        local j=$WORKDIR/journal-request.json
        check "journal: request created" journal_has "$j" REQUEST_CREATED JIT_USER=alice JIT_SERVICE=sshd
        check "journal: notification delivered to the webhook" journal_has "$j" NOTIFICATION_DELIVERED \
                JIT_ENDPOINT=chat JIT_NOTIFICATION=created
        check "journal: request approved by carol" journal_has "$j" REQUEST_APPROVED JIT_APPROVER=carol
        check "journal: the outcome was sent too" journal_has "$j" NOTIFICATION_DELIVERED JIT_NOTIFICATION=approved
}

# ---- main -------------------------------------------------------------------------------------
declare -F "case_$CASE" >/dev/null || { echo "unknown case: $CASE" >&2; exit 2; }
rc=0; e2e_preflight || rc=$?
[ "$rc" = 0 ] || exit "$rc"
e2e_require_artifacts "$JITD" "$JITCTL" "$PAM"
e2e_log "review case $CASE"
"case_$CASE"
e2e_verdict "review case $CASE"
