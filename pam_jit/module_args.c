/* Parsing of the module arguments. Each argument has one grammar and one
 * range; anything else (an unknown name, a missing or malformed value, a
 * number out of range) is reported once here, naming the argument, and
 * fails the whole call: an admin who mistypes "failmode=sfae" must get an
 * error, not silently the default. Later arguments override earlier ones,
 * as in most PAM modules. */
#include <errno.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "macros.h"
#include "module_args.h"
#include "text.h"

static const char *const fail_mode_table[_FAIL_MODE_MAX] = {
        [FAIL_MODE_SECURE] = "secure",
        [FAIL_MODE_SAFE] = "safe",
};

static const char *const reason_mode_table[_REASON_MODE_MAX] = {
        [REASON_MODE_OPTIONAL] = "optional",
        [REASON_MODE_REQUIRED] = "required",
        [REASON_MODE_NONE] = "none",
};

DEFINE_STRING_TABLE(, fail_mode, FailMode, _FAIL_MODE_INVALID);
DEFINE_STRING_TABLE(, reason_mode, ReasonMode, _REASON_MODE_INVALID);

/* If `arg` is "name=value", return value; NULL otherwise. */
static const char *value_of(const char *arg, const char *name) {
        size_t n = strlen(name);

        if (strncmp(arg, name, n) != 0 || arg[n] != '=')
                return NULL;
        return arg + n + 1;
}

/* A socket path we may hand to connect()/sendto(): absolute, fits
 * sun_path, printable. */
static bool socket_path_is_valid(const char *p) {
        return p[0] == '/' && strlen(p) < sizeof(((struct sockaddr_un *) NULL)->sun_path) &&
                jit_text_is_clean(p, 4096);
}

static void log_bad_argument(pam_handle_t *pamh, const char *arg, const char *why) {
        char buf[256];

        pam_syslog(pamh, LOG_ERR, "bad module argument \"%s\": %s", jit_sanitize(arg, buf, sizeof(buf)),
                   why);
}

/* Apply one argument. NULL, or what was expected instead (for the log). */
static const char *parse_argument(const char *arg, ModuleArgs *a) {
        const char *v;
        uint64_t u;

        if (strcmp(arg, "debug") == 0)
                a->debug = true;
        else if (strcmp(arg, "quiet") == 0)
                a->quiet = true;
        else if (strcmp(arg, "norequest") == 0)
                a->no_request = true;
        else if ((v = value_of(arg, "socket"))) {
                if (!socket_path_is_valid(v))
                        return "expected an absolute socket path";
                a->socket_path = v;
        } else if ((v = value_of(arg, "journal_socket"))) {
                if (!socket_path_is_valid(v))
                        return "expected an absolute socket path";
                a->journal_socket = v;
        } else if ((v = value_of(arg, "timeout"))) {
                if (jit_parse_uint64(v, PAM_JIT_TIMEOUT_MSEC_MIN, PAM_JIT_TIMEOUT_MSEC_MAX, &u) < 0)
                        return "expected milliseconds, 100..60000";
                a->timeout_usec = u * USEC_PER_MSEC;
        } else if ((v = value_of(arg, "wait"))) {
                if (jit_parse_uint64(v, 0, PAM_JIT_WAIT_SEC_MAX, &u) < 0)
                        return "expected seconds, 0..3600";
                a->wait_sec = u;
        } else if ((v = value_of(arg, "failmode"))) {
                FailMode m = fail_mode_from_string(v);

                if (m < 0)
                        return "expected secure or safe";
                a->fail_mode = m;
        } else if ((v = value_of(arg, "reason"))) {
                ReasonMode m = reason_mode_from_string(v);

                if (m < 0)
                        return "expected required, optional or none";
                a->reason_mode = m;
        } else if ((v = value_of(arg, "action"))) {
                JitAction act = jit_action_from_string(v);

                if (act < 0)
                        return "expected login or sudo";
                a->action = act;
        } else
                return "unknown argument";
        return NULL;
}

int module_args_parse(pam_handle_t *pamh, int argc, const char **argv, ModuleArgs *ret) {
        ModuleArgs a = {
                .socket_path = JIT_SOCKET_PATH_DEFAULT,
                .journal_socket = PAM_JIT_JOURNAL_SOCKET_DEFAULT,
                .timeout_usec = (uint64_t) PAM_JIT_TIMEOUT_MSEC_DEFAULT * USEC_PER_MSEC,
                .wait_sec = PAM_JIT_WAIT_SEC_DEFAULT,
                .fail_mode = FAIL_MODE_SECURE,
                .reason_mode = REASON_MODE_OPTIONAL,
                .action = _JIT_ACTION_INVALID,
        };
        bool bad = false;

        /* Every bad argument is logged, not only the first. */
        for (int i = 0; i < argc; i++) {
                const char *why;

                if (!argv[i]) {
                        pam_syslog(pamh, LOG_ERR, "bad module argument: NULL");
                        bad = true;
                } else if ((why = parse_argument(argv[i], &a))) {
                        log_bad_argument(pamh, argv[i], why);
                        bad = true;
                }
        }

        if (bad)
                return -EINVAL;
        *ret = a;
        return 0;
}
