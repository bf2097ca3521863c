/* fakeclock.so -- a test-only LD_PRELOAD shim that moves the wall clock,
 * and only the wall clock, of the process it is loaded into (the e2e case
 * lifecycle clock_jump: jitd and sshd see the time jump an hour ahead).
 *
 *   LD_PRELOAD=/path/fakeclock.so JIT_FAKECLOCK_FILE=/run/offset jitd
 *
 * The file holds an offset in seconds ("3600", "+1h", "-90s"; suffixes s,
 * m, h, d). It is read again when it may have changed (at most every
 * FAKECLOCK_CACHE_MSEC of monotonic time), so writing it takes effect at
 * once. No file, or nothing readable in it: offset 0.
 *
 * Shifted: clock_gettime() for CLOCK_REALTIME, CLOCK_REALTIME_COARSE and
 * CLOCK_TAI, gettimeofday(), time(), timespec_get(TIME_UTC). Every other
 * clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME, ...) and timerfd_settime() are
 * left alone, as a real jump of the wall clock leaves them.
 *
 * Why not libfaketime: Debian 12's libfaketime 0.9.10 also wraps
 * timerfd_settime() and subtracts its offset from *absolute* timer values
 * of every clock, CLOCK_MONOTONIC included, whatever
 * FAKETIME_DONT_FAKE_MONOTONIC says. sd-event arms its CLOCK_MONOTONIC
 * timerfds with TFD_TIMER_ABSTIME; an hour's offset makes them negative,
 * timerfd_settime() fails with EINVAL and jitd's event loop ends -- a
 * failure of the tool, not of anything a real clock jump does.
 *
 * Not installed; built only with the tests. Hot path: no allocation, no
 * locks; one open/read/close when the cache is stale. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FAKECLOCK_ENV "JIT_FAKECLOCK_FILE"
#define FAKECLOCK_CACHE_MSEC 20

#define EXPORT __attribute__((visibility("default")))

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*timespec_get_fn)(struct timespec *, int);

static clock_gettime_fn real_clock_gettime;
static gettimeofday_fn real_gettimeofday;
static time_fn real_time;
static timespec_get_fn real_timespec_get;
static const char *offset_file;

static _Atomic int64_t cached_offset;          /* seconds */
static _Atomic int64_t cached_at_msec = -1;     /* CLOCK_MONOTONIC_COARSE; -1: never read */

static void resolve(void) {
        if (!real_clock_gettime)
                real_clock_gettime = (clock_gettime_fn) dlsym(RTLD_NEXT, "clock_gettime");
        if (!real_gettimeofday)
                real_gettimeofday = (gettimeofday_fn) dlsym(RTLD_NEXT, "gettimeofday");
        if (!real_time)
                real_time = (time_fn) dlsym(RTLD_NEXT, "time");
        if (!real_timespec_get)
                real_timespec_get = (timespec_get_fn) dlsym(RTLD_NEXT, "timespec_get");
        if (!offset_file)
                offset_file = getenv(FAKECLOCK_ENV);
}

__attribute__((constructor)) static void fakeclock_init(void) {
        resolve();
}

/* "[+-]N[smhd]", surrounding blanks allowed; 0 for anything else. */
static int64_t parse_offset(const char *p) {
        int64_t v = 0, sign = 1;
        int digits = 0;

        while (*p == ' ' || *p == '\t')
                p++;
        if (*p == '+' || *p == '-')
                sign = *p++ == '-' ? -1 : 1;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
                if (v > (INT64_MAX / 1000000) / 10)
                        return 0;  /* absurd: keep the real clock */
                v = v * 10 + (*p - '0');
        }
        if (!digits)
                return 0;
        switch (*p) {
        case 'd': v *= 24; /* fall through */
        case 'h': v *= 60; /* fall through */
        case 'm': v *= 60; /* fall through */
        case 's': p++; break;
        default: break;
        }
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return *p ? 0 : sign * v;
}

static int64_t read_offset(void) {
        char buf[64];
        ssize_t n = 0, k;
        int fd;

        if (!offset_file || !*offset_file)
                return 0;
        fd = open(offset_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        while (n < (ssize_t) sizeof(buf) - 1) {
                k = read(fd, buf + n, sizeof(buf) - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += k;
        }
        close(fd);
        buf[n] = '\0';
        return parse_offset(buf);
}

static int64_t offset_sec(void) {
        struct timespec ts;
        int64_t now_msec, at;
        int saved_errno = errno;

        if (!real_clock_gettime)
                resolve();
        if (!real_clock_gettime || real_clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0) {
                errno = saved_errno;
                return 0;
        }
        now_msec = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        at = atomic_load_explicit(&cached_at_msec, memory_order_acquire);
        if (at < 0 || now_msec - at >= FAKECLOCK_CACHE_MSEC) {
                atomic_store_explicit(&cached_offset, read_offset(), memory_order_relaxed);
                atomic_store_explicit(&cached_at_msec, now_msec, memory_order_release);
        }
        errno = saved_errno;
        return atomic_load_explicit(&cached_offset, memory_order_relaxed);
}

/* glibc declares the result pointers nonnull; callers still pass NULL at
 * times (gettimeofday(NULL, &tz)). Hide the pointer from the optimizer so
 * the check stays. */
static int present(const void *p) {
        __asm__("" : "+r"(p));
        return p != NULL;
}

static int is_wall_clock(clockid_t id) {
        return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

EXPORT int clock_gettime(clockid_t id, struct timespec *ts) {
        int r;

        if (!real_clock_gettime)
                resolve();
        if (!real_clock_gettime) {
                errno = ENOSYS;
                return -1;
        }
        r = real_clock_gettime(id, ts);
        if (r == 0 && present(ts) && is_wall_clock(id))
                ts->tv_sec += (time_t) offset_sec();
        return r;
}

EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
        int r;

        if (!real_gettimeofday)
                resolve();
        if (!real_gettimeofday) {
                errno = ENOSYS;
                return -1;
        }
        r = real_gettimeofday(tv, tz);
        if (r == 0 && present(tv))
                tv->tv_sec += (time_t) offset_sec();
        return r;
}

EXPORT time_t time(time_t *t) {
        time_t v;

        if (!real_time)
                resolve();
        if (!real_time) {
                errno = ENOSYS;
                return (time_t) -1;
        }
        v = real_time(NULL);
        if (v != (time_t) -1)
                v += (time_t) offset_sec();
        if (t)
                *t = v;
        return v;
}

EXPORT int timespec_get(struct timespec *ts, int base) {
        int r;

        if (!real_timespec_get)
                resolve();
        if (!real_timespec_get)
                return 0;
        r = real_timespec_get(ts, base);
        if (r == TIME_UTC && base == TIME_UTC && present(ts))
                ts->tv_sec += (time_t) offset_sec();
        return r;
}
