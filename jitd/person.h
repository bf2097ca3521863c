/* The person behind a connection. SO_PEERCRED names an account, and an
 * account is not always a person: root is whoever ran sudo, and any account
 * can be reached with sudo -u. Like logind and auditd, jitd takes the person
 * to be the user of the caller's login, the process's audit loginuid, which
 * pam_loginuid sets once at login and every process of that login inherits
 * across sudo and su. Approvals are counted, and self-approval refused, by
 * person. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* /proc/PID/loginuid of a process outside any login (system services, their
 * timers, systemd-run). */
#define LOGINUID_UNSET ((uid_t) 4294967295U)

/* A pidfd for the peer of the connected AF_UNIX socket `socket_fd`, whose
 * SO_PEERCRED pid is `pid`: SO_PEERPIDFD where the kernel has it (the very
 * process that connected), else pidfd_open(pid) (Linux before 6.5: the pid
 * could have been reused between connect() and this call, as for logind and
 * dbus on those kernels). A pidfd or -errno. */
int person_peer_pidfd(int socket_fd, pid_t pid);

/* The audit loginuid of process `pid`, read through /proc and checked
 * against `pidfd` afterwards: if the process was still alive after the read,
 * the pid was still its own, so the value is its own. 0 and *ret set
 * (LOGINUID_UNSET when unset, or when the kernel has no audit support);
 * -ESRCH if the process is gone (its pid may be someone else's by now);
 * other -errno. */
int person_read_loginuid(int pidfd, pid_t pid, uid_t *ret);

typedef enum PersonStatus {
        PERSON_KNOWN,   /* a user name */
        PERSON_NONE,    /* uid 0 outside any login: a service, a timer, systemd-run */
        PERSON_UNKNOWN, /* cannot tell (the caller is gone, no name for the loginuid, /proc unreadable) */
} PersonStatus;

/* Who is behind a caller of account uid `uid` named `account` (NULL if it
 * has none): the loginuid's user when the loginuid is set; else, for an
 * account other than root, the account itself (a service account is its own
 * person); else no one. On PERSON_KNOWN *ret is a new string. */
PersonStatus person_resolve(int pidfd, pid_t pid, uid_t uid, const char *account, char **ret);

/* A user name from NSS for `uid`, when it is one jitd accepts in logs and
 * the store. 0 and *ret (a new string); -ENOENT: no (acceptable) name;
 * other -errno: NSS trouble. */
int person_lookup_user_name(uid_t uid, char **ret);
