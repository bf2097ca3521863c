/* The review server of a real jitd while an unprivileged local user tries
 * to hold its connection slots, over real loopback sockets (the listener
 * shares 127.0.0.1 with the reverse proxy, as in the documented setup):
 *
 *  - 16 connections dripping a header line every second (the whole
 *    per-address share): each approval, page and decision, is done within
 *    1 s, and none of those connections lives longer than request_timeout;
 *  - 80 such connections, more than every limit, reopened the moment one is
 *    closed: approvals are still done within 1 s;
 *  - 48 requests cut off half-way and closed: an approval is done within
 *    1 s, and within 1 s no server socket of theirs is left (no CLOSE-WAIT
 *    holding a slot until the idle timeout). */

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"

#define DELIVERY_TIMEOUT_USEC (15ULL * 1000000ULL)
#define REQUEST_TIMEOUT_SEC 3
#define APPROVAL_BOUND_USEC 1000000ULL
#define DRIP_INTERVAL_USEC 1000000ULL
#define MAX_SLOW 80
#define HALF_REQUESTS 48

static char *secret_path, *secret;
static Receiver rcv;
static uint16_t review_port;

static void start_jitd(Jitd *j) {
        _cleanup_free_ char *rest = NULL;
        int status = 0;

        /* The default max_connections (64) and max_connections_per_ip (16). */
        CHECK(asprintf(&rest,
                       "[sudo]\nusers = daemon\ndefault_duration = 600\nmax_duration = 3600\napprovers = carol\n"
                       "[review]\nlisten = 127.0.0.1:0\nrequest_timeout = %ds\n"
                       "[webhook ops]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\n"
                       "secret_file = %s\n",
                       REQUEST_TIMEOUT_SEC, rcv.port, secret_path) > 0);
        CHECK_INT(jitd_setup(j, TEST_JITD_KEYS, rest), 0);
        if (jitd_start(j, &status) < 0) {
                fprintf(stderr, "jitd did not start (status %d)\n", status);
                exit(EXIT_FAILURE);
        }
}

/* A new request's review link (malloc()ed), or NULL. */
static char *new_request_link(Jitd *j, char *ret_id, size_t size) {
        struct json_object *recs, *body;
        char *link = NULL;

        if (create_request(j, "daemon", "sudo", ret_id, size) < 0)
                return NULL;
        if (!wait_records(&rcv, ret_id, "jit.request.created", 1, DELIVERY_TIMEOUT_USEC))
                return NULL;
        recs = records_for(&rcv, ret_id, "jit.request.created");
        body = json_object_array_get_idx(recs, 0);
        if (body)
                link = body_link(body, "carol");
        json_object_put(recs);
        return link;
}

/* One approval through the review page, as root (another local user than
 * the one holding connections, like the proxy): the page and the decision
 * within APPROVAL_BOUND_USEC, and the request approved. */
static void approve_in_time(Jitd *j, const char *what) {
        char id[JIT_ID_MAX];
        _cleanup_free_ char *link = new_request_link(j, id, sizeof(id));
        HttpResult r = {};
        uint64_t started, took;

        CHECK(link != NULL);
        if (!link)
                return;
        if (review_port == 0 && sscanf(link, "http://127.0.0.1:%hu/", &review_port) != 1)
                review_port = 0;

        started = now_usec_monotonic();
        CHECK_INT(review_decide(link, NULL, "approve", "600", &r), 0);
        took = now_usec_monotonic() - started;
        CHECK_INT(r.status, 200);
        if (r.status != 200 && r.body)
                fprintf(stderr, "%s: %.2000s\n", what, r.body);
        CHECK_STR(request_state(j, id), "approved");
        fprintf(stderr, "%s: the approval took %llu ms\n", what, (unsigned long long) (took / 1000));
        CHECK(took <= APPROVAL_BOUND_USEC);
        http_result_done(&r);

        /* The next approval needs a new request. */
        {
                struct json_object *reply = NULL;

                CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", "action", "sudo", NULL), &reply), 0);
                json_object_put(reply);
        }
}

static int connect_loopback(uint16_t port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void drop_to_nobody(void) {
        if (setgroups(0, NULL) < 0 || setresgid(GID_NOBODY, GID_NOBODY, GID_NOBODY) < 0 ||
            setresuid(UID_NOBODY, UID_NOBODY, UID_NOBODY) < 0)
                _exit(100);
}

typedef struct SlowReport {
        unsigned opened;
        unsigned closed; /* by the server */
        uint64_t longest_usec;
} SlowReport;

/* As nobody: keep `n` connections that send a request line and then a
 * header line every DRIP_INTERVAL_USEC, never finishing; reopen one as
 * soon as the server closes it. Until `stop` becomes readable; then the
 * report goes to `report`. */
static __attribute__((noreturn)) void slow_client(unsigned n, int stop, int report) {
        static const char start[] = "GET /r/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI HTTP/1.1\r\nHost: x\r\n";
        static const char drip[] = "X-Drip: 1\r\n";
        struct {
                int fd;
                uint64_t opened, dripped;
        } slot[MAX_SLOW];
        struct pollfd pfd[MAX_SLOW + 1];
        SlowReport rep = {};

        drop_to_nobody();
        for (unsigned i = 0; i < n; i++)
                slot[i].fd = -1;
        for (;;) {
                uint64_t now = now_usec_monotonic();

                for (unsigned i = 0; i < n; i++) {
                        if (slot[i].fd < 0) {
                                slot[i].fd = connect_loopback(review_port);
                                if (slot[i].fd < 0)
                                        continue;
                                (void) send(slot[i].fd, start, strlen(start), MSG_NOSIGNAL);
                                slot[i].opened = slot[i].dripped = now;
                                rep.opened++;
                        } else if (now - slot[i].dripped >= DRIP_INTERVAL_USEC) {
                                (void) send(slot[i].fd, drip, strlen(drip), MSG_NOSIGNAL);
                                slot[i].dripped = now;
                        }
                }
                for (unsigned i = 0; i < n; i++)
                        pfd[i] = (struct pollfd) { .fd = slot[i].fd, .events = POLLIN | POLLRDHUP };
                pfd[n] = (struct pollfd) { .fd = stop, .events = POLLIN };
                if (poll(pfd, n + 1, 100) < 0 && errno != EINTR)
                        _exit(101);
                if (pfd[n].revents)
                        break;
                now = now_usec_monotonic();
                for (unsigned i = 0; i < n; i++) {
                        char buf[512];
                        ssize_t k;

                        if (slot[i].fd < 0 || !pfd[i].revents)
                                continue;
                        k = recv(slot[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
                        if (k > 0 || (k < 0 && errno == EAGAIN))
                                continue;
                        rep.closed++;
                        if (now - slot[i].opened > rep.longest_usec)
                                rep.longest_usec = now - slot[i].opened;
                        close(slot[i].fd);
                        slot[i].fd = -1;
                }
        }
        (void) !write(report, &rep, sizeof(rep));
        _exit(0);
}

typedef struct SlowClient {
        pid_t pid;
        int stop, report;
} SlowClient;

static void slow_client_start(SlowClient *c, unsigned n) {
        int stop[2], report[2];

        CHECK_INT(pipe(stop), 0);
        CHECK_INT(pipe(report), 0);
        c->pid = fork();
        CHECK(c->pid >= 0);
        if (c->pid == 0) {
                close(stop[1]);
                close(report[0]);
                slow_client(n, stop[0], report[1]);
        }
        close(stop[0]);
        close(report[1]);
        c->stop = stop[1];
        c->report = report[0];
}

static SlowReport slow_client_stop(SlowClient *c) {
        SlowReport rep = {};
        int status;

        close(c->stop);
        CHECK_INT(read(c->report, &rep, sizeof(rep)), (ssize_t) sizeof(rep));
        close(c->report);
        CHECK_INT(waitpid(c->pid, &status, 0), c->pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return rep;
}

/* The reviewer's attack: one address's whole share, dripping. */
static void test_dripping_share(Jitd *j) {
        SlowClient c;
        SlowReport rep;

        slow_client_start(&c, 16);
        sleep_usec(1500000); /* all 16 are in and dripping */
        approve_in_time(j, "16 dripping connections");
        sleep_usec(REQUEST_TIMEOUT_SEC * 1000000ULL);
        approve_in_time(j, "16 dripping connections, later");
        rep = slow_client_stop(&c);

        /* Every one was closed at request_timeout and reopened. */
        CHECK(rep.closed >= 16);
        CHECK(rep.longest_usec >= (REQUEST_TIMEOUT_SEC - 1) * 1000000ULL);
        if (rep.longest_usec > (REQUEST_TIMEOUT_SEC + 1) * 1000000ULL)
                fprintf(stderr, "a dripping connection lived %llu ms\n",
                        (unsigned long long) (rep.longest_usec / 1000));
        CHECK(rep.longest_usec <= (REQUEST_TIMEOUT_SEC + 1) * 1000000ULL);
}

/* More than every limit, reopened at once: the user's connections take
 * each other's slots, never the approver's. */
static void test_over_every_limit(Jitd *j) {
        SlowClient c;
        SlowReport rep;

        slow_client_start(&c, MAX_SLOW);
        sleep_usec(1500000);
        for (int i = 0; i < 3; i++)
                approve_in_time(j, "80 connections, reopened at once");
        rep = slow_client_stop(&c);
        CHECK(rep.opened > MAX_SLOW);
}

/* Server sockets on the review port that still hold a slot: established
 * or in CLOSE-WAIT (the peer has gone, the server has not closed). */
static int server_sockets_held(uint16_t port) {
        FILE *f = fopen("/proc/net/tcp", "re");
        char line[512];
        int n = 0;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                unsigned local_port, state;

                if (sscanf(line, " %*u: %*8x:%x %*8x:%*x %x", &local_port, &state) != 2)
                        continue;
                if (local_port == port && (state == 0x01 || state == 0x08))
                        n++;
        }
        fclose(f);
        return n;
}

static void test_half_requests(Jitd *j) {
        static const char *const halves[] = {
                "GET /r/abc",
                "GET /r/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI HTTP/1.1\r\nHost: x\r\n",
                "POST /r/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ndecision=app",
        };
        pid_t pid;
        int status;

        CHECK(review_port != 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                drop_to_nobody();
                for (int i = 0; i < HALF_REQUESTS; i++) {
                        const char *h = halves[i % ELEMENTSOF(halves)];
                        int fd = connect_loopback(review_port);

                        if (fd < 0)
                                _exit(1);
                        /* The request and the end of input arrive together. */
                        (void) send(fd, h, strlen(h), MSG_NOSIGNAL);
                        close(fd);
                }
                _exit(0);
        }
        CHECK_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

        approve_in_time(j, "after half requests");
        /* Well before request_timeout: nothing of theirs is left. */
        CHECK(WAIT_FOR(server_sockets_held(review_port) == 0, 1000000ULL));
        CHECK_INT(server_sockets_held(review_port), 0);
}

int main(int argc, char **argv) {
        const char *extra[3];
        Jitd j;

        web_test_init(argc, argv, "integration-review-slow");
        CHECK_INT(make_secret("review.secret", &secret_path, &secret), 0);
        extra[0] = "--secret";
        extra[1] = secret;
        extra[2] = NULL;
        start_receiver(&rcv, "review-slow", extra);
        start_jitd(&j);

        approve_in_time(&j, "no load"); /* also learns the port */
        if (review_port != 0) {
                test_dripping_share(&j);
                test_over_every_limit(&j);
                test_half_requests(&j);
        } else
                CHECK(!"no review port");

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        receiver_stop(&rcv);
        free(secret_path);
        free(secret);
        return test_result("integration-review-slow");
}
