/* Warm-up detection by MSER-5 (White's Marginal Standard Error Rule on batches of five
 * observations): the truncation point that minimises the squared standard error of the mean
 * of what is left. */
#ifndef SIM_MSER_H
#define SIM_MSER_H

#include <stddef.h>

/* obs[i] is the i-th observation's sum and weight[i] its count (an interval's latency sum and
 * number of completions); batches of five consecutive observations are weighted means. Returns
 * the number of observations to drop (a multiple of 5, at most half of them), and the MSER
 * statistic at that point in *stat. Fewer than 10 observations: 0. */
size_t mser5(const double *sum, const double *weight, size_t n, double *stat);

#endif
