/* Key placement over a node set: modulo, hash ring, ketama continuum, jump hash, rendezvous,
 * Maglev and bounded-load ring walk behind one interface (see placement.h). The continuum
 * schemes share one sorted point array with a bucket index, so a lookup is O(1) expected. */
#include "models/placement.h"
#include "sim/mix.h"

#include <inttypes.h>
#include <math.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Seeds that separate the hash families built from one node name. */
#define RDV_SEED UINT64_C(0x72656e64657a766f)     /* "rendezvo" */
#define MAGLEV_SEED1 UINT64_C(0x6d61676c65763031) /* "maglev01" */
#define MAGLEV_SEED2 UINT64_C(0x6d61676c65763032) /* "maglev02" */

/* A ring stays far below this many points; past it memory, not placement quality, decides. */
#define MAX_POINTS (UINT64_C(1) << 26)
#define MAX_INDEX_BITS 22

/* Points sorted by position, with a bucket index over the top bits of the position: all
 * points at or after bucket[b] have positions >= b << shift, so a lookup searches only the
 * (expected one or two) points of its own bucket instead of the whole array. */
struct continuum {
    uint64_t *pos;    /* point positions, ascending */
    uint32_t *owner;  /* node of each point */
    uint32_t *bucket; /* (1 << bits) + 1 entries */
    size_t npoints;
    unsigned space; /* bits of the position space: 64 ring, 32 ketama */
    unsigned shift; /* space - index bits */
};

struct placement {
    enum placement_scheme scheme;
    size_t n;
    char **names;
    double *weights;   /* NULL when all equal */
    uint64_t *load;    /* keys acquired per node */
    uint64_t total;    /* keys acquired over all nodes */
    double load_bound; /* bounded: factor over the mean load */
    struct continuum ring;
    uint64_t *seed;      /* rendezvous: per-node score seed */
    uint32_t *table;     /* maglev: slot -> node */
    uint32_t table_size; /* maglev: M, prime */
};

static const char *const scheme_names[PLACEMENT_NSCHEMES] = {
    [PLACEMENT_MODULO] = "modulo",         [PLACEMENT_RING] = "ring",
    [PLACEMENT_KETAMA] = "ketama",         [PLACEMENT_JUMP] = "jump",
    [PLACEMENT_RENDEZVOUS] = "rendezvous", [PLACEMENT_MAGLEV] = "maglev",
    [PLACEMENT_BOUNDED] = "bounded",
};

const char *placement_scheme_name(enum placement_scheme s)
{
    return (unsigned)s < PLACEMENT_NSCHEMES ? scheme_names[s] : NULL;
}

int placement_scheme_parse(const char *name, enum placement_scheme *out)
{
    for (int s = 0; s < PLACEMENT_NSCHEMES; s++) {
        if (strcmp(name, scheme_names[s]) == 0) {
            *out = (enum placement_scheme)s;
            return 0;
        }
    }
    return -1;
}

/* ---- key hashing ---- */

uint64_t placement_key_hash(uint64_t key)
{
    /* The key's little-endian bytes, stored as one word: filling a byte array one byte at a
     * time and reading it back as words stalls store forwarding (12 ns against 3 ns). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    key = __builtin_bswap64(key);
#endif
    return XXH3_64bits(&key, sizeof key);
}

uint64_t placement_hash_str(const void *key, size_t len)
{
    return XXH3_64bits(key, len);
}

static void md5_digest(const void *data, size_t len, uint8_t digest[MD5_DIGEST_LENGTH])
{
    MD5_CTX ctx;
    MD5Init(&ctx);
    MD5Update(&ctx, data, len);
    MD5Final(digest, &ctx);
}

/* libketama reads the four-byte groups of a digest little-endian, whatever the host order. */
static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint32_t placement_md5_hash(const void *key, size_t len)
{
    uint8_t d[MD5_DIGEST_LENGTH];
    md5_digest(key, len, d);
    return le32(d);
}

uint32_t placement_ketama_key_hash(uint64_t key)
{
    char s[32];
    int len = snprintf(s, sizeof s, "key%" PRIu64, key);
    return placement_md5_hash(s, (size_t)len);
}

uint64_t placement_hash_id(const struct placement *p, uint64_t key)
{
    return p->scheme == PLACEMENT_KETAMA ? placement_ketama_key_hash(key) : placement_key_hash(key);
}

uint64_t placement_hash_bytes(const struct placement *p, const void *key, size_t len)
{
    return p->scheme == PLACEMENT_KETAMA ? placement_md5_hash(key, len)
                                         : placement_hash_str(key, len);
}

/* ---- jump consistent hash ---- */

int32_t placement_jump(uint64_t key, int32_t num_buckets)
{
    /* Lamping & Veach, figure 1, transcribed: the casts are the paper's C++ conversions. */
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * UINT64_C(2862933555777941757) + 1;
        j = (int64_t)((double)(b + 1) * ((double)(INT64_C(1) << 31) / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

/* ---- rendezvous ---- */

/* A node's score for a key, as an integer whose order is the score order. In mix_fmix64
 * every input bit flips each output bit with probability close to 1/2, so the scores of one
 * key at different seeds behave as independent draws. Weighted nodes use the logarithmic
 * method (score = w / -ln u), under which node i wins with probability w_i / sum w; a
 * positive double's bit pattern orders like its value. */
static inline uint64_t rdv_score(const struct placement *p, uint64_t keyhash, size_t i)
{
    uint64_t s = mix_fmix64(keyhash ^ p->seed[i]);
    if (!p->weights)
        return s;
    double u = ((double)(s >> 11) + 0.5) * 0x1p-53;
    double w = p->weights[i] / -log(u);
    uint64_t bits;
    memcpy(&bits, &w, sizeof bits);
    return bits;
}

/* Unweighted scores are the mixes themselves. Four running maxima (lanes of nodes i mod 4) let
 * the mixes of consecutive nodes overlap instead of waiting on one compare chain. Each lane
 * sees its nodes in ascending order and keeps the first of equal scores, and the merge
 * prefers the lower index on a tie, so the winner is the lowest index among the highest
 * scores, exactly as in a plain scan. */
#define RDV_LANE(k)                                                                                \
    do {                                                                                           \
        uint64_t sc_ = mix_fmix64(keyhash ^ seed[i + (k)]);                                        \
        int up_ = sc_ > b##k;                                                                      \
        b##k = up_ ? sc_ : b##k;                                                                   \
        x##k = up_ ? i + (k) : x##k;                                                               \
    } while (0)

static uint32_t rdv_lookup_plain(const uint64_t *seed, size_t n, uint64_t keyhash)
{
    size_t i = 0, win = 0;
    uint64_t top = mix_fmix64(keyhash ^ seed[0]);
    if (n >= 8) {
        uint64_t b0 = top, b1 = mix_fmix64(keyhash ^ seed[1]), b2 = mix_fmix64(keyhash ^ seed[2]),
                 b3 = mix_fmix64(keyhash ^ seed[3]);
        size_t x0 = 0, x1 = 1, x2 = 2, x3 = 3;
        for (i = 4; i + 4 <= n; i += 4) {
            RDV_LANE(0);
            RDV_LANE(1);
            RDV_LANE(2);
            RDV_LANE(3);
        }
        const uint64_t bs[4] = {b0, b1, b2, b3};
        const size_t xs[4] = {x0, x1, x2, x3};
        top = b0;
        win = x0;
        for (int l = 1; l < 4; l++) {
            if (bs[l] > top || (bs[l] == top && xs[l] < win)) {
                top = bs[l];
                win = xs[l];
            }
        }
    } else {
        i = 1;
    }
    for (; i < n; i++) {
        uint64_t sc = mix_fmix64(keyhash ^ seed[i]);
        if (sc > top) {
            top = sc;
            win = i;
        }
    }
    return (uint32_t)win;
}

static uint32_t rdv_lookup(const struct placement *p, uint64_t keyhash)
{
    if (!p->weights)
        return rdv_lookup_plain(p->seed, p->n, keyhash);
    uint32_t best = 0;
    uint64_t best_score = rdv_score(p, keyhash, 0);
    for (size_t i = 1; i < p->n; i++) {
        uint64_t sc = rdv_score(p, keyhash, i);
        if (sc > best_score) {
            best_score = sc;
            best = (uint32_t)i;
        }
    }
    return best;
}

/* The top `want` scores by insertion into a sorted prefix of out; a tie keeps the lower index,
 * as in rdv_lookup. */
static size_t rdv_lookup_n(const struct placement *p, uint64_t keyhash, uint32_t *out, size_t want,
                           uint64_t *score)
{
    size_t have = 0;
    for (size_t i = 0; i < p->n; i++) {
        uint64_t s = rdv_score(p, keyhash, i);
        if (have == want && s <= score[have - 1])
            continue;
        size_t k = have < want ? have++ : have - 1;
        while (k > 0 && score[k - 1] < s) {
            score[k] = score[k - 1];
            out[k] = out[k - 1];
            k--;
        }
        score[k] = s;
        out[k] = (uint32_t)i;
    }
    return have;
}

/* ---- maglev ---- */

void placement_maglev_populate(const uint32_t *offset, const uint32_t *skip, size_t n, uint32_t m,
                               uint32_t *table)
{
    /* The paper's Populate(): nodes take turns claiming their next preferred free slot until
     * the table is full. cur[i] is permutation[i][next[i]], advanced by skip instead of
     * recomputed, since (offset + j * skip) mod m steps by skip. */
    uint32_t *cur = sim_xmalloc(n * sizeof *cur);
    for (size_t i = 0; i < n; i++)
        cur[i] = offset[i];
    for (uint32_t s = 0; s < m; s++)
        table[s] = UINT32_MAX;
    uint32_t filled = 0;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            uint32_t c = cur[i];
            while (table[c] != UINT32_MAX) {
                c += skip[i];
                if (c >= m)
                    c -= m;
            }
            table[c] = (uint32_t)i;
            c += skip[i];
            cur[i] = c >= m ? c - m : c;
            if (++filled == m) {
                free(cur);
                return;
            }
        }
    }
}

/* Slot of a key: Lemire's multiply-shift maps a 64-bit hash uniformly onto [0, m) without the
 * division that `hash % m` costs; any uniform map serves Maglev equally. */
static inline uint32_t maglev_slot(uint64_t keyhash, uint32_t m)
{
    return (uint32_t)(((unsigned __int128)keyhash * m) >> 64);
}

static int is_prime(uint32_t m)
{
    if (m < 2)
        return 0;
    for (uint32_t d = 2; (uint64_t)d * d <= m; d++)
        if (m % d == 0)
            return 0;
    return 1;
}

/* ---- continuum (ring, ketama, bounded) ---- */

struct point {
    uint64_t pos;
    uint32_t owner;
};

/* Ties (equal positions) order by node index, as libmemcached's continuum_item_cmp does. */
static int point_cmp(const void *a, const void *b)
{
    const struct point *x = a, *y = b;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    return (x->owner > y->owner) - (x->owner < y->owner);
}

static void continuum_finish(struct continuum *c, struct point *pts, size_t np, unsigned space)
{
    qsort(pts, np, sizeof *pts, point_cmp);
    c->npoints = np;
    c->space = space;
    c->pos = sim_xmalloc(np * sizeof *c->pos);
    c->owner = sim_xmalloc(np * sizeof *c->owner);
    for (size_t i = 0; i < np; i++) {
        c->pos[i] = pts[i].pos;
        c->owner[i] = pts[i].owner;
    }
    unsigned bits = 1;
    while (bits < MAX_INDEX_BITS && (size_t)1 << bits < np)
        bits++;
    c->shift = space - bits;
    size_t nb = (size_t)1 << bits;
    c->bucket = sim_xmalloc((nb + 1) * sizeof *c->bucket);
    size_t i = 0;
    for (size_t b = 0; b < nb; b++) {
        while (i < np && (c->pos[i] >> c->shift) < b)
            i++;
        c->bucket[b] = (uint32_t)i;
    }
    c->bucket[nb] = (uint32_t)np;
}

static void continuum_free(struct continuum *c)
{
    free(c->pos);
    free(c->owner);
    free(c->bucket);
}

/* Index of the first point at or after h, wrapping past the last point to the first. */
static inline size_t continuum_find(const struct continuum *c, uint64_t h)
{
    if (c->space < 64)
        h &= (UINT64_C(1) << c->space) - 1;
    size_t b = (size_t)(h >> c->shift);
    uint32_t lo = c->bucket[b], hi = c->bucket[b + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->pos[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == c->npoints ? 0 : lo;
}

static int has_node(const uint32_t *out, size_t have, uint32_t node)
{
    for (size_t k = 0; k < have; k++)
        if (out[k] == node)
            return 1;
    return 0;
}

/* The next distinct owners clockwise from the key; with a cap, first only those below it.
 * Scanning `out` is O(want) per point, fine for replication factors of a few. */
static size_t continuum_walk(const struct placement *p, uint64_t keyhash, uint32_t *out,
                             size_t want, uint64_t cap, size_t have)
{
    const struct continuum *c = &p->ring;
    size_t start = continuum_find(c, keyhash);
    for (size_t k = 0; k < c->npoints && have < want; k++) {
        size_t i = start + k < c->npoints ? start + k : start + k - c->npoints;
        uint32_t o = c->owner[i];
        if (p->load[o] < cap && !has_node(out, have, o))
            out[have++] = o;
    }
    return have;
}

/* Ring: vnodes points per node scaled by its weight relative to the mean, each at the XXH3 of
 * "<name>-<j>" (the ketama point naming, with a 64-bit hash). */
static int build_ring(struct placement *p, unsigned vnodes, struct sim_error *err)
{
    double mean_w = 1;
    if (p->weights) {
        mean_w = 0;
        for (size_t i = 0; i < p->n; i++)
            mean_w += p->weights[i] / (double)p->n;
    }
    uint32_t *count = sim_xmalloc(p->n * sizeof *count);
    uint64_t np = 0;
    size_t maxlen = 0;
    for (size_t i = 0; i < p->n; i++) {
        double w = p->weights ? p->weights[i] / mean_w : 1;
        double c = fmax(1, round(vnodes * w));
        if (c > (double)MAX_POINTS)
            c = (double)MAX_POINTS;
        count[i] = (uint32_t)c;
        np += count[i];
        size_t len = strlen(p->names[i]);
        maxlen = len > maxlen ? len : maxlen;
    }
    if (np > MAX_POINTS) {
        free(count);
        return sim_fail(err, "vnodes", "%" PRIu64 " ring points is too many (at most %" PRIu64 ")",
                        np, MAX_POINTS);
    }
    struct point *pts = sim_xmalloc(np * sizeof *pts);
    char *buf = sim_xmalloc(maxlen + 16);
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        for (uint32_t j = 0; j < count[i]; j++) {
            int len = snprintf(buf, maxlen + 16, "%s-%" PRIu32, p->names[i], j);
            pts[k].pos = XXH3_64bits(buf, (size_t)len);
            pts[k++].owner = (uint32_t)i;
        }
    }
    continuum_finish(&p->ring, pts, np, 64);
    free(buf);
    free(pts);
    free(count);
    return 0;
}

/* Digests per node (each gives 4 points), as libketama computes it: the share of the total
 * weight in single precision, times 40 per node, floored. libketama multiplies in double and
 * floorf rounds that product back to float; libmemcached stays in float with the /4 applied
 * to 160 and a tiny addend. Both are reproduced bit for bit. */
static uint32_t ketama_digests(float weight, float total, size_t n, int libmemcached)
{
    float pct = weight / total;
    if (libmemcached) {
        float v = pct * 160 / 4 * (float)n + 0.0000000001F;
        return (uint32_t)floorf(v);
    }
    return (uint32_t)floorf((float)((double)pct * 40.0 * (double)(float)n));
}

static int build_ketama(struct placement *p, int libmemcached)
{
    /* libketama sums integer weights exactly, then converts the sum to float. */
    double sum = 0;
    for (size_t i = 0; i < p->n; i++)
        sum += p->weights ? p->weights[i] : 1;
    float total = (float)sum;
    uint64_t np = 0;
    size_t maxlen = 0;
    uint32_t *digests = sim_xmalloc(p->n * sizeof *digests);
    for (size_t i = 0; i < p->n; i++) {
        float w = p->weights ? (float)p->weights[i] : 1.0F;
        digests[i] = ketama_digests(w, total, p->n, libmemcached);
        np += 4 * (uint64_t)digests[i];
        size_t len = strlen(p->names[i]);
        maxlen = len > maxlen ? len : maxlen;
    }
    struct point *pts = sim_xmalloc((np ? np : 1) * sizeof *pts);
    char *buf = sim_xmalloc(maxlen + 16);
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        for (uint32_t j = 0; j < digests[i]; j++) {
            int len = snprintf(buf, maxlen + 16, "%s-%" PRIu32, p->names[i], j);
            uint8_t d[MD5_DIGEST_LENGTH];
            md5_digest(buf, (size_t)len, d);
            for (int h = 0; h < 4; h++) {
                pts[k].pos = le32(d + 4 * h);
                pts[k++].owner = (uint32_t)i;
            }
        }
    }
    free(buf);
    free(digests);
    if (np == 0) {
        free(pts);
        return -1;
    }
    continuum_finish(&p->ring, pts, np, 32);
    free(pts);
    return 0;
}

/* ---- construction ---- */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_names(struct placement *p, struct sim_error *err)
{
    char **sorted = sim_xmalloc(p->n * sizeof *sorted);
    memcpy(sorted, p->names, p->n * sizeof *sorted);
    qsort(sorted, p->n, sizeof *sorted, name_cmp);
    int rc = 0;
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        if (sorted[i][0] == '\0')
            rc = sim_fail(err, "node_names", "a node name is empty");
        else if (i > 0 && strcmp(sorted[i - 1], sorted[i]) == 0)
            rc = sim_fail(err, "node_names", "node name '%s' appears twice", sorted[i]);
    }
    free(sorted);
    return rc;
}

/* Copies weights when they differ; all-equal weights behave exactly like none. */
static int take_weights(struct placement *p, const double *w, struct sim_error *err)
{
    if (!w)
        return 0;
    int equal = 1;
    for (size_t i = 0; i < p->n; i++) {
        if (!(w[i] > 0) || !isfinite(w[i]))
            return sim_fail(err, "weights", "weight of node %zu must be a positive number", i);
        if (w[i] != w[0])
            equal = 0;
    }
    if (equal)
        return 0;
    if (p->scheme != PLACEMENT_RING && p->scheme != PLACEMENT_KETAMA &&
        p->scheme != PLACEMENT_RENDEZVOUS)
        return sim_fail(err, "weights", "scheme %s does not support unequal node weights",
                        scheme_names[p->scheme]);
    p->weights = sim_xmalloc(p->n * sizeof *p->weights);
    memcpy(p->weights, w, p->n * sizeof *p->weights);
    return 0;
}

/* Default table sizes: Maglev's 65537 and 655373, then primes near each further power of ten.
 * Keys keep their slot only while M stays the same, so the default must not follow the node
 * count smoothly: a scale-out within one rung keeps M and moves close to the minimum, while
 * crossing a rung (or an explicit size change) remaps nearly every key. */
static const uint32_t maglev_ladder[] = {65537u, 655373u, 6553733u, 65537011u};

static int build_maglev(struct placement *p, uint32_t table_size, struct sim_error *err)
{
    uint32_t m = table_size;
    if (m == 0) {
        size_t r = 0;
        size_t nrungs = sizeof maglev_ladder / sizeof maglev_ladder[0];
        while (r + 1 < nrungs && (uint64_t)maglev_ladder[r] < (uint64_t)p->n * 100)
            r++;
        m = maglev_ladder[r];
        if ((uint64_t)m < p->n)
            return sim_fail(err, "nodes", "%zu nodes is too many for a Maglev table", p->n);
    } else if (!is_prime(m) || m < p->n) {
        return sim_fail(err, "table_size",
                        "Maglev table size %" PRIu32 " must be a prime of at least %zu (nodes)", m,
                        p->n);
    }
    uint32_t *offset = sim_xmalloc(p->n * sizeof *offset);
    uint32_t *skip = sim_xmalloc(p->n * sizeof *skip);
    for (size_t i = 0; i < p->n; i++) {
        size_t len = strlen(p->names[i]);
        offset[i] = (uint32_t)(XXH3_64bits_withSeed(p->names[i], len, MAGLEV_SEED1) % m);
        skip[i] = (uint32_t)(XXH3_64bits_withSeed(p->names[i], len, MAGLEV_SEED2) % (m - 1) + 1);
    }
    p->table_size = m;
    p->table = sim_xmalloc((size_t)m * sizeof *p->table);
    placement_maglev_populate(offset, skip, p->n, m, p->table);
    free(offset);
    free(skip);
    return 0;
}

/* Points of a continuum over n equally weighted nodes: vnodes each on a ring, 40 digests of
 * 4 points each for ketama (libketama floors 40 x n x (1/n), which can lose one digest). */
static uint64_t continuum_points(enum placement_scheme scheme, size_t n, unsigned vnodes)
{
    if (scheme == PLACEMENT_KETAMA)
        return 4 * (uint64_t)ketama_digests(1.0F, (float)n, n, 0) * n;
    return (uint64_t)n * vnodes;
}

static uint32_t maglev_default_size(size_t n)
{
    size_t r = 0, nrungs = sizeof maglev_ladder / sizeof maglev_ladder[0];
    while (r + 1 < nrungs && (uint64_t)maglev_ladder[r] < (uint64_t)n * 100)
        r++;
    return maglev_ladder[r];
}

int placement_check(enum placement_scheme scheme, size_t n, const struct placement_params *params,
                    struct sim_error *err)
{
    static const struct placement_params defaults = {0};
    const struct placement_params *prm = params ? params : &defaults;
    unsigned vnodes = prm->vnodes ? prm->vnodes : PLACEMENT_DEFAULT_VNODES;
    double bound = prm->load_bound != 0 ? prm->load_bound : PLACEMENT_DEFAULT_LOAD_BOUND;
    if ((unsigned)scheme >= PLACEMENT_NSCHEMES)
        return sim_fail(err, "scheme", "unknown placement scheme %d", (int)scheme);
    if (n == 0)
        return sim_fail(err, "nodes", "a placement needs at least one node");
    if (n > INT32_MAX)
        return sim_fail(err, "nodes", "%zu nodes is too many", n);
    if (!(bound >= 1) || !isfinite(bound))
        return sim_fail(err, "load_bound",
                        "load_bound must be a factor of at least 1 over the "
                        "mean load, not %g",
                        bound);
    if (scheme == PLACEMENT_RING || scheme == PLACEMENT_BOUNDED || scheme == PLACEMENT_KETAMA) {
        uint64_t np = continuum_points(scheme, n, vnodes);
        if (np > MAX_POINTS)
            return sim_fail(err, "vnodes",
                            "%" PRIu64 " ring points is too many (at most %" PRIu64 ")", np,
                            MAX_POINTS);
    }
    if (scheme == PLACEMENT_MAGLEV) {
        uint32_t m = prm->table_size ? prm->table_size : maglev_default_size(n);
        if ((uint64_t)m < n || (prm->table_size && !is_prime(m)))
            return sim_fail(err, "table_size",
                            "Maglev table size %" PRIu32 " must be a prime of "
                            "at least %zu (nodes)",
                            m, n);
    }
    return 0;
}

double placement_memory(enum placement_scheme scheme, size_t n,
                        const struct placement_params *params)
{
    static const struct placement_params defaults = {0};
    const struct placement_params *prm = params ? params : &defaults;
    unsigned vnodes = prm->vnodes ? prm->vnodes : PLACEMENT_DEFAULT_VNODES;
    /* Names (pointer and string) and loads per node. */
    double bytes = sizeof(struct placement) + (double)n * (sizeof(char *) + 24 + sizeof(uint64_t));
    switch (scheme) {
    case PLACEMENT_RING:
    case PLACEMENT_BOUNDED:
    case PLACEMENT_KETAMA: {
        /* While it is built: the sorted points, then positions and owners, and the index. */
        double np = (double)continuum_points(scheme, n, vnodes);
        bytes += np * (sizeof(struct point) + sizeof(uint64_t) + sizeof(uint32_t)) +
                 (double)(((size_t)1 << MAX_INDEX_BITS) + 1) * sizeof(uint32_t);
        break;
    }
    case PLACEMENT_RENDEZVOUS:
        bytes += (double)n * sizeof(uint64_t);
        break;
    case PLACEMENT_MAGLEV:
        bytes += (double)(prm->table_size ? prm->table_size : maglev_default_size(n)) *
                     sizeof(uint32_t) +
                 (double)n * 2 * sizeof(uint32_t);
        break;
    case PLACEMENT_MODULO:
    case PLACEMENT_JUMP:
    case PLACEMENT_NSCHEMES:
        break;
    }
    return bytes;
}

int placement_create(enum placement_scheme scheme, const char *const *names, size_t n,
                     const struct placement_params *params, struct placement **out,
                     struct sim_error *err)
{
    *out = NULL;
    static const struct placement_params defaults;
    const struct placement_params *prm = params ? params : &defaults;
    if ((unsigned)scheme >= PLACEMENT_NSCHEMES)
        return sim_fail(err, "scheme", "unknown placement scheme %d", (int)scheme);
    if (n == 0)
        return sim_fail(err, "nodes", "a placement needs at least one node");
    if (n > INT32_MAX)
        return sim_fail(err, "nodes", "%zu nodes is too many", n);
    unsigned vnodes = prm->vnodes ? prm->vnodes : PLACEMENT_DEFAULT_VNODES;
    double bound = prm->load_bound != 0 ? prm->load_bound : PLACEMENT_DEFAULT_LOAD_BOUND;
    if (!(bound >= 1) || !isfinite(bound))
        return sim_fail(err, "load_bound",
                        "load_bound must be a factor of at least 1 over the mean load "
                        "(1.25 allows 25%% above the mean), not %g",
                        bound);

    struct placement *p = sim_xcalloc(1, sizeof *p);
    p->scheme = scheme;
    p->n = n;
    p->load_bound = bound;
    p->names = sim_xcalloc(n, sizeof *p->names);
    for (size_t i = 0; i < n; i++) {
        if (names) {
            p->names[i] = sim_xstrdup(names[i]);
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "node%zu", i);
            p->names[i] = sim_xstrdup(buf);
        }
    }
    p->load = sim_xcalloc(n, sizeof *p->load);
    if (check_names(p, err) || take_weights(p, prm->weights, err))
        goto fail;

    switch (scheme) {
    case PLACEMENT_RING:
    case PLACEMENT_BOUNDED:
        if (build_ring(p, vnodes, err))
            goto fail;
        break;
    case PLACEMENT_KETAMA:
        if (build_ketama(p, prm->ketama_libmemcached)) {
            sim_fail(err, "weights", "every node's weight share rounds to zero ketama points");
            goto fail;
        }
        break;
    case PLACEMENT_RENDEZVOUS:
        p->seed = sim_xmalloc(n * sizeof *p->seed);
        for (size_t i = 0; i < n; i++)
            p->seed[i] = XXH3_64bits_withSeed(p->names[i], strlen(p->names[i]), RDV_SEED);
        break;
    case PLACEMENT_MAGLEV:
        if (build_maglev(p, prm->table_size, err))
            goto fail;
        break;
    case PLACEMENT_MODULO:
    case PLACEMENT_JUMP:
    case PLACEMENT_NSCHEMES:
        break;
    }
    *out = p;
    return 0;
fail:
    placement_free(p);
    return -1;
}

void placement_free(struct placement *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->names[i]);
    free(p->names);
    free(p->weights);
    free(p->load);
    continuum_free(&p->ring);
    free(p->seed);
    free(p->table);
    free(p);
}

/* ---- lookups ---- */

static uint64_t bounded_cap(const struct placement *p, uint64_t keys)
{
    /* ceil(c * m / n), never below ceil(m / n) so that the caps always hold m keys. */
    double c = ceil(p->load_bound * (double)keys / (double)p->n);
    /* A huge factor means no cap; converting past 2^64 would be undefined. */
    uint64_t cap = c >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)c;
    uint64_t floor_cap = (keys + p->n - 1) / p->n;
    return cap > floor_cap ? cap : floor_cap;
}

uint64_t placement_capacity(const struct placement *p)
{
    return p->scheme == PLACEMENT_BOUNDED ? bounded_cap(p, p->total + 1) : UINT64_MAX;
}

uint32_t placement_lookup(const struct placement *p, uint64_t keyhash)
{
    switch (p->scheme) {
    case PLACEMENT_MODULO:
        return (uint32_t)(keyhash % p->n);
    case PLACEMENT_RING:
    case PLACEMENT_KETAMA:
        return p->ring.owner[continuum_find(&p->ring, keyhash)];
    case PLACEMENT_JUMP:
        return (uint32_t)placement_jump(keyhash, (int32_t)p->n);
    case PLACEMENT_RENDEZVOUS:
        return rdv_lookup(p, keyhash);
    case PLACEMENT_MAGLEV:
        return p->table[maglev_slot(keyhash, p->table_size)];
    case PLACEMENT_BOUNDED: {
        uint32_t node = 0;
        continuum_walk(p, keyhash, &node, 1, placement_capacity(p), 0);
        return node;
    }
    case PLACEMENT_NSCHEMES:
        break;
    }
    SIM_ASSERT(!"placement scheme out of range");
    return 0;
}

size_t placement_lookup_n(const struct placement *p, uint64_t keyhash, uint32_t *out, size_t want)
{
    if (want > p->n)
        want = p->n;
    if (want == 0)
        return 0;
    switch (p->scheme) {
    case PLACEMENT_MODULO:
    case PLACEMENT_JUMP: {
        uint32_t first = placement_lookup(p, keyhash);
        for (size_t k = 0; k < want; k++)
            out[k] = (uint32_t)((first + k) % p->n);
        return want;
    }
    case PLACEMENT_RING:
    case PLACEMENT_KETAMA:
        return continuum_walk(p, keyhash, out, want, UINT64_MAX, 0);
    case PLACEMENT_RENDEZVOUS: {
        uint64_t small[16];
        uint64_t *score = want <= 16 ? small : sim_xmalloc(want * sizeof *score);
        size_t have = rdv_lookup_n(p, keyhash, out, want, score);
        if (score != small)
            free(score);
        return have;
    }
    case PLACEMENT_MAGLEV: {
        /* Every node owns at least floor(M / n) >= 1 slots, so the walk ends. */
        uint32_t s = maglev_slot(keyhash, p->table_size);
        size_t have = 0;
        while (have < want) {
            uint32_t o = p->table[s];
            if (!has_node(out, have, o))
                out[have++] = o;
            s = s + 1 == p->table_size ? 0 : s + 1;
        }
        return have;
    }
    case PLACEMENT_BOUNDED: {
        size_t have = continuum_walk(p, keyhash, out, want, placement_capacity(p), 0);
        return continuum_walk(p, keyhash, out, want, UINT64_MAX, have);
    }
    case PLACEMENT_NSCHEMES:
        break;
    }
    SIM_ASSERT(!"placement scheme out of range");
    return 0;
}

uint32_t placement_acquire(struct placement *p, uint64_t keyhash)
{
    uint32_t node = placement_lookup(p, keyhash);
    SIM_ASSERT(p->scheme != PLACEMENT_BOUNDED || p->load[node] < placement_capacity(p));
    p->load[node]++;
    p->total++;
    return node;
}

void placement_release(struct placement *p, uint32_t node)
{
    SIM_ASSERT(node < p->n && p->load[node] > 0);
    p->load[node]--;
    p->total--;
}

uint64_t placement_load(const struct placement *p, uint32_t node)
{
    SIM_ASSERT(node < p->n);
    return p->load[node];
}

uint64_t placement_total_load(const struct placement *p)
{
    return p->total;
}

size_t placement_nodes(const struct placement *p)
{
    return p->n;
}

enum placement_scheme placement_get_scheme(const struct placement *p)
{
    return p->scheme;
}

const char *placement_node_name(const struct placement *p, uint32_t node)
{
    SIM_ASSERT(node < p->n);
    return p->names[node];
}

size_t placement_points(const struct placement *p)
{
    return p->ring.npoints;
}

uint64_t placement_point_of(const struct placement *p, uint64_t keyhash)
{
    if (p->ring.npoints == 0)
        return 0;
    return p->ring.pos[continuum_find(&p->ring, keyhash)];
}

int placement_shares(const struct placement *p, double *share)
{
    for (size_t i = 0; i < p->n; i++)
        share[i] = 0;
    if (p->ring.npoints) {
        /* Point i owns the positions (pos[i-1], pos[i]]; point 0 also owns everything after
         * the last point. Differences are taken modulo the space, where they are exact. */
        const struct continuum *c = &p->ring;
        uint64_t mask = c->space == 64 ? UINT64_MAX : (UINT64_C(1) << c->space) - 1;
        double space = ldexp(1, (int)c->space);
        for (size_t i = 0; i < c->npoints; i++) {
            uint64_t prev = c->pos[i ? i - 1 : c->npoints - 1];
            uint64_t arc = (c->pos[i] - prev) & mask;
            share[c->owner[i]] += (i == 0 && arc == 0 ? space : (double)arc) / space;
        }
        return 0;
    }
    if (p->table) {
        for (uint32_t s = 0; s < p->table_size; s++)
            share[p->table[s]] += 1.0 / p->table_size;
        return 0;
    }
    return -1;
}
