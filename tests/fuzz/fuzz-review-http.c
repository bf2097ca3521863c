/* The review server as the network reaches it: raw bytes over a loopback
 * TCP connection to the real libmicrohttpd listener of a real jitd
 * (jitd-harness.h), so the request line and headers are parsed by MHD and
 * everything MHD hands over (path token, trusted identity header, proxy
 * secret, Origin, the form body) by our http-server.c and review.c, down
 * to the decision in the store.
 *
 * Before each input a pending request for nobody gets three live links
 * (carol's, dave's and a shared one); in the input @T0@ @T1@ @T2@ stand for
 * their tokens, @C0@ @C1@ @C2@ for their CSRF tokens (the shared one's for
 * carol) and @S@ for the proxy secret, so inputs reach the pages and the
 * decisions, not only "invalid link".
 *
 * Oracles: whatever comes back starts as an HTTP/1.x response; an input
 * without "POST" never changes the request or counts an approval (a GET or
 * HEAD only reads: mail scanners and chat unfurlers fetch every link);
 * nothing is decided or counted without the proxy secret and a CSRF token,
 * nor by the requester (nobody, a sudo approver too); audit entries are
 * clean text (jitd-harness.c). The request is a login (quorum 2) or a
 * sudo (quorum 1), by the input's length. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "jitd-harness.h"
#include "review-server.h"
#include "review-token.h"
#include "store-outbox.h"
#include "store.h"
#include "text.h"

#define IDLE_ROUNDS 16
#define LINKS 3

static FuzzJitd *jitd;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        jitd = fuzz_jitd_start();
        return 0;
}

typedef struct Links {
        RequestRecord request;
        char token[LINKS][REVIEW_TOKEN_STRING_MAX];
        char csrf[LINKS][REVIEW_CSRF_STRING_MAX];
} Links;

static void make_request(Links *l, JitAction action) {
        static const char *const approvers[LINKS] = { "carol", "dave", "" };
        int64_t now = jit_now_realtime();

        l->request = (RequestRecord) {
                .action = action,
                .state = REQUEST_PENDING,
                .created_at = now,
                .expires_at = now + 600,
        };
        if (jit_random_id('r', l->request.id, sizeof(l->request.id)) < 0 ||
            jit_random_match_code(l->request.match_code, sizeof(l->request.match_code)) < 0)
                fuzz_fail("no random ids");
        snprintf(l->request.user, sizeof(l->request.user), "nobody");
        snprintf(l->request.service, sizeof(l->request.service), "sshd");
        snprintf(l->request.reason, sizeof(l->request.reason), "deploy <b>now</b>");
        if (store_insert_request(jitd->m.store, &l->request) < 0)
                fuzz_fail("store_insert_request failed");

        for (size_t i = 0; i < LINKS; i++) {
                ReviewLinkRecord link = { .created_at = now, .expires_at = l->request.expires_at };

                if (review_token_generate(l->token[i]) < 0 || review_token_hash(l->token[i], &link.hash) < 0)
                        fuzz_fail("no review token");
                snprintf(link.request_id, sizeof(link.request_id), "%s", l->request.id);
                snprintf(link.approver, sizeof(link.approver), "%s", approvers[i]);
                snprintf(link.endpoint, sizeof(link.endpoint), "ops");
                if (store_review_link_insert(jitd->m.store, &link) < 0)
                        fuzz_fail("store_review_link_insert failed");
                if (review_csrf_token(review_server_key(&jitd->m), l->token[i], i == 2 ? "carol" : NULL,
                                      l->csrf[i]) < 0)
                        fuzz_fail("no CSRF token");
        }
}

/* The input with its placeholders replaced. */
static char *substitute(const Links *l, const uint8_t *data, size_t size, size_t *ret_size) {
        char *out = malloc(size * 64 / 4 + 64), *o = out;

        if (!out)
                abort();
        for (size_t i = 0; i < size;) {
                const char *with = NULL;
                size_t skip = 0;

                if (size - i >= 4 && data[i] == '@' && data[i + 3] == '@' && data[i + 2] >= '0' && data[i + 2] <= '2') {
                        if (data[i + 1] == 'T')
                                with = l->token[data[i + 2] - '0'];
                        else if (data[i + 1] == 'C')
                                with = l->csrf[data[i + 2] - '0'];
                        skip = 4;
                } else if (size - i >= 3 && memcmp(data + i, "@S@", 3) == 0) {
                        with = jitd->proxy_secret;
                        skip = 3;
                }
                if (with) {
                        o = stpcpy(o, with);
                        i += skip;
                } else
                        *o++ = (char) data[i++];
        }
        *ret_size = (size_t) (o - out);
        return out;
}

static uint16_t review_port(void) {
        const char *url = review_server_public_url(&jitd->m);
        const char *colon = url ? strrchr(url, ':') : NULL;
        uint64_t port;

        if (!colon || jit_parse_uint64(colon + 1, 1, 65535, &port) < 0)
                fuzz_fail("no review server (public URL %s)", url ?: "(none)");
        return (uint16_t) port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        _cleanup_free_ char *input = NULL, *response = NULL;
        size_t n, sent = 0, got = 0, allocated = 65536;
        bool closed = false;
        RequestRecord after;
        unsigned approvals = 0;
        bool with_csrf = false;
        Links l;
        int fd, idle = 0;

        fuzz_jitd_maybe_reset(jitd, 200);
        /* login needs two approvals, sudo one: both paths, by the input's length. */
        make_request(&l, size % 2 ? JIT_ACTION_SUDO : JIT_ACTION_LOGIN);
        input = substitute(&l, data, size, &n);
        response = malloc(allocated + 1);
        if (!response)
                abort();

        sa.sin_port = htons(review_port());
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS))
                fuzz_fail("cannot connect to the review server: %m");

        while (!closed && idle < IDLE_ROUNDS) {
                bool busy = fuzz_jitd_step(jitd);
                ssize_t k;

                if (sent < n) {
                        k = send(fd, input + sent, n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (k > 0) {
                                sent += (size_t) k;
                                busy = true;
                                if (sent == n)
                                        (void) shutdown(fd, SHUT_WR);
                        } else if (k < 0 && errno != EAGAIN && errno != ENOTCONN)
                                sent = n; /* the server hung up */
                } else if (n == 0)
                        (void) shutdown(fd, SHUT_WR);
                for (;;) {
                        k = recv(fd, response + got, allocated - got, MSG_DONTWAIT);
                        if (k == 0 || (k < 0 && errno != EAGAIN && errno != ENOTCONN)) {
                                closed = true;
                                break;
                        }
                        if (k < 0)
                                break;
                        busy = true;
                        got += (size_t) k;
                        if (got == allocated) {
                                closed = true; /* enough to judge */
                                break;
                        }
                }
                idle = busy ? 0 : idle + 1;
        }
        close(fd);
        for (unsigned i = 0; i < 200 && fuzz_jitd_step(jitd); i++)
                ;

        response[got] = 0;
        if (getenv("JIT_FUZZ_LOG"))
                fprintf(stderr, "response:\n%s\n", response);
        if (got > 0 && strncmp(response, "HTTP/1.", got < 7 ? got : 7) != 0)
                fuzz_fail("the review server answered something that is not HTTP:\n%s", response);

        if (store_get_request(jitd->m.store, l.request.id, &after) < 0 ||
            store_count_approvals(jitd->m.store, l.request.id, &approvals) < 0)
                fuzz_fail("the request is gone");
        if (after.state == REQUEST_PENDING && approvals == 0)
                return 0;
        /* Something was decided or counted: it took a POST, with the
         * proxy's secret and a CSRF token of one of the links, and it was
         * not the requester. */
        if (!memmem(input, n, "POST", 4))
                fuzz_fail("a request without POST decided %s (now %s)", l.request.id,
                          request_state_to_string(after.state));
        if (!memmem(input, n, jitd->proxy_secret, strlen(jitd->proxy_secret)))
                fuzz_fail("a decision without the proxy secret");
        for (size_t i = 0; i < LINKS; i++)
                with_csrf = with_csrf || memmem(input, n, l.csrf[i], strlen(l.csrf[i]));
        if (!with_csrf)
                fuzz_fail("a decision without a CSRF token");
        if (strcmp(after.decided_by, l.request.user) == 0 || store_has_approval(jitd->m.store, l.request.id, l.request.user))
                fuzz_fail("the requester %s decided their own request", l.request.user);
        return 0;
}
