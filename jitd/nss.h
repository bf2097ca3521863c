/* Users and groups from NSS, looked up one way everywhere in jitd: a buffer
 * that grows on ERANGE up to a bound, and the "not found" spellings of the
 * various NSS modules (0, ENOENT, ESRCH) all reported as -ENOENT, so NSS
 * trouble (-EIO, -ENOBUFS, ...) is never mistaken for "no such user". */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The facts of a passwd entry jitd uses. `name` is owned. */
typedef struct NssUser {
        char *name;
        uid_t uid;
        gid_t gid;
} NssUser;

void nss_user_done(NssUser *u);

/* 0 and *ret filled; -ENOENT: no such user; other -errno: NSS trouble. */
int nss_user_by_name(const char *name, NssUser *ret);
int nss_user_by_uid(uid_t uid, NssUser *ret);

/* The gid of group `name`. 0 and *ret; -ENOENT: no such group; other -errno. */
int nss_group_by_name(const char *name, gid_t *ret);

/* Every group of user `name` whose primary group is `gid` (getgrouplist).
 * 0 and *ret (a new array, primary group included) with *ret_n entries;
 * -E2BIG past NGROUPS_MAX; other -errno. */
int nss_user_groups(const char *name, gid_t gid, gid_t **ret, size_t *ret_n);
