/* End-to-end validation against queueing theory: whole scenarios through the loader and the
 * runtime, compared with M/M/1, M/M/c (Erlang C), M/D/1 and M/G/1 (Pollaczek-Khinchine),
 * Erlang B and Little's law.
 *
 * How the tolerances are set: each check runs R independent replications (seeds 1..R) and
 * treats the R replication estimates as i.i.d. (they are: independent streams, each with its
 * own warm-up). The theoretical value must lie within t(0.9995, R-1) standard errors of their
 * mean: a 99.9% confidence interval, so a correct simulator fails a check about once in a
 * thousand seed sets, and these seeds are fixed. A small bias allowance is added where
 * stated: the histogram's bucket resolution (under 0.4% at the midpoint) for percentiles. */
#include "models/registry.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/world.h"

#include "tests/testutil.h"

#include <check.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define REPS 8

struct outcome {
    double mean, p50, p99;  /* s */
    double reject_frac;     /* rejected / arrived */
    double throughput;      /* completed/s */
    double in_system;       /* time-average number in the server (busy + waiting) */
    uint64_t completed;
};

static struct outcome run_one(const struct scenario *sc, uint64_t seed)
{
    struct sim_error err = {0};
    struct world *w;
    ck_assert_int_eq(world_create(sc, seed, &w, &err), 0);
    ck_assert_int_eq(world_run(w, NULL, NULL, NULL, &err), 0);
    struct outcome o = {0};
    o.mean = hist_mean(&w->latency);
    o.p50 = hist_quantile(&w->latency, 0.5);
    o.p99 = hist_quantile(&w->latency, 0.99);
    o.completed = w->completed;
    o.reject_frac = w->arrived ? (double)w->rejected / (double)w->arrived : 0;
    double span = w->sim.now - sc->warmup;
    o.throughput = (double)w->completed / span;
    cJSON *s = report_summary(w);
    const cJSON *server = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "components"), "server");
    /* The number in the system: busy workers plus the waiting room, time-averaged. */
    o.in_system = cJSON_GetObjectItem(server, "busy_mean")->valuedouble +
                  cJSON_GetObjectItem(server, "queue_mean")->valuedouble;
    cJSON_Delete(s);
    world_free(w);
    return o;
}

/* Mean and 99.9% half-width of R replication estimates. */
static void interval(const double *x, int n, double *mean, double *half)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    v /= n - 1;
    *mean = m;
    *half = gsl_cdf_tdist_Pinv(0.9995, n - 1) * sqrt(v / n);
}

#define FIELD_MEAN 0
#define FIELD_P50 1
#define FIELD_P99 2
#define FIELD_REJECT 3
#define FIELD_LITTLE 4

static double field(const struct outcome *o, int which, double lambda)
{
    switch (which) {
    case FIELD_MEAN:
        return o->mean;
    case FIELD_P50:
        return o->p50;
    case FIELD_P99:
        return o->p99;
    case FIELD_REJECT:
        return o->reject_frac;
    default:
        /* Little's law: L - lambda_eff x W, which must be 0. */
        return o->in_system - lambda * (1 - o->reject_frac) * o->mean;
    }
}

static void check_against(const char *what, const struct outcome *runs, int which,
                          double lambda, double theory, double bias_allowance)
{
    double x[REPS];
    for (int i = 0; i < REPS; i++)
        x[i] = field(&runs[i], which, lambda);
    double m, h;
    interval(x, REPS, &m, &h);
    double tol = h + bias_allowance;
    fprintf(stderr, "theory: %-28s simulated %.6g ± %.3g (99.9%%), theory %.6g\n", what, m, tol,
            theory);
    ck_assert_msg(fabs(m - theory) <= tol, "%s: simulated %.6g, theory %.6g, tolerance %.3g",
                  what, m, theory, tol);
}

static void replicate(const char *text, struct outcome *runs)
{
    struct scenario *sc = tu_load(text);
    for (int i = 0; i < REPS; i++)
        runs[i] = run_one(sc, (uint64_t)i + 1);
    scenario_free(sc);
}

static const char *server_scenario(char *buf, size_t len, double rate, int workers,
                                   const char *queue, const char *service, const char *duration)
{
    snprintf(buf, len,
             "{\"name\":\"t\",\"duration\":\"%s\",\"metrics\":{\"interval\":\"50s\","
             "\"warmup\":\"50s\"},\"workload\":{\"rate\":%g,\"entry\":\"server\"},"
             "\"components\":[{\"id\":\"server\",\"type\":\"service\",\"workers\": %d,"
             "\"queue\":%s,\"service\":%s}]}",
             duration, rate, workers, queue, service);
    return buf;
}

/* M/M/1 at rho = 0.7: time in system is exponential with rate mu - lambda = 30/s. */
START_TEST(test_mm1)
{
    char text[1024];
    struct outcome runs[REPS];
    replicate(server_scenario(text, sizeof text, 70, 1, "\"unlimited\"",
                              "{\"dist\":\"exp\",\"mean\":\"10ms\"}", "1500s"),
              runs);
    double rate = 30;
    check_against("M/M/1 mean", runs, FIELD_MEAN, 70, 1 / rate, 0);
    check_against("M/M/1 p50", runs, FIELD_P50, 70, log(2) / rate, 0.004 * log(2) / rate);
    check_against("M/M/1 p99", runs, FIELD_P99, 70, log(100) / rate, 0.004 * log(100) / rate);
    check_against("M/M/1 Little's law", runs, FIELD_LITTLE, 70, 0, 0);
}
END_TEST

/* Erlang C: the probability of waiting in M/M/c, from Erlang B by the usual recurrence. */
static double erlang_b(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

static double erlang_c(int c, double a)
{
    double b = erlang_b(c, a);
    double rho = a / c;
    return b / (1 - rho + rho * b);
}

/* M/M/4 at rho = 0.75: W = C(c, a) / (c mu - lambda) + 1 / mu. */
START_TEST(test_mmc)
{
    char text[1024];
    struct outcome runs[REPS];
    replicate(server_scenario(text, sizeof text, 300, 4, "\"unlimited\"",
                              "{\"dist\":\"exp\",\"mean\":\"10ms\"}", "600s"),
              runs);
    double mu = 100, lambda = 300;
    double w = erlang_c(4, lambda / mu) / (4 * mu - lambda) + 1 / mu;
    check_against("M/M/4 mean (Erlang C)", runs, FIELD_MEAN, lambda, w, 0);
    check_against("M/M/4 Little's law", runs, FIELD_LITTLE, lambda, 0, 0);
}
END_TEST

/* M/D/1 at rho = 0.7: Wq = rho / (2 mu (1 - rho)). */
START_TEST(test_md1)
{
    char text[1024];
    struct outcome runs[REPS];
    replicate(server_scenario(text, sizeof text, 70, 1, "\"unlimited\"", "\"10ms\"", "1000s"),
              runs);
    double mu = 100, rho = 0.7;
    check_against("M/D/1 mean", runs, FIELD_MEAN, 70, rho / (2 * mu * (1 - rho)) + 1 / mu, 0);
}
END_TEST

/* M/G/1 with lognormal service (mean 10 ms, cv 1.5) at rho = 0.6, Pollaczek-Khinchine:
 * Wq = lambda E[S^2] / (2 (1 - rho)), E[S^2] = (1 + cv^2) E[S]^2. */
START_TEST(test_mg1_lognormal)
{
    char text[1024];
    struct outcome runs[REPS];
    replicate(server_scenario(text, sizeof text, 60, 1, "\"unlimited\"",
                              "{\"dist\":\"lognormal\",\"mean\":\"10ms\",\"cv\":1.5}", "2000s"),
              runs);
    double lambda = 60, es = 0.010, rho = lambda * es;
    double es2 = (1 + 1.5 * 1.5) * es * es;
    check_against("M/G/1 lognormal mean (P-K)", runs, FIELD_MEAN, lambda,
                  lambda * es2 / (2 * (1 - rho)) + es, 0);
}
END_TEST

/* Erlang B: five workers, no waiting room, 4 Erlangs offered: B(5, 4) of requests rejected;
 * those admitted spend exactly a service time. */
START_TEST(test_erlang_b)
{
    char text[1024];
    struct outcome runs[REPS];
    replicate(server_scenario(text, sizeof text, 400, 5, "0",
                              "{\"dist\":\"exp\",\"mean\":\"10ms\"}", "300s"),
              runs);
    check_against("Erlang B loss", runs, FIELD_REJECT, 400, erlang_b(5, 4.0), 0);
    check_against("Erlang B admitted mean", runs, FIELD_MEAN, 400, 0.010, 0);
    check_against("Erlang B Little's law", runs, FIELD_LITTLE, 400, 0, 0);
}
END_TEST

Suite *theory_suite(void)
{
    Suite *s = suite_create("theory");
    TCase *tc = tcase_create("queueing");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_mm1);
    tcase_add_test(tc, test_mmc);
    tcase_add_test(tc, test_md1);
    tcase_add_test(tc, test_mg1_lognormal);
    tcase_add_test(tc, test_erlang_b);
    suite_add_tcase(s, tc);
    return s;
}
