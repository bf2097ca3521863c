/* The io.jit socket server. It owns the listening socket and every client
 * connection: peer credentials (SO_PEERCRED, the only identity jitd trusts),
 * the connection limits (total, per uid, a reserve kept for uid 0), the idle
 * timeout, NUL-framed input with a size cap, and buffered non-blocking
 * output. It does not interpret calls beyond the varlink framing; methods.c
 * does. Every byte read here comes from a possibly hostile local user.
 *
 * Fairness: root's connections run at a higher sd-event priority than
 * everyone else's, and each connection handles at most a few calls per
 * wakeup and reads at most one chunk, so one user's flood cannot starve the
 * Check calls sshd and sudo make as root. New connections are accepted at
 * root's priority, so root's busy connections cannot starve them either.
 * A connection is never freed in the middle of someone else's handler:
 * connection_kill() only marks it, and its own defer source frees it on the
 * next loop iteration. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "list.h"
#include "log.h"
#include "methods.h"
#include "server.h"
#include "text.h"
#include "waiters.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* Accepts per wakeup of the listening socket. */
#define ACCEPTS_PER_WAKEUP 16U
/* Out of descriptors: stop accepting for this long. */
#define ACCEPT_RETRY_USEC (100ULL * USEC_PER_MSEC)
/* How often idle connections are looked for (at most; less with a shorter
 * idle timeout). */
#define IDLE_SWEEP_USEC (1ULL * USEC_PER_SEC)
/* Log refused connections at most this often. */
#define REFUSED_LOG_INTERVAL_USEC (10ULL * USEC_PER_SEC)

/* Sent, best effort, to a connection refused for a limit. */
static const char limit_exceeded_message[] =
        "{\"error\":\"" JIT_ERROR_LIMIT "\",\"parameters\":{\"protocol\":1,\"reason\":\"too-many-connections\"}}";

static void connection_process(Connection *c);

/* accept(2): these concern only the one connection being accepted. */
static bool accept_error_is_transient(int e) {
        return e == EINTR || e == ECONNABORTED || e == EPROTO || e == ENETDOWN || e == ENOPROTOOPT ||
                e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH || e == EOPNOTSUPP || e == ENETUNREACH ||
                e == EPERM;
}

static size_t connection_output_pending(const Connection *c) {
        return c->out_size - c->out_offset;
}

static bool connection_has_complete_message(const Connection *c) {
        return c->in.size > 0 && memchr(c->in.data, 0, c->in.size);
}

static void connection_free(Connection *c) {
        Server *s;

        if (!c)
                return;

        s = c->server;
        waiters_remove(s->manager, &c->waiter);
        LIST_REMOVE(s->connections, c);
        s->n_connections--;

        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->defer_source);
        if (c->fd >= 0)
                close(c->fd);
        if (c->pidfd >= 0)
                close(c->pidfd);
        varlink_frame_buffer_done(&c->in);
        free(c->out);
        free(c->user_name);
        free(c->login);
        free(c->person);
        free(c);
}

static void connection_kill(Connection *c) {
        if (c->dead)
                return;

        c->dead = true;
        c->streaming = false;
        waiters_remove(c->server->manager, &c->waiter);
        (void) sd_event_source_set_enabled(c->io_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
}

static void connection_schedule(Connection *c) {
        (void) sd_event_source_set_enabled(c->defer_source, SD_EVENT_ONESHOT);
}

static uint64_t server_now(Server *s) {
        uint64_t now;

        if (sd_event_now(s->manager->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_monotonic_usec();
        return now;
}

/* Called for every call: it only notes the time, which the idle sweep
 * (on_idle_sweep()) compares. A timer per connection, moved on every call,
 * would cost timerfd re-arms on most Checks and on every new connection. */
static void connection_reset_idle(Connection *c) {
        if (c->dead)
                return;
        c->active_usec = server_now(c->server);
}

static void connection_update_events(Connection *c) {
        uint32_t events = 0;

        if (c->dead)
                return;

        if (connection_output_pending(c) > 0)
                events |= EPOLLOUT;

        /* Read only when the calls already buffered are done, so pipelined
         * calls stay in the kernel's socket buffer rather than in ours. While
         * a WaitDecision is pending nothing is read; the peer going away
         * still shows up as EPOLLHUP, which epoll always reports. */
        if (!c->eof && !c->close_after_flush && !c->streaming &&
            connection_output_pending(c) < JITD_OUTPUT_HIGH && !connection_has_complete_message(c))
                events |= EPOLLIN;

        (void) sd_event_source_set_io_events(c->io_source, events);
}

static int connection_flush(Connection *c) {
        while (connection_output_pending(c) > 0) {
                ssize_t n;

                n = send(c->fd, c->out + c->out_offset, connection_output_pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                c->out_offset += (size_t) n;
        }

        if (connection_output_pending(c) == 0) {
                c->out_offset = c->out_size = 0;
                /* Don't keep a big List reply's buffer around. */
                if (c->out_allocated > 64U * 1024U) {
                        free(c->out);
                        c->out = NULL;
                        c->out_allocated = 0;
                }
        }
        return 0;
}

static int connection_queue(Connection *c, const char *data, size_t size) {
        size_t pending;
        int r;

        if (c->dead)
                return -ECONNRESET;

        pending = connection_output_pending(c);
        if (size > JITD_OUTPUT_MAX - pending) {
                log_debug("Connection of uid %u does not read its replies, dropping it.", (unsigned) c->uid);
                connection_kill(c);
                return -ENOBUFS;
        }

        if (c->out_offset > 0) {
                memmove(c->out, c->out + c->out_offset, pending);
                c->out_offset = 0;
                c->out_size = pending;
        }

        if (c->out_size + size > c->out_allocated) {
                size_t n = c->out_allocated * 2;
                char *p;

                if (n < c->out_size + size)
                        n = c->out_size + size;
                p = realloc(c->out, n);
                if (!p) {
                        connection_kill(c);
                        return -ENOMEM;
                }
                c->out = p;
                c->out_allocated = n;
        }

        memcpy(c->out + c->out_size, data, size);
        c->out_size += size;

        r = connection_flush(c);
        if (r < 0) {
                log_debug_errno(r, "Failed to write to connection of uid %u, dropping it: %m", (unsigned) c->uid);
                connection_kill(c);
                return r;
        }

        connection_update_events(c);
        return 0;
}

static int connection_send(Connection *c, struct json_object *message) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        if (!message) {
                connection_kill(c);
                return -ENOMEM;
        }

        r = varlink_message_format(message, &data, &size);
        if (r < 0) {
                log_error_errno(r, "Failed to format a reply: %m");
                connection_kill(c);
                return r;
        }

        return connection_queue(c, data, size);
}

static void connection_end_stream(Connection *c) {
        if (!c->streaming)
                return;

        c->streaming = false;
        waiters_remove(c->server->manager, &c->waiter);
        connection_reset_idle(c);
        /* Calls that arrived meanwhile are waiting in the buffer. */
        connection_schedule(c);
}

static struct json_object *parameters_with_protocol(struct json_object *parameters) {
        if (!parameters)
                parameters = json_object_new_object();
        if (!parameters)
                return NULL;
        json_object_object_add(parameters, "protocol", json_object_new_int(JIT_PROTOCOL_VERSION));
        return parameters;
}

/* A reply, or with `error` an error (which always ends a stream). */
static int connection_answer(Connection *c, const char *error, struct json_object *parameters, bool continues) {
        _cleanup_json_ struct json_object *message = NULL;

        parameters = parameters_with_protocol(parameters);
        if (!parameters) {
                connection_kill(c);
                return -ENOMEM;
        }

        message = error ? varlink_error_new(error, parameters) : varlink_reply_new(parameters, continues);
        if (!continues)
                connection_end_stream(c);
        return connection_send(c, message);
}

int connection_reply(Connection *c, struct json_object *parameters, bool continues) {
        return connection_answer(c, NULL, parameters, continues);
}

int connection_reply_error(Connection *c, const char *error, struct json_object *parameters) {
        return connection_answer(c, error, parameters, false);
}

void connection_stream_begin(Connection *c, const char *request_id, WaiterFunc func) {
        if (c->dead)
                return;

        c->streaming = true;
        waiters_add(c->server->manager, &c->waiter, request_id, func, c);
        connection_update_events(c);
}

const char *connection_user_name(Connection *c) {
        int r;

        if (c->user_name_resolved)
                return c->user_name;

        r = person_lookup_user_name(c->uid, &c->user_name);
        if (r == -ENOENT) {
                log_debug("uid %u has no user name.", (unsigned) c->uid);
                c->user_name_resolved = true;
                return NULL;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot resolve uid %u: %m", (unsigned) c->uid);
                return NULL; /* NSS trouble: not cached, try again next call */
        }
        c->user_name_resolved = true;
        return c->user_name;
}

static void connection_resolve_person(Connection *c) {
        if (c->person_resolved)
                return;
        /* Once per connection: a jitctl call is one connection. */
        c->login_status = person_login(c->pidfd, c->pid, &c->login);
        c->person_status = person_of_caller(c->uid, connection_user_name(c), c->login_status, c->login, &c->person);
        c->person_resolved = true;
}

PersonStatus connection_person(Connection *c, const char **ret_name) {
        connection_resolve_person(c);
        *ret_name = c->person_status == PERSON_KNOWN ? c->person : NULL;
        return c->person_status;
}

PersonStatus connection_login(Connection *c, const char **ret_name) {
        connection_resolve_person(c);
        *ret_name = c->login_status == PERSON_KNOWN ? c->login : NULL;
        return c->login_status;
}

/* A message that is not a well-formed call: say so and hang up. */
static void connection_fail_invalid(Connection *c, const char *reason) {
        struct json_object *p;

        log_debug("Invalid message from uid %u (%s), closing the connection.", (unsigned) c->uid, reason);

        p = json_object_new_object();
        if (p)
                json_object_object_add(p, "reason", json_object_new_string(reason));
        (void) connection_reply_error(c, JIT_ERROR_INVALID_MESSAGE, p);
        c->close_after_flush = true;
}

static void connection_process(Connection *c) {
        unsigned budget = JITD_CALLS_PER_WAKEUP;

        while (!c->dead && !c->streaming && !c->close_after_flush &&
               connection_output_pending(c) < JITD_OUTPUT_HIGH) {
                _cleanup_json_ struct json_object *message = NULL;
                struct json_object *parameters = NULL;
                const char *method = NULL;
                bool more = false;
                int r;

                if (budget == 0) {
                        /* Come back on the next iteration, after the others had a turn. */
                        if (connection_has_complete_message(c))
                                connection_schedule(c);
                        break;
                }

                r = varlink_frame_buffer_pop(&c->in, &message);
                if (r < 0) {
                        connection_fail_invalid(c, r == -EMSGSIZE ? "too-large" : "malformed");
                        break;
                }
                if (r == 0)
                        break;
                budget--;

                r = varlink_call_parse(message, &method, &parameters, &more);
                if (r == -EOPNOTSUPP) {
                        /* "oneway" or "upgrade": well-formed, but jitd answers
                         * every call in io.jit and nothing else. */
                        struct json_object *p = json_object_new_object();

                        if (p)
                                json_object_object_add(p, "reason", json_object_new_string("unsupported"));
                        (void) connection_reply_error(c, JIT_ERROR_INVALID_MESSAGE, p);
                        continue;
                }
                if (r < 0 || !method) {
                        connection_fail_invalid(c, "not-a-call");
                        break;
                }

                connection_reset_idle(c);
                methods_dispatch(c->server->manager, c, method, parameters, more);
        }

        if (c->dead)
                return;

        /* Shutting down: a connection whose calls are answered is done. */
        if (c->server->draining && budget < JITD_CALLS_PER_WAKEUP && !c->streaming &&
            !connection_has_complete_message(c))
                c->close_after_flush = true;

        /* The peer has stopped sending: answer what it sent, then close. */
        if (c->eof && !c->streaming && !connection_has_complete_message(c))
                c->close_after_flush = true;

        if (c->close_after_flush && connection_output_pending(c) == 0) {
                connection_kill(c);
                return;
        }

        connection_update_events(c);
}

static int connection_read(Connection *c) {
        char buf[JITD_READ_CHUNK];
        ssize_t n;
        int r;

        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                return -errno;
        }
        if (n == 0) {
                c->eof = true;
                return 0;
        }

        r = varlink_frame_buffer_append(&c->in, buf, (size_t) n);
        if (r == -EMSGSIZE) {
                connection_fail_invalid(c, "too-large");
                return 0;
        }
        return r < 0 ? r : 0;
}

/* r from reading or writing: on failure the connection goes. */
static bool connection_io_failed(Connection *c, int r, const char *what) {
        if (r >= 0)
                return false;
        log_debug_errno(r, "Failed to %s connection of uid %u: %m", what, (unsigned) c->uid);
        connection_kill(c);
        return true;
}

static int on_connection_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Connection *c = userdata;

        if (c->dead)
                return 0;

        /* Fully closed by the peer (or broken): nobody will read a reply. A
         * half close (shutdown(SHUT_WR)) is EOF on read instead. */
        if (revents & (EPOLLHUP | EPOLLERR)) {
                connection_kill(c);
                return 0;
        }

        if ((revents & EPOLLOUT) && connection_io_failed(c, connection_flush(c), "write to"))
                return 0;
        if ((revents & EPOLLIN) && connection_io_failed(c, connection_read(c), "read from"))
                return 0;

        connection_process(c);
        return 0;
}

static int on_connection_defer(sd_event_source *source, void *userdata) {
        Connection *c = userdata;

        if (c->dead) {
                Server *s = c->server;

                connection_free(c);
                if (s->draining && s->n_connections == 0)
                        return sd_event_exit(s->manager->event, 0);
                return 0;
        }

        connection_process(c);
        return 0;
}

/* Idle connections are closed by one sweep over all of them, at most once
 * per IDLE_SWEEP_USEC while any connection is open: a connection goes
 * between idle_timeout and idle_timeout + IDLE_SWEEP_USEC after its last
 * call. */
static void server_arm_idle_sweep(Server *s) {
        int enabled = SD_EVENT_OFF;
        uint64_t interval = s->idle_timeout_usec < IDLE_SWEEP_USEC ? s->idle_timeout_usec : IDLE_SWEEP_USEC;

        (void) sd_event_source_get_enabled(s->idle_sweep_source, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        (void) sd_event_source_set_time(s->idle_sweep_source, server_now(s) + interval);
        (void) sd_event_source_set_enabled(s->idle_sweep_source, SD_EVENT_ONESHOT);
}

static int on_idle_sweep(sd_event_source *source, uint64_t usec, void *userdata) {
        Server *s = userdata;

        for (Connection *c = s->connections; c; c = c->next) {
                /* A waiter is bounded by its request's own expiry, not by
                 * idleness; its clock starts again when the stream ends. */
                if (c->dead || c->streaming || usec < c->active_usec + s->idle_timeout_usec)
                        continue;
                log_debug("Closing idle connection of uid %u.", (unsigned) c->uid);
                connection_kill(c); /* freed by its defer source, not here */
        }

        /* Nothing open: no wakeups until the next connection. */
        if (s->n_connections > 0)
                server_arm_idle_sweep(s);
        return 0;
}

static int connection_new(Server *s, int fd, const struct ucred *cred, Connection **ret) {
        Connection *c;
        int64_t priority = cred->uid == 0 ? JITD_PRIORITY_ROOT : JITD_PRIORITY_USER;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;

        c->server = s;
        c->fd = fd;
        c->uid = cred->uid;
        c->gid = cred->gid;
        c->pid = cred->pid;
        c->pidfd = -1;
        varlink_frame_buffer_init(&c->in);
        c->in.max = JIT_MESSAGE_SIZE_MAX;

        /* Linked first, so connection_free() can undo everything below. */
        LIST_PREPEND(s->connections, c);
        s->n_connections++;

        r = sd_event_add_io(s->manager->event, &c->io_source, fd, EPOLLIN, on_connection_io, c);
        if (r < 0)
                goto fail;
        c->active_usec = server_now(s);
        r = sd_event_add_defer(s->manager->event, &c->defer_source, on_connection_defer, c);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(c->defer_source, SD_EVENT_OFF);
        if (r < 0)
                goto fail;

        (void) sd_event_source_set_priority(c->io_source, priority);
        (void) sd_event_source_set_priority(c->defer_source, priority);
        (void) sd_event_source_set_description(c->io_source, "connection");

        server_arm_idle_sweep(s);

        log_debug("New connection from uid %u pid %u (%u open).", (unsigned) c->uid, (unsigned) c->pid,
                  s->n_connections);
        *ret = c;
        return 0;

fail:
        c->fd = -1; /* the caller still owns it */
        connection_free(c);
        return r;
}

static unsigned server_count_uid(const Server *s, uid_t uid) {
        unsigned n = 0;

        for (const Connection *c = s->connections; c; c = c->next)
                if (c->uid == uid)
                        n++;
        return n;
}

/* NULL if the connection may stay, else why not. */
static const char *server_check_limits(const Server *s, uid_t uid) {
        if (s->n_connections >= s->max_connections)
                return "connection limit reached";
        if (uid == 0)
                return NULL;
        if (s->n_connections >= s->max_connections - s->root_reserve)
                return "connection limit for unprivileged users reached";
        if (server_count_uid(s, uid) >= s->max_connections_per_uid)
                return "per-user connection limit reached";
        return NULL;
}

static void server_refuse(Server *s, int fd, uid_t uid, const char *why) {
        static uint64_t last_logged;
        static unsigned suppressed;
        uint64_t now;

        /* One datagram-sized write into a fresh socket: it fits, or we don't care. */
        (void) send(fd, limit_exceeded_message, sizeof(limit_exceeded_message), MSG_DONTWAIT | MSG_NOSIGNAL);

        /* A flood must not flood the log too. */
        now = now_monotonic_usec();
        if (last_logged == 0 || now - last_logged >= REFUSED_LOG_INTERVAL_USEC) {
                log_warning("Refused connection from uid %u: %s (%u open; %u more refused since last report).",
                            (unsigned) uid, why, s->n_connections, suppressed);
                last_logged = now;
                suppressed = 0;
        } else
                suppressed++;
}

static int on_accept_retry(sd_event_source *source, uint64_t usec, void *userdata) {
        Server *s = userdata;

        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_ON);
        return 0;
}

static void server_pause_accepting(Server *s) {
        int r;

        /* Level-triggered: without a pause, EMFILE would spin the loop. */
        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_OFF);

        if (!s->accept_retry_source) {
                r = sd_event_add_time_relative(s->manager->event, &s->accept_retry_source, CLOCK_MONOTONIC,
                                               ACCEPT_RETRY_USEC, 10 * USEC_PER_MSEC, on_accept_retry, s);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up accept retry timer: %m");
                        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_ON);
                        return;
                }
                (void) sd_event_source_set_priority(s->accept_retry_source, JITD_PRIORITY_ACCEPT);
        } else {
                (void) sd_event_source_set_time_relative(s->accept_retry_source, ACCEPT_RETRY_USEC);
                (void) sd_event_source_set_enabled(s->accept_retry_source, SD_EVENT_ONESHOT);
        }
}

static int on_listen_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        Server *s = userdata;

        for (unsigned i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
                _cleanup_close_ int cfd = -1;
                struct ucred cred = {};
                socklen_t len = sizeof(cred);
                Connection *c = NULL;
                const char *why;
                int r;

                cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EAGAIN)
                                return 0;
                        if (accept_error_is_transient(errno))
                                continue;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                log_warning_errno(errno, "Cannot accept connections for now: %m");
                                server_pause_accepting(s);
                                return 0;
                        }
                        log_error_errno(errno, "accept() failed: %m");
                        return 0; /* never return <0: sd-event would disable the listener */
                }

                if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred) ||
                    cred.uid == (uid_t) -1 || cred.gid == (gid_t) -1) {
                        log_warning("Refused a connection whose peer credentials are unavailable.");
                        continue;
                }

                why = server_check_limits(s, cred.uid);
                if (why) {
                        server_refuse(s, cfd, cred.uid, why);
                        continue;
                }

                r = connection_new(s, cfd, &cred, &c);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up connection: %m");
                        continue;
                }
                TAKE_FD(cfd);

                /* Pinned now, while the peer is most likely still the
                 * process that connected; without it the connection has no
                 * person jitd can vouch for (person.h), and works otherwise. */
                c->pidfd = person_peer_pidfd(c->fd, c->pid);
                if (c->pidfd < 0)
                        log_debug_errno(c->pidfd, "No pidfd for pid %u of uid %u: %m", (unsigned) c->pid,
                                        (unsigned) c->uid);

                /* A client sends its call right after connect(), so it is
                 * usually here already: answer it now rather than after
                 * another trip through epoll. Only root's (sshd's and
                 * sudo's decisions): this runs at accept's priority, and
                 * everyone else's calls wait for theirs. */
                if (c->uid != 0)
                        continue;
                r = connection_read(c);
                if (r < 0) {
                        log_debug_errno(r, "Failed to read from connection of uid %u: %m", (unsigned) c->uid);
                        connection_kill(c);
                        continue;
                }
                connection_process(c);
        }

        return 0;
}

int server_new(Manager *m, int listen_fd, Server **ret) {
        Server *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        s->manager = m;
        s->listen_fd = -1;
        /* config.c bounds these; a zero must still not mean "unlimited". */
        s->max_connections = MAX(m->config.max_connections, 1U);
        s->max_connections_per_uid = MAX(m->config.max_connections_per_uid, 1U);
        s->idle_timeout_usec = (m->config.idle_timeout_sec > 0 ? m->config.idle_timeout_sec : 30) * USEC_PER_SEC;

        /* Keep an eighth of the connections (at least one, at most
         * JITD_ROOT_RESERVE_MAX) for root: sshd and sudo must always get in. */
        if (s->max_connections > 1) {
                s->root_reserve = s->max_connections / 8;
                if (s->root_reserve < 1)
                        s->root_reserve = 1;
                if (s->root_reserve > JITD_ROOT_RESERVE_MAX)
                        s->root_reserve = JITD_ROOT_RESERVE_MAX;
        }

        r = sd_event_add_time(m->event, &s->idle_sweep_source, CLOCK_MONOTONIC, 0, 100 * USEC_PER_MSEC,
                              on_idle_sweep, s);
        if (r < 0) {
                free(s);
                return r;
        }
        (void) sd_event_source_set_enabled(s->idle_sweep_source, SD_EVENT_OFF);
        /* Also under a flood, so at root's priority. */
        (void) sd_event_source_set_priority(s->idle_sweep_source, JITD_PRIORITY_ACCEPT);
        (void) sd_event_source_set_description(s->idle_sweep_source, "idle-sweep");

        r = sd_event_add_io(m->event, &s->listen_source, listen_fd, EPOLLIN, on_listen_io, s);
        if (r < 0) {
                sd_event_source_disable_unref(s->idle_sweep_source);
                free(s);
                return r;
        }
        (void) sd_event_source_set_priority(s->listen_source, JITD_PRIORITY_ACCEPT);
        (void) sd_event_source_set_description(s->listen_source, "listen");

        s->listen_fd = listen_fd;
        *ret = s;
        return 0;
}

static int on_drain_timeout(sd_event_source *source, uint64_t usec, void *userdata) {
        Server *s = userdata;

        log_info("Shutting down with %u connection(s) still open.", s->n_connections);
        return sd_event_exit(s->manager->event, 0);
}

int server_drain(Server *s, uint64_t grace_usec) {
        int r;

        if (s->draining || s->n_connections == 0)
                return sd_event_exit(s->manager->event, 0);

        s->draining = true;
        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->accept_retry_source, SD_EVENT_OFF);

        r = sd_event_add_time_relative(s->manager->event, &s->drain_source, CLOCK_MONOTONIC, grace_usec, 0,
                                       on_drain_timeout, s);
        if (r < 0)
                return sd_event_exit(s->manager->event, 0);

        for (Connection *c = s->connections; c; c = c->next)
                if (c->streaming)
                        connection_kill(c);
                else
                        connection_schedule(c);
        return 0;
}

int server_take_listen_fd(Server *s) {
        int fd;

        if (!s || s->listen_fd < 0)
                return -EBADF;
        s->listen_source = sd_event_source_disable_unref(s->listen_source);
        fd = s->listen_fd;
        s->listen_fd = -1;
        return fd;
}

Server *server_free(Server *s) {
        if (!s)
                return NULL;

        while (s->connections)
                connection_free(s->connections);

        sd_event_source_disable_unref(s->listen_source);
        sd_event_source_disable_unref(s->idle_sweep_source);
        sd_event_source_disable_unref(s->accept_retry_source);
        sd_event_source_disable_unref(s->drain_source);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        free(s);
        return NULL;
}
