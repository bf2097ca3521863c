#!/bin/sh
# run-fuzzer.sh FUZZER CORPUS REGRESSIONS ARTIFACTS SECONDS [libFuzzer flags...]
# What ctest (and so scripts/fuzz) runs for one target: every regression
# input and seed once, then SECONDS of fuzzing from them. New inputs go to a
# scratch directory, never into the tree; a crash is saved in ARTIFACTS
# (copy it to REGRESSIONS once the bug is fixed). Exit 0 if nothing failed.
set -eu
fuzzer=$1 corpus=$2 regressions=$3 artifacts=$4 seconds=$5
shift 5

name=$(basename "$fuzzer")
dict=$(dirname "$0")/dict/$name.dict
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# libFuzzer's own exit code for a finding is 77, which ctest reads as
# "skipped" (what a target that cannot run here exits with): 1 instead.
set -- -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
        -error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$artifacts/" "$@"
[ -f "$dict" ] && set -- -dict="$dict" "$@"
# Every target has seeds; regression inputs only once a bug was found.
if [ ! -d "$corpus" ]; then
        echo "run-fuzzer.sh: no seed corpus $corpus" >&2
        exit 1
fi
# New inputs go to the first directory: the scratch one.
set -- "$@" "$work" "$corpus"
[ -d "$regressions" ] && set -- "$@" "$regressions"
rc=0
"$fuzzer" "$@" || rc=$?
exit "$rc"
