/* Key popularity: uniform or Zipf over `count` keys, with optional hot (celebrity) keys.
 * Each draw costs O(1): Walker's alias table from GSL for moderate counts, Hörmann's
 * rejection-inversion for key spaces too large for a table. */
#ifndef SIM_KEYS_H
#define SIM_KEYS_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

struct keydist {
    uint64_t count;     /* keys 0 .. count-1; key 0 is the most popular under Zipf */
    int zipf;           /* 0 uniform, 1 Zipf */
    double s;           /* Zipf exponent, >= 0 */
    uint64_t hot_keys;  /* keys 0 .. hot_keys-1 additionally take hot_share of all draws */
    double hot_share;
    gsl_ran_discrete_t *alias; /* Zipf table when count is moderate; else NULL */
    double ri[6];       /* rejection-inversion constants */
    double harmonic;    /* sum over all keys of (rank)^-s: the Zipf normaliser */
};

/* Largest key count for which Zipf uses an alias table (16 bytes per key in GSL's table). */
#define KEYDIST_ALIAS_MAX (UINT64_C(1) << 22)
/* Largest key count for Zipf: ranks are computed in double precision. */
#define KEYDIST_ZIPF_MAX (UINT64_C(1) << 52)

/* Returns 0, or -1 with a message in msg (count 0, s < 0, share outside [0,1], ...). */
int keydist_init(struct keydist *k, uint64_t count, int zipf, double s, uint64_t hot_keys,
                 double hot_share, char *msg, unsigned msglen);
/* keydist_init with the alias-table limit as a parameter (KEYDIST_ALIAS_MAX in keydist_init);
 * 0 forces rejection-inversion for any count, which tests use on small key spaces. */
int keydist_init_alias_max(struct keydist *k, uint64_t count, int zipf, double s,
                           uint64_t hot_keys, double hot_share, uint64_t alias_max, char *msg,
                           unsigned msglen);
uint64_t keydist_draw(const struct keydist *k, gsl_rng *r);
/* Exact probability of drawing key i (for validation against theory). */
double keydist_pmf(const struct keydist *k, uint64_t i);
void keydist_free(struct keydist *k);
/* Generalized harmonic number H(n, s) = sum_{i=1..n} i^-s, to about 1e-15 relative for any n:
 * a compensated direct sum of the first 65536 terms, Euler-Maclaurin for the rest. */
double keydist_harmonic(uint64_t n, double s);

#endif
