/* The key registry of jitd.conf: one table (config-keys.c) names every key
 * of every section, [webhook NAME] included, with the setter that parses
 * and bounds-checks its value and where in which struct it lands. config.c's
 * reader looks keys up here and nowhere else; a setter writes its message
 * without a location, and the reader puts "FILE:LINE: " in front, so every
 * key fails in the same shape. The generic setters (paths, durations,
 * numbers, sizes, yes/no, lists) live in config-value.c; the few that only
 * one key needs live beside that key's section (config-approvers.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CONFIG_PATH_MAX 1024U       /* any path value */
#define CONFIG_SOCKET_PATH_MAX 107U /* sizeof(sockaddr_un.sun_path) - 1 */

/* Which struct a key's offsets are into. */
typedef enum ConfigBase {
        CONFIG_BASE_CONFIG,  /* Config */
        CONFIG_BASE_APPROVERS, /* ApproverConfig: approvers= and quorum= of [login]/[sudo] */
        CONFIG_BASE_REVIEW,  /* ReviewConfig: [review] */
        CONFIG_BASE_WEBHOOK, /* the WebhookConfig of this [webhook NAME] */
} ConfigBase;

typedef struct ConfigKey ConfigKey;

/* One assignment, as a setter sees it. */
typedef struct ConfigSet {
        const char *key;    /* "[section] name", for messages */
        bool first_in_file; /* a list set again in a later file is replaced; in one file it grows */
        void *base;         /* the struct the key belongs to, for rules among its keys */
        char *error;        /* the message, without location */
        size_t error_size;
} ConfigSet;

/* 0, -ENOMEM, or -EINVAL with a message in s->error. */
typedef int (*ConfigSetter)(const ConfigKey *k, void *field, const char *value, ConfigSet *s);

struct ConfigKey {
        const char *section; /* "jitd", "login", "review", ...; "webhook" for every [webhook NAME] */
        const char *name;
        ConfigSetter set;
        ConfigBase base;
        size_t offset;    /* of the field in base */
        size_t at_offset; /* of a char * kept as "FILE:LINE" of the last assignment; 0: not kept */
        uint64_t min, max; /* bounds: value, length, or entries, as the setter says */
        const void *data;  /* setter-specific (a ConfigListKind for lists) */
};

/* The names of an enum's values. */
typedef struct ConfigEnum {
        int (*from_string)(const char *s); /* < 0: none of them */
        const char *choices;               /* for the message: "'terminate' or 'keep'" */
} ConfigEnum;

/* What a list holds. */
typedef struct ConfigListKind {
        bool (*check)(const char *item);
        const char *noun; /* "user name", "group name"; NULL: "entry" */
        size_t item_max;  /* bytes per entry (< 256) */
        bool star;        /* "*" stands for everybody */
} ConfigListKind;

extern const ConfigKey config_keys[];
extern const size_t config_keys_n;

/* The key `name` of `section` ("webhook" for any [webhook NAME]), or NULL. */
const ConfigKey *config_key_find(const char *section, const char *name);
/* Is [section] one of ours? "webhook NAME" is, whatever NAME: a bad name
 * gets its own message at its first key. */
bool config_section_is_known(const char *section);
/* Free what the keys of `base` left in `p` (strings, lists, and the
 * "FILE:LINE" of each); the struct's other fields are its owner's. */
void config_keys_free(ConfigBase base, void *p);
/* "webhook NAME" -> NAME, or NULL. */
const char *config_webhook_section_name(const char *section);

/* A message into s->error; returns -EINVAL. */
int config_set_fail(ConfigSet *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Replace *field by a copy of value. */
int config_set_string(char **field, const char *value);

/* Generic setters (config-value.c). */
int config_set_path(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_socket_path(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_path_or_empty(const ConfigKey *k, void *field, const char *value, ConfigSet *s); /* "" = off */
int config_set_path_or_null(const ConfigKey *k, void *field, const char *value, ConfigSet *s);  /* NULL = unset */
int config_set_group_or_empty(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_duration(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_duration_or_zero(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_unsigned(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_size(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_bool(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_enum(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_list(const ConfigKey *k, void *field, const char *value, ConfigSet *s);

/* Setters of one key each (config-approvers.c). */
int config_set_review_listen(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_review_public_url(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_header_name(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_identity_secret_header(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_trusted_proxies(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_webhook_url(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_webhook_proxy(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_webhook_actions(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_webhook_events(const ConfigKey *k, void *field, const char *value, ConfigSet *s);
int config_set_webhook_approvers(const ConfigKey *k, void *field, const char *value, ConfigSet *s);

/* Enums and list kinds the registry uses. */
extern const ConfigEnum config_enum_on_expiry, config_enum_webhook_format;
extern const ConfigListKind config_list_users_star, config_list_users, config_list_groups;
extern const ConfigListKind config_list_approvers, config_list_webhook_approvers, config_list_addresses;
