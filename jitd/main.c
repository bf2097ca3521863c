/* jitd's entry point: command line, configuration, the state directory and
 * store, the listening socket (socket activation or our own), the system bus
 * (for systemd's timers and logind, where there is one), signals and the one
 * sd-event loop everything else runs on. Also --check-config, which
 * validates without changing anything. */

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "bus-util.h"
#include "config-approvers.h"
#include "config.h"
#include "expiry.h"
#include "jitd.h"
#include "log.h"
#include "outbox.h"
#include "request-limit.h"
#include "retention.h"
#include "server.h"
#include "store.h"
#include "systemd-timers.h"
#include "teardown.h"

#ifndef JITD_VERSION
#define JITD_VERSION "unknown"
#endif

#define STATE_DIRECTORY_DEFAULT "/var/lib/jitd"
#define DB_FILE_NAME "jitd.db"
/* In the state directory: the policy of the last configuration that loaded
 * (config_write_policy()), read when the configuration does not. */
#define LAST_GOOD_POLICY_FILE "policy.last-good"
/* The name a re-executed jitd finds on a socket it bound itself (rather
 * than one systemd passed), so it still removes the file when it stops. */
#define OWN_SOCKET_FD_NAME "jitd-own-socket"
/* Descriptors per connection: its socket and the peer's pidfd (person.h). */
#define FDS_PER_CONNECTION 2U
/* Descriptors beyond the connections': store, journal, listener, slack. */
#define FD_OVERHEAD 64U
/* On SIGTERM, how long calls already accepted may take to be answered. */
#define JITD_DRAIN_USEC (2U * USEC_PER_SEC)

static const char *arg_config = NULL;

/* What run() leaves for main() when SIGHUP asked for a re-execution. */
typedef struct Reexec {
        int listen_fd;
        bool own_socket;
} Reexec;
static bool arg_check_config = false;
static const char *arg_audit_log = NULL;

static void help(void) {
        printf("jitd [OPTIONS...]\n\n"
               "Just-in-time access approval daemon: answers pam_jit.so and jitctl on its socket.\n\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n"
               "  -c --config FILE      Configuration file (default: %s)\n"
               "     --check-config     Validate the configuration and the database, print the\n"
               "                        effective policy, and exit\n"
               "     --audit-log FILE   Also append each audit event as a JSON line to FILE\n"
               "     --reload PID       Ask the jitd running as PID to reload (SIGHUP) and exit\n"
               "  -d --debug            Log debug messages\n",
               JITD_CONFIG_PATH_DEFAULT);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_CHECK_CONFIG,
                ARG_AUDIT_LOG,
                ARG_RELOAD,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "audit-log", required_argument, NULL, ARG_AUDIT_LOG },
                { "reload", required_argument, NULL, ARG_RELOAD },
                { "debug", no_argument, NULL, 'd' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hc:d", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("jitd %s\n", JITD_VERSION);
                        return 0;
                case 'c':
                        if (!*optarg) {
                                fprintf(stderr, "--config needs a file name.\n");
                                return -EINVAL;
                        }
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_AUDIT_LOG:
                        if (!*optarg) {
                                fprintf(stderr, "--audit-log needs a file name.\n");
                                return -EINVAL;
                        }
                        arg_audit_log = optarg;
                        break;
                case ARG_RELOAD: {
                        /* ExecReload=: the unit needs no kill(1) from
                         * another package to send jitd its SIGHUP. */
                        char *end = NULL;
                        long pid;

                        errno = 0;
                        pid = strtol(optarg, &end, 10);
                        if (errno != 0 || !end || *end || end == optarg || pid <= 1 || pid > INT_MAX) {
                                fprintf(stderr, "--reload needs the process id of jitd, not '%s'.\n", optarg);
                                return -EINVAL;
                        }
                        if (kill((pid_t) pid, SIGHUP) < 0) {
                                fprintf(stderr, "Cannot signal process %ld: %s\n", pid, strerror(errno));
                                return -errno;
                        }
                        return 0;
                }
                case 'd':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }

        if (optind < argc) {
                fprintf(stderr, "jitd takes no arguments.\n");
                return -EINVAL;
        }
        return 1;
}

static const char *state_directory(const Config *c) {
        return c->state_directory && *c->state_directory ? c->state_directory : STATE_DIRECTORY_DEFAULT;
}

static const char *socket_path(const Config *c) {
        return c->socket_path && *c->socket_path ? c->socket_path : JIT_SOCKET_PATH_DEFAULT;
}

static int database_path(const Config *c, char **ret) {
        if (c->database_path && *c->database_path)
                *ret = strdup(c->database_path);
        else if (asprintf(ret, "%s/%s", state_directory(c), DB_FILE_NAME) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

/* mkdir -p: every directory we create gets exactly `mode` (jitd's umask is
 * 077, so it is chmod'ed); existing ones are left as the admin made them. */
static int mkdir_parents_and_self(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        size_t len;

        if (!p)
                return -ENOMEM;

        len = strlen(p);
        while (len > 1 && p[len - 1] == '/')
                p[--len] = 0;

        for (char *s = p + 1;; s++) {
                bool last = *s == 0;

                if (*s != '/' && !last)
                        continue;
                *s = 0;
                if (mkdir(p, mode) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                } else if (chmod(p, mode) < 0)
                        return -errno;
                if (last)
                        break;
                *s = '/';
        }
        return 0;
}

static int mkdir_parent(const char *path, mode_t mode) {
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        return mkdir_parents_and_self(dir, mode);
}

/* Where a [jitd] path key came from, for --check-config's messages. */
static const char *key_location(const char *at) {
        return at ?: "(built-in)";
}

/* Read-only integrity check, so --check-config never migrates or locks.
 * The verdict line for stdout goes into `ok_line`; problems to stderr. */
static int check_database(const Config *c, const char *path, char *ok_line, size_t size) {
        char error[256];
        int r;

        r = store_verify_file(path, error, sizeof error);
        if (r < 0)
                fprintf(stderr, "%s: database %s is unreadable or corrupt: %s\n",
                        key_location(c->database_path ? c->database_at : c->state_directory_at), path, error);
        else
                snprintf(ok_line, size, "# database %s: ok\n", path);
        return r < 0 ? -EIO : 0;
}

/* Errors only, each with the file:line of its key, and a non-zero exit;
 * the effective policy is printed only for a configuration that passes,
 * so a broken one is never mistaken for what jitd would run. */
static int run_check_config(const Config *c) {
        _cleanup_free_ char *db = NULL;
        char db_line[PATH_MAX + 64] = "";
        struct stat st;
        int r, ret = 0;

        /* Secret files, URLs and TLS files: what only this host can tell. */
        r = config_approvers_verify_files(c, stderr);
        if (r < 0)
                ret = r;

        r = database_path(c, &db);
        if (r < 0)
                return r;

        if (stat(state_directory(c), &st) >= 0) {
                if (!S_ISDIR(st.st_mode)) {
                        fprintf(stderr, "%s: state_directory %s is not a directory\n",
                                key_location(c->state_directory_at), state_directory(c));
                        ret = -ENOTDIR;
                } else if (st.st_mode & 0022)
                        fprintf(stderr, "# warning: %s: state_directory %s is group or world writable\n",
                                key_location(c->state_directory_at), state_directory(c));
        }

        if (access(db, F_OK) < 0)
                snprintf(db_line, sizeof(db_line), "# database %s: not created yet\n", db);
        else {
                r = check_database(c, db, db_line, sizeof(db_line));
                if (r < 0)
                        ret = r;
        }
        if (ret < 0)
                return ret;

        config_print(c, stdout);
        fputs(db_line, stdout);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

/* Is somebody serving `path`? Non-blocking: a busy jitd's full backlog
 * (EAGAIN) means yes, and must not hang our start. */
static int socket_is_listening(const char *path) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        memcpy(sa.sun_path, path, strlen(path));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0)
                return 1;
        return errno == EAGAIN || errno == EINPROGRESS;
}

static int bind_socket(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        int r;

        if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(-EINVAL, "Socket path %s is not absolute or too long.", path);
        memcpy(sa.sun_path, path, strlen(path));

        r = mkdir_parent(path, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", path);

        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(-EEXIST, "%s exists and is not a socket, refusing to replace it.",
                                               path);
                if (socket_is_listening(path) > 0)
                        return log_error_errno(-EADDRINUSE, "Another jitd is already listening on %s.", path);
                if (unlink(path) < 0 && errno != ENOENT)
                        return log_error_errno(errno, "Failed to remove stale socket %s: %m", path);
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create socket: %m");
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return log_error_errno(errno, "Failed to bind to %s: %m", path);
        /* Anyone may connect: who they are comes from SO_PEERCRED, and what
         * they may do is decided per call. */
        if (chmod(path, 0666) < 0)
                return log_error_errno(errno, "Failed to chmod %s: %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on %s: %m", path);

        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* 1 and *ret_fd set if systemd (or the jitd that re-executed us) passed us
 * the socket, 0 if not. *ret_own: it is one jitd bound itself. */
static int activated_socket(int *ret_fd, bool *ret_own) {
        char **names = NULL;
        int n, fd, flags;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to get sockets from systemd: %m");
        *ret_own = n == 1 && names && names[0] && strcmp(names[0], OWN_SOCKET_FD_NAME) == 0;
        for (int i = 0; names && names[i]; i++)
                free(names[i]);
        free(names);
        if (n == 0)
                return 0;
        if (n > 1)
                return log_error_errno(-EINVAL, "Got %i sockets from systemd, expected one.", n);

        fd = SD_LISTEN_FDS_START;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
                return log_error_errno(-EINVAL,
                                       "The socket systemd passed is not a listening AF_UNIX stream socket.");

        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to set up the socket systemd passed: %m");

        *ret_fd = fd;
        return 1;
}

/* The path of the socket we serve, for the expiry timers' "jitctl
 * --socket": the configured one, or what systemd bound for us. NULL if the
 * passed socket has no path (abstract, unnamed). */
static char *served_socket_path(const Config *c, int fd, bool own_socket) {
        struct sockaddr_un sa = {};
        socklen_t len = sizeof(sa);
        size_t n;

        if (own_socket)
                return strdup(socket_path(c));
        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0 || sa.sun_family != AF_UNIX ||
            len <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] != '/')
                return NULL;
        n = len - offsetof(struct sockaddr_un, sun_path);
        return strndup(sa.sun_path, n < sizeof(sa.sun_path) ? n : sizeof(sa.sun_path));
}

/* The system bus, where there is one: systemd's timers and logind are
 * reached over it. Without it jitd still works (its own expiry timer; the
 * sessions of ended grants stay open), which systemd_timers_start() logs. */
static void open_system_bus(Manager *m) {
        int r;

        r = bus_open_system_attached(m->event, &m->bus);
        if (r < 0) {
                log_debug_errno(r, "Cannot connect to the system bus: %m");
                m->bus = NULL;
        }
}

static void raise_fd_limit(unsigned max_connections) {
        struct rlimit rl;
        rlim_t want = (rlim_t) max_connections * FDS_PER_CONNECTION + FD_OVERHEAD;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
                return;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
                log_warning("File descriptor limit %llu is below %u per connection + %u; "
                            "connections may be refused.",
                            (unsigned long long) rl.rlim_cur, FDS_PER_CONNECTION, FD_OVERHEAD);
}

static const char *config_file_path(void) {
        return arg_config ? arg_config : JITD_CONFIG_PATH_DEFAULT;
}

static int last_good_policy_path(const Config *c, char **ret) {
        if (asprintf(ret, "%s/%s", state_directory(c), LAST_GOOD_POLICY_FILE) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* A configuration loaded: keep its policy where a later start finds it if
 * the configuration is broken then. Written to a temporary file, synced
 * and renamed over the old copy, so a crash leaves the old copy or the new
 * one, never half of one; 0600 like everything in the state directory. */
static void save_last_good_policy(const Config *c) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_close_ int dir_fd = -1;
        FILE *f = NULL;
        int fd, r;

        r = last_good_policy_path(c, &path);
        if (r >= 0 && asprintf(&tmp, "%s.tmp", path) < 0)
                r = -ENOMEM;
        if (r < 0)
                goto fail;

        (void) unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                goto fail;
        }
        r = config_write_policy(c, f);
        if (r >= 0 && (fflush(f) != 0 || fsync(fileno(f)) < 0))
                r = -errno;
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                goto fail;
        dir_fd = open(state_directory(c), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0)
                (void) fsync(dir_fd);
        return;

fail:
        if (tmp)
                (void) unlink(tmp);
        log_warning_errno(r,
                          "Cannot save a copy of the policy in %s: %m. Should the configuration be broken at a "
                          "later start, jitd would make every user but root need approval.",
                          path ?: state_directory(c));
}

/* The configuration did not load at start. jitd runs anyway (exiting
 * would leave no jitd behind the socket, which failmode=safe lets in):
 * with the [jitd] paths that can be read from the broken files, and the
 * policy of the last configuration that loaded, or, without a copy of one,
 * a policy that covers every user but root. Either way every covered user
 * is refused (io.jit.ConfigUnavailable) until the configuration loads. */
static int load_fallback_config(Config *c, const char *config_file, const ConfigError *err,
                                char **ret_problem) {
        _cleanup_free_ char *copy = NULL;
        Config last = {};
        ConfigError copy_err = {};
        int r;

        config_init_defaults(c);
        if (!c->socket_path || !c->state_directory || !c->admin_group || !c->sudo_timestamp_dir ||
            !c->jitctl_path || !c->approval)
                return -ENOMEM;
        r = config_salvage_paths(c, config_file);
        if (r < 0)
                return r;
        r = last_good_policy_path(c, &copy);
        if (r < 0)
                return r;

        if (access(copy, F_OK) < 0)
                snprintf(copy_err.message, sizeof(copy_err.message), "%s: %s", copy, strerror(errno));
        if (!copy_err.message[0] && config_load(&last, copy, true, &copy_err) >= 0) {
                config_adopt_policy(c, &last);
                config_free(&last);
                log_warning("Telling users apart by the last policy that loaded (%s): users it does not cover "
                            "are let through, everyone it covers is refused.",
                            copy);
                r = asprintf(ret_problem, "%s; using the last policy that loaded",
                             err->message[0] ? err->message : config_file);
        } else {
                r = config_set_fail_closed_policy(c);
                if (r < 0)
                        return r;
                log_warning("No usable copy of an earlier policy (%s): every user but root counts as covered "
                            "and is refused.",
                            copy_err.message[0] ? copy_err.message : copy);
                r = asprintf(ret_problem, "%s; no earlier policy known, every user but root refused",
                             err->message[0] ? err->message : config_file);
        }
        if (r < 0) {
                *ret_problem = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received %s, shutting down.", strsignal((int) si->ssi_signo));
        m->reexec = false;
        /* A restart must not refuse the sshd or sudo check in flight:
         * answer what was accepted; the rest waits in the socket. */
        if (m->server)
                return server_drain(m->server, JITD_DRAIN_USEC);
        return sd_event_exit(m->event, 0);
}

/* SIGHUP (systemctl reload jitd): read the configuration again. A broken
 * one changes nothing: the error is logged with its file:line and jitd
 * goes on with the configuration it has. One that loads is applied the
 * way a start applies it, without a gap on the socket: calls in flight
 * are answered (as at SIGTERM), then jitd re-executes itself and the new
 * process takes over the listening socket, while new connections wait in
 * its backlog. Policy is never swapped under live connections. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        Config fresh = {};
        ConfigError err = {};
        int r;

        if (m->reexec)
                return 0;
        r = config_load(&fresh, config_file_path(), arg_config != NULL, &err);
        if (r < 0) {
                log_error("Reload failed, the configuration does not load: %s. jitd keeps the configuration "
                          "it runs with%s.",
                          err.message[0] ? err.message : strerror(-r),
                          m->config_problem ? " (none: it still refuses every user the policy covers)" : "");
                (void) sd_notifyf(false, "READY=1\nSTATUS=Reload failed: %s",
                                  err.message[0] ? err.message : strerror(-r));
                return 0;
        }
        config_free(&fresh);

        log_notice("Reloading: the configuration loads; jitd re-executes itself with it on the same socket.");
        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
        m->reexec = true;
        if (m->server)
                return server_drain(m->server, JITD_DRAIN_USEC);
        return sd_event_exit(m->event, 0);
}

/* --check-config: load, print, exit. `r` is what config_load() said. */
static int run_check_config_only(Config *c, int r, const ConfigError *err) {
        if (r < 0) {
                fprintf(stderr, "%s\n", err->message[0] ? err->message : "Failed to load the configuration.");
                return r;
        }
        r = run_check_config(c);
        config_free(c);
        return r;
}

/* After config_load() (which returned `r`): a broken configuration is
 * replaced by the fallback that refuses everyone the policy covers, and a
 * legal one that gates nobody is pointed out. */
static int setup_config(Manager *m, const char *config_file, int r, const ConfigError *err) {
        if (r < 0) {
                log_error("CONFIGURATION BROKEN: %s. jitd keeps running and refuses every login and sudo that "
                          "needs approval (io.jit.ConfigUnavailable) until the configuration loads "
                          "(systemctl reload jitd, or restart).",
                          err->message[0] ? err->message : strerror(-r));
                r = load_fallback_config(&m->config, config_file, err, &m->config_problem);
                if (r < 0)
                        return log_error_errno(r, "Failed to set up a fallback configuration: %m");
        }

        if (geteuid() != 0)
                log_warning("Not running as root: group lookups and socket setup may fail.");
        /* Legal (a missing default config means built-in defaults), but
         * nothing is gated: say so rather than run as a silent no-op. */
        if (config_gates_nobody(&m->config))
                log_warning("Warning: %s (%s%s).", CONFIG_GATES_NOBODY_WARNING, config_file,
                            access(config_file, F_OK) < 0 ? " is missing" : "");

        if (arg_audit_log) {
                r = audit_open_file(arg_audit_log);
                if (r < 0)
                        return log_error_errno(r, "Failed to open audit log file %s: %m", arg_audit_log);
        }

        raise_fd_limit(m->config.max_connections);
        return 0;
}

/* The event loop, and SIGTERM, SIGINT and SIGHUP through it. */
static int setup_event_loop(Manager *m) {
        sigset_t mask;
        int r;

        /* sd-event takes signals through a signalfd: block them first. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* A private loop, not sd_event_default(): sd-event checks with a
         * gettid() system call on every iteration that the default loop
         * runs in its own thread, one more syscall per Check. Everything
         * that needs the loop is handed m->event explicitly. */
        r = sd_event_new(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up signal handling: %m");
        return 0;
}

/* The store. jitd never runs with an empty store standing in for the real
 * one; nor does it exit over a corrupt or unreadable one: clients would see
 * "unreachable", which failmode=safe lets in. It stays up without a store
 * (m->store NULL, *ret_store_error why) and answers StoreUnavailable, a
 * denial, to everything that needs it. <0 only if there is no path. */
static int setup_store(Manager *m, bool config_loaded, char **ret_db, int *ret_store_error) {
        int r;

        r = database_path(&m->config, ret_db);
        if (r < 0)
                return r;
        if (!m->config.database_path || !*m->config.database_path)
                r = mkdir_parents_and_self(state_directory(&m->config), 0700);
        else
                r = mkdir_parent(*ret_db, 0700);
        if (r < 0)
                log_error_errno(r, "Failed to create the directory of %s: %m", *ret_db);
        else
                r = store_open(*ret_db, &m->store);
        if (config_loaded)
                save_last_good_policy(&m->config);
        if (r < 0) {
                *ret_store_error = r;
                m->store = NULL;
                log_error_errno(r,
                                "DATABASE UNAVAILABLE: cannot use %s: %m. jitd keeps running and refuses every "
                                "login and sudo that needs approval, and every request and decision "
                                "(io.jit.StoreUnavailable), until the database is repaired or moved aside and "
                                "jitd is restarted.",
                                *ret_db);
        }
        return 0;
}

/* The listening socket (systemd's, or our own) and the server on it. */
static int setup_server(Manager *m, bool *own_socket) {
        int listen_fd = -1, r;

        r = activated_socket(&listen_fd, own_socket);
        if (r < 0)
                return r;
        if (r == 0) {
                r = bind_socket(socket_path(&m->config), &listen_fd);
                if (r < 0)
                        return r;
                *own_socket = true;
        }

        m->socket_path = served_socket_path(&m->config, listen_fd, *own_socket);

        r = server_new(m, listen_fd, &m->server);
        if (r < 0) {
                close(listen_fd);
                return log_error_errno(r, "Failed to set up the server: %m");
        }
        return 0;
}

/* Webhooks and the review server; messages left in the outbox by an
 * earlier run go out now. If they cannot be set up (a secret file gone or
 * readable by others, a bad review key), requests could not reach the
 * approvers: jitd runs on without them, as with a broken configuration. */
static int setup_notifications(Manager *m) {
        int r;

        r = outbox_start(m);
        if (r >= 0)
                return 0;
        outbox_stop(m);
        if (!m->config_problem && asprintf(&m->config_problem, "webhooks could not be set up: %s", strerror(-r)) < 0)
                m->config_problem = NULL;
        if (!m->config_problem)
                return log_error_errno(-ENOMEM, "Out of memory.");
        log_error("CONFIGURATION UNUSABLE: %s. jitd keeps running and refuses every login and "
                  "sudo that needs approval (io.jit.ConfigUnavailable) until it is fixed "
                  "(systemctl reload jitd, or restart).",
                  m->config_problem);
        return 0;
}

/* Expiry, timers, webhooks and review pages all work on the store; without
 * one there is nothing for them to do, and this is not called. */
static int setup_store_services(Manager *m) {
        int r;

        /* Before expiry starts: grants that ended while jitd was down have
         * sessions to end and timers to remove. */
        open_system_bus(m);

        /* Grant teardowns an earlier jitd left unfinished (a crash between
         * ending a grant and ending its sessions), then whatever fell due
         * while jitd was down. */
        r = teardown_start(m);
        if (r < 0)
                return r;

        r = expiry_start(m);
        if (r < 0)
                return r;

        r = systemd_timers_start(m);
        if (r < 0)
                return r;

        r = setup_notifications(m);
        if (r < 0)
                return r;

        return retention_start(m);
}

/* "ready" in the log and to systemd, saying what jitd cannot do. */
static void announce_ready(const Manager *m, bool own_socket, const char *db, int store_error) {
        if (own_socket)
                log_info("jitd %s ready on %s.", JITD_VERSION, socket_path(&m->config));
        else
                log_info("jitd %s ready on the socket systemd passed.", JITD_VERSION);
        if (m->config_problem)
                (void) sd_notifyf(false,
                                  "READY=1\nSTATUS=CONFIGURATION BROKEN (%s): refusing every login and sudo that "
                                  "needs approval%s",
                                  m->config_problem, m->store ? "" : "; DATABASE UNAVAILABLE too");
        else if (m->store)
                (void) sd_notifyf(false, "READY=1\nSTATUS=Serving on %s",
                                  own_socket ? socket_path(&m->config) : "the socket systemd passed");
        else
                (void) sd_notifyf(false,
                                  "READY=1\nSTATUS=DATABASE UNAVAILABLE (%s: %s): refusing every login and sudo "
                                  "that needs approval",
                                  db, strerror(-store_error));
}

/* Everything run() set up, in reverse; the socket file only if ours. */
static void teardown_all(Manager *m, bool own_socket) {
        retention_stop(m);
        request_limiter_free(m);
        outbox_stop(m);
        expiry_stop(m);
        teardown_stop(m);
        /* No flush: a reply still owed to us is not worth hanging a
         * shutdown on a stuck bus; transient timers live on in systemd. */
        m->bus = sd_bus_close_unref(m->bus);
        free(m->socket_path);
        free(m->jitctl_path);
        m->server = server_free(m->server);
        if (own_socket)
                (void) unlink(socket_path(&m->config));
        if (m->store)
                store_close(m->store);
        m->event = sd_event_unref(m->event);
        audit_close_file();
        config_free(&m->config);
        free(m->config_problem);
}

static int run(Reexec *ret_reexec) {
        Manager m = {};
        ConfigError err = {};
        _cleanup_free_ char *db = NULL;
        const char *config_file = config_file_path();
        bool own_socket = false, config_loaded;
        int store_error = 0, r;

        /* The database and its journal hold who may get root: 0600. */
        umask(0077);

        /* A file named on the command line must exist; only the default
         * may be missing (then built-in defaults apply). */
        if (arg_config && access(arg_config, F_OK) < 0) {
                r = -errno;
                fprintf(stderr, "%s: cannot open: %s\n", arg_config, strerror(-r));
                return r;
        }

        r = config_load(&m.config, config_file, arg_config != NULL, &err);
        if (arg_check_config)
                return run_check_config_only(&m.config, r, &err);
        config_loaded = r >= 0;

        r = setup_config(&m, config_file, r, &err);
        if (r < 0)
                goto finish;
        r = setup_event_loop(&m);
        if (r < 0)
                goto finish;
        r = setup_store(&m, config_loaded, &db, &store_error);
        if (r < 0)
                goto finish;
        r = setup_server(&m, &own_socket);
        if (r < 0)
                goto finish;
        if (m.store) {
                r = setup_store_services(&m);
                if (r < 0)
                        goto finish;
        }
        announce_ready(&m, own_socket, db, store_error);

        r = sd_event_loop(m.event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");

        if (r >= 0 && m.reexec) {
                /* Kept open across the cleanup below for the next jitd. */
                ret_reexec->listen_fd = server_take_listen_fd(m.server);
                ret_reexec->own_socket = own_socket;
                own_socket = false; /* not removed: the next jitd serves it */
        } else
                (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");

finish:
        teardown_all(&m, own_socket);
        return r;
}

/* Become a fresh jitd with the same command line, handing it the listening
 * socket the way systemd would (sd_listen_fds(): fd 3, LISTEN_PID,
 * LISTEN_FDS), so it never closes. Returns only on failure. */
static int reexecute(char *argv[], const Reexec *x) {
        char pid[32];
        int fd = x->listen_fd;

        if (fd != SD_LISTEN_FDS_START) {
                if (dup2(fd, SD_LISTEN_FDS_START) < 0)
                        return log_error_errno(errno, "Failed to re-execute jitd: %m");
                close(fd);
        } else if (fcntl(fd, F_SETFD, 0) < 0)
                return log_error_errno(errno, "Failed to re-execute jitd: %m");

        snprintf(pid, sizeof(pid), "%i", (int) getpid());
        if (setenv("LISTEN_PID", pid, 1) < 0 || setenv("LISTEN_FDS", "1", 1) < 0 ||
            setenv("LISTEN_FDNAMES", x->own_socket ? OWN_SOCKET_FD_NAME : "jitd", 1) < 0)
                return log_error_errno(errno, "Failed to re-execute jitd: %m");

        execv("/proc/self/exe", argv);
        return log_error_errno(errno, "Failed to re-execute jitd: %m");
}

int main(int argc, char *argv[]) {
        Reexec x = { .listen_fd = -1 };
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = run(&x);
        if (r >= 0 && x.listen_fd >= 0)
                r = reexecute(argv, &x); /* returns only on failure: systemd restarts jitd */
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
