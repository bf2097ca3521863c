/* Clock, argument parsing and latency statistics for the benchmarks. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"

uint64_t bench_now_nsec(void) {
        struct timespec ts;

        /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

int bench_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (uint64_t) v;
        return 0;
}

int bench_parse_seconds(const char *s, double max_sec, double *ret) {
        char *end;
        double v;

        if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || *end != '\0' || !isfinite(v))
                return -EINVAL;
        if (v < 0 || v > max_sec)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array: the smallest sample such that
 * at least p% of all samples are ≤ it. */
static uint64_t percentile(const uint64_t *sorted, size_t n, double p) {
        size_t rank = (size_t) ceil(p / 100.0 * (double) n);

        if (rank < 1)
                rank = 1;
        if (rank > n)
                rank = n;
        return sorted[rank - 1];
}

void latency_stats_compute(uint64_t *samples, size_t n, LatencyStats *ret) {
        long double sum = 0;

        memset(ret, 0, sizeof(*ret));
        if (n == 0)
                return;

        qsort(samples, n, sizeof(samples[0]), compare_u64);
        for (size_t i = 0; i < n; i++)
                sum += samples[i];

        ret->n = n;
        ret->mean_usec = (double) (sum / n) / 1000.0;
        ret->min_usec = samples[0] / 1000.0;
        ret->p50_usec = percentile(samples, n, 50) / 1000.0;
        ret->p90_usec = percentile(samples, n, 90) / 1000.0;
        ret->p99_usec = percentile(samples, n, 99) / 1000.0;
        ret->max_usec = samples[n - 1] / 1000.0;
}

int sample_buffer_reserve(SampleBuffer *b, size_t n) {
        uint64_t *p;

        if (n <= b->allocated)
                return 0;
        if (n > SIZE_MAX / sizeof(uint64_t))
                return -ENOMEM;
        p = realloc(b->data, n * sizeof(uint64_t));
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->allocated = n;
        return 0;
}

int sample_buffer_add(SampleBuffer *b, uint64_t sample_nsec) {
        if (b->n == b->allocated) {
                int r = sample_buffer_reserve(b, b->allocated ? b->allocated * 2 : 4096);
                if (r < 0)
                        return r;
        }
        b->data[b->n++] = sample_nsec;
        return 0;
}

int sample_buffer_merge(SampleBuffer *to, const SampleBuffer *from) {
        int r;

        if (from->n == 0)
                return 0;
        r = sample_buffer_reserve(to, to->n + from->n);
        if (r < 0)
                return r;
        memcpy(to->data + to->n, from->data, from->n * sizeof(uint64_t));
        to->n += from->n;
        return 0;
}

void sample_buffer_done(SampleBuffer *b) {
        free(b->data);
        *b = (SampleBuffer) {};
}
