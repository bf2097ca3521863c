/* The HTTP server's connection bounds. A limit alone lets anyone who can
 * connect hold every slot: on a loopback listener every local user shares
 * the reverse proxy's address, and MHD's timeout measures idle time only,
 * so a header line every few seconds keeps a connection forever. So each
 * connection carries one request (http-server.c says "Connection: close")
 * and lives at most request_timeout from accept; a connection whose peer
 * has gone before its request was in full is closed at once (MHD's
 * edge-triggered epoll misses an end of input that arrives with the last
 * bytes, and would hold the slot in CLOSE-WAIT until the idle timeout);
 * and a new connection that finds the limits reached takes the slot of the
 * oldest connection still waiting for its request, so holding slots needs
 * a steady stream of fresh connections, and a real request, which arrives
 * in full in moments, is served in between. Connections from this host
 * are counted per local user (local_peer_uid()), so such a stream from one
 * user only churns that user's own share, never the proxy's. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "http-connection.h"
#include "macros.h"

/* One accepted connection (MHD's socket_context), in accept order. */
struct HttpConnection {
        HttpConnection *prev, *next;
        int fd;
        struct in6_addr peer; /* IPv4 as v4-mapped; zero if unknown */
        uid_t peer_uid;       /* who opened it, if on this host (local_peer_uid()); else -1 */
        uint64_t accepted_usec;
        sd_event_source *hangup_source;
        bool answered; /* its response is queued: nothing left to wait for */
        bool closing;  /* shut down by us; MHD closes it on its next run */
};

void http_address_to_mapped(const struct sockaddr *sa, struct in6_addr *ret, bool *ret_ok) {
        *ret_ok = false;
        if (!sa)
                return;
        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

                memset(ret, 0, sizeof(*ret));
                ret->s6_addr[10] = 0xff;
                ret->s6_addr[11] = 0xff;
                memcpy(ret->s6_addr + 12, &in->sin_addr, 4);
                *ret_ok = true;
        } else if (sa->sa_family == AF_INET6) {
                *ret = ((const struct sockaddr_in6 *) sa)->sin6_addr;
                *ret_ok = true;
        }
}

bool http_mapped_is_loopback(const struct in6_addr *a) {
        if (IN6_IS_ADDR_V4MAPPED(a))
                return a->s6_addr[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(a);
}

void http_mapped_to_string(const struct in6_addr *a, char *buf, size_t size) {
        if (IN6_IS_ADDR_V4MAPPED(a)) {
                if (!inet_ntop(AF_INET, a->s6_addr + 12, buf, (socklen_t) size))
                        snprintf(buf, size, "?");
        } else if (!inet_ntop(AF_INET6, a, buf, (socklen_t) size))
                snprintf(buf, size, "?");
}

int http_parse_numeric_address(const char *s, struct in6_addr *ret) {
        struct in_addr a4;

        if (!s)
                return -EINVAL;
        if (inet_pton(AF_INET, s, &a4) == 1) {
                memset(ret, 0, sizeof(*ret));
                ret->s6_addr[10] = 0xff;
                ret->s6_addr[11] = 0xff;
                memcpy(ret->s6_addr + 12, &a4, 4);
                return AF_INET;
        }
        if (inet_pton(AF_INET6, s, ret) == 1)
                return AF_INET6;
        return -EINVAL;
}

/* Shut the socket down under MHD: its epoll sees the change, its next
 * read finds the end of input, and it closes the connection and frees the
 * slot (on_connection_notify then forgets it). */
static void connection_close_now(HttpConnection *c) {
        if (c->closing)
                return;
        c->closing = true;
        c->hangup_source = sd_event_source_disable_unref(c->hangup_source);
        (void) shutdown(c->fd, SHUT_RDWR);
}

/* The peer closed (or half-closed) its end. Before its request was in
 * full, nothing more can come: free the slot now. After it, the answer
 * may still be on its way: leave that to MHD. Either way one report is
 * enough (the condition stays true). Runs after MHD's own sources (lower
 * priority), so a request that arrived together with the end of input
 * has been answered by then. */
static int on_connection_hangup(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpConnection *c = userdata;

        if (!c->answered)
                connection_close_now(c);
        else
                c->hangup_source = sd_event_source_disable_unref(c->hangup_source);
        return 0;
}

static bool connection_is_waiting(const HttpConnection *c) {
        return !c->closing && !c->answered;
}

/* Who opened the other end of a TCP connection, if it was opened on this
 * host: the kernel's socket table (sock_diag, as ss(8) reads it) knows the
 * owner of the client's socket. On a loopback listener every local user
 * shares the reverse proxy's address; their uids tell them apart. Returns
 * (uid_t) -1 for a peer elsewhere or when the kernel does not say. */
static uid_t local_peer_uid(HttpConnections *cs, int fd) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } local = {}, remote = {};
        socklen_t local_len = sizeof(local), remote_len = sizeof(remote);
        struct {
                struct nlmsghdr header;
                struct inet_diag_req_v2 request;
        } query = {
                .header = { .nlmsg_len = sizeof(query), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST },
                .request = { .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0U,
                             .id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
        };
        union {
                struct nlmsghdr header;
                char buffer[1024];
        } answer;
        const struct inet_diag_msg *msg;
        ssize_t k;

        if (cs->diag_fd < 0 || getsockname(fd, &local.sa, &local_len) < 0 ||
            getpeername(fd, &remote.sa, &remote_len) < 0 || local.sa.sa_family != remote.sa.sa_family)
                return (uid_t) -1;
        /* The socket asked about is the client's: its source is our peer. */
        query.request.sdiag_family = (uint8_t) local.sa.sa_family;
        if (local.sa.sa_family == AF_INET) {
                query.request.id.idiag_sport = remote.in.sin_port;
                query.request.id.idiag_dport = local.in.sin_port;
                memcpy(query.request.id.idiag_src, &remote.in.sin_addr, 4);
                memcpy(query.request.id.idiag_dst, &local.in.sin_addr, 4);
        } else if (local.sa.sa_family == AF_INET6) {
                query.request.id.idiag_sport = remote.in6.sin6_port;
                query.request.id.idiag_dport = local.in6.sin6_port;
                memcpy(query.request.id.idiag_src, &remote.in6.sin6_addr, 16);
                memcpy(query.request.id.idiag_dst, &local.in6.sin6_addr, 16);
        } else
                return (uid_t) -1;

        if (send(cs->diag_fd, &query, sizeof(query), MSG_NOSIGNAL) != (ssize_t) sizeof(query))
                return (uid_t) -1;
        /* The kernel answers a lookup (not a dump) within send(). */
        k = recv(cs->diag_fd, &answer, sizeof(answer), MSG_DONTWAIT);
        if (k < (ssize_t) NLMSG_LENGTH(sizeof(*msg)) || !NLMSG_OK(&answer.header, (size_t) k) ||
            answer.header.nlmsg_type != SOCK_DIAG_BY_FAMILY)
                return (uid_t) -1;
        msg = NLMSG_DATA(&answer.header);
        return (uid_t) msg->idiag_uid;
}

static bool connection_same_source(const HttpConnection *a, const HttpConnection *b) {
        return a->peer_uid == b->peer_uid && memcmp(&a->peer, &b->peer, sizeof(a->peer)) == 0;
}

/* The oldest connection still waiting for its request (from the source of
 * `like`, if given), or NULL. The list is in accept order. */
static HttpConnection *oldest_waiting_connection(HttpConnections *cs, const HttpConnection *like) {
        for (HttpConnection *c = cs->head; c; c = c->next)
                if (connection_is_waiting(c) && (!like || connection_same_source(c, like)))
                        return c;
        return NULL;
}

/* Room for `c`: the oldest connection still waiting for its request (from
 * the source of `like`, if given) is closed; with none, `c` is. Returns
 * whether `c` stays. */
static bool connection_make_room(HttpConnections *cs, HttpConnection *c, const HttpConnection *like) {
        HttpConnection *victim = oldest_waiting_connection(cs, like);

        connection_close_now(victim ?: c);
        return victim != NULL;
}

/* Our limits, with eviction: when `c`, just accepted, finds a limit
 * reached, the slot of the oldest connection that has not sent its request
 * (from its own source, for the per-source limit) goes to it; one that is
 * being answered is never taken. With none to take, `c` is refused. */
static void connection_admit(HttpConnections *cs, HttpConnection *c) {
        unsigned total = 0, from_source = 0;

        for (HttpConnection *o = cs->head; o; o = o->next) {
                if (o->closing)
                        continue;
                total++;
                if (connection_same_source(o, c))
                        from_source++;
        }

        if (from_source >= cs->per_source_limit) {
                if (!connection_make_room(cs, c, c))
                        return;
                total--;
        }
        if (total >= cs->limit)
                (void) connection_make_room(cs, c, NULL);
}

void http_connection_started(HttpConnections *cs, struct MHD_Connection *connection, void **socket_context) {
        const union MHD_ConnectionInfo *fd_info =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr_info =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        bool peer_ok;
        HttpConnection *c;
        int r;

        if (!fd_info)
                return;
        c = calloc(1, sizeof(*c));
        if (!c) {
                /* A connection we cannot bound is not served. */
                (void) shutdown(fd_info->connect_fd, SHUT_RDWR);
                return;
        }
        *c = (HttpConnection) {
                .fd = fd_info->connect_fd,
                .accepted_usec = now_monotonic_usec(),
                .prev = cs->tail,
        };
        http_address_to_mapped(addr_info ? addr_info->client_addr : NULL, &c->peer, &peer_ok);
        c->peer_uid = local_peer_uid(cs, c->fd);

        r = sd_event_add_io(cs->event, &c->hangup_source, c->fd, EPOLLRDHUP, on_connection_hangup, c);
        if (r >= 0)
                r = sd_event_source_set_priority(c->hangup_source, cs->priority + 1);
        if (r < 0)
                /* The deadline still ends it. */
                c->hangup_source = sd_event_source_disable_unref(c->hangup_source);
        else
                (void) sd_event_source_set_description(c->hangup_source, "http-hangup");

        connection_admit(cs, c);
        if (cs->tail)
                cs->tail->next = c;
        else
                cs->head = c;
        cs->tail = c;
        *socket_context = c;
}

void http_connection_closed(HttpConnections *cs, void **socket_context) {
        HttpConnection *c = *socket_context;

        if (!c)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                cs->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                cs->tail = c->prev;
        sd_event_source_disable_unref(c->hangup_source);
        free(c);
        *socket_context = NULL;
}

/* Every connection older than request_timeout is closed, whatever it is
 * doing: a request arrives in moments and its answer is a few KiB, so
 * only a client that drips or stalls is still here. */
static int on_request_deadline(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpConnections *cs = userdata;
        uint64_t now = now_monotonic_usec();

        for (HttpConnection *c = cs->head; c && c->accepted_usec + cs->request_timeout_usec <= now;
             c = c->next)
                connection_close_now(c);
        return 0;
}

int http_connections_arm_deadline(HttpConnections *cs) {
        HttpConnection *c = cs->head;
        int r;

        while (c && c->closing)
                c = c->next;
        if (!c)
                return sd_event_source_set_enabled(cs->deadline_source, SD_EVENT_OFF);
        r = sd_event_source_set_time(cs->deadline_source, c->accepted_usec + cs->request_timeout_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(cs->deadline_source, SD_EVENT_ONESHOT);
}

int http_timer_add(sd_event *event, sd_event_source **ret, sd_event_time_handler_t callback, void *userdata,
                   int64_t priority, const char *description) {
        int r;

        r = sd_event_add_time(event, ret, CLOCK_MONOTONIC, 0, 1, callback, userdata);
        if (r >= 0)
                r = sd_event_source_set_enabled(*ret, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_source_set_priority(*ret, priority);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(*ret, description);
        return 0;
}

void http_connection_mark_answered(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection,
                                                                       MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        HttpConnection *c = info ? info->socket_context : NULL;

        if (c)
                c->answered = true;
}

int http_connections_init(HttpConnections *cs, sd_event *event, int64_t priority, unsigned limit,
                          unsigned per_source_limit, uint64_t request_timeout_usec,
                          void (*log)(void *userdata, const char *message), void *userdata) {
        *cs = (HttpConnections) {
                .event = sd_event_ref(event),
                .priority = priority,
                .limit = limit,
                .per_source_limit = per_source_limit,
                .request_timeout_usec = request_timeout_usec,
        };
        /* Without it (an old kernel, a sandbox without AF_NETLINK), local
         * users share the loopback address's limits, as remote ones do. */
        cs->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (cs->diag_fd < 0 && log)
                log(userdata, "Cannot ask the kernel who opens local connections (sock_diag): local users "
                              "share the connection limits of their address");

        return http_timer_add(event, &cs->deadline_source, on_request_deadline, cs, priority, "http-deadline");
}

void http_connections_done(HttpConnections *cs) {
        cs->deadline_source = sd_event_source_disable_unref(cs->deadline_source);
        if (cs->diag_fd >= 0)
                close(cs->diag_fd);
        cs->diag_fd = -1;
        cs->event = sd_event_unref(cs->event);
}
