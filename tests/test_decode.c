/* test_decode.c: the image decoders on every variant of their formats, made here with the
 * formats' own libraries so the expected pixels are known exactly: PNG of every colour type at
 * every bit depth, with and without transparency (tRNS or an alpha channel), interlaced or not. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "ariadne/media.h"
#include "testutil.h"

enum { W = 37, H = 23 }; /* odd sizes: packed rows end mid-byte */

/* ---- a PNG written in memory ---- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void on_write(png_structp png, png_bytep data, png_size_t n)
{
    membuf *b = png_get_io_ptr(png);
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void on_flush(png_structp png)
{
    (void)png;
}

/* The sample of channel c at (x, y): a pattern using every value of the depth. */
static unsigned sample(int x, int y, int c, int depth)
{
    unsigned v = (unsigned)(x * 7 + y * 13 + c * 29) * 2654435761u >> 7;
    return v & ((1u << depth) - 1);
}

static uint8_t pal_r(unsigned i) { return (uint8_t)(i * 37 + 11); }
static uint8_t pal_g(unsigned i) { return (uint8_t)(i * 91 + 3); }
static uint8_t pal_b(unsigned i) { return (uint8_t)(i * 151 + 200); }

/* Puts `depth`-bit value v at sample index i of a packed row. */
static void put(uint8_t *row, size_t i, unsigned v, int depth)
{
    if (depth == 16) {
        row[2 * i] = (uint8_t)(v >> 8);
        row[2 * i + 1] = (uint8_t)v;
    } else if (depth == 8) {
        row[i] = (uint8_t)v;
    } else {
        size_t bit = i * (size_t)depth;
        row[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
    }
}

typedef struct {
    int type, depth, trns, interlace;
} kind;

static int png_channels(int type)
{
    return type == 2 ? 3 : type == 4 ? 2 : type == 6 ? 4 : 1;
}

static membuf write_png(const kind *k)
{
    membuf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not write type %d depth %d", k->type, k->depth);
    png_set_write_fn(png, &b, on_write, on_flush);
    png_set_IHDR(png, info, W, H, k->depth, k->type,
                 k->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (k->type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte alpha[256];
        int n = 1 << k->depth;
        for (int i = 0; i < n; i++) {
            pal[i] = (png_color){pal_r((unsigned)i), pal_g((unsigned)i), pal_b((unsigned)i)};
            alpha[i] = (png_byte)(i % 3 ? 255 : i * 5); /* some entries (partly) transparent */
        }
        png_set_PLTE(png, info, pal, n);
        if (k->trns)
            png_set_tRNS(png, info, alpha, n, NULL);
    } else if (k->trns) { /* one transparent colour */
        png_color_16 c = {0, (png_uint_16)sample(1, 1, 0, k->depth),
                          (png_uint_16)sample(1, 1, 1, k->depth),
                          (png_uint_16)sample(1, 1, 2, k->depth),
                          (png_uint_16)sample(1, 1, 0, k->depth)};
        png_set_tRNS(png, info, NULL, 0, &c);
    }
    png_write_info(png, info);
    const int ch = png_channels(k->type);
    const size_t rowbytes = ((size_t)W * (size_t)ch * (size_t)k->depth + 7) / 8;
    uint8_t *img = calloc(H, rowbytes);
    png_bytep rows[H];
    for (int y = 0; y < H; y++) {
        rows[y] = img + (size_t)y * rowbytes;
        for (int x = 0; x < W; x++)
            for (int c = 0; c < ch; c++)
                put(rows[y], (size_t)x * (size_t)ch + (size_t)c, sample(x, y, c, k->depth),
                    k->depth);
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(img);
    return b;
}

/* The 8-bit pixel the decoder must deliver at (x, y), channel c (alpha dropped). */
static uint8_t expected(const kind *k, int x, int y, int c)
{
    if (k->type == PNG_COLOR_TYPE_PALETTE) {
        unsigned i = sample(x, y, 0, k->depth);
        return c == 0 ? pal_r(i) : c == 1 ? pal_g(i) : pal_b(i);
    }
    unsigned v = sample(x, y, c, k->depth);
    switch (k->depth) {
    case 1: return (uint8_t)(v * 255);
    case 2: return (uint8_t)(v * 85);
    case 4: return (uint8_t)(v * 17);
    case 16: return (uint8_t)v; /* the low byte, as the reference (docs/pdq.md) */
    default: return (uint8_t)v;
    }
}

/* ---- decoding into memory ---- */

typedef struct {
    int w, h, ch, y;
    uint8_t *px;
} collect;

static ad_code c_begin(void *ctx, int w, int h, int ch, ad_err *err)
{
    (void)err;
    collect *c = ctx;
    c->w = w, c->h = h, c->ch = ch;
    c->px = malloc((size_t)w * (size_t)h * (size_t)ch);
    return c->px ? AD_OK : AD_ERR_NOMEM;
}

static void c_row(void *ctx, const uint8_t *p)
{
    collect *c = ctx;
    if (c->y < c->h)
        memcpy(c->px + (size_t)c->y * (size_t)c->w * (size_t)c->ch, p, (size_t)c->w * (size_t)c->ch);
    c->y++;
}

static void check_kind(const kind *k)
{
    membuf b = write_png(k);
    ad_decode_opts o = {0};
    ad_limits_default(&o.limits);
    ad_image_sink sink = {c_begin, c_row};
    collect c = {0};
    ad_image_info info;
    ad_err e = {0};
    ad_code rc = ad_image_decode(AD_MEDIA_PNG, b.p, b.n, &o, &sink, &c, &info, &e);
    if (rc != AD_OK)
        fail_msg("PNG type %d depth %d%s%s: %s", k->type, k->depth, k->trns ? " tRNS" : "",
                 k->interlace ? " interlaced" : "", e.msg);
    const int grey = !(k->type & PNG_COLOR_MASK_COLOR) && k->type != PNG_COLOR_TYPE_PALETTE;
    assert_int_equal(c.w, W);
    assert_int_equal(c.h, H);
    assert_int_equal(c.y, H);
    assert_int_equal(c.ch, grey ? 1 : 3);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int ch = 0; ch < c.ch; ch++) {
                uint8_t got = c.px[((size_t)y * W + (size_t)x) * (size_t)c.ch + (size_t)ch];
                uint8_t want = expected(k, x, y, ch);
                if (got != want)
                    fail_msg("PNG type %d depth %d%s%s: pixel (%d,%d) channel %d is %d, not %d",
                             k->type, k->depth, k->trns ? " tRNS" : "",
                             k->interlace ? " interlaced" : "", x, y, ch, got, want);
            }
    free(c.px);
    free(b.p);
}

static void test_png_every_kind(void **state)
{
    (void)state;
    static const struct {
        int type;
        int depths[5];
        int can_trns;
    } types[] = {
        {PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}, 1},
        {PNG_COLOR_TYPE_RGB, {8, 16}, 1},
        {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}, 1},
        {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}, 0},
        {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}, 0},
    };
    int n = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (int d = 0; d < 5 && types[t].depths[d]; d++)
            for (int trns = 0; trns <= types[t].can_trns; trns++)
                for (int il = 0; il <= 1; il++) {
                    kind k = {types[t].type, types[t].depths[d], trns, il};
                    check_kind(&k);
                    n++;
                }
    assert_int_equal(n, 2 * (2 * 5 + 2 * 2 + 2 * 4 + 2 + 2));
}

static long maxrss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* Hostile files found by fuzzing (fuzz/regressions): each is refused with an error, within the
 * limits. A HEIF whose primary image is an overlay declaring a huge canvas made libheif allocate
 * 3.4 GB (its side limit was 1,000,000 pixels; now the square root of max_pixels). */
static void test_hostile_found_by_fuzzing(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = td_read_file(td_path("data/hostile/heif-overlay-canvas.heic"), &len);
    assert_non_null(d);
    ad_decode_opts o = {0};
    ad_limits_default(&o.limits);
    ad_image_sink sink = {c_begin, c_row};
    collect c = {0};
    ad_image_info info;
    ad_err e = {0};
    long before = maxrss_mib();
    ad_code rc = ad_image_decode(AD_MEDIA_HEIF, d, len, &o, &sink, &c, &info, &e);
    long grew = maxrss_mib() - before;
    if (rc == AD_OK)
        fail_msg("the hostile HEIF decoded");
    assert_true(e.msg[0] != 0);
    if (grew > 1024)
        fail_msg("decoding the hostile HEIF took %ld MiB", grew);
    free(c.px);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_every_kind),
        cmocka_unit_test(test_hostile_found_by_fuzzing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
