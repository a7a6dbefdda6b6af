/* Tests for sim/dist.c: every form of SCENARIO.md compiles to the right kind and parameters,
 * mean and SCV are exact, samples match the moments, and every error names its JSON path. */
#include "sim/dist.h"
#include "sim/error.h"
#include "sim/rng.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

static int compile(struct dist *d, const char *json, const char *path, struct sim_error *err)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_msg(j != NULL, "test JSON does not parse: %s", json);
    memset(err, 0, sizeof *err);
    int rc = dist_compile(d, j, path, err);
    cJSON_Delete(j);
    return rc;
}

static void compile_ok(struct dist *d, const char *json)
{
    struct sim_error err;
    ck_assert_msg(compile(d, json, "svc", &err) == 0, "%s: %s: %s", json, err.path, err.msg);
}

/* Relative comparison for values computed along two different routes (a few roundings). */
static void assert_close(double got, double want, double rel, const char *what)
{
    ck_assert_msg(fabs(got - want) <= rel * fabs(want), "%s: got %.17g, want %.17g", what, got,
                  want);
}

/* The forms of SCENARIO.md, exactly as written there. */
START_TEST(test_scenario_forms)
{
    struct dist d;
    compile_ok(&d, "\"10ms\"");
    ck_assert_int_eq(d.kind, DIST_CONST);
    ck_assert_double_eq(d.p[0], 0.01);
    ck_assert_double_eq(d.mean, 0.01);
    ck_assert_double_eq(d.scv, 0);
    compile_ok(&d, "0.25");
    ck_assert_int_eq(d.kind, DIST_CONST);
    ck_assert_double_eq(d.mean, 0.25);

    compile_ok(&d, "{\"dist\":\"exp\",\"mean\":\"10ms\"}");
    ck_assert_int_eq(d.kind, DIST_EXP);
    ck_assert_double_eq(d.p[0], 0.01);
    ck_assert_double_eq(d.mean, 0.01);
    ck_assert_double_eq(d.scv, 1);

    compile_ok(&d, "{\"dist\":\"const\",\"value\":\"10ms\"}");
    ck_assert_int_eq(d.kind, DIST_CONST);
    ck_assert_double_eq(d.mean, 0.01);
    ck_assert_double_eq(d.scv, 0);

    compile_ok(&d, "{\"dist\":\"lognormal\",\"mean\":\"10ms\",\"cv\":0.5}");
    ck_assert_int_eq(d.kind, DIST_LOGNORMAL);
    ck_assert_double_eq(d.mean, 0.01);
    ck_assert_double_eq(d.scv, 0.25);
    assert_close(d.p[1], sqrt(log(1.25)), 1e-15, "lognormal sigma");
    assert_close(d.p[0], log(0.01) - log(1.25) / 2, 1e-15, "lognormal mu");

    compile_ok(&d, "{\"dist\":\"gamma\",\"mean\":\"10ms\",\"cv\":2}");
    ck_assert_int_eq(d.kind, DIST_GAMMA);
    ck_assert_double_eq(d.p[0], 0.25); /* shape 1/cv^2 */
    ck_assert_double_eq(d.p[1], 0.04); /* scale mean*cv^2 */
    ck_assert_double_eq(d.mean, 0.01);
    ck_assert_double_eq(d.scv, 4);

    compile_ok(&d, "{\"dist\":\"uniform\",\"min\":\"1ms\",\"max\":\"9ms\"}");
    ck_assert_int_eq(d.kind, DIST_UNIFORM);
    ck_assert_double_eq(d.p[0], 0.001);
    ck_assert_double_eq(d.p[1], 0.009);
    assert_close(d.mean, 0.005, 1e-15, "uniform mean");
    assert_close(d.scv, 0.008 * 0.008 / 12 / (0.005 * 0.005), 1e-14, "uniform scv");

    compile_ok(&d, "{\"dist\":\"normal\",\"mean\":\"10ms\",\"sd\":\"2ms\"}");
    ck_assert_int_eq(d.kind, DIST_NORMAL);
    ck_assert_double_eq(d.p[0], 0.01);
    ck_assert_double_eq(d.p[1], 0.002);
    /* Truncation at 5 sd moves the mean by sd*phi(5)/Phi(5) = 2.97e-9 s. */
    assert_close(d.mean, 0.01 + 0.002 * gsl_ran_ugaussian_pdf(5) / gsl_cdf_ugaussian_P(5), 1e-15,
                 "normal mean");

    compile_ok(&d, "{\"dist\":\"pareto\",\"shape\":1.5,\"scale\":\"2ms\"}");
    ck_assert_int_eq(d.kind, DIST_PARETO);
    ck_assert_double_eq(d.p[0], 1.5);
    ck_assert_double_eq(d.p[1], 0.002);
    assert_close(d.mean, 1.5 * 0.002 / 0.5, 1e-15, "pareto mean");
    ck_assert(isinf(d.scv)); /* shape <= 2: infinite variance */

    compile_ok(&d, "{\"dist\":\"empirical\",\"values\":[\"1ms\",\"3ms\",\"20ms\"]}");
    ck_assert_int_eq(d.kind, DIST_EMPIRICAL);
    ck_assert_uint_eq(d.nvalues, 3);
    ck_assert_double_eq(d.values[0], 0.001);
    ck_assert_double_eq(d.values[1], 0.003);
    ck_assert_double_eq(d.values[2], 0.02);
    assert_close(d.mean, 0.008, 1e-15, "empirical mean");
    /* Population variance ((7^2 + 5^2 + 12^2)/3) ms^2 = 72.667 ms^2 over a mean of 8 ms. */
    assert_close(d.scv, (49.0 + 25 + 144) / 3 / 64, 1e-14, "empirical scv");
    dist_free(&d);
    ck_assert_ptr_null(d.values);
    dist_free(&d); /* twice is harmless */
}
END_TEST

START_TEST(test_pareto_moments_by_shape)
{
    struct dist d;
    compile_ok(&d, "{\"dist\":\"pareto\",\"shape\":1,\"scale\":1}");
    ck_assert(isinf(d.mean));
    ck_assert(isinf(d.scv));
    compile_ok(&d, "{\"dist\":\"pareto\",\"shape\":3,\"scale\":2}");
    assert_close(d.mean, 3.0, 1e-15, "pareto 3 mean");
    assert_close(d.scv, 1.0 / 3, 1e-15, "pareto 3 scv"); /* 1/(a(a-2)) */
}
END_TEST

START_TEST(test_constructors_and_names)
{
    struct dist d;
    dist_const(&d, 0.5);
    ck_assert_int_eq(d.kind, DIST_CONST);
    ck_assert_double_eq(d.mean, 0.5);
    dist_exp(&d, 0.2);
    ck_assert_int_eq(d.kind, DIST_EXP);
    ck_assert_double_eq(d.mean, 0.2);
    ck_assert_double_eq(d.scv, 1);
    dist_exp(&d, 0);
    ck_assert_double_eq(d.scv, 0);
    gsl_rng *r = rng_stream(1, "t", 0, "zero");
    int nonzero = 0;
    for (int i = 0; i < 100; i++)
        nonzero += dist_sample(&d, r) != 0;
    ck_assert_int_eq(nonzero, 0);
    gsl_rng_free(r);
    static const char *const names[] = {"const",   "exp",    "lognormal", "gamma",
                                        "uniform", "normal", "pareto",    "empirical"};
    for (int k = DIST_CONST; k <= DIST_EMPIRICAL; k++)
        ck_assert_str_eq(dist_name((enum dist_kind)k), names[k]);
}
END_TEST

/* Moments of each kind, derived here independently of dist.c (raw moments E[X^k], k = 1..4). */
struct moments {
    const char *json;
    double m[5];
};

static void raw_exp(double mean, double *m)
{
    m[1] = mean, m[2] = 2 * pow(mean, 2), m[3] = 6 * pow(mean, 3), m[4] = 24 * pow(mean, 4);
}

static void raw_lognormal(double mean, double cv, double *m)
{
    double s2 = log(1 + cv * cv), mu = log(mean) - s2 / 2;
    for (int k = 1; k <= 4; k++)
        m[k] = exp(k * mu + k * k * s2 / 2);
}

static void raw_gamma(double mean, double cv, double *m)
{
    double shape = 1 / (cv * cv), scale = mean * cv * cv, prod = 1;
    for (int k = 1; k <= 4; k++) {
        prod *= (shape + k - 1) * scale;
        m[k] = prod;
    }
}

static void raw_uniform(double a, double b, double *m)
{
    for (int k = 1; k <= 4; k++)
        m[k] = (pow(b, k + 1) - pow(a, k + 1)) / ((k + 1) * (b - a));
}

/* N(mu, sigma^2) truncated to [0, inf): m_k = (k-1) sigma^2 m_{k-2} + mu m_{k-1}, plus
 * sigma phi(-mu/sigma)/Z for k = 1 only (the boundary term carries 0^(k-1)). */
static void raw_normal_truncated(double mu, double sigma, double *m)
{
    double z = gsl_cdf_ugaussian_P(mu / sigma);
    m[0] = 1;
    m[1] = mu + sigma * gsl_ran_ugaussian_pdf(mu / sigma) / z;
    for (int k = 2; k <= 4; k++)
        m[k] = (k - 1) * sigma * sigma * m[k - 2] + mu * m[k - 1];
}

static void raw_pareto(double a, double b, double *m)
{
    for (int k = 1; k <= 4; k++)
        m[k] = a * pow(b, k) / (a - k);
}

static void raw_values(const double *v, int n, double *m)
{
    for (int k = 1; k <= 4; k++) {
        m[k] = 0;
        for (int i = 0; i < n; i++)
            m[k] += pow(v[i], k) / n;
    }
}

static struct moments cases[11];
static int ncases;

static void setup_cases(void)
{
    static const double emp[4] = {0.001, 0.003, 0.02, 0.02};
    ncases = 0;
#define CASE(text, fill)                                                                           \
    do {                                                                                           \
        cases[ncases].json = text;                                                                 \
        fill;                                                                                      \
        ncases++;                                                                                  \
    } while (0)
    CASE("{\"dist\":\"exp\",\"mean\":\"10ms\"}", raw_exp(0.01, cases[ncases].m));
    CASE("{\"dist\":\"lognormal\",\"mean\":\"10ms\",\"cv\":0.5}",
         raw_lognormal(0.01, 0.5, cases[ncases].m));
    CASE("{\"dist\":\"gamma\",\"mean\":\"10ms\",\"cv\":2}", raw_gamma(0.01, 2, cases[ncases].m));
    CASE("{\"dist\":\"gamma\",\"mean\":\"10ms\",\"cv\":0.5}",
         raw_gamma(0.01, 0.5, cases[ncases].m));
    CASE("{\"dist\":\"uniform\",\"min\":\"1ms\",\"max\":\"9ms\"}",
         raw_uniform(0.001, 0.009, cases[ncases].m));
    CASE("{\"dist\":\"normal\",\"mean\":\"10ms\",\"sd\":\"2ms\"}",
         raw_normal_truncated(0.01, 0.002, cases[ncases].m));
    /* Mean half an sd above 0: 31% of the normal lies below 0 and is resampled. */
    CASE("{\"dist\":\"normal\",\"mean\":\"1ms\",\"sd\":\"2ms\"}",
         raw_normal_truncated(0.001, 0.002, cases[ncases].m));
    CASE("{\"dist\":\"normal\",\"mean\":0,\"sd\":\"2ms\"}",
         raw_normal_truncated(0, 0.002, cases[ncases].m));
    /* Shape 10: the 4th moment (needed for the variance test) is finite, and so is the 8th,
     * which keeps the sample variance close to normal at this n. */
    CASE("{\"dist\":\"pareto\",\"shape\":10,\"scale\":\"2ms\"}",
         raw_pareto(10, 0.002, cases[ncases].m));
    CASE("{\"dist\":\"empirical\",\"values\":[\"1ms\",\"3ms\",\"20ms\",0.02]}",
         raw_values(emp, 4, cases[ncases].m));
#undef CASE
}

#define NSAMPLES 200000
/* Inside sampling loops, violations are counted and asserted once afterwards: every Check
 * assertion, passing or not, records its location with a write to the runner, and 2e5 of
 * those would cost seconds. */

/* For each kind: dist.mean and dist.scv equal the independently derived moments, and 2e5
 * samples agree with them. By the CLT the sample mean has standard error sqrt(Var/n), and the
 * sample variance has standard error sqrt((mu4 - Var^2)/n), mu4 the 4th central moment; each
 * is allowed 4 standard errors (a two-sided 6e-5 chance of failing for a fresh seed; the seeds
 * here are fixed, so the outcome is deterministic). */
START_TEST(test_sample_moments)
{
    static double x[NSAMPLES];
    setup_cases();
    ck_assert_int_lt(_i, ncases);
    const struct moments *c = &cases[_i];
    const double *m = c->m;
    double var = m[2] - m[1] * m[1];
    double mu4 = m[4] - 4 * m[1] * m[3] + 6 * m[1] * m[1] * m[2] - 3 * pow(m[1], 4);

    struct dist d;
    compile_ok(&d, c->json);
    assert_close(d.mean, m[1], 1e-13, c->json);
    assert_close(d.scv, var / (m[1] * m[1]), 1e-10, c->json);

    gsl_rng *r = rng_stream(2024, "dist-test", (uint32_t)_i, "moments");
    long negative = 0;
    for (int i = 0; i < NSAMPLES; i++) {
        x[i] = dist_sample(&d, r);
        negative += x[i] < 0;
    }
    gsl_rng_free(r);
    ck_assert_int_eq(negative, 0);
    dist_free(&d);
    double mean = gsl_stats_mean(x, 1, NSAMPLES);
    double s2 = gsl_stats_variance_m(x, 1, NSAMPLES, mean);
    double se_mean = sqrt(var / NSAMPLES), se_var = sqrt((mu4 - var * var) / NSAMPLES);
    ck_assert_msg(fabs(mean - m[1]) <= 4 * se_mean, "%s: mean %g vs %g (se %g)", c->json, mean,
                  m[1], se_mean);
    ck_assert_msg(fabs(s2 - var) <= 4 * se_var, "%s: variance %g vs %g (se %g)", c->json, s2, var,
                  se_var);
}
END_TEST

/* The heavy-tailed form of SCENARIO.md (shape 1.5: infinite variance) is checked on its
 * quantiles instead: P(X > scale (1-q)^(-1/shape)) = 1-q. The fraction of 2e5 samples above
 * it is binomial with sd sqrt(q(1-q)/n); 4 sd allowed. */
START_TEST(test_pareto_heavy_tail_quantiles)
{
    struct dist d;
    compile_ok(&d, "{\"dist\":\"pareto\",\"shape\":1.5,\"scale\":\"2ms\"}");
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    long above[4] = {0}, below_scale = 0;
    gsl_rng *r = rng_stream(5, "dist-test", 0, "pareto");
    for (int i = 0; i < NSAMPLES; i++) {
        double v = dist_sample(&d, r);
        below_scale += v < 0.002;
        for (int j = 0; j < 4; j++)
            above[j] += v > 0.002 * pow(1 - qs[j], -1 / 1.5);
    }
    gsl_rng_free(r);
    ck_assert_int_eq(below_scale, 0);
    for (int j = 0; j < 4; j++) {
        double frac = (double)above[j] / NSAMPLES, want = 1 - qs[j];
        double sd = sqrt(qs[j] * (1 - qs[j]) / NSAMPLES);
        ck_assert_msg(fabs(frac - want) <= 4 * sd, "q=%g: %g above, want %g", qs[j], frac, want);
    }
}
END_TEST

/* A constant is exact, and each empirical value is drawn with probability 1/3 (binomial sd
 * sqrt((1/3)(2/3)/n) = 1.05e-3 at n = 2e5; 4 sd allowed). */
START_TEST(test_const_and_empirical_draws)
{
    struct dist d;
    gsl_rng *r = rng_stream(9, "dist-test", 0, "draws");
    compile_ok(&d, "{\"dist\":\"const\",\"value\":\"10ms\"}");
    int differ = 0;
    for (int i = 0; i < 1000; i++)
        differ += dist_sample(&d, r) != 0.01;
    ck_assert_int_eq(differ, 0);
    compile_ok(&d, "{\"dist\":\"empirical\",\"values\":[\"1ms\",\"3ms\",\"20ms\"]}");
    long count[4] = {0}; /* the last one counts values that are none of the three */
    for (int i = 0; i < NSAMPLES; i++) {
        double v = dist_sample(&d, r);
        count[v == 0.001 ? 0 : v == 0.003 ? 1 : v == 0.02 ? 2 : 3]++;
    }
    ck_assert_int_eq(count[3], 0);
    for (int j = 0; j < 3; j++)
        ck_assert_double_eq_tol((double)count[j] / NSAMPLES, 1.0 / 3, 4 * sqrt(2.0 / 9 / NSAMPLES));
    dist_free(&d);
    gsl_rng_free(r);
}
END_TEST

static const struct {
    const char *json;
    const char *path;
    const char *msg; /* a substring of the message */
} errors[] = {
    {"{\"dist\":\"exp\",\"meen\":\"10ms\"}", "svc.meen", "unknown member \"meen\""},
    {"{\"dist\":\"exp\",\"mean\":\"10ms\",\"cv\":0.5}", "svc.cv", "unknown member \"cv\""},
    {"{\"dist\":\"const\",\"value\":\"1ms\",\"mean\":\"1ms\"}", "svc.mean", "it takes: value"},
    {"{\"dist\":\"exp\"}", "svc.mean", "missing member \"mean\""},
    {"{\"dist\":\"uniform\",\"min\":\"1ms\"}", "svc.max", "missing member \"max\""},
    {"{\"mean\":\"10ms\"}", "svc.dist", "missing member \"dist\""},
    {"{}", "svc.dist", "missing member \"dist\""},
    {"{\"dist\":\"expo\",\"mean\":\"10ms\"}", "svc.dist", "unknown distribution \"expo\""},
    {"{\"dist\":3}", "svc.dist", "expected a distribution name"},
    {"{\"dist\":\"lognormal\",\"mean\":\"10ms\",\"cv\":\"0.5\"}", "svc.cv", "expected a number"},
    {"{\"dist\":\"lognormal\",\"mean\":\"10ms\",\"cv\":0}", "svc.cv", "cv must be > 0"},
    {"{\"dist\":\"gamma\",\"mean\":\"10ms\",\"cv\":-1}", "svc.cv", "cv must be > 0"},
    {"{\"dist\":\"gamma\",\"mean\":0,\"cv\":1}", "svc.mean", "mean must be > 0"},
    {"{\"dist\":\"exp\",\"mean\":0}", "svc.mean", "mean must be > 0"},
    {"{\"dist\":\"exp\",\"mean\":\"-1s\"}", "svc.mean", ">= 0"},
    {"{\"dist\":\"exp\",\"mean\":-0.5}", "svc.mean", ">= 0"},
    {"{\"dist\":\"exp\",\"mean\":\"5 parsecs\"}", "svc.mean", "got \"5 parsecs\""},
    {"{\"dist\":\"exp\",\"mean\":null}", "svc.mean", "expected a duration"},
    {"{\"dist\":\"uniform\",\"min\":\"9ms\",\"max\":\"1ms\"}", "svc.min", "must be <= max"},
    {"{\"dist\":\"normal\",\"mean\":\"10ms\",\"sd\":0}", "svc.sd", "sd must be > 0"},
    {"{\"dist\":\"pareto\",\"shape\":0,\"scale\":\"2ms\"}", "svc.shape", "shape must be > 0"},
    {"{\"dist\":\"pareto\",\"shape\":\"1.5\",\"scale\":\"2ms\"}", "svc.shape", "expected a number"},
    {"{\"dist\":\"pareto\",\"shape\":1.5,\"scale\":0}", "svc.scale", "scale must be > 0"},
    {"{\"dist\":\"empirical\",\"values\":[]}", "svc.values", "at least one value"},
    {"{\"dist\":\"empirical\",\"values\":\"1ms\"}", "svc.values", "expected an array"},
    {"{\"dist\":\"empirical\",\"values\":[\"1ms\",\"x\"]}", "svc.values[1]", "got \"x\""},
    {"{\"dist\":\"empirical\",\"values\":[\"1ms\"],\"weights\":[1]}", "svc.weights",
     "unknown member"},
    {"[1,2]", "svc", "expected a duration"},
    {"true", "svc", "expected a duration"},
    {"\"5 parsecs\"", "svc", "unknown unit \"parsecs\""},
    {"-0.5", "svc", ">= 0"},
};

START_TEST(test_errors_name_their_path)
{
    struct dist d;
    struct sim_error err;
    ck_assert_int_eq(compile(&d, errors[_i].json, "svc", &err), -1);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
    ck_assert_msg(strcmp(err.path, errors[_i].path) == 0, "%s: path %s, want %s", errors[_i].json,
                  err.path, errors[_i].path);
    ck_assert_msg(strstr(err.msg, errors[_i].msg) != NULL, "%s: message \"%s\" lacks \"%s\"",
                  errors[_i].json, err.msg, errors[_i].msg);
    /* A failed compile owns nothing (ASan's leak check covers the half-built empirical). */
    ck_assert_ptr_null(d.values);
    dist_free(&d);
}
END_TEST

/* Without a path, errors name the member alone; a nested path is kept whole. */
START_TEST(test_error_paths_compose)
{
    struct dist d;
    struct sim_error err;
    ck_assert_int_eq(compile(&d, "{\"dist\":\"exp\",\"meen\":1}", NULL, &err), -1);
    ck_assert_str_eq(err.path, "meen");
    ck_assert_int_eq(compile(&d, "{\"dist\":\"exp\",\"meen\":1}", "", &err), -1);
    ck_assert_str_eq(err.path, "meen");
    ck_assert_int_eq(
        compile(&d, "{\"dist\":\"lognormal\",\"mean\":1,\"cv\":0}", "components[2].service", &err),
        -1);
    ck_assert_str_eq(err.path, "components[2].service.cv");
}
END_TEST

Suite *dist_suite(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_forms);
    tcase_add_test(tc, test_pareto_moments_by_shape);
    tcase_add_test(tc, test_constructors_and_names);
    setup_cases();
    tcase_add_loop_test(tc, test_sample_moments, 0, ncases);
    tcase_add_test(tc, test_pareto_heavy_tail_quantiles);
    tcase_add_test(tc, test_const_and_empirical_draws);
    tcase_add_loop_test(tc, test_errors_name_their_path, 0,
                        (int)(sizeof errors / sizeof errors[0]));
    tcase_add_test(tc, test_error_paths_compose);
    suite_add_tcase(s, tc);
    return s;
}
