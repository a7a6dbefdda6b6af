/* The baseline for `clustersim run`: the same M/M/1 queue written by hand as a plain C event
 * loop, with what any real simulator must keep (FIFO waiting line, latency histogram). */
#include "sim/clock.h"
#include "sim/error.h"
#include "sim/stats.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { ARRIVAL, DEPARTURE };

struct event {
    double t; /* s */
    int type;
};

/* A binary min-heap on time. M/M/1 never holds more than two events, but a general heap is
 * what a straightforward simulation would write, and what it would pay for. */
struct heap {
    struct event *e;
    size_t n, cap;
};

static void heap_push(struct heap *h, double t, int type)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->e = sim_xrealloc(h->e, h->cap * sizeof *h->e);
    }
    size_t i = h->n++;
    while (i > 0 && h->e[(i - 1) / 2].t > t) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = (struct event){t, type};
}

static struct event heap_pop(struct heap *h)
{
    struct event top = h->e[0], last = h->e[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->e[c + 1].t < h->e[c].t)
            c++;
        if (!(h->e[c].t < last.t))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    h->e[i] = last;
    return top;
}

/* The waiting line: arrival times of requests in the system, oldest first (a growable ring
 * whose size is a power of two). */
struct fifo {
    double *t; /* s */
    size_t head, n, cap;
};

static void fifo_push(struct fifo *f, double t)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 1024;
        double *nt = sim_xmalloc(cap * sizeof *nt);
        for (size_t i = 0; i < f->n; i++)
            nt[i] = f->t[(f->head + i) & (f->cap - 1)];
        free(f->t);
        f->t = nt;
        f->head = 0;
        f->cap = cap;
    }
    f->t[(f->head + f->n++) & (f->cap - 1)] = t;
}

static double fifo_pop(struct fifo *f)
{
    double t = f->t[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->n--;
    return t;
}

int main(int argc, char **argv)
{
    double lambda = argc > 1 ? atof(argv[1]) : 80;                     /* req/s */
    double mu = argc > 2 ? atof(argv[2]) : 100;                        /* req/s per server */
    unsigned long long requests = argc > 3 ? strtoull(argv[3], NULL, 10) : 2000000;
    unsigned long seed = argc > 4 ? strtoul(argv[4], NULL, 10) : 1;
    if (argc > 5 || !(lambda > 0) || !(mu > lambda) || requests == 0) {
        fprintf(stderr, "usage: mm1_bare [LAMBDA [MU [REQUESTS [SEED]]]]  (0 < LAMBDA < MU)\n");
        return 2;
    }

    double t0 = clock_wall_s();
    /* Separate streams for arrivals and service, as the simulator keeps them. */
    gsl_rng *arr = gsl_rng_alloc(gsl_rng_mt19937), *svc = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(arr, seed);
    gsl_rng_set(svc, seed + 1);
    struct heap h = {0};
    struct fifo line = {0};
    struct hist lat;
    hist_init(&lat);

    unsigned long long arrived = 0, events = 0;
    double now = 0;
    heap_push(&h, gsl_ran_exponential(arr, 1 / lambda), ARRIVAL);
    while (h.n) {
        struct event ev = heap_pop(&h);
        now = ev.t;
        events++;
        if (ev.type == ARRIVAL) {
            arrived++;
            fifo_push(&line, now);
            if (line.n == 1)
                heap_push(&h, now + gsl_ran_exponential(svc, 1 / mu), DEPARTURE);
            if (arrived < requests)
                heap_push(&h, now + gsl_ran_exponential(arr, 1 / lambda), ARRIVAL);
        } else {
            hist_record(&lat, now - fifo_pop(&line));
            if (line.n)
                heap_push(&h, now + gsl_ran_exponential(svc, 1 / mu), DEPARTURE);
        }
    }
    double wall = clock_wall_s() - t0;

    /* M/M/1 sojourn time is exponential with rate mu - lambda. */
    printf("mm1_bare lambda=%g mu=%g requests=%llu completed=%llu events=%llu sim_s=%.1f "
           "wall_s=%.4f mean_ms=%.3f p99_ms=%.3f theory_mean_ms=%.3f theory_p99_ms=%.3f\n",
           lambda, mu, requests, (unsigned long long)hist_count(&lat), events, now, wall,
           hist_mean(&lat) * 1e3, hist_quantile(&lat, 0.99) * 1e3, 1e3 / (mu - lambda),
           1e3 * log(100) / (mu - lambda));
    hist_free(&lat);
    free(h.e);
    free(line.t);
    gsl_rng_free(arr);
    gsl_rng_free(svc);
    return 0;
}
