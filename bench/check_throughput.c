/* check_throughput: how many io.jit.Check calls a running jitd answers per
 * second. N client threads each loop on Check for the same user: with
 * --mode=persistent each keeps one connection, with --mode=fresh each call
 * connects, checks the socket and peer like pam_jit.so does, calls and
 * closes (what every PAM decision costs jitd). Every reply must be
 * "allow"; anything else is counted as an error and fails the run.
 *
 * Counting: a warm-up phase first, then the calls that complete inside the
 * measured window are counted, each with its round-trip latency. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"
#include "client.h"
#include "jit-protocol.h"
#include "varlink.h"

#define CLIENTS_MAX 1024
#define CALL_TIMEOUT_USEC (5U * 1000U * 1000U)

typedef enum Phase {
        PHASE_WARMUP,
        PHASE_MEASURE,
        PHASE_STOP,
} Phase;

typedef enum Mode {
        MODE_PERSISTENT,
        MODE_FRESH,
} Mode;

typedef struct Worker {
        pthread_t thread;
        SampleBuffer samples; /* latencies of calls completed while measuring */
        uint64_t errors;
        char first_error[256];
} Worker;

static const char *arg_socket = JIT_SOCKET_PATH_DEFAULT;
static const char *arg_user = NULL;
static const char *arg_action = "login";
static const char *arg_service = "sshd";
static const char *arg_tag = NULL;
static uint64_t arg_clients = 1;
static double arg_duration = 5.0;
static double arg_warmup = 1.0;
static Mode arg_mode = MODE_PERSISTENT;
static bool arg_once = false;

static _Atomic int phase = PHASE_WARMUP;
/* Persistent clients all connect (and get one answer) before the load
 * starts: jitd serves established root connections before accepting new
 * ones, so a client connecting into a busy jitd may wait a long time. */
static pthread_barrier_t connected_barrier;

static void worker_error(Worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void worker_error(Worker *w, const char *fmt, ...) {
        va_list ap;

        if (w->errors++ > 0)
                return;
        va_start(ap, fmt);
        vsnprintf(w->first_error, sizeof(w->first_error), fmt, ap);
        va_end(ap);
}

static struct json_object *check_parameters_new(void) {
        struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;
        if (json_object_object_add(p, "user", json_object_new_string(arg_user)) < 0 ||
            json_object_object_add(p, "action", json_object_new_string(arg_action)) < 0 ||
            json_object_object_add(p, "service", json_object_new_string(arg_service)) < 0 ||
            json_object_object_add(p, "rhost", json_object_new_string("127.0.0.1")) < 0 ||
            json_object_object_add(p, "tty", json_object_new_string("ssh")) < 0) {
                json_object_put(p);
                return NULL;
        }
        return p;
}

/* One Check on a connected client. 0 if jitd said "allow"; -EACCES for any
 * other answer (described in `decision`); other -errno on transport errors. */
static int check_once(JitClient *c, char *decision, size_t decision_size) {
        _cleanup_json_ struct json_object *reply = NULL;
        struct json_object *params = check_parameters_new(), *parameters = NULL, *d;
        const char *error = NULL;
        bool continues = false;
        int r;

        if (!params)
                return -ENOMEM;
        r = jit_client_call(c, JIT_METHOD_CHECK, params, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply);
        if (r < 0)
                return r;
        r = varlink_reply_parse(reply, &error, &parameters, &continues);
        if (r < 0)
                return r;
        if (error) {
                snprintf(decision, decision_size, "error %s", error);
                return -EACCES;
        }
        if (!parameters || !json_object_object_get_ex(parameters, "decision", &d) ||
            !json_object_is_type(d, json_type_string)) {
                snprintf(decision, decision_size, "reply without decision");
                return -EBADMSG;
        }
        snprintf(decision, decision_size, "%s", json_object_get_string(d));
        return strcmp(json_object_get_string(d), "allow") == 0 ? 0 : -EACCES;
}

static int client_connect(JitClient *c) {
        /* require_root: the same socket-owner and peer-uid checks as the module. */
        return jit_client_connect(c, arg_socket, true, now_monotonic_usec() + CALL_TIMEOUT_USEC);
}

static void *worker_main(void *userdata) {
        Worker *w = userdata;
        JitClient c = { .fd = -1 };
        bool connected = false;
        char decision[128];

        if (arg_mode == MODE_PERSISTENT) {
                /* Connected means "in the listen backlog": one answered call
                 * proves jitd has accepted the connection. */
                int r = client_connect(&c);
                if (r >= 0)
                        r = check_once(&c, decision, sizeof(decision));
                if (r == -EACCES)
                        worker_error(w, "Check answered: %s", decision);
                else if (r < 0)
                        worker_error(w, "first Check: %s", strerror(-r));
                if (r < 0)
                        jit_client_close(&c);
                else
                        connected = true;
                (void) pthread_barrier_wait(&connected_barrier);
        }

        while (atomic_load_explicit(&phase, memory_order_relaxed) != PHASE_STOP) {
                uint64_t t0 = bench_now_nsec(), t1;
                int r = 0;

                if (!connected) {
                        r = client_connect(&c);
                        if (r < 0) {
                                worker_error(w, "connect: %s", strerror(-r));
                                jit_client_close(&c);
                                /* Do not spin on a dead socket. */
                                nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
                                continue;
                        }
                        connected = true;
                }

                decision[0] = '\0';
                r = check_once(&c, decision, sizeof(decision));
                if (r < 0 && r != -EACCES) {
                        /* Transport trouble: start over on a new connection. */
                        jit_client_close(&c);
                        connected = false;
                }
                if (arg_mode == MODE_FRESH && connected) {
                        jit_client_close(&c);
                        connected = false;
                }
                t1 = bench_now_nsec();

                if (atomic_load_explicit(&phase, memory_order_relaxed) != PHASE_MEASURE)
                        continue;
                if (r == -EACCES)
                        worker_error(w, "Check answered: %s", decision);
                else if (r < 0)
                        worker_error(w, "Check: %s", strerror(-r));
                else if (sample_buffer_add(&w->samples, t1 - t0) < 0)
                        worker_error(w, "out of memory");
        }

        if (connected)
                jit_client_close(&c);
        return NULL;
}

static void sleep_seconds(double s) {
        struct timespec ts = {
                .tv_sec = (time_t) s,
                .tv_nsec = (long) ((s - (double) (time_t) s) * 1e9),
        };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int run_once(void) {
        JitClient c = { .fd = -1 };
        char decision[128] = "";
        int r;

        r = client_connect(&c);
        if (r < 0) {
                fprintf(stderr, "check_throughput: connect %s: %s\n", arg_socket, strerror(-r));
                return EXIT_FAILURE;
        }
        r = check_once(&c, decision, sizeof(decision));
        jit_client_close(&c);
        if (r < 0 && r != -EACCES) {
                fprintf(stderr, "check_throughput: Check: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        printf("%s\n", decision);
        return r == 0 ? EXIT_SUCCESS : 2;
}

static int run_benchmark(void) {
        Worker *workers;
        SampleBuffer all = {};
        uint64_t errors = 0, t_start, t_end;
        LatencyStats st;
        double seconds;
        int ret = EXIT_SUCCESS;

        workers = calloc(arg_clients, sizeof(Worker));
        if (!workers) {
                fprintf(stderr, "check_throughput: out of memory\n");
                return EXIT_FAILURE;
        }

        if (pthread_barrier_init(&connected_barrier, NULL, (unsigned) arg_clients) != 0) {
                fprintf(stderr, "check_throughput: pthread_barrier_init failed\n");
                free(workers);
                return EXIT_FAILURE;
        }

        for (size_t i = 0; i < arg_clients; i++) {
                int r = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
                if (r != 0) {
                        /* The others may wait at the barrier for it: give up at once. */
                        fprintf(stderr, "check_throughput: pthread_create: %s\n", strerror(r));
                        exit(EXIT_FAILURE);
                }
        }

        sleep_seconds(arg_warmup);
        t_start = bench_now_nsec();
        atomic_store(&phase, PHASE_MEASURE);
        sleep_seconds(arg_duration);
        atomic_store(&phase, PHASE_STOP);
        t_end = bench_now_nsec();

        for (size_t i = 0; i < arg_clients; i++) {
                (void) pthread_join(workers[i].thread, NULL);
                errors += workers[i].errors;
                if (workers[i].errors > 0)
                        fprintf(stderr, "check_throughput: client %zu: %" PRIu64 " error(s), first: %s\n", i,
                                workers[i].errors, workers[i].first_error);
                if (sample_buffer_merge(&all, &workers[i].samples) < 0) {
                        fprintf(stderr, "check_throughput: out of memory\n");
                        ret = EXIT_FAILURE;
                }
                sample_buffer_done(&workers[i].samples);
        }
        free(workers);
        (void) pthread_barrier_destroy(&connected_barrier);

        if (ret == EXIT_SUCCESS) {
                seconds = (double) (t_end - t_start) / 1e9;
                latency_stats_compute(all.data, all.n, &st);
                printf("check_throughput mode=%s clients=%" PRIu64 "%s%s seconds=%.2f checks=%zu errors=%" PRIu64
                       " rate=%.0f mean_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f\n",
                       arg_mode == MODE_FRESH ? "fresh" : "persistent", arg_clients, arg_tag ? " tag=" : "",
                       arg_tag ?: "", seconds, st.n, errors, (double) st.n / seconds, st.mean_usec, st.p50_usec,
                       st.p90_usec, st.p99_usec, st.max_usec);
                if (errors > 0 || st.n == 0)
                        ret = EXIT_FAILURE;
        }

        sample_buffer_done(&all);
        return ret;
}

static void help(void) {
        printf("Usage: check_throughput [OPTIONS] --user USER\n"
               "Load a running jitd with io.jit.Check calls from concurrent clients.\n\n"
               "  -S --socket=PATH      jitd socket (default: %s)\n"
               "  -u --user=USER        user to check (must have a live grant: reply \"allow\")\n"
               "  -a --action=ACTION    login or sudo (default: login)\n"
               "     --service=NAME     service parameter (default: sshd)\n"
               "  -c --clients=N        concurrent clients, one thread each (default: 1)\n"
               "  -m --mode=MODE        persistent (one connection per client) or fresh\n"
               "                        (connect + Check + close per call, like pam_jit.so)\n"
               "  -d --duration=SEC     measured time (default: 5)\n"
               "  -w --warmup=SEC       unmeasured time first (default: 1)\n"
               "     --tag=TEXT         copied into the result line\n"
               "     --once             one Check, print the decision, exit 0 if \"allow\"\n"
               "  -h --help             this text\n",
               JIT_SOCKET_PATH_DEFAULT);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_SERVICE = 0x100,
                ARG_TAG,
                ARG_ONCE,
        };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 'S' },
                { "user", required_argument, NULL, 'u' },
                { "action", required_argument, NULL, 'a' },
                { "service", required_argument, NULL, ARG_SERVICE },
                { "clients", required_argument, NULL, 'c' },
                { "mode", required_argument, NULL, 'm' },
                { "duration", required_argument, NULL, 'd' },
                { "warmup", required_argument, NULL, 'w' },
                { "tag", required_argument, NULL, ARG_TAG },
                { "once", no_argument, NULL, ARG_ONCE },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "S:u:a:c:m:d:w:h", options, NULL)) >= 0)
                switch (c) {
                case 'S':
                        arg_socket = optarg;
                        break;
                case 'u':
                        arg_user = optarg;
                        break;
                case 'a':
                        if (jit_action_from_string(optarg) < 0) {
                                fprintf(stderr, "check_throughput: bad --action: %s\n", optarg);
                                return -EINVAL;
                        }
                        arg_action = optarg;
                        break;
                case ARG_SERVICE:
                        arg_service = optarg;
                        break;
                case 'c':
                        if (bench_parse_uint(optarg, 1, CLIENTS_MAX, &arg_clients) < 0) {
                                fprintf(stderr, "check_throughput: bad --clients (1..%d): %s\n", CLIENTS_MAX,
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'm':
                        if (strcmp(optarg, "persistent") == 0)
                                arg_mode = MODE_PERSISTENT;
                        else if (strcmp(optarg, "fresh") == 0)
                                arg_mode = MODE_FRESH;
                        else {
                                fprintf(stderr, "check_throughput: bad --mode: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'd':
                        if (bench_parse_seconds(optarg, 3600, &arg_duration) < 0 || arg_duration <= 0) {
                                fprintf(stderr, "check_throughput: bad --duration: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (bench_parse_seconds(optarg, 3600, &arg_warmup) < 0) {
                                fprintf(stderr, "check_throughput: bad --warmup: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_TAG:
                        arg_tag = optarg;
                        break;
                case ARG_ONCE:
                        arg_once = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }

        if (!arg_user) {
                fprintf(stderr, "check_throughput: --user is required\n");
                return -EINVAL;
        }
        if (optind < argc) {
                fprintf(stderr, "check_throughput: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        return arg_once ? run_once() : run_benchmark();
}
