/* Helpers shared by the benchmark programs: a monotonic clock, bounded
 * number parsing for command lines, and latency statistics over a sample
 * array (mean and nearest-rank percentiles). Benchmarks print one
 * "key=value ..." line per measurement so bench/run.sh can build a table. */
#pragma once

#include <stddef.h>
#include <stdint.h>

uint64_t bench_now_nsec(void);

/* Parse an unsigned decimal in [min, max]. 0 on success, -EINVAL/-ERANGE. */
int bench_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* Parse a non-negative decimal number of seconds (e.g. "2.5"), ≤ max_sec. */
int bench_parse_seconds(const char *s, double max_sec, double *ret);

typedef struct LatencyStats {
        size_t n;
        double mean_usec;
        double min_usec;
        double p50_usec;
        double p90_usec;
        double p99_usec;
        double max_usec;
} LatencyStats;

/* Sorts `samples` (nanoseconds) in place. n may be 0 (all zero then). */
void latency_stats_compute(uint64_t *samples, size_t n, LatencyStats *ret);

/* A growable array of nanosecond samples. */
typedef struct SampleBuffer {
        uint64_t *data;
        size_t n;
        size_t allocated;
} SampleBuffer;

int sample_buffer_reserve(SampleBuffer *b, size_t n);
int sample_buffer_add(SampleBuffer *b, uint64_t sample_nsec);
/* Move all samples of `from` to the end of `to`. */
int sample_buffer_merge(SampleBuffer *to, const SampleBuffer *from);
void sample_buffer_done(SampleBuffer *b);
