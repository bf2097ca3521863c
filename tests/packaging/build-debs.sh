#!/bin/bash
# tests/packaging/build-debs.sh -- build the Debian packages the way an admin
# would (dpkg-buildpackage -us -uc -b) from a copy of the source tree, run
# lintian on them, and check that they hold what the units, the PAM profile
# and the man pages promise. The .debs are left in WORKDIR/out for
# install-test.sh. Exit 0 pass, 1 fail, 77 skip (packaging tools missing).
#
#   build-debs.sh --source DIR --workdir DIR
#
# dpkg-buildpackage writes debian/ build files and obj-*/ into the tree it
# builds and the packages next to it, so it runs on a copy: the checkout
# (and anyone else's build in it) is never touched.
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
SOURCE=$(cd "$SOURCE" && pwd)

T0=$SECONDS
log() { printf '[%3ss] %s\n' "$((SECONDS - T0))" "$*"; }
FAILS=0
ok() { log "ok: $*"; }
fail() { log "FAIL: $*"; FAILS=$((FAILS + 1)); }

missing=()
for t in dpkg-buildpackage dpkg-deb dpkg-architecture dh lintian; do
        command -v "$t" >/dev/null || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "SKIP: packaging tools missing (${missing[*]}): apt-get install debhelper lintian (scripts/install-deps)"
        exit 77
fi

# ---- a copy of the tree ---------------------------------------------------------------------
# Tracked files plus new, not-ignored ones (so uncommitted work is packaged
# too), minus build output: dpkg-buildpackage leftovers and build directories.
is_build_output() {
        case $1 in
        build*/* | obj-*/* | .e2e-*/* | debian/.debhelper/* | debian/tmp/* | debian/jitd/* | \
        debian/libpam-jit/* | debian/*-dbgsym/* | debian/files | debian/*.substvars | \
        debian/*.debhelper.log | debian/*.debhelper | debian/debhelper-build-stamp) return 0 ;;
        esac
        return 1
}
rm -rf "$WORKDIR"
TREE=$WORKDIR/tree/pam-jit
mkdir -p "$TREE" "$WORKDIR/out"
if git -C "$SOURCE" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$SOURCE" ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do
                        [ -e "$SOURCE/$f" ] && ! is_build_output "$f" && printf '%s\0' "$f"
                done | tar -C "$SOURCE" --null -T - -cf - | tar -C "$TREE" -xf -
else
        tar -C "$SOURCE" --exclude='./build*' --exclude='./obj-*' --exclude='./.git' --exclude='./.e2e-*' \
                --exclude='./debian/.debhelper' --exclude='./debian/tmp' -cf - . | tar -C "$TREE" -xf -
fi
[ -f "$TREE/debian/control" ] || { echo "no debian/control in $SOURCE"; exit 1; }
log "source copied to $TREE"

# ---- build ----------------------------------------------------------------------------------
if ! (cd "$TREE" && dpkg-checkbuilddeps) >"$WORKDIR/builddeps.log" 2>&1; then
        cat "$WORKDIR/builddeps.log"
        echo "ERROR: build dependencies missing: run scripts/install-deps"; exit 1
fi
log "dpkg-buildpackage -us -uc -b (log: $WORKDIR/build.log)"
if ! (cd "$TREE" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$WORKDIR/build.log" 2>&1 </dev/null; then
        tail -n 40 "$WORKDIR/build.log"
        echo "ERROR: dpkg-buildpackage failed"; exit 1
fi
ok "dpkg-buildpackage built $(cd "$WORKDIR/tree" && ls -- *.deb | tr '\n' ' ')"
cp "$WORKDIR"/tree/*.deb "$WORKDIR"/tree/*.changes "$WORKDIR"/tree/*.buildinfo "$WORKDIR/out/"

MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
DEB_JITD=$(ls "$WORKDIR"/out/jitd_*.deb)
DEB_PAM=$(ls "$WORKDIR"/out/libpam-jit_*.deb)

# ---- lintian ----------------------------------------------------------------------------------
# Errors fail the test; warnings and the rest are shown (and should be fixed
# or overridden with a reason in debian/*.lintian-overrides).
log "lintian"
rc=0
lintian --fail-on error --display-info "$WORKDIR"/out/*.changes >"$WORKDIR/lintian.log" 2>&1 || rc=$?
grep -v '^running with root privileges' "$WORKDIR/lintian.log" | sed 's/^/    | /' || true
if [ "$rc" = 0 ] && ! grep -q '^E: ' "$WORKDIR/lintian.log"; then
        ok "lintian: no errors ($(grep -c '^W: ' "$WORKDIR/lintian.log" || true) warnings)"
else
        fail "lintian reports errors (exit $rc)"
fi

# ---- contents ---------------------------------------------------------------------------------
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
contents "$DEB_JITD" >"$WORKDIR/jitd.contents"
contents "$DEB_PAM" >"$WORKDIR/libpam-jit.contents"
has() {   # PACKAGE REGEX WHAT
        if grep -Eqx -- "$2" "$WORKDIR/$1.contents"; then ok "$1 ships $3"; else fail "$1 lacks $3 ($2)"; fi
}
has libpam-jit "/usr/lib/$MA/security/pam_jit\.so" "the module in the multiarch PAM directory"
has libpam-jit "/usr/share/pam-configs/jit" "the pam-auth-update profile"
has libpam-jit "/usr/share/man/man8/pam_jit\.8\.gz" "pam_jit(8)"
has jitd "/usr/sbin/jitd" "jitd"
has jitd "/usr/bin/jitctl" "jitctl"
has jitd "(/usr)?/lib/systemd/system/jitd\.socket" "jitd.socket"
has jitd "(/usr)?/lib/systemd/system/jitd\.service" "jitd.service"
has jitd "/usr/lib/tmpfiles\.d/jitd\.conf" "tmpfiles.d"
has jitd "/usr/lib/sysusers\.d/jitd\.conf" "sysusers.d"
has jitd "/usr/lib/systemd/catalog/jitd\.catalog" "the journal catalog"
has jitd "/etc/jitd/jitd\.conf" "the default configuration"
has jitd "/etc/jitd/jitd\.conf\.d/" "the drop-in directory"
for page in man8/jitd.8 man8/jitctl.8 man5/jitd.conf.5; do
        has jitd "/usr/share/man/${page//./\\.}\.gz" "${page#*/}"
done
if grep -q pam_jit.so "$WORKDIR/jitd.contents"; then fail "jitd ships the module too"; fi

# ---- control data and maintainer scripts -------------------------------------------------------
dpkg-deb -e "$DEB_JITD" "$WORKDIR/jitd.control"
dpkg-deb -e "$DEB_PAM" "$WORKDIR/libpam-jit.control"
dpkg-deb -x "$DEB_JITD" "$WORKDIR/jitd.root"
dpkg-deb -x "$DEB_PAM" "$WORKDIR/libpam-jit.root"
ctl() { cat "$WORKDIR/$1.control/$2" 2>/dev/null; }
if ctl jitd conffiles | grep -qx /etc/jitd/jitd.conf; then ok "jitd.conf is a conffile"; else fail "jitd.conf is not a conffile"; fi
if ctl jitd postinst | grep -q "deb-systemd-helper enable 'jitd.socket'"; then ok "postinst enables jitd.socket"; else fail "postinst does not enable jitd.socket"; fi
if ctl jitd postinst | grep -q "systemd-sysusers .*jitd.conf"; then ok "postinst creates the groups (systemd-sysusers)"; else fail "postinst does not run systemd-sysusers"; fi
if ctl jitd postinst | grep -q "systemd-tmpfiles .*--create jitd.conf"; then ok "postinst runs systemd-tmpfiles"; else fail "postinst does not run systemd-tmpfiles"; fi
if ctl jitd postrm | grep -q 'rm -rf /var/lib/jitd'; then ok "purge removes /var/lib/jitd"; else fail "purge keeps /var/lib/jitd"; fi
# An upgrade must restart jitd but leave the socket open (logins keep working).
if ctl jitd preinst | grep -q "stop 'jitd.socket'" || ctl jitd postinst | grep -Eq "restart.*jitd\.socket|\\\$_dh_action.*jitd\.socket"; then
        fail "an upgrade stops or restarts jitd.socket"
else
        ok "an upgrade leaves jitd.socket alone"
fi
if ctl libpam-jit postinst | grep -q 'pam-auth-update --package'; then ok "libpam-jit postinst registers the profile"; else fail "libpam-jit postinst does not run pam-auth-update"; fi
if ctl libpam-jit prerm | grep -q 'pam-auth-update --package --remove jit'; then ok "libpam-jit prerm removes the profile"; else fail "libpam-jit prerm does not remove the profile"; fi
if ctl libpam-jit control | grep -q '^Depends:.*jitd (= '; then ok "libpam-jit depends on the same version of jitd"; else fail "libpam-jit does not depend on jitd"; fi

unit=
for u in "$WORKDIR"/jitd.root/{lib,usr/lib}/systemd/system/jitd.service; do [ -f "$u" ] && unit=$u; done
for exe in $(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\([^ ]*\).*/\1/p' "$unit" | sort -u); do
        if [ -x "$WORKDIR/jitd.root$exe" ]; then ok "jitd.service runs $exe, which the package ships"
        else fail "jitd.service runs $exe, which the package does not ship"; fi
done
# The groups the shipped jitd.conf names, made by systemd-sysusers into a
# scratch root (not this machine's /etc).
if command -v systemd-sysusers >/dev/null; then
        mkdir -p "$WORKDIR/sysusers-root/etc"
        systemd-sysusers --root="$WORKDIR/sysusers-root" "$WORKDIR/jitd.root/usr/lib/sysusers.d/jitd.conf" \
                >"$WORKDIR/sysusers.log" 2>&1 || true
        for g in $(sed -n 's/^admin_group *= *//p; s/^groups *= *//p' "$WORKDIR/jitd.root/etc/jitd/jitd.conf" | tr -s ', ' '\n' | sort -u); do
                if grep -q "^$g:" "$WORKDIR/sysusers-root/etc/group" 2>/dev/null; then
                        ok "sysusers.d creates group $g, which jitd.conf names"
                else
                        fail "sysusers.d does not create group $g, which jitd.conf names"
                fi
        done
fi
profile=$WORKDIR/libpam-jit.root/usr/share/pam-configs/jit
if grep -qx 'Default: no' "$profile"; then ok "the PAM profile is off until enabled"; else fail "the PAM profile is enabled by default"; fi
for type in Auth Account Session; do
        if grep -q "^$type-Type: Additional" "$profile"; then ok "the PAM profile adds $type lines (Additional)"
        else fail "the PAM profile has no Additional $type lines"; fi
done

log "done: $FAILS failed"
[ "$FAILS" = 0 ]
