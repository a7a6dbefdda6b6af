/* Tests for models/placement.c: published reference vectors (libmemcached ketama, Maglev, jump
 * hash), key movement on scale-out and scale-in against each scheme's theory, ring balance
 * against 1/sqrt(vnodes), bounded-load caps, replica sets, weights and input errors. */
#include "models/placement.h"
#include "tests/ketama_vectors.h"

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Names "<prefix><i>" for i < n, in one allocation freed with free(). */
static char **make_names(const char *prefix, size_t n)
{
    size_t len = strlen(prefix) + 24;
    char **v = malloc(n * (sizeof *v + len));
    char *s = (char *)(v + n);
    for (size_t i = 0; i < n; i++, s += len) {
        snprintf(s, len, "%s%zu", prefix, i);
        v[i] = s;
    }
    return v;
}

static struct placement *make(enum placement_scheme s, char **names, size_t n,
                              const struct placement_params *prm)
{
    struct placement *p = NULL;
    struct sim_error err = {0};
    int rc = placement_create(s, (const char *const *)names, n, prm, &p, &err);
    ck_assert_msg(rc == 0, "placement_create(%s, %zu): %s", placement_scheme_name(s), n, err.msg);
    return p;
}

/* Loops of many thousands of checks count their failures and assert once: a ck_assert that
 * passes still records its location, which dominates the run time at that volume. The first
 * failure is kept for the message. */
struct tally {
    size_t bad;
    char first[160];
};

#define TALLY(t, cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond) && (t)->bad++ == 0)                                                            \
            snprintf((t)->first, sizeof(t)->first, __VA_ARGS__);                                   \
    } while (0)

#define TALLY_OK(t) ck_assert_msg((t)->bad == 0, "%zu failures, first: %s", (t)->bad, (t)->first)

START_TEST(test_scheme_names)
{
    for (int s = 0; s < PLACEMENT_NSCHEMES; s++) {
        enum placement_scheme back;
        ck_assert_int_eq(placement_scheme_parse(placement_scheme_name(s), &back), 0);
        ck_assert_int_eq(back, s);
    }
    enum placement_scheme x;
    ck_assert_int_eq(placement_scheme_parse("consistent", &x), -1);
    ck_assert_ptr_null(placement_scheme_name(PLACEMENT_NSCHEMES));
}
END_TEST

/* md5 of "" and "abc" are RFC 1321's test-suite values; the key hash reads their first four
 * bytes little-endian. Integer keys hash their 8 little-endian bytes. */
START_TEST(test_key_hashes)
{
    ck_assert_uint_eq(placement_md5_hash("", 0), 0xd98c1dd4u);    /* d41d8cd9... */
    ck_assert_uint_eq(placement_md5_hash("abc", 3), 0x98500190u); /* 90015098... */
    ck_assert_uint_eq(placement_ketama_key_hash(42), placement_md5_hash("key42", 5));
    const unsigned char le[8] = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
    ck_assert_uint_eq(placement_key_hash(UINT64_C(0x0123456789abcdef)), XXH3_64bits(le, 8));
    ck_assert_uint_eq(placement_hash_str("key7", 4), XXH3_64bits("key7", 4));

    struct placement *k = make(PLACEMENT_KETAMA, NULL, 3, NULL);
    struct placement *r = make(PLACEMENT_RING, NULL, 3, NULL);
    ck_assert_uint_eq(placement_hash_id(k, 9), placement_md5_hash("key9", 4));
    ck_assert_uint_eq(placement_hash_id(r, 9), placement_key_hash(9));
    ck_assert_uint_eq(placement_hash_bytes(k, "abc", 3), 0x98500190u);
    ck_assert_uint_eq(placement_hash_bytes(r, "abc", 3), XXH3_64bits("abc", 3));
    ck_assert_str_eq(placement_node_name(r, 2), "node2");
    placement_free(k);
    placement_free(r);
}
END_TEST

/* libmemcached's ketama_compatibility_libmemcached test: weighted servers, 99 keys. Both
 * point-count formulas give the same counts for these weights, so both must match. */
START_TEST(test_ketama_libmemcached_vectors)
{
    const char *names[8] = {"10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4",
                            "10.0.1.5", "10.0.1.6", "10.0.1.7", "10.0.1.8"};
    const double weights[8] = {600, 300, 200, 350, 1000, 800, 950, 100};
    for (int flavor = 0; flavor < 2; flavor++) {
        struct placement_params prm = {.weights = weights, .ketama_libmemcached = flavor};
        struct placement *p = make(PLACEMENT_KETAMA, (char **)names, 8, &prm);
        /* floor(w / 4300 * 40 * 8) digests x 4: 176+88+56+104+296+236+280+28 points. */
        ck_assert_uint_eq(placement_points(p), 1264);
        for (int i = 0; i < 99; i++) {
            const struct ketama_vector *v = &ketama_vectors[i];
            uint64_t h = placement_hash_bytes(p, v->key, strlen(v->key));
            ck_assert_uint_eq(h, v->hash);
            ck_assert_uint_eq(placement_point_of(p, h), v->point);
            ck_assert_str_eq(placement_node_name(p, placement_lookup(p, h)), v->server);
        }
        /* "VDEAAAAA hashes to fffcd1b5, after the last continuum point": it wraps to the
         * first point, the one that owns hash 0. */
        uint64_t h = placement_md5_hash("VDEAAAAA", 8);
        ck_assert_uint_eq(h, 0xfffcd1b5u);
        ck_assert_uint_eq(placement_point_of(p, h), placement_point_of(p, 0));
        ck_assert_uint_eq(placement_lookup(p, h), placement_lookup(p, 0));
        placement_free(p);
    }
}
END_TEST

/* Equal weights: libketama rounds the double product back to float and keeps 40 digests per
 * node at these sizes, libmemcached's float formula loses one at n = 25 and n = 100 (and
 * both at n = 61). The points of one node are md5("<name>-<k>") read as four LE words. */
START_TEST(test_ketama_point_counts)
{
    const size_t n[] = {1, 10, 25, 61, 100};
    const size_t libketama[] = {160, 1600, 4000, 61 * 156, 16000};
    const size_t libmemcached[] = {160, 1600, 25 * 156, 61 * 156, 15600};
    for (size_t i = 0; i < 5; i++) {
        struct placement_params prm = {0};
        struct placement *a = make(PLACEMENT_KETAMA, NULL, n[i], &prm);
        prm.ketama_libmemcached = 1;
        struct placement *b = make(PLACEMENT_KETAMA, NULL, n[i], &prm);
        ck_assert_uint_eq(placement_points(a), libketama[i]);
        ck_assert_uint_eq(placement_points(b), libmemcached[i]);
        placement_free(a);
        placement_free(b);
    }
    /* One node: its first digest's words are points; a hash equal to a point maps onto it. */
    struct placement *p = make(PLACEMENT_KETAMA, NULL, 1, NULL);
    uint8_t d[MD5_DIGEST_LENGTH];
    MD5_CTX ctx;
    MD5Init(&ctx);
    MD5Update(&ctx, (const uint8_t *)"node0-0", 7);
    MD5Final(d, &ctx);
    for (int w = 0; w < 4; w++) {
        uint32_t pt = (uint32_t)d[4 * w] | (uint32_t)d[4 * w + 1] << 8 |
                      (uint32_t)d[4 * w + 2] << 16 | (uint32_t)d[4 * w + 3] << 24;
        ck_assert_uint_eq(placement_point_of(p, pt), pt);
    }
    placement_free(p);
}
END_TEST

/* A second jump hash, written from the paper's description rather than its code: the LCG
 * draws the sequence of buckets a key jumps to as buckets are added (0, then each next jump
 * destination); the key's bucket for n is the last destination below n. */
static int32_t jump_by_destinations(uint64_t key, int32_t n)
{
    int64_t dest = 0, last = 0;
    uint64_t state = key;
    while (dest < n) {
        last = dest;
        state = state * 2862933555777941757ULL + 1;
        double r = (double)((state >> 33) + 1) / 2147483648.0; /* in (0, 1] */
        dest = (int64_t)((double)(last + 1) * (1.0 / r));
    }
    return (int32_t)last;
}

/* Reference values from the paper's code run by hand and in an independent (Python, IEEE
 * double) transcription. By hand for key 1: the LCG gives 2862933555777941758, >> 33 is
 * 333290823, so j = floor(2^31 / 333290824) = 6: bucket 0 for n <= 6 and 6 at n = 7. Key 0
 * always stays in bucket 0: its first LCG value is 1 and j = 2^31. */
START_TEST(test_jump_reference)
{
    static const int32_t n[10] = {1, 2, 3, 5, 7, 10, 100, 1000, 65536, INT32_MAX};
    static const struct {
        uint64_t key;
        int32_t bucket[10];
    } ref[] = {
        {0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
        {1, {0, 0, 0, 0, 6, 6, 55, 549, 21134, 262355607}},
        {2, {0, 0, 0, 3, 6, 6, 62, 338, 3927, 736532115}},
        {3, {0, 0, 2, 3, 3, 8, 8, 961, 59579, 1315363102}},
        {42, {0, 1, 2, 2, 2, 2, 43, 571, 5747, 1603940301}},
        {0xdeadbeef, {0, 1, 2, 3, 5, 5, 87, 285, 64244, 1452406526}},
        {UINT64_MAX, {0, 1, 2, 2, 2, 9, 92, 313, 18311, 699554662}},
        {UINT64_C(0x123456789abcdef0), {0, 0, 2, 4, 4, 4, 33, 399, 55019, 267021293}},
    };
    for (size_t k = 0; k < sizeof ref / sizeof ref[0]; k++)
        for (int i = 0; i < 10; i++)
            ck_assert_int_eq(placement_jump(ref[k].key, n[i]), ref[k].bucket[i]);
    /* Over many keys: the two implementations agree, and going from n to n + 1 buckets a key
     * either stays or moves to the new bucket n (the paper's monotonicity). */
    struct tally t = {0};
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t key = placement_key_hash(i);
        int32_t prev = 0;
        for (int32_t b = 1; b <= 300; b++) {
            int32_t j = placement_jump(key, b);
            int32_t ref2 = jump_by_destinations(key, b);
            TALLY(&t, j == ref2, "key %" PRIu64 " n %d: %d vs %d", key, b, j, ref2);
            TALLY(&t, j == prev || j == b - 1, "key %" PRIu64 " n %d: %d after %d", key, b, j,
                  prev);
            prev = j;
        }
    }
    TALLY_OK(&t);
}
END_TEST

/* The Maglev paper's worked example (Table 1): M = 7, B0 offset 3 skip 4, B1 offset 0 skip 2,
 * B2 offset 3 skip 1 fill the table as B1 B0 B1 B0 B2 B2 B0; after B1 is removed (B0 and B2
 * keep their permutations) it becomes B0 B0 B0 B0 B2 B2 B2. By hand: B0 and B2 alternate,
 * B0 taking 3, 0, 1, 2 and B2 taking 4 (3 is taken), 5, 6. */
START_TEST(test_maglev_paper_example)
{
    uint32_t table[7];
    const uint32_t offset[3] = {3, 0, 3}, skip[3] = {4, 2, 1};
    placement_maglev_populate(offset, skip, 3, 7, table);
    const uint32_t want[7] = {1, 0, 1, 0, 2, 2, 0};
    for (int s = 0; s < 7; s++)
        ck_assert_uint_eq(table[s], want[s]);
    const uint32_t offset2[2] = {3, 3}, skip2[2] = {4, 1};
    placement_maglev_populate(offset2, skip2, 2, 7, table);
    const uint32_t want2[7] = {0, 0, 0, 0, 1, 1, 1}; /* node 1 is B2 here */
    for (int s = 0; s < 7; s++)
        ck_assert_uint_eq(table[s], want2[s]);
}
END_TEST

/* Nodes claim slots in turns, so every node ends with floor(M/n) or ceil(M/n) slots. */
START_TEST(test_maglev_table_balance)
{
    const size_t ns[] = {1, 7, 100, 1000};
    for (size_t t = 0; t < 4; t++) {
        size_t n = ns[t];
        struct placement *p = make(PLACEMENT_MAGLEV, NULL, n, NULL);
        double *share = malloc(n * sizeof *share);
        ck_assert_int_eq(placement_shares(p, share), 0);
        double m = n * 100 <= 65537 ? 65537 : 655373;
        for (size_t i = 0; i < n; i++) {
            double slots = round(share[i] * m);
            ck_assert(slots == floor(m / n) || slots == ceil(m / n));
        }
        free(share);
        placement_free(p);
    }
}
END_TEST

struct movement {
    size_t moved;    /* keys whose node changed */
    size_t to_new;   /* of them, keys that went to an added node */
    size_t from_old; /* of them, keys that left a removed node */
    size_t keys;
};

/* Adds or removes nodes at the end of the name list and compares owners key by key. */
static struct movement move_keys(enum placement_scheme s, const char *prefix, size_t n1, size_t n2,
                                 size_t keys, const struct placement_params *prm)
{
    size_t nmax = n1 > n2 ? n1 : n2;
    char **names = make_names(prefix, nmax);
    struct placement *a = make(s, names, n1, prm), *b = make(s, names, n2, prm);
    struct movement mv = {.keys = keys};
    for (uint64_t k = 0; k < keys; k++) {
        uint64_t h = placement_hash_id(a, k);
        uint32_t x = s == PLACEMENT_BOUNDED ? placement_acquire(a, h) : placement_lookup(a, h);
        uint32_t y = s == PLACEMENT_BOUNDED ? placement_acquire(b, h) : placement_lookup(b, h);
        if (x != y) {
            mv.moved++;
            mv.to_new += y >= n1;
            mv.from_old += x >= n2;
        }
    }
    placement_free(a);
    placement_free(b);
    free(names);
    return mv;
}

/* 4 standard errors of a binomial proportion p over k keys. */
static double four_sigma(double p, size_t k)
{
    return 4 * sqrt(p * (1 - p) / (double)k);
}

/* Modulo keeps a key only when h mod n = h mod (n+1), i.e. for n of every n(n+1) residues:
 * the moved fraction is n/(n+1), here within 0.01 (4 standard errors are 0.0036 at 100000
 * keys). The relation is symmetric, so scaling back moves the same count. */
START_TEST(test_move_modulo)
{
    const size_t k = 100000, n = 10;
    struct movement up = move_keys(PLACEMENT_MODULO, "node", n, n + 1, k, NULL);
    struct movement down = move_keys(PLACEMENT_MODULO, "node", n + 1, n, k, NULL);
    double want = (double)n / (n + 1);
    ck_assert_double_eq_tol((double)up.moved / k, want, 0.01);
    ck_assert_uint_eq(down.moved, up.moved);
}
END_TEST

/* Jump and rendezvous move exactly the keys the new node wins, each with probability
 * 1/(n+1): a binomial count, held to 4 standard errors. Scaling back moves exactly the same
 * keys home: all of them leave the removed node and nothing else moves. */
START_TEST(test_move_jump_rendezvous)
{
    const size_t k = 200000;
    const enum placement_scheme schemes[2] = {PLACEMENT_JUMP, PLACEMENT_RENDEZVOUS};
    const size_t ns[3] = {1, 10, 99};
    for (int si = 0; si < 2; si++) {
        for (int t = 0; t < 3; t++) {
            size_t n = ns[t];
            struct movement up = move_keys(schemes[si], "node", n, n + 1, k, NULL);
            struct movement down = move_keys(schemes[si], "node", n + 1, n, k, NULL);
            double p = 1.0 / (n + 1);
            ck_assert_msg(fabs((double)up.moved / k - p) <= four_sigma(p, k),
                          "%s n=%zu moved %zu of %zu", placement_scheme_name(schemes[si]), n,
                          up.moved, k);
            ck_assert_uint_eq(up.to_new, up.moved);
            ck_assert_uint_eq(down.moved, up.moved);
            ck_assert_uint_eq(down.from_old, down.moved);
        }
    }
}
END_TEST

/* Ring and ketama: an added node takes the arcs in front of its points, so every moved key
 * goes to it, and removing it restores the old continuum exactly. Its share has coefficient
 * of variation sqrt((N-v)/(v(N+1))) ~ 1/sqrt(v) (N = (n+1)v points), 7.9% at v = 160; over 8
 * independent node sets (different names) the mean share has 2.8%, and the key sampling
 * (50000 keys, p = 1/11) adds 0.5%: 4 standard errors are 11.4%, inside the 15% allowed. */
START_TEST(test_move_ring_ketama)
{
    const size_t k = 50000, n = 10, trials = 8;
    const char *prefix[8] = {"node", "cache-", "db", "10.0.0.", "a", "b", "c", "d"};
    const enum placement_scheme schemes[2] = {PLACEMENT_RING, PLACEMENT_KETAMA};
    for (int si = 0; si < 2; si++) {
        double sum = 0;
        for (size_t t = 0; t < trials; t++) {
            struct movement up = move_keys(schemes[si], prefix[t], n, n + 1, k, NULL);
            struct movement down = move_keys(schemes[si], prefix[t], n + 1, n, k, NULL);
            ck_assert_uint_eq(up.to_new, up.moved);
            ck_assert_uint_eq(down.moved, up.moved);
            ck_assert_uint_eq(down.from_old, down.moved);
            sum += (double)up.moved / k;
        }
        double ideal = 1.0 / (n + 1);
        double mean = sum / trials;
        ck_assert_msg(fabs(mean - ideal) <= 0.15 * ideal, "%s: mean moved %.4f, ideal %.4f",
                      placement_scheme_name(schemes[si]), mean, ideal);
    }
}
END_TEST

/* Maglev is only close to minimal: besides the keys the new node takes (its share is within
 * one slot of M/(n+1), so the count is binomial around 1/(n+1)), a few slots change hands
 * between old nodes. Measured excess: 2-3% at n = 10 and about 55% at n = 100 with
 * M = 65537 (0.0153 moved against 0.0099 ideal over 8 node sets, spread 0.0003). The bounds
 * below (10% and 100%) allow that with a wide margin and still fail a table that reshuffles. */
START_TEST(test_move_maglev)
{
    const size_t k = 200000;
    const size_t ns[2] = {10, 100};
    const double excess[2] = {0.10, 1.00};
    for (int t = 0; t < 2; t++) {
        size_t n = ns[t];
        struct movement up = move_keys(PLACEMENT_MAGLEV, "node", n, n + 1, k, NULL);
        double ideal = 1.0 / (n + 1);
        ck_assert_msg(fabs((double)up.to_new / k - ideal) <= four_sigma(ideal, k),
                      "n=%zu: %zu keys to the new node", n, up.to_new);
        ck_assert_msg((double)up.moved / k <= ideal * (1 + excess[t]),
                      "n=%zu: moved %.4f, ideal %.4f", n, (double)up.moved / k, ideal);
    }
}
END_TEST

/* With v points per node on N = nv uniform points, a node's share is Beta(v, N - v): its
 * coefficient of variation is sqrt((N - v)/(v (N + 1))), about 1/sqrt(v). The shares are the
 * exact arc lengths, so no key sampling noise enters. The estimate of a standard deviation
 * over n = 600 nodes has relative standard error sqrt((2 + 6/v)/n)/2 (normal variance plus
 * the Gamma(v) excess kurtosis 6/v): 3.3% at v = 10, so 15% is beyond 4 standard errors. */
START_TEST(test_ring_balance)
{
    const size_t n = 600;
    const unsigned vs[3] = {10, 100, 1000};
    double *share = malloc(n * sizeof *share);
    for (int t = 0; t < 3; t++) {
        struct placement_params prm = {.vnodes = vs[t]};
        struct placement *p = make(PLACEMENT_RING, NULL, n, &prm);
        ck_assert_uint_eq(placement_points(p), n * vs[t]);
        ck_assert_int_eq(placement_shares(p, share), 0);
        double sum = 0, ss = 0;
        for (size_t i = 0; i < n; i++) {
            sum += share[i];
            ss += (share[i] - 1.0 / n) * (share[i] - 1.0 / n);
        }
        ck_assert_double_eq_tol(sum, 1, 1e-9);
        double cv = sqrt(ss / n) * n;
        double N = (double)n * vs[t];
        double theory = sqrt((N - vs[t]) / (vs[t] * (N + 1)));
        ck_assert_msg(fabs(cv / theory - 1) <= 0.15, "v=%u: cv %.4f, theory %.4f (1/sqrt(v) %.4f)",
                      vs[t], cv, theory, 1 / sqrt(vs[t]));
        placement_free(p);
    }
    free(share);
}
END_TEST

/* Every acquire lands on a node whose load stays within ceil(c * m / n), m counting the new
 * key; earlier loads were within the (smaller or equal) earlier caps, so the maximum never
 * exceeds the current cap. The hot-key case (every key the same hash) forces the walk past
 * full nodes and fills them up to the cap in ring order. */
START_TEST(test_bounded_cap)
{
    const size_t n = 10;
    const double c = 1.25;
    struct placement_params prm = {.load_bound = c, .vnodes = 100};
    for (int hot = 0; hot < 2; hot++) {
        struct placement *p = make(PLACEMENT_BOUNDED, NULL, n, &prm);
        uint64_t m = 0;
        struct tally t = {0};
        for (uint64_t k = 0; k < 20000; k++) {
            uint64_t h = hot ? 12345 : placement_key_hash(k);
            uint64_t cap = placement_capacity(p);
            uint32_t node = placement_acquire(p, h);
            m++;
            TALLY(&t, cap == (uint64_t)ceil(c * (double)m / n), "key %" PRIu64 ": cap %" PRIu64, k,
                  cap);
            TALLY(&t, placement_load(p, node) <= cap,
                  "key %" PRIu64 ": load %" PRIu64 " > cap %" PRIu64, k, placement_load(p, node),
                  cap);
        }
        TALLY_OK(&t);
        uint64_t maxload = 0;
        for (uint32_t i = 0; i < n; i++)
            maxload = placement_load(p, i) > maxload ? placement_load(p, i) : maxload;
        ck_assert_uint_le(maxload, 2500); /* ceil(1.25 * 20000 / 10) */
        if (hot) {
            /* 20000 keys at one point: 8 nodes full at 2500 hold all of them. */
            ck_assert_uint_eq(maxload, 2500);
        }
        /* Releases lower the loads; new keys again respect the cap of the moment. */
        uint64_t released = 0;
        for (uint32_t i = 0; i < n; i++) {
            for (int r = 0; r < 300 && placement_load(p, i) > 0; r++) {
                placement_release(p, i);
                released++;
            }
        }
        /* Uniform keys leave every node above 300; the hot key left two nodes empty. */
        ck_assert_uint_eq(released, hot ? 2400 : 3000);
        for (uint64_t k = 0; k < 5000; k++) {
            uint64_t cap = placement_capacity(p);
            uint32_t node = placement_acquire(p, hot ? 12345 : placement_key_hash(k + 99999));
            TALLY(&t, placement_load(p, node) <= cap, "after releases, key %" PRIu64, k);
        }
        TALLY_OK(&t);
        ck_assert_uint_eq(placement_total_load(p), 20000 - released + 5000);
        placement_free(p);
    }
}
END_TEST

/* Without a binding cap the bounded walk stops at the first point: the ring itself. */
START_TEST(test_bounded_loose_is_ring)
{
    struct placement_params prm = {.load_bound = 1e12, .vnodes = 50};
    struct placement *b = make(PLACEMENT_BOUNDED, NULL, 13, &prm);
    struct placement *r = make(PLACEMENT_RING, NULL, 13, &prm);
    struct tally t = {0};
    for (uint64_t k = 0; k < 20000; k++) {
        uint64_t h = placement_key_hash(k);
        TALLY(&t, placement_acquire(b, h) == placement_lookup(r, h), "key %" PRIu64, k);
    }
    TALLY_OK(&t);
    placement_free(b);
    placement_free(r);
}
END_TEST

/* Replica sets: distinct nodes, the primary first, all nodes when more are asked for. For the
 * consistent schemes, removing a node outside a key's set leaves the set unchanged (compared
 * by name, since indices shift). */
START_TEST(test_replication)
{
    const size_t n = 9;
    char **names = make_names("r", n);
    for (int s = 0; s < PLACEMENT_NSCHEMES; s++) {
        struct placement *p = make(s, names, n, NULL);
        /* The same node set without node 4. */
        char *less[8];
        for (size_t i = 0, j = 0; i < n; i++)
            if (i != 4)
                less[j++] = names[i];
        struct placement *q = make(s, less, n - 1, NULL);
        size_t stable = 0, checked = 0;
        struct tally t = {0};
        const char *name = placement_scheme_name(s);
        for (uint64_t k = 0; k < 3000; k++) {
            uint64_t h = placement_hash_id(p, k);
            uint32_t out[16];
            TALLY(&t, placement_lookup_n(p, h, out, 3) == 3, "%s key %" PRIu64 ": count", name, k);
            TALLY(&t, out[0] == placement_lookup(p, h), "%s key %" PRIu64 ": primary", name, k);
            TALLY(&t, out[0] != out[1] && out[0] != out[2] && out[1] != out[2],
                  "%s key %" PRIu64 ": repeated node", name, k);
            TALLY(&t, placement_lookup_n(p, h, out, 16) == n, "%s key %" PRIu64 ": all", name, k);
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i; j++)
                    TALLY(&t, out[i] != out[j], "%s key %" PRIu64 ": all distinct", name, k);
            placement_lookup_n(p, h, out, 3);
            if (out[0] == 4 || out[1] == 4 || out[2] == 4)
                continue;
            uint32_t out2[3];
            placement_lookup_n(q, h, out2, 3);
            checked++;
            int same = 1;
            for (int i = 0; i < 3; i++)
                same &=
                    strcmp(placement_node_name(p, out[i]), placement_node_name(q, out2[i])) == 0;
            stable += (size_t)same;
        }
        TALLY_OK(&t);
        if (s == PLACEMENT_RING || s == PLACEMENT_KETAMA || s == PLACEMENT_RENDEZVOUS ||
            s == PLACEMENT_BOUNDED)
            ck_assert_msg(stable == checked, "%s: %zu of %zu sets changed",
                          placement_scheme_name(s), checked - stable, checked);
        placement_free(p);
        placement_free(q);
    }
    free(names);
}
END_TEST

/* The unweighted rendezvous lookup runs four lanes; its winner must be the first node of a
 * one-by-one scan over lookup_n's full ranking, for node counts around the lane width. */
START_TEST(test_rendezvous_lanes)
{
    for (size_t n = 1; n <= 23; n++) {
        struct placement *p = make(PLACEMENT_RENDEZVOUS, NULL, n, NULL);
        uint32_t out[23];
        struct tally t = {0};
        for (uint64_t k = 0; k < 2000; k++) {
            uint64_t h = placement_key_hash(k);
            TALLY(&t, placement_lookup_n(p, h, out, n) == n, "n %zu key %" PRIu64, n, k);
            TALLY(&t, placement_lookup(p, h) == out[0], "n %zu key %" PRIu64 ": %u vs %u", n, k,
                  placement_lookup(p, h), out[0]);
        }
        TALLY_OK(&t);
        placement_free(p);
    }
}
END_TEST

/* Rendezvous with weights: node i wins with probability w_i / sum w (the logarithmic
 * method), checked per node to 4 binomial standard errors over 200000 keys. Ring weights
 * scale the point counts: round(v * w / mean w). */
START_TEST(test_weights)
{
    const double w[4] = {1, 2, 3, 4};
    struct placement_params prm = {.weights = w, .vnodes = 100};
    struct placement *p = make(PLACEMENT_RENDEZVOUS, NULL, 4, &prm);
    size_t count[4] = {0}, k = 200000;
    for (uint64_t i = 0; i < k; i++)
        count[placement_lookup(p, placement_key_hash(i))]++;
    for (int i = 0; i < 4; i++) {
        double want = w[i] / 10;
        ck_assert_msg(fabs((double)count[i] / k - want) <= four_sigma(want, k), "node %d: %zu", i,
                      count[i]);
    }
    placement_free(p);
    p = make(PLACEMENT_RING, NULL, 4, &prm);
    ck_assert_uint_eq(placement_points(p), 40 + 80 + 120 + 160);
    placement_free(p);
    /* Equal weights are no weights; unequal ones are refused where unsupported. */
    const double eq[3] = {5, 5, 5};
    struct placement_params prm_eq = {.weights = eq};
    p = make(PLACEMENT_JUMP, NULL, 3, &prm_eq);
    placement_free(p);
    struct sim_error err = {0};
    ck_assert_int_eq(placement_create(PLACEMENT_JUMP, NULL, 4, &prm, &p, &err), -1);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.code, SIM_EUSAGE);
}
END_TEST

START_TEST(test_errors)
{
    struct placement *p = (struct placement *)&p;
    struct sim_error err = {0};
    ck_assert_int_eq(placement_create(PLACEMENT_RING, NULL, 0, NULL, &p, &err), -1);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.code, SIM_EUSAGE);

    const char *dup[3] = {"a", "b", "a"};
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(placement_create(PLACEMENT_RING, dup, 3, NULL, &p, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "'a' appears twice"));

    const char *empty[2] = {"a", ""};
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(placement_create(PLACEMENT_MODULO, empty, 2, NULL, &p, &err), -1);

    struct placement_params prm = {.table_size = 65536};
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(placement_create(PLACEMENT_MAGLEV, NULL, 3, &prm, &p, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "prime"));
    prm.table_size = 13;
    struct placement *ok = make(PLACEMENT_MAGLEV, NULL, 3, &prm);
    placement_free(ok);

    struct placement_params lb = {.load_bound = 0.25};
    memset(&err, 0, sizeof err);
    ck_assert_int_eq(placement_create(PLACEMENT_BOUNDED, NULL, 3, &lb, &p, &err), -1);
    ck_assert_str_eq(err.path, "load_bound");
    placement_free(NULL);
}
END_TEST

Suite *placement_suite(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scheme_names);
    tcase_add_test(tc, test_key_hashes);
    tcase_add_test(tc, test_ketama_libmemcached_vectors);
    tcase_add_test(tc, test_ketama_point_counts);
    tcase_add_test(tc, test_jump_reference);
    tcase_add_test(tc, test_maglev_paper_example);
    tcase_add_test(tc, test_maglev_table_balance);
    tcase_add_test(tc, test_move_modulo);
    tcase_add_test(tc, test_move_jump_rendezvous);
    tcase_add_test(tc, test_move_ring_ketama);
    tcase_add_test(tc, test_move_maglev);
    tcase_add_test(tc, test_ring_balance);
    tcase_add_test(tc, test_bounded_cap);
    tcase_add_test(tc, test_bounded_loose_is_ring);
    tcase_add_test(tc, test_replication);
    tcase_add_test(tc, test_rendezvous_lanes);
    tcase_add_test(tc, test_weights);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}
