/* thumb.c: small JPEG thumbnails, made at ingest from the very bytes that were hashed (an
 * image's file bytes, or a video frame decoded for vPDQ): decode (scaled in the DCT domain when
 * the format allows), average down to the longest side AD_THUMB_MAX_SIDE, turn upright by the
 * EXIF orientation, encode with libjpeg-turbo. Colour is kept: blurring and greyscale are the
 * viewer's business (the report's and the web interface's wellness rule). */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "decoders.h"

/* The averaging sink (ad_thumb_acc): each thumbnail pixel is the mean of the source pixels that
 * fall in it, sampled on a grid of about 4 x 4 or more per thumbnail pixel (every sx-th column
 * and sy-th row: a box filter's worth for a picture this small, at a fraction of the cost of
 * every pixel of a large photo); how many samples fell in each is counted per column and row. */
void ad_thumb_acc_free(ad_thumb_acc *t)
{
    free(t->sum);
    free(t->colcount);
    free(t->rowcount);
    free(t->xend);
    t->sum = NULL;
    t->colcount = t->rowcount = NULL;
    t->xend = NULL;
}

static ad_code t_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    ad_thumb_acc *t = ctx;
    if (w < 1 || h < 1)
        return ad_err_set(err, AD_ERR_CORRUPT, "image of %dx%d pixels", w, h);
    ad_thumb_acc_free(t);
    t->w = w;
    t->h = h;
    t->channels = channels;
    t->row = 0;
    double s = (double)AD_THUMB_MAX_SIDE / (w > h ? w : h);
    if (s > 1)
        s = 1;
    t->tw = (int)(w * s + 0.5);
    t->th = (int)(h * s + 0.5);
    if (t->tw < 1)
        t->tw = 1;
    if (t->th < 1)
        t->th = 1;
    t->sx = w / t->tw / 4 > 1 ? w / t->tw / 4 : 1;
    t->sy = h / t->th / 4 > 1 ? h / t->th / 4 : 1;
    t->sum = calloc((size_t)t->tw * t->th * 3, sizeof *t->sum);
    t->colcount = calloc((size_t)t->tw, sizeof *t->colcount);
    t->rowcount = calloc((size_t)t->th, sizeof *t->rowcount);
    t->xend = calloc((size_t)t->tw, sizeof *t->xend);
    if (!t->sum || !t->colcount || !t->rowcount || !t->xend) {
        ad_thumb_acc_free(t);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a thumbnail");
    }
    for (int x = 0; x < w; x++) { /* column x falls in thumbnail column x * tw / w */
        int tx = (int)((long long)x * t->tw / w);
        t->xend[tx] = x + 1;
        t->colcount[tx] += x % t->sx == 0;
    }
    return AD_OK;
}

/* Sums a sampled row into its thumbnail row: the sampled columns of one thumbnail column are a
 * run, summed in registers, then added once. */
static void t_row(void *ctx, const uint8_t *px)
{
    ad_thumb_acc *t = ctx;
    if (!t->sum)
        return;
    const int y = t->row++;
    const int ty = (int)((long long)y * t->th / t->h);
    if (ty >= t->th || y % t->sy)
        return;
    t->rowcount[ty]++;
    uint64_t *sum = t->sum + (size_t)ty * t->tw * 3;
    const int sx = t->sx;
    int x = 0; /* stays a multiple of sx */
    for (int tx = 0; tx < t->tw; tx++) {
        const int end = t->xend[tx];
        uint32_t r = 0, g = 0, b = 0; /* a run is at most 1,000,000 pixels of 255 */
        if (t->channels == 1) {
            for (; x < end; x += sx)
                r += px[x];
        } else {
            for (; x < end; x += sx) {
                r += px[3 * x];
                g += px[3 * x + 1];
                b += px[3 * x + 2];
            }
        }
        sum[3 * tx] += r;
        sum[3 * tx + 1] += g;
        sum[3 * tx + 2] += b;
    }
}

const ad_image_sink ad_thumb_sink = {t_begin, t_row};

/* Where output pixel (x, y) of an upright thumbnail (ow x oh) comes from in the stored one
 * (w x h), for EXIF orientation o (2..8; 5..8 swap the sides). */
static void source_of(int o, int x, int y, int w, int h, int *sx, int *sy)
{
    switch (o) {
    case 2:
        *sx = w - 1 - x, *sy = y;
        break; /* mirrored */
    case 3:
        *sx = w - 1 - x, *sy = h - 1 - y;
        break; /* turned 180 */
    case 4:
        *sx = x, *sy = h - 1 - y;
        break; /* mirrored top to bottom */
    case 5:
        *sx = y, *sy = x;
        break; /* transposed */
    case 6:
        *sx = y, *sy = h - 1 - x;
        break; /* to be turned 90 clockwise */
    case 7:
        *sx = w - 1 - y, *sy = h - 1 - x;
        break; /* transversed */
    case 8:
        *sx = w - 1 - y, *sy = x;
        break; /* to be turned 90 anticlockwise */
    default:
        *sx = x, *sy = y;
        break;
    }
}

/* The averaged pixels, upright: *rgb is malloc'd, ow x oh. Grey rows were summed in channel 0. */
static ad_code t_pixels(const ad_thumb_acc *t, int orientation, uint8_t **rgb, int *ow, int *oh,
                        ad_err *err)
{
    const int turn = orientation >= 5 && orientation <= 8;
    *ow = turn ? t->th : t->tw;
    *oh = turn ? t->tw : t->th;
    uint8_t *out = malloc((size_t)t->tw * t->th * 3);
    if (!out)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a thumbnail");
    for (int y = 0; y < *oh; y++)
        for (int x = 0; x < *ow; x++) {
            int sx, sy;
            source_of(orientation, x, y, t->tw, t->th, &sx, &sy);
            const uint64_t n = (uint64_t)t->colcount[sx] * t->rowcount[sy];
            const uint64_t *s = t->sum + ((size_t)sy * t->tw + sx) * 3;
            uint8_t *o = out + ((size_t)y * *ow + x) * 3;
            for (int c = 0; c < 3; c++)
                o[c] = n ? (uint8_t)((s[t->channels == 1 ? 0 : c] + n / 2) / n) : 0;
        }
    *rgb = out;
    return AD_OK;
}

struct cerr {
    struct jpeg_error_mgr pub;
    jmp_buf jmp;
};

static void c_error(j_common_ptr c)
{
    longjmp(((struct cerr *)c->err)->jmp, 1);
}

static void c_output(j_common_ptr c)
{
    (void)c;
}

static ad_code encode(const uint8_t *rgb, int w, int h, ad_thumb *out, ad_err *err)
{
    struct jpeg_compress_struct cj;
    struct cerr je;
    unsigned char *volatile buf = NULL;
    unsigned long blen = 0;
    memset(&cj, 0, sizeof cj);
    cj.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = c_error;
    je.pub.output_message = c_output;
    if (setjmp(je.jmp)) {
        jpeg_destroy_compress(&cj);
        free(buf);
        return ad_err_set(err, AD_ERR_INTERNAL, "cannot encode a thumbnail");
    }
    jpeg_create_compress(&cj);
    jpeg_mem_dest(&cj, (unsigned char **)&buf, &blen);
    cj.image_width = (JDIMENSION)w;
    cj.image_height = (JDIMENSION)h;
    cj.input_components = 3;
    cj.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cj);
    jpeg_set_quality(&cj, AD_THUMB_QUALITY, TRUE);
    cj.optimize_coding = TRUE;
    jpeg_start_compress(&cj, TRUE);
    while (cj.next_scanline < cj.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cj.next_scanline * w * 3);
        jpeg_write_scanlines(&cj, &row, 1);
    }
    jpeg_finish_compress(&cj);
    jpeg_destroy_compress(&cj);
    out->jpeg = buf;
    out->len = blen;
    out->width = w;
    out->height = h;
    return AD_OK;
}

ad_code ad_thumb_acc_finish(ad_thumb_acc *t, int orientation, ad_thumb *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    ad_code rc = !t->sum || t->row < 1
                     ? ad_err_set(err, AD_ERR_CORRUPT, "no rows were decoded for a thumbnail")
                     : t_pixels(t, orientation, &rgb, &w, &h, err);
    ad_thumb_acc_free(t);
    if (!rc)
        rc = encode(rgb, w, h, out, err);
    free(rgb);
    return rc;
}

ad_code ad_thumb_image(ad_media_type type, const uint8_t *data, size_t len, int orientation,
                       const ad_limits *limits, ad_thumb *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_thumb_acc t = {0};
    /* at full size, as the PDQ decode delivers it: one thumbnail for given bytes, whichever way */
    ad_decode_opts o = {0};
    if (limits)
        o.limits = *limits;
    else
        ad_limits_default(&o.limits);
    ad_image_info info;
    ad_code rc = ad_image_decode(type, data, len, &o, &ad_thumb_sink, &t, &info, err);
    if (rc) {
        ad_thumb_acc_free(&t);
        return rc;
    }
    return ad_thumb_acc_finish(&t, orientation, out, err);
}

ad_code ad_thumb_rgb(const uint8_t *rgb, size_t stride, int width, int height, ad_thumb *out,
                     ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_thumb_acc t = {0};
    ad_code rc = t_begin(&t, width, height, 3, err);
    if (rc)
        return rc;
    for (int y = 0; y < height; y++)
        t_row(&t, rgb + (size_t)y * stride);
    return ad_thumb_acc_finish(&t, 0, out, err);
}

void ad_thumb_free(ad_thumb *t)
{
    if (!t)
        return;
    free(t->jpeg);
    memset(t, 0, sizeof *t);
}

void ad_thumb_pick_frame(void *picker, int64_t index, double timestamp, double duration,
                         const uint8_t *rgb, size_t stride, int width, int height)
{
    (void)index;
    ad_thumb_picker *p = picker;
    if (!rgb) { /* decoding starts over */
        ad_thumb_free(&p->thumb);
        p->seen = 0;
        p->at_middle = 0;
        return;
    }
    if (p->at_middle)
        return;
    p->seen++;
    const int middle = duration > 0 && timestamp >= duration / 2;
    const int power_of_two = (p->seen & (p->seen - 1)) == 0;
    if (!middle && !power_of_two)
        return;
    ad_thumb t;
    ad_err e;
    if (ad_thumb_rgb(rgb, stride, width, height, &t, &e) != AD_OK) {
        p->rc = e.code;
        return;
    }
    ad_thumb_free(&p->thumb);
    p->thumb = t;
    p->timestamp = timestamp;
    p->at_middle = middle;
}
