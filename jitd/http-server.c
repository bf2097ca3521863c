/* The review-link HTTP server. libmicrohttpd runs in external-epoll mode
 * without threads: its epoll fd is one sd-event io source, and before each
 * loop iteration a prepare callback asks MHD_get_timeout() when MHD must
 * run next and arms one time source for that. MHD_run() is called from
 * either and calls our access handler, so handlers run on jitd's loop like
 * everything else and may use the store directly.
 *
 * What a client controls is bounded: connections in total and per
 * source (an address, or the local user behind a connection from this
 * host), the idle time of a connection, the time a request may take to
 * arrive in full, MHD's per-connection memory (request line and headers),
 * and the POST body, which is refused with 413 as soon as it (or its
 * Content-Length) exceeds the cap.
 *
 * The connection limits are ours, not MHD's, because a limit alone lets
 * anyone who can connect hold every slot: on a loopback listener every
 * local user shares the reverse proxy's address, and MHD's timeout
 * measures idle time only, so a header line every few seconds keeps a
 * connection forever. Each connection therefore carries one request
 * (every response says "Connection: close") and lives at most
 * request_timeout from accept; a connection whose peer has gone before
 * its request was in full is closed at once (MHD's edge-triggered epoll
 * misses an end of input that arrives with the last bytes, and would hold
 * the slot in CLOSE-WAIT until the idle timeout); and a new connection
 * that finds the limits reached takes the slot of the oldest connection
 * still waiting for its request, so holding slots needs a steady stream
 * of fresh connections, and a real request, which arrives in full in
 * moments, is served in between. Connections from this host are counted
 * per local user (local_peer_uid()), so such a stream from one user only
 * churns that user's own share, never the proxy's. Only /r/<token>
 * with a well-formed token reaches a handler; GET and HEAD go to the view
 * handler only, so a link fetched by a chat unfurler or a mail scanner can
 * change nothing. A POST the browser marks as cross-site (Sec-Fetch-Site)
 * is refused before the decision handler sees it. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http-server.h"
#include "macros.h"
#include "crypto-util.h"
#include "review-page.h"
#include "review-token.h"
#include "text.h"

#define CONNECTION_MEMORY_LIMIT (32U * 1024U)
#define FORM_VALUE_MAX 4096U
#define TLS_FILE_MAX (64U * 1024U)
#define USER_AGENT_MAX 256U
#define LISTEN_BACKLOG 64
#define LISTEN_FD_MIN 3 /* SD_LISTEN_FDS_START */
#define REVIEW_PATH_PREFIX "/r/"
/* A body that turns out too large is read and dropped up to this much
 * more, so the client can read the 413 (closing a socket with unread input
 * makes the kernel reset the connection, which may destroy the response on
 * its way); beyond it the connection is simply closed. */
#define POST_DISCARD_MAX (64U * 1024U)
#define USEC_PER_SEC 1000000ULL

/* One accepted connection (MHD's socket_context), in accept order on the
 * server's list. */
typedef struct Connection Connection;
struct Connection {
        Connection *prev, *next;
        int fd;
        struct in6_addr peer; /* IPv4 as v4-mapped; zero if unknown */
        uid_t peer_uid;       /* who opened it, if on this host (local_peer_uid()); else -1 */
        uint64_t accepted_usec;
        sd_event_source *hangup_source;
        bool answered; /* its response is queued: nothing left to wait for */
        bool closing;  /* shut down by us; MHD closes it on its next run */
};

typedef struct TrustedAddress {
        struct in6_addr address; /* IPv4 as v4-mapped */
} TrustedAddress;

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io_source;
        sd_event_source *time_source;
        sd_event_source *deadline_source;
        int64_t priority;
        Connection *connections_head, *connections_tail;
        unsigned connection_limit;
        unsigned per_ip_connection_limit;
        uint64_t request_timeout_usec;
        int diag_fd; /* NETLINK_SOCK_DIAG, for local_peer_uid(); -1: none */
        bool tls;
        size_t post_body_max;
        char *identity_header;
        TrustedAddress trusted[HTTP_TRUSTED_PROXIES_MAX];
        size_t n_trusted;
        char *identity_secret_header;
        char *identity_secret;
        size_t identity_secret_size;
        char *cert_pem;
        char *key_pem;
        size_t key_size;
        HttpReviewHandler on_view;
        HttpReviewHandler on_decision;
        void *userdata;
        void (*log)(void *userdata, const char *message);
};

/* Per request (MHD's req_cls). */
typedef struct Request {
        char *body;
        size_t size;
        size_t discarded;
        bool too_large;
        bool responded;
} Request;

bool http_server_tls_supported(void) {
        return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

/* ---- form parsing ---- */

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

int http_form_parse(const char *body, size_t size, HttpForm *ret, char **ret_storage) {
        _cleanup_free_ char *storage = NULL;
        HttpForm form = {};
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
                        if ((size_t) k > FORM_VALUE_MAX)
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

/* ---- responses ---- */

/* Its request has an answer: the connection no longer waits for anything
 * from its peer (connection_admit() never evicts it). */
static void connection_mark_answered(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection,
                                                                       MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        Connection *c = info ? info->socket_context : NULL;

        if (c)
                c->answered = true;
}


static const char *status_title(unsigned status) {
        switch (status) {
        case 400:
                return "Bad request";
        case 404:
                return "Not found";
        case 405:
                return "Method not allowed";
        case 413:
                return "Request too large";
        case 415:
                return "Unsupported form encoding";
        default:
                return "Something went wrong";
        }
}

/* The page for a response no handler rendered. */
static int generic_page(unsigned status, char **ret, size_t *ret_size) {
        ReviewOutcome o = {};
        int n;

        if (status == 404) {
                o.kind = REVIEW_OUTCOME_INVALID_LINK;
                return review_page_render_outcome(&o, ret, ret_size);
        }
        if (status == 403) {
                o.kind = REVIEW_OUTCOME_FORM_INVALID;
                return review_page_render_outcome(&o, ret, ret_size);
        }
        n = asprintf(ret,
                     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>%s</title></head><body><h1>%s</h1></body></html>\n",
                     status_title(status), status_title(status));
        if (n < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        *ret_size = (size_t) n;
        return 0;
}

static enum MHD_Result respond(struct MHD_Connection *connection, Request *req, unsigned status, char *body,
                               size_t size) {
        struct MHD_Response *response;
        enum MHD_Result result;

        if (req)
                req->responded = true;
        connection_mark_answered(connection);

        if (!body && generic_page(status, &body, &size) < 0)
                return MHD_NO; /* out of memory: drop the connection */

        response = MHD_create_response_from_buffer_with_free_callback(size, body, free);
        if (!response) {
                free(body);
                return MHD_NO;
        }

        if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, REVIEW_PAGE_CONTENT_TYPE) != MHD_YES)
                goto fail;
        for (size_t i = 0; i < review_page_n_headers; i++)
                if (MHD_add_response_header(response, review_page_headers[i].name, review_page_headers[i].value) !=
                    MHD_YES)
                        goto fail;
        if (status == 405 && MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST") != MHD_YES)
                goto fail;
        /* One request per connection: the time bound then covers all of
         * a connection's life (see the top of this file). */
        if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
                goto fail;

        result = MHD_queue_response(connection, status, response);
        MHD_destroy_response(response);
        return result;

fail:
        MHD_destroy_response(response);
        return MHD_NO;
}

/* ---- request details ---- */

static void address_to_mapped(const struct sockaddr *sa, struct in6_addr *ret, bool *ret_ok) {
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

static bool mapped_is_loopback(const struct in6_addr *a) {
        if (IN6_IS_ADDR_V4MAPPED(a))
                return a->s6_addr[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(a);
}

static void mapped_to_string(const struct in6_addr *a, char *buf, size_t size) {
        if (IN6_IS_ADDR_V4MAPPED(a)) {
                if (!inet_ntop(AF_INET, a->s6_addr + 12, buf, (socklen_t) size))
                        snprintf(buf, size, "?");
        } else if (!inet_ntop(AF_INET6, a, buf, (socklen_t) size))
                snprintf(buf, size, "?");
}

static int parse_numeric_address(const char *s, struct in6_addr *ret) {
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

typedef struct HeaderCount {
        const char *name;
        const char *value;
        unsigned count;
} HeaderCount;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        HeaderCount *h = cls;

        if (key && strcasecmp(key, h->name) == 0) {
                h->count++;
                h->value = value;
        }
        return MHD_YES;
}

/* identity_header mode: did the proxy send its secret, exactly once? The
 * comparison takes the same time wherever the first difference is; only
 * the length may show, and a wrong length is refused all the same. */
static bool proxy_secret_ok(HttpServer *s, struct MHD_Connection *connection) {
        HeaderCount h = { .name = s->identity_secret_header };

        if (!s->identity_header)
                return true;
        MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &h);
        if (h.count != 1 || !h.value || strlen(h.value) != s->identity_secret_size)
                return false;
        return memeq_consttime(h.value, s->identity_secret, s->identity_secret_size);
}

/* The trusted header's value, or NULL if it must not be believed. */
static const char *trusted_identity(HttpServer *s, struct MHD_Connection *connection, const struct in6_addr *peer,
                                    bool peer_ok) {
        HeaderCount h = { .name = s->identity_header };
        bool trusted = false;

        if (!s->identity_header || !peer_ok)
                return NULL;
        if (s->n_trusted == 0)
                trusted = mapped_is_loopback(peer);
        for (size_t i = 0; i < s->n_trusted && !trusted; i++)
                trusted = memcmp(&s->trusted[i].address, peer, sizeof(*peer)) == 0;
        if (!trusted)
                return NULL;

        MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &h);
        if (h.count != 1 || !h.value || !*h.value || !jit_text_is_clean(h.value, HTTP_IDENTITY_MAX))
                return NULL;
        return h.value;
}

/* ---- connection bounds ---- */

static uint64_t monotonic_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Shut the socket down under MHD: its epoll sees the change, its next
 * read finds the end of input, and it closes the connection and frees the
 * slot (on_connection_notify then forgets it). */
static void connection_close_now(Connection *c) {
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
        Connection *c = userdata;

        if (!c->answered)
                connection_close_now(c);
        else
                c->hangup_source = sd_event_source_disable_unref(c->hangup_source);
        return 0;
}

static bool connection_is_waiting(const Connection *c) {
        return !c->closing && !c->answered;
}

/* Who opened the other end of a TCP connection, if it was opened on this
 * host: the kernel's socket table (sock_diag, as ss(8) reads it) knows the
 * owner of the client's socket. On a loopback listener every local user
 * shares the reverse proxy's address; their uids tell them apart. Returns
 * (uid_t) -1 for a peer elsewhere or when the kernel does not say. */
static uid_t local_peer_uid(HttpServer *s, int fd) {
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

        if (s->diag_fd < 0 || getsockname(fd, &local.sa, &local_len) < 0 ||
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

        if (send(s->diag_fd, &query, sizeof(query), MSG_NOSIGNAL) != (ssize_t) sizeof(query))
                return (uid_t) -1;
        /* The kernel answers a lookup (not a dump) within send(). */
        k = recv(s->diag_fd, &answer, sizeof(answer), MSG_DONTWAIT);
        if (k < (ssize_t) NLMSG_LENGTH(sizeof(*msg)) || !NLMSG_OK(&answer.header, (size_t) k) ||
            answer.header.nlmsg_type != SOCK_DIAG_BY_FAMILY)
                return (uid_t) -1;
        msg = NLMSG_DATA(&answer.header);
        return (uid_t) msg->idiag_uid;
}

static bool connection_same_source(const Connection *a, const Connection *b) {
        return a->peer_uid == b->peer_uid && memcmp(&a->peer, &b->peer, sizeof(a->peer)) == 0;
}

/* The oldest connection still waiting for its request (from the source of
 * `like`, if given), or NULL. The list is in accept order. */
static Connection *oldest_waiting_connection(HttpServer *s, const Connection *like) {
        for (Connection *c = s->connections_head; c; c = c->next)
                if (connection_is_waiting(c) && (!like || connection_same_source(c, like)))
                        return c;
        return NULL;
}

/* Our limits, with eviction: when `c`, just accepted, finds a limit
 * reached, the slot of the oldest connection that has not sent its request
 * (from its own source, for the per-source limit) goes to it; one that is
 * being answered is never taken. With none to take, `c` is refused. */
static void connection_admit(HttpServer *s, Connection *c) {
        unsigned total = 0, from_source = 0;
        Connection *victim;

        for (Connection *o = s->connections_head; o; o = o->next) {
                if (o->closing)
                        continue;
                total++;
                if (connection_same_source(o, c))
                        from_source++;
        }

        if (from_source >= s->per_ip_connection_limit) {
                victim = oldest_waiting_connection(s, c);
                if (!victim) {
                        connection_close_now(c);
                        return;
                }
                connection_close_now(victim);
                total--;
        }
        if (total >= s->connection_limit) {
                victim = oldest_waiting_connection(s, NULL);
                if (!victim) {
                        connection_close_now(c);
                        return;
                }
                connection_close_now(victim);
        }
}

static void on_connection_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                                 enum MHD_ConnectionNotificationCode code) {
        HttpServer *s = cls;
        Connection *c;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *fd_info =
                        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
                const union MHD_ConnectionInfo *addr_info =
                        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
                bool peer_ok;
                int r;

                if (!fd_info)
                        return;
                c = calloc(1, sizeof(*c));
                if (!c) {
                        /* A connection we cannot bound is not served. */
                        (void) shutdown(fd_info->connect_fd, SHUT_RDWR);
                        return;
                }
                *c = (Connection) {
                        .fd = fd_info->connect_fd,
                        .accepted_usec = monotonic_usec(),
                        .prev = s->connections_tail,
                };
                address_to_mapped(addr_info ? addr_info->client_addr : NULL, &c->peer, &peer_ok);
                c->peer_uid = local_peer_uid(s, c->fd);

                r = sd_event_add_io(s->event, &c->hangup_source, c->fd, EPOLLRDHUP, on_connection_hangup, c);
                if (r >= 0)
                        r = sd_event_source_set_priority(c->hangup_source, s->priority + 1);
                if (r < 0)
                        /* The deadline still ends it. */
                        c->hangup_source = sd_event_source_disable_unref(c->hangup_source);
                else
                        (void) sd_event_source_set_description(c->hangup_source, "review-http-hangup");

                connection_admit(s, c);
                if (s->connections_tail)
                        s->connections_tail->next = c;
                else
                        s->connections_head = c;
                s->connections_tail = c;
                *socket_context = c;
                return;
        }

        if (code != MHD_CONNECTION_NOTIFY_CLOSED || !*socket_context)
                return;
        c = *socket_context;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->connections_head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                s->connections_tail = c->prev;
        sd_event_source_disable_unref(c->hangup_source);
        free(c);
        *socket_context = NULL;
}

/* Every connection older than request_timeout is closed, whatever it is
 * doing: a request arrives in moments and its answer is a few KiB, so
 * only a client that drips or stalls is still here. */
static int on_request_deadline(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;
        uint64_t now = monotonic_usec();

        for (Connection *c = s->connections_head; c && c->accepted_usec + s->request_timeout_usec <= now;
             c = c->next)
                connection_close_now(c);
        return 0;
}

static int arm_request_deadline(HttpServer *s) {
        Connection *c = s->connections_head;
        int r;

        while (c && c->closing)
                c = c->next;
        if (!c)
                return sd_event_source_set_enabled(s->deadline_source, SD_EVENT_OFF);
        r = sd_event_source_set_time(s->deadline_source, c->accepted_usec + s->request_timeout_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->deadline_source, SD_EVENT_ONESHOT);
}

/* "/r/<token>" -> token, or NULL. */
static const char *route_token(const char *url) {
        const char *token;

        if (!url || strncmp(url, REVIEW_PATH_PREFIX, strlen(REVIEW_PATH_PREFIX)) != 0)
                return NULL;
        token = url + strlen(REVIEW_PATH_PREFIX);
        return review_token_is_well_formed(token) ? token : NULL;
}

static bool content_type_is_form(const char *ct) {
        static const char form[] = "application/x-www-form-urlencoded";
        size_t n = strlen(form);

        if (!ct || strncasecmp(ct, form, n) != 0)
                return false;
        ct += n;
        while (*ct == ' ' || *ct == '\t')
                ct++;
        return *ct == 0 || *ct == ';';
}

static int call_handler(HttpServer *s, HttpReviewHandler handler, HttpReviewRequest *rq, HttpReply *reply) {
        int r;

        *reply = (HttpReply) {};
        if (!handler)
                return -EOPNOTSUPP;
        r = handler(s, rq, reply, s->userdata);
        if (r < 0) {
                free(reply->body);
                *reply = (HttpReply) { .status = 500 };
        }
        if (reply->status == 0)
                reply->status = 200;
        if (reply->status < 100 || reply->status > 599)
                reply->status = 500;
        return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
        HttpServer *s = cls;
        Request *req = *req_cls;
        HttpReviewRequest rq = {};
        HttpReply reply;
        const union MHD_ConnectionInfo *info;
        struct in6_addr peer = {};
        bool peer_ok = false;
        char peer_text[INET6_ADDRSTRLEN], user_agent[USER_AGENT_MAX + 1];
        const char *token, *ua, *fetch_site;
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

        if (!req) {
                /* First call: the request line and headers are in. */
                req = calloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO;
                *req_cls = req;

                token = route_token(url);
                if (!token)
                        return respond(connection, req, 404, NULL, 0);
                if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                        return respond(connection, req, 405, NULL, 0);
                /* Behind the SSO proxy, only the proxy is served: a local
                 * user connecting to the listener directly could name any
                 * approver in the identity header. */
                if (!proxy_secret_ok(s, connection)) {
                        ReviewOutcome o = { .kind = REVIEW_OUTCOME_PROXY_REQUIRED };
                        char *body = NULL;
                        size_t size = 0;

                        if (review_page_render_outcome(&o, &body, &size) < 0)
                                return MHD_NO;
                        return respond(connection, req, 403, body, size);
                }

                if (post) {
                        const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
                        uint64_t length;

                        if (!content_type_is_form(MHD_lookup_connection_value(
                                    connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
                                return respond(connection, req, 415, NULL, 0);
                        if (cl && (jit_parse_uint64(cl, 0, UINT64_MAX, &length) < 0 || length > s->post_body_max))
                                return respond(connection, req, 413, NULL, 0);
                        /* Wait for the body. */
                        return MHD_YES;
                }
        } else if (req->responded) {
                /* A response is already queued (e.g. 413): discard the rest. */
                *upload_data_size = 0;
                return MHD_YES;
        } else if (*upload_data_size > 0) {
                char *p;

                if (req->too_large || *upload_data_size > s->post_body_max - req->size) {
                        req->too_large = true;
                        req->discarded += *upload_data_size;
                        *upload_data_size = 0;
                        return req->discarded > POST_DISCARD_MAX ? MHD_NO : MHD_YES;
                }
                p = realloc(req->body, req->size + *upload_data_size + 1);
                if (!p)
                        return MHD_NO;
                memcpy(p + req->size, upload_data, *upload_data_size);
                req->body = p;
                req->size += *upload_data_size;
                req->body[req->size] = 0;
                *upload_data_size = 0;
                return MHD_YES;
        } else if (req->too_large)
                return respond(connection, req, 413, NULL, 0);

        /* GET/HEAD on the first call, POST once the body is complete. */
        token = route_token(url);
        if (!token)
                return respond(connection, req, 404, NULL, 0);

        info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info)
                address_to_mapped(info->client_addr, &peer, &peer_ok);
        if (peer_ok)
                mapped_to_string(&peer, peer_text, sizeof(peer_text));
        else
                snprintf(peer_text, sizeof(peer_text), "?");

        ua = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
        fetch_site = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Sec-Fetch-Site");

        rq.method = post ? HTTP_METHOD_POST
                    : strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 ? HTTP_METHOD_HEAD
                                                                : HTTP_METHOD_GET;
        rq.token = token;
        rq.identity = trusted_identity(s, connection, &peer, peer_ok);
        rq.peer = peer_text;
        rq.user_agent = ua ? jit_sanitize(ua, user_agent, sizeof(user_agent)) : NULL;
        rq.origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
        rq.sec_fetch_site = fetch_site;
        rq.tls = s->tls;

        if (!post) {
                (void) call_handler(s, s->on_view, &rq, &reply);
                return respond(connection, req, reply.status, reply.body, reply.size);
        }

        {
                _cleanup_free_ char *storage = NULL;
                HttpForm form;

                /* A browser says when a form was posted from another site;
                 * no legitimate decision comes from one. */
                if (fetch_site && strcasecmp(fetch_site, "cross-site") == 0)
                        return respond(connection, req, 403, NULL, 0);

                if (http_form_parse(req->body, req->size, &form, &storage) < 0)
                        return respond(connection, req, 400, NULL, 0);
                rq.csrf = form.csrf;
                rq.decision = form.decision;
                rq.duration = form.duration;
                rq.reason = form.reason;

                (void) call_handler(s, s->on_decision, &rq, &reply);
                return respond(connection, req, reply.status, reply.body, reply.size);
        }
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
        Request *req = *req_cls;

        if (!req)
                return;
        free(req->body);
        free(req);
        *req_cls = NULL;
}

/* MHD passes its own format and arguments (clang's -Wformat-nonliteral needs to be told). */
static void on_mhd_log(void *cls, const char *format, va_list ap) _printf_(2, 0);
static void on_mhd_log(void *cls, const char *format, va_list ap) {
        HttpServer *s = cls;
        char buf[512], clean[512];
        size_t n;

        if (!s->log)
                return;
        vsnprintf(buf, sizeof(buf), format, ap);
        n = strlen(buf);
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = 0;
        s->log(s->userdata, jit_sanitize(buf, clean, sizeof(clean)));
}

/* ---- event loop ---- */

static int on_mhd_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        HttpServer *s = userdata;

        (void) MHD_run(s->daemon);
        return 0;
}

static int on_mhd_time(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;

        (void) MHD_run(s->daemon);
        return 0;
}

/* Before every poll: MHD says how long it may wait at most (0 if it has
 * buffered work, e.g. data already read from a socket). */
static int on_prepare(sd_event_source *es, void *userdata) {
        HttpServer *s = userdata;
        MHD_UNSIGNED_LONG_LONG timeout_ms;
        uint64_t now;
        int r;

        r = arm_request_deadline(s);
        if (r < 0)
                return r;
        if (MHD_get_timeout(s->daemon, &timeout_ms) != MHD_YES)
                return sd_event_source_set_enabled(s->time_source, SD_EVENT_OFF);

        now = monotonic_usec();
        if (timeout_ms > 24ULL * 3600ULL * 1000ULL)
                timeout_ms = 24ULL * 3600ULL * 1000ULL;
        r = sd_event_source_set_time(s->time_source, now + timeout_ms * 1000ULL);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(s->time_source, SD_EVENT_ONESHOT);
}

static int listen_on(const char *address, uint16_t port) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        _cleanup_close_ int fd = -1;
        int family, one = 1;
        struct in6_addr a6;
        struct in_addr a4;

        if (!address)
                address = "127.0.0.1";
        if (inet_pton(AF_INET, address, &a4) == 1) {
                family = AF_INET;
                sa.in.sin_family = AF_INET;
                sa.in.sin_port = htons(port);
                sa.in.sin_addr = a4;
                len = sizeof(sa.in);
        } else if (inet_pton(AF_INET6, address, &a6) == 1) {
                family = AF_INET6;
                sa.in6.sin6_family = AF_INET6;
                sa.in6.sin6_port = htons(port);
                sa.in6.sin6_addr = a6;
                len = sizeof(sa.in6);
        } else
                return -EINVAL;

        fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return negative_errno();
        if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return negative_errno();
        if (bind(fd, &sa.sa, len) < 0)
                return negative_errno();
        if (listen(fd, LISTEN_BACKLOG) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;

        sd_event_source_disable_unref(s->io_source);
        sd_event_source_disable_unref(s->time_source);
        if (s->daemon)
                MHD_stop_daemon(s->daemon); /* closes the listening socket and every connection */
        sd_event_source_disable_unref(s->deadline_source);
        if (s->diag_fd >= 0)
                close(s->diag_fd);
        sd_event_unref(s->event);
        free(s->identity_header);
        free(s->identity_secret_header);
        erase_and_free(s->identity_secret, s->identity_secret_size);
        free(s->cert_pem);
        erase_and_free(s->key_pem, s->key_size);
        free(s);
        return NULL;
}

static int load_tls(HttpServer *s, const HttpServerSettings *settings) {
        char error[512];
        size_t size = 0;
        int r;

        if (!http_server_tls_supported()) {
                if (s->log)
                        s->log(s->userdata, "libmicrohttpd was built without TLS support");
                return -EOPNOTSUPP;
        }

        /* The certificate is public; only its size is bounded. */
        {
                _cleanup_free_ char *pem = NULL;
                FILE *f = fopen(settings->tls_cert_file, "re");

                if (!f)
                        return negative_errno();
                pem = malloc(TLS_FILE_MAX + 1);
                if (!pem) {
                        fclose(f);
                        return -ENOMEM;
                }
                size = fread(pem, 1, TLS_FILE_MAX + 1, f);
                r = ferror(f) ? -EIO : 0;
                fclose(f);
                if (r < 0)
                        return r;
                if (size > TLS_FILE_MAX || size == 0)
                        return -EFBIG;
                pem[size] = 0;
                s->cert_pem = TAKE_PTR(pem);
        }

        r = read_private_file(settings->tls_key_file, TLS_FILE_MAX, &s->key_pem, &s->key_size, error, sizeof(error));
        if (r < 0 && s->log)
                s->log(s->userdata, error);
        return r;
}

int http_server_new(sd_event *event, const HttpServerSettings *settings, HttpReviewHandler on_view,
                    HttpReviewHandler on_decision, void *userdata, HttpServer **ret) {
        HttpServer *s;
        struct MHD_OptionItem options[16];
        size_t n = 0;
        unsigned flags;
        int fd, epoll_fd, r;
        bool own_fd;
        const union MHD_DaemonInfo *info;

        if (!event || !settings || !ret || !on_view || !on_decision)
                return -EINVAL;
        if (!!settings->tls_cert_file != !!settings->tls_key_file)
                return -EINVAL;
        if (settings->n_trusted_proxies > HTTP_TRUSTED_PROXIES_MAX ||
            (settings->n_trusted_proxies > 0 && !settings->trusted_proxies))
                return -EINVAL;
        if (settings->identity_header && (!*settings->identity_header || strlen(settings->identity_header) > 64))
                return -EINVAL;
        if (settings->identity_header &&
            (!settings->identity_secret || settings->identity_secret_size < HTTP_PROXY_SECRET_MIN ||
             settings->identity_secret_size > HTTP_PROXY_SECRET_MAX ||
             (settings->identity_secret_header &&
              (!*settings->identity_secret_header || strlen(settings->identity_secret_header) > 64))))
                return -EINVAL;
        if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES)
                return -EOPNOTSUPP;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        /* Without it (an old kernel, a sandbox without AF_NETLINK), local
         * users share the loopback address's limits, as remote ones do. */
        s->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (s->diag_fd < 0 && settings->log)
                settings->log(userdata, "Cannot ask the kernel who opens local connections (sock_diag): local users "
                                        "share the connection limits of their address");
        s->on_view = on_view;
        s->on_decision = on_decision;
        s->userdata = userdata;
        s->log = settings->log;
        s->priority = settings->priority;
        s->connection_limit = settings->connection_limit ?: HTTP_CONNECTION_LIMIT_DEFAULT;
        s->per_ip_connection_limit = settings->per_ip_connection_limit ?: HTTP_PER_IP_CONNECTION_LIMIT_DEFAULT;
        s->request_timeout_usec = (uint64_t) (settings->request_timeout_sec ?: HTTP_REQUEST_TIMEOUT_DEFAULT_SEC) *
                                  USEC_PER_SEC;
        s->post_body_max = settings->post_body_max == 0            ? HTTP_POST_BODY_MAX_DEFAULT
                           : settings->post_body_max > HTTP_POST_BODY_MAX ? HTTP_POST_BODY_MAX
                                                                          : settings->post_body_max;

        if (settings->identity_header) {
                s->identity_header = strdup(settings->identity_header);
                s->identity_secret_header = strdup(settings->identity_secret_header ?: HTTP_PROXY_SECRET_HEADER_DEFAULT);
                s->identity_secret = malloc(settings->identity_secret_size + 1);
                if (!s->identity_header || !s->identity_secret_header || !s->identity_secret) {
                        http_server_free(s);
                        return -ENOMEM;
                }
                memcpy(s->identity_secret, settings->identity_secret, settings->identity_secret_size);
                s->identity_secret[settings->identity_secret_size] = 0;
                s->identity_secret_size = settings->identity_secret_size;
        }
        for (size_t i = 0; i < settings->n_trusted_proxies; i++)
                if (parse_numeric_address(settings->trusted_proxies[i], &s->trusted[s->n_trusted++].address) < 0) {
                        http_server_free(s);
                        return -EINVAL;
                }

        if (settings->tls_cert_file) {
                r = load_tls(s, settings);
                if (r < 0) {
                        http_server_free(s);
                        return r;
                }
                s->tls = true;
        }

        own_fd = settings->listen_fd < LISTEN_FD_MIN;
        if (!own_fd)
                fd = settings->listen_fd;
        else {
                fd = listen_on(settings->address, settings->port);
                if (fd < 0) {
                        http_server_free(s);
                        return fd;
                }
        }

        /* The logger first, so start-up messages go through it too. */
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t) on_mhd_log, s };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_LISTEN_SOCKET, fd, NULL };
        /* Our limits are enforced in connection_admit(); MHD's is room for
         * them plus the connections refused or evicted but not yet closed
         * (no per-address limit of its own: it counts the proxy and every
         * local user as one, and refuses before we could evict). */
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT, 2 * (intptr_t) s->connection_limit,
                                                 NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) on_connection_notify, s };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT,
                                                 settings->connection_timeout_sec
                                                         ? settings->connection_timeout_sec
                                                         : HTTP_CONNECTION_TIMEOUT_DEFAULT_SEC,
                                                 NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY_LIMIT, NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) on_completed, NULL };
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL };
        if (s->tls) {
                options[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem };
                options[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem };
        }
        options[n++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };

        flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (s->tls ? MHD_USE_TLS : 0);
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
        if (!s->daemon) {
                if (own_fd)
                        close(fd);
                http_server_free(s);
                return -EIO;
        }

        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info) {
                http_server_free(s);
                return -EIO;
        }
        epoll_fd = info->epoll_fd;

        r = sd_event_add_io(event, &s->io_source, epoll_fd, EPOLLIN, on_mhd_io, s);
        if (r >= 0)
                r = sd_event_source_set_prepare(s->io_source, on_prepare);
        if (r >= 0)
                r = sd_event_add_time(event, &s->time_source, CLOCK_MONOTONIC, 0, 1, on_mhd_time, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->time_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_source_set_priority(s->io_source, settings->priority);
        if (r >= 0)
                r = sd_event_source_set_priority(s->time_source, settings->priority);
        if (r >= 0)
                r = sd_event_add_time(event, &s->deadline_source, CLOCK_MONOTONIC, 0, 1, on_request_deadline, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->deadline_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_source_set_priority(s->deadline_source, settings->priority);
        if (r < 0) {
                http_server_free(s);
                return r;
        }
        (void) sd_event_source_set_description(s->io_source, "review-http");
        (void) sd_event_source_set_description(s->time_source, "review-http-timer");
        (void) sd_event_source_set_description(s->deadline_source, "review-http-deadline");

        *ret = s;
        return 0;
}

int http_server_local_port(HttpServer *s, uint16_t *ret) {
        const union MHD_DaemonInfo *info;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa;
        socklen_t len = sizeof(sa);

        if (!s || !ret)
                return -EINVAL;
        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_LISTEN_FD);
        if (!info)
                return -EIO;
        if (getsockname(info->listen_fd, &sa.sa, &len) < 0)
                return negative_errno();
        if (sa.sa.sa_family == AF_INET)
                *ret = ntohs(sa.in.sin_port);
        else if (sa.sa.sa_family == AF_INET6)
                *ret = ntohs(sa.in6.sin6_port);
        else
                return -EAFNOSUPPORT;
        return 0;
}

int http_proxy_secret_load(const char *path, char **ret, size_t *ret_size, char *error, size_t error_size) {
        char *text = NULL, *copy;
        const char *p;
        size_t size = 0, n;
        int r;

        if (!path || !ret || !ret_size)
                return -EINVAL;
        if (error && error_size > 0)
                error[0] = 0;
        r = read_private_file(path, HTTP_PROXY_SECRET_FILE_MAX, &text, &size, error, error_size);
        if (r < 0)
                return r;

        p = text;
        n = size;
        strip_ascii_whitespace(&p, &n);
        r = 0;
        if (n < HTTP_PROXY_SECRET_MIN || n > HTTP_PROXY_SECRET_MAX)
                r = -EINVAL;
        for (size_t i = 0; r == 0 && i < n; i++)
                if (p[i] < 0x21 || p[i] > 0x7e)
                        r = -EINVAL;
        if (r < 0) {
                if (error && error_size > 0)
                        snprintf(error, error_size,
                                 "%s: the proxy secret must be %u to %u printable ASCII characters without blanks",
                                 path, HTTP_PROXY_SECRET_MIN, HTTP_PROXY_SECRET_MAX);
                erase_and_free(text, size);
                return r;
        }

        copy = malloc(n + 1);
        if (!copy) {
                erase_and_free(text, size);
                return -ENOMEM;
        }
        memcpy(copy, p, n);
        copy[n] = 0;
        erase_and_free(text, size);
        *ret = copy;
        *ret_size = n;
        return 0;
}
