/* Infrastructure for the pam_jit.so tests: a private directory with the
 * PAM service files pam_wrapper reads, a real jitd on a socket in it, fake
 * servers that misbehave on purpose, a jitd client for approving and
 * inspecting, a recording PAM conversation, and capture of what the module
 * logs (pam_wrapper prints pam_syslog() lines on stderr). */
#pragma once

#include <json-c/json.h>
#include <libpamtest.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TEST_RHOST "203.0.113.7"
#define TEST_TTY "ssh"

/* What the marker module answers when pam_jit.so returned PAM_IGNORE. */
#define STACK_IGNORED PAM_NO_MODULE_DATA

/* ---- the private directory (TEST_DIR) and the re-exec under pam_wrapper ---- */

/* One PAM service file: every phase runs pam_jit.so with these arguments
 * ("@" stands for the test directory). */
typedef struct Profile {
        const char *service;
        const char *args;
} Profile;

/* In the first run: create the directory and the service files, then exec
 * this program again with pam_wrapper preloaded (it reads the service
 * directory once, when loaded). Returns only in the second run, with the
 * directory set up; exits 77 if `need_root` and we are not root. */
void harness_setup(int argc, char **argv, const Profile *profiles, size_t n_profiles, bool need_root);
/* Stops what we started and removes the directory. */
void harness_cleanup(void);
const char *test_dir(void);
/* TEST_DIR/name into a static rotating buffer. */
const char *test_path(const char *name);

/* ---- jitd ---- */

/* Starts the real jitd with a policy for the test users (see pam-harness.c)
 * on TEST_DIR/io.jit and waits until it answers. */
pid_t jitd_start(void);
/* The same with `dropin` as jitd.conf.d/50-test.conf (NULL: none). */
pid_t jitd_start_with(const char *dropin);
/* SIGTERM, and the test fails (with jitd's log) unless jitd exits 0:
 * under the sanitizers, a leak or an error report at exit. */
void jitd_stop(pid_t pid);

/* ---- fake servers ---- */

typedef enum FakeMode {
        FAKE_GARBAGE,        /* answers bytes that are not JSON */
        FAKE_WRONG_PROTOCOL, /* a well-formed "allow" with protocol 2 */
        FAKE_STORE_ERROR,    /* io.jit.StoreUnavailable: jitd up but unable to decide */
        FAKE_SILENT,         /* accepts, reads, never answers */
        FAKE_ALLOW,          /* a correct "allow" (to show the fake itself works) */
        FAKE_HOSTILE_PENDING, /* io.jit.NoGrant "pending", its endpoint/approver names hostile */
} FakeMode;

typedef enum FakeOwner {
        FAKE_OWNER_ROOT,           /* root process, root-owned socket file */
        FAKE_OWNER_FILE_NOBODY,    /* root process, socket file chowned to nobody */
        FAKE_OWNER_PROCESS_NOBODY, /* root-owned file, server process runs as nobody */
} FakeOwner;

pid_t fake_server_start(const char *path, FakeMode mode, FakeOwner owner);
void fake_server_stop(pid_t pid, const char *path);

/* ---- talking to jitd as root (approver/admin side) ---- */

/* Calls a method; 0 and *ret_parameters on success, 1 and *ret_error
 * (malloc'ed) on an error reply, <0 if the exchange failed. */
int admin_call(const char *method, struct json_object *parameters, struct json_object **ret_parameters,
               char **ret_error);
/* Request + Approve as root: a live grant for user/action. 0 or <0. */
int admin_grant(const char *user, const char *action, char *ret_grant_id, size_t size);
int admin_approve(const char *request_id);
int admin_deny(const char *request_id, const char *reason);
/* io.jit.Show: the "request" or "grant" object (+ "sessions"), or NULL. */
struct json_object *admin_show(const char *id);
/* Number of pending requests of a user (io.jit.Status), <0 on error. */
int admin_pending_requests(const char *user);
const char *json_string_of(struct json_object *o, const char *key);

/* ---- the conversation ---- */

#define TRANSCRIPT_MAX 32

typedef enum AnswerKind {
        ANSWER_TEXT,
        ANSWER_NULL,     /* conversation "succeeds" but gives no response */
        ANSWER_CONV_ERR, /* conversation fails (Ctrl-C, client gone) */
} AnswerKind;

typedef struct Answer {
        AnswerKind kind;
        const char *text;
} Answer;

typedef enum ApproverAction {
        APPROVER_NONE,
        APPROVER_APPROVE,
        APPROVER_DENY,
} ApproverAction;

typedef struct Transcript {
        /* every message the module sent, in order */
        int styles[TRANSCRIPT_MAX];
        char *texts[TRANSCRIPT_MAX];
        int n;
        int calls;            /* conversation calls */
        int prompt_call_size; /* number of messages in the call that carried the last prompt */
        int prompts;          /* prompts seen */
        /* answers to prompts, in order; after the last one: empty text */
        Answer answers[8];
        int n_answers;
        /* once the module says it waits, a separate process decides after a delay */
        ApproverAction approver;
        const char *deny_reason;
        uid_t approver_loginuid; /* the approver is root in this user's login; 0: root's own */
        pid_t approver_pid;
        char request_id[64]; /* as shown to the user */
        char match_code[16];
} Transcript;

void transcript_reset(Transcript *t);
/* The first message containing `needle`, or NULL. */
const char *transcript_find(const Transcript *t, const char *needle);
int transcript_style_of(const Transcript *t, const char *needle);
/* Waits for the approver process; its exit status (0 = decision made). */
int transcript_approver_wait(Transcript *t);

/* ---- running PAM ---- */

typedef struct Step {
        enum pamtest_ops op;
        int expect; /* module's code; PAM_IGNORE is expected as STACK_IGNORED automatically */
        int flags;
} Step;

typedef struct RunResult {
        int codes[8];          /* stack codes per step (until the first mismatch) */
        char *log;             /* everything pam_wrapper printed (pam_syslog lines) */
        uint64_t elapsed_usec; /* whole run */
        bool ok;               /* every step returned what was expected */
} RunResult;

/* pam_start(service, user), PAM_RHOST/PAM_TTY set (rhost may override), the
 * session id put into the PAM environment if given, then the steps through
 * libpamtest on that handle. */
/* PAM_RUSER for the next pam_run()s (sudo sets it to the invoking user);
 * NULL: not set. */
extern const char *pam_run_ruser;
void pam_run(const char *service, const char *user, const char *rhost, const char *session_id, Transcript *t,
             const Step *steps, size_t n_steps, RunResult *ret);
void run_result_done(RunResult *r);

/* ---- a datagram socket standing in for journald ---- */

int journal_listen(const char *path);
/* The next datagram, or NULL if none is queued. malloc'ed. */
char *journal_receive(int fd);

uint64_t now_usec(void);
