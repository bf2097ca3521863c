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

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL
#define NSEC_PER_USEC 1000ULL

/* An enum's names in one table, `static const char *const NAME_table[]`
 * indexed by the enum value, and the two conversions generated from it:
 *   const char *NAME_to_string(TYPE v);    NULL for a value out of range
 *   TYPE NAME_from_string(const char *s);  `invalid` for an unknown name
 * `scope` is `static` or empty (for functions a header declares). */
#define DEFINE_STRING_TABLE(scope, name, type, invalid)                                   \
        _unused_ scope const char *name##_to_string(type v) {                             \
                /* negative values wrap to huge ones: one test, any enum */               \
                if ((unsigned long) (long) v >= ELEMENTSOF(name##_table))                 \
                        return NULL;                                                      \
                return name##_table[v];                                                   \
        }                                                                                 \
        _unused_ scope type name##_from_string(const char *s) {                           \
                if (s)                                                                    \
                        for (size_t i_ = 0; i_ < ELEMENTSOF(name##_table); i_++)          \
                                if (name##_table[i_] && __builtin_strcmp(name##_table[i_], s) == 0) \
                                        return (type) i_;                                 \
                return invalid;                                                           \
        }

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
