/* Policy decisions on the Check hot path: who needs approval for an action,
 * who may bypass it (break-glass), who administers jitd, how long a grant
 * may last. Group membership comes from NSS (jitd/nss.h).
 *
 * NSS is slow compared with the rest of a Check: tens of microseconds for a
 * hit in /etc/group through nss-systemd, hundreds for a miss. So this file
 * keeps a small cache of user -> groups and group name -> gid, in memory,
 * bounded (direct-mapped slots), with a short lifetime, and flushed within
 * a second when /etc/passwd or /etc/group change, so an admin's edit
 * applies (almost) at once. Remote NSS sources (sssd, LDAP) cache for far longer than
 * we do. NSS errors are never cached: they make the caller deny.
 *
 * jitd runs one event loop; none of this is thread-safe. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "macros.h"
#include "nss.h"
#include "policy.h"
#include "text.h"

#define POLICY_USER_SLOTS 4096U
#define POLICY_GROUP_SLOTS 256U
#define POLICY_CACHE_TTL_USEC (10ULL * USEC_PER_SEC)
#define POLICY_FILES_CHECK_USEC USEC_PER_SEC

typedef struct UserEntry {
        char name[JIT_USER_MAX + 1]; /* "" = free slot */
        bool exists;
        gid_t *gids;
        size_t n_gids;
        uint64_t expires_usec;
} UserEntry;

typedef struct GroupEntry {
        char name[JIT_USER_MAX + 1];
        bool exists;
        gid_t gid;
        uint64_t expires_usec;
} GroupEntry;

typedef struct FileStamp {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime, ctime;
} FileStamp;

static struct {
        UserEntry users[POLICY_USER_SLOTS];
        GroupEntry groups[POLICY_GROUP_SLOTS];
        FileStamp passwd, group;
        uint64_t files_checked_usec;
} cache;

static uint32_t name_hash(const char *s) {
        uint32_t h = 2166136261U; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 16777619U;
        return h;
}

static void cache_flush(void) {
        for (size_t i = 0; i < POLICY_USER_SLOTS; i++) {
                free(cache.users[i].gids);
                cache.users[i] = (UserEntry){};
        }
        for (size_t i = 0; i < POLICY_GROUP_SLOTS; i++)
                cache.groups[i] = (GroupEntry){};
}

static bool file_stamp_update(FileStamp *stamp, const char *path) {
        struct stat st;
        FileStamp now = {};

        if (stat(path, &st) >= 0)
                now = (FileStamp){
                        .dev = st.st_dev,
                        .ino = st.st_ino,
                        .size = st.st_size,
                        .mtime = st.st_mtim,
                        .ctime = st.st_ctim,
                };
        if (memcmp(stamp, &now, sizeof now) == 0)
                return false;
        *stamp = now;
        return true;
}

/* Drop everything when the local account files change (useradd, gpasswd,
 * an editor). Looking costs two stat() calls, more than a cache hit itself,
 * so we look at most every POLICY_FILES_CHECK_USEC: an edit applies within
 * a second. */
static void cache_check_files(uint64_t now) {
        if (cache.files_checked_usec != 0 && now < cache.files_checked_usec + POLICY_FILES_CHECK_USEC)
                return;
        cache.files_checked_usec = now;

        bool changed = file_stamp_update(&cache.passwd, "/etc/passwd");

        changed = file_stamp_update(&cache.group, "/etc/group") || changed;
        if (changed)
                cache_flush();
}

/* The groups of `user`: *ret_exists false (and no groups) if NSS has no such
 * user, which the cache keeps like any answer; <0 only for NSS trouble. */
static int user_groups(const char *user, bool *ret_exists, gid_t **ret_gids, size_t *ret_n) {
        _cleanup_(nss_user_done) NssUser pw = {};
        int r;

        r = nss_user_by_name(user, &pw);
        if (r == -ENOENT) {
                *ret_exists = false;
                *ret_gids = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r < 0)
                return r;
        r = nss_user_groups(user, pw.gid, ret_gids, ret_n);
        if (r < 0)
                return r;
        *ret_exists = true;
        return 0;
}

/* The gid of `group`: *ret_exists false if NSS has no such group. */
static int group_gid(const char *group, bool *ret_exists, gid_t *ret_gid) {
        int r;

        r = nss_group_by_name(group, ret_gid);
        if (r == -ENOENT) {
                *ret_exists = false;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_exists = true;
        return 0;
}

/* The cached entry for `user`, looked up if missing or stale. The pointer
 * is valid until the next call into this file. */
static int user_lookup(const char *user, uint64_t now, const UserEntry **ret) {
        UserEntry *e;
        gid_t *gids = NULL;
        size_t n = 0;
        bool exists = false;
        int r;

        if (strlen(user) > JIT_USER_MAX)
                return -EINVAL;

        e = &cache.users[name_hash(user) % POLICY_USER_SLOTS];
        if (e->name[0] && strcmp(e->name, user) == 0 && now < e->expires_usec) {
                *ret = e;
                return 0;
        }

        r = user_groups(user, &exists, &gids, &n);
        if (r < 0)
                return r;

        free(e->gids);
        *e = (UserEntry){
                .exists = exists,
                .gids = gids,
                .n_gids = n,
                .expires_usec = now + POLICY_CACHE_TTL_USEC,
        };
        strcpy(e->name, user); /* length checked above */
        *ret = e;
        return 0;
}

/* 1 and *ret_gid if the group exists, 0 if not, <0 on NSS errors. */
static int group_lookup(const char *group, uint64_t now, gid_t *ret_gid) {
        GroupEntry *e;
        bool exists = false;
        gid_t gid = 0;
        int r;

        if (strlen(group) > JIT_USER_MAX)
                return -EINVAL;

        e = &cache.groups[name_hash(group) % POLICY_GROUP_SLOTS];
        if (!(e->name[0] && strcmp(e->name, group) == 0 && now < e->expires_usec)) {
                r = group_gid(group, &exists, &gid);
                if (r < 0)
                        return r;
                *e = (GroupEntry){
                        .exists = exists,
                        .gid = gid,
                        .expires_usec = now + POLICY_CACHE_TTL_USEC,
                };
                strcpy(e->name, group);
        }
        if (!e->exists)
                return 0;
        *ret_gid = e->gid;
        return 1;
}

static bool gids_contain(const gid_t *gids, size_t n, gid_t gid) {
        for (size_t i = 0; i < n; i++)
                if (gids[i] == gid)
                        return true;
        return false;
}

/* One evaluation's view of NSS: the user's groups are fetched at most once,
 * and only if some rule needs them. */
typedef struct Membership {
        const char *user;
        uint64_t now;
        bool loaded;
        bool exists;
        const gid_t *gids; /* points into the cache */
        size_t n_gids;
} Membership;

static int membership_load(Membership *m) {
        const UserEntry *e;
        int r;

        if (m->loaded)
                return 0;
        cache_check_files(m->now);
        r = user_lookup(m->user, m->now, &e);
        if (r < 0)
                return r;
        m->exists = e->exists;
        m->gids = e->gids;
        m->n_gids = e->n_gids;
        m->loaded = true;
        return 0;
}

/* 1 if the user is in one of `groups` (primary or supplementary). */
static int membership_any(Membership *m, const StringList *groups) {
        int r;

        if (groups->n == 0)
                return 0;
        r = membership_load(m);
        if (r < 0)
                return r;
        if (!m->exists)
                return 0;

        for (size_t i = 0; i < groups->n; i++) {
                gid_t gid;

                r = group_lookup(groups->items[i], m->now, &gid);
                if (r < 0)
                        return r;
                /* Group lookups may have refreshed other slots, never the
                 * user's, so m->gids is still valid. */
                if (r > 0 && gids_contain(m->gids, m->n_gids, gid))
                        return 1;
        }
        return 0;
}

static bool list_contains(const StringList *l, const char *s) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], s) == 0)
                        return true;
        return false;
}

PolicyVerdict policy_evaluate(const Config *c, const char *user, JitAction action) {
        const ActionPolicy *ap;
        Membership m;
        int r;

        if (!c || !user || action < 0 || action >= _JIT_ACTION_MAX || !jit_user_name_is_valid(user))
                return (PolicyVerdict) -EINVAL;

        ap = &c->policy[action];
        m = (Membership){ .user = user, .now = now_monotonic_usec() };

        /* Cheapest first: names before group membership. */
        if (list_contains(&ap->exempt_users, user))
                return POLICY_NOT_COVERED;
        if (list_contains(&c->breakglass_users, user))
                return POLICY_BREAKGLASS;
        r = membership_any(&m, &c->breakglass_groups);
        if (r < 0)
                return (PolicyVerdict) r;
        if (r > 0)
                return POLICY_BREAKGLASS;

        /* Named users and "*" need approval even without a passwd entry: a
         * user that NSS cannot see right now is not thereby exempt. */
        if (list_contains(&ap->users, user) || list_contains(&ap->users, "*"))
                return POLICY_NEEDS_APPROVAL;
        r = membership_any(&m, &ap->groups);
        if (r < 0)
                return (PolicyVerdict) r;
        if (r > 0)
                return POLICY_NEEDS_APPROVAL;

        return POLICY_NOT_COVERED;
}

bool policy_peer_is_admin(const Config *c, uid_t uid, gid_t gid) {
        _cleanup_(nss_user_done) NssUser pw = {};
        const UserEntry *e;
        uint64_t now = now_monotonic_usec();
        gid_t admin_gid;

        if (uid == 0)
                return true;
        if (!c || !c->admin_group || !*c->admin_group)
                return false;

        cache_check_files(now);
        if (group_lookup(c->admin_group, now, &admin_gid) <= 0)
                return false;
        if (gid == admin_gid)
                return true;

        /* Supplementary groups of the account (not of the peer process, which
         * SO_PEERCRED does not give us); any NSS trouble means "not admin". */
        if (nss_user_by_uid(uid, &pw) < 0)
                return false;
        if (user_lookup(pw.name, now, &e) < 0 || !e->exists)
                return false;
        return gids_contain(e->gids, e->n_gids, admin_gid);
}

int policy_grant_duration(const Config *c, JitAction action, uint64_t requested_sec, uint64_t *ret_sec) {
        const ActionPolicy *ap;

        if (!c || action < 0 || action >= _JIT_ACTION_MAX || !ret_sec)
                return -EINVAL;

        ap = &c->policy[action];
        if (requested_sec == 0) {
                *ret_sec = ap->default_duration_sec;
                return 0;
        }
        if (requested_sec > ap->max_duration_sec)
                return -ERANGE;
        *ret_sec = requested_sec;
        return 0;
}
