/* The person behind a connection: the audit loginuid of the peer process,
 * read so that a recycled pid cannot lend a caller someone else's login.
 * The process is pinned with a pidfd when the connection is accepted
 * (SO_PEERPIDFD where the kernel has it); its /proc entry is read later, and
 * the value counts only if the pidfd shows the process still alive after
 * the read: a live process keeps its pid, so what was read was its own.
 * systemd's pidref does the same. A caller that exited before its call was
 * answered has no person jitd can vouch for. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "nss.h"
#include "person.h"
#include "text.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5; the same number on every architecture */
#endif

int person_peer_pidfd(int socket_fd, pid_t pid) {
        int pidfd = -1;
        socklen_t len = sizeof(pidfd);

        if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && len == sizeof(pidfd) &&
            pidfd >= 0)
                return pidfd;
        /* ENOPROTOOPT before 6.5. Anything else (the peer already gone,
         * ESRCH; out of descriptors) would fail below the same way. */
        if (pid <= 0)
                return -ESRCH; /* a peer in a pid namespace we cannot see */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return -errno;
        /* pidfd_open() gives no O_CLOEXEC flag: it is always set. */
        return pidfd;
}

static bool process_has_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        int r;

        do
                r = poll(&p, 1, 0);
        while (r < 0 && errno == EINTR);
        /* A pidfd polls readable once the process has exited; an error
         * reads as gone, which only ever withholds a person. */
        return r != 0;
}

static int parse_loginuid(const char *s, uid_t *ret) {
        unsigned long long v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10U + (unsigned) (*p - '0');
                if (v > 4294967295ULL)
                        return -ERANGE;
        }
        if (*p == '\n')
                p++;
        if (*p != 0)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

int person_read_loginuid(int pidfd, pid_t pid, uid_t *ret) {
        char path[64], buf[16];
        _cleanup_close_ int fd = -1;
        ssize_t n;
        uid_t loginuid = LOGINUID_UNSET;
        int r;

        if (pidfd < 0 || pid <= 0 || !ret)
                return -EINVAL;

        snprintf(path, sizeof(path), "/proc/%ld/loginuid", (long) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
                do
                        n = read(fd, buf, sizeof(buf) - 1);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return -errno;
                buf[n] = 0;
                r = parse_loginuid(buf, &loginuid);
                if (r < 0)
                        return -EIO;
        } else if (errno == ENOENT) {
                struct stat st;

                /* Without the process's directory it is gone, or hidden
                 * from us (hidepid): we cannot tell who it is. With it,
                 * the kernel keeps no loginuid (no audit support): no
                 * login is known, as for a process outside any. */
                snprintf(path, sizeof(path), "/proc/%ld", (long) pid);
                if (stat(path, &st) < 0)
                        return process_has_exited(pidfd) ? -ESRCH : -EACCES;
        } else
                return -errno;

        /* Still alive after the read: the pid was its own throughout. */
        if (process_has_exited(pidfd))
                return -ESRCH;

        *ret = loginuid;
        return 0;
}

int person_lookup_user_name(uid_t uid, char **ret) {
        _cleanup_(nss_user_done) NssUser pw = {};
        int r;

        r = nss_user_by_uid(uid, &pw);
        if (r < 0)
                return r;

        /* Identity from NSS still goes into logs and the store: insist on a
         * sane name, as for names given in calls. */
        if (!jit_user_name_is_valid(pw.name)) {
                log_warning("uid %u has a user name jitd does not accept, treating it as unnamed.", (unsigned) uid);
                return -ENOENT;
        }

        *ret = TAKE_PTR(pw.name);
        return 0;
}

PersonStatus person_login(int pidfd, pid_t pid, char **ret) {
        uid_t loginuid;
        int r;

        if (pidfd < 0)
                return PERSON_UNKNOWN;

        r = person_read_loginuid(pidfd, pid, &loginuid);
        if (r < 0) {
                log_debug_errno(r, "Cannot read the loginuid of pid %ld: %m", (long) pid);
                return PERSON_UNKNOWN;
        }
        if (loginuid == LOGINUID_UNSET)
                return PERSON_NONE;

        r = person_lookup_user_name(loginuid, ret);
        if (r < 0) {
                log_warning_errno(r, "Cannot name loginuid %u of pid %ld: %m", (unsigned) loginuid, (long) pid);
                return PERSON_UNKNOWN;
        }
        return PERSON_KNOWN;
}

PersonStatus person_of_caller(uid_t uid, const char *account, PersonStatus login, const char *login_name,
                              char **ret) {
        const char *who;

        if (uid == 0) {
                if (login != PERSON_KNOWN)
                        return login;
                who = login_name;
        } else
                who = account;
        if (!who)
                return PERSON_UNKNOWN;
        *ret = strdup(who);
        return *ret ? PERSON_KNOWN : PERSON_UNKNOWN;
}

int person_lookup_user_uid(const char *user, uid_t *ret) {
        _cleanup_(nss_user_done) NssUser pw = {};
        int r;

        r = nss_user_by_name(user, &pw);
        if (r < 0)
                return r;
        *ret = pw.uid;
        return 0;
}
