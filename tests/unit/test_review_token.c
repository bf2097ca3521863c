/* Tests for review-link tokens: what a token looks like and that it is
 * never guessable or reused, the strict shape check run before any lookup,
 * the SHA-256 form the store keeps (known answers computed with Python's
 * hashlib/hmac), CSRF tokens bound to one link and one approver, link
 * expiry, and the persisted server key (created private, reused, refused
 * when others can read it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web-test-util.h"
#include "review-token.h"
#include "test.h"

#define TOKEN_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"

static void test_generate(void) {
        char tokens[200][REVIEW_TOKEN_STRING_MAX];

        for (size_t i = 0; i < 200; i++) {
                CHECK_INT(review_token_generate(tokens[i]), 0);
                CHECK_INT(strlen(tokens[i]), REVIEW_TOKEN_LENGTH);
                CHECK(review_token_is_well_formed(tokens[i]));
                /* URL-safe: nothing that needs escaping in a path. */
                CHECK(strspn(tokens[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                      REVIEW_TOKEN_LENGTH);
                for (size_t j = 0; j < i; j++)
                        CHECK(strcmp(tokens[i], tokens[j]) != 0);
        }
}

static void test_well_formed(void) {
        CHECK(review_token_is_well_formed(TOKEN_A));
        CHECK(review_token_is_well_formed(TOKEN_B));
        CHECK(!review_token_is_well_formed(NULL));
        CHECK(!review_token_is_well_formed(""));
        CHECK(!review_token_is_well_formed(TOKEN_A "A"));                          /* too long */
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")); /* too short */
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"));
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA."));
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%"));
        CHECK(!review_token_is_well_formed("../AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        /* Stray low bits in the last character: a second spelling of the
         * same bytes is not accepted. */
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
        CHECK(!review_token_is_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3"));
}

static void test_hash(void) {
        ReviewTokenHash h, h2;
        char hex[REVIEW_TOKEN_HASH_HEX_MAX];

        /* sha256 of the token text, as Python's hashlib computes it. */
        CHECK_INT(review_token_hash(TOKEN_A, &h), 0);
        review_token_hash_to_hex(&h, hex);
        CHECK_STR(hex, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
        CHECK_INT(review_token_hash(TOKEN_B, &h), 0);
        review_token_hash_to_hex(&h, hex);
        CHECK_STR(hex, "46a2199782c8827f0ac56f503be9d39efee97f40a736b92cc7d7c5f825cfd851");

        CHECK_INT(review_token_hash_from_hex(hex, &h2), 0);
        CHECK(review_token_hash_equal(&h, &h2));
        CHECK_INT(review_token_hash(TOKEN_A, &h2), 0);
        CHECK(!review_token_hash_equal(&h, &h2));
        CHECK(!review_token_hash_equal(&h, NULL));

        CHECK_INT(review_token_hash("not a token", &h), -EINVAL);
        CHECK_INT(review_token_hash_from_hex("0f00", &h), -EINVAL);
        CHECK_INT(review_token_hash_from_hex("0F007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a", &h),
                  -EINVAL);
        CHECK_INT(review_token_hash_from_hex("zf007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a", &h),
                  -EINVAL);
}

static void test_csrf(void) {
        ReviewKey k, k2;
        char a[REVIEW_CSRF_STRING_MAX], b[REVIEW_CSRF_STRING_MAX];

        for (size_t i = 0; i < sizeof(k.bytes); i++)
                k.bytes[i] = (uint8_t) i;

        /* Known answers (Python hmac): HMAC-SHA256(key, context NUL token
         * NUL identity NUL), URL-safe base64. */
        CHECK_INT(review_csrf_token(&k, TOKEN_B, "bob", a), 0);
        CHECK_STR(a, "1JKzxokP62hYgPvAOcaOippznaQuq4btU-QVjBpVvBU");
        CHECK_INT(review_csrf_token(&k, TOKEN_B, NULL, a), 0);
        CHECK_STR(a, "PDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj0");
        CHECK_INT(review_csrf_token(&k, TOKEN_B, "", b), 0);
        CHECK_STR(a, b);

        CHECK(review_csrf_verify(&k, TOKEN_B, NULL, a));
        CHECK(review_csrf_verify(&k, TOKEN_B, "", a));
        /* Bound to the link ... */
        CHECK(!review_csrf_verify(&k, TOKEN_A, NULL, a));
        /* ... to the approver (trusted-header mode) ... */
        CHECK(!review_csrf_verify(&k, TOKEN_B, "bob", a));
        CHECK(review_csrf_verify(&k, TOKEN_B, "bob", "1JKzxokP62hYgPvAOcaOippznaQuq4btU-QVjBpVvBU"));
        CHECK(!review_csrf_verify(&k, TOKEN_B, "mallory", "1JKzxokP62hYgPvAOcaOippznaQuq4btU-QVjBpVvBU"));
        /* ... and to the server key. */
        CHECK_INT(review_key_generate(&k2), 0);
        CHECK(!review_csrf_verify(&k2, TOKEN_B, NULL, a));

        /* Near misses and junk. */
        CHECK(!review_csrf_verify(&k, TOKEN_B, NULL, NULL));
        CHECK(!review_csrf_verify(&k, TOKEN_B, NULL, ""));
        CHECK(!review_csrf_verify(&k, TOKEN_B, NULL, "PDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj"));
        CHECK(!review_csrf_verify(&k, TOKEN_B, NULL, "PDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj0x"));
        CHECK(!review_csrf_verify(&k, TOKEN_B, NULL, "pDDpNKpuKA-dKASN_xl4Fcd14dpwd0edIgjItWJMtj0"));
        CHECK(!review_csrf_verify(&k, "bad", NULL, a));
        CHECK_INT(review_csrf_token(&k, "bad", NULL, a), -EINVAL);
        /* Identity and token cannot be re-split into another pair. */
        CHECK_INT(review_csrf_token(&k, TOKEN_B, "b", a), 0);
        CHECK_INT(review_csrf_token(&k, TOKEN_B, "bo", b), 0);
        CHECK(strcmp(a, b) != 0);
}

static void test_expiry(void) {
        CHECK(review_link_is_live(100, 99));
        CHECK(!review_link_is_live(100, 100));
        CHECK(!review_link_is_live(100, 101));
        CHECK(!review_link_is_live(0, 1));
}

static void test_key_file(void) {
        char *dir = scratch_create(), *path = NULL, error[512];
        ReviewKey k1, k2, k3;
        struct stat st;

        CHECK(dir != NULL);
        if (!dir)
                return;
        CHECK(asprintf(&path, "%s/review.key", dir) > 0);

        /* Created on first use, private, and the same key afterwards. */
        CHECK_INT(review_key_load_or_create(path, &k1, error, sizeof(error)), 0);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0600);
        CHECK_INT(review_key_load_or_create(path, &k2, error, sizeof(error)), 0);
        CHECK(memcmp(k1.bytes, k2.bytes, sizeof(k1.bytes)) == 0);
        /* No temporary files left behind. */
        {
                const char *argv[] = { "ls", "-A", dir, NULL };
                char *out = NULL;

                CHECK_INT(run_command(argv, &out), 0);
                CHECK_STR(out, "review.key\n");
                free(out);
        }

        /* Others can read it: refused, not silently replaced. */
        CHECK_INT(chmod(path, 0644), 0);
        CHECK_INT(review_key_load_or_create(path, &k3, error, sizeof(error)), -EPERM);
        CHECK(strstr(error, "0644") != NULL);
        CHECK_INT(chmod(path, 0600), 0);

        /* Garbage: an error, never a fresh key that would void open pages
         * without anyone noticing why. */
        free(path);
        path = write_file(dir, "garbage.key", "hello\n", 0600);
        CHECK_INT(review_key_load_or_create(path, &k3, error, sizeof(error)), -EINVAL);

        free(path);
        CHECK(asprintf(&path, "%s/no/such/dir/review.key", dir) > 0);
        CHECK(review_key_load_or_create(path, &k3, error, sizeof(error)) < 0);

        review_key_erase(&k1);
        free(path);
        scratch_remove(dir);
}

int main(int argc, char **argv) {
        test_generate();
        test_well_formed();
        test_hash();
        test_csrf();
        test_expiry();
        test_key_file();
        return test_result("test_review_token");
}
