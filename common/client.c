/* The client end of the jitd socket, used by pam_jit.so inside sshd and
 * sudo, and by jitctl. It decides whether the daemon can be trusted (a
 * root-owned socket file, a root peer) and bounds every step by one
 * CLOCK_MONOTONIC deadline with poll(), so a stuck or hostile daemon can
 * delay a login by at most the configured timeout. It holds no global state,
 * installs no signal handlers and never blocks without a timeout: the host
 * process owns all of that. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "jit-protocol.h"
#include "macros.h"

/* While the listen backlog is full, a non-blocking AF_UNIX connect() fails
 * with EAGAIN and has to be retried; this is how long we wait in between. */
#define CONNECT_RETRY_MSEC 10

/* Milliseconds left until the deadline, rounded up so we never wake just
 * before it and spin; -ETIMEDOUT once it has passed. */
static int remaining_msec(uint64_t deadline_usec) {
        uint64_t now = now_monotonic_usec(), ms;

        if (now >= deadline_usec)
                return -ETIMEDOUT;
        ms = (deadline_usec - now + 999U) / 1000U;
        return ms > INT_MAX ? INT_MAX : (int) ms;
}

/* Wait for `events` on fd until the deadline. 0 when ready, -ETIMEDOUT, or
 * -ECONNRESET if the peer hung up without the event we wanted. */
static int wait_fd(int fd, short events, uint64_t deadline_usec) {
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int ms, r;

                ms = remaining_msec(deadline_usec);
                if (ms < 0)
                        return ms;

                r = poll(&p, 1, ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (r == 0)
                        continue; /* re-check the clock: poll may return early */
                if (p.revents & events)
                        return 0;
                /* POLLIN is set with POLLHUP when data is still queued, so
                 * this is a hang-up with nothing left to read. */
                if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
                        return p.revents & POLLNVAL ? -EBADF : -ECONNRESET;
        }
}

static int socket_file_check(const char *path) {
        struct stat st;

        /* lstat: a symlink planted in place of the socket is refused too. */
        if (lstat(path, &st) < 0)
                return negative_errno();
        if (!S_ISSOCK(st.st_mode) || st.st_uid != 0)
                return -EPERM;
        return 0;
}

static int peer_check(int fd) {
        struct ucred cred = {};
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        if (len != sizeof(cred) || cred.uid != 0)
                return -EPERM;
        return 0;
}

int jit_client_connect(JitClient *c, const char *path, bool require_root, uint64_t deadline_usec) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        size_t len;
        int r;

        if (!c || !path)
                return -EINVAL;

        /* Leave the client closable whatever happens below. */
        c->fd = -1;
        varlink_frame_buffer_init(&c->in);

        len = strlen(path);
        if (len == 0 || len >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, len + 1);

        if (require_root) {
                r = socket_file_check(path);
                if (r < 0)
                        return r;
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();

        for (;;) {
                if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) >= 0)
                        break;

                if (errno == EAGAIN) {
                        /* Backlog full: nothing to poll on, retry shortly. */
                        int ms = remaining_msec(deadline_usec);

                        if (ms < 0)
                                return ms;
                        if (ms > CONNECT_RETRY_MSEC)
                                ms = CONNECT_RETRY_MSEC;
                        (void) poll(NULL, 0, ms);
                        continue;
                }
                if (errno == EINPROGRESS || errno == EINTR) {
                        /* The connection completes in the background;
                         * SO_ERROR tells how it went. */
                        int error = 0;
                        socklen_t elen = sizeof(error);

                        r = wait_fd(fd, POLLOUT, deadline_usec);
                        if (r < 0)
                                return r;
                        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &elen) < 0)
                                return negative_errno();
                        if (error != 0)
                                return -error;
                        break;
                }
                return negative_errno();
        }

        /* The file check above can race with a rename; the peer's kernel
         * credentials cannot. */
        if (require_root) {
                r = peer_check(fd);
                if (r < 0)
                        return r;
        }

        c->fd = TAKE_FD(fd);
        return 0;
}

void jit_client_close(JitClient *c) {
        if (!c)
                return;
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        varlink_frame_buffer_done(&c->in);
}

int jit_client_send(JitClient *c, const char *method, struct json_object *parameters, bool more,
                    uint64_t deadline_usec) {
        _cleanup_json_ struct json_object *m = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size, done = 0;
        int r;

        if (!c || c->fd < 0 || !method) {
                if (parameters)
                        json_object_put(parameters);
                return -EINVAL;
        }

        /* varlink_call_new() adds "protocol" unless already present, and
         * consumes `parameters` even when it fails. */
        m = varlink_call_new(method, parameters, more);
        if (!m)
                return -ENOMEM;

        r = varlink_message_format(m, &buf, &size);
        if (r < 0)
                return r;

        while (done < size) {
                ssize_t k;

                /* MSG_NOSIGNAL: a daemon that went away must not SIGPIPE
                 * sshd or sudo. */
                k = send(c->fd, buf + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return negative_errno();
                        r = wait_fd(c->fd, POLLOUT, deadline_usec);
                        if (r < 0)
                                return r;
                        continue;
                }
                done += (size_t) k;
        }
        return 0;
}

/* A reply is trusted only if it speaks our protocol version. A generic
 * org.varlink.* error comes from the varlink layer and need not carry one;
 * an explicit ProtocolMismatch means the daemon speaks another version. */
static int reply_check(struct json_object *reply) {
        struct json_object *params = NULL;
        const char *error = NULL;
        int r;

        r = varlink_reply_parse(reply, &error, &params, NULL);
        if (r < 0)
                return -EBADMSG;

        if (error && strcmp(error, JIT_ERROR_PROTOCOL_MISMATCH) == 0)
                return -EPROTO;
        if (error && strncmp(error, "org.varlink.", strlen("org.varlink.")) == 0) {
                struct json_object *v = NULL;

                if (!params || !json_object_object_get_ex(params, "protocol", &v))
                        return 0;
        }
        return varlink_check_protocol(params);
}

int jit_client_receive(JitClient *c, uint64_t deadline_usec, struct json_object **ret_reply) {
        int r;

        if (!c || c->fd < 0 || !ret_reply)
                return -EINVAL;

        for (;;) {
                struct json_object *reply = NULL;

                r = varlink_frame_buffer_pop(&c->in, &reply);
                if (r < 0)
                        return -EBADMSG;
                if (r > 0) {
                        r = reply_check(reply);
                        if (r < 0) {
                                json_object_put(reply);
                                return r;
                        }
                        *ret_reply = reply;
                        return 0;
                }

                /* Wait first: a reply is rarely there the moment the call
                 * has gone out, and a read() that finds nothing is one more
                 * system call on every decision. */
                r = wait_fd(c->fd, POLLIN, deadline_usec);
                if (r < 0)
                        return r;

                r = varlink_frame_buffer_read(&c->in, c->fd);
                if (r == 0)
                        return -ECONNRESET;
                if (r == -EMSGSIZE || r == -ENOBUFS)
                        return -EBADMSG; /* an oversized reply is garbage */
                if (r < 0 && r != -EAGAIN)
                        return r;
        }
}

int jit_client_call(JitClient *c, const char *method, struct json_object *parameters, uint64_t deadline_usec,
                    struct json_object **ret_reply) {
        int r;

        r = jit_client_send(c, method, parameters, false, deadline_usec);
        if (r < 0)
                return r;
        return jit_client_receive(c, deadline_usec, ret_reply);
}
