/* fuzz_decode.c: libFuzzer target: any bytes straight into one image decoder, bypassing type
 * probing (which would turn most mutated inputs away before a decoder sees them). The first
 * byte chooses the decoder (JPEG, PNG, GIF, WebP, BMP, TIFF, HEIF); the rest is the file. Normal
 * and fast (scaled, luma-only) decoding both run; the sink checks every row arrives within the
 * size begin() announced; then the thumbnail of the same bytes (src/media/thumb.c).
 * Build and run (see fuzz/README.md): fuzz/build.sh && ./build-fuzz/fuzz_decode corpus-dir */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ariadne/media.h"

typedef struct {
    int w, h, ch, rows;
    uint64_t sum;
} sink_state;

static ad_code on_begin(void *ctx, int w, int h, int ch, ad_err *err)
{
    (void)err;
    sink_state *s = ctx;
    if (w <= 0 || h <= 0 || (ch != 1 && ch != 3))
        __builtin_trap();
    s->w = w, s->h = h, s->ch = ch, s->rows = 0;
    return AD_OK;
}

static void on_row(void *ctx, const uint8_t *px)
{
    sink_state *s = ctx;
    if (++s->rows > s->h)
        __builtin_trap();
    /* touch every byte of the row, so a short row is an out-of-bounds read under ASan */
    for (size_t i = 0; i < (size_t)s->w * (size_t)s->ch; i++)
        s->sum += px[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ad_media_type types[] = {AD_MEDIA_JPEG, AD_MEDIA_PNG,  AD_MEDIA_GIF, AD_MEDIA_WEBP,
                                          AD_MEDIA_BMP,  AD_MEDIA_TIFF, AD_MEDIA_HEIF};
    if (size < 1)
        return 0;
    ad_media_type t = types[data[0] % (sizeof types / sizeof types[0])];
    ad_decode_opts o = {0};
    ad_limits_default(&o.limits);
    o.limits.max_pixels = 4000000; /* keep each run small */
    o.limits.max_memory = 256u << 20;
    const ad_image_sink sink = {on_begin, on_row};
    for (int fast = 0; fast <= 1; fast++) {
        o.min_side = fast ? 64 : 0;
        o.luma_only = fast;
        sink_state s = {0};
        ad_image_info info;
        ad_err err;
        ad_image_decode(t, data + 1, size - 1, &o, &sink, &s, &info, &err);
    }
    /* the thumbnail ingest makes of the same bytes, in one of the 9 EXIF orientations */
    ad_thumb th;
    ad_err err;
    if (ad_thumb_image(t, data + 1, size - 1, (data[0] / 7) % 9, &o.limits, &th, &err) == AD_OK) {
        if (th.width < 1 || th.height < 1 || th.width > AD_THUMB_MAX_SIDE ||
            th.height > AD_THUMB_MAX_SIDE || !th.len)
            __builtin_trap();
        ad_thumb_free(&th);
    }
    return 0;
}
