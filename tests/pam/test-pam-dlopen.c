/* The built pam_jit.so loads the way libpam loads it (dlopen, RTLD_NOW, so
 * every symbol must resolve) and exposes the five PAM entry points and
 * nothing of its internals: sshd and sudo share one symbol namespace with
 * every module they load. */
#include <dlfcn.h>
#include <stdio.h>

#include "macros.h"
#include "test.h"

int main(void) {
        static const char *const entry_points[] = {
                "pam_sm_authenticate", "pam_sm_setcred",       "pam_sm_acct_mgmt",
                "pam_sm_open_session", "pam_sm_close_session",
        };
        /* A sample of what is inside: the module's own functions and the
         * statically linked common code. */
        static const char *const internals[] = {
                "jitd_check",
                "jitd_request",
                "auth_flow_run",
                "module_args_parse",
                "conv_ask",
                "journal_native_send",
                "jit_sanitize",
                "jit_client_connect",
                "varlink_message_parse",
                "now_monotonic_usec",
                "jit_action_to_string",
        };
        void *h;

        h = dlopen(PAM_JIT_MODULE, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "dlopen(%s): %s\n", PAM_JIT_MODULE, dlerror());
                return EXIT_FAILURE;
        }

        for (size_t i = 0; i < ELEMENTSOF(entry_points); i++)
                CHECK(dlsym(h, entry_points[i]) != NULL);
        for (size_t i = 0; i < ELEMENTSOF(internals); i++) {
                if (dlsym(h, internals[i]))
                        fprintf(stderr, "exported but internal: %s\n", internals[i]);
                CHECK(dlsym(h, internals[i]) == NULL);
        }

        CHECK_INT(dlclose(h), 0);
        return test_result("pam-dlopen");
}
