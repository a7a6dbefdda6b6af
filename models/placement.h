/* Key placement: which node (or which N nodes) of a sharded component holds a key, behind one
 * interface over modulo, ring, ketama, jump, rendezvous, maglev and bounded-load schemes.
 * Pure algorithm with no engine dependency, shared by the models and the `keymove` command. */
#ifndef MODELS_PLACEMENT_H
#define MODELS_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

enum placement_scheme {
    PLACEMENT_MODULO,     /* keyhash mod n: not consistent, the baseline */
    PLACEMENT_RING,       /* vnodes points per node (scaled by weight) on a 64-bit ring */
    PLACEMENT_KETAMA,     /* libketama / libmemcached continuum: 40 md5 digests x 4 points */
    PLACEMENT_JUMP,       /* Lamping & Veach jump consistent hash; nodes are indices */
    PLACEMENT_RENDEZVOUS, /* highest random weight over all nodes */
    PLACEMENT_MAGLEV,     /* Maglev lookup table of prime size */
    PLACEMENT_BOUNDED,    /* ring walk with capped loads (Mirrokni, Thorup, Zadimoghaddam) */
    PLACEMENT_NSCHEMES
};

#define PLACEMENT_DEFAULT_VNODES 160
#define PLACEMENT_DEFAULT_LOAD_BOUND 1.25

/* Construction parameters. A zeroed struct (or NULL) means every default. */
struct placement_params {
    unsigned vnodes;         /* ring and bounded: mean points per node; 0 = 160 */
    double load_bound;       /* bounded: the factor c >= 1 of the cap ceil(c * keys / nodes),
                                so 1.25 lets a node hold 25% above the mean; 0 = 1.25 */
    uint32_t table_size;     /* maglev: prime table size M >= nodes; 0 = the first of 65537,
                                655373, 6553733, 65537011 that is >= 100 * nodes. Keys keep
                                their slots only while M is unchanged, so a scale that
                                crosses a rung remaps nearly every key: pass a fixed M to
                                compare node sets of very different sizes. */
    const double *weights;   /* per-node relative weights (> 0), or NULL for all equal.
                                Honoured by ring, ketama and rendezvous; the other schemes
                                reject unequal weights. */
    int ketama_libmemcached; /* ketama point count per node: 0 = libketama's rounding,
                                1 = libmemcached's single-precision formula (they differ for
                                some node counts, e.g. 156 against 160 points at n = 100) */
};

/* Opaque: built once for a node set; a scale-out or scale-in builds a new one from scratch,
 * which for the consistent schemes moves only the minimal share of keys. */
struct placement;

/* Builds a placement over n >= 1 nodes. names[i] is node i's name (copied); NULL gives node0,
 * node1, ... . Names must be distinct and non-empty. Returns 0, or -1 with err filled and
 * *out = NULL. The caller frees *out with placement_free. */
int placement_create(enum placement_scheme scheme, const char *const *names, size_t n,
                     const struct placement_params *params, struct placement **out,
                     struct sim_error *err);
void placement_free(struct placement *p);
/* Whether placement_create would build n default-named, equally weighted nodes with these
 * parameters, without building anything: 0, or -1 with err as placement_create would fill it.
 * Models call it at load with the most nodes a run reaches, since a placement that cannot be
 * built mid-run is a scenario error, not a crash. */
int placement_check(enum placement_scheme scheme, size_t n, const struct placement_params *params,
                    struct sim_error *err);
/* Rough bytes placement_create allocates at its peak for such n nodes (for the memory limit). */
double placement_memory(enum placement_scheme scheme, size_t n,
                        const struct placement_params *params);

/* The node for a key hash, from 0 to n-1. Ketama uses only the low 32 bits (its md5 hash). For
 * bounded it is the node placement_acquire would choose now, without taking it. */
uint32_t placement_lookup(const struct placement *p, uint64_t keyhash);
/* Writes min(want, n) distinct nodes for the key into out and returns that count; out[0] is
 * placement_lookup's node. Ring, ketama: the next distinct nodes clockwise (a ketama node whose
 * weight share rounds to no points is never returned, so the count can be lower). Rendezvous:
 * the highest scores, best first. Maglev: the next distinct table entries. Modulo, jump: the
 * next indices, wrapping. Bounded: distinct successors below the cap first, then the others. */
size_t placement_lookup_n(const struct placement *p, uint64_t keyhash, uint32_t *out, size_t want);

/* Load-aware placement: places a key and counts it against its node. Bounded skips nodes whose
 * load would exceed ceil(load_bound * (keys + 1) / nodes); every other scheme takes its plain
 * lookup and only counts. placement_release undoes one acquire on a node. */
uint32_t placement_acquire(struct placement *p, uint64_t keyhash);
void placement_release(struct placement *p, uint32_t node);
uint64_t placement_load(const struct placement *p, uint32_t node); /* keys */
uint64_t placement_total_load(const struct placement *p);          /* keys */
/* Bounded: the cap a node must stay under for the next acquire; other schemes: UINT64_MAX. */
uint64_t placement_capacity(const struct placement *p);

size_t placement_nodes(const struct placement *p);
enum placement_scheme placement_get_scheme(const struct placement *p);
/* Owned by p; valid until placement_free. */
const char *placement_node_name(const struct placement *p, uint32_t node);
/* Ring, ketama, bounded: points on the continuum (ketama depends on weights). 0 otherwise. */
size_t placement_points(const struct placement *p);
/* Ring, ketama, bounded: the position of the point that owns keyhash, so tests can compare
 * with published continuum values. 0 for other schemes. */
uint64_t placement_point_of(const struct placement *p, uint64_t keyhash);
/* Writes each node's exact share of the hash space (sums to 1) for ring, ketama, bounded
 * (arc lengths) and maglev (table entries / M); returns 0, or -1 for schemes without one. */
int placement_shares(const struct placement *p, double *share);

/* "modulo", "ring", ... ; NULL for an out-of-range value. */
const char *placement_scheme_name(enum placement_scheme s);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int placement_scheme_parse(const char *name, enum placement_scheme *out);

/* Key hashing. Every scheme but ketama takes XXH3_64bits of the key bytes; ketama takes the
 * first four bytes of the key's md5, little-endian, as libketama does. */
uint64_t placement_key_hash(uint64_t key);                /* XXH3 of the 8 little-endian bytes */
uint64_t placement_hash_str(const void *key, size_t len); /* XXH3 of the bytes */
uint32_t placement_md5_hash(const void *key, size_t len); /* libketama's key hash */
uint32_t placement_ketama_key_hash(uint64_t key);         /* md5 hash of the string "key<key>" */
/* The hash p expects for an integer key id (ketama: md5 of "key<id>", else XXH3 of its bytes)
 * and for a byte-string key. */
uint64_t placement_hash_id(const struct placement *p, uint64_t key);
uint64_t placement_hash_bytes(const struct placement *p, const void *key, size_t len);

/* Lamping & Veach's jump consistent hash, exactly the paper's code: a bucket in
 * [0, num_buckets) for num_buckets >= 1. */
int32_t placement_jump(uint64_t key, int32_t num_buckets);
/* Maglev's table population (the paper's pseudocode) from explicit permutation parameters:
 * node i prefers slots offset[i], offset[i] + skip[i], ... mod m. m prime, 1 <= skip[i] < m,
 * n <= m. Fills table[0..m-1] with node indices. */
void placement_maglev_populate(const uint32_t *offset, const uint32_t *skip, size_t n, uint32_t m,
                               uint32_t *table);

#endif
