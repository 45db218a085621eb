/* test_util.c: errors, hex, 256-bit hash text form, the parallel loop. */
#include <stdatomic.h>
#include <string.h>

#include "ariadne/h256.h"
#include "ariadne/util.h"
#include "testutil.h"

static void test_err(void **state)
{
    (void)state;
    ad_err e;
    assert_int_equal(ad_err_set(&e, AD_ERR_CORRUPT, "bad %d", 7), AD_ERR_CORRUPT);
    assert_string_equal(e.msg, "bad 7");
    ad_err_prefix(&e, "file %s", "x.jpg");
    assert_string_equal(e.msg, "file x.jpg: bad 7");
    assert_string_equal(ad_code_name(AD_ERR_LIMIT), "limit");
    assert_string_equal(ad_code_name((ad_code)999), "unknown");
    ad_err_set(&e, AD_ERR_IO, "two\nlines\n");
    assert_string_equal(e.msg, "two lines");
}

static void test_h256_roundtrip(void **state)
{
    (void)state;
    const char *hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    ad_h256 h;
    char out[65];
    assert_int_equal(ad_h256_parse(&h, hex, 64, NULL), AD_OK);
    assert_string_equal(ad_h256_format(&h, out), hex);
    /* upper case accepted, output lower case */
    char up[65];
    for (int i = 0; i < 64; i++)
        up[i] = (char)((hex[i] >= 'a' && hex[i] <= 'f') ? hex[i] - 32 : hex[i]);
    up[64] = 0;
    ad_h256 h2;
    assert_int_equal(ad_h256_parse(&h2, up, 64, NULL), AD_OK);
    assert_true(ad_h256_equal(&h, &h2));
    assert_int_equal(ad_h256_popcount(&h), 128);
}

static void test_h256_reject(void **state)
{
    (void)state;
    ad_h256 h;
    ad_err e;
    assert_int_equal(ad_h256_parse(&h, "abc", 3, &e), AD_ERR_PARSE);
    assert_int_equal(ad_h256_parse(&h, "00000000000000000000000000000000", 32, &e), AD_ERR_PARSE);
    char bad[65];
    memset(bad, '0', 64);
    bad[64] = 0;
    bad[10] = 'g';
    assert_int_equal(ad_h256_parse(&h, bad, 64, &e), AD_ERR_PARSE);
    bad[10] = ' ';
    assert_int_equal(ad_h256_parse(&h, bad, 64, &e), AD_ERR_PARSE);
}

static void test_h256_bits_and_distance(void **state)
{
    (void)state;
    /* bit order as the reference: the last 4 hex digits are DCT row 0, bit j = column j. */
    ad_h256 h;
    memset(&h, 0, sizeof h);
    ad_h256_set_bit(&h, 0);
    ad_h256_set_bit(&h, 255);
    char out[65];
    assert_string_equal(ad_h256_format(&h, out),
                        "8000000000000000000000000000000000000000000000000000000000000001");
    assert_int_equal(ad_h256_get_bit(&h, 0), 1);
    assert_int_equal(ad_h256_get_bit(&h, 1), 0);
    /* vectors of python-threatexchange test_pdq_utils: 0x0f.. vs 0xf0.. = 256; vs ones = 128 */
    ad_h256 a, b, c;
    memset(a.b, 0x0f, 32);
    memset(b.b, 0xf0, 32);
    memset(c.b, 0xff, 32);
    assert_int_equal(ad_h256_distance(&a, &b), 256);
    assert_int_equal(ad_h256_distance(&a, &c), 128);
}

static void count_fn(void *ctx, size_t i, int worker)
{
    (void)worker;
    atomic_int *hits = ctx;
    atomic_fetch_add(&hits[i], 1);
}

static void test_parallel(void **state)
{
    (void)state;
    static atomic_int hits[1000];
    for (int t = 1; t <= 4; t++) {
        for (int i = 0; i < 1000; i++)
            atomic_init(&hits[i], 0);
        assert_int_equal(ad_parallel_for(1000, t, count_fn, hits, NULL), AD_OK);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(atomic_load(&hits[i]), 1);
    }
    assert_int_equal(ad_parallel_for(0, 2, count_fn, hits, NULL), AD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err),
        cmocka_unit_test(test_h256_roundtrip),
        cmocka_unit_test(test_h256_reject),
        cmocka_unit_test(test_h256_bits_and_distance),
        cmocka_unit_test(test_parallel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
