/* See nss.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nss.h"

/* Big groups carry their member list in the buffer; allow for that. */
#define NSS_BUFFER_START 4096U
#define NSS_BUFFER_MAX (4U * 1024U * 1024U)
#define NSS_GROUPS_MAX 65536 /* NGROUPS_MAX on Linux */

/* getpwnam_r(3) and friends: these mean "no such entry" from some modules. */
static int nss_result(int r, const void *result) {
        if (result)
                return 0;
        return r == 0 || r == ENOENT || r == ESRCH ? -ENOENT : -r;
}

/* The buffer for the next try: NSS_BUFFER_START bytes at first, then twice
 * the last (ERANGE), up to NSS_BUFFER_MAX. 0, -ENOMEM or -ENOBUFS. */
static int buffer_next(char **buf, size_t *size) {
        if (!*buf)
                *size = NSS_BUFFER_START;
        else if (*size >= NSS_BUFFER_MAX)
                return -ENOBUFS;
        else
                *size *= 2;
        free(*buf);
        *buf = malloc(*size);
        return *buf ? 0 : -ENOMEM;
}

void nss_user_done(NssUser *u) {
        if (!u)
                return;
        free(u->name);
        u->name = NULL;
}

/* One passwd lookup by name (name != NULL) or by uid, with a growing buffer. */
static int user_lookup(const char *name, uid_t uid, NssUser *ret) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw, *result = NULL;
        size_t size = 0;
        int r;

        do {
                r = buffer_next(&buf, &size);
                if (r < 0)
                        return r;
                r = name ? getpwnam_r(name, &pw, buf, size, &result) : getpwuid_r(uid, &pw, buf, size, &result);
        } while (r == ERANGE);
        r = nss_result(r, result);
        if (r < 0)
                return r;

        char *copy = strdup(pw.pw_name);
        if (!copy)
                return -ENOMEM;
        *ret = (NssUser) { .name = copy, .uid = pw.pw_uid, .gid = pw.pw_gid };
        return 0;
}

int nss_user_by_name(const char *name, NssUser *ret) {
        if (!name || !ret)
                return -EINVAL;
        return user_lookup(name, 0, ret);
}

int nss_user_by_uid(uid_t uid, NssUser *ret) {
        if (!ret)
                return -EINVAL;
        return user_lookup(NULL, uid, ret);
}

int nss_group_by_name(const char *name, gid_t *ret) {
        _cleanup_free_ char *buf = NULL;
        struct group grp, *result = NULL;
        size_t size = 0;
        int r;

        if (!name || !ret)
                return -EINVAL;
        do {
                r = buffer_next(&buf, &size);
                if (r < 0)
                        return r;
                r = getgrnam_r(name, &grp, buf, size, &result);
        } while (r == ERANGE);
        r = nss_result(r, result);
        if (r < 0)
                return r;
        *ret = grp.gr_gid;
        return 0;
}

int nss_user_groups(const char *name, gid_t gid, gid_t **ret, size_t *ret_n) {
        _cleanup_free_ gid_t *gids = NULL;
        int n = 64;

        if (!name || !ret || !ret_n)
                return -EINVAL;
        for (;;) {
                int want = n;

                free(gids);
                gids = calloc((size_t) n, sizeof(gid_t));
                if (!gids)
                        return -ENOMEM;
                if (getgrouplist(name, gid, gids, &n) >= 0)
                        break;
                /* glibc sets n to the number needed; be careful if it did not. */
                if (want >= NSS_GROUPS_MAX)
                        return -E2BIG;
                n = n > want ? n : want * 2;
                if (n > NSS_GROUPS_MAX)
                        n = NSS_GROUPS_MAX;
        }
        *ret = TAKE_PTR(gids);
        *ret_n = (size_t) n;
        return 0;
}
