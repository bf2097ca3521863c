# tests/e2e/case-args.sh -- how every e2e case script starts: read its
# arguments, name its host, start from an empty work directory and load
# lib.sh. Sourced, with the host name's prefix first:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/case-args.sh" PREFIX "$@"
#
# Arguments: --case NAME --source DIR --workdir DIR
#            (--jitd F --jitctl F --pam F | --debs DIR) [--fakeclock F]
# Sets CASE JITD JITCTL PAM SOURCE WORKDIR FAKECLOCK (and E2E_DEBS with
# --debs); the host is "jit-e2e-[PREFIX-]CASE-PID".
e2e_case_prefix=$1
shift
CASE='' JITD='' JITCTL='' PAM='' SOURCE='' WORKDIR='' FAKECLOCK=''
while [ $# -gt 0 ]; do
        case $1 in
        --case) CASE=$2; shift 2 ;;
        --jitd) JITD=$2; shift 2 ;;
        --jitctl) JITCTL=$2; shift 2 ;;
        --pam) PAM=$2; shift 2 ;;
        --fakeclock) FAKECLOCK=$2; shift 2 ;;
        --source) SOURCE=$2; shift 2 ;;
        --workdir) WORKDIR=$2; shift 2 ;;
        --debs) export E2E_DEBS=$2; shift 2 ;;
        *) echo "usage: $0 --case NAME --source DIR --workdir DIR (--jitd F --jitctl F --pam F | --debs DIR) [--fakeclock F]" >&2
           exit 2 ;;
        esac
done
if [ -z "$CASE" ] || [ -z "$SOURCE" ] || [ -z "$WORKDIR" ]; then echo "missing arguments" >&2; exit 2; fi

export E2E_SOURCE=$SOURCE E2E_WORK=$WORKDIR E2E_NAME="jit-e2e-${e2e_case_prefix:+$e2e_case_prefix-}${CASE//_/-}-$$"
rm -rf "$WORKDIR"; mkdir -p "$WORKDIR"
# shellcheck source=lib.sh
source "$SOURCE/tests/e2e/lib.sh"
