/* What follows a commit (jitd/lifecycle.c) in its documented order: the
 * audit entry is written before the request's waiters are answered, each
 * waiter of that request (and only of that request) is answered once, and
 * a removed waiter is not. The audit entry has the fields
 * audit_fields_from_request() fills. Real audit file, no daemon. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "jit-message-ids.h"
#include "lifecycle.h"
#include "test.h"
#include "waiters.h"

static char audit_path[] = "/tmp/test-lifecycle-audit.XXXXXX";

static size_t audit_size(void) {
        FILE *f = fopen(audit_path, "re");
        long n;

        if (!f)
                return 0;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fclose(f);
        return n > 0 ? (size_t) n : 0;
}

typedef struct Seen {
        unsigned calls;
        size_t audit_size_then; /* the audit file when the waiter was answered */
        const GrantRecord *grant;
} Seen;

static void on_released(Manager *m, const RequestRecord *r, const GrantRecord *grant, void *userdata) {
        Seen *s = userdata;

        s->calls++;
        s->audit_size_then = audit_size();
        s->grant = grant;
}

int main(void) {
        Manager m = {};
        RequestRecord req = { .id = "r0123456789abcdef", .user = "alice", .action = JIT_ACTION_SUDO,
                              .service = "sudo", .tty = "pts/1", .reason = "deploy", .state = REQUEST_DENIED };
        GrantRecord g = { .id = "g0123456789abcdef" };
        Waiter w1 = {}, w2 = {}, other = {}, removed = {};
        Seen s1 = {}, s2 = {}, so = {}, sr = {};
        AuditFields f;
        char buf[4096] = "";
        FILE *file;
        int fd;

        fd = mkstemp(audit_path);
        CHECK(fd >= 0);
        close(fd);
        CHECK_INT(audit_open_file(audit_path), 0);

        waiters_add(&m, &w1, req.id, on_released, &s1);
        waiters_add(&m, &w2, req.id, on_released, &s2);
        waiters_add(&m, &other, "r1111111111111111", on_released, &so);
        waiters_add(&m, &removed, req.id, on_released, &sr);
        waiters_remove(&m, &removed);
        waiters_remove(&m, &removed); /* twice: harmless */

        f = audit_fields_from_request(&req);
        f.approver = "bob";
        lifecycle_committed(&m,
                            &(LifecycleChange) {
                                    .event = AUDIT_REQUEST_DENIED,
                                    .audit = &f,
                                    .decided = &req,
                                    .decided_grant = &g,
                            });

        /* 1 before 2: the entry was on file when the waiters were answered. */
        CHECK_INT(s1.calls, 1);
        CHECK_INT(s2.calls, 1);
        CHECK(s1.audit_size_then > 0);
        CHECK_INT(s1.audit_size_then, audit_size());
        CHECK(s1.grant == &g);
        CHECK_INT(so.calls, 0);
        CHECK_INT(sr.calls, 0);
        /* Answered waiters left the registry; the other one is still there. */
        CHECK(m.waiters == &other);
        CHECK(!w1.linked && !w2.linked && other.linked);

        lifecycle_committed(&m, &(LifecycleChange) { .decided = &req });
        CHECK_INT(s1.calls, 1);

        file = fopen(audit_path, "re");
        CHECK(file != NULL);
        if (file) {
                size_t n = fread(buf, 1, sizeof(buf) - 1, file);
                buf[n] = 0;
                fclose(file);
        }
        CHECK(strstr(buf, JIT_MESSAGE_ID_REQUEST_DENIED) != NULL);
        CHECK(strstr(buf, "r0123456789abcdef") != NULL);
        CHECK(strstr(buf, "\"JIT_USER\":\"alice\"") != NULL);
        CHECK(strstr(buf, "\"JIT_ACTION\":\"sudo\"") != NULL);
        CHECK(strstr(buf, "\"JIT_TTY\":\"pts/1\"") != NULL);
        CHECK(strstr(buf, "\"JIT_APPROVER\":\"bob\"") != NULL);

        audit_close_file();
        unlink(audit_path);
        return test_failures ? 1 : 0;
}
