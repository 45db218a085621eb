/* test_pdq.c: the streaming PDQ against a direct port of the reference's full-buffer algorithm
 * on random images of many sizes (bit-exact), the dihedral rules and the hash text form. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/pdq.h"
#include "testutil.h"

/* ---- the reference's algorithm, written plainly (full-size float buffers) ---- */

static void box1d(const float *in, float *out, int len, int stride, int win)
{
    int half = (win + 2) / 2, li = 0, ri = 0, oi = 0, cnt = 0;
    float sum = 0.0f;
    for (int i = 0; i < half - 1; i++) {
        sum += in[ri];
        cnt++;
        ri += stride;
    }
    for (int i = 0; i < win - half + 1; i++) {
        sum += in[ri];
        cnt++;
        out[oi] = sum / cnt;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < len - win; i++) {
        sum += in[ri];
        sum -= in[li];
        out[oi] = sum / cnt;
        li += stride;
        ri += stride;
        oi += stride;
    }
    for (int i = 0; i < half - 1; i++) {
        sum -= in[li];
        cnt--;
        out[oi] = sum / cnt;
        li += stride;
        oi += stride;
    }
}

static void naive_pdq(float *b1, int rows, int cols, int dih, ad_pdq_result *out)
{
    float *b2 = malloc(sizeof(float) * (size_t)rows * (size_t)cols);
    float buf[64][64];
    if (rows == 64 && cols == 64) {
        memcpy(buf, b1, sizeof buf);
    } else {
        int wr = (cols + 127) / 128, wc = (rows + 127) / 128;
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < rows; i++)
                box1d(b1 + (size_t)i * cols, b2 + (size_t)i * cols, cols, 1, wr);
            for (int j = 0; j < cols; j++)
                box1d(b2 + j, b1 + j, rows, cols, wc);
        }
        for (int i = 0; i < 64; i++) {
            int ii = (int)(((i + 0.5) * rows) / 64);
            for (int j = 0; j < 64; j++) {
                int jj = (int)(((j + 0.5) * cols) / 64);
                buf[i][j] = b1[(size_t)ii * cols + jj];
            }
        }
    }
    free(b2);
    ad_pdq_from_64x64((const float(*)[64])buf, dih, out);
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

static void check_size(int w, int h)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    float *luma = malloc(sizeof(float) * (size_t)w * h);
    /* smooth structure plus noise, so the hash is not degenerate */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                double v = 128 + 60 * sin(x * 0.05 * (c + 1)) * cos(y * 0.03) + (rnd() % 50);
                rgb[((size_t)y * w + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    for (size_t i = 0; i < (size_t)w * h; i++)
        luma[i] = 0.299f * rgb[3 * i] + 0.587f * rgb[3 * i + 1] + 0.114f * rgb[3 * i + 2];
    ad_pdq_result a, b;
    naive_pdq(luma, h, w, 1, &a);
    assert_int_equal(ad_pdq_from_u8(rgb, w, h, (size_t)w * 3, 3, 1, &b, NULL), AD_OK);
    if (!ad_h256_equal(&a.hash, &b.hash) || a.quality != b.quality) {
        char x[65], y[65];
        fail_msg("%dx%d: naive %s q%d, streaming %s q%d", w, h, ad_h256_format(&a.hash, x),
                 a.quality, ad_h256_format(&b.hash, y), b.quality);
    }
    for (int v = 0; v < AD_PDQ_NVARIANTS; v++)
        assert_true(ad_h256_equal(&a.dihedral[v], &b.dihedral[v]));
    free(rgb);
    free(luma);
}

static void test_streaming_equals_reference(void **state)
{
    (void)state;
    static const int sizes[][2] = {
        {5, 5},     {5, 9},     {7, 300},  {63, 64},  {64, 64},   {64, 65},   {100, 37},
        {127, 128}, {128, 129}, {129, 257}, {255, 256}, {256, 255}, {300, 1},   {513, 511},
        {640, 480}, {1000, 7},  {1001, 999}, {1600, 1004}, {2000, 33}, {17, 2049},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i][0] >= 5 && sizes[i][1] >= 5)
            check_size(sizes[i][0], sizes[i][1]);
    for (int k = 0; k < 30; k++)
        check_size(5 + (int)(rnd() % 700), 5 + (int)(rnd() % 700));
}

static void test_too_small(void **state)
{
    (void)state;
    uint8_t px[4 * 4 * 3] = {0};
    ad_pdq_result r;
    ad_err e;
    assert_int_equal(ad_pdq_from_u8(px, 4, 4, 12, 3, 0, &r, &e), AD_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.msg, "too small"));
    assert_int_equal(ad_pdq_from_u8(px, 4, 4, 12, 2, 0, &r, &e), AD_ERR_ARG);
}

static void test_hash_has_128_ones(void **state)
{
    (void)state;
    uint8_t *px = malloc(300 * 200);
    for (int i = 0; i < 300 * 200; i++)
        px[i] = (uint8_t)(rnd() & 255);
    ad_pdq_result r;
    assert_int_equal(ad_pdq_from_u8(px, 300, 200, 300, 1, 1, &r, NULL), AD_OK);
    for (int v = 0; v < AD_PDQ_NVARIANTS; v++)
        assert_int_equal(ad_h256_popcount(&r.dihedral[v]), 128);
    assert_true(ad_h256_equal(&r.hash, &r.dihedral[AD_PDQ_ORIG]));
    free(px);
}

/* A rotated/flipped image's hash equals the matching variant of the original's DCT,
 * up to edge effects of the blur: test on a 64x64 image, where there is no blur at all. */
static void test_dihedral_matches_transformed_image(void **state)
{
    (void)state;
    float img[64][64], t[64][64];
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            img[i][j] = (float)(rnd() % 256);
    ad_pdq_result orig, tr;
    ad_pdq_from_64x64((const float(*)[64])img, 1, &orig);
    for (int v = 0; v < AD_PDQ_NVARIANTS; v++) {
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 64; j++) {
                float x;
                switch (v) {
                case AD_PDQ_ORIG: x = img[i][j]; break;
                case AD_PDQ_ROT90: x = img[j][63 - i]; break;   /* counter-clockwise */
                case AD_PDQ_ROT180: x = img[63 - i][63 - j]; break;
                case AD_PDQ_ROT270: x = img[63 - j][i]; break;
                case AD_PDQ_FLIPX: x = img[63 - i][j]; break;   /* upside down */
                case AD_PDQ_FLIPY: x = img[i][63 - j]; break;   /* mirror */
                case AD_PDQ_FLIPP: x = img[j][i]; break;        /* transpose */
                default: x = img[63 - j][63 - i]; break;        /* anti-transpose */
                }
                t[i][j] = x;
            }
        ad_pdq_from_64x64((const float(*)[64])t, 0, &tr);
        int d = ad_h256_distance(&tr.hash, &orig.dihedral[v]);
        if (d > 2)
            fail_msg("variant %s: distance %d", ad_pdq_variant_names[v], d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streaming_equals_reference),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_hash_has_128_ones),
        cmocka_unit_test(test_dihedral_matches_transformed_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
