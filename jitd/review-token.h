/* Review-link tokens and the CSRF tokens bound to them. A link token is
 * 256 random bits in URL-safe base64; the store keeps only its SHA-256, so
 * a copy of the database does not hand out working links. The CSRF token
 * on the review form is HMAC-SHA256(server key, link token, approver), so
 * it needs no storage, cannot be computed without the server key, and is
 * useless with any other link or (behind an SSO proxy) any other person. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto-util.h"

#define REVIEW_TOKEN_RANDOM_BYTES 32U
/* 43 characters of [A-Za-z0-9_-]. */
#define REVIEW_TOKEN_LENGTH 43U
#define REVIEW_TOKEN_STRING_MAX (REVIEW_TOKEN_LENGTH + 1U)
#define REVIEW_TOKEN_HASH_HEX_MAX (SHA256_DIGEST_SIZE * 2U + 1U)
#define REVIEW_CSRF_LENGTH 43U
#define REVIEW_CSRF_STRING_MAX (REVIEW_CSRF_LENGTH + 1U)
#define REVIEW_KEY_SIZE 32U

typedef struct ReviewTokenHash {
        uint8_t bytes[SHA256_DIGEST_SIZE];
} ReviewTokenHash;

/* The server's CSRF key. Persisted (review_key_load_or_create) so a jitd
 * restart does not invalidate a review page someone has open. */
typedef struct ReviewKey {
        uint8_t bytes[REVIEW_KEY_SIZE];
} ReviewKey;

int review_token_generate(char token[static REVIEW_TOKEN_STRING_MAX]);
/* Exactly REVIEW_TOKEN_LENGTH characters of the URL-safe alphabet that
 * decode to 32 bytes. Cheap; run it before any lookup. */
bool review_token_is_well_formed(const char *token);

/* SHA-256 of the token text. -EINVAL if the token is not well formed. */
int review_token_hash(const char *token, ReviewTokenHash *ret);
void review_token_hash_to_hex(const ReviewTokenHash *h, char hex[static REVIEW_TOKEN_HASH_HEX_MAX]);
int review_token_hash_from_hex(const char *hex, ReviewTokenHash *ret);
bool review_token_hash_equal(const ReviewTokenHash *a, const ReviewTokenHash *b);

/* A link is usable strictly before its expiry. */
bool review_link_is_live(int64_t expires_at, int64_t now);

int review_key_generate(ReviewKey *ret);
/* Read the key from `path`, or create it (mode 0600, written to a
 * temporary file and linked into place, so two starts never race to
 * different keys). The file is held to read_private_file()'s rules. */
int review_key_load_or_create(const char *path, ReviewKey *ret, char *error, size_t error_size);
void review_key_erase(ReviewKey *k);

/* `identity` is the approver the page was shown to when the link itself
 * does not name one (trusted-header mode); NULL or "" for per-approver
 * links. */
int review_csrf_token(const ReviewKey *k, const char *link_token, const char *identity,
                      char ret[static REVIEW_CSRF_STRING_MAX]);
/* Constant-time. False for NULL, malformed or mismatching input. */
bool review_csrf_verify(const ReviewKey *k, const char *link_token, const char *identity, const char *csrf);
