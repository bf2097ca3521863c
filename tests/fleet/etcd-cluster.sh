#!/bin/bash
# A throw-away 3-member etcd cluster for the fleet tests: its own CA and
# certificates (openssl), TLS on client and peer URLs, --client-cert-auth
# (the certificate CN is the etcd user), the roles and users of doc/fleet.md,
# auth enabled. Everything lives in DIR; DIR/cluster.env says how to reach it.
# It never touches the packaged etcd.service or port 2379.
#
#   etcd-cluster.sh start DIR --pool POOL --hosts h1,h2 [--pool2 OTHER --hosts2 h3] --approvers a1[,a2]
#   etcd-cluster.sh stop DIR
#
# Callers trap EXIT with "stop DIR" so no member outlives a test.
set -euo pipefail

die() { echo "etcd-cluster: $*" >&2; exit 1; }

stop_cluster() {
	local dir=$1 pid
	[ -f "$dir/pids" ] || return 0
	for pid in $(cat "$dir/pids"); do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $(cat "$dir/pids"); do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -f "$dir/pids"
}

cert() { # dir name subject ext
	local d=$1 name=$2 subj=$3 ext=$4
	openssl req -new -newkey rsa:2048 -nodes -subj "$subj" \
		-keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -out "$d/$name.crt" -extfile "$d/$name.ext" 2>/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

[ $# -ge 2 ] || die "usage: $0 start|stop DIR ..."
cmd=$1; dir=$2; shift 2
case "$cmd" in
stop) stop_cluster "$dir"; exit 0 ;;
start) ;;
*) die "unknown command $cmd" ;;
esac

pool='' hosts='' pool2='' hosts2='' approvers=''
while [ $# -gt 0 ]; do
	case "$1" in
	--pool) pool=$2 ;;
	--hosts) hosts=$2 ;;
	--pool2) pool2=$2 ;;
	--hosts2) hosts2=$2 ;;
	--approvers) approvers=$2 ;;
	*) die "unknown option $1" ;;
	esac
	shift 2
done
[ -n "$pool" ] && [ -n "$hosts" ] && [ -n "$approvers" ] || die "need --pool, --hosts, --approvers"
command -v etcd >/dev/null && command -v etcdctl >/dev/null || die "etcd/etcdctl not installed"

mkdir -p "$dir/pki"
pki=$dir/pki
openssl req -x509 -new -newkey rsa:2048 -nodes -subj "/CN=pam-jit test CA" -days 2 \
	-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
cert "$pki" member "/CN=member" "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
client_ext="extendedKeyUsage=clientAuth"
users=(root)
for a in ${approvers//,/ }; do users+=("jit-approver-$a"); done
for h in ${hosts//,/ }; do users+=("jit-host-$pool-$h"); done
if [ -n "$pool2" ]; then for h in ${hosts2//,/ }; do users+=("jit-host-$pool2-$h"); done; fi
# Two certificates per user. <user>.crt has CN=<user>: etcd maps it to the
# user on gRPC (etcdctl). The JSON gateway refuses any client certificate
# with a CN ("CommonName of client sending a request against gateway will be
# ignored"), so gateway clients use <user>-gw.crt (no CN; OU names the user
# for humans only) for mutual TLS and authenticate with the password in
# <user>.pass (POST /v3/auth/authenticate, then an Authorization token).
for u in "${users[@]}"; do
	cert "$pki" "$u" "/CN=$u" "$client_ext"
	cert "$pki" "$u-gw" "/O=pam-jit/OU=$u" "$client_ext"
	(umask 077; openssl rand -hex 16 >"$pki/$u.pass")
done

# Ports: a random base in 20000-29999, six consecutive free ones; a clash at
# bind time (another process got there first) makes the start fail and retry.
start_members() {
	local base=$1 i cl='' p
	for i in 1 2 3; do
		cl+="${cl:+,}m$i=https://127.0.0.1:$((base + 3 + i))"
	done
	: >"$dir/pids"
	for i in 1 2 3; do
		rm -rf "$dir/m$i"
		etcd --name "m$i" --data-dir "$dir/m$i" \
			--listen-peer-urls "https://127.0.0.1:$((base + 3 + i))" \
			--initial-advertise-peer-urls "https://127.0.0.1:$((base + 3 + i))" \
			--listen-client-urls "https://127.0.0.1:$((base + i))" \
			--advertise-client-urls "https://127.0.0.1:$((base + i))" \
			--initial-cluster "$cl" --initial-cluster-state new --initial-cluster-token "t$base" \
			--cert-file "$pki/member.crt" --key-file "$pki/member.key" \
			--trusted-ca-file "$pki/ca.crt" --client-cert-auth \
			--peer-cert-file "$pki/member.crt" --peer-key-file "$pki/member.key" \
			--peer-trusted-ca-file "$pki/ca.crt" --peer-client-cert-auth \
			>"$dir/m$i.log" 2>&1 &
		echo $! >>"$dir/pids"
	done
	ENDPOINTS="https://127.0.0.1:$((base + 1)),https://127.0.0.1:$((base + 2)),https://127.0.0.1:$((base + 3))"
	for _ in $(seq 100); do
		for p in $(cat "$dir/pids"); do kill -0 "$p" 2>/dev/null || return 1; done
		if ctl endpoint health >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

ctl() {
	ETCDCTL_API=3 etcdctl --endpoints="$ENDPOINTS" --cacert "$pki/ca.crt" \
		--cert "$pki/root.crt" --key "$pki/root.key" --dial-timeout=2s "$@"
}

started=
for _ in 1 2 3 4 5; do
	base=$((20000 + RANDOM % 9990))
	ok=1
	for off in 1 2 3 4 5 6; do port_free $((base + off)) || ok=; done
	[ -n "$ok" ] || continue
	if start_members "$base"; then started=1; break; fi
	stop_cluster "$dir"
done
[ -n "$started" ] || { tail -n 5 "$dir"/m*.log >&2 || true; die "cluster did not become healthy"; }

# A failure from here on must not leave members running.
done_ok=
trap '[ -n "$done_ok" ] || stop_cluster "$dir"' EXIT

# Roles and users; root needs role root before auth enable.
P=/pam-jit/v1
ctl user add root --no-password >/dev/null
ctl user grant-role root root >/dev/null
ctl role add jit-approver >/dev/null
ctl role grant-permission jit-approver --prefix=true readwrite "$P/" >/dev/null
for a in ${approvers//,/ }; do
	ctl user add "jit-approver-$a" --new-user-password="$(cat "$pki/jit-approver-$a.pass")" >/dev/null
	ctl user grant-role "jit-approver-$a" jit-approver >/dev/null
done
add_host() { # pool host
	local r="jit-host-$1-$2" pp="$P/pools/$1"
	ctl role add "$r" >/dev/null
	ctl role grant-permission "$r" --prefix=true read "$pp/grants/" >/dev/null
	ctl role grant-permission "$r" --prefix=true read "$pp/decisions/" >/dev/null
	ctl role grant-permission "$r" --prefix=true readwrite "$pp/requests/$2/" >/dev/null
	ctl role grant-permission "$r" --prefix=true readwrite "$pp/sessions/$2/" >/dev/null
	ctl user add "$r" --new-user-password="$(cat "$pki/$r.pass")" >/dev/null
	ctl user grant-role "$r" "$r" >/dev/null
}
for h in ${hosts//,/ }; do add_host "$pool" "$h"; done
if [ -n "$pool2" ]; then for h in ${hosts2//,/ }; do add_host "$pool2" "$h"; done; fi
ctl auth enable >/dev/null

{
	echo "ENDPOINTS=$ENDPOINTS"
	echo "CA=$pki/ca.crt"
	for u in "${users[@]}"; do
		v=$(echo "$u" | tr 'a-z-' 'A-Z_')
		echo "CERT_$v=$pki/$u.crt"
		echo "KEY_$v=$pki/$u.key"
		echo "GWCERT_$v=$pki/$u-gw.crt"
		echo "GWKEY_$v=$pki/$u-gw.key"
		echo "PASS_$v=$pki/$u.pass"
	done
	i=1
	for p in $(cat "$dir/pids"); do echo "PID_M$i=$p"; i=$((i + 1)); done
} >"$dir/cluster.env"
done_ok=1
echo "etcd-cluster: healthy at $ENDPOINTS"
