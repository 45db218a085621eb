/* test_border.c: borders found and not found (letterbox, pillarbox, a white frame, JPEG-like
 * noise; a flat image, a dark photo and a plain sky left alone), and the area PDQ whose 8
 * dihedral forms are the hashes of the truly turned picture (ariadne/border.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "testutil.h"

static unsigned seed = 12345;
static unsigned rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) & 0xffffff;
}

/* A smooth textured picture w x h: sums of random waves, values 30..225. */
static void picture(float *p, int w, int h, size_t stride)
{
    float a[6], fx[6], fy[6];
    for (int k = 0; k < 6; k++) {
        a[k] = (float)(rnd() % 40);
        fx[k] = (float)(rnd() % 9 + 1) / (float)w * 6.28f;
        fy[k] = (float)(rnd() % 9 + 1) / (float)h * 6.28f;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = 128;
            for (int k = 0; k < 6; k++)
                v += a[k] * sinf(fx[k] * (float)x + fy[k] * (float)y + (float)k);
            p[(size_t)y * stride + (size_t)x] = v < 30 ? 30 : v > 225 ? 225 : v;
        }
}

static void fill(float *p, int w, int h, size_t stride, float v)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[(size_t)y * stride + (size_t)x] = v;
}

/* JPEG-like noise: +-3 levels. */
static void noise(float *p, int w, int h)
{
    for (int i = 0; i < w * h; i++)
        p[i] += (float)((int)(rnd() % 7) - 3);
}

static void expect(const float *p, int w, int h, int found, ad_rect want)
{
    ad_rect c;
    int f = ad_border_find(p, w, h, (size_t)w, 0, &c);
    if (f != found)
        fail_msg("border %s, want %s (content %d,%d %dx%d)", f ? "found" : "not found",
                 found ? "found" : "none", c.x, c.y, c.w, c.h);
    if (found && (abs(c.x - want.x) > 1 || abs(c.y - want.y) > 1 || abs(c.w - want.w) > 2 ||
                  abs(c.h - want.h) > 2))
        fail_msg("content %d,%d %dx%d, want %d,%d %dx%d", c.x, c.y, c.w, c.h, want.x, want.y,
                 want.w, want.h);
}

static void test_letterbox_pillarbox_frame(void **state)
{
    (void)state;
    const int w = 320, h = 240;
    float *p = malloc((size_t)w * h * sizeof *p);
    /* black bars above and below */
    fill(p, w, h, w, 0);
    picture(p + 30 * w, w, 180, w);
    noise(p, w, h);
    expect(p, w, h, 1, (ad_rect){0, 30, 320, 180});
    /* black bars left and right */
    fill(p, w, h, w, 2);
    picture(p + 40, 240, h, w);
    noise(p, w, h);
    expect(p, w, h, 1, (ad_rect){40, 0, 240, 240});
    /* black bars, the picture dark and textured at its bottom edge (no clear edge there, and
     * no flat margin: a flat one is trimmed whole, test_edge_of_border_colour): centred
     * padding, the bottom bar taken as deep as the top one */
    fill(p, w, h, w, 0);
    picture(p + 30 * w, w, 180, w);
    for (int y = 180; y < 210; y++)
        for (int x = 0; x < w; x++)
            p[y * w + x] = 4.0f + 4.0f * sinf((float)x * 0.21f + (float)y * 0.13f);
    for (int y = 150; y < 180; y++)
        for (int x = 0; x < w; x++)
            p[y * w + x] = p[y * w + x] * (float)(180 - y) / 30.0f + 4.0f;
    noise(p, w, h);
    expect(p, w, h, 1, (ad_rect){0, 30, 320, 180});
    /* a white frame on every side */
    fill(p, w, h, w, 255);
    picture(p + 20 * w + 20, 280, 200, w);
    expect(p, w, h, 1, (ad_rect){20, 20, 280, 200});
    free(p);
}


/* A picture on a flat white page (a drawing, a product shot): a disc of texture centred at
 * (cx, cy) with radius r, the page 250 with JPEG-like noise. Its first content lines touch
 * the disc on a few pixels only: no clear edge. */
static void on_page(float *p, int w, int h, int cx, int cy, int r)
{
    float *t = malloc((size_t)w * h * sizeof *t);
    picture(t, w, h, w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[y * w + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r ? t[y * w + x] : 250;
    noise(p, w, h);
    free(t);
}

/* A framed copy of a picture whose own edge is the frame's colour: the border cannot be told
 * from the page, so both the picture and its framed copy are trimmed to the same content (the
 * page's flat margin is a border without a clear edge), and their trimmed PDQs agree. */
static void test_edge_of_border_colour(void **state)
{
    (void)state;
    const int w = 320, h = 240, fw = 352, fh = 272; /* a 16-pixel frame */
    float *p = malloc((size_t)fw * fh * sizeof *p);
    on_page(p, w, h, 160, 120, 80); /* the disc spans x 80..240, y 40..200 */
    expect(p, w, h, 1, (ad_rect){80, 40, 161, 161});
    on_page(p, fw, fh, 176, 136, 80); /* the same on a page 16 pixels wider on every side */
    expect(p, fw, fh, 1, (ad_rect){96, 56, 161, 161});
    free(p);
}

static void test_not_fooled(void **state)
{
    (void)state;
    const int w = 320, h = 240;
    float *p = malloc((size_t)w * h * sizeof *p);
    /* flat, and flat with noise */
    fill(p, w, h, w, 128);
    expect(p, w, h, 0, (ad_rect){0});
    noise(p, w, h);
    expect(p, w, h, 0, (ad_rect){0});
    /* a plain sky: a vertical gradient with noise, a picture in its lower half */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[y * w + x] = 120.0f + (float)y * 0.4f;
    picture(p + 150 * w, w, 90, w);
    noise(p, w, h);
    expect(p, w, h, 0, (ad_rect){0});
    /* a dark photo: values 0..30, smooth, darkest at the top */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p[y * w + x] = (float)y / (float)h * 20.0f +
                           6.0f * sinf((float)x * 0.05f) * sinf((float)y * 0.07f) + 4.0f;
    noise(p, w, h);
    expect(p, w, h, 0, (ad_rect){0});
    /* a picture with no border */
    picture(p, w, h, w);
    expect(p, w, h, 0, (ad_rect){0});
    /* bars leaving too little content (under 35% of the height) */
    fill(p, w, h, w, 0);
    picture(p + 100 * w, w, 40, w);
    expect(p, w, h, 0, (ad_rect){0});
    free(p);
}

/* The hashes beside the plain PDQ of a w x h luma picture. */
static void more_of(const float *p, int w, int h, ad_pdq_more *out)
{
    ad_pdq_more_acc *a;
    assert_int_equal(ad_pdq_more_new(&a, w, h, NULL), AD_OK);
    for (int y = 0; y < h; y++)
        ad_pdq_more_push(a, p + (size_t)y * w);
    assert_int_equal(ad_pdq_more_finish(a, out, NULL), AD_OK);
    ad_pdq_more_free(a);
}

/* The area PDQ of a picture turned by pixels equals the matching dihedral form of the
 * original's area PDQ (the cells are symmetric); the plain PDQ's forms need not. */
static void test_area_turns(void **state)
{
    (void)state;
    const int w = 301, h = 203;
    float *p = malloc((size_t)w * h * sizeof *p), *t = malloc((size_t)w * h * sizeof *t);
    picture(p, w, h, w);
    for (int i = 0; i < w * h; i++)
        p[i] += (float)(rnd() % 60); /* texture, so that the hash is not all low frequencies */
    ad_pdq_more orig, turned;
    more_of(p, w, h, &orig);
    assert_true(orig.has_area && !orig.has_trim);
    for (int v = 1; v < AD_PDQ_NVARIANTS; v++) {
        const int swap = v == AD_PDQ_ROT90 || v == AD_PDQ_ROT270 || v == AD_PDQ_FLIPP ||
                         v == AD_PDQ_FLIPM;
        const int tw = swap ? h : w, th = swap ? w : h;
        for (int i = 0; i < th; i++)
            for (int j = 0; j < tw; j++) {
                int sy, sx;
                switch (v) {
                case AD_PDQ_ROT90: sy = j, sx = w - 1 - i; break; /* counter-clockwise */
                case AD_PDQ_ROT180: sy = h - 1 - i, sx = w - 1 - j; break;
                case AD_PDQ_ROT270: sy = h - 1 - j, sx = i; break;
                case AD_PDQ_FLIPX: sy = h - 1 - i, sx = j; break;
                case AD_PDQ_FLIPY: sy = i, sx = w - 1 - j; break;
                case AD_PDQ_FLIPP: sy = j, sx = i; break;
                default: sy = h - 1 - j, sx = w - 1 - i; break;
                }
                t[i * tw + j] = p[sy * w + sx];
            }
        more_of(t, tw, th, &turned);
        int d = ad_h256_distance(&turned.area.hash, &orig.area.dihedral[v]);
        if (d > 4)
            fail_msg("%s: the turned picture's area PDQ is %d bits from the form",
                     ad_pdq_variant_names[v], d);
    }
    free(p);
    free(t);
}

/* The trimmed PDQ of a letterboxed picture is close to the PDQ of the picture alone, and the
 * area PDQ of its content is the picture's own area PDQ (since stop 22: docs/pdq.md "Borders
 * and turns"). */
static void test_trimmed_pdq(void **state)
{
    (void)state;
    const int w = 400, h = 300, ch = 220;
    float *p = malloc((size_t)w * h * sizeof *p);
    fill(p, w, h, w, 0);
    picture(p + 40 * w, w, ch, w);
    ad_pdq_result alone;
    assert_int_equal(ad_pdq_from_luma(p + 40 * w, w, ch, (size_t)w, 0, &alone, NULL), AD_OK);
    ad_pdq_more m, a;
    more_of(p, w, h, &m);
    assert_true(m.has_trim);
    assert_int_equal(m.content.y, 40);
    assert_int_equal(m.content.h, ch);
    assert_true(ad_h256_distance(&m.trim.hash, &alone.hash) <= 8);
    more_of(p + 40 * w, w, ch, &a);
    assert_true(m.has_trim_area && a.has_area && !a.has_trim && !a.has_trim_area);
    assert_true(ad_h256_distance(&m.trim_area.hash, &a.area.hash) <= 2);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_letterbox_pillarbox_frame),
        cmocka_unit_test(test_not_fooled),
        cmocka_unit_test(test_edge_of_border_colour),
        cmocka_unit_test(test_area_turns),
        cmocka_unit_test(test_trimmed_pdq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
