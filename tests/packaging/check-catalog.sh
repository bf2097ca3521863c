#!/bin/bash
# tests/packaging/check-catalog.sh -- the journal message catalog explains
# every audit event: one entry per MESSAGE_ID in common/jit-message-ids.h,
# none for IDs that do not exist, each with the header fields journalctl -x
# shows, and the file compiles with journalctl --update-catalog (into a
# scratch root, not this machine's catalog). Exit 0 pass, 1 fail, 77 skip
# (no journalctl).
#
#   check-catalog.sh --source DIR --workdir DIR
set -euo pipefail

SOURCE='' WORKDIR=''
while [ $# -gt 0 ]; do
        case $1 in
        --source) SOURCE=$2; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        *) echo "usage: $0 --source DIR --workdir DIR" >&2; exit 2 ;;
        esac
done
[ -n "$SOURCE" ] && [ -n "$WORKDIR" ] || { echo "usage: $0 --source DIR --workdir DIR" >&2; exit 2; }

HEADER=$SOURCE/common/jit-message-ids.h
CATALOG=$SOURCE/systemd/catalog/jitd.catalog
FAILS=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

mapfile -t ids < <(sed -n 's/^#define JIT_MESSAGE_ID_\([A-Z_]*\) "\([0-9a-f]\{32\}\)".*/\2 \1/p' "$HEADER")
[ ${#ids[@]} -gt 0 ] || { echo "no MESSAGE_IDs found in $HEADER"; exit 1; }
mapfile -t entries < <(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$CATALOG")

# One entry's header lines: from its "-- ID" line to the first blank line.
entry_header() { awk -v id="-- $1" '$0 == id {on = 1; next} on && /^$/ {exit} on {print}' "$CATALOG"; }

for line in "${ids[@]}"; do
        id=${line% *} name=${line#* }
        n=$(printf '%s\n' "${entries[@]}" | grep -cx "$id" || true)
        if [ "$n" != 1 ]; then fail "$name ($id): $n catalog entries, expected 1"; continue; fi
        h=$(entry_header "$id")
        for field in Subject Defined-By Documentation; do
                grep -q "^$field: ." <<<"$h" || fail "$name ($id): no $field:"
        done
        ok "$name ($id): $(sed -n 's/^Subject: //p' <<<"$h")"
done
for id in "${entries[@]}"; do
        printf '%s\n' "${ids[@]}" | grep -q "^$id " || fail "catalog entry $id is not a MESSAGE_ID in $HEADER"
done

if ! command -v journalctl >/dev/null; then
        echo "SKIP: no journalctl to compile the catalog with (the checks above passed: $FAILS failed)"
        [ "$FAILS" = 0 ] && exit 77 || exit 1
fi
rm -rf "$WORKDIR"; mkdir -p "$WORKDIR/root/usr/lib/systemd/catalog" "$WORKDIR/root/var/lib/systemd"
cp "$CATALOG" "$WORKDIR/root/usr/lib/systemd/catalog/"
if journalctl --root="$WORKDIR/root" --update-catalog 2>"$WORKDIR/update.err" &&
        journalctl --root="$WORKDIR/root" --list-catalog >"$WORKDIR/list" 2>>"$WORKDIR/update.err"; then
        n=$(grep -c ' pam_jit: ' "$WORKDIR/list" || true)
        if [ "$n" = "${#ids[@]}" ]; then ok "journalctl --update-catalog compiles all $n entries"
        else fail "journalctl --list-catalog shows $n entries, expected ${#ids[@]}"; fi
else
        cat "$WORKDIR/update.err"; fail "journalctl --update-catalog rejects the catalog"
fi

echo "done: $FAILS failed"
[ "$FAILS" = 0 ]
