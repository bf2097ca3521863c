/* The approver-notification part of jitd.conf: the [review] section (the
 * review-link web server), the [webhook NAME] sections (where requests are
 * announced), and the approvers= and quorum= keys of [login] and [sudo].
 * Their keys are in the one registry (config-keys.c); config.c reads the
 * files; this file owns their defaults, their own setters and the checks
 * that involve several of them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "jit-protocol.h"
#include "webhook-payload.h"

#define CONFIG_WEBHOOKS_MAX 32U
#define CONFIG_WEBHOOK_NAME_MAX 32U
#define CONFIG_QUORUM_MAX 16U
/* The name in a webhook's approvers= that stands for one link shared by
 * everybody, whose approver is named by the trusted identity header. */
#define CONFIG_APPROVER_SHARED "shared"

typedef struct WebhookConfig {
        char *name; /* from [webhook NAME] */
        char *url;
        WebhookFormat format;
        char *secret_file;
        bool actions[_JIT_ACTION_MAX];
        bool events[_WEBHOOK_EVENT_MAX];
        StringList approvers;   /* names, and CONFIG_APPROVER_SHARED */
        bool approvers_set;     /* unset: the action's approvers (+ shared with identity_header) */
        uint64_t timeout_sec;
        uint64_t connect_timeout_sec;
        char *ca_file;
        char *proxy;
        bool allow_http_loopback;
        uint64_t retry_initial_sec;
        uint64_t retry_max_delay_sec;
        uint64_t max_age_sec;

        /* Where [webhook NAME] was first seen, for errors; where the keys
         * checked after parsing were last set ("file:line"). */
        char *defined_at;
        char *url_at, *secret_file_at, *ca_file_at, *approvers_at;
} WebhookConfig;

typedef struct ReviewConfig {
        char *listen;        /* "ADDRESS:PORT" or "[V6]:PORT"; "" disables */
        char *listen_address; /* parsed from listen */
        uint16_t listen_port;
        char *public_url;    /* without a trailing slash; NULL: from listen */
        char *tls_cert;
        char *tls_key;
        char *identity_header; /* NULL: off */
        char *identity_secret_file;   /* what the proxy proves itself with; required with identity_header */
        char *identity_secret_header; /* NULL: HTTP_PROXY_SECRET_HEADER_DEFAULT */
        StringList trusted_proxies;
        unsigned max_connections;
        unsigned max_connections_per_ip;
        uint64_t connection_timeout_sec;
        uint64_t request_timeout_sec;
        uint64_t max_body;
        char *key_file;      /* NULL: <state_directory>/review.key */
        bool allow_http;     /* links over plain http to a host that is not loopback */
        /* "file:line" of the keys checked after parsing; NULL: not set. */
        char *tls_cert_at, *tls_key_at, *max_connections_at, *max_connections_per_ip_at;
        char *listen_at, *public_url_at;
        char *identity_header_at, *identity_secret_file_at;
} ReviewConfig;

typedef struct ApproverConfig {
        ReviewConfig review;
        WebhookConfig *webhooks;
        size_t n_webhooks;
        /* [login]/[sudo] approvers=, quorum= */
        StringList approvers[_JIT_ACTION_MAX];
        unsigned quorum[_JIT_ACTION_MAX];
        char *approvers_at[_JIT_ACTION_MAX]; /* "file:line" of approvers=; NULL: not set */
} ApproverConfig;

ApproverConfig *approver_config_new(void);
ApproverConfig *approver_config_free(ApproverConfig *n);

/* The base of every review link (malloc'ed): public_url, or the review
 * server's own address with `port`. NULL if there is neither (or ENOMEM). */
char *review_link_base(const ReviewConfig *rc, uint16_t port);

/* The WebhookConfig of [webhook `name`], made with its defaults when first
 * seen (`where`: "file:line", kept for messages). -EINVAL with a message
 * (without location) in `error` for a bad name or too many webhooks. */
int config_approvers_webhook(ApproverConfig *n, const char *name, const char *where, WebhookConfig **ret, char *error,
                          size_t error_size);
/* An event as events= names it: "created" for jit.request.created. */
const char *config_event_name(WebhookEventType t);
/* Rules across keys, once every file is read: a generic webhook needs a
 * secret file, TLS needs both files, and so on. */
int config_approvers_check(const Config *c, char *error, size_t error_size);
/* --check-config: what only the running system can tell (URL rules,
 * secret files readable and private, TLS files present). Prints problems
 * to `f`, each with the file:line of its key; returns <0 if any is fatal. */
int config_approvers_verify_files(const Config *c, FILE *f);

/* Convenience for the daemon. */
bool approver_config_any_webhook(const ApproverConfig *n);
bool approver_config_is_approver(const ApproverConfig *n, JitAction action, const char *name);
unsigned approver_config_quorum(const ApproverConfig *n, JitAction action);
/* Does this webhook get links for `approver` ("" = the shared link)? */
bool webhook_config_links_for(const ApproverConfig *n, const WebhookConfig *w, JitAction action, const char *approver);
