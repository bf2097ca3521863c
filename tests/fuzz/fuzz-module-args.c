/* pam_jit.so's module arguments (pam_jit/module_args.c): the input is the
 * argument list of a PAM stack line, NUL-separated.
 *
 * Oracles: what is accepted is within the documented bounds (an absolute
 * socket path that fits sun_path, timeout 100..60000 ms, wait 0..3600 s,
 * known failmode/reason/action); a refused list leaves the result
 * untouched; every line logged about a bad argument is clean text. */
#include <security/pam_ext.h>
#include <sys/un.h>
#include <syslog.h>

#include "fuzz.h"
#include "module_args.h"

#define ARGS_MAX 16

/* pam_syslog() itself writes to syslog: here the line is checked instead. */
void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args) {
        char line[1024];

        vsnprintf(line, sizeof(line), fmt, args);
        if (!fuzz_text_is_clean(line, strlen(line)))
                fuzz_fail("pam_syslog line is not clean: %s", line);
}

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        pam_vsyslog(pamh, priority, fmt, ap);
        va_end(ap);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        char *argv[ARGS_MAX];
        int argc = 0;
        ModuleArgs a, untouched;

        while (in.size > 0 && argc < ARGS_MAX)
                argv[argc++] = fuzz_take_string(&in);

        memset(&a, 0xA5, sizeof(a));
        untouched = a;
        if (module_args_parse(NULL, argc, (const char **) argv, &a) < 0) {
                if (memcmp(&a, &untouched, sizeof(a)) != 0)
                        fuzz_fail("module_args_parse changed its result on failure");
        } else {
                if (!a.socket_path || a.socket_path[0] != '/' ||
                    strlen(a.socket_path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path) ||
                    !fuzz_text_is_clean(a.socket_path, strlen(a.socket_path)))
                        fuzz_fail("accepted socket path \"%s\"", a.socket_path ?: "(null)");
                if (!a.journal_socket || a.journal_socket[0] != '/' ||
                    strlen(a.journal_socket) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                        fuzz_fail("accepted journal socket \"%s\"", a.journal_socket ?: "(null)");
                if (a.timeout_usec < PAM_JIT_TIMEOUT_MSEC_MIN * 1000ULL ||
                    a.timeout_usec > PAM_JIT_TIMEOUT_MSEC_MAX * 1000ULL)
                        fuzz_fail("accepted timeout %llu usec", (unsigned long long) a.timeout_usec);
                if (a.wait_sec > PAM_JIT_WAIT_SEC_MAX)
                        fuzz_fail("accepted wait %llu s", (unsigned long long) a.wait_sec);
                if (a.fail_mode < 0 || a.fail_mode >= _FAIL_MODE_MAX || a.reason_mode < 0 ||
                    a.reason_mode >= _REASON_MODE_MAX || a.action < _JIT_ACTION_INVALID || a.action >= _JIT_ACTION_MAX)
                        fuzz_fail("accepted an out-of-range mode");
        }

        for (int i = 0; i < argc; i++)
                free(argv[i]);
        return 0;
}
