/* The registry: every key of jitd.conf, section by section, with its
 * setter, bounds and field. A new key is one line here (and its field,
 * default and printout); config.c's reader finds it by name, and nothing
 * else decides which keys exist. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config-approvers.h"
#include "config-value.h"
#include "http-server.h"
#include "macros.h"
#include "text.h"
#include "webhook-delivery.h"

#define CONFIG_LIST_MAX 1024U       /* entries in one policy list */
#define CONFIG_APPROVERS_LIST_MAX 256U /* entries in one approver/proxy list */
/* A grant longer than a month is not "just in time" any more. */
#define CONFIG_GRANT_DURATION_MAX (30ULL * 24 * 3600)
/* A warning a day ahead is no longer a warning about a session. */
#define CONFIG_WARN_BEFORE_MAX (24ULL * 3600)

#define REVIEW_MAX_CONNECTIONS_MAX 4096U
#define REVIEW_CONNECTION_TIMEOUT_MAX 3600U
/* A request that has not arrived in five minutes is not on its way. */
#define REVIEW_REQUEST_TIMEOUT_MAX 300U
#define REVIEW_MAX_BODY_MIN 1024U
#define WEBHOOK_MAX_AGE_MAX_SEC (7U * 24U * 3600U)

/* KEY(section, name, setter, base, struct, field, at offset or 0, min, max, data), and shorthands for
 * Config (KEY_C), [review] (KEY_R) and [webhook NAME] (KEY_W). */
#define KEY(sect, key, setter, b, type, field, at, lo, hi, d)                                                 \
        { .section = sect, .name = key, .set = setter, .base = b, .offset = offsetof(type, field),           \
          .at_offset = at, .min = lo, .max = hi, .data = d }
#define KEY_C(sect, key, setter, field, lo, hi, d) \
        KEY(sect, key, setter, CONFIG_BASE_CONFIG, Config, field, 0, lo, hi, d)
#define KEY_R(key, setter, field, at, lo, hi, d) \
        KEY("review", key, setter, CONFIG_BASE_REVIEW, ReviewConfig, field, at, lo, hi, d)
#define KEY_W(key, setter, field, at, lo, hi, d) \
        KEY("webhook", key, setter, CONFIG_BASE_WEBHOOK, WebhookConfig, field, at, lo, hi, d)
#define AT_R(field) offsetof(ReviewConfig, field)
#define AT_W(field) offsetof(WebhookConfig, field)

/* [login] and [sudo] have the same keys. */
#define ACTION_KEYS(sect, a)                                                                                  \
        KEY_C(sect, "users", config_set_list, policy[a].users, 0, CONFIG_LIST_MAX, &config_list_users_star),  \
        KEY_C(sect, "groups", config_set_list, policy[a].groups, 0, CONFIG_LIST_MAX, &config_list_groups),    \
        KEY_C(sect, "exempt_users", config_set_list, policy[a].exempt_users, 0, CONFIG_LIST_MAX,              \
              &config_list_users),                                                                            \
        KEY_C(sect, "default_duration", config_set_duration, policy[a].default_duration_sec, 1,               \
              CONFIG_GRANT_DURATION_MAX, NULL),                                                               \
        KEY_C(sect, "max_duration", config_set_duration, policy[a].max_duration_sec, 1,                       \
              CONFIG_GRANT_DURATION_MAX, NULL),                                                               \
        KEY_C(sect, "on_expiry", config_set_enum, policy[a].on_expiry, 0, 0, &config_enum_on_expiry),         \
        KEY(sect, "approvers", config_set_list, CONFIG_BASE_APPROVERS, ApproverConfig, approvers[a],          \
            offsetof(ApproverConfig, approvers_at[a]), 0, CONFIG_APPROVERS_LIST_MAX, &config_list_approvers), \
        KEY(sect, "quorum", config_set_unsigned, CONFIG_BASE_APPROVERS, ApproverConfig, quorum[a], 0, 1,      \
            CONFIG_QUORUM_MAX, NULL)

const ConfigKey config_keys[] = {
        KEY(  "jitd", "socket", config_set_socket_path, CONFIG_BASE_CONFIG, Config, socket_path, 0, 0,
              CONFIG_SOCKET_PATH_MAX, NULL),
        KEY(  "jitd", "state_directory", config_set_path, CONFIG_BASE_CONFIG, Config, state_directory,
              offsetof(Config, state_directory_at), 0, CONFIG_PATH_MAX, NULL),
        KEY(  "jitd", "database", config_set_path, CONFIG_BASE_CONFIG, Config, database_path,
              offsetof(Config, database_at), 0, CONFIG_PATH_MAX, NULL),
        KEY_C("jitd", "admin_group", config_set_group_or_empty, admin_group, 0, 0, NULL),
        KEY_C("jitd", "request_ttl", config_set_duration, request_ttl_sec, 10, 7 * 24 * 3600, NULL),
        KEY_C("jitd", "max_connections", config_set_unsigned, max_connections, 1, 65536, NULL),
        KEY_C("jitd", "max_connections_per_uid", config_set_unsigned, max_connections_per_uid, 1, 65536, NULL),
        KEY_C("jitd", "idle_timeout", config_set_duration, idle_timeout_sec, 1, 3600, NULL),
        KEY_C("jitd", "warn_before", config_set_duration_or_zero, warn_before_sec, 0, CONFIG_WARN_BEFORE_MAX, NULL),
        KEY_C("jitd", "sudo_timestamp_dir", config_set_path_or_empty, sudo_timestamp_dir, 0, CONFIG_PATH_MAX, NULL),
        KEY_C("jitd", "jitctl", config_set_path, jitctl_path, 0, CONFIG_PATH_MAX, NULL),
        KEY_C("jitd", "request_limit", config_set_unsigned, request_limit, 1, 100000, NULL),
        KEY_C("jitd", "request_limit_interval", config_set_duration, request_limit_interval_sec, 60, 7 * 24 * 3600,
              NULL),
        KEY_C("jitd", "retention", config_set_duration, retention_sec, 3600, JIT_DURATION_MAX_SEC, NULL),

        ACTION_KEYS("login", JIT_ACTION_LOGIN),
        ACTION_KEYS("sudo", JIT_ACTION_SUDO),

        KEY_C("breakglass", "users", config_set_list, breakglass_users, 0, CONFIG_LIST_MAX, &config_list_users),
        KEY_C("breakglass", "groups", config_set_list, breakglass_groups, 0, CONFIG_LIST_MAX, &config_list_groups),

        KEY_R("listen", config_set_review_listen, listen, AT_R(listen_at), 0, 0, NULL),
        KEY_R("public_url", config_set_review_public_url, public_url, AT_R(public_url_at), 0, 0, NULL),
        KEY_R("tls_cert", config_set_path_or_null, tls_cert, AT_R(tls_cert_at), 0, CONFIG_PATH_MAX, NULL),
        KEY_R("tls_key", config_set_path_or_null, tls_key, AT_R(tls_key_at), 0, CONFIG_PATH_MAX, NULL),
        KEY_R("key_file", config_set_path_or_null, key_file, 0, 0, CONFIG_PATH_MAX, NULL),
        KEY_R("identity_header", config_set_header_name, identity_header, AT_R(identity_header_at), 0, 0, NULL),
        KEY_R("identity_secret_file", config_set_path_or_null, identity_secret_file, AT_R(identity_secret_file_at),
              0, CONFIG_PATH_MAX, NULL),
        KEY_R("identity_secret_header", config_set_identity_secret_header, identity_secret_header, 0, 0, 0, NULL),
        KEY_R("trusted_proxies", config_set_trusted_proxies, trusted_proxies, 0, 0, CONFIG_APPROVERS_LIST_MAX,
              &config_list_addresses),
        KEY_R("allow_http", config_set_bool, allow_http, 0, 0, 0, NULL),
        KEY_R("max_connections", config_set_unsigned, max_connections, AT_R(max_connections_at), 1,
              REVIEW_MAX_CONNECTIONS_MAX, NULL),
        KEY_R("max_connections_per_ip", config_set_unsigned, max_connections_per_ip, AT_R(max_connections_per_ip_at),
              1, REVIEW_MAX_CONNECTIONS_MAX, NULL),
        KEY_R("connection_timeout", config_set_duration, connection_timeout_sec, 0, 1, REVIEW_CONNECTION_TIMEOUT_MAX,
              NULL),
        KEY_R("request_timeout", config_set_duration, request_timeout_sec, 0, 1, REVIEW_REQUEST_TIMEOUT_MAX, NULL),
        KEY_R("max_body", config_set_size, max_body, 0, REVIEW_MAX_BODY_MIN, HTTP_POST_BODY_MAX, NULL),

        KEY_W("url", config_set_webhook_url, url, AT_W(url_at), 0, WEBHOOK_URL_MAX, NULL),
        KEY_W("format", config_set_enum, format, 0, 0, 0, &config_enum_webhook_format),
        KEY_W("secret_file", config_set_path_or_null, secret_file, AT_W(secret_file_at), 0, CONFIG_PATH_MAX,
              NULL),
        KEY_W("ca_file", config_set_path_or_null, ca_file, AT_W(ca_file_at), 0, CONFIG_PATH_MAX, NULL),
        KEY_W("proxy", config_set_webhook_proxy, proxy, 0, 0, 1024, NULL),
        KEY_W("allow_http_loopback", config_set_bool, allow_http_loopback, 0, 0, 0, NULL),
        KEY_W("actions", config_set_webhook_actions, actions, 0, 0, CONFIG_APPROVERS_LIST_MAX, NULL),
        KEY_W("events", config_set_webhook_events, events, 0, 0, CONFIG_APPROVERS_LIST_MAX, NULL),
        KEY_W("approvers", config_set_webhook_approvers, approvers, AT_W(approvers_at), 0, CONFIG_APPROVERS_LIST_MAX,
              &config_list_webhook_approvers),
        KEY_W("timeout", config_set_duration, timeout_sec, 0, 1, WEBHOOK_TIMEOUT_MAX_USEC / USEC_PER_SEC, NULL),
        KEY_W("connect_timeout", config_set_duration, connect_timeout_sec, 0, 1,
              WEBHOOK_CONNECT_TIMEOUT_MAX_USEC / USEC_PER_SEC, NULL),
        KEY_W("retry_initial", config_set_duration, retry_initial_sec, 0, 1, 3600, NULL),
        KEY_W("retry_max_delay", config_set_duration, retry_max_delay_sec, 0, 1, 24 * 3600, NULL),
        KEY_W("max_age", config_set_duration, max_age_sec, 0, 60, WEBHOOK_MAX_AGE_MAX_SEC, NULL),
};

const size_t config_keys_n = ELEMENTSOF(config_keys);

/* config_set_enum() writes an int. */
_Static_assert(sizeof(OnExpiry) == sizeof(int), "OnExpiry is not int-sized");
_Static_assert(sizeof(WebhookFormat) == sizeof(int), "WebhookFormat is not int-sized");

/* What a setter leaves in its field that needs freeing: a new setter that
 * allocates belongs in one of these lists. */
static const ConfigSetter setters_of_strings[] = {
        config_set_path,        config_set_socket_path,          config_set_path_or_empty,
        config_set_path_or_null, config_set_group_or_empty,      config_set_review_listen,
        config_set_review_public_url, config_set_header_name,    config_set_identity_secret_header,
        config_set_webhook_url, config_set_webhook_proxy,
};
static const ConfigSetter setters_of_lists[] = {
        config_set_list,
        config_set_trusted_proxies,
        config_set_webhook_approvers,
};

static bool setter_in(ConfigSetter set, const ConfigSetter *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (list[i] == set)
                        return true;
        return false;
}

void config_keys_free(ConfigBase base, void *p) {
        for (size_t i = 0; p && i < ELEMENTSOF(config_keys); i++) {
                const ConfigKey *k = &config_keys[i];
                void *field = (uint8_t *) p + k->offset;

                if (k->base != base)
                        continue;
                if (setter_in(k->set, setters_of_strings, ELEMENTSOF(setters_of_strings))) {
                        free(*(char **) field);
                        *(char **) field = NULL;
                } else if (setter_in(k->set, setters_of_lists, ELEMENTSOF(setters_of_lists)))
                        string_list_clear(field);
                if (k->at_offset > 0) {
                        free(*(char **) ((uint8_t *) p + k->at_offset));
                        *(char **) ((uint8_t *) p + k->at_offset) = NULL;
                }
        }
}

const char *config_webhook_section_name(const char *section) {
        return strncmp(section, "webhook ", 8) == 0 ? section + 8 : NULL;
}

const ConfigKey *config_key_find(const char *section, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, name) == 0)
                        return &config_keys[i];
        return NULL;
}

bool config_section_is_known(const char *section) {
        if (config_webhook_section_name(section))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strcmp(config_keys[i].section, section) == 0 && strcmp(section, "webhook") != 0)
                        return true;
        return false;
}
