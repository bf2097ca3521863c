/* ipc_floor: what the machine itself charges for the transport pam_jit.so
 * and jitd use, so the other numbers can be read against it. A forked
 * child echoes NUL-terminated messages on an AF_UNIX stream socket (no
 * JSON, no store, no audit); the parent times, with messages the size of
 * a Check call:
 *
 *   persistent  send + receive on one connection (a round trip)
 *   fresh       socket + connect + send + receive + close per call, like
 *               the module does for every decision
 *
 * Whatever jitd and the module add on top of these is theirs; these two
 * are the floor no daemon on this socket can go below. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"

#define MESSAGE_SIZE 160 /* about a Check call; the reply is echoed */

static uint64_t arg_iterations = 50000;
static const char *arg_tag = NULL;

static int read_message(int fd, char *buf, size_t size) {
        size_t n = 0;

        /* Until the terminating NUL, as a varlink peer reads. */
        for (;;) {
                ssize_t k = read(fd, buf + n, size - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return n == 0 ? 0 : -ECONNRESET;
                n += (size_t) k;
                if (buf[n - 1] == '\0')
                        return (int) n;
                if (n == size)
                        return -EMSGSIZE;
        }
}

static int write_all(int fd, const char *buf, size_t size) {
        while (size > 0) {
                ssize_t k = write(fd, buf, size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += k;
                size -= (size_t) k;
        }
        return 0;
}

static _Noreturn void echo_server(int listen_fd) {
        char buf[4096];

        for (;;) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        _exit(EXIT_FAILURE);
                }
                for (;;) {
                        int n = read_message(fd, buf, sizeof(buf));
                        if (n <= 0 || write_all(fd, buf, (size_t) n) < 0)
                                break;
                }
                close(fd);
        }
}

static int connect_to(const struct sockaddr_un *sa) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) sa, sizeof(*sa)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int round_trip(int fd, const char *msg, char *buf, size_t size) {
        int r = write_all(fd, msg, MESSAGE_SIZE);
        if (r < 0)
                return r;
        r = read_message(fd, buf, size);
        if (r < 0)
                return r;
        return r == MESSAGE_SIZE ? 0 : -EBADMSG;
}

static void print_result(const char *mode, uint64_t *samples) {
        LatencyStats st;

        latency_stats_compute(samples, arg_iterations, &st);
        printf("ipc_floor mode=%s%s%s n=%zu mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f min_us=%.1f\n", mode,
               arg_tag ? " tag=" : "", arg_tag ?: "", st.n, st.mean_usec, st.p50_usec, st.p90_usec, st.p99_usec,
               st.min_usec);
        fflush(stdout);
}

static int run(const struct sockaddr_un *sa, uint64_t *samples) {
        char msg[MESSAGE_SIZE], buf[4096];
        uint64_t warmup = arg_iterations / 10;
        int fd, r;

        memset(msg, 'x', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';

        fd = connect_to(sa);
        if (fd < 0)
                return fd;
        for (uint64_t i = 0; i < warmup + arg_iterations; i++) {
                uint64_t t0 = bench_now_nsec();
                r = round_trip(fd, msg, buf, sizeof(buf));
                if (r < 0) {
                        close(fd);
                        return r;
                }
                if (i >= warmup)
                        samples[i - warmup] = bench_now_nsec() - t0;
        }
        close(fd);
        print_result("persistent", samples);

        for (uint64_t i = 0; i < warmup + arg_iterations; i++) {
                uint64_t t0 = bench_now_nsec();
                fd = connect_to(sa);
                if (fd < 0)
                        return fd;
                r = round_trip(fd, msg, buf, sizeof(buf));
                close(fd);
                if (r < 0)
                        return r;
                if (i >= warmup)
                        samples[i - warmup] = bench_now_nsec() - t0;
        }
        print_result("fresh", samples);
        return 0;
}

static void help(void) {
        printf("Usage: ipc_floor [OPTIONS] SOCKET-PATH\n"
               "Time AF_UNIX round trips to a trivial echo server bound at SOCKET-PATH.\n\n"
               "  -n --iterations=N     timed round trips per mode (default: 50000)\n"
               "     --tag=TEXT         copied into the result lines\n"
               "  -h --help             this text\n");
}

int main(int argc, char *argv[]) {
        enum {
                ARG_TAG = 0x100,
        };
        static const struct option options[] = {
                { "iterations", required_argument, NULL, 'n' },
                { "tag", required_argument, NULL, ARG_TAG },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint64_t *samples;
        int c, listen_fd, r, status;
        pid_t pid;

        while ((c = getopt_long(argc, argv, "n:h", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        if (bench_parse_uint(optarg, 1, 100000000, &arg_iterations) < 0) {
                                fprintf(stderr, "ipc_floor: bad --iterations: %s\n", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_TAG:
                        arg_tag = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        if (optind + 1 != argc) {
                fprintf(stderr, "ipc_floor: expected one SOCKET-PATH\n");
                return EXIT_FAILURE;
        }
        if (strlen(argv[optind]) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "ipc_floor: socket path too long\n");
                return EXIT_FAILURE;
        }
        strcpy(sa.sun_path, argv[optind]);

        samples = calloc(arg_iterations, sizeof(uint64_t));
        if (!samples) {
                fprintf(stderr, "ipc_floor: out of memory\n");
                return EXIT_FAILURE;
        }

        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(listen_fd, 128) < 0) {
                fprintf(stderr, "ipc_floor: cannot listen on %s: %m\n", sa.sun_path);
                free(samples);
                return EXIT_FAILURE;
        }

        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "ipc_floor: fork: %m\n");
                free(samples);
                return EXIT_FAILURE;
        }
        if (pid == 0)
                echo_server(listen_fd);
        close(listen_fd);

        r = run(&sa, samples);
        if (r < 0)
                fprintf(stderr, "ipc_floor: %s\n", strerror(-r));

        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, &status, 0);
        (void) unlink(sa.sun_path);
        free(samples);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
