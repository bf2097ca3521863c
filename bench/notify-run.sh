#!/bin/bash
# bench/notify-run.sh -- approver-notification latencies against a real jitd
# (Release build): a request's webhook message reaching a loopback receiver,
# an approval posted on the review page releasing a waiting WaitDecision (the
# call pam_jit's auth phase waits in) and a waiting pam_authenticate() through
# libpam and pam_jit.so, and 1,000 requests at once until every
# message is delivered, with jitd's resident memory. Each measurement gets a
# fresh jitd, database and state directory on disk (synchronous=FULL: every
# commit is an fsync). Prints a Markdown table. Run as root:
#
#     sudo ./bench/notify-run.sh
#
# Knobs (environment):
#   BUILD=DIR              build directory (default: build-bench-notify)
#   CREATED=500 APPROVE=300 APPROVE_PAM=300 BURST=1000 WARMUP=20   samples
#   RESULTS=FILE           also write the Markdown table there
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench-notify}
CREATED=${CREATED:-500}
APPROVE=${APPROVE:-300}
APPROVE_PAM=${APPROVE_PAM:-$APPROVE}
BURST=${BURST:-1000}
WARMUP=${WARMUP:-20}
RESULTS=${RESULTS:-}
PYTHON=${PYTHON:-/usr/bin/python3}

log() { printf '[notify-bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: the benchmark talks to jitd's socket as uid 0"
[ -x "$PYTHON" ] || die "needs $PYTHON (to pick free ports)"

if [ ! -f "$BUILD/CMakeCache.txt" ] || ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt"; then
        log "configuring $BUILD (Release)"
        cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DJIT_BUILD_BENCH=ON -DJIT_BUILD_TESTS=OFF >/dev/null
fi
log "building"
cmake --build "$BUILD" --target jitd notify_bench pam_jit -j "$(nproc)" >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/jit-notify-bench.XXXXXX")
JITD_PID=
cleanup() {
        if [ -n "$JITD_PID" ]; then
                kill "$JITD_PID" 2>/dev/null || true
                wait "$JITD_PID" 2>/dev/null || true
        fi
        rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
        "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SECRET=$WORK/hook.secret
(umask 077; printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$SECRET")

# start_jitd PORT: a fresh jitd whose one generic (signed) webhook goes to
# notify_bench's receiver on PORT.
start_jitd() {
        local port=$1 dir=$WORK/run-$RANDOM
        mkdir -p "$dir"
        cat >"$dir/jitd.conf" <<EOF
[jitd]
socket = $dir/io.jit
state_directory = $dir/state
request_ttl = 1h
max_connections = 512
[sudo]
users = *
default_duration = 30m
max_duration = 4h
approvers = carol
[review]
listen = 127.0.0.1:0
max_connections = 256
max_connections_per_ip = 256
[webhook bench]
url = http://127.0.0.1:$port/hook
allow_http_loopback = yes
secret_file = $SECRET
events = created
EOF
        # No system bus (no transient timers); audit lines go to a file.
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$BUILD/jitd/jitd" --config "$dir/jitd.conf" \
                2>"$dir/jitd.log" &
        JITD_PID=$!
        for _ in $(seq 100); do [ -S "$dir/io.jit" ] && break; sleep 0.05; done
        [ -S "$dir/io.jit" ] || die "jitd did not start: $(tail -3 "$dir/jitd.log")"
        SOCKET=$dir/io.jit
}

stop_jitd() {
        kill "$JITD_PID"
        wait "$JITD_PID" 2>/dev/null || true
        JITD_PID=
}

OUT=$WORK/lines.txt
: >"$OUT"
run() {   # MODE ITERATIONS
        local port; port=$(free_port)
        start_jitd "$port"
        log "$1: $2 requests"
        "$BUILD/bench/notify_bench" --socket "$SOCKET" --port "$port" --mode "$1" --iterations "$2" \
                --warmup "$WARMUP" --pid "$JITD_PID" --pam-module "$BUILD/pam_jit/pam_jit.so" | tee -a "$OUT" >&2
        stop_jitd
}

run created "$CREATED"
run approve "$APPROVE"
run approve-pam "$APPROVE_PAM"
run burst "$BURST"

field() { sed -n "s/.*measure=$1 .*$2=\([0-9.]*\).*/\1/p" "$OUT"; }
us_ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

{
        echo "| measurement | n | p50 | p99 | max |"
        echo "|---|---|---|---|---|"
        for m in request_to_webhook post_to_waitdecision post_to_pam_auth post_to_result_page; do
                printf '| %s | %s | %s ms | %s ms | %s ms |\n' "$m" "$(field "$m" n)" "$(us_ms "$(field "$m" p50_us)")" \
                        "$(us_ms "$(field "$m" p99_us)")" "$(us_ms "$(field "$m" max_us)")"
        done
        echo
        echo "| burst | requests | all created | all delivered | deliveries/s | jitd RSS before | after | peak |"
        echo "|---|---|---|---|---|---|---|---|"
        printf '| %s requests at once | %s | %s ms | %s ms | %s | %s MiB | %s MiB | %s MiB |\n' "$BURST" \
                "$(field burst requests)" "$(field burst created_ms)" "$(field burst all_delivered_ms)" \
                "$(field burst per_sec)" \
                "$(awk -v k="$(field burst rss_before_kib)" 'BEGIN { printf "%.1f", k / 1024 }')" \
                "$(awk -v k="$(field burst rss_after_kib)" 'BEGIN { printf "%.1f", k / 1024 }')" \
                "$(awk -v k="$(field burst rss_peak_kib)" 'BEGIN { printf "%.1f", k / 1024 }')"
} | tee "${RESULTS:-/dev/null}"
