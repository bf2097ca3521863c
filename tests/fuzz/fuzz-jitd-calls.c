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
 * Oracles: every reply is a well-formed varlink reply of our protocol; a
 * connection whose peer stopped sending is answered and closed unless it
 * waits for a decision; every audit entry is clean text (jitd-harness.c);
 * and ASan/UBSan on all of it. */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "jit-protocol.h"
#include "jitd-harness.h"
#include "server.h"
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

static void check_replies(VarlinkFrameBuffer *b, unsigned *n_replies) {
        for (;;) {
                _cleanup_json_ struct json_object *message = NULL;
                struct json_object *params = NULL;
                const char *error = NULL;
                bool continues = false;
                int r;

                r = varlink_frame_buffer_pop(b, &message);
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
                        fprintf(stderr, "reply: %s\n", json_object_to_json_string(message));
                remember_ids(params);
                (*n_replies)++;
        }
}

/* Read what jitd sent: true once it closed. */
static bool read_replies(int fd, VarlinkFrameBuffer *b, unsigned *n_replies) {
        char buf[16384];

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n == 0)
                        return true;
                if (n < 0)
                        return errno != EAGAIN;
                if (varlink_frame_buffer_append(b, buf, (size_t) n) < 0)
                        fuzz_fail("jitd sent a reply larger than %zu bytes", b->max);
                check_replies(b, n_replies);
        }
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

/* The client side of one connection. */
typedef struct Client {
        int fd; /* -1: not open (yet, or any more) */
        bool closed; /* jitd closed it */
        VarlinkFrameBuffer replies;
} Client;

#define CLIENTS 4
/* Who each client connects as: root (sshd, sudo, an admin's jitctl),
 * nobody and daemon (covered users; approvers), root again. */
static const uid_t client_uid[CLIENTS] = { 0, 65534, 1, 0 };

static void client_open(Client *c, unsigned k) {
        if (c->fd >= 0 || c->closed)
                return;
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
}

/* Run jitd, reading every client, until nothing happens for a while. */
static void run_until_idle(Client clients[CLIENTS], unsigned *n_replies) {
        int idle = 0;

        while (idle < IDLE_ROUNDS) {
                bool busy = fuzz_jitd_step(jitd);

                for (unsigned k = 0; k < CLIENTS; k++)
                        if (clients[k].fd >= 0 && !clients[k].closed &&
                            read_replies(clients[k].fd, &clients[k].replies, n_replies))
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
        else if (m[0] == 3 && clients[k].fd >= 0) {
                close(clients[k].fd);
                clients[k].fd = -1;
                varlink_frame_buffer_done(&clients[k].replies);
        }
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        Client clients[CLIENTS];
        unsigned current = fuzz_take_u8(&in) % CLIENTS, n_replies = 0;

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
                while (c->fd >= 0 && !c->closed && sent < n) {
                        ssize_t k = send(c->fd, m + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);

                        if (k > 0)
                                sent += (size_t) k;
                        else if (k < 0 && errno != EAGAIN)
                                break; /* jitd hung up (or we stopped sending): it owes nothing more */
                        (void) fuzz_jitd_step(jitd);
                        if (read_replies(c->fd, &c->replies, &n_replies))
                                c->closed = true;
                }
                run_until_idle(clients, &n_replies);
        }

        /* Every client stops sending; jitd answers and closes, except for
         * the streams that wait for a decision. */
        for (unsigned k = 0; k < CLIENTS; k++)
                if (clients[k].fd >= 0)
                        (void) shutdown(clients[k].fd, SHUT_WR);
        run_until_idle(clients, &n_replies);
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
