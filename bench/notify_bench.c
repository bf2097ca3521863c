/* Approver-notification benchmarks against a real jitd (bench/notify-run.sh
 * starts it with a [webhook] pointing at this program):
 *
 *   created  request created (io.jit.Request returns) -> the webhook message
 *            is in a loopback receiver: per request, N requests in a row
 *   approve  the approver's POST on the review page -> the requester's
 *            io.jit.WaitDecision (what pam_jit waits on) returns: per
 *            request; also POST -> the result page
 *   approve-pam  the same POST -> a real pam_authenticate() through libpam
 *            and pam_jit.so (--pam-module), waiting as sudo's auth phase
 *            does, returns PAM_SUCCESS; needs root (the module trusts only
 *            a root-owned socket and a root peer)
 *   burst    N requests created at once: until every message is received;
 *            jitd's resident memory before and after
 *
 * The receiver is part of this program: an HTTP/1.1 server on loopback in
 * its own thread (keep-alive, as a real endpoint), so the numbers are
 * jitd's and libcurl's, not a slow test receiver's. Every request is for a
 * different user ("[sudo] users = *" covers names the host does not know),
 * so nothing has to be cleaned up between samples. Prints "key=value"
 * lines like the other benchmarks. */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <limits.h>
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "client.h"
#include "jit-protocol.h"

#define CALL_TIMEOUT_USEC (10ULL * 1000000ULL)
#define DELIVERY_TIMEOUT_NSEC (120ULL * 1000000000ULL)
#define RECEIVER_CONNECTIONS_MAX 1024
#define REQUEST_MAX (256U * 1024U)
#define SEEN_MAX 200000U

static const char *arg_socket;
static const char *arg_mode = "created";
static uint64_t arg_port;
static uint64_t arg_iterations = 200;
static uint64_t arg_warmup = 20;
static uint64_t arg_pid;
static char arg_tag[16] = "b";
static const char *arg_pam_module;

/* ---- the receiver ---- */

typedef struct Seen {
        char request_id[JIT_ID_MAX];
        uint64_t at_nsec;
        char link[256]; /* carol's review link, if the message had one */
} Seen;

static struct {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        Seen *seen;
        size_t n_seen;
        int listen_fd;
} rcv = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .listen_fd = -1 };

typedef struct Conn {
        int fd;
        char *buf;
        size_t size;
} Conn;

/* "key":"value" in a JSON body, copied (no unescaping needed: ids and our
 * URLs are plain). */
static bool json_field(const char *body, const char *key, const char *after, char *ret, size_t size) {
        char pattern[64];
        const char *p = after ? strstr(body, after) : body, *end;

        if (!p)
                return false;
        snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
        p = strstr(p, pattern);
        if (!p)
                return false;
        p += strlen(pattern);
        end = strchr(p, '"');
        if (!end || (size_t) (end - p) >= size)
                return false;
        memcpy(ret, p, (size_t) (end - p));
        ret[end - p] = 0;
        return true;
}

static void record(const char *body) {
        Seen s = { .at_nsec = bench_now_nsec() };

        if (!json_field(body, "request_id", NULL, s.request_id, sizeof(s.request_id)))
                return;
        (void) json_field(body, "url", "\"approver\":\"carol\"", s.link, sizeof(s.link));
        pthread_mutex_lock(&rcv.lock);
        if (rcv.n_seen < SEEN_MAX)
                rcv.seen[rcv.n_seen++] = s;
        pthread_cond_broadcast(&rcv.cond);
        pthread_mutex_unlock(&rcv.lock);
}

/* Handle every complete request in the buffer; false to close. */
static bool conn_process(Conn *c) {
        static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n";

        for (;;) {
                char *end = memmem(c->buf, c->size, "\r\n\r\n", 4), *cl;
                size_t header, length = 0, total;

                if (!end)
                        return c->size < REQUEST_MAX;
                header = (size_t) (end - c->buf) + 4;
                *end = 0;
                cl = strcasestr(c->buf, "\r\ncontent-length:");
                if (cl)
                        length = strtoul(cl + 17, NULL, 10);
                *end = '\r';
                if (length > REQUEST_MAX)
                        return false;
                total = header + length;
                if (c->size < total)
                        return true;
                {
                        char *body = strndup(c->buf + header, length);
                        if (body)
                                record(body);
                        free(body);
                }
                if (write(c->fd, ok, sizeof(ok) - 1) != (ssize_t) sizeof(ok) - 1)
                        return false;
                memmove(c->buf, c->buf + total, c->size - total);
                c->size -= total;
        }
}

static void *receiver_main(void *userdata) {
        struct pollfd pfd[RECEIVER_CONNECTIONS_MAX + 1];
        Conn conns[RECEIVER_CONNECTIONS_MAX];
        size_t n = 0;

        for (;;) {
                pfd[0] = (struct pollfd){ .fd = rcv.listen_fd, .events = POLLIN };
                for (size_t i = 0; i < n; i++)
                        pfd[i + 1] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
                if (poll(pfd, n + 1, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                for (size_t i = n; i > 0; i--) {
                        Conn *c = &conns[i - 1];
                        char tmp[16384];
                        ssize_t k;
                        bool keep;

                        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        k = read(c->fd, tmp, sizeof(tmp));
                        keep = k > 0;
                        if (keep) {
                                char *b = realloc(c->buf, c->size + (size_t) k + 1);
                                if (!b)
                                        keep = false;
                                else {
                                        memcpy(b + c->size, tmp, (size_t) k);
                                        c->buf = b;
                                        c->size += (size_t) k;
                                        c->buf[c->size] = 0;
                                        keep = conn_process(c);
                                }
                        }
                        if (!keep) {
                                close(c->fd);
                                free(c->buf);
                                *c = conns[--n];
                        }
                }
                if (pfd[0].revents & POLLIN) {
                        int fd = accept4(rcv.listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd >= 0) {
                                if (n < RECEIVER_CONNECTIONS_MAX)
                                        conns[n++] = (Conn){ .fd = fd };
                                else
                                        close(fd);
                        }
                }
        }
}

static int receiver_start(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) arg_port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        pthread_t t;
        int one = 1;

        rcv.seen = calloc(SEEN_MAX, sizeof(Seen));
        rcv.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!rcv.seen || rcv.listen_fd < 0)
                return -errno;
        setsockopt(rcv.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(rcv.listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(rcv.listen_fd, 1024) < 0)
                return -errno;
        return -pthread_create(&t, NULL, receiver_main, NULL);
}

/* Wait for the message about request_id; its receive time (0 on timeout). */
static uint64_t receiver_wait(const char *request_id, char *ret_link, size_t link_size) {
        uint64_t deadline = bench_now_nsec() + DELIVERY_TIMEOUT_NSEC, at = 0;
        size_t from = 0;

        pthread_mutex_lock(&rcv.lock);
        while (!at && bench_now_nsec() < deadline) {
                for (size_t i = from; i < rcv.n_seen && !at; i++)
                        if (strcmp(rcv.seen[i].request_id, request_id) == 0) {
                                at = rcv.seen[i].at_nsec;
                                if (ret_link)
                                        snprintf(ret_link, link_size, "%s", rcv.seen[i].link);
                        }
                from = rcv.n_seen;
                if (!at) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 100000000;
                        if (ts.tv_nsec >= 1000000000) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000000000;
                        }
                        pthread_cond_timedwait(&rcv.cond, &rcv.lock, &ts);
                }
        }
        pthread_mutex_unlock(&rcv.lock);
        return at;
}

static size_t receiver_count(void) {
        size_t n;

        pthread_mutex_lock(&rcv.lock);
        n = rcv.n_seen;
        pthread_mutex_unlock(&rcv.lock);
        return n;
}

/* ---- jitd ---- */

static int connect_jitd(JitClient *c) {
        return jit_client_connect(c, arg_socket, true, now_monotonic_usec() + CALL_TIMEOUT_USEC);
}

static int request_for(JitClient *c, unsigned i, char *ret_id) {
        struct json_object *p = json_object_new_object(), *reply = NULL, *params = NULL, *v;
        const char *error = NULL;
        char user[32];
        int r;

        snprintf(user, sizeof(user), "%su%06u", arg_tag, i);
        json_object_object_add(p, "user", json_object_new_string(user));
        json_object_object_add(p, "action", json_object_new_string("sudo"));
        json_object_object_add(p, "service", json_object_new_string("sshd"));
        json_object_object_add(p, "reason", json_object_new_string("benchmark"));
        r = jit_client_call(c, JIT_METHOD_REQUEST, p, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply);
        if (r >= 0)
                r = varlink_reply_parse(reply, &error, &params, NULL);
        if (r >= 0 && (error || !json_object_object_get_ex(params, "request_id", &v)))
                r = -EBADMSG;
        if (r >= 0)
                snprintf(ret_id, JIT_ID_MAX, "%s", json_object_get_string(v));
        json_object_put(reply);
        return r;
}

static long rss_kib(const char *field) {
        char path[64], line[256];
        long v = -1;
        FILE *f;

        if (arg_pid == 0)
                return -1;
        snprintf(path, sizeof(path), "/proc/%llu/status", (unsigned long long) arg_pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, strlen(field)) == 0)
                        v = strtol(line + strlen(field), NULL, 10);
        fclose(f);
        return v;
}

static void print_stats(const char *what, SampleBuffer *b) {
        LatencyStats s;

        latency_stats_compute(b->data, b->n, &s);
        printf("bench=notify measure=%s n=%zu mean_us=%.0f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n", what,
               s.n, s.mean_usec, s.p50_usec, s.p90_usec, s.p99_usec, s.max_usec);
}

/* ---- created ---- */

static int mode_created(void) {
        SampleBuffer b = {};
        JitClient c;
        int r;

        r = connect_jitd(&c);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < arg_warmup + arg_iterations; i++) {
                char id[JIT_ID_MAX];
                uint64_t t0 = bench_now_nsec(), t1;

                r = request_for(&c, i, id);
                if (r < 0)
                        break;
                t1 = receiver_wait(id, NULL, 0);
                if (!t1) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (i >= arg_warmup)
                        sample_buffer_add(&b, t1 - t0);
        }
        jit_client_close(&c);
        if (r >= 0)
                print_stats("request_to_webhook", &b);
        sample_buffer_done(&b);
        return r;
}

/* ---- approve ---- */

typedef struct Body {
        char *p;
        size_t n;
} Body;

static size_t on_body(char *p, size_t size, size_t n, void *userdata) {
        Body *b = userdata;
        char *q = realloc(b->p, b->n + size * n + 1);

        if (!q)
                return 0;
        memcpy(q + b->n, p, size * n);
        b->p = q;
        b->n += size * n;
        q[b->n] = 0;
        return size * n;
}

static int http(CURL *curl, const char *url, const char *post, Body *ret) {
        long status = 0;

        *ret = (Body){};
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_PROXY, "");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, ret);
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        if (post)
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
        if (curl_easy_perform(curl) != CURLE_OK)
                return -EIO;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        return (int) status;
}

static int mode_approve(void) {
        SampleBuffer released = {}, page = {};
        CURL *curl = curl_easy_init();
        JitClient c;
        int r;

        if (!curl)
                return -ENOMEM;
        r = connect_jitd(&c);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < arg_warmup + arg_iterations; i++) {
                char id[JIT_ID_MAX], link[256], csrf[64], form[160];
                struct json_object *p, *reply = NULL, *params;
                const char *error = NULL, *state;
                JitClient w;
                Body body;
                uint64_t t0, t_page, t_released;
                char *q;

                r = request_for(&c, 100000 + i, id);
                if (r < 0)
                        break;
                if (!receiver_wait(id, link, sizeof(link)) || !link[0]) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = http(curl, link, NULL, &body);
                q = body.p ? strstr(body.p, "name=\"csrf\" value=\"") : NULL;
                if (r != 200 || !q || sscanf(q + 19, "%63[A-Za-z0-9_-]", csrf) != 1) {
                        free(body.p);
                        r = -EBADMSG;
                        break;
                }
                free(body.p);
                snprintf(form, sizeof(form), "csrf=%s&decision=approve&duration=600", csrf);

                /* The requester waits, as pam_jit's auth phase does. */
                r = connect_jitd(&w);
                if (r < 0)
                        break;
                p = json_object_new_object();
                json_object_object_add(p, "request_id", json_object_new_string(id));
                r = jit_client_send(&w, JIT_METHOD_WAIT_DECISION, p, true, now_monotonic_usec() + CALL_TIMEOUT_USEC);
                if (r >= 0)
                        r = jit_client_receive(&w, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply);
                json_object_put(reply);
                reply = NULL;
                if (r < 0) {
                        jit_client_close(&w);
                        break;
                }

                t0 = bench_now_nsec();
                r = http(curl, link, form, &body);
                t_page = bench_now_nsec();
                free(body.p);
                if (r != 200) {
                        jit_client_close(&w);
                        r = -EBADMSG;
                        break;
                }
                r = jit_client_receive(&w, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply);
                t_released = bench_now_nsec();
                if (r >= 0)
                        r = varlink_reply_parse(reply, &error, &params, NULL);
                state = r >= 0 && !error && json_object_object_get_ex(params, "state", &p) ? json_object_get_string(p) : "";
                if (r >= 0 && strcmp(state, "approved") != 0)
                        r = -EBADMSG;
                json_object_put(reply);
                jit_client_close(&w);
                if (r < 0)
                        break;
                /* Whichever came first: the waiter may be woken before the
                 * page is sent. */
                if (i >= arg_warmup) {
                        sample_buffer_add(&released, t_released - t0);
                        sample_buffer_add(&page, t_page - t0);
                }
        }
        jit_client_close(&c);
        curl_easy_cleanup(curl);
        if (r >= 0) {
                print_stats("post_to_waitdecision", &released);
                print_stats("post_to_result_page", &page);
        }
        sample_buffer_done(&released);
        sample_buffer_done(&page);
        return r;
}

/* ---- approve, through libpam ---- */

/* One PAM auth call waiting for its decision, run in a thread of its own:
 * pam_jit asks for the reason, files the request, announces its id in a
 * PAM_TEXT_INFO notice, then waits (WaitDecision, as for sshd and sudo). */
typedef struct PamWaiter {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        const char *user;
        const char *confdir;
        char request_id[JIT_ID_MAX]; /* from the notice; "" until then */
        bool done;
        int result;            /* pam_authenticate()'s */
        uint64_t released_nsec; /* when it returned */
} PamWaiter;

static int pam_conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *userdata) {
        PamWaiter *w = userdata;
        struct pam_response *r;

        if (n <= 0 || n > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        r = calloc((size_t) n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                const char *p;

                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_ON: /* "Reason for access ...", or "Press Enter" for logins */
                        r[i].resp = strdup("benchmark");
                        if (!r[i].resp) {
                                for (int k = 0; k < i; k++)
                                        free(r[k].resp);
                                free(r);
                                return PAM_BUF_ERR;
                        }
                        break;
                case PAM_TEXT_INFO:
                case PAM_ERROR_MSG:
                        /* "Request r... sent to ...; match code ... Waiting up to ..." */
                        p = msg[i]->msg ? strstr(msg[i]->msg, "Request r") : NULL;
                        if (p) {
                                char id[JIT_ID_MAX] = "";

                                if (sscanf(p + strlen("Request "), "%31[a-z0-9]", id) == 1) {
                                        pthread_mutex_lock(&w->lock);
                                        snprintf(w->request_id, sizeof(w->request_id), "%s", id);
                                        pthread_cond_broadcast(&w->cond);
                                        pthread_mutex_unlock(&w->lock);
                                }
                        }
                        break;
                default:
                        for (int k = 0; k < i; k++)
                                free(r[k].resp);
                        free(r);
                        return PAM_CONV_ERR;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

static void *pam_waiter_main(void *userdata) {
        PamWaiter *w = userdata;
        const struct pam_conv conv = { .conv = pam_conversation, .appdata_ptr = w };
        pam_handle_t *h = NULL;
        int r;

        r = pam_start_confdir("sudo", w->user, &conv, w->confdir, &h);
        if (r == PAM_SUCCESS)
                r = pam_set_item(h, PAM_RHOST, "127.0.0.1");
        if (r == PAM_SUCCESS)
                r = pam_set_item(h, PAM_TTY, "/dev/pts/0");
        if (r == PAM_SUCCESS)
                r = pam_authenticate(h, 0);
        pthread_mutex_lock(&w->lock);
        w->released_nsec = bench_now_nsec();
        w->result = r;
        w->done = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        if (h)
                pam_end(h, r);
        return NULL;
}

/* Wait until `pred` holds for w (under its lock) or the timeout passes. */
static bool pam_waiter_until(PamWaiter *w, bool (*pred)(const PamWaiter *), uint64_t timeout_nsec) {
        struct timespec deadline;
        bool ok;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t) (timeout_nsec / 1000000000ULL);
        pthread_mutex_lock(&w->lock);
        while (!(ok = pred(w)))
                if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != 0) {
                        ok = pred(w);
                        break;
                }
        pthread_mutex_unlock(&w->lock);
        return ok;
}

static bool waiter_has_id(const PamWaiter *w) {
        return w->request_id[0] || w->done;
}

static bool waiter_done(const PamWaiter *w) {
        return w->done;
}

/* A confdir with one service, "sudo" (pam_jit takes the action from the
 * service name): auth through pam_jit.so on this jitd's socket. */
static int pam_confdir_make(char *dir, size_t size) {
        char path[PATH_MAX + 8];
        FILE *f;

        snprintf(dir, size, "%s/jit-notify-bench-pam.XXXXXX", getenv("TMPDIR") ?: "/tmp");
        if (!mkdtemp(dir))
                return -errno;
        snprintf(path, sizeof(path), "%s/sudo", dir);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "auth required %s socket=%s wait=%u reason=optional\n", arg_pam_module, arg_socket,
                (unsigned) (CALL_TIMEOUT_USEC / 1000000ULL));
        return fclose(f) == 0 ? 0 : -EIO;
}

static void pam_confdir_remove(const char *dir) {
        char path[PATH_MAX + 8];

        snprintf(path, sizeof(path), "%s/sudo", dir);
        (void) unlink(path);
        (void) rmdir(dir);
}

/* Like mode_approve, but the waiter is pam_authenticate() through libpam
 * and pam_jit.so: the time from the approver's POST until the PAM call
 * returns PAM_SUCCESS, the module's own WaitDecision handling and its
 * "Approved by ..." notice included. The POST goes out only after the
 * webhook message arrived and the page was fetched, by which time the
 * module (which announces the request right before it waits) is waiting. */
static int mode_approve_pam(void) {
        SampleBuffer released = {};
        CURL *curl = curl_easy_init();
        char confdir[PATH_MAX];
        int r;

        if (!curl)
                return -ENOMEM;
        if (!arg_pam_module) {
                fprintf(stderr, "notify_bench approve-pam: needs --pam-module PATH (pam_jit.so)\n");
                curl_easy_cleanup(curl);
                return -EINVAL;
        }
        r = pam_confdir_make(confdir, sizeof(confdir));
        if (r < 0) {
                curl_easy_cleanup(curl);
                return r;
        }
        for (unsigned i = 0; i < arg_warmup + arg_iterations; i++) {
                PamWaiter w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
                                .confdir = confdir, .result = PAM_SYSTEM_ERR };
                char user[32], link[256], csrf[64], form[160];
                pthread_t thread;
                uint64_t t0;
                Body body;
                char *q;

                snprintf(user, sizeof(user), "%sp%06u", arg_tag, i);
                w.user = user;
                if (pthread_create(&thread, NULL, pam_waiter_main, &w) != 0) {
                        r = -EAGAIN;
                        break;
                }
                r = 0;
                if (!pam_waiter_until(&w, waiter_has_id, CALL_TIMEOUT_USEC * 1000ULL) || !w.request_id[0])
                        r = -ETIMEDOUT;
                if (r >= 0 && (!receiver_wait(w.request_id, link, sizeof(link)) || !link[0]))
                        r = -ETIMEDOUT;
                if (r >= 0) {
                        r = http(curl, link, NULL, &body);
                        q = body.p ? strstr(body.p, "name=\"csrf\" value=\"") : NULL;
                        r = r == 200 && q && sscanf(q + 19, "%63[A-Za-z0-9_-]", csrf) == 1 ? 0 : -EBADMSG;
                        free(body.p);
                }
                if (r >= 0) {
                        snprintf(form, sizeof(form), "csrf=%s&decision=approve&duration=600", csrf);
                        t0 = bench_now_nsec();
                        r = http(curl, link, form, &body);
                        free(body.p);
                        r = r == 200 ? 0 : -EBADMSG;
                }
                /* Whatever happened, the thread ends by the module's wait=. */
                if (r >= 0 && !pam_waiter_until(&w, waiter_done, CALL_TIMEOUT_USEC * 1000ULL + 5000000000ULL))
                        r = -ETIMEDOUT;
                pthread_join(thread, NULL);
                if (r >= 0 && w.result != PAM_SUCCESS) {
                        fprintf(stderr, "notify_bench approve-pam: pam_authenticate: %s\n", pam_strerror(NULL, w.result));
                        r = -EBADMSG;
                }
                if (r < 0)
                        break;
                if (i >= arg_warmup)
                        sample_buffer_add(&released, w.released_nsec - t0);
        }
        pam_confdir_remove(confdir);
        curl_easy_cleanup(curl);
        if (r >= 0)
                print_stats("post_to_pam_auth", &released);
        sample_buffer_done(&released);
        return r;
}

/* ---- burst ---- */

static int mode_burst(void) {
        long rss_before = rss_kib("VmRSS:"), rss_after, hwm;
        size_t base = receiver_count();
        uint64_t t0, t_created, t_done = 0;
        JitClient c;
        int r;

        r = connect_jitd(&c);
        if (r < 0)
                return r;
        t0 = bench_now_nsec();
        for (unsigned i = 0; i < arg_iterations; i++) {
                char id[JIT_ID_MAX];

                r = request_for(&c, 200000 + i, id);
                if (r < 0)
                        break;
        }
        t_created = bench_now_nsec();
        jit_client_close(&c);
        if (r < 0)
                return r;

        while (bench_now_nsec() - t0 < DELIVERY_TIMEOUT_NSEC) {
                if (receiver_count() - base >= arg_iterations) {
                        t_done = bench_now_nsec();
                        break;
                }
                usleep(1000);
        }
        rss_after = rss_kib("VmRSS:");
        hwm = rss_kib("VmHWM:");
        if (!t_done)
                return -ETIMEDOUT;
        printf("bench=notify measure=burst requests=%llu created_ms=%.0f all_delivered_ms=%.0f per_sec=%.0f "
               "rss_before_kib=%ld rss_after_kib=%ld rss_peak_kib=%ld\n",
               (unsigned long long) arg_iterations, (t_created - t0) / 1e6, (t_done - t0) / 1e6,
               arg_iterations / ((t_done - t0) / 1e9), rss_before, rss_after, hwm);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' }, { "port", required_argument, NULL, 'p' },
                { "mode", required_argument, NULL, 'm' },   { "iterations", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, 'w' }, { "pid", required_argument, NULL, 'P' },
                { "tag", required_argument, NULL, 't' },    { "pam-module", required_argument, NULL, 'M' },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        arg_socket = optarg;
                        break;
                case 'p':
                        if (bench_parse_uint(optarg, 1, 65535, &arg_port) < 0)
                                return EXIT_FAILURE;
                        break;
                case 'm':
                        arg_mode = optarg;
                        break;
                case 'n':
                        if (bench_parse_uint(optarg, 1, 100000, &arg_iterations) < 0)
                                return EXIT_FAILURE;
                        break;
                case 'w':
                        if (bench_parse_uint(optarg, 0, 100000, &arg_warmup) < 0)
                                return EXIT_FAILURE;
                        break;
                case 'P':
                        if (bench_parse_uint(optarg, 1, 1U << 22, &arg_pid) < 0)
                                return EXIT_FAILURE;
                        break;
                case 't':
                        snprintf(arg_tag, sizeof(arg_tag), "%s", optarg);
                        break;
                case 'M':
                        arg_pam_module = optarg;
                        break;
                default:
                        return EXIT_FAILURE;
                }
        if (!arg_socket || arg_port == 0) {
                fprintf(stderr, "usage: notify_bench --socket PATH --port PORT [--mode created|approve|approve-pam|burst] "
                                "[--iterations N] [--warmup N] [--pid JITD_PID] [--tag X] [--pam-module PATH]\n");
                return EXIT_FAILURE;
        }

        curl_global_init(CURL_GLOBAL_DEFAULT);
        r = receiver_start();
        if (r < 0) {
                fprintf(stderr, "notify_bench: cannot listen on 127.0.0.1:%llu: %s\n", (unsigned long long) arg_port,
                        strerror(-r));
                return EXIT_FAILURE;
        }

        if (strcmp(arg_mode, "created") == 0)
                r = mode_created();
        else if (strcmp(arg_mode, "approve") == 0)
                r = mode_approve();
        else if (strcmp(arg_mode, "approve-pam") == 0)
                r = mode_approve_pam();
        else if (strcmp(arg_mode, "burst") == 0)
                r = mode_burst();
        else
                r = -EINVAL;
        if (r < 0) {
                fprintf(stderr, "notify_bench %s: %s\n", arg_mode, strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
