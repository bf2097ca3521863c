/* The client side of the jitd socket, shared by pam_jit.so and jitctl.
 * Every operation is bounded by one absolute CLOCK_MONOTONIC deadline (usec)
 * and uses poll(), never a blocking call without timeout. No signals, no
 * threads, no global state: it runs inside sshd and sudo. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "varlink.h"

typedef struct JitClient {
        int fd;
        VarlinkFrameBuffer in;
} JitClient;

/* Connect to the jitd socket at `path`. With `require_root` the socket file
 * must be a socket owned by uid 0 (checked with lstat, no symlinks) and the
 * peer's SO_PEERCRED uid must be 0; otherwise -EPERM. -ETIMEDOUT when the
 * deadline passes, -ENOENT/-ECONNREFUSED when nobody listens. */
int jit_client_connect(JitClient *c, const char *path, bool require_root, uint64_t deadline_usec);
void jit_client_close(JitClient *c);

/* Send a call (takes ownership of `parameters`; "protocol" is added). */
int jit_client_send(JitClient *c, const char *method, struct json_object *parameters, bool more,
                    uint64_t deadline_usec);
/* Receive the next reply. On success returns 0 and *ret_reply is the whole
 * message; use varlink_reply_parse() on it. -ETIMEDOUT, -ECONNRESET (EOF),
 * -EBADMSG (garbage), -EPROTO (protocol version mismatch in the reply). */
int jit_client_receive(JitClient *c, uint64_t deadline_usec, struct json_object **ret_reply);

/* send + receive one reply. */
int jit_client_call(JitClient *c, const char *method, struct json_object *parameters,
                    uint64_t deadline_usec, struct json_object **ret_reply);
