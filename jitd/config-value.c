/* jitd.conf values: the one list type and the setters every section
 * shares. Each setter parses one value, checks it against the bounds its
 * registry entry gives (config-keys.c), and on a mistake writes one message
 * naming the key ("[section] name: ..."); config.c adds "FILE:LINE: ". */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-approvers.h"
#include "config-value.h"
#include "macros.h"
#include "text.h"

/* ---- StringList ---- */

void string_list_clear(StringList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (StringList){};
}

bool string_list_contains(const StringList *l, const char *s) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i], s) == 0)
                        return true;
        return false;
}

int string_list_add(StringList *l, const char *s, size_t max) {
        char **items, *copy;

        if (string_list_contains(l, s)) /* duplicates are harmless; keep one */
                return 0;
        if (l->n >= max)
                return -E2BIG;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        items = reallocarray(l->items, l->n + 1, sizeof(char *));
        if (!items) {
                free(copy);
                return -ENOMEM;
        }
        l->items = items;
        l->items[l->n++] = copy;
        return 0;
}

/* ---- helpers ---- */

int config_set_fail(ConfigSet *s, const char *fmt, ...) {
        va_list ap;

        if (s->error && s->error_size > 0) {
                va_start(ap, fmt);
                vsnprintf(s->error, s->error_size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

int config_set_string(char **field, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

static const char *shown(const char *s, char *buf, size_t size) {
        return jit_sanitize(s, buf, size);
}

/* ---- paths ---- */

/* An absolute path of at most k->max bytes, without ".." components. */
static int check_path(const ConfigKey *k, const char *value, bool socket, ConfigSet *s) {
        size_t len = strlen(value);
        char buf[128];

        if (len == 0)
                return config_set_fail(s, "%s needs a value", s->key);
        if (value[0] != '/')
                return config_set_fail(s, "%s must be an absolute path, not '%s'", s->key,
                                       shown(value, buf, sizeof buf));
        if (len > k->max)
                return config_set_fail(s, "%s is longer than %" PRIu64 " bytes", s->key, k->max);
        if (!jit_text_is_clean(value, k->max + 1))
                return config_set_fail(s, "%s contains control characters or invalid UTF-8", s->key);
        /* ".." would make the path's meaning depend on what the components
         * point to; a trailing slash on a file name is a typo. */
        for (const char *c = value; (c = strstr(c, "/..")); c += 3)
                if (c[3] == '/' || c[3] == '\0')
                        return config_set_fail(s, "%s must not contain '..' components", s->key);
        if (socket && len > 1 && value[len - 1] == '/')
                return config_set_fail(s, "%s must name a socket, not a directory", s->key);
        return 0;
}

int config_set_path(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        int r = check_path(k, value, false, s);
        return r < 0 ? r : config_set_string(field, value);
}

int config_set_socket_path(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        int r = check_path(k, value, true, s);
        return r < 0 ? r : config_set_string(field, value);
}

int config_set_path_or_empty(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        return *value ? config_set_path(k, field, value, s) : config_set_string(field, "");
}

int config_set_path_or_null(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char **p = field;

        if (*value)
                return config_set_path(k, field, value, s);
        free(*p);
        *p = NULL;
        return 0;
}

int config_set_group_or_empty(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char buf[128];

        /* Empty: nobody but root administers jitd. */
        if (*value && !jit_user_name_is_valid(value))
                return config_set_fail(s, "%s: invalid group name '%s'", s->key, shown(value, buf, sizeof buf));
        return config_set_string(field, value);
}

/* ---- numbers ---- */

int config_set_duration(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char a[32], b[32], buf[128];
        uint64_t sec;

        if (jit_parse_duration(value, &sec) < 0)
                return config_set_fail(s, "%s: invalid duration '%s' (examples: 90s, 15m, 1h30m, 2d)", s->key,
                                       shown(value, buf, sizeof buf));
        if (sec < k->min || sec > k->max)
                return config_set_fail(s, "%s: %s is out of range (%s .. %s)", s->key, shown(value, buf, sizeof buf),
                                       jit_format_duration(k->min, a, sizeof a),
                                       jit_format_duration(k->max, b, sizeof b));
        *(uint64_t *) field = sec;
        return 0;
}

int config_set_duration_or_zero(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char b[32], buf[128];
        uint64_t sec = 0;

        /* "0" (and "0s") switch it off; jit_parse_duration() only takes
         * positive durations. */
        if (strcmp(value, "0") != 0 && strcmp(value, "0s") != 0 && jit_parse_duration(value, &sec) < 0)
                return config_set_fail(s, "%s: invalid duration '%s' (examples: 0 for off, 90s, 5m, 1h)", s->key,
                                       shown(value, buf, sizeof buf));
        if (sec < k->min || sec > k->max)
                return config_set_fail(s, "%s: %s is out of range (0 .. %s)", s->key, shown(value, buf, sizeof buf),
                                       jit_format_duration(k->max, b, sizeof b));
        *(uint64_t *) field = sec;
        return 0;
}

int config_set_unsigned(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char buf[128];
        uint64_t v;

        if (jit_parse_uint64(value, k->min, k->max, &v) < 0)
                return config_set_fail(s, "%s: invalid number '%s' (allowed: %" PRIu64 " .. %" PRIu64 ")", s->key,
                                       shown(value, buf, sizeof buf), k->min, k->max);
        *(unsigned *) field = (unsigned) v;
        return 0;
}

/* "8192", "8K", "8KiB", "64k". */
int config_set_size(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        char digits[24], buf[128];
        size_t n = strspn(value, "0123456789");
        const char *suffix = value + n;
        uint64_t v, mul = 1;

        if (n == 0 || n >= sizeof(digits))
                goto invalid;
        memcpy(digits, value, n);
        digits[n] = '\0';
        if (*suffix == '\0' || strcmp(suffix, "B") == 0)
                mul = 1;
        else if (strcasecmp(suffix, "K") == 0 || strcmp(suffix, "KiB") == 0)
                mul = 1024;
        else
                goto invalid;
        if (jit_parse_uint64(digits, 0, UINT64_MAX / 1024, &v) < 0)
                goto invalid;
        v *= mul;
        if (v < k->min || v > k->max)
                return config_set_fail(s, "%s: %s is out of range (%" PRIu64 " .. %" PRIu64 " bytes)", s->key,
                                       shown(value, buf, sizeof buf), k->min, k->max);
        *(uint64_t *) field = v;
        return 0;
invalid:
        return config_set_fail(s, "%s: invalid size '%s' (examples: 8K, 16384)", s->key,
                               shown(value, buf, sizeof buf));
}

int config_set_bool(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        char buf[128];

        (void) k;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(value, yes[i]) == 0) {
                        *(bool *) field = true;
                        return 0;
                }
                if (strcasecmp(value, no[i]) == 0) {
                        *(bool *) field = false;
                        return 0;
                }
        }
        return config_set_fail(s, "%s: '%s' is not yes or no", s->key, shown(value, buf, sizeof buf));
}

/* One of a few names (k->data: a ConfigEnum) into an enum field. */
int config_set_enum(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        const ConfigEnum *e = k->data;
        int v = e->from_string(value);
        char buf[128];

        if (v < 0)
                return config_set_fail(s, "%s: '%s' is not %s", s->key, shown(value, buf, sizeof buf), e->choices);
        *(int *) field = v;
        return 0;
}

static const char *const on_expiry_table[_ON_EXPIRY_MAX] = {
        [ON_EXPIRY_TERMINATE] = "terminate",
        [ON_EXPIRY_KEEP] = "keep",
};

DEFINE_STRING_TABLE(, on_expiry, OnExpiry, _ON_EXPIRY_INVALID)

static int on_expiry_parse(const char *s) {
        return on_expiry_from_string(s);
}

const ConfigEnum config_enum_on_expiry = { on_expiry_parse, "'terminate' or 'keep'" };

/* ---- lists ---- */

static bool user_name_ok(const char *s) {
        return jit_user_name_is_valid(s);
}

static bool webhook_approver_ok(const char *s) {
        return strcmp(s, CONFIG_APPROVER_SHARED) == 0 || jit_user_name_is_valid(s);
}

const ConfigListKind config_list_users_star = { user_name_ok, "user name", JIT_USER_MAX, true };
const ConfigListKind config_list_users = { user_name_ok, "user name", JIT_USER_MAX, false };
const ConfigListKind config_list_groups = { user_name_ok, "group name", JIT_USER_MAX, false };
const ConfigListKind config_list_approvers = { user_name_ok, NULL, 255, false };
const ConfigListKind config_list_webhook_approvers = { webhook_approver_ok, NULL, 255, false };

/* Whitespace/comma separated entries, at most k->max of them. The first
 * assignment in a file replaces what earlier files said; more lines in the
 * same file add to it; an empty value empties it. */
int config_set_list(const ConfigKey *k, void *field, const char *value, ConfigSet *s) {
        const ConfigListKind *kind = k->data;
        StringList *l = field;
        char item[256], buf[128];

        if (s->first_in_file || *value == '\0')
                string_list_clear(l);

        for (const char *c = value;;) {
                size_t len;
                int r;

                c += strspn(c, " \t,");
                if (*c == '\0')
                        break;
                len = strcspn(c, " \t,");
                if (len > kind->item_max)
                        return config_set_fail(s, "%s: %s longer than %zu bytes", s->key,
                                               kind->noun ? "name" : "entry", kind->item_max);
                memcpy(item, c, len);
                item[len] = '\0';

                if (strcmp(item, "*") == 0 && kind->noun) {
                        if (!kind->star)
                                return config_set_fail(s, "%s: '*' is only allowed in [login] and [sudo] users",
                                                       s->key);
                } else if (!kind->check(item))
                        return config_set_fail(s, "%s: invalid %s '%s'", s->key, kind->noun ?: "entry",
                                               shown(item, buf, sizeof buf));

                r = string_list_add(l, item, k->max);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return config_set_fail(s, "%s: more than %" PRIu64 " entries", s->key, k->max);
                c += len;
        }
        return 0;
}
