/* jitd.conf: the admin's policy and paths, parsed with inih from
 * /etc/jitd/jitd.conf plus jitd.conf.d/NAME.conf (sorted; later files override
 * scalar keys, lists are replaced). Every key of every section is in one
 * registry (config-value.h, config-keys.c); every value is bounds-checked;
 * unknown sections/keys and bad values are errors reported as file:line.
 * config-print.c prints the effective configuration (--check-config). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jit-protocol.h"

#define JITD_CONFIG_PATH_DEFAULT "/etc/jitd/jitd.conf"
/* The database in state_directory unless database= says otherwise. */
#define CONFIG_DATABASE_FILE_NAME "jitd.db"

/* The one list type of jitd.conf: names in the order given, no duplicates. */
typedef struct StringList {
        char **items;
        size_t n;
} StringList;

void string_list_clear(StringList *l);
bool string_list_contains(const StringList *l, const char *s);
/* Add a copy of `s` unless it is there; -E2BIG if `l` already holds `max`. */
int string_list_add(StringList *l, const char *s, size_t max);

/* Approver notification settings, owned by config-approvers.c. */
typedef struct ApproverConfig ApproverConfig;

/* What ending a grant (expiry, revoke) does to the sessions opened under it. */
typedef enum OnExpiry {
        ON_EXPIRY_TERMINATE, /* end them through logind (TerminateSession) */
        ON_EXPIRY_KEEP,      /* leave them; only new logins and sudo calls are refused */
        _ON_EXPIRY_MAX,
        _ON_EXPIRY_INVALID = -1,
} OnExpiry;

const char *on_expiry_to_string(OnExpiry o);
OnExpiry on_expiry_from_string(const char *s);

typedef struct ActionPolicy {
        /* Who needs approval: listed users, members of listed groups; "*" in
         * users means every user. exempt_users never need it (PAM_IGNORE). */
        StringList users;
        StringList groups;
        StringList exempt_users;
        uint64_t default_duration_sec;
        uint64_t max_duration_sec;
        OnExpiry on_expiry; /* [login] default terminate, [sudo] default keep */
} ActionPolicy;

typedef struct Config {
        char *socket_path;     /* [jitd] socket */
        char *state_directory; /* [jitd] state_directory; the db is <dir>/jitd.db */
        char *database_path;   /* [jitd] database (overrides state_directory/jitd.db) */
        char *admin_group;     /* [jitd] admin_group */
        uint64_t request_ttl_sec;       /* [jitd] request_ttl: pending requests expire */
        unsigned max_connections;        /* [jitd] max_connections */
        unsigned max_connections_per_uid; /* [jitd] max_connections_per_uid (uid 0 exempt) */
        uint64_t idle_timeout_sec;       /* [jitd] idle_timeout */
        ActionPolicy policy[_JIT_ACTION_MAX]; /* sections [login], [sudo] */
        StringList breakglass_users;  /* [breakglass] users */
        StringList breakglass_groups; /* [breakglass] groups */
        uint64_t warn_before_sec;     /* [jitd] warn_before: terminal warning before expiry; 0 = none */
        char *sudo_timestamp_dir;     /* [jitd] sudo_timestamp_dir: sudo's timestampdir; "" = leave it */
        char *jitctl_path;            /* [jitd] jitctl: what the expiry timers run */
        unsigned request_limit;              /* [jitd] request_limit: new requests per user... */
        uint64_t request_limit_interval_sec; /* [jitd] request_limit_interval: ...in any window this long */
        uint64_t retention_sec;              /* [jitd] retention: ended rows are pruned after this */
        ApproverConfig *approval;       /* [review], [webhook NAME], approvers=/quorum= (config-approvers.h) */
        /* "file:line" where state_directory= and database= were set, for
         * --check-config's messages about them; NULL: built-in default. */
        char *state_directory_at;
        char *database_at;
} Config;

/* One error message, "file:line: what is wrong". */
typedef struct ConfigError {
        char message[512];
} ConfigError;

/* Built-in defaults (what an empty file gives). */
void config_init_defaults(Config *c);
/* Load `path` (required to exist if `must_exist`, else a missing file means
 * defaults) and `path`.d/NAME.conf. On error returns -errno / -EINVAL and fills
 * `err`; *c is then freed. */
int config_load(Config *c, const char *path, bool must_exist, ConfigError *err);
void config_free(Config *c);
/* True when no user or group needs approval for any action: every login
 * and sudo is let through (what the built-in defaults give when
 * /etc/jitd/jitd.conf is missing). jitd warns about it at start and
 * --check-config prints a warning line. */
bool config_gates_nobody(const Config *c);
/* The one line both say, without a trailing newline. */
#define CONFIG_GATES_NOBODY_WARNING                                                                        \
        "no user or group needs approval for any action ([login] and [sudo] users= and groups= are empty): " \
        "jitd lets every login and sudo through"
/* When the configuration does not load at start (jitd(8)), jitd still
 * takes [jitd] socket, state_directory and database from lines of `path`
 * and its drop-ins that say them plainly; nothing else of a broken file is
 * used. Into `c`, which holds defaults. */
int config_salvage_paths(Config *c, const char *path);
/* Who needs approval and who is break-glass ([login], [sudo],
 * [breakglass], admin_group), in jitd.conf syntax: the copy of the last
 * policy that loaded, which config_load() reads back. */
int config_write_policy(const Config *c, FILE *f);
/* Take the policy (what config_write_policy() writes) of `from` into `c`;
 * `from` gets c's old one, for config_free(). */
void config_adopt_policy(Config *c, Config *from);
/* No policy known at all: every user but root needs approval for every
 * action, nobody is break-glass, and only root is an admin. */
int config_set_fail_closed_policy(Config *c);
/* The effective policy, human readable (jitd --check-config). */
void config_print(const Config *c, FILE *f);
