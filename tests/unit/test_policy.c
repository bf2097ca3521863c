/* Policy decisions against the real NSS of the machine running the test:
 * the current user and its groups, root, an account of the system with
 * supplementary groups if there is one, and a user that does not exist.
 * Nothing is created; checks that need something the host lacks are
 * skipped and say so. */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "macros.h"
#include "policy.h"
#include "test.h"
#include "text.h"

#define NO_SUCH_USER "jit-no-such-user-7q"
#define NO_SUCH_GROUP "jit-no-such-group-7q"

static char me[JIT_USER_MAX + 1];
static uid_t my_uid;
static gid_t my_gid;
static char my_group[JIT_USER_MAX + 1]; /* name of my primary group, "" if it has none */

static void add(StringList *l, const char *s) {
        char **items = reallocarray(l->items, l->n + 1, sizeof(char *));
        if (!items)
                abort();
        l->items = items;
        l->items[l->n] = strdup(s);
        if (!l->items[l->n])
                abort();
        l->n++;
}

static void reset(Config *c) {
        config_free(c);
        config_init_defaults(c);
}

static const char *verdict(int v) {
        switch (v) {
        case POLICY_NOT_COVERED:
                return "not-covered";
        case POLICY_NEEDS_APPROVAL:
                return "needs-approval";
        case POLICY_BREAKGLASS:
                return "breakglass";
        default:
                return v < 0 ? strerror(-v) : "?";
        }
}

#define CHECK_VERDICT(c, user, action, expected)                                                           \
        do {                                                                                               \
                int _v = (int) policy_evaluate((c), (user), (action));                                     \
                if (_v != (int) (expected)) {                                                              \
                        fprintf(stderr, "%s:%d: %s/%s: %s, expected %s\n", __FILE__, __LINE__, (user),     \
                                jit_action_to_string(action), verdict(_v), verdict(expected));             \
                        test_failures++;                                                                   \
                }                                                                                          \
        } while (0)

static void test_names(void) {
        Config c;

        /* Defaults: nobody is covered, so jitd stays out of everyone's way. */
        config_init_defaults(&c);
        CHECK_VERDICT(&c, me, JIT_ACTION_LOGIN, POLICY_NOT_COVERED);
        CHECK_VERDICT(&c, "root", JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_LOGIN, POLICY_NOT_COVERED);

        /* Named users, per action. */
        add(&c.policy[JIT_ACTION_LOGIN].users, me);
        add(&c.policy[JIT_ACTION_LOGIN].users, NO_SUCH_USER);
        CHECK_VERDICT(&c, me, JIT_ACTION_LOGIN, POLICY_NEEDS_APPROVAL);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        /* A named user needs approval even if NSS does not know it. */
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_LOGIN, POLICY_NEEDS_APPROVAL);
        if (strcmp(me, "root") != 0)
                CHECK_VERDICT(&c, "root", JIT_ACTION_LOGIN, POLICY_NOT_COVERED);

        /* "*": everyone, known or not; exempt_users win over it. */
        reset(&c);
        add(&c.policy[JIT_ACTION_SUDO].users, "*");
        add(&c.policy[JIT_ACTION_SUDO].exempt_users, "root");
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, strcmp(me, "root") == 0 ? POLICY_NOT_COVERED : POLICY_NEEDS_APPROVAL);
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_SUDO, POLICY_NEEDS_APPROVAL);
        CHECK_VERDICT(&c, "root", JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        CHECK_VERDICT(&c, "root", JIT_ACTION_LOGIN, POLICY_NOT_COVERED);

        /* Break-glass users bypass on both actions; exemption is checked first. */
        add(&c.breakglass_users, NO_SUCH_USER);
        add(&c.breakglass_users, "root");
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_SUDO, POLICY_BREAKGLASS);
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_LOGIN, POLICY_BREAKGLASS);
        CHECK_VERDICT(&c, "root", JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        CHECK_VERDICT(&c, "root", JIT_ACTION_LOGIN, POLICY_BREAKGLASS);

        /* Garbage in: an error, which the caller turns into a denial. */
        CHECK_INT(policy_evaluate(&c, NULL, JIT_ACTION_LOGIN), -EINVAL);
        CHECK_INT(policy_evaluate(&c, "", JIT_ACTION_LOGIN), -EINVAL);
        CHECK_INT(policy_evaluate(&c, "bad name", JIT_ACTION_LOGIN), -EINVAL);
        CHECK_INT(policy_evaluate(&c, "-rf", JIT_ACTION_LOGIN), -EINVAL);
        CHECK_INT(policy_evaluate(&c, me, _JIT_ACTION_MAX), -EINVAL);
        CHECK_INT(policy_evaluate(&c, me, _JIT_ACTION_INVALID), -EINVAL);
        CHECK_INT(policy_evaluate(NULL, me, JIT_ACTION_LOGIN), -EINVAL);
        config_free(&c);
}

/* A group this user is in only as a supplementary member, if any. */
static bool find_supplementary_group(char *ret, size_t size) {
        gid_t groups[256];
        int n = ELEMENTSOF(groups);

        if (getgrouplist(me, my_gid, groups, &n) < 0)
                return false;
        for (int i = 0; i < n; i++) {
                struct group *g;

                if (groups[i] == my_gid)
                        continue;
                g = getgrgid(groups[i]);
                if (g && strlen(g->gr_name) < size) {
                        snprintf(ret, size, "%s", g->gr_name);
                        return true;
                }
        }
        return false;
}

static void test_groups(void) {
        Config c;
        char supplementary[JIT_USER_MAX + 1];

        config_init_defaults(&c);
        if (!my_group[0]) {
                printf("test_policy: my primary group has no name; skipping group checks\n");
                config_free(&c);
                return;
        }

        /* Membership through the primary group. */
        add(&c.policy[JIT_ACTION_LOGIN].groups, NO_SUCH_GROUP);
        add(&c.policy[JIT_ACTION_LOGIN].groups, my_group);
        CHECK_VERDICT(&c, me, JIT_ACTION_LOGIN, POLICY_NEEDS_APPROVAL);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        /* Unknown users are in no group: not covered, and no error. */
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_LOGIN, POLICY_NOT_COVERED);
        /* Asking again (now from the cache) gives the same answers. */
        CHECK_VERDICT(&c, me, JIT_ACTION_LOGIN, POLICY_NEEDS_APPROVAL);
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_LOGIN, POLICY_NOT_COVERED);

        /* A group that does not exist covers nobody. */
        reset(&c);
        add(&c.policy[JIT_ACTION_SUDO].groups, NO_SUCH_GROUP);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NOT_COVERED);

        /* Membership through a supplementary group. */
        if (find_supplementary_group(supplementary, sizeof supplementary)) {
                reset(&c);
                add(&c.policy[JIT_ACTION_SUDO].groups, supplementary);
                CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NEEDS_APPROVAL);
        } else
                printf("test_policy: %s has no supplementary groups; skipping that check\n", me);

        /* Exempt beats group membership; break-glass groups beat approval. */
        reset(&c);
        add(&c.policy[JIT_ACTION_SUDO].groups, my_group);
        add(&c.policy[JIT_ACTION_SUDO].exempt_users, me);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        reset(&c);
        add(&c.policy[JIT_ACTION_SUDO].groups, my_group);
        add(&c.breakglass_groups, my_group);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_BREAKGLASS);
        CHECK_VERDICT(&c, me, JIT_ACTION_LOGIN, POLICY_BREAKGLASS);
        CHECK_VERDICT(&c, NO_SUCH_USER, JIT_ACTION_SUDO, POLICY_NOT_COVERED);

        /* The cache holds NSS answers, never policy: a new config applies at once. */
        reset(&c);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NOT_COVERED);
        add(&c.policy[JIT_ACTION_SUDO].groups, my_group);
        CHECK_VERDICT(&c, me, JIT_ACTION_SUDO, POLICY_NEEDS_APPROVAL);

        /* The hot path: a group-covered user, many times. */
        struct timespec t0, t1;
        const int n = 200000;
        int wrong = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < n; i++)
                if (policy_evaluate(&c, me, JIT_ACTION_SUDO) != POLICY_NEEDS_APPROVAL)
                        wrong++;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECK_INT(wrong, 0);
        double sec = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("test_policy: %d group evaluations in %.3fs: %.0f/s\n", n, sec, n / sec);

        config_free(&c);
}

/* A non-root account with a supplementary group it is not primary in. */
static bool find_account_with_supplementary(char *user, size_t usize, gid_t *primary, char *group, size_t gsize) {
        struct passwd *pw;
        bool found = false;

        setpwent();
        while (!found && (pw = getpwent())) {
                gid_t groups[64];
                int n = ELEMENTSOF(groups);

                if (pw->pw_uid == 0 || strlen(pw->pw_name) >= usize || !jit_user_name_is_valid(pw->pw_name))
                        continue;
                if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
                        continue;
                for (int i = 0; i < n && !found; i++) {
                        struct group *g;

                        if (groups[i] == pw->pw_gid || !(g = getgrgid(groups[i])) || strlen(g->gr_name) >= gsize)
                                continue;
                        snprintf(user, usize, "%s", pw->pw_name);
                        snprintf(group, gsize, "%s", g->gr_name);
                        *primary = pw->pw_gid;
                        found = true;
                }
        }
        endpwent();
        return found;
}

static void test_admin(void) {
        Config c;
        struct passwd *pw;
        char user[JIT_USER_MAX + 1], group[JIT_USER_MAX + 1];
        gid_t primary;
        const uid_t nobody_uid = 4242424;

        config_init_defaults(&c);

        /* root always; anyone else only through the admin group. */
        CHECK(policy_peer_is_admin(&c, 0, 0));
        CHECK(policy_peer_is_admin(&c, 0, 12345));
        free(c.admin_group);
        c.admin_group = strdup(NO_SUCH_GROUP);
        CHECK(!policy_peer_is_admin(&c, nobody_uid, 0));
        CHECK(!policy_peer_is_admin(&c, nobody_uid, nobody_uid));
        free(c.admin_group);
        c.admin_group = strdup(""); /* nobody but root */
        CHECK(policy_peer_is_admin(&c, 0, 0));
        CHECK(!policy_peer_is_admin(&c, nobody_uid, 0));

        if (my_group[0]) {
                /* The peer's own gid counts, even for a uid NSS does not know. */
                free(c.admin_group);
                c.admin_group = strdup(my_group);
                CHECK(policy_peer_is_admin(&c, nobody_uid, my_gid));
                CHECK(!policy_peer_is_admin(&c, nobody_uid, my_gid + 1));
        }

        /* Supplementary membership of the peer's account. */
        if (find_account_with_supplementary(user, sizeof user, &primary, group, sizeof group)) {
                pw = getpwnam(user);
                CHECK(pw != NULL);
                if (pw) {
                        free(c.admin_group);
                        c.admin_group = strdup(group);
                        CHECK(policy_peer_is_admin(&c, pw->pw_uid, primary));
                        free(c.admin_group);
                        c.admin_group = strdup(NO_SUCH_GROUP);
                        CHECK(!policy_peer_is_admin(&c, pw->pw_uid, primary));
                }
        } else
                printf("test_policy: no non-root account with supplementary groups; skipping that check\n");

        config_free(&c);
}

static void test_durations(void) {
        Config c;
        uint64_t d = 77;

        config_init_defaults(&c);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_LOGIN, 0, &d), 0);
        CHECK_INT(d, 3600);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_SUDO, 0, &d), 0);
        CHECK_INT(d, 1800);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_SUDO, 1, &d), 0);
        CHECK_INT(d, 1);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_SUDO, 4 * 3600, &d), 0);
        CHECK_INT(d, 4 * 3600);
        d = 77;
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_SUDO, 4 * 3600 + 1, &d), -ERANGE);
        CHECK_INT(d, 77); /* untouched on failure */
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_LOGIN, 8 * 3600 + 1, &d), -ERANGE);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_LOGIN, UINT64_MAX, &d), -ERANGE);
        CHECK_INT(policy_grant_duration(&c, _JIT_ACTION_MAX, 0, &d), -EINVAL);
        CHECK_INT(policy_grant_duration(&c, JIT_ACTION_LOGIN, 0, NULL), -EINVAL);
        config_free(&c);
}

int main(void) {
        struct passwd *pw;
        struct group *gr;

        my_uid = getuid();
        pw = getpwuid(my_uid);
        if (!pw || strlen(pw->pw_name) > JIT_USER_MAX || !jit_user_name_is_valid(pw->pw_name)) {
                printf("test_policy: the current user has no usable passwd entry; skipping\n");
                return TEST_SKIP;
        }
        snprintf(me, sizeof me, "%s", pw->pw_name);
        my_gid = pw->pw_gid;
        gr = getgrgid(my_gid);
        if (gr && strlen(gr->gr_name) <= JIT_USER_MAX && jit_user_name_is_valid(gr->gr_name))
                snprintf(my_group, sizeof my_group, "%s", gr->gr_name);
        printf("test_policy: running as %s (uid %u), primary group %s\n", me, (unsigned) my_uid,
               my_group[0] ? my_group : "(none)");

        test_names();
        test_groups();
        test_admin();
        test_durations();
        return test_result("test_policy");
}
