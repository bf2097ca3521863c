/* Standard Webhooks signing (https://www.standardwebhooks.com/, symmetric
 * scheme "v1"): the endpoint's secret, the webhook-id that stays the same
 * across retries of one message, the per-attempt webhook-timestamp, and
 * webhook-signature = "v1," base64(HMAC-SHA256(secret, id "." timestamp "."
 * body)). Secrets live in root-only files and are wiped after use. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The spec asks for at least 24 random bytes. The upper bound only caps
 * what we read; HMAC accepts any length. */
#define WEBHOOK_SECRET_SIZE_MIN 24U
#define WEBHOOK_SECRET_SIZE_MAX 512U
/* A secret file holds one line: "whsec_" + base64, or bare base64. */
#define WEBHOOK_SECRET_FILE_MAX 4096U

/* "msg_" + 22 characters of URL-safe base64 (128 random bits). Ids read
 * back from the outbox are checked with webhook_message_id_is_valid(). */
#define WEBHOOK_MESSAGE_ID_MAX 64U
/* "v1," + 44 characters of base64 + NUL. */
#define WEBHOOK_SIGNATURE_MAX 48U
/* "webhook-signature: " + the above, and so on. */
#define WEBHOOK_HEADER_MAX 96U

typedef struct WebhookSecret {
        size_t size;
        uint8_t key[WEBHOOK_SECRET_SIZE_MAX];
} WebhookSecret;

/* Parse secret text (surrounding whitespace ignored). -EINVAL for text that
 * is not base64, -EMSGSIZE for a secret shorter than 24 bytes or longer
 * than the cap; `error` (may be NULL) says which. */
int webhook_secret_parse(const char *text, size_t len, WebhookSecret *ret, char *error, size_t error_size);
/* Read and parse a secret file; see read_private_file() for what is
 * refused (-EPERM for a file group or others may access). */
int webhook_secret_load(const char *path, WebhookSecret *ret, char *error, size_t error_size);
void webhook_secret_erase(WebhookSecret *s);

int webhook_message_id_generate(char *buf, size_t size);
/* 1..WEBHOOK_MESSAGE_ID_MAX-1 characters of [A-Za-z0-9_-]: never a '.',
 * which would make the signed content ambiguous. */
bool webhook_message_id_is_valid(const char *id);

/* "v1,<base64>" into buf (>= WEBHOOK_SIGNATURE_MAX). */
int webhook_sign(const WebhookSecret *s, const char *msg_id, int64_t timestamp, const void *body,
                 size_t body_size, char *buf, size_t size);

/* Check a received webhook-signature header (a space-separated list of
 * "version,signature" entries; entries of other versions are skipped) in
 * constant time per entry. 0 if one v1 entry matches, -EBADMSG if none
 * does, -EINVAL for a malformed id or timestamp. The caller checks the
 * timestamp's age. */
int webhook_verify(const WebhookSecret *s, const char *msg_id, const char *timestamp, const void *body,
                   size_t body_size, const char *signature_header);

/* The three header lines for one attempt, ready for CURLOPT_HTTPHEADER. */
typedef struct WebhookSignatureHeaders {
        char id[WEBHOOK_HEADER_MAX];
        char timestamp[WEBHOOK_HEADER_MAX];
        char signature[WEBHOOK_HEADER_MAX];
} WebhookSignatureHeaders;

int webhook_signature_headers(const WebhookSecret *s, const char *msg_id, int64_t timestamp,
                              const void *body, size_t body_size, WebhookSignatureHeaders *ret);
