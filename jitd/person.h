/* The person behind a connection. SO_PEERCRED names an account, and an
 * account is not always a person: root is whoever ran sudo, and any account
 * can be reached with sudo -u. Like logind and auditd, jitd knows the user
 * of the caller's login by the process's audit loginuid, which pam_loginuid
 * sets once at login and every process of that login inherits across sudo
 * and su.
 *
 * Root counts as the user of its login; any other account as itself. The
 * login alone is no proof for an account that is not root: a process that
 * starts outside any login (a service running as the account, a program
 * a daemon starts for it without PAM)
 * may set its own loginuid once, to anything, without privilege, and one
 * admin must not vote as two that way. The login still refuses: nobody
 * approves their own request from their own login, under whatever account
 * (sudo -u). */
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
        PERSON_NONE,    /* outside any login (a service, a timer, systemd-run); as a person: root there */
        PERSON_UNKNOWN, /* cannot tell (the caller is gone, no name for the loginuid, /proc unreadable) */
} PersonStatus;

/* The user of the login process `pid` belongs to (its loginuid). On
 * PERSON_KNOWN *ret is a new string. */
PersonStatus person_login(int pidfd, pid_t pid, char **ret);

/* Whom a caller of account uid `uid` named `account` (NULL if it has none),
 * in the login `login` found by person_login(), counts as: root, the user
 * of its login (none outside a login); another account, itself. On
 * PERSON_KNOWN *ret is a new string. */
PersonStatus person_of_caller(uid_t uid, const char *account, PersonStatus login, const char *login_name,
                              char **ret);

/* A user name from NSS for `uid`, when it is one jitd accepts in logs and
 * the store. 0 and *ret (a new string); -ENOENT: no (acceptable) name;
 * other -errno: NSS trouble. */
int person_lookup_user_name(uid_t uid, char **ret);

/* The uid NSS has for user `user`. 0 and *ret; -ENOENT: no such user;
 * other -errno: NSS trouble. */
int person_lookup_user_uid(const char *user, uid_t *ret);
