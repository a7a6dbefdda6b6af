/* Per-interval time series: named columns, rows appended once per metrics interval, and
 * running prefix sums kept beside the rows so that range sums and means are O(1). */
#include "sim/series.h"

#include "sim/error.h"

#include <stdlib.h>
#include <string.h>

void series_init(struct series *s)
{
    memset(s, 0, sizeof *s);
}

void series_free(struct series *s)
{
    for (size_t c = 0; c < s->ncols; c++)
        free(s->names[c]);
    free(s->names);
    free(s->rows);
    free(s->prefix);
    memset(s, 0, sizeof *s);
}

size_t series_add_column(struct series *s, const char *name)
{
    /* The row width is fixed once data exists; a late column is a bug in the caller. */
    SIM_ASSERT(s->nrows == 0 && s->prefix == NULL);
    s->names = sim_xrealloc(s->names, (s->ncols + 1) * sizeof s->names[0]);
    s->names[s->ncols] = sim_xstrdup(name);
    return s->ncols++;
}

void series_append(struct series *s, const double *row)
{
    SIM_ASSERT(s->ncols > 0);
    size_t nc = s->ncols;
    if (s->prefix == NULL) {
        /* Prefix row 0 is the empty sum. */
        s->prefix = sim_xcalloc(nc, sizeof s->prefix[0]);
    }
    if (s->nrows == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->rows = sim_xrealloc(s->rows, s->cap * nc * sizeof s->rows[0]);
        s->prefix = sim_xrealloc(s->prefix, (s->cap + 1) * nc * sizeof s->prefix[0]);
    }
    double *dst = s->rows + s->nrows * nc;
    const double *prev = s->prefix + s->nrows * nc;
    double *next = s->prefix + (s->nrows + 1) * nc;
    for (size_t c = 0; c < nc; c++) {
        dst[c] = row[c];
        next[c] = prev[c] + row[c];
    }
    s->nrows++;
}

double series_get(const struct series *s, size_t row, size_t col)
{
    SIM_ASSERT(row < s->nrows && col < s->ncols);
    return s->rows[row * s->ncols + col];
}

double series_range_sum(const struct series *s, size_t col, size_t from, size_t to)
{
    SIM_ASSERT(col < s->ncols && from <= to && to <= s->nrows);
    if (from == to)
        return 0;
    return s->prefix[to * s->ncols + col] - s->prefix[from * s->ncols + col];
}

double series_range_mean(const struct series *s, size_t col, size_t from, size_t to)
{
    if (from == to)
        return 0;
    return series_range_sum(s, col, from, to) / (double)(to - from);
}

/* Column names come from scenario component names, so one with a comma, quote or newline is
 * quoted as RFC 4180 says rather than breaking the columns. */
static int write_name(const char *name, FILE *f)
{
    if (strpbrk(name, ",\"\r\n") == NULL)
        return fputs(name, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (const char *p = name; *p; p++) {
        if (*p == '"' && fputc('"', f) == EOF)
            return -1;
        if (fputc(*p, f) == EOF)
            return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

int series_write_csv(const struct series *s, FILE *f)
{
    for (size_t c = 0; c < s->ncols; c++) {
        if ((c > 0 && fputc(',', f) == EOF) || write_name(s->names[c], f) < 0)
            return -1;
    }
    if (fputc('\n', f) == EOF)
        return -1;
    for (size_t r = 0; r < s->nrows; r++) {
        const double *row = s->rows + r * s->ncols;
        for (size_t c = 0; c < s->ncols; c++) {
            if (fprintf(f, c > 0 ? ",%.6g" : "%.6g", row[c]) < 0)
                return -1;
        }
        if (fputc('\n', f) == EOF)
            return -1;
    }
    return ferror(f) ? -1 : 0;
}
