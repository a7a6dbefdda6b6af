/* Tests for sim/rng.c: streams are reproducible, every element of the tuple matters, the seed
 * encoding is the documented one, and seeding matches the mt19937 reference generator. */
#include "sim/rng.h"

#include <check.h>
#include <string.h>
#include <xxhash.h>

static void first_words(gsl_rng *r, unsigned long *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
}

START_TEST(test_same_tuple_same_stream)
{
    gsl_rng *a = rng_stream(42, "cache", 3, "service");
    gsl_rng *b = rng_stream(42, "cache", 3, "service");
    ck_assert_ptr_eq(a->type, gsl_rng_mt19937);
    int differ = 0;
    for (int i = 0; i < 10000; i++)
        differ += gsl_rng_get(a) != gsl_rng_get(b);
    ck_assert_int_eq(differ, 0);
    gsl_rng_free(a);
    gsl_rng_free(b);
    ck_assert_uint_eq(rng_stream_seed(42, "cache", 3, "service"),
                      rng_stream_seed(42, "cache", 3, "service"));
}
END_TEST

/* Changing any one element gives another seed and another stream; the first 8 words of two
 * independent streams agree by chance with probability 2^-256. */
START_TEST(test_each_element_matters)
{
    static const struct {
        uint64_t seed;
        const char *component;
        uint32_t node;
        const char *purpose;
    } t[] = {
        {1, "web", 0, "service"},
        {2, "web", 0, "service"},
        {1, "web2", 0, "service"},
        {1, "web", 1, "service"},
        {1, "web", 0, "arrivals"},
        {1, "", 0, "service"},
        {1, "web", 0, ""},
        {1ull << 32, "web", 0, "service"},
        {1, "web", 1u << 31, "service"},
        {1, "webservice", 0, ""},
        {1, "", 0, "webservice"},
    };
    const size_t n = sizeof t / sizeof t[0];
    uint64_t seeds[sizeof t / sizeof t[0]];
    unsigned long words[sizeof t / sizeof t[0]][8];
    for (size_t i = 0; i < n; i++) {
        seeds[i] = rng_stream_seed(t[i].seed, t[i].component, t[i].node, t[i].purpose);
        gsl_rng *r = rng_stream(t[i].seed, t[i].component, t[i].node, t[i].purpose);
        first_words(r, words[i], 8);
        gsl_rng_free(r);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            ck_assert_msg(seeds[i] != seeds[j], "tuples %zu and %zu share a seed", i, j);
            ck_assert_msg(memcmp(words[i], words[j], sizeof words[i]) != 0,
                          "tuples %zu and %zu share a stream", i, j);
        }
}
END_TEST

/* Length prefixes keep string boundaries: moving a character between component and purpose
 * changes the seed. */
START_TEST(test_string_boundaries)
{
    ck_assert_uint_ne(rng_stream_seed(1, "ab", 0, "c"), rng_stream_seed(1, "a", 0, "bc"));
    ck_assert_uint_ne(rng_stream_seed(1, "a", 0, ""), rng_stream_seed(1, "", 0, "a"));
    /* NULL is documented to encode like "". */
    ck_assert_uint_eq(rng_stream_seed(1, NULL, 0, NULL), rng_stream_seed(1, "", 0, ""));
}
END_TEST

/* The encoding, spelt out byte by byte: the domain string, the seed, the component, the node
 * and the purpose, little-endian, strings after their 64-bit length. Anyone can recompute a
 * stream seed from this description with any XXH3 implementation. */
START_TEST(test_documented_encoding)
{
    static const unsigned char bytes[] = {
        17,  0,   0,   0,   0,   0,   0,   0,   'c', 'l', 'u', 's', 't', 'e', 'r',
        's', 'i', 'm', '.', 'r', 'n', 'g', '.', 'v', '1',                           /* domain */
        1,   0,   0,   0,   0,   0,   0,   0,                                       /* seed 1 */
        3,   0,   0,   0,   0,   0,   0,   0,   'w', 'e', 'b',                      /* component */
        2,   1,   0,   0,                                                           /* node 258 */
        7,   0,   0,   0,   0,   0,   0,   0,   's', 'e', 'r', 'v', 'i', 'c', 'e'}; /* purpose */
    ck_assert_uint_eq(rng_stream_seed(1, "web", 258, "service"), XXH3_64bits(bytes, sizeof bytes));
}
END_TEST

/* Regression vector: these numbers are fixed on purpose. If they change, every scenario's
 * results change with them; that must be a deliberate decision (bump the domain string). */
START_TEST(test_regression_vector)
{
    ck_assert_uint_eq(rng_stream_seed(1, "web", 0, "service"), UINT64_C(0xb9801f8b952b5fd8));
    static const unsigned long want[5] = {1560825552UL, 1617738660UL, 3218352253UL, 2653828727UL,
                                          954532220UL};
    unsigned long got[5];
    gsl_rng *r = rng_stream(1, "web", 0, "service");
    first_words(r, got, 5);
    gsl_rng_free(r);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(got[i], want[i]);
}
END_TEST

/* init_by_array({0x123, 0x234, 0x345, 0x456}) is the reference example of Matsumoto and
 * Nishimura's mt19937ar.c; its published output (mt19937ar.out) starts with these words. This
 * checks both the seeding and that GSL's state is what rng.c assumes. */
START_TEST(test_matches_mt19937ar_reference)
{
    static const uint32_t key[4] = {0x123, 0x234, 0x345, 0x456};
    static const unsigned long want[10] = {1067595299UL, 955945823UL,  477289528UL,  4107218783UL,
                                           4228976476UL, 3344332714UL, 3355579695UL, 227628506UL,
                                           810200273UL,  2591290167UL};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    rng_seed_mt_array(r, key, 4);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(gsl_rng_get(r), want[i]);
    /* Reseeding the same generator starts the same sequence again. */
    rng_seed_mt_array(r, key, 4);
    ck_assert_uint_eq(gsl_rng_get(r), want[0]);
    gsl_rng_free(r);
}
END_TEST

/* The stream's words are uniform: the mean of 2e5 uniforms on [0,1) has standard error
 * sqrt(1/12/2e5) = 6.45e-4; 4 standard errors allow 2.6e-3. */
START_TEST(test_stream_is_uniform)
{
    gsl_rng *r = rng_stream(7, "db", 2, "service");
    const int n = 200000;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += gsl_rng_uniform(r);
    gsl_rng_free(r);
    ck_assert_double_eq_tol(sum / n, 0.5, 4 * 6.455e-4);
}
END_TEST

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_same_tuple_same_stream);
    tcase_add_test(tc, test_each_element_matters);
    tcase_add_test(tc, test_string_boundaries);
    tcase_add_test(tc, test_documented_encoding);
    tcase_add_test(tc, test_regression_vector);
    tcase_add_test(tc, test_matches_mt19937ar_reference);
    tcase_add_test(tc, test_stream_is_uniform);
    suite_add_tcase(s, tc);
    return s;
}
