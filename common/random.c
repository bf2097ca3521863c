/* See random.h. */
#include <errno.h>
#include <sys/random.h>

#include "macros.h"
#include "random.h"

int random_bytes(void *p, size_t n) {
        uint8_t *q = p;

        while (n > 0) {
                ssize_t k = getrandom(q, n, 0);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                q += k;
                n -= (size_t) k;
        }
        return 0;
}

int random_u64(uint64_t *ret) {
        return random_bytes(ret, sizeof(*ret));
}
