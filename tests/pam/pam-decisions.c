/* pam-decisions: many PAM decisions through libpam in one long-lived
 * process, for valgrind (tests/pam/valgrind-decisions.sh). pam_jit.so is
 * loaded once (a handle kept open from start to end holds it, the way a
 * long-running sshd or a PAM-using daemon keeps it mapped) and every kind of
 * decision runs against a real jitd, round after round: allowed, denied,
 * ignored, break-glass, jitd unreachable, bad arguments; account, auth (with
 * an approver who approves or denies while the module waits, reason prompts,
 * conversation failures) and session open/close; on fresh handles and on
 * one reused handle. Any unexpected PAM result fails the run; leaks and
 * invalid accesses are valgrind's to report.
 *
 *   pam-decisions CONFDIR JITCTL SOCKET ROUNDS
 *
 * CONFDIR holds the service files written by the script (see there), each
 * stacking pam_jit.so over pam_jit_test_marker.so, which answers
 * PAM_NO_MODULE_DATA when pam_jit.so ignored the call. */
#include <errno.h>
#include <fcntl.h>
#include <security/pam_appl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"

#define IGNORED PAM_NO_MODULE_DATA
#define REQUEST_ID_LENGTH 17

extern char **environ;

static const char *arg_confdir, *arg_jitctl, *arg_socket;

typedef enum Op {
        OP_AUTH,
        OP_ACCOUNT,
        OP_SESSION, /* open, then close on the same handle */
        OP_CLOSE_ONLY,
} Op;

/* What the conversation does once the module names a pending request. */
typedef enum Approver {
        APPROVER_NONE,
        APPROVER_APPROVE,
        APPROVER_DENY,
} Approver;

typedef enum Answer {
        ANSWER_EMPTY,    /* "" to every prompt */
        ANSWER_REASON,   /* a reason text to every prompt */
        ANSWER_CONV_ERR, /* the conversation fails (Ctrl-C, client gone) */
} Answer;

typedef struct Decision {
        const char *service;
        const char *user;
        Op op;
        int expect;
        Approver approver;
        Answer answer;
        const char *ruser;
} Decision;

typedef struct Conversation {
        Approver approver;
        Answer answer;
        bool decided;
        unsigned messages;
} Conversation;

/* Services: "login"/"sudo" (wait=5), "wait0" (no waiting), "required"
 * (reason=required), "missing" (no jitd on the socket), "missing-safe" (the
 * same, failmode=safe), "bad" (a bad argument). Users as in the script's
 * jitd.conf: alice holds login and sudo grants, erin is break-glass, dave is
 * not covered, the others have nothing. */
static const Decision decisions[] = {
        { .service = "login", .user = "alice", .op = OP_ACCOUNT, .expect = PAM_SUCCESS },
        { .service = "login", .user = "bob", .op = OP_ACCOUNT, .expect = PAM_PERM_DENIED },
        { .service = "login", .user = "dave", .op = OP_ACCOUNT, .expect = IGNORED },
        { .service = "login", .user = "erin", .op = OP_ACCOUNT, .expect = PAM_SUCCESS },
        { .service = "sudo", .user = "alice", .op = OP_ACCOUNT, .expect = PAM_SUCCESS },
        { .service = "sudo", .user = "carol", .op = OP_ACCOUNT, .expect = PAM_PERM_DENIED },
        { .service = "login", .user = "alice", .op = OP_AUTH, .expect = PAM_SUCCESS },
        { .service = "login", .user = "dave", .op = OP_AUTH, .expect = IGNORED },
        { .service = "wait0", .user = "bob", .op = OP_AUTH, .expect = PAM_AUTH_ERR },
        { .service = "login", .user = "frank", .op = OP_AUTH, .expect = PAM_SUCCESS, .approver = APPROVER_APPROVE },
        { .service = "login", .user = "grace", .op = OP_AUTH, .expect = PAM_AUTH_ERR, .approver = APPROVER_DENY },
        { .service = "sudo", .user = "heidi", .op = OP_AUTH, .expect = PAM_SUCCESS, .approver = APPROVER_APPROVE,
          .answer = ANSWER_REASON },
        { .service = "login", .user = "ivan", .op = OP_AUTH, .expect = PAM_CONV_ERR, .answer = ANSWER_CONV_ERR },
        { .service = "required", .user = "mallory", .op = OP_AUTH, .expect = PAM_AUTH_ERR },
        { .service = "login", .user = "alice", .op = OP_SESSION, .expect = PAM_SUCCESS },
        { .service = "login", .user = "dave", .op = OP_SESSION, .expect = IGNORED },
        /* sudo's session: PAM_USER is the target, the grant PAM_RUSER's. */
        { .service = "sudo", .user = "root", .op = OP_SESSION, .expect = IGNORED, .ruser = "alice" },
        { .service = "sudo", .user = "root", .op = OP_SESSION, .expect = PAM_SESSION_ERR, .ruser = "carol" },
        { .service = "sudo", .user = "root", .op = OP_SESSION, .expect = PAM_SESSION_ERR },
        { .service = "login", .user = "alice", .op = OP_CLOSE_ONLY, .expect = IGNORED },
        { .service = "missing", .user = "alice", .op = OP_ACCOUNT, .expect = PAM_AUTHINFO_UNAVAIL },
        { .service = "missing", .user = "alice", .op = OP_AUTH, .expect = PAM_AUTHINFO_UNAVAIL },
        { .service = "missing", .user = "alice", .op = OP_SESSION, .expect = PAM_SESSION_ERR },
        { .service = "missing", .user = "dave", .op = OP_ACCOUNT, .expect = PAM_AUTHINFO_UNAVAIL },
        { .service = "missing-safe", .user = "alice", .op = OP_ACCOUNT, .expect = PAM_SUCCESS },
        { .service = "bad", .user = "alice", .op = OP_ACCOUNT, .expect = PAM_SERVICE_ERR },
        { .service = "bad", .user = "alice", .op = OP_AUTH, .expect = PAM_SERVICE_ERR },
        { .service = "bad", .user = "alice", .op = OP_SESSION, .expect = PAM_SERVICE_ERR },
};

/* jitctl as root, the way an approver acts (its output dropped, its
 * errors kept); 0 if it exited 0. */
static int jitctl(const char *const *args) {
        const char *argv[16] = { arg_jitctl, "--socket", arg_socket };
        posix_spawn_file_actions_t actions;
        size_t n = 3;
        pid_t pid;
        int status, r;

        for (; *args && n < ELEMENTSOF(argv) - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn(&pid, arg_jitctl, &actions, NULL, (char *const *) argv, environ);
        (void) posix_spawn_file_actions_destroy(&actions);
        if (r != 0)
                return -r;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The first request id ("r" and 16 more id characters) in a message. */
static bool find_request_id(const char *msg, char ret[static REQUEST_ID_LENGTH + 1]) {
        for (const char *p = msg; p && *p; p++) {
                if (*p != 'r' || (p > msg && (p[-1] != ' ' && p[-1] != '"')))
                        continue;
                if (strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789") != REQUEST_ID_LENGTH - 1)
                        continue;
                memcpy(ret, p, REQUEST_ID_LENGTH);
                ret[REQUEST_ID_LENGTH] = 0;
                return true;
        }
        return false;
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **ret, void *userdata) {
        Conversation *c = userdata;
        struct pam_response *replies;

        if (c->answer == ANSWER_CONV_ERR)
                return PAM_CONV_ERR;
        replies = calloc((size_t) n, sizeof(*replies));
        if (!replies)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                char id[REQUEST_ID_LENGTH + 1];

                c->messages++;
                /* Decide while the module is about to wait: it then sees the
                 * decision on its first look. */
                if (c->approver != APPROVER_NONE && !c->decided && find_request_id(msg[i]->msg, id)) {
                        const char *approve[] = { "approve", id, NULL };
                        const char *deny[] = { "deny", id, "--reason", "valgrind says no", NULL };

                        if (jitctl(c->approver == APPROVER_APPROVE ? approve : deny) < 0)
                                fprintf(stderr, "pam-decisions: jitctl %s %s failed\n",
                                        c->approver == APPROVER_APPROVE ? "approve" : "deny", id);
                        c->decided = true;
                }
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON || msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
                        replies[i].resp = strdup(c->answer == ANSWER_REASON ? "valgrind run" : "");
                        if (!replies[i].resp) {
                                for (int k = 0; k < i; k++)
                                        free(replies[k].resp);
                                free(replies);
                                return PAM_BUF_ERR;
                        }
                }
        }
        *ret = replies;
        return PAM_SUCCESS;
}

static int set_items(pam_handle_t *h, const char *ruser, unsigned round) {
        char session[64];
        int r;

        snprintf(session, sizeof(session), "XDG_SESSION_ID=vg%u", round);
        r = pam_set_item(h, PAM_RHOST, "203.0.113.7");
        if (r == PAM_SUCCESS)
                r = pam_set_item(h, PAM_TTY, "ssh");
        if (r == PAM_SUCCESS && ruser)
                r = pam_set_item(h, PAM_RUSER, ruser);
        if (r == PAM_SUCCESS)
                r = pam_putenv(h, session);
        return r;
}

static int run_decision(const Decision *d, unsigned round) {
        Conversation c = { .approver = d->approver, .answer = d->answer };
        struct pam_conv conv = { conversation, &c };
        pam_handle_t *h = NULL;
        int r;

        r = pam_start_confdir(d->service, d->user, &conv, arg_confdir, &h);
        if (r != PAM_SUCCESS)
                return r;
        r = set_items(h, d->ruser, round);
        if (r == PAM_SUCCESS)
                switch (d->op) {
                case OP_AUTH:
                        r = pam_authenticate(h, 0);
                        break;
                case OP_ACCOUNT:
                        r = pam_acct_mgmt(h, 0);
                        break;
                case OP_SESSION:
                        r = pam_open_session(h, 0);
                        if (r == PAM_SUCCESS) {
                                r = pam_close_session(h, 0);
                                if (r != PAM_SUCCESS)
                                        fprintf(stderr, "pam-decisions: close after open: %d\n", r);
                        }
                        break;
                case OP_CLOSE_ONLY:
                        r = pam_close_session(h, 0);
                        break;
                }
        (void) pam_end(h, r);
        return r;
}

/* Between rounds: frank's approval and heidi's become grants; revoke them
 * so the next round waits for an approver again. grace's and bob's
 * requests stay pending or denied; new ones are made. */
static void reset_grants(void) {
        const char *const users[] = { "frank", "heidi" };

        for (size_t i = 0; i < ELEMENTSOF(users); i++) {
                const char *args[] = { "revoke", "--user", users[i], "--reason", "next round", NULL };

                (void) jitctl(args);
        }
}

int main(int argc, char **argv) {
        struct pam_conv quiet = { conversation, &(Conversation) {} };
        pam_handle_t *keeper = NULL, *reused = NULL;
        unsigned rounds, failures = 0, runs = 0;
        char *end;
        int r;

        if (argc != 5) {
                fprintf(stderr, "usage: %s CONFDIR JITCTL SOCKET ROUNDS\n", argv[0]);
                return EXIT_FAILURE;
        }
        arg_confdir = argv[1];
        arg_jitctl = argv[2];
        arg_socket = argv[3];
        errno = 0;
        rounds = (unsigned) strtoul(argv[4], &end, 10);
        if (errno != 0 || *end || rounds == 0 || rounds > 1000) {
                fprintf(stderr, "pam-decisions: bad ROUNDS \"%s\"\n", argv[4]);
                return EXIT_FAILURE;
        }

        /* Holds pam_jit.so loaded from here to the end, and runs its own
         * account decisions, switching users, as a reused handle. */
        r = pam_start_confdir("login", "alice", &quiet, arg_confdir, &keeper);
        if (r == PAM_SUCCESS)
                r = pam_start_confdir("login", "alice", &quiet, arg_confdir, &reused);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "pam-decisions: pam_start_confdir: %d\n", r);
                return EXIT_FAILURE;
        }

        for (unsigned round = 0; round < rounds; round++) {
                static const struct {
                        const char *user;
                        int expect;
                } on_reused[] = { { "alice", PAM_SUCCESS }, { "bob", PAM_PERM_DENIED }, { "dave", IGNORED } };

                for (size_t i = 0; i < ELEMENTSOF(decisions); i++) {
                        const Decision *d = &decisions[i];

                        r = run_decision(d, round);
                        runs++;
                        if (r != d->expect) {
                                fprintf(stderr, "pam-decisions: round %u: %s %s op %d: %d (%s), expected %d\n", round,
                                        d->service, d->user, (int) d->op, r, pam_strerror(NULL, r), d->expect);
                                failures++;
                        }
                }
                for (size_t i = 0; i < ELEMENTSOF(on_reused); i++) {
                        r = pam_set_item(reused, PAM_USER, on_reused[i].user);
                        if (r == PAM_SUCCESS)
                                r = pam_acct_mgmt(reused, 0);
                        runs++;
                        if (r != on_reused[i].expect) {
                                fprintf(stderr, "pam-decisions: round %u: reused handle, %s: %d, expected %d\n", round,
                                        on_reused[i].user, r, on_reused[i].expect);
                                failures++;
                        }
                }
                reset_grants();
        }

        (void) pam_end(reused, PAM_SUCCESS);
        (void) pam_end(keeper, PAM_SUCCESS);
        printf("pam-decisions: %u decisions in %u rounds, %u unexpected\n", runs, rounds, failures);
        return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
