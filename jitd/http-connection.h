/* The HTTP server's connection bounds (see http-connection.c): which
 * connections are open, in accept order, and the limits on how many and
 * for how long. Used by http-server.c only; it calls these from MHD's
 * connection notifications and before every poll. Also the address
 * helpers both need (IPv4 is kept as v4-mapped IPv6). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "clock.h"

struct MHD_Connection;
typedef struct HttpConnection HttpConnection;

typedef struct HttpConnections {
        sd_event *event;
        int64_t priority;
        HttpConnection *head, *tail;
        unsigned limit;
        unsigned per_source_limit;
        uint64_t request_timeout_usec;
        int diag_fd; /* NETLINK_SOCK_DIAG, for local_peer_uid(); -1: none */
        sd_event_source *deadline_source;
} HttpConnections;

/* On failure, http_connections_done() releases what was set up. */
int http_connections_init(HttpConnections *cs, sd_event *event, int64_t priority, unsigned limit,
                          unsigned per_source_limit, uint64_t request_timeout_usec,
                          void (*log)(void *userdata, const char *message), void *userdata);
/* After MHD_stop_daemon(), which reports every connection closed. */
void http_connections_done(HttpConnections *cs);

/* MHD_CONNECTION_NOTIFY_STARTED / _CLOSED. */
void http_connection_started(HttpConnections *cs, struct MHD_Connection *connection, void **socket_context);
void http_connection_closed(HttpConnections *cs, void **socket_context);
/* Its request has an answer: nothing left to wait for from the peer. */
void http_connection_mark_answered(struct MHD_Connection *connection);
/* Before every poll: the deadline of the oldest connection. */
int http_connections_arm_deadline(HttpConnections *cs);

/* A CLOCK_MONOTONIC time source, off until armed. */
int http_timer_add(sd_event *event, sd_event_source **ret, sd_event_time_handler_t callback, void *userdata,
                   int64_t priority, const char *description);
void http_address_to_mapped(const struct sockaddr *sa, struct in6_addr *ret, bool *ret_ok);
bool http_mapped_is_loopback(const struct in6_addr *a);
void http_mapped_to_string(const struct in6_addr *a, char *buf, size_t size);
int http_parse_numeric_address(const char *s, struct in6_addr *ret);
