#!/bin/sh
# pam_jit.so must define exactly the five pam_sm_* entry points in its
# dynamic symbol table: everything else is internal (pam_jit.map).
set -eu
module=$1
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm (binutils) not installed"; exit 77; }

expected="pam_sm_acct_mgmt pam_sm_authenticate pam_sm_close_session pam_sm_open_session pam_sm_setcred"
actual=$(nm -D --defined-only "$module" | awk '{ print $NF }' | sort | tr '\n' ' ' | sed 's/ $//')

if [ "$actual" != "$expected" ]; then
        echo "exported symbols of $module:"
        echo "  expected: $expected"
        echo "  actual:   $actual"
        exit 1
fi
echo "pam-exports: exactly the five pam_sm_* entry points"
