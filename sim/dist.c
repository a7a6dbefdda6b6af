/* Duration distributions: strict compilation from the JSON forms of SCENARIO.md into a kind
 * plus precomputed GSL parameters, exact mean and SCV for queueing formulas, and sampling. */
#include "sim/dist.h"

#include "sim/error.h"
#include "sim/units.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by enum dist_kind: the JSON name and the members each kind requires (all of them;
 * none is optional, so a missing one is always an error). */
static const struct {
    const char *name;
    const char *members[3];
} kinds[] = {
    [DIST_CONST] = {"const", {"value"}},
    [DIST_EXP] = {"exp", {"mean"}},
    [DIST_LOGNORMAL] = {"lognormal", {"mean", "cv"}},
    [DIST_GAMMA] = {"gamma", {"mean", "cv"}},
    [DIST_UNIFORM] = {"uniform", {"min", "max"}},
    [DIST_NORMAL] = {"normal", {"mean", "sd"}},
    [DIST_PARETO] = {"pareto", {"shape", "scale"}},
    [DIST_EMPIRICAL] = {"empirical", {"values"}},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const char *dist_name(enum dist_kind k)
{
    return (size_t)k < NKINDS ? kinds[k].name : "unknown";
}

/* Paths longer than this are cut; they only ever serve messages. */
#define PATH_MAX_LEN 256

static void member_path(char *out, const char *path, const char *member)
{
    if (path && path[0])
        snprintf(out, PATH_MAX_LEN, "%s.%s", path, member);
    else
        snprintf(out, PATH_MAX_LEN, "%s", member);
}

static void kind_list(char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t k = 0; k < NKINDS && n < len; k++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", k ? ", " : "", kinds[k].name);
}

static void member_list(enum dist_kind k, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 3 && kinds[k].members[i] && n < len; i++)
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", kinds[k].members[i]);
}

static int takes_member(enum dist_kind k, const char *name)
{
    for (size_t i = 0; i < 3 && kinds[k].members[i]; i++)
        if (strcmp(kinds[k].members[i], name) == 0)
            return 1;
    return 0;
}

/* Bounds that keep every sample finite (a NaN or infinite time would break the clock): no
 * duration past the longest run, and shapes that cannot overflow a double. With them the
 * largest draws stay below about 1e106 s (Pareto at the smallest shape, 2^-32 uniforms). */
#define DIST_MAX_S 1e9 /* s, about 31 years */
#define DIST_MAX_CV 1000.0
#define DIST_MIN_SHAPE 0.1 /* Pareto: scale x U^(-1/shape) */
#define DIST_MAX_SHAPE 1e6

/* A duration at most DIST_MAX_S. */
static int bounded_duration(const cJSON *j, const char *path, double *out, struct sim_error *err)
{
    if (units_duration(j, path, out, err))
        return -1;
    if (*out > DIST_MAX_S)
        return sim_fail(err, path, "must be at most %g s (about 31 years), got %g s", DIST_MAX_S,
                        *out);
    return 0;
}

static int get_duration(const cJSON *obj, const char *path, const char *name, double *out,
                        struct sim_error *err)
{
    char p[PATH_MAX_LEN];
    member_path(p, path, name);
    return bounded_duration(cJSON_GetObjectItemCaseSensitive(obj, name), p, out, err);
}

static int fail_range(struct sim_error *err, const char *path, const char *name, double lo,
                      double hi, double v)
{
    char p[PATH_MAX_LEN];
    member_path(p, path, name);
    return sim_fail(err, p, "%s must be from %g to %g, got %g", name, lo, hi, v);
}

static int get_number(const cJSON *obj, const char *path, const char *name, double *out,
                      struct sim_error *err)
{
    char p[PATH_MAX_LEN];
    member_path(p, path, name);
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(j))
        return sim_fail(err, p, "expected a number");
    if (!isfinite(j->valuedouble))
        return sim_fail(err, p, "expected a finite number, got %g", j->valuedouble);
    *out = j->valuedouble;
    return 0;
}

static int fail_positive(struct sim_error *err, const char *path, const char *name, double v)
{
    char p[PATH_MAX_LEN];
    member_path(p, path, name);
    return sim_fail(err, p, "%s must be > 0, got %g", name, v);
}

/* Mean and SCV of N(mu, sigma^2) conditioned on being >= 0, which is what resampling the
 * negatives draws. With a = mu/sigma >= 0 and lambda = phi(a) / Phi(a) (the inverse Mills
 * ratio), mean = mu + sigma*lambda and var = sigma^2 (1 - a*lambda - lambda^2); Phi(a) >= 1/2
 * here, so neither expression cancels badly. */
static void normal_truncated_moments(double mu, double sigma, double *mean, double *var)
{
    double a = mu / sigma;
    double lambda = gsl_ran_ugaussian_pdf(a) / gsl_cdf_ugaussian_P(a);
    *mean = mu + sigma * lambda;
    *var = sigma * sigma * (1 - a * lambda - lambda * lambda);
}

static void set_pareto_moments(struct dist *d, double shape, double scale)
{
    /* E[X] = shape*scale/(shape-1) for shape > 1; Var/mean^2 = 1/(shape(shape-2)) for
     * shape > 2. Below those the moments diverge, which the M/G/1 formulas read as "infinite
     * waiting time". */
    d->mean = shape > 1 ? shape * scale / (shape - 1) : INFINITY;
    d->scv = shape > 2 ? 1 / (shape * (shape - 2)) : INFINITY;
}

static int compile_empirical(struct dist *d, const cJSON *obj, const char *path,
                             struct sim_error *err)
{
    char p[PATH_MAX_LEN], ip[PATH_MAX_LEN + 24];
    member_path(p, path, "values");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "values");
    if (!cJSON_IsArray(arr))
        return sim_fail(err, p, "expected an array of durations such as [\"1ms\", \"3ms\"]");
    int n = cJSON_GetArraySize(arr);
    if (n <= 0)
        return sim_fail(err, p, "an empirical distribution needs at least one value");
    double *v = sim_xmalloc((size_t)n * sizeof *v);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        snprintf(ip, sizeof ip, "%s[%d]", p, i);
        if (bounded_duration(it, ip, &v[i], err) != 0) {
            free(v);
            return -1;
        }
        i++;
    }
    d->values = v;
    d->nvalues = (size_t)n;
    /* Each value is drawn with probability 1/n, so the population (not sample) variance is
     * the exact one: gsl_stats_variance_with_fixed_mean divides by n. */
    d->mean = gsl_stats_mean(v, 1, d->nvalues);
    double var = gsl_stats_variance_with_fixed_mean(v, 1, d->nvalues, d->mean);
    d->scv = d->mean > 0 ? var / (d->mean * d->mean) : 0;
    return 0;
}

static int compile_object(struct dist *d, const cJSON *obj, const char *path, struct sim_error *err)
{
    char p[PATH_MAX_LEN], names[128];
    member_path(p, path, "dist");
    const cJSON *jk = cJSON_GetObjectItemCaseSensitive(obj, "dist");
    kind_list(names, sizeof names);
    if (!jk)
        return sim_fail(err, p, "missing member \"dist\" (one of: %s)", names);
    if (!cJSON_IsString(jk) || !jk->valuestring)
        return sim_fail(err, p, "expected a distribution name (one of: %s)", names);
    size_t k = 0;
    while (k < NKINDS && strcmp(kinds[k].name, jk->valuestring) != 0)
        k++;
    if (k == NKINDS)
        return sim_fail(err, p, "unknown distribution \"%s\" (one of: %s)", jk->valuestring, names);
    enum dist_kind kind = (enum dist_kind)k;
    char takes[64];
    member_list(kind, takes, sizeof takes);
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (strcmp(m->string, "dist") != 0 && !takes_member(kind, m->string)) {
            member_path(p, path, m->string);
            return sim_fail(err, p, "unknown member \"%s\" for {\"dist\":\"%s\"} (it takes: %s)",
                            m->string, kinds[kind].name, takes);
        }
    }
    for (size_t i = 0; i < 3 && kinds[kind].members[i]; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(obj, kinds[kind].members[i])) {
            member_path(p, path, kinds[kind].members[i]);
            return sim_fail(err, p, "missing member \"%s\" for {\"dist\":\"%s\"} (it takes: %s)",
                            kinds[kind].members[i], kinds[kind].name, takes);
        }
    }

    d->kind = kind;
    double a, b;
    switch (kind) {
    case DIST_CONST:
        if (get_duration(obj, path, "value", &a, err))
            return -1;
        dist_const(d, a);
        return 0;
    case DIST_EXP:
        if (get_duration(obj, path, "mean", &a, err))
            return -1;
        if (a <= 0)
            return fail_positive(err, path, "mean", a);
        dist_exp(d, a);
        return 0;
    case DIST_LOGNORMAL:
    case DIST_GAMMA:
        if (get_duration(obj, path, "mean", &a, err) || get_number(obj, path, "cv", &b, err))
            return -1;
        if (a <= 0)
            return fail_positive(err, path, "mean", a);
        if (b <= 0)
            return fail_positive(err, path, "cv", b);
        if (b > DIST_MAX_CV)
            return fail_range(err, path, "cv", 0, DIST_MAX_CV, b);
        d->mean = a;
        d->scv = b * b;
        if (kind == DIST_LOGNORMAL) {
            /* With sigma^2 = ln(1 + cv^2) and mu = ln(mean) - sigma^2/2 the lognormal has
             * exactly this mean and cv. */
            double s2 = log1p(b * b);
            d->p[0] = log(a) - s2 / 2;
            d->p[1] = sqrt(s2);
        } else {
            /* Gamma(shape k, scale theta): mean k*theta, cv^2 = 1/k. */
            d->p[0] = 1 / (b * b);
            d->p[1] = a * b * b;
        }
        return 0;
    case DIST_UNIFORM:
        if (get_duration(obj, path, "min", &a, err) || get_duration(obj, path, "max", &b, err))
            return -1;
        if (a > b) {
            member_path(p, path, "min");
            return sim_fail(err, p, "min (%gs) must be <= max (%gs)", a, b);
        }
        d->p[0] = a;
        d->p[1] = b;
        d->mean = (a + b) / 2;
        d->scv = d->mean > 0 ? (b - a) * (b - a) / 12 / (d->mean * d->mean) : 0;
        return 0;
    case DIST_NORMAL: {
        if (get_duration(obj, path, "mean", &a, err) || get_duration(obj, path, "sd", &b, err))
            return -1;
        if (b <= 0)
            return fail_positive(err, path, "sd", b);
        double var;
        d->p[0] = a;
        d->p[1] = b;
        normal_truncated_moments(a, b, &d->mean, &var);
        d->scv = var / (d->mean * d->mean);
        return 0;
    }
    case DIST_PARETO:
        if (get_number(obj, path, "shape", &a, err) || get_duration(obj, path, "scale", &b, err))
            return -1;
        if (a <= 0)
            return fail_positive(err, path, "shape", a);
        if (a < DIST_MIN_SHAPE || a > DIST_MAX_SHAPE)
            return fail_range(err, path, "shape", DIST_MIN_SHAPE, DIST_MAX_SHAPE, a);
        if (b <= 0)
            return fail_positive(err, path, "scale", b);
        d->p[0] = a;
        d->p[1] = b;
        set_pareto_moments(d, a, b);
        return 0;
    case DIST_EMPIRICAL:
        return compile_empirical(d, obj, path, err);
    }
    SIM_ASSERT(!"unhandled distribution kind");
    return -1;
}

int dist_compile(struct dist *d, const cJSON *json, const char *path, struct sim_error *err)
{
    memset(d, 0, sizeof *d);
    d->kind = DIST_CONST;
    if (cJSON_IsNumber(json) || cJSON_IsString(json)) {
        double v;
        if (bounded_duration(json, path, &v, err))
            return -1;
        dist_const(d, v);
        return 0;
    }
    if (!cJSON_IsObject(json))
        return sim_fail(err, path,
                        "expected a duration such as \"5ms\", a number of seconds, or a "
                        "distribution such as {\"dist\":\"exp\",\"mean\":\"10ms\"}");
    if (compile_object(d, json, path, err) == 0)
        return 0;
    dist_free(d);
    memset(d, 0, sizeof *d);
    d->kind = DIST_CONST;
    return -1;
}

void dist_const(struct dist *d, double value_s)
{
    SIM_ASSERT(isfinite(value_s) && value_s >= 0);
    memset(d, 0, sizeof *d);
    d->kind = DIST_CONST;
    d->p[0] = value_s;
    d->mean = value_s;
    d->scv = 0;
}

void dist_exp(struct dist *d, double mean_s)
{
    SIM_ASSERT(isfinite(mean_s) && mean_s >= 0);
    memset(d, 0, sizeof *d);
    d->kind = DIST_EXP;
    d->p[0] = mean_s;
    d->mean = mean_s;
    /* Var = mean^2, so SCV 1; a zero mean is the constant 0, with no variance. */
    d->scv = mean_s > 0 ? 1 : 0;
}

double dist_sample_other(const struct dist *d, gsl_rng *r)
{
    switch (d->kind) {
    case DIST_CONST:
        return d->p[0];
    case DIST_EXP:
        return gsl_ran_exponential(r, d->p[0]);
    case DIST_LOGNORMAL:
        return gsl_ran_lognormal(r, d->p[0], d->p[1]);
    case DIST_GAMMA:
        return gsl_ran_gamma(r, d->p[0], d->p[1]);
    case DIST_UNIFORM:
        return gsl_ran_flat(r, d->p[0], d->p[1]);
    case DIST_NORMAL: {
        /* mean >= 0, so at least half of the draws are accepted: two tries on average at
         * worst. */
        double x;
        do
            x = d->p[0] + gsl_ran_gaussian(r, d->p[1]);
        while (x < 0);
        return x;
    }
    case DIST_PARETO:
        return gsl_ran_pareto(r, d->p[0], d->p[1]);
    case DIST_EMPIRICAL:
        return d->values[gsl_rng_uniform_int(r, d->nvalues)];
    }
    SIM_ASSERT(!"unhandled distribution kind");
    return 0;
}

void dist_free(struct dist *d)
{
    if (!d)
        return;
    free(d->values);
    d->values = NULL;
    d->nvalues = 0;
}
