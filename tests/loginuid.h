/* The audit loginuid of the test itself, for tests that talk to jitd as root.
 * jitd takes root outside any login (loginuid unset) for no person, and
 * refuses it an approval or a break-glass grant (jitd/person.h). A test that
 * approves as root therefore acts as an admin logged in as root would, with
 * loginuid 0; one that plays someone else forks a child and sets the child's.
 * A process may set its own loginuid once while it is unset, and change it
 * with CAP_AUDIT_CONTROL (root has it) unless the audit rules made loginuids
 * immutable. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define TEST_LOGINUID_UNSET ((uid_t) 4294967295U)

static inline int test_get_loginuid(uid_t *ret) {
        char buf[16] = {};
        ssize_t n;
        int fd;

        fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        *ret = (uid_t) strtoul(buf, NULL, 10); /* the kernel's own text */
        return 0;
}

/* 0, or -errno (why the kernel said no). Already `uid`: nothing to do. */
static inline int test_set_loginuid(uid_t uid) {
        char buf[16];
        uid_t now = TEST_LOGINUID_UNSET;
        ssize_t n;
        int fd, k;

        if (test_get_loginuid(&now) == 0 && now == uid)
                return 0;
        fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        k = snprintf(buf, sizeof(buf), "%u", (unsigned) uid);
        n = write(fd, buf, (size_t) k);
        k = n == k ? 0 : n < 0 ? -errno : -EIO;
        close(fd);
        return k;
}

/* For a test's start: become root logged in (loginuid 0), or skip. */
static inline void test_become_root_login(const char *test_name) {
        int r = test_set_loginuid(0);

        if (r < 0) {
                fprintf(stderr,
                        "%s: skipped: cannot set this test's audit loginuid to 0 (%s); it approves as root, "
                        "which jitd allows only to a person.\n",
                        test_name, strerror(-r));
                exit(77);
        }
}
