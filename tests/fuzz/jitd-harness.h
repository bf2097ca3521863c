/* A real jitd inside a fuzzer: jitd-core's Manager with its store, socket
 * server, methods, expiry, teardown, webhook outbox and review server, set
 * up as main.c does on a temporary state directory (tmpfs when there is
 * one), but without the system bus (nothing here may reach the host's
 * logind or systemd) and with the audit trail checked instead of sent to
 * the journal. The fuzzer drives the one event loop itself. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "jitd.h"

typedef struct FuzzJitd {
        Manager m;
        char dir[256];
        char socket_path[300];
        char proxy_secret[64];
        unsigned inputs; /* since the store was last created */
} FuzzJitd;

/* The configuration every jitd fuzzer runs with: [login] covers nobody and
 * daemon, [sudo] everyone but root; admin_group daemon; approvers carol,
 * dave and daemon with a quorum of 2 for logins; daemon is break-glass; a
 * webhook (to a closed loopback port) and the review server on 127.0.0.1,
 * behind a trusted identity header. */
FuzzJitd *fuzz_jitd_start(void);
/* A fresh, empty store (and everything that works on it) every `every`
 * calls, so a long run does not slow down or drift: crashes reproduce from
 * one input on an empty store. */
void fuzz_jitd_maybe_reset(FuzzJitd *j, unsigned every);
/* Run every event source that is ready now; true if any was. */
bool fuzz_jitd_step(FuzzJitd *j);
/* Connect to the socket as `uid` and its primary group (the effective ids
 * while connecting, which SO_PEERCRED reports; only when running as root).
 * Non-blocking fd. */
int fuzz_jitd_connect(FuzzJitd *j, uid_t uid);
