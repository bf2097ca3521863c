/* A test-only PAM module that makes PAM_IGNORE visible. libpam folds a
 * module's PAM_IGNORE into the stack's result, so the test stacks read
 *
 *     <phase> [success=done ignore=ignore default=die] pam_jit.so ...
 *     <phase> required pam_jit_test_marker.so
 *
 * and this module, reached only when pam_jit.so ignored the call, answers
 * with a code pam_jit.so never returns (PAM_NO_MODULE_DATA). */
#include <security/pam_modules.h>

#define MARKER PAM_NO_MODULE_DATA

int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return MARKER;
}

int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return MARKER;
}

int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return MARKER;
}

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return MARKER;
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return MARKER;
}
