#!/bin/bash
# bench/run.sh -- build (Release), start a real jitd on a throw-away config,
# socket and database, seed it with grants, run bench/pam_decision and
# bench/check_throughput against it, stop everything and print the results
# as Markdown. Run as root (pam_jit.so only trusts a jitd running as uid 0):
#
#     sudo ./bench/run.sh
#
# Knobs (environment):
#   BUILD=DIR            build directory (default: build-bench in the source tree)
#   GRANT_COUNTS="10 100000"  grants of other users seeded per round (the
#                        benchmark user gets one more)
#   PAM_ITERATIONS=5000 PAM_WARMUP=1000    for pam_jit and pam_permit (short,
#                                          so a quiet spell covers it)
#   PAM_EXEC_ITERATIONS=1000               for pam_exec (a fork + exec each)
#   CHECK_DURATION=5 CHECK_WARMUP=1        seconds per throughput run
#   CLIENTS="1 16 64"    concurrent Check clients
#   BENCH_USER=nobody    an existing account; the policy covers it for login
#   NOFILE=1024          RLIMIT_NOFILE of the PAM benchmark (sshd.service's
#                        soft limit; pam_exec closes every descriptor up to it)
#   JOURNAL=auto|private|none|host
#                        private: run everything in a private mount namespace
#                        with its own systemd-journald, so jitd's audit entry
#                        per decision (and the module's syslog lines, which
#                        it writes for allowed decisions only with debug) are
#                        really written, as on a production host, without flooding
#                        the host's journal. none: no journald (entries go
#                        nowhere: optimistic numbers). host: the host's own
#                        journald (about a million entries). auto: private
#                        when systemd-journald and unshare are there, else none.
#   IDLE_WAIT=120 IDLE_MIN=90
#                        before each measurement wait up to IDLE_WAIT seconds
#                        for the machine to be IDLE_MIN % idle (other users'
#                        builds distort latencies); the idle % seen is reported
#   RESULTS=FILE         also write the Markdown report there
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
GRANT_COUNTS=${GRANT_COUNTS:-"10 100000"}
PAM_ITERATIONS=${PAM_ITERATIONS:-5000}
PAM_WARMUP=${PAM_WARMUP:-1000}
PAM_EXEC_ITERATIONS=${PAM_EXEC_ITERATIONS:-1000}
CHECK_DURATION=${CHECK_DURATION:-5}
CHECK_WARMUP=${CHECK_WARMUP:-1}
CLIENTS=${CLIENTS:-"1 16 64"}
BENCH_USER=${BENCH_USER:-nobody}
NOFILE=${NOFILE:-1024}
JOURNAL=${JOURNAL:-auto}
RESULTS=${RESULTS:-}
IDLE_WAIT=${IDLE_WAIT:-120}
IDLE_MIN=${IDLE_MIN:-90}
JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
BIN=$BUILD/bench

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- 1. outside the namespace: checks, build, then re-exec inside it -------------------------------------
outer_main() {
        [ "$(id -u)" = 0 ] || die "run as root: pam_jit.so only trusts a jitd whose socket and peer are uid 0"
        getent passwd "$BENCH_USER" >/dev/null || die "BENCH_USER=$BENCH_USER is not an account on this host"

        case "$JOURNAL" in
        auto)
                if [ -x "$JOURNALD" ] && command -v unshare >/dev/null; then
                        JOURNAL=private
                else
                        log "no $JOURNALD or unshare: running without journald (optimistic numbers)"
                        JOURNAL=none
                fi ;;
        private|none|host) ;;
        *) die "JOURNAL must be auto, private, none or host" ;;
        esac
        if [ "$JOURNAL" = private ]; then
                [ -x "$JOURNALD" ] || die "JOURNAL=private needs $JOURNALD (package systemd); or use JOURNAL=none"
                command -v unshare >/dev/null || die "JOURNAL=private needs unshare (util-linux)"
        fi

        if [ ! -f "$BUILD/CMakeCache.txt" ] || ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD/CMakeCache.txt"; then
                log "configuring $BUILD (Release)"
                cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DJIT_BUILD_BENCH=ON >/dev/null
        fi
        log "building"
        cmake --build "$BUILD" --target benchmarks -j "$(nproc)" >/dev/null

        WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/jit-bench.XXXXXX")
        trap 'rm -rf "$WORK"' EXIT
        chmod 0755 "$WORK"
        export JIT_BENCH_INNER=1 WORK JOURNAL BUILD BIN
        if [ "$JOURNAL" = private ]; then
                # The namespace (and the journald in it) dies with the last process in it.
                unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" "$@"
        else
                bash "${BASH_SOURCE[0]}" "$@"
        fi
        exit
}

# ---- 2. inside: private journald (if asked), then one round per grant count --------------------------------
cleanup() {
        local p
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null || true
        done
        for p in "${PIDS[@]}"; do
                wait "$p" 2>/dev/null || true
        done
}

start_private_journald() {
        local dev=$WORK/dev n

        # Our own /run (journald's sockets and its volatile journal) and /dev
        # (for the /dev/log symlink), seen by nobody outside this namespace.
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
        mkdir -p /run/systemd/journal /run/log
        mkdir "$dev"
        mount -t tmpfs -o mode=0755,nosuid tmpfs "$dev"
        for n in null zero full random urandom tty; do
                [ -e "/dev/$n" ] || continue
                touch "$dev/$n"
                mount --bind "/dev/$n" "$dev/$n"
        done
        mkdir "$dev/pts" "$dev/shm"
        mount --rbind /dev/pts "$dev/pts"
        mount --rbind /dev/shm "$dev/shm"
        ln -s /proc/self/fd "$dev/fd"
        ln -s /proc/self/fd/0 "$dev/stdin"
        ln -s /proc/self/fd/1 "$dev/stdout"
        ln -s /proc/self/fd/2 "$dev/stderr"
        ln -s /run/systemd/journal/dev-log "$dev/log"
        mount --rbind "$dev" /dev

        cat >"$WORK/journald.conf" <<-EOF
	[Journal]
	Storage=volatile
	RuntimeMaxUse=512M
	ForwardToSyslog=no
	ForwardToKMsg=no
	ForwardToConsole=no
	ForwardToWall=no
	ReadKMsg=no
	Audit=no
	EOF
        mount --bind "$WORK/journald.conf" /etc/systemd/journald.conf

        "$JOURNALD" </dev/null >"$WORK/journald.log" 2>&1 &
        JOURNALD_PID=$!
        PIDS+=("$JOURNALD_PID")
        for _ in $(seq 100); do
                [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ] && return 0
                sleep 0.05
        done
        cat "$WORK/journald.log" >&2
        die "private systemd-journald did not come up"
}


# Percent of CPU time idle over one second, machine-wide.
cpu_idle_pct() {
        local a b
        a=($(head -1 /proc/stat))
        sleep 1
        b=($(head -1 /proc/stat))
        awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
                n = split(a, x, " "); split(b, y, " "); total = 0
                for (i = 2; i <= n; i++) total += y[i] - x[i]
                idle = (y[5] - x[5]) + (y[6] - x[6])
                printf "%d", (total > 0 ? idle * 100 / total : 0)
        }'
}

# On a shared machine, wait (up to IDLE_WAIT seconds) for the others to go
# quiet before a measurement, and record how idle it was.
wait_idle() {
        local what=$1 deadline=$((SECONDS + IDLE_WAIT)) idle
        while :; do
                idle=$(cpu_idle_pct)
                [ "$idle" -ge "$IDLE_MIN" ] && break
                if [ "$SECONDS" -ge "$deadline" ]; then
                        log "machine still busy (${idle}% idle) before $what; measuring anyway"
                        break
                fi
        done
        echo "idle phase=$what idle_pct=$idle" >>"$OUT"
        IDLE_SEEN+=("$what:$idle%")
}

proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

wait_ready() {
        local sock=$1 pid=$2 i
        for i in $(seq 1200); do
                kill -0 "$pid" 2>/dev/null || return 1
                if "$BIN/check_throughput" --once -S "$sock" -u "$BENCH_USER" >/dev/null 2>&1; then
                        return 0
                fi
                sleep 0.05
        done
        return 1
}

run_round() {
        local grants=$1 dir=$WORK/g$1 seed t0 t1 pid c mode jticks0 jticks1
        mkdir -p "$dir/state" "$dir/pam/jit" "$dir/pam/permit" "$dir/pam/exec"
        chmod 0755 "$dir"

        # Seed on tmpfs (SQLite fsyncs every commit: ~0.5 ms each on disk), then
        # move the finished database next to jitd's state.
        seed=$(mktemp -d /dev/shm/jit-bench-seed.XXXXXX)
        log "seeding $grants grants (+1 for $BENCH_USER)"
        "$BIN/seed_grants" -D "$seed/jitd.db" -n "$grants" -u "$BENCH_USER" | sed "s/\$/ tag=grants=$grants/" >>"$OUT"
        cp "$seed"/jitd.db* "$dir/state/"
        rm -rf "$seed"

        cat >"$dir/jitd.conf" <<-EOF
	[jitd]
	socket = $dir/io.jit
	state_directory = $dir/state
	database = $dir/state/jitd.db
	max_connections = 512
	max_connections_per_uid = 64

	[login]
	users = $BENCH_USER
	EOF

        t0=$(date +%s.%N)
        "$BUILD/jitd/jitd" --config "$dir/jitd.conf" </dev/null >"$dir/jitd.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        if ! wait_ready "$dir/io.jit" "$pid"; then
                tail -20 "$dir/jitd.log" >&2
                "$BIN/check_throughput" --once -S "$dir/io.jit" -u "$BENCH_USER" >&2 || true
                die "jitd did not answer \"allow\" for $BENCH_USER"
        fi
        t1=$(date +%s.%N)
        echo "jitd tag=grants=$grants ready_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" \
                "rss_idle_kib=$(proc_kib "$pid" VmRSS)" >>"$OUT"
        log "jitd ready with $grants grants (pid $pid)"

        printf 'account required %s socket=%s\n' "$BUILD/pam_jit/pam_jit.so" "$dir/io.jit" >"$dir/pam/jit/sshd"
        printf 'account required pam_permit.so\n' >"$dir/pam/permit/sshd"
        printf 'account required pam_exec.so quiet /bin/true\n' >"$dir/pam/exec/sshd"

        wait_idle "pam-$grants"
        log "pam_decision: $PAM_ITERATIONS iterations for pam_jit and pam_permit, $PAM_EXEC_ITERATIONS for pam_exec"
        (ulimit -n "$NOFILE" && "$BIN/pam_decision" -u "$BENCH_USER" -s sshd -n "$PAM_ITERATIONS" -w "$PAM_WARMUP" \
                --reuse-handle --tag "grants=$grants" pam_jit="$dir/pam/jit" pam_permit="$dir/pam/permit") >>"$OUT" || FAILED=1
        (ulimit -n "$NOFILE" && "$BIN/pam_decision" -u "$BENCH_USER" -s sshd -n "$PAM_EXEC_ITERATIONS" \
                -w "$((PAM_EXEC_ITERATIONS / 20))" --reuse-handle --tag "grants=$grants" pam_exec="$dir/pam/exec") >>"$OUT" || FAILED=1

        for mode in persistent fresh; do
                for c in $CLIENTS; do
                        wait_idle "check-$grants-$mode-$c"
                        log "check_throughput: $c client(s), $mode connections"
                        jticks0=$(cpu_ticks "$pid")
                        line=$("$BIN/check_throughput" -S "$dir/io.jit" -u "$BENCH_USER" -c "$c" -m "$mode" \
                                -d "$CHECK_DURATION" -w "$CHECK_WARMUP" --tag "grants=$grants") || FAILED=1
                        jticks1=$(cpu_ticks "$pid")
                        # jitd's CPU use over warm-up + measurement, in % of one core.
                        echo "$line jitd_cpu_pct=$(awk -v t="$((jticks1 - jticks0))" -v hz="$(getconf CLK_TCK)" \
                                -v s="$CHECK_DURATION" -v w="$CHECK_WARMUP" 'BEGIN { printf "%.0f", t * 100 / hz / (s + w) }')" >>"$OUT"
                done
        done

        echo "jitd tag=grants=$grants rss_after_kib=$(proc_kib "$pid" VmRSS) hwm_kib=$(proc_kib "$pid" VmHWM)" >>"$OUT"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        PIDS=("${PIDS[@]/$pid}")
}

# ---- 3. report --------------------------------------------------------------------------------------------
# get KEY LINE: the value of key=value in LINE
report() {
        awk -v grants_list="$GRANT_COUNTS" -v clients_list="$CLIENTS" '
        function get(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return substr($i, length(k) + 2) } return "" }
        {
                g = get("tag"); sub(/^grants=/, "", g)
                if ($1 == "pam_decision") {
                        key = g SUBSEP get("stack") SUBSEP get("mode")
                        p50[key] = get("p50_us"); p99[key] = get("p99_us"); mean[key] = get("mean_us")
                } else if ($1 == "check_throughput") {
                        key = g SUBSEP get("mode") SUBSEP get("clients")
                        rate[key] = get("rate"); errs[key] = get("errors"); cp50[key] = get("p50_us"); cp99[key] = get("p99_us"); jcpu[key] = get("jitd_cpu_pct")
                } else if ($1 == "jitd") {
                        if (get("ready_s") != "") { ready[g] = get("ready_s"); rss_idle[g] = get("rss_idle_kib") }
                        if (get("hwm_kib") != "") { rss_after[g] = get("rss_after_kib"); hwm[g] = get("hwm_kib") }
                } else if ($1 == "ipc_floor") {
                        fp50[get("mode")] = get("p50_us"); fp99[get("mode")] = get("p99_us")
                } else if ($1 == "seed_grants") {
                        seeded[g] = get("grants")
                }
        }
        function verdict(ok) { return ok ? "met" : "**MISSED**" }
        END {
                ng = split(grants_list, G, " "); nc = split(clients_list, C, " ")
                print "### PAM account decision: pam_start + pam_acct_mgmt + pam_end (µs)\n"
                print "| grants in jitd | stack | p50 | p99 | mean |"
                print "|---:|---|---:|---:|---:|"
                for (i = 1; i <= ng; i++) for (s = 1; s <= 3; s++) {
                        st = s == 1 ? "pam_jit" : s == 2 ? "pam_permit" : "pam_exec"
                        k = G[i] SUBSEP st SUBSEP "full"
                        printf "| %s | %s | %s | %s | %s |\n", seeded[G[i]], st, p50[k], p99[k], mean[k]
                }
                print "\n### pam_acct_mgmt alone on one open handle (µs)\n"
                print "| grants in jitd | stack | p50 | p99 | mean |"
                print "|---:|---|---:|---:|---:|"
                for (i = 1; i <= ng; i++) for (s = 1; s <= 3; s++) {
                        st = s == 1 ? "pam_jit" : s == 2 ? "pam_permit" : "pam_exec"
                        k = G[i] SUBSEP st SUBSEP "acct-only"
                        printf "| %s | %s | %s | %s | %s |\n", seeded[G[i]], st, p50[k], p99[k], mean[k]
                }
                print "\n### Targets (p50; the verdict is on the full decision, acct-only shown for comparison)\n"
                print "| grants in jitd | pam_jit − pam_permit, full (≤ 50 µs) | same, acct-only | pam_exec ÷ pam_jit, full (≥ 20×) | same, acct-only | best Check/s (≥ 30,000) |"
                print "|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= ng; i++) {
                        kj = G[i] SUBSEP "pam_jit" SUBSEP "full"; kp = G[i] SUBSEP "pam_permit" SUBSEP "full"; ke = G[i] SUBSEP "pam_exec" SUBSEP "full"
                        aj = G[i] SUBSEP "pam_jit" SUBSEP "acct-only"; ap = G[i] SUBSEP "pam_permit" SUBSEP "acct-only"; ae = G[i] SUBSEP "pam_exec" SUBSEP "acct-only"
                        ov = p50[kj] - p50[kp]; aov = p50[aj] - p50[ap]
                        ratio = p50[kj] > 0 ? p50[ke] / p50[kj] : 0; aratio = p50[aj] > 0 ? p50[ae] / p50[aj] : 0
                        best = 0; bestdesc = ""
                        for (m = 1; m <= 2; m++) for (j = 1; j <= nc; j++) {
                                md = m == 1 ? "persistent" : "fresh"; k = G[i] SUBSEP md SUBSEP C[j]
                                if (rate[k] + 0 > best) { best = rate[k] + 0; bestdesc = C[j] " clients, " md }
                        }
                        printf "| %s | %.0f µs — %s | %.0f µs | %.1f× — %s | %.0f× | %d (%s) — %s |\n", seeded[G[i]], ov, verdict(ov <= 50),
                                aov, ratio, verdict(ratio >= 20), aratio, best, bestdesc, verdict(best >= 30000)
                }
                print "\n### io.jit.Check throughput (all answers \"allow\")\n"
                print "| grants in jitd | connections | clients | Check/s | p50 µs | p99 µs | errors | jitd CPU % of one core |"
                print "|---:|---|---:|---:|---:|---:|---:|---:|"
                for (i = 1; i <= ng; i++) for (m = 1; m <= 2; m++) for (j = 1; j <= nc; j++) {
                        md = m == 1 ? "persistent" : "fresh"; k = G[i] SUBSEP md SUBSEP C[j]
                        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", seeded[G[i]], md == "fresh" ? "fresh per Check" : "one per client",
                                C[j], rate[k], cp50[k], cp99[k], errs[k], jcpu[k]
                }
                print "\n### The transport alone: AF_UNIX echo of a Check-sized message, no jitd (µs)\n"
                print "| connection | p50 | p99 |"
                print "|---|---:|---:|"
                printf "| one, reused (a round trip) | %s | %s |\n", fp50["persistent"], fp99["persistent"]
                printf "| fresh: socket + connect + round trip + close | %s | %s |\n", fp50["fresh"], fp99["fresh"]
                print "\n### jitd memory and start-up\n"
                print "| grants in jitd | start to first answer (s) | VmRSS idle (MiB) | VmRSS after load (MiB) | VmHWM (MiB) |"
                print "|---:|---:|---:|---:|---:|"
                for (i = 1; i <= ng; i++)
                        printf "| %s | %.2f | %.1f | %.1f | %.1f |\n", seeded[G[i]], ready[G[i]], rss_idle[G[i]] / 1024,
                                rss_after[G[i]] / 1024, hwm[G[i]] / 1024
        }' "$OUT"
}

inner_main() {
        PIDS=()
        trap cleanup EXIT

        OUT=$WORK/results.txt
        : >"$OUT"
        FAILED=0

        JOURNALD_PID=
        if [ "$JOURNAL" = private ]; then
                start_private_journald
                log "private systemd-journald running (pid $JOURNALD_PID)"
        fi
        IDLE_SEEN=()

        LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
        wait_idle floor
        log "ipc_floor: the bare AF_UNIX transport"
        "$BIN/ipc_floor" -n 50000 "$WORK/floor.sock" >>"$OUT" || FAILED=1
        for g in $GRANT_COUNTS; do
                run_round "$g"
        done
        LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

        if [ -n "$JOURNALD_PID" ]; then
                # Proof that the entries really landed in the private journal.
                echo "journal access_allowed_entries=$(journalctl -D /run/log/journal -q -o cat JIT_EVENT=access-allowed 2>/dev/null | wc -l)" \
                        "module_syslog_entries=$(journalctl -D /run/log/journal -q -o cat SYSLOG_FACILITY=10 2>/dev/null | grep -c '^pam_jit' || true)" \
                        "journald_cpu_s=$(awk -v t="$(cpu_ticks "$JOURNALD_PID")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }')" >>"$OUT"
        fi

        {
                echo "## pam_jit benchmark results"
                echo
                echo "- host: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
                echo "- source: $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$SRC" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' + uncommitted changes'), Release build"
                echo "- journald: $JOURNAL; load average before/after: $LOAD_BEFORE / $LOAD_AFTER"
                echo "- machine idle before each measurement (other users' work; $IDLE_MIN% wanted): ${IDLE_SEEN[*]}"
                echo "- PAM: $PAM_ITERATIONS timed iterations (pam_exec: $PAM_EXEC_ITERATIONS) per stack after a warm-up, RLIMIT_NOFILE=$NOFILE; Check: ${CHECK_DURATION} s per run after ${CHECK_WARMUP} s warm-up"
                echo "- grants: the benchmark user's plus N synthetic users' (all live)"
                echo
                report
                echo
                echo "<details><summary>raw</summary>"
                echo
                echo '```'
                cat "$OUT"
                echo '```'
                echo "</details>"
        } | tee ${RESULTS:+"$RESULTS"}

        [ "$FAILED" = 0 ] || die "some benchmark reported failures (see the raw lines above)"
}

# Everything above only sets defaults and defines functions; bash has parsed
# this whole line before running it, so editing the file during a run is harmless.
if [ -z "${JIT_BENCH_INNER:-}" ]; then outer_main "$@"; else inner_main "$@"; fi; exit
