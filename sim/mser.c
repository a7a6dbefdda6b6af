/* MSER-5: batch the observations in fives, then pick the number d of leading batches to drop
 * that minimises MSER(d) = sum over kept batches of (Y_j - mean)^2 / (n - d)^2, searching the
 * first half only (beyond it the rule is known to chase noise in the tail). */
#include "sim/mser.h"
#include "sim/error.h"

#include <math.h>
#include <stdlib.h>

size_t mser5(const double *sum, const double *weight, size_t n, double *stat)
{
    size_t nb = n / 5;
    if (stat)
        *stat = NAN;
    if (nb < 2)
        return 0;
    double *y = sim_xcalloc(nb, sizeof *y);
    size_t valid = 0;
    for (size_t b = 0; b < nb; b++) {
        double s = 0, w = 0;
        for (size_t i = 5 * b; i < 5 * b + 5; i++) {
            s += sum[i];
            w += weight[i];
        }
        /* An empty batch (no completions) carries no information: it repeats the last mean. */
        y[b] = w > 0 ? s / w : (b ? y[b - 1] : NAN);
        valid += w > 0;
    }
    size_t first = 0;
    while (first < nb && isnan(y[first]))
        first++;
    if (valid < 2 || first >= nb / 2) {
        free(y);
        return 0;
    }
    /* Suffix sums make each MSER(d) O(1): sum of y and of y^2 over batches d..nb-1. */
    double best = INFINITY;
    size_t best_d = first;
    double s1 = 0, s2 = 0;
    double *m1 = sim_xcalloc(nb + 1, sizeof *m1), *m2 = sim_xcalloc(nb + 1, sizeof *m2);
    for (size_t b = nb; b-- > first;) {
        s1 += y[b];
        s2 += y[b] * y[b];
        m1[b] = s1;
        m2[b] = s2;
    }
    for (size_t d = first; d <= nb / 2; d++) {
        double k = (double)(nb - d);
        double ss = m2[d] - m1[d] * m1[d] / k; /* sum of squared deviations */
        double v = (ss < 0 ? 0 : ss) / (k * k);
        if (v < best) {
            best = v;
            best_d = d;
        }
    }
    free(m1);
    free(m2);
    free(y);
    if (stat)
        *stat = best;
    return 5 * best_d;
}
