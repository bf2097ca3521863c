/* Small helpers every program in the tree uses: cleanup attributes in the
 * systemd style, so error paths cannot leak descriptors or memory. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Hand a pointer/fd over to someone else: the cleanup handler then sees NULL/-1. */
#define TAKE_PTR(p)                         \
        ({                                  \
                __typeof__(p) _p_ = (p);    \
                (p) = NULL;                 \
                _p_;                        \
        })
#define TAKE_FD(fd)                         \
        ({                                  \
                int _fd_ = (fd);            \
                (fd) = -1;                  \
                _fd_;                       \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
