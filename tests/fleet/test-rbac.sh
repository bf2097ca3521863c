#!/bin/bash
# The fleet RBAC contract against a real etcd (doc/fleet.md): a host may
# write only its own requests/sessions and read only its pool's grants and
# decisions; only approvers write grants and decisions; no certificate, no
# connection; one dead member of three does not stop writes. Driven through
# the JSON gateway with curl, as jitd's etcd client will be.
set -uo pipefail

command -v etcd >/dev/null && command -v etcdctl >/dev/null || { echo "etcd not installed: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap '"$here/etcd-cluster.sh" stop "$dir"; rm -rf "$dir"' EXIT

"$here/etcd-cluster.sh" start "$dir" --pool web --hosts h1,h2 --pool2 db --hosts2 h3 --approvers a1 || exit 1
# shellcheck disable=SC1091
. "$dir/cluster.env"
IFS=, read -r EP1 EP2 EP3 <<<"$ENDPOINTS"

fail=0
b64() { printf '%s' "$1" | base64 -w0; }
# The gateway refuses certificates with a CN (see etcd-cluster.sh): mutual
# TLS with the CN-less certificate, the user from a password token.
declare -A TOKEN
login() { # USER [ENDPOINT]
	local v; v=$(echo "$1" | tr 'a-z-' 'A-Z_')
	local c="GWCERT_$v" k="GWKEY_$v" pw="PASS_$v" out
	out=$(curl -sS --max-time 10 --cacert "$CA" --cert "${!c}" --key "${!k}" -X POST \
		"${2:-$EP1}/v3/auth/authenticate" -d "{\"name\":\"$1\",\"password\":\"$(cat "${!pw}")\"}" 2>&1)
	TOKEN[$1]=$(printf '%s' "$out" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[ -n "${TOKEN[$1]}" ] || { echo "FAIL: $1 cannot log in: $out"; exit 1; }
}
# call USER ENDPOINT PATH JSON -> prints the response body
call() {
	local v; v=$(echo "$1" | tr 'a-z-' 'A-Z_')
	local c="GWCERT_$v" k="GWKEY_$v"
	curl -sS --max-time 10 --cacert "$CA" --cert "${!c}" --key "${!k}" \
		-H "Authorization: ${TOKEN[$1]}" -X POST "$2$3" -d "$4" 2>&1
}
put() { call "$1" "${3:-$EP1}" /v3/kv/put "{\"key\":\"$(b64 "$2")\",\"value\":\"$(b64 '{"t":1}')\"}"; }
range() { call "$1" "$EP1" /v3/kv/range "{\"key\":\"$(b64 "$2")\",\"range_end\":\"$(b64 "${2%/}0")\"}"; }
ok() { # what body
	if [[ $2 == *'"header"'* && $2 != *'"error"'* ]]; then echo "ok: $1"
	else echo "FAIL: $1: $2"; fail=1; fi
}
denied() { # what body
	if [[ $2 == *'permission denied'* ]]; then echo "ok (refused): $1"
	else echo "FAIL: $1 was not refused: $2"; fail=1; fi
}

P=/pam-jit/v1/pools
H=jit-host-web-h1
for u in jit-approver-a1 $H jit-host-db-h3; do login $u; done
echo "ok: approver and hosts log in over mutual TLS with password tokens"
out=$(curl -sS --max-time 10 --cacert "$CA" --cert "$CERT_JIT_HOST_WEB_H1" --key "$KEY_JIT_HOST_WEB_H1" \
	-X POST "$EP1/v3/kv/range" -d "{\"key\":\"$(b64 $P/web/grants/g1)\"}" 2>&1)
[[ $out == *'CommonName'* ]] && echo "ok (refused): the gateway ignores a certificate's CN as identity" \
	|| { echo "FAIL: a CN certificate on the gateway got: $out"; fail=1; }
ok     "approver writes a grant for pool web" "$(put jit-approver-a1 $P/web/grants/g1)"
ok     "approver writes a decision for pool web" "$(put jit-approver-a1 $P/web/decisions/r1)"
ok     "approver writes a grant for pool db" "$(put jit-approver-a1 $P/db/grants/g2)"
ok     "host web/h1 writes its own request" "$(put $H $P/web/requests/h1/r1)"
ok     "host web/h1 writes its own session" "$(put $H $P/web/sessions/h1/s1)"
out=$(range $H $P/web/grants/)
ok     "host web/h1 reads pool web's grants" "$out"
[[ $out == *"$(b64 $P/web/grants/g1)"* ]] && echo "ok: ... and sees grant g1" || { echo "FAIL: grant g1 not in $out"; fail=1; }
ok     "host web/h1 reads pool web's decisions" "$(range $H $P/web/decisions/)"
denied "host web/h1 writes a grant" "$(put $H $P/web/grants/g9)"
denied "host web/h1 writes a decision" "$(put $H $P/web/decisions/r1)"
denied "host web/h1 writes host h2's request" "$(put $H $P/web/requests/h2/r1)"
denied "host web/h1 writes host h2's session" "$(put $H $P/web/sessions/h2/s1)"
denied "host web/h1 writes a request in pool db" "$(put $H $P/db/requests/h3/r1)"
denied "host web/h1 reads pool db's grants" "$(range $H $P/db/grants/)"
denied "host web/h1 writes under approvers/" "$(put $H /pam-jit/v1/approvers/leader)"
denied "host db/h3 reads pool web's grants" "$(range jit-host-db-h3 $P/web/grants/)"

out=$(curl -sS --max-time 10 --cacert "$CA" -X POST "$EP1/v3/kv/range" -d "{\"key\":\"$(b64 $P/web/grants/g1)\"}" 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ $out != *'"header"'* ]]; then echo "ok (refused at TLS): a client without a certificate (curl rc $rc)"
else echo "FAIL: a client without a certificate got: rc $rc $out"; fail=1; fi

kill "$PID_M1"; for _ in $(seq 50); do kill -0 "$PID_M1" 2>/dev/null || break; sleep 0.1; done
ok=
for _ in $(seq 50); do
	out=$(put $H $P/web/requests/h1/r2 "$EP2")
	[[ $out == *'"header"'* && $out != *'"error"'* ]] && { ok=1; break; }
	out3=$(put $H $P/web/requests/h1/r2 "$EP3")
	[[ $out3 == *'"header"'* && $out3 != *'"error"'* ]] && { ok=1; break; }
	sleep 0.2
done
[ -n "$ok" ] && echo "ok: after killing member 1, a put through the other endpoints succeeds" \
	|| { echo "FAIL: put after killing member 1: $out / $out3"; fail=1; }

exit $fail
