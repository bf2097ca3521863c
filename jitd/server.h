/* The io.jit socket server: accepting connections, peer credentials, the
 * connection limits, NUL-framed input and buffered output. It knows nothing
 * about what a call means; methods.c does. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jit-protocol.h"
#include "jitd.h"
#include "person.h"
#include "varlink.h"
#include "waiters.h"

/* Calls handled per connection per event-loop wakeup, so one busy client
 * cannot keep the loop from everyone else. */
#define JITD_CALLS_PER_WAKEUP 4U
/* Bytes read per connection per wakeup. */
#define JITD_READ_CHUNK (16U * 1024U)
/* Stop reading a connection whose unread replies exceed this... */
#define JITD_OUTPUT_HIGH (256U * 1024U)
/* ...and drop it if they exceed this (a reply can be big, a List). */
#define JITD_OUTPUT_MAX (4U * 1024U * 1024U)
/* Connections beyond this many are kept free for uid 0 (at most). */
#define JITD_ROOT_RESERVE_MAX 32U

typedef struct Connection Connection;

struct Connection {
        Server *server;
        Connection *prev, *next;

        int fd;
        uid_t uid; /* SO_PEERCRED, the only identity we trust */
        gid_t gid;
        pid_t pid; /* never identity alone; see pidfd */
        int pidfd; /* the peer process, pinned at accept (-1: none): for its loginuid (person.h) */
        char *user_name; /* the uid's name, resolved on first use */
        bool user_name_resolved;
        /* Resolved on first use (person.h): the user of the caller's login,
         * and whom the caller counts as. */
        PersonStatus login_status, person_status;
        char *login, *person;
        bool person_resolved;

        VarlinkFrameBuffer in;
        char *out;
        size_t out_size;   /* bytes queued in out[] */
        size_t out_offset; /* of which already written */
        size_t out_allocated;

        sd_event_source *io_source;
        uint64_t active_usec;           /* CLOCK_MONOTONIC of the last call, for the idle sweep */
        sd_event_source *defer_source; /* resumes work left over from an earlier wakeup */

        bool eof;               /* the peer closed its writing side */
        bool close_after_flush; /* no more input; close once the output is out */
        bool dead;              /* freed from the defer source */
        bool streaming;         /* a WaitDecision is pending: later calls wait */
        Waiter waiter;          /* while streaming: registered in waiters.h */
};

struct Server {
        Manager *manager;
        int listen_fd;
        sd_event_source *listen_source;
        sd_event_source *accept_retry_source; /* after EMFILE */
        Connection *connections;
        unsigned n_connections;
        unsigned max_connections;
        unsigned max_connections_per_uid;
        unsigned root_reserve;
        uint64_t idle_timeout_usec;
        bool draining;                /* shutting down: no new connections */
        sd_event_source *drain_source; /* the grace deadline */
        sd_event_source *idle_sweep_source; /* closes idle connections */
};

/* Takes ownership of `listen_fd` (a listening AF_UNIX stream socket) on
 * success. */
int server_new(Manager *m, int listen_fd, Server **ret);
Server *server_free(Server *s);
/* The listening socket, no longer served, for the caller to keep open
 * (a re-execution hands it to the next jitd); -EBADF if there is none. */
int server_take_listen_fd(Server *s);

/* Shut down gracefully (SIGTERM): stop accepting, so new connections wait in
 * the listening socket for the next jitd (socket activation keeps it open);
 * answer the calls already accepted, close each connection once answered,
 * and leave the event loop when none remain or after `grace_usec`. Pending
 * WaitDecision streams end at once: the caller retries against the next
 * jitd. Called again while draining, it leaves the loop at once. */
int server_drain(Server *s, uint64_t grace_usec);

/* Queue a reply; "protocol" is added to `parameters` (taken, may be NULL).
 * A final reply (continues=false) ends a stream. Returns 0 or -errno (the
 * connection is then being dropped; the caller has nothing more to do). */
int connection_reply(Connection *c, struct json_object *parameters, bool continues);
int connection_reply_error(Connection *c, const char *error, struct json_object *parameters);

/* Keep the connection waiting for a decision on `request_id`: later calls on
 * it are held until the final reply, and it is not closed for idleness.
 * `func` answers it (waiters.h; its userdata is the connection) once the
 * request leaves the pending state; the connection's end unregisters it. */
void connection_stream_begin(Connection *c, const char *request_id, WaiterFunc func);

/* The caller's user name from SO_PEERCRED via NSS, NULL if the uid has none. */
const char *connection_user_name(Connection *c);
/* Whom the caller counts as (person.h): root, the user of its login (none
 * outside a login); any other account, itself. The name is set only for
 * PERSON_KNOWN. */
PersonStatus connection_person(Connection *c, const char **ret_name);
/* The user of the login the caller runs in (its audit loginuid). */
PersonStatus connection_login(Connection *c, const char **ret_name);
