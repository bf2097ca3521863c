#!/bin/sh
# A missing test, bench or build file must stop the configure step: an
# optional include() or an if(EXISTS ...) around a test list once dropped ten
# tests from the suite without a word. This test
#   1. refuses any include(... OPTIONAL) or positive if(EXISTS ...) in the
#      tree's CMake files (a check for a file reads if(NOT EXISTS) + FATAL_ERROR),
#   2. configures a copy of the tree (it must succeed), then removes one file
#      at a time and expects the configure step to fail and to name the file.
#
#   check-cmake-strict.sh SOURCE_DIR [CMAKE]
set -eu
src=$1
cmake=${2:-cmake}
fail=0

# Build trees and packaging leftovers inside the source tree are not the tree.
cmake_files() {
        find "$1" \( -path "$1/build*" -o -path "$1/.git" -o -path "$1/.e2e-*" -o -path "$1/obj-*" \
                -o -path "$1/debian/tmp" \) -prune -o \( -name CMakeLists.txt -o -name '*.cmake' \) -type f -print
}

# ---- 1: no optional inclusion anywhere ----
optional=$(cmake_files "$src" | xargs grep -nHiE '^[^#]*(include\([^)]*[[:space:]]OPTIONAL|if\([[:space:]]*EXISTS)' || true)
if [ -n "$optional" ]; then
        echo "CMake files that skip a missing file instead of failing (make it required):"
        echo "$optional"
        fail=1
fi

# ---- 2: a copy of the tree, one file missing at a time ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
tar -C "$src" -cf - --exclude='./build*' --exclude=./.git --exclude='./.e2e-*' --exclude='./obj-*' . |
        tar -C "$work/src" -xf -

configure() {
        "$cmake" -S "$work/src" -B "$work/build" -DJIT_BUILD_TESTS=ON -DJIT_BUILD_BENCH=ON >"$work/out" 2>&1
}

if ! configure; then
        echo "the unchanged copy of the tree does not configure:"
        cat "$work/out"
        exit 1
fi

# One of each kind: a test list include()d by a suite, a suite's folder, a
# test's source, a bench list, a man page, a build folder.
for file in tests/unit/jitd.cmake tests/unit/common.cmake tests/integration/web.cmake \
        tests/packaging/CMakeLists.txt tests/pam/test-pam-jit.c tests/unit/test_store.c \
        bench/notify.cmake man/jitctl.8 systemd/CMakeLists.txt; do
        if [ ! -e "$work/src/$file" ]; then
                echo "$file: not in the tree (update this test's list)"
                fail=1
                continue
        fi
        mv "$work/src/$file" "$work/missing"
        if configure; then
                echo "$file removed: cmake configured without it (the tests or files it brings were dropped)"
                fail=1
        elif ! grep -qF "$(basename "$file")" "$work/out"; then
                echo "$file removed: cmake failed but did not name the file:"
                cat "$work/out"
                fail=1
        else
                echo "$file removed: configure fails and names it"
        fi
        mv "$work/missing" "$work/src/$file"
done
exit $fail
