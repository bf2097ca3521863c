/* The seed of json-c's string hash, for the copy of json-c linked into
 * pam_jit.so (JIT_PAM_STATIC_JSONC).
 *
 * Every JSON object is a json-c hash table whose string hash is seeded once
 * by json_c_get_random_seed(). json-c's own version (random_seed.o) falls
 * back to /dev/urandom and reports failures with fprintf(stderr) through
 * _json_c_strerror(), which calls getenv(): inside sudo that reads the
 * environment of whoever ran sudo, and the module uses no getenv (see
 * tests/pam/check-imports.sh). This definition is linked before
 * libjson-c.a, so the linker never pulls random_seed.o, nor through it
 * strerror_override.o. Should a json-c release need random_seed.o for
 * something else, the link fails on the duplicate definition: loudly.
 *
 * The seed only makes hash flooding harder; the module hashes the keys of
 * its own calls and of replies from a root jitd, of bounded size. */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* json-c's prototype (random_seed.h, which json-c does not install). */
int json_c_get_random_seed(void);

int json_c_get_random_seed(void) {
        uint32_t seed;

        /* GRND_NONBLOCK: never wait for the entropy pool at early boot. */
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t) sizeof(seed)) {
                struct timespec ts = {};

                (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                seed = (uint32_t) ts.tv_nsec ^ (uint32_t) ts.tv_sec ^ (uint32_t) getpid();
        }
        /* -1 is json-c's "not seeded yet": it would ask again, forever. */
        return (int) seed == -1 ? 0 : (int) seed;
}
