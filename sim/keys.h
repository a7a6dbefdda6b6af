/* Key popularity: uniform or Zipf over `count` keys, with optional hot (celebrity) keys.
 * Each Zipf draw costs O(1): Walker's alias table from GSL over the most popular ranks and
 * geometric blocks of the rest (a rank in a block accepted by rejection), or Hörmann's
 * rejection-inversion without a table. */
#ifndef SIM_KEYS_H
#define SIM_KEYS_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

struct keydist {
    uint64_t count;    /* keys 0 .. count-1; key 0 is the most popular under Zipf */
    int zipf;          /* 0 uniform, 1 Zipf */
    double s;          /* Zipf exponent, >= 0 */
    uint64_t hot_keys; /* keys 0 .. hot_keys-1 additionally take hot_share of all draws */
    double hot_share;
    gsl_ran_discrete_t *alias; /* Zipf table: head ranks, then nblocks blocks; or NULL */
    uint64_t head;             /* ranks with an outcome of their own in the table */
    uint64_t nblocks;          /* blocks of the ranks after the head */
    uint64_t *block_lo;        /* first rank (1-based) of each block, then count + 1 */
    double *squeeze;           /* per block: the least acceptance probability of its ranks */
    double ri[6];              /* rejection-inversion constants */
    double harmonic;           /* sum over all keys of (rank)^-s: the Zipf normaliser */
};

/* Head ranks in the Zipf alias table at most. The blocks after them add about
 * 64 ln(count / head) outcomes: 1M keys take 16.6k outcomes, 266 KiB at 16 bytes each in GSL's
 * table, which stays in a core's L2 cache next to the simulation's data, where a table over
 * every key (16 MiB for 1M keys) missed it on most draws and took a million pow() calls to
 * build. A draw beyond the head (28% of them at s = 0.99 over 1M keys) costs two more 32-bit
 * uniforms. On the cache benchmark a head of 2^14 ran faster than 2^10 and 2^12, and than
 * rejection-inversion for every rank beyond the head. */
#define KEYDIST_TABLE_MAX (UINT64_C(1) << 14)
/* Largest key count for Zipf: ranks are computed in double precision. */
#define KEYDIST_ZIPF_MAX (UINT64_C(1) << 52)

/* Returns 0, or -1 with a message in msg (count 0, s < 0, share outside [0,1], ...). */
int keydist_init(struct keydist *k, uint64_t count, int zipf, double s, uint64_t hot_keys,
                 double hot_share, char *msg, unsigned msglen);
/* keydist_init with the table's head limit as a parameter (KEYDIST_TABLE_MAX in keydist_init);
 * 0 forces rejection-inversion for every rank, which tests use on small key spaces. */
int keydist_init_table_max(struct keydist *k, uint64_t count, int zipf, double s, uint64_t hot_keys,
                           double hot_share, uint64_t table_max, char *msg, unsigned msglen);
/* The parts of keydist_draw out of line: any draw with hot keys or without the table, and
 * the table's outcome o once drawn (a head rank, or a block, redrawn on rejection). */
uint64_t keydist_draw_slow(const struct keydist *k, gsl_rng *r);
uint64_t keydist_table_from(const struct keydist *k, gsl_rng *r, uint64_t o);
/* One key. Inline for the commonest draw, a head rank of the Zipf table (72% of the draws at
 * s = 0.99 over 1M keys), which every request with a key makes, whatever draws it. */
static inline uint64_t keydist_draw(const struct keydist *k, gsl_rng *r)
{
    if (k->alias && !(k->hot_share > 0)) {
        uint64_t o = gsl_ran_discrete(r, k->alias);
        return o < k->head ? o : keydist_table_from(k, r, o);
    }
    return keydist_draw_slow(k, r);
}
/* Outcomes of the Zipf table over count keys under a head limit (0 without a table), for
 * memory estimates. */
uint64_t keydist_table_size(uint64_t count, uint64_t table_max);
/* Exact probability of drawing key i (for validation against theory). */
double keydist_pmf(const struct keydist *k, uint64_t i);
void keydist_free(struct keydist *k);
/* Generalized harmonic number H(n, s) = sum_{i=1..n} i^-s, to about 1e-15 relative for any n:
 * a compensated direct sum of the first 65536 terms, Euler-Maclaurin for the rest. */
double keydist_harmonic(uint64_t n, double s);

#endif
