/* jitd's socket as any local user reaches it: a real jitd (jitd-harness.h)
 * accepts a connection and reads the fuzz input as the byte stream of
 * calls, so the framing, the dispatch and every method's parameter
 * parsing, permission checks, store writes and replies run exactly as in
 * the daemon. Up to four clients take part: root (sshd, sudo, jitctl as
 * admin), nobody and daemon (covered users, approvers), root again; the
 * first byte picks who sends first, and control segments switch between
 * them, half-close or hang up (see control()), so one input can have
 * nobody wait for a decision that root then makes.
 *
 * The input is sent one message at a time, each after the replies to the
 * last, with @R@ and @G@ standing for the request and grant ids jitd last
 * answered with, so one input can file a request and approve it.
 *
 * Oracles: Check and OpenSession let someone in only on a live grant of
 * theirs for that action (or break-glass), and answer "ignore" only for
 * users the policy does not cover; every reply is a well-formed varlink reply of our protocol; a
 * connection whose peer stopped sending is answered and closed unless it
 * waits for a decision; every audit entry is clean text (jitd-harness.c);
 * and ASan/UBSan on all of it. */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "jit-protocol.h"
#include "jitd-harness.h"
#include "server.h"
#include "store.h"
#include "text.h"
#include "varlink.h"

/* Rounds of the loop with nothing to do before a connection counts as
 * waiting (a WaitDecision stream) rather than slow. */
#define IDLE_ROUNDS 8

static FuzzJitd *jitd;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        jitd = fuzz_jitd_start();
        return 0;
}

/* The ids jitd last answered with, for the placeholders @R@ and @G@: a
 * fuzz input cannot know the random id of the request it just filed. */
static char last_request_id[JIT_ID_MAX] = "r0000000000000000", last_grant_id[JIT_ID_MAX] = "g0000000000000000";

static void remember_ids(struct json_object *params) {
        const char *id = NULL;

        if (varlink_param_string(params, "request_id", false, JIT_ID_MAX - 1, &id) > 0 && jit_id_is_valid(id, 'r'))
                snprintf(last_request_id, sizeof(last_request_id), "%s", id);
        if (varlink_param_string(params, "grant_id", false, JIT_ID_MAX - 1, &id) > 0 && jit_id_is_valid(id, 'g'))
                snprintf(last_grant_id, sizeof(last_grant_id), "%s", id);
}

/* The client side of one connection, and the calls it is owed replies to
 * (jitd answers in order; a WaitDecision stream answers more than once). */
#define CALLS_MAX 256
typedef struct SentCall {
        char method[64];
        struct json_object *params; /* a reference; NULL if none */
} SentCall;

typedef struct Client {
        int fd;      /* -1: not open (yet, or any more) */
        bool closed; /* jitd closed it */
        uid_t uid;
        const char *name;
        VarlinkFrameBuffer replies;
        SentCall calls[CALLS_MAX];
        size_t calls_head, calls_tail;
} Client;

static const char *string_of(struct json_object *o, const char *key) {
        struct json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool method_is(const SentCall *call, const char *method) {
        return strcmp(call->method, method) == 0;
}

/* The permission model of doc/protocol.md, checked on every successful
 * reply: root (uid 0) may do anything; daemon is an admin (admin_group)
 * but not root; nobody is neither. */
static void check_permission(const Client *c, const SentCall *call, struct json_object *reply_params) {
        bool root = c->uid == 0, admin = root || c->uid == 1;
        const char *user = string_of(call->params, "user");

        if (!root && (method_is(call, JIT_METHOD_CHECK) || method_is(call, JIT_METHOD_OPEN_SESSION) ||
                      method_is(call, JIT_METHOD_CLOSE_SESSION)))
                fuzz_fail("%s answered %s, which only root may call", c->name, call->method);
        if (!admin && (method_is(call, JIT_METHOD_LIST) || method_is(call, JIT_METHOD_APPROVE) ||
                       method_is(call, JIT_METHOD_REVOKE) || method_is(call, JIT_METHOD_GRANT) ||
                       method_is(call, JIT_METHOD_EXPIRE) || method_is(call, JIT_METHOD_RESEND)))
                fuzz_fail("%s (no admin) answered %s", c->name, call->method);
        /* Without "user" a request is the caller's own. */
        if (!root && method_is(call, JIT_METHOD_REQUEST) && user && strcmp(user, c->name) != 0)
                fuzz_fail("%s filed a request for user %s", c->name, user);
        if (!admin && method_is(call, JIT_METHOD_STATUS) && user && strcmp(user, c->name) != 0)
                fuzz_fail("%s saw the status of %s", c->name, user);
        if (method_is(call, JIT_METHOD_APPROVE)) {
                const char *requester = string_of(reply_params, "user"), *approver = string_of(reply_params, "approver");

                if (!approver || strcmp(approver, c->name) != 0)
                        fuzz_fail("%s approved as \"%s\"", c->name, approver ?: "(none)");
                if (requester && strcmp(requester, approver) == 0)
                        fuzz_fail("%s approved their own request", c->name);
        }
        /* A non-admin may withdraw, deny or wait on only its own request. */
        if (!admin && (method_is(call, JIT_METHOD_DENY) || method_is(call, JIT_METHOD_WAIT_DECISION))) {
                const char *id = string_of(call->params, "request_id");
                RequestRecord r;

                if (!id || store_get_request(jitd->m.store, id, &r) < 0 || strcmp(r.user, c->name) != 0)
                        fuzz_fail("%s was answered %s on request %s of %s", c->name, call->method, id ?: "(none)",
                                  id && store_get_request(jitd->m.store, id, &r) >= 0 ? r.user : "nobody known");
        }
        if (!admin && method_is(call, JIT_METHOD_SHOW)) {
                struct json_object *o = NULL;
                const char *owner = NULL;

                if (json_object_object_get_ex(reply_params, "request", &o) ||
                    json_object_object_get_ex(reply_params, "grant", &o))
                        owner = string_of(o, "user");
                if (!owner || strcmp(owner, c->name) != 0)
                        fuzz_fail("%s was shown something of %s", c->name, owner ?: "(nobody)");
        }
}

/* The policy of jitd-harness.c's configuration, written out: [login]
 * covers nobody and daemon, [sudo] everyone but root; daemon is
 * break-glass. */
static bool covered(const char *user, JitAction action) {
        if (action == JIT_ACTION_LOGIN)
                return strcmp(user, "nobody") == 0 || strcmp(user, "daemon") == 0;
        return strcmp(user, "root") != 0;
}

/* Check's and OpenSession's answers: an "allow" or a recorded session
 * rests on a live grant of that user for that action (or break-glass), and
 * "ignore" only ever answers a user the policy does not cover (or, for
 * OpenSession, a break-glass user, or a sudo under a live grant outside
 * any logind session). */
static void check_access(const SentCall *call, struct json_object *reply_params) {
        const char *user = string_of(call->params, "user"), *grant_id = string_of(reply_params, "grant_id");
        const char *decision = string_of(reply_params, "decision");
        JitAction action = jit_action_from_string(string_of(call->params, "action") ?: "");
        bool breakglass = strcmp(user ?: "", "daemon") == 0;
        int64_t now = jit_now_realtime();
        GrantRecord g;

        if (!user || action < 0)
                fuzz_fail("%s answered without a user or action in the call", call->method);
        if (decision && strcmp(decision, "ignore") == 0) {
                /* OpenSession also ignores break-glass users, and a sudo
                 * under a live grant outside any logind session. */
                if (covered(user, action) && !(breakglass && method_is(call, JIT_METHOD_OPEN_SESSION)) &&
                    !(method_is(call, JIT_METHOD_OPEN_SESSION) && action == JIT_ACTION_SUDO &&
                      store_find_live_grant(jitd->m.store, user, action, now - 2, &g) > 0))
                        fuzz_fail("%s answered \"ignore\" for %s (%s), whom the policy covers", call->method, user,
                                  jit_action_to_string(action));
                return;
        }
        if (method_is(call, JIT_METHOD_CHECK) && (!decision || strcmp(decision, "allow") != 0))
                fuzz_fail("Check answered neither allow nor ignore without an error");
        if (!covered(user, action) && !breakglass)
                fuzz_fail("%s let %s (%s) in, whom the policy does not cover: that is \"ignore\"", call->method,
                          user, jit_action_to_string(action));
        if (!grant_id) {
                if (!breakglass)
                        fuzz_fail("%s let %s (%s) in without a grant", call->method, user,
                                  jit_action_to_string(action));
                return;
        }
        /* Live when answered: a second or two of slack for a grant of one
         * second that ended since, and for expiry that ran meanwhile. */
        if (store_get_grant(jitd->m.store, grant_id, &g) < 0 || strcmp(g.user, user) != 0 || g.action != action ||
            g.expires_at <= now - 2 || (g.state != GRANT_ACTIVE && g.ended_at < now - 2))
                fuzz_fail("%s let %s (%s) in on grant %s, which is not a live grant of theirs", call->method, user,
                          jit_action_to_string(action), grant_id);
}

static void check_replies(Client *c) {
        for (;;) {
                _cleanup_json_ struct json_object *message = NULL;
                struct json_object *params = NULL;
                const char *error = NULL;
                bool continues = false;
                SentCall *call;
                int r;

                r = varlink_frame_buffer_pop(&c->replies, &message);
                if (r == 0)
                        return;
                if (r < 0)
                        fuzz_fail("jitd sent a malformed message (%d)", r);
                if (varlink_reply_parse(message, &error, &params, &continues) < 0)
                        fuzz_fail("jitd sent something that is not a reply: %s", json_object_to_json_string(message));
                if (varlink_check_protocol(params) < 0)
                        fuzz_fail("jitd's reply lacks protocol %d: %s", JIT_PROTOCOL_VERSION,
                                  json_object_to_json_string(message));
                if (getenv("JIT_FUZZ_LOG"))
                        fprintf(stderr, "reply to %s: %s\n", c->name, json_object_to_json_string(message));
                remember_ids(params);

                /* A limit refusal comes before any call was read. */
                if (error && strcmp(error, JIT_ERROR_LIMIT) == 0 && c->calls_head == c->calls_tail)
                        continue;
                if (c->calls_head == c->calls_tail)
                        fuzz_fail("jitd sent %s a reply to no call: %s", c->name, json_object_to_json_string(message));
                call = &c->calls[c->calls_head % CALLS_MAX];
                if (!error)
                        check_permission(c, call, params);
                if (!error && (method_is(call, JIT_METHOD_CHECK) || method_is(call, JIT_METHOD_OPEN_SESSION)))
                        check_access(call, params);
                if (continues && !error)
                        continue; /* more to come for the same call */
                json_object_put(call->params);
                call->params = NULL;
                c->calls_head++;
        }
}

/* Read what jitd sent: true once it closed. */
static bool read_replies(Client *c) {
        char buf[16384];

        for (;;) {
                ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n == 0)
                        return true;
                if (n < 0)
                        return errno != EAGAIN;
                if (varlink_frame_buffer_append(&c->replies, buf, (size_t) n) < 0)
                        fuzz_fail("jitd sent a reply larger than %zu bytes", c->replies.max);
                check_replies(c);
        }
}

/* Note a complete message as jitd will read it: the call it answers. */
static void note_call(Client *c, const char *m, size_t n) {
        _cleanup_json_ struct json_object *message = NULL;
        struct json_object *params = NULL;
        const char *method = NULL;
        bool more = false;
        SentCall *call;
        int r;

        if (n == 0 || m[n - 1] != 0)
                return; /* not complete: jitd does not answer it */
        if (c->calls_tail - c->calls_head >= CALLS_MAX)
                fuzz_fail("more than %d calls unanswered", CALLS_MAX);
        call = &c->calls[c->calls_tail++ % CALLS_MAX];
        *call = (SentCall) {};
        r = varlink_message_parse(m, n - 1, &message);
        if (r >= 0)
                r = varlink_call_parse(message, &method, &params, &more);
        snprintf(call->method, sizeof(call->method), "%s", r >= 0 && method ? method : "(not a call)");
        if (r >= 0 && params)
                call->params = json_object_get(params);
}

/* One message (or the unterminated rest) with @R@ and @G@ replaced. */
static char *next_message(FuzzInput *in, size_t *ret_size) {
        const uint8_t *nul = memchr(in->data, 0, in->size);
        size_t n = nul ? (size_t) (nul - in->data) + 1 : in->size, out = 0;
        char *m = malloc(n * (JIT_ID_MAX / 3 + 1) + 1);

        if (!m)
                abort();
        for (size_t i = 0; i < n;) {
                if (n - i >= 3 && in->data[i] == '@' && in->data[i + 2] == '@' &&
                    (in->data[i + 1] == 'R' || in->data[i + 1] == 'G')) {
                        const char *id = in->data[i + 1] == 'R' ? last_request_id : last_grant_id;

                        memcpy(m + out, id, strlen(id));
                        out += strlen(id);
                        i += 3;
                } else
                        m[out++] = (char) in->data[i++];
        }
        in->data += n;
        in->size -= n;
        *ret_size = out;
        return m;
}

#define CLIENTS 4
/* Who each client connects as: root (sshd, sudo, an admin's jitctl),
 * nobody (a covered user) and daemon (a covered user in admin_group), root
 * again. */
static const uid_t client_uid[CLIENTS] = { 0, 65534, 1, 0 };
static const char *const client_name[CLIENTS] = { "root", "nobody", "daemon", "root" };

static void client_open(Client *c, unsigned k) {
        if (c->fd >= 0 || c->closed)
                return;
        c->uid = client_uid[k];
        c->name = client_name[k];
        c->fd = fuzz_jitd_connect(jitd, client_uid[k]);
        varlink_frame_buffer_init(&c->replies);
        c->replies.max = JITD_OUTPUT_MAX;
}

static void client_close(Client *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->closed = true;
        varlink_frame_buffer_done(&c->replies);
        for (; c->calls_head != c->calls_tail; c->calls_head++)
                json_object_put(c->calls[c->calls_head % CALLS_MAX].params);
}

/* Run jitd, reading every client, until nothing happens for a while. */
static void run_until_idle(Client clients[CLIENTS]) {
        int idle = 0;

        while (idle < IDLE_ROUNDS) {
                bool busy = fuzz_jitd_step(jitd);

                for (unsigned k = 0; k < CLIENTS; k++)
                        if (clients[k].fd >= 0 && !clients[k].closed && read_replies(&clients[k]))
                                clients[k].closed = true;
                idle = busy ? 0 : idle + 1;
        }
}

/* Control segments (a JSON call never starts with these bytes):
 * "\x01" K: later messages go to client K (connected on first use);
 * "\x02" K: client K stops sending (shutdown SHUT_WR);
 * "\x03" K: client K hangs up. */
static bool control(const char *m, size_t n, Client clients[CLIENTS], unsigned *current) {
        unsigned k;

        if (n < 2 || (m[0] != 1 && m[0] != 2 && m[0] != 3))
                return false;
        k = (unsigned char) m[1] % CLIENTS;
        if (m[0] == 1) {
                *current = k;
                client_open(&clients[k], k);
        } else if (m[0] == 2 && clients[k].fd >= 0)
                (void) shutdown(clients[k].fd, SHUT_WR);
        else if (m[0] == 3)
                client_close(&clients[k]);
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        Client clients[CLIENTS];
        unsigned current = fuzz_take_u8(&in) % CLIENTS;

        fuzz_jitd_maybe_reset(jitd, 500);
        for (unsigned k = 0; k < CLIENTS; k++)
                clients[k] = (Client) { .fd = -1 };
        client_open(&clients[current], current);

        /* Message by message, as clients that read each reply would. */
        while (in.size > 0) {
                size_t n, sent = 0;
                _cleanup_free_ char *m = next_message(&in, &n);
                Client *c = &clients[current];

                if (control(m, n, clients, &current))
                        continue;
                if (c->fd >= 0 && !c->closed)
                        note_call(c, m, n);
                while (c->fd >= 0 && !c->closed && sent < n) {
                        ssize_t k = send(c->fd, m + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);

                        if (k > 0)
                                sent += (size_t) k;
                        else if (k < 0 && errno != EAGAIN)
                                break; /* jitd hung up (or we stopped sending): it owes nothing more */
                        (void) fuzz_jitd_step(jitd);
                        if (read_replies(c))
                                c->closed = true;
                }
                run_until_idle(clients);
        }

        /* Every client stops sending; jitd answers and closes, except for
         * the streams that wait for a decision. */
        for (unsigned k = 0; k < CLIENTS; k++)
                if (clients[k].fd >= 0)
                        (void) shutdown(clients[k].fd, SHUT_WR);
        run_until_idle(clients);
        for (unsigned k = 0; k < CLIENTS; k++)
                client_close(&clients[k]);

        /* The connections (and anything they started) are finished before the next input. */
        for (unsigned i = 0; i < 1000 && jitd->m.server->n_connections > 0; i++)
                (void) fuzz_jitd_step(jitd);
        if (jitd->m.server->n_connections > 0)
                fuzz_fail("jitd keeps %u connection(s) after their peers closed", jitd->m.server->n_connections);
        for (unsigned i = 0; i < 1000 && fuzz_jitd_step(jitd); i++)
                ;
        return 0;
}
