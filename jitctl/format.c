/* Output for humans: times in local time with a relative hint ("14:05:00
 * (in 59m)"), and aligned tables whose widths count characters, not bytes,
 * so a reason in UTF-8 does not shift the columns. Cells arrive already
 * sanitised (field_str()); the table only measures and pads them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jitctl.h"
#include "text.h"

char *format_span(int64_t seconds, char *buf, size_t size) {
        uint64_t s = seconds < 0 ? (uint64_t) -(seconds + 1) + 1 : (uint64_t) seconds;

        /* Two units at most: "2h5m" reads faster than "2h5m13s". */
        if (s < 60)
                snprintf(buf, size, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, size, "%" PRIu64 "m", s / 60);
        else if (s < 86400) {
                if ((s % 3600) / 60)
                        snprintf(buf, size, "%" PRIu64 "h%" PRIu64 "m", s / 3600, (s % 3600) / 60);
                else
                        snprintf(buf, size, "%" PRIu64 "h", s / 3600);
        } else {
                if ((s % 86400) / 3600)
                        snprintf(buf, size, "%" PRIu64 "d%" PRIu64 "h", s / 86400, (s % 86400) / 3600);
                else
                        snprintf(buf, size, "%" PRIu64 "d", s / 86400);
        }
        return buf;
}

static void relative(int64_t t, int64_t now, char *buf, size_t size) {
        char span[32];

        if (t == now)
                snprintf(buf, size, "now");
        else if (t > now)
                snprintf(buf, size, "in %s", format_span(t - now, span, sizeof(span)));
        else
                snprintf(buf, size, "%s ago", format_span(now - t, span, sizeof(span)));
}

char *format_when(int64_t t, char *buf, size_t size) {
        int64_t now = jit_now_realtime();
        struct tm tm, tm_now;
        char abs[32], rel[48];
        time_t tt = (time_t) t, tn = (time_t) now;

        if (t <= 0) {
                snprintf(buf, size, "-");
                return buf;
        }
        if (!localtime_r(&tt, &tm) || !localtime_r(&tn, &tm_now)) {
                snprintf(buf, size, "@%" PRId64, t);
                return buf;
        }

        if (tm.tm_year == tm_now.tm_year && tm.tm_yday == tm_now.tm_yday)
                strftime(abs, sizeof(abs), "%H:%M:%S", &tm);
        else
                strftime(abs, sizeof(abs), "%Y-%m-%d %H:%M", &tm);
        relative(t, now, rel, sizeof(rel));
        snprintf(buf, size, "%s (%s)", abs, rel);
        return buf;
}

char *format_when_full(int64_t t, char *buf, size_t size) {
        char abs[64], rel[48];

        if (t <= 0) {
                snprintf(buf, size, "-");
                return buf;
        }
        jit_format_time(t, abs, sizeof(abs));
        relative(t, jit_now_realtime(), rel, sizeof(rel));
        snprintf(buf, size, "%s (%s)", abs, rel);
        return buf;
}

/* Display width in characters: count everything but UTF-8 continuation
 * bytes. Wide (CJK) characters count as one; good enough for alignment of
 * the rare reason written in them. */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        w++;
        return w;
}

/* Print at most `max` characters of s (max 0: all), then pad to `width`. */
static void print_cell(const char *s, size_t width, size_t max, bool last) {
        size_t w = 0;
        const char *p = s;

        if (max > 0 && text_width(s) > max) {
                /* Cut at a character boundary and mark it. */
                size_t keep = max > 3 ? max - 3 : 0;

                for (; *p; p++) {
                        if (((unsigned char) *p & 0xC0) != 0x80) {
                                if (w == keep)
                                        break;
                                w++;
                        }
                        putchar(*p);
                }
                fputs("...", stdout);
                w += 3;
        } else {
                fputs(s, stdout);
                w = text_width(s);
        }

        if (!last)
                for (; w < width; w++)
                        putchar(' ');
}

void table_init(Table *t, size_t n_columns, const char *const *headers) {
        *t = (Table) {
                .n_columns = n_columns > TABLE_COLUMNS_MAX ? TABLE_COLUMNS_MAX : n_columns,
        };
        for (size_t i = 0; i < t->n_columns; i++)
                t->headers[i] = headers[i];
}

void table_done(Table *t) {
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->n_rows = 0;
}

int table_add_row(Table *t, const char *const *cells) {
        char **n;

        n = realloc(t->cells, (t->n_rows + 1) * t->n_columns * sizeof(char *));
        if (!n)
                return -ENOMEM;
        t->cells = n;

        for (size_t i = 0; i < t->n_columns; i++) {
                char *c = strdup(cells[i] && cells[i][0] ? cells[i] : "-");

                if (!c) {
                        for (size_t k = 0; k < i; k++)
                                free(t->cells[t->n_rows * t->n_columns + k]);
                        return -ENOMEM;
                }
                t->cells[t->n_rows * t->n_columns + i] = c;
        }
        t->n_rows++;
        return 0;
}

void table_print(const Table *t) {
        size_t width[TABLE_COLUMNS_MAX];

        for (size_t i = 0; i < t->n_columns; i++) {
                width[i] = text_width(t->headers[i]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = text_width(t->cells[r * t->n_columns + i]);

                        if (t->max_width[i] > 0 && w > t->max_width[i])
                                w = t->max_width[i];
                        if (w > width[i])
                                width[i] = w;
                }
        }

        for (size_t i = 0; i < t->n_columns; i++) {
                print_cell(t->headers[i], width[i], 0, i + 1 == t->n_columns);
                if (i + 1 < t->n_columns)
                        fputs("  ", stdout);
        }
        putchar('\n');

        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t i = 0; i < t->n_columns; i++) {
                        print_cell(t->cells[r * t->n_columns + i], width[i], t->max_width[i],
                                   i + 1 == t->n_columns);
                        if (i + 1 < t->n_columns)
                                fputs("  ", stdout);
                }
                putchar('\n');
        }
}
