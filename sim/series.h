/* Per-interval time series: named columns, one row per metrics interval, and prefix sums so
 * that the sum or mean of any column over any range of rows costs O(1). */
#ifndef SIM_SERIES_H
#define SIM_SERIES_H

#include <stddef.h>
#include <stdio.h>

struct series {
    size_t ncols;
    char **names;   /* owned */
    size_t nrows, cap;
    double *rows;   /* nrows x ncols, row-major */
    double *prefix; /* (nrows + 1) x ncols: prefix[r][c] = sum of rows[0..r-1][c] */
};

void series_init(struct series *s);
void series_free(struct series *s);
/* Adds a column before the first row is appended; returns its index. */
size_t series_add_column(struct series *s, const char *name);
/* Appends one row of ncols values. */
void series_append(struct series *s, const double *row);
double series_get(const struct series *s, size_t row, size_t col);
/* Sum and mean of column col over rows [from, to) in O(1); 0 for an empty range. */
double series_range_sum(const struct series *s, size_t col, size_t from, size_t to);
double series_range_mean(const struct series *s, size_t col, size_t from, size_t to);
/* Header line of column names, then one line per row, comma-separated, numbers in %.6g. */
int series_write_csv(const struct series *s, FILE *f);

#endif
