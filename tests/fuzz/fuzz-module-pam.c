/* pam_jit.so's PAM entry points end to end (pam_sm_authenticate,
 * pam_sm_acct_mgmt, pam_sm_open_session, pam_sm_close_session), on a real
 * PAM handle, against a "jitd" this fuzzer serves from a thread: every
 * connection the module opens is answered with the next part of the input.
 * What the user types at the reason prompt comes from the input too.
 *
 * Input: one byte choosing the phase, the service (sshd or sudo) and the
 * module arguments (failmode, reason=, quiet); the typed answer up to a
 * NUL; then the answers to the module's connections in order, separated
 * by an empty message ("\0\0" between them).
 *
 * Oracles: with failmode=secure, PAM_SUCCESS from auth, account or
 * open_session only when some answer (read independently) says "allow" or
 * "approved" or names a grant; every text the module shows the user
 * (notices, prompts, with jitd's approver names, reasons and ids in them)
 * is clean text but for newlines. Needs root (the module insists on a
 * root-owned socket and a root peer); otherwise exits 77 (skipped). */
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fuzz.h"

/* The module's log lines: discarded (syslog is not for a fuzzer). */
void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...) {
}

void pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt, va_list args) {
}

static char scratch[256], socket_arg[300], journal_arg[300];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The answers still to give, one per connection (a copy of the input). */
static uint8_t *script;
static size_t script_size, script_pos;

/* The next answer: up to and including the first NUL of a "\0\0". */
static void next_answer(const uint8_t **ret, size_t *ret_size) {
        size_t start = script_pos, i;

        for (i = start; i < script_size; i++)
                if (script[i] == 0 && i + 1 < script_size && script[i + 1] == 0)
                        break;
        if (i < script_size) {
                *ret_size = i + 1 - start;
                script_pos = i + 2;
        } else {
                *ret_size = script_size - start;
                script_pos = script_size;
        }
        *ret = script + start;
}

static void *serve(void *userdata) {
        int listen_fd = *(int *) userdata;

        for (;;) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                const uint8_t *p;
                size_t n, sent = 0;
                char c;

                if (fd < 0)
                        continue;
                while (read(fd, &c, 1) == 1 && c != 0)
                        ;
                pthread_mutex_lock(&lock);
                next_answer(&p, &n);
                while (sent < n) {
                        ssize_t k = send(fd, p + sent, n - sent, MSG_NOSIGNAL);

                        if (k <= 0)
                                break;
                        sent += (size_t) k;
                }
                pthread_mutex_unlock(&lock);
                close(fd);
        }
        return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static int listen_fd;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[400];
        pthread_t t;
        FILE *f;

        fuzz_keep_stderr();
        if (geteuid() != 0) {
                fprintf(stderr, "fuzz-module-pam: pam_jit talks only to a root-owned socket; needs root, skipped.\n");
                exit(77);
        }
        fuzz_make_scratch("pam-jit-fuzz", scratch, sizeof(scratch));
        /* Empty PAM configurations: the handle is real, the stack is ours. */
        snprintf(path, sizeof(path), "%s/sshd", scratch);
        if (!(f = fopen(path, "w")) || fclose(f) != 0)
                fuzz_fail("cannot write %s: %m", path);
        snprintf(path, sizeof(path), "%s/sudo", scratch);
        if (!(f = fopen(path, "w")) || fclose(f) != 0)
                fuzz_fail("cannot write %s: %m", path);

        snprintf(socket_arg, sizeof(socket_arg), "socket=%s/io.jit", scratch);
        snprintf(journal_arg, sizeof(journal_arg), "journal_socket=%s/journal", scratch);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/io.jit", scratch);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(listen_fd, 16) < 0)
                fuzz_fail("cannot listen on %s: %m", sa.sun_path);
        if (pthread_create(&t, NULL, serve, &listen_fd) != 0)
                fuzz_fail("pthread_create failed");
        return 0;
}

static bool cp_shown_ok(uint32_t cp, void *u) {
        return cp == '\n' || !fuzz_cp_is_control(cp);
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *userdata) {
        const char *typed = userdata;
        struct pam_response *r = calloc((size_t) n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const char *text = msg[i]->msg ? msg[i]->msg : "";

                if (getenv("JIT_FUZZ_LOG"))
                        fprintf(stderr, "shown (%d): %s\n", msg[i]->msg_style, text);
                if (!fuzz_utf8_walk(text, strlen(text), cp_shown_ok, NULL))
                        fuzz_fail("pam_jit showed the user text that is not clean: %s", text);
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON || msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
                        r[i].resp = strdup(typed);
        }
        *resp = r;
        return PAM_SUCCESS;
}

/* Does any answer say, read leniently with json-c, that access is granted? */
static bool some_answer_allows(const uint8_t *data, size_t size) {
        static const char *const keys[] = { "decision", "state" };

        for (size_t i = 0; i < size;) {
                const uint8_t *nul = memchr(data + i, 0, size - i);
                size_t n = nul ? (size_t) (nul - data - i) : size - i;
                struct json_tokener *tok = json_tokener_new();
                struct json_object *o, *params, *v;
                bool yes = false;

                if (!tok)
                        abort();
                o = json_tokener_parse_ex(tok, (const char *) data + i, (int) n);
                if (o && json_object_object_get_ex(o, "parameters", &params) &&
                    !json_object_object_get_ex(o, "error", NULL)) {
                        for (size_t k = 0; k < 2; k++)
                                if (json_object_object_get_ex(params, keys[k], &v) &&
                                    json_object_is_type(v, json_type_string) &&
                                    (strcmp(json_object_get_string(v), "allow") == 0 ||
                                     strcmp(json_object_get_string(v), "approved") == 0))
                                        yes = true;
                        if (json_object_object_get_ex(params, "grant_id", NULL))
                                yes = true;
                }
                json_object_put(o);
                json_tokener_free(tok);
                if (yes)
                        return true;
                i += n + 1;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const reason_args[] = { "reason=optional", "reason=required", "reason=none",
                                                   "reason=optional" };
        FuzzInput in = { data, size };
        uint8_t choice = fuzz_take_u8(&in);
        unsigned phase = choice & 3;
        bool sudo = choice & 4, safe = choice & 8, quiet = choice & 0x40;
        _cleanup_free_ char *typed = fuzz_take_string(&in);
        struct pam_conv conv = { conversation, typed };
        const char *argv[6];
        pam_handle_t *pamh = NULL;
        int argc = 0, rc;

        pthread_mutex_lock(&lock);
        free(script);
        script = malloc(in.size + 1);
        if (!script)
                abort();
        memcpy(script, in.data, in.size);
        script_size = in.size;
        script_pos = 0;
        pthread_mutex_unlock(&lock);

        argv[argc++] = socket_arg;
        argv[argc++] = journal_arg;
        argv[argc++] = safe ? "failmode=safe" : "failmode=secure";
        argv[argc++] = reason_args[(choice >> 4) & 3];
        argv[argc++] = "wait=2";
        if (quiet)
                argv[argc++] = "quiet";

        if (pam_start_confdir(sudo ? "sudo" : "sshd", "nobody", &conv, scratch, &pamh) != PAM_SUCCESS)
                fuzz_fail("pam_start_confdir failed");
        (void) pam_set_item(pamh, PAM_RHOST, "192.0.2.1");
        (void) pam_set_item(pamh, PAM_TTY, sudo ? "/dev/pts/1" : "ssh");
        if (sudo)
                (void) pam_set_item(pamh, PAM_RUSER, "nobody");
        (void) pam_putenv(pamh, "XDG_SESSION_ID=c1");

        switch (phase) {
        case 0:
                rc = pam_sm_authenticate(pamh, 0, argc, argv);
                break;
        case 1:
                rc = pam_sm_acct_mgmt(pamh, 0, argc, argv);
                break;
        case 2:
                rc = pam_sm_open_session(pamh, 0, argc, argv);
                break;
        default:
                rc = pam_sm_close_session(pamh, 0, argc, argv);
                break;
        }
        pam_end(pamh, rc);
        if (getenv("JIT_FUZZ_LOG"))
                fprintf(stderr, "phase %u: %s\n", phase, pam_strerror(NULL, rc));

        if (phase < 3 && rc == PAM_SUCCESS && !safe && !some_answer_allows(in.data, in.size))
                fuzz_fail("phase %u returned PAM_SUCCESS under failmode=secure, but no answer allowed it", phase);
        return 0;
}
