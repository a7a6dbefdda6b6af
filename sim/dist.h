/* Distributions of durations, compiled once from JSON into samplers; sampling goes through GSL
 * and never touches JSON or strings. */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stddef.h>

struct sim_error;

enum dist_kind {
    DIST_CONST,
    DIST_EXP,
    DIST_LOGNORMAL,
    DIST_GAMMA,
    DIST_UNIFORM,
    DIST_NORMAL,
    DIST_PARETO,
    DIST_EMPIRICAL,
};

struct dist {
    enum dist_kind kind;
    double p[3];    /* kind-specific parameters, precomputed for sampling */
    double *values; /* empirical values in s (owned) */
    size_t nvalues;
    double mean;    /* s; the distribution's mean (infinite for a Pareto with shape <= 1) */
    double scv;     /* squared coefficient of variation, Var/mean^2 (for M/G/1 formulas) */
};

/* A plain duration is a constant; an object is {"dist": ...} per SCENARIO.md. Errors name
 * `path` plus the offending member (path.mean, path.cv, ...). */
int dist_compile(struct dist *d, const cJSON *json, const char *path, struct sim_error *err);
void dist_const(struct dist *d, double value_s);
void dist_exp(struct dist *d, double mean_s);
/* A draw in s, never negative. The two common kinds are sampled inline, the rest out of line
 * (dist_sample_other). */
double dist_sample_other(const struct dist *d, gsl_rng *r);
static inline double dist_sample(const struct dist *d, gsl_rng *r)
{
    if (d->kind == DIST_EXP)
        return gsl_ran_exponential(r, d->p[0]);
    if (d->kind == DIST_CONST)
        return d->p[0];
    return dist_sample_other(d, r);
}
void dist_free(struct dist *d);
const char *dist_name(enum dist_kind k);

#endif
