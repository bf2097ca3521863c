#!/bin/sh
# pam_jit.so runs inside sshd and sudo: it must not read the host process's
# environment (getenv: sudo's caller controls it), start threads or
# processes, touch signal dispositions, or change the environment. What it
# links in statically (json-c) counts as much as our own code, so the
# module's IMPORTED symbols (its undefined dynamic symbols) are checked
# against this deny list.
set -eu
module=$1
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm (binutils) not installed"; exit 77; }

deny="getenv secure_getenv pthread_create fork vfork clone system popen signal sigaction setenv putenv"

# Imports known to be there for now, each with the reason and what removes
# it. Keep this empty; an entry is a debt, not a permission.
#   symbol   why / what removes it
allow=""

imports=$(nm -D --undefined-only "$module" | awk '{ print $NF }' | sed 's/@.*//' | sort -u)
[ -n "$imports" ] || { echo "no imported symbols read from $module (nm failed?)"; exit 1; }

bad=""
for sym in $deny; do
        case " $allow " in *" $sym "*) continue ;; esac
        if printf '%s\n' "$imports" | grep -qx "$sym"; then
                bad="$bad $sym"
        fi
done

if [ -n "$bad" ]; then
        echo "$module imports forbidden symbols:$bad"
        echo "(each must go; see tests/pam/check-imports.sh. Which functions call one:"
        echo "  objdump -d $module | awk '/>:\$/ { f = \$2 } /<getenv@plt>/ { print f }')"
        exit 1
fi
echo "pam-imports: none of: $deny${allow:+ (except, for now: $allow)}"
