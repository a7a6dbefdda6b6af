/* Key popularity: uniform; Zipf by GSL's Walker alias table over the most popular ranks and
 * geometric blocks of the others, drawn under a piecewise-constant hat and accepted by
 * rejection (any count, a table of some 16k outcomes), or by Hörmann & Derflinger's
 * rejection-inversion (no table); hot keys mixed on top. */
#include "sim/keys.h"

#include "sim/error.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Rejection-inversion constants, named after Apache Commons RNG's RejectionInversionZipfSampler
 * (whose H(x) = (x^(1-s) - 1)/(1-s) has a limit at s = 1, log(x), so one code path serves every
 * exponent > 0). */
enum { RI_HX1, RI_HN, RI_SPAN, RI_CUT };

/* A block of ranks beyond the head is 1/64 of its first rank long: within it the pmf falls by
 * at most a factor (64/65)^s, so at s <= 1 over 98% of the block draws are accepted by the
 * squeeze alone, and the blocks number about 64 ln(count / head): 266 for 1M keys after a
 * head of 2^14, 1,700 for 2^52 keys. */
#define BLOCK_SHIFT 6

/* The blocks after the head: the first rank of each block in turn, ending with count + 1.
 * Calls fn(ctx, lo, n) for each block of n ranks from lo (1-based) and returns the number of
 * blocks. */
static uint64_t for_blocks(uint64_t head, uint64_t count, void (*fn)(void *, uint64_t, uint64_t),
                           void *ctx)
{
    uint64_t nb = 0;
    for (uint64_t lo = head + 1; lo <= count; nb++) {
        uint64_t n = lo >> BLOCK_SHIFT ? lo >> BLOCK_SHIFT : 1;
        if (n > count - lo + 1)
            n = count - lo + 1;
        if (fn)
            fn(ctx, lo, n);
        lo += n;
    }
    return nb;
}

struct block_build {
    struct keydist *k;
    double *w; /* alias weights, after the head's */
    uint64_t i;
};

/* The hat over a block is its first rank's weight lo^-s for each of its n ranks; a rank
 * drawn uniformly in it is kept with probability (lo / rank)^s, at least the squeeze. */
static void add_block(void *ctx, uint64_t lo, uint64_t n)
{
    struct block_build *b = ctx;
    struct keydist *k = b->k;
    double s = k->s;
    b->w[b->i] = (double)n * pow((double)lo, -s);
    k->block_lo[b->i] = lo;
    k->squeeze[b->i] = pow((double)lo / (double)(lo + n - 1), s);
    b->i++;
}

uint64_t keydist_table_size(uint64_t count, uint64_t table_max)
{
    if (table_max == 0)
        return 0;
    uint64_t head = count < table_max ? count : table_max;
    return head + for_blocks(head, count, NULL, NULL);
}

/* Terms summed directly by keydist_harmonic before Euler-Maclaurin takes over. */
#define HARMONIC_DIRECT 65536

static int init_fail(char *msg, unsigned msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int init_fail(char *msg, unsigned msglen, const char *fmt, ...)
{
    if (msg && msglen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* log1p(x)/x and expm1(x)/x, by Taylor series near 0 where the quotient would lose digits. */
static double log1p_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double expm1_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x));
}

/* The hat h(x) = x^-s, its integral H(x) = (x^(1-s) - 1)/(1-s) (log x at s = 1) and the
 * inverse of H. */
static double ri_h(double x, double s)
{
    return exp(-s * log(x));
}

static double ri_H(double x, double s)
{
    double lx = log(x);
    return expm1_over_x((1 - s) * lx) * lx;
}

static double ri_Hinv(double x, double s)
{
    double t = x * (1 - s);
    if (t < -1) /* rounding can push t just below its bound -1 */
        t = -1;
    return exp(log1p_over_x(t) * x);
}

double keydist_harmonic(uint64_t n, double s)
{
    uint64_t m = n < HARMONIC_DIRECT ? n : HARMONIC_DIRECT;
    /* Smallest terms first, with Neumaier's compensation: the error stays near one rounding. */
    double sum = 0, comp = 0;
    for (uint64_t i = m; i >= 1; i--) {
        double t = pow((double)i, -s), u = sum + t;
        comp += fabs(sum) >= t ? (sum - u) + t : (t - u) + sum;
        sum = u;
    }
    if (n == m)
        return sum + comp;
    /* The rest, sum_{i=a..b} f(i) with f(x) = x^-s, by Euler-Maclaurin:
     * integral + (f(a)+f(b))/2 + (f'(b)-f'(a))/12 - (f'''(b)-f'''(a))/720 + R, where the next
     * term bounds R: s(s+1)(s+2)(s+3)(s+4) a^(-s-5)/30240, below 1e-24 for a > 65536. The
     * integral (b^(1-s) - a^(1-s))/(1-s) is written as a^(1-s) L expm1((1-s)L)/((1-s)L) with
     * L = log(b/a), which stays accurate through s = 1 (where it is L). */
    double a = (double)m + 1, b = (double)n;
    double L = log(b / a);
    double integral = pow(a, 1 - s) * L * expm1_over_x((1 - s) * L);
    double fa = pow(a, -s), fb = pow(b, -s);
    double d1 = -s * (fb / b - fa / a);
    double d3 = -s * (s + 1) * (s + 2) * (fb / (b * b * b) - fa / (a * a * a));
    return sum + comp + integral + (fa + fb) / 2 + d1 / 12 - d3 / 720;
}

int keydist_init_table_max(struct keydist *k, uint64_t count, int zipf, double s, uint64_t hot_keys,
                           double hot_share, uint64_t table_max, char *msg, unsigned msglen)
{
    *k = (struct keydist){0};
    if (msg && msglen)
        msg[0] = '\0';
    if (count == 0)
        return init_fail(msg, msglen, "the key count must be at least 1");
    if (zipf != 0 && zipf != 1)
        return init_fail(msg, msglen, "zipf must be 0 (uniform) or 1 (Zipf), got %d", zipf);
    if (zipf && !(isfinite(s) && s >= 0))
        return init_fail(msg, msglen, "the Zipf exponent s must be >= 0, got %g", s);
    if (zipf && count > KEYDIST_ZIPF_MAX)
        return init_fail(msg, msglen, "Zipf supports at most 2^52 keys, got %" PRIu64, count);
    if (!(hot_share >= 0 && hot_share <= 1))
        return init_fail(msg, msglen, "the hot share must be within [0, 1], got %g", hot_share);
    if (hot_keys > count)
        return init_fail(msg, msglen, "%" PRIu64 " hot keys exceed the key count %" PRIu64,
                         hot_keys, count);
    if (hot_share > 0 && hot_keys == 0)
        return init_fail(msg, msglen, "a hot share of %g needs at least one hot key", hot_share);

    k->count = count;
    k->zipf = zipf;
    k->s = zipf ? s : 0;
    k->hot_keys = hot_keys;
    k->hot_share = hot_share;
    k->harmonic = (double)count;
    /* Zipf with s = 0 is the uniform distribution, drawn as such. */
    if (!zipf || s == 0)
        return 0;
    k->harmonic = keydist_harmonic(count, s);
    if (table_max > 0) {
        /* One outcome per head rank (weight rank^-s, taken as drawn) and one per block of
         * the others (weight: the hat's area over it). */
        k->head = count < table_max ? count : table_max;
        k->nblocks = for_blocks(k->head, count, NULL, NULL);
        size_t n = (size_t)(k->head + k->nblocks);
        double *w = sim_xmalloc(n * sizeof *w);
        for (uint64_t i = 0; i < k->head; i++)
            w[i] = pow((double)(i + 1), -s);
        k->block_lo = sim_xmalloc((k->nblocks + 1) * sizeof *k->block_lo);
        k->squeeze = sim_xmalloc((k->nblocks ? k->nblocks : 1) * sizeof *k->squeeze);
        struct block_build b = {.k = k, .w = w + k->head, .i = 0};
        for_blocks(k->head, count, add_block, &b);
        k->block_lo[k->nblocks] = count + 1;
        k->alias = gsl_ran_discrete_preproc(n, w);
        free(w);
        SIM_ASSERT(k->alias != NULL); /* GSL fails here only when out of memory */
        return 0;
    }
    k->ri[RI_HX1] = ri_H(1.5, s) - 1;
    k->ri[RI_HN] = ri_H((double)count + 0.5, s);
    k->ri[RI_SPAN] = k->ri[RI_HX1] - k->ri[RI_HN];
    k->ri[RI_CUT] = 2 - ri_Hinv(ri_H(2.5, s) - ri_h(2, s), s);
    return 0;
}

int keydist_init(struct keydist *k, uint64_t count, int zipf, double s, uint64_t hot_keys,
                 double hot_share, char *msg, unsigned msglen)
{
    return keydist_init_table_max(k, count, zipf, s, hot_keys, hot_share, KEYDIST_TABLE_MAX, msg,
                                  msglen);
}

/* Two 32-bit words of the generator, drawn in a fixed order (never two calls in one
 * expression, whose order C leaves open). mt19937, the project's generator, yields full words. */
static uint64_t draw_u64(gsl_rng *r)
{
    /* The range straight from the generator's type: gsl_rng_min and gsl_rng_max are calls
     * into the library, which cost more than the arithmetic here. */
    const unsigned long min = r->type->min;
    SIM_ASSERT(r->type->max - min == 0xffffffffUL);
    uint64_t hi = gsl_rng_get(r) - min;
    uint64_t lo = gsl_rng_get(r) - min;
    return hi << 32 | lo;
}

/* Uniform on 0..n-1. gsl_rng_uniform_int only reaches the generator's range (2^32 - 1 for
 * mt19937); wider counts take 64 bits and reject the top partial block, so every key keeps
 * exactly the same chance. */
static uint64_t uniform_below(gsl_rng *r, uint64_t n)
{
    if (n <= gsl_rng_max(r) - gsl_rng_min(r))
        return gsl_rng_uniform_int(r, n);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t x = draw_u64(r);
        if (x < limit)
            return x % n;
    }
}

/* Rejection-inversion (Hörmann & Derflinger 1996, as in Apache Commons RNG): invert H at a
 * uniform point, round to the nearest rank, accept when the point lies under the histogram of
 * the pmf. Acceptance is above 90% for any exponent, so a draw takes O(1) expected time. The
 * uniform has 53 bits (the reference genrand_res53) rather than gsl_rng_uniform's 32, so that
 * ranks far beyond 2^32 are reachable. */
static uint64_t zipf_rejection_inversion(const struct keydist *k, gsl_rng *r)
{
    const double s = k->s, n = (double)k->count;
    for (;;) {
        uint64_t bits = draw_u64(r);
        double v = (double)(bits >> 11) * (1.0 / 9007199254740992.0);
        double u = k->ri[RI_HN] + v * k->ri[RI_SPAN];
        double x = ri_Hinv(u, s);
        double kd = floor(x + 0.5);
        if (kd < 1)
            kd = 1;
        else if (kd > n)
            kd = n;
        if (kd - x <= k->ri[RI_CUT] || u >= ri_H(kd + 0.5, s) - ri_h(kd, s))
            return (uint64_t)kd - 1;
    }
}

/* The table: a head rank is taken as drawn; a block gives a uniform rank in it, kept with
 * probability (lo / rank)^s, so that every rank ends up with probability proportional to
 * rank^-s; a rejected draw starts over from the table. The test against a 32-bit uniform
 * is off by at most 2^-32, like the table itself. */
uint64_t keydist_table_from(const struct keydist *k, gsl_rng *r, uint64_t o)
{
    for (;; o = gsl_ran_discrete(r, k->alias)) {
        if (o < k->head)
            return o;
        uint64_t b = o - k->head, lo = k->block_lo[b], n = k->block_lo[b + 1] - lo;
        if (n == 1)
            return lo - 1;
        uint64_t rank = lo + uniform_below(r, n);
        double u = gsl_rng_uniform(r);
        if (u < k->squeeze[b] || u < pow((double)lo / (double)rank, k->s))
            return rank - 1;
    }
}

uint64_t keydist_draw_slow(const struct keydist *k, gsl_rng *r)
{
    if (k->hot_share > 0 && gsl_rng_uniform(r) < k->hot_share)
        return uniform_below(r, k->hot_keys);
    /* gsl_ran_discrete splits one 32-bit uniform between the bucket and the alias test, so
     * each key's probability is off by at most 2^-32 (absolute) and unbiased on average over
     * buckets: invisible next to the sampling noise of any feasible run. */
    if (k->alias)
        return keydist_table_from(k, r, gsl_ran_discrete(r, k->alias));
    if (!k->zipf || k->s == 0)
        return uniform_below(r, k->count);
    return zipf_rejection_inversion(k, r);
}

double keydist_pmf(const struct keydist *k, uint64_t i)
{
    if (i >= k->count)
        return 0;
    double base =
        k->zipf && k->s > 0 ? pow((double)(i + 1), -k->s) / k->harmonic : 1 / (double)k->count;
    double p = (1 - k->hot_share) * base;
    if (i < k->hot_keys)
        p += k->hot_share / (double)k->hot_keys;
    return p;
}

void keydist_free(struct keydist *k)
{
    if (!k)
        return;
    if (k->alias)
        gsl_ran_discrete_free(k->alias);
    k->alias = NULL;
    free(k->block_lo);
    free(k->squeeze);
    k->block_lo = NULL;
    k->squeeze = NULL;
}
