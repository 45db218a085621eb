/* png.c: PNG decoding with libpng from memory: palette, grey (1-16 bit), alpha and tRNS (dropped),
 * 16-bit, interlaced. Rows stream unless the file is interlaced.
 *
 * 16-bit samples: the reference hashes what CImg makes of ImageMagick's 16-bit PNM, a cast of
 * each sample to uint8_t, i.e. its LOW byte (pytx-resources/I16.png in the vectors proves it).
 * That is perceptually meaningless but it is the reference's hash, so it is what we compute;
 * see docs/pdq.md. */
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

struct pngsrc {
    const uint8_t *data;
    size_t len, pos;
    ad_code code;
    char msg[256];
};

static void on_read(png_structp png, png_bytep out, png_size_t n)
{
    struct pngsrc *s = png_get_io_ptr(png);
    if (n > s->len - s->pos) {
        s->code = AD_ERR_TRUNCATED;
        snprintf(s->msg, sizeof s->msg, "file ends early (at byte %zu of a %zu-byte read)",
                 s->len, s->pos + n);
        png_error(png, "truncated");
    }
    memcpy(out, s->data + s->pos, n);
    s->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    struct pngsrc *s = png_get_error_ptr(png);
    if (!s->code) {
        s->code = AD_ERR_CORRUPT;
        snprintf(s->msg, sizeof s->msg, "%s", msg);
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Hands a row to the sink; 16-bit samples (big-endian) become their low byte, in place. */
static void emit_row(const ad_image_sink *sink, void *ctx, uint8_t *row, size_t samples, int depth)
{
    if (depth == 16)
        for (size_t i = 0; i < samples; i++)
            row[i] = row[2 * i + 1];
    sink->row(ctx, row);
}

ad_code ad_decode_png(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                      const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    struct pngsrc src = {.data = data, .len = len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    png_infop pinfo = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile image = NULL;
    uint8_t *volatile row = NULL;
    volatile ad_code rc = AD_OK;
    if (!png || !pinfo) {
        png_destroy_read_struct(&png, NULL, NULL);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        free(image);
        free(row);
        if (rc)
            return rc;
        return ad_err_set(err, src.code ? src.code : AD_ERR_CORRUPT, "PNG: %s",
                          src.msg[0] ? src.msg : "cannot decode");
    }
    png_set_read_fn(png, &src, on_read);
    png_set_user_limits(png, 1000000, 1000000);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, pinfo);

    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, pinfo, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    info->width = (int)w;
    info->height = (int)h;
    info->bit_depth = depth;
    const int grey = !(ctype & PNG_COLOR_MASK_COLOR);
    snprintf(info->color, sizeof info->color, "%s",
             ctype == PNG_COLOR_TYPE_PALETTE ? "palette" : grey ? "grey" : "rgb");
    const int channels = grey ? 1 : 3;
    const size_t stride = (size_t)w * (size_t)channels;
    const size_t rowbytes = depth == 16 ? 2 * stride : stride; /* as libpng delivers it */
    const uint64_t need = interlace != PNG_INTERLACE_NONE ? (uint64_t)rowbytes * h : rowbytes;
    rc = ad_media_check_dims("PNG", w, h, need, &opts->limits, err);
    if (rc)
        png_longjmp(png, 1);

    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (grey && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    /* Alpha is dropped: an alpha channel, and the alpha that png_set_palette_to_rgb makes of
     * a palette's tRNS chunk (a grey or RGB tRNS colour is not expanded, so adds nothing). */
    if ((ctype & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, pinfo, PNG_INFO_tRNS))
        png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    if (png_get_rowbytes(png, pinfo) != rowbytes) {
        snprintf(src.msg, sizeof src.msg, "unexpected row size");
        png_error(png, "unexpected row size");
    }
    rc = sink->begin(ctx, (int)w, (int)h, channels, err);
    if (rc)
        png_longjmp(png, 1);
    info->out_width = (int)w;
    info->out_height = (int)h;
    info->channels = channels;
    if (passes > 1) {
        image = malloc(rowbytes * h);
        if (!image) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %ux%u PNG", w, h);
            png_longjmp(png, 1);
        }
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < h; y++)
                png_read_row(png, image + (size_t)y * rowbytes, NULL);
        for (png_uint_32 y = 0; y < h; y++)
            emit_row(sink, ctx, image + (size_t)y * rowbytes, stride, depth);
    } else {
        row = malloc(rowbytes);
        if (!row) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            png_longjmp(png, 1);
        }
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, row, NULL);
            emit_row(sink, ctx, row, stride, depth);
        }
    }
    png_destroy_read_struct(&png, &pinfo, NULL);
    free(image);
    free(row);
    return AD_OK;
}
