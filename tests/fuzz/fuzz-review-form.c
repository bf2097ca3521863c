/* What the review server parses itself out of a request libmicrohttpd
 * hands it: the POST body (decoded by http-form.c with MHD's post
 * processor, the fields picked by review_form_pick), the decision in it
 * (review_form_parse), the link token from the path and the CSRF token
 * (review-token.c). The body goes over a loopback connection to a real
 * review HTTP server (review_http_server_new) on this process's sd-event
 * loop, whose decision handler runs the oracles. The input: 8 bytes of the
 * policy's max duration, then the body; the form's csrf field doubles as a
 * link token and a hash in hex.
 *
 * Oracles: the server accepts exactly the bodies the hand-written parser
 * it replaced accepted, with the same field values; form values hold no NUL and stay within 4 KiB and the body's
 * length; a body the handler does not see is refused with 400 (or 413);
 * an approval's duration is within 1 s .. the policy max; a denial's
 * reason is clean and within JIT_REASON_MAX; a well-formed token is 43
 * characters of the URL-safe alphabet; a hash read from hex prints back as
 * the same hex; a CSRF token verifies exactly when it equals the one
 * computed for the link and person. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "jit-protocol.h"
#include "review-http.h"
#include "review-page.h"
#include "review-token.h"
#include "text.h"

/* The review form's parser before libmicrohttpd's post processor took
 * over (http-form.c): the reference for what a body means. The server must
 * accept exactly the bodies it accepted, with the same fields. */
typedef struct RefForm {
        char *csrf;
        char *decision;
        char *duration;
        char *reason;
} RefForm;

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decode [p, p+n) in place into a NUL-terminated string; returns its
 * length or -EBADMSG. */
static ssize_t form_decode(char *p, size_t n) {
        size_t out = 0;

        for (size_t i = 0; i < n; i++) {
                char c = p[i];

                if (c == '+')
                        c = ' ';
                else if (c == '%') {
                        int hi, lo;

                        if (n - i < 3)
                                return -EBADMSG;
                        hi = hex_digit(p[i + 1]);
                        lo = hex_digit(p[i + 2]);
                        if (hi < 0 || lo < 0)
                                return -EBADMSG;
                        c = (char) (hi << 4 | lo);
                        i += 2;
                }
                if (c == 0)
                        return -EBADMSG;
                p[out++] = c;
        }
        p[out] = 0;
        return (ssize_t) out;
}

static int reference_form_parse(const char *body, size_t size, RefForm *ret, char **ret_storage) {
        _cleanup_free_ char *storage = NULL;
        RefForm form = {};
        char *p, *end;

        if ((!body && size > 0) || !ret || !ret_storage)
                return -EINVAL;
        if (memchr(body ? body : "", 0, size))
                return -EBADMSG;

        storage = malloc(size + 1);
        if (!storage)
                return -ENOMEM;
        if (size > 0)
                memcpy(storage, body, size);
        storage[size] = 0;

        for (p = storage, end = storage + size; p < end;) {
                char *amp = memchr(p, '&', (size_t) (end - p));
                char *next = amp ? amp + 1 : end;
                size_t len = (size_t) ((amp ? amp : end) - p);
                char *eq = memchr(p, '=', len);
                char *name = p, *value;
                size_t name_len = eq ? (size_t) (eq - p) : len;
                size_t value_len = eq ? len - name_len - 1 : 0;
                char **slot = NULL;
                ssize_t k;

                if (len == 0) {
                        p = next;
                        continue;
                }

                /* Decode the value first: decoding the name writes a NUL
                 * at or before the '='. */
                value = eq ? eq + 1 : p + len;
                if (eq) {
                        k = form_decode(value, value_len);
                        if (k < 0)
                                return (int) k;
                        if ((size_t) k > HTTP_FORM_VALUE_MAX)
                                return -EMSGSIZE;
                } else
                        *value = 0;
                k = form_decode(name, name_len);
                if (k < 0)
                        return (int) k;

                if (strcmp(name, REVIEW_FIELD_CSRF) == 0)
                        slot = &form.csrf;
                else if (strcmp(name, REVIEW_FIELD_DECISION) == 0)
                        slot = &form.decision;
                else if (strcmp(name, REVIEW_FIELD_DURATION) == 0)
                        slot = &form.duration;
                else if (strcmp(name, REVIEW_FIELD_REASON) == 0)
                        slot = &form.reason;

                if (slot) {
                        /* A repeated field is ambiguous: which one did the
                         * person mean? */
                        if (*slot)
                                return -EBADMSG;
                        *slot = value;
                }
                p = next;
        }

        *ret = form;
        *ret_storage = TAKE_PTR(storage);
        return 0;
}

#define RESPONSE_ROUNDS 20000

static ReviewKey key;
static sd_event *event;
static HttpServer *server;
static uint16_t port;
static char review_link[REVIEW_TOKEN_STRING_MAX];

/* Per input. */
static uint64_t max_duration;
static size_t body_size;
static bool handled;
static bool ref_ok;
static RefForm ref;

static int on_view(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata) {
        fuzz_fail("a POST reached the view handler");
        return -EIO;
}

static int on_decision(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        fuzz_keep_stderr();
        memset(&key, 0x5a, sizeof(key));
        if (review_token_generate(review_link) < 0 || sd_event_new(&event) < 0 ||
            review_http_server_new(event, &(HttpServerSettings) { .post_body_max = HTTP_POST_BODY_MAX }, on_view,
                                   on_decision, NULL, &server) < 0 ||
            http_server_local_port(server, &port) < 0)
                fuzz_fail("cannot start the review HTTP server");
        return 0;
}

static void check_token(const char *s) {
        ReviewTokenHash h;
        char hex[REVIEW_TOKEN_HASH_HEX_MAX];

        if (review_token_is_well_formed(s)) {
                if (strlen(s) != REVIEW_TOKEN_LENGTH || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                  "0123456789-_") != REVIEW_TOKEN_LENGTH)
                        fuzz_fail("review_token_is_well_formed accepted \"%s\"", s);
                if (review_token_hash(s, &h) < 0)
                        fuzz_fail("a well-formed token does not hash");
        } else if (review_token_hash(s, &h) >= 0)
                fuzz_fail("review_token_hash hashed a malformed token");

        if (review_token_hash_from_hex(s, &h) >= 0) {
                review_token_hash_to_hex(&h, hex);
                if (strlen(s) != strlen(hex) || strncasecmp(s, hex, strlen(hex)) != 0)
                        fuzz_fail("hash hex \"%s\" reads back as \"%s\"", s, hex);
        }
}

static void check_csrf(const char *link_token, const char *identity, const char *csrf) {
        char expected[REVIEW_CSRF_STRING_MAX];
        bool computed = review_csrf_token(&key, link_token, identity, expected) >= 0;
        bool should = computed && csrf && strcmp(csrf, expected) == 0;

        if (review_csrf_verify(&key, link_token, identity, csrf) != should)
                fuzz_fail("review_csrf_verify(\"%s\", \"%s\", \"%s\") != %d", link_token, identity ?: "(null)",
                          csrf ?: "(null)", should);
        if (computed && !review_csrf_verify(&key, link_token, identity, expected))
                fuzz_fail("the CSRF token computed for a link does not verify");
}

static int on_decision(HttpServer *s, const ReviewHttpRequest *req, HttpReply *reply, void *userdata) {
        const char *fields[4] = { req->csrf, req->decision, req->duration, req->reason };
        ReviewDecision d;

        handled = true;
        if (!ref_ok)
                fuzz_fail("the server took a body the reference parser refuses");
        for (size_t i = 0; i < 4; i++) {
                const char *want = ((const char *const[]) { ref.csrf, ref.decision, ref.duration, ref.reason })[i];

                if (!!want != !!fields[i] || (want && strcmp(want, fields[i]) != 0))
                        fuzz_fail("form field %zu is \"%s\", the reference parser says \"%s\"", i,
                                  fields[i] ?: "(null)", want ?: "(null)");
        }
        for (size_t i = 0; i < 4; i++)
                if (fields[i] && (strlen(fields[i]) > HTTP_FORM_VALUE_MAX || strlen(fields[i]) > body_size))
                        fuzz_fail("form field %zu is longer than the body or above 4 KiB", i);

        if (req->decision && review_form_parse(req->decision, req->duration, req->reason, max_duration, &d) >= 0) {
                if (d.kind == REVIEW_DECISION_KIND_APPROVE &&
                    (d.duration_sec < 1 || d.duration_sec > JIT_DURATION_MAX_SEC ||
                     (max_duration > 0 && d.duration_sec > max_duration)))
                        fuzz_fail("approved for %llu s with max %llu", (unsigned long long) d.duration_sec,
                                  (unsigned long long) max_duration);
                if (d.kind == REVIEW_DECISION_KIND_DENY)
                        fuzz_assert_clean("denial reason", d.reason, JIT_REASON_MAX);
        }

        if (req->csrf) {
                check_token(req->csrf);
                check_csrf(req->csrf, req->reason, req->duration);
                check_csrf(req->csrf, NULL, req->decision);
        }
        reply->status = 204;
        return 0;
}

static int connect_loopback(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

/* POST the request; run the loop until the server closed the connection.
 * Returns the response's status, or 0 if there was none. */
static unsigned post(const char *request, size_t size) {
        _cleanup_close_ int fd = connect_loopback();
        char response[64] = {};
        size_t sent = 0, got = 0;
        unsigned status = 0;

        if (fd < 0)
                fuzz_fail("cannot connect to the review server: %m");
        for (size_t round = 0; round < RESPONSE_ROUNDS; round++) {
                char sink[512];
                ssize_t k;

                if (sent < size) {
                        k = send(fd, request + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                        if (k > 0)
                                sent += (size_t) k;
                }
                (void) sd_event_run(event, sent < size ? 0 : 1000);
                k = recv(fd, got < sizeof(response) - 1 ? response + got : sink,
                         got < sizeof(response) - 1 ? sizeof(response) - 1 - got : sizeof(sink), MSG_DONTWAIT);
                if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN))
                        break;
                if (k > 0 && got < sizeof(response) - 1)
                        got += (size_t) k;
        }
        if (sscanf(response, "HTTP/1.%*u %u", &status) != 1)
                return 0;
        return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        FuzzInput in = { data, size };
        _cleanup_free_ char *request = NULL, *storage = NULL;
        int n;
        unsigned status;

        max_duration = fuzz_take_u64(&in) % (2 * JIT_DURATION_MAX_SEC);
        if (in.size > HTTP_POST_BODY_MAX)
                return 0;
        body_size = in.size;
        handled = false;
        ref = (RefForm) {};
        ref_ok = reference_form_parse((const char *) in.data, in.size, &ref, &storage) >= 0;

        n = asprintf(&request,
                     "POST /r/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     review_link, in.size);
        if (n < 0 || !(request = realloc(request, (size_t) n + in.size + 1)))
                fuzz_fail("out of memory");
        if (in.size > 0)
                memcpy(request + n, in.data, in.size);

        status = post(request, (size_t) n + in.size);
        if (handled ? status != 204 : status != 400 && status != 413)
                fuzz_fail("the server answered %u, the decision handler %s", status, handled ? "ran" : "did not run");
        if (ref_ok && !handled)
                fuzz_fail("the server refused a body the reference parser accepts");
        return 0;
}
