/* thumb.c: small JPEG thumbnails for reports: decode (scaled in the DCT domain when possible),
 * average down to the target size, encode with libjpeg-turbo. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "decoders.h"

struct thumb {
    int max_side;
    int w, h, channels, tw, th, row;
    double *acc;   /* tw*th*3 sums */
    uint32_t *cnt; /* per output pixel */
};

static ad_code t_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    struct thumb *t = ctx;
    t->w = w;
    t->h = h;
    t->channels = channels;
    double s = (double)t->max_side / (w > h ? w : h);
    if (s > 1)
        s = 1;
    t->tw = (int)(w * s + 0.5);
    t->th = (int)(h * s + 0.5);
    if (t->tw < 1)
        t->tw = 1;
    if (t->th < 1)
        t->th = 1;
    t->acc = calloc((size_t)t->tw * t->th * 3, sizeof(double));
    t->cnt = calloc((size_t)t->tw * t->th, sizeof(uint32_t));
    if (!t->acc || !t->cnt)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a thumbnail");
    return AD_OK;
}

static void t_row(void *ctx, const uint8_t *px)
{
    struct thumb *t = ctx;
    int ty = (int)((long long)t->row++ * t->th / t->h);
    if (ty >= t->th)
        return;
    for (int x = 0; x < t->w; x++) {
        int tx = (int)((long long)x * t->tw / t->w);
        size_t o = (size_t)ty * t->tw + tx;
        for (int c = 0; c < 3; c++)
            t->acc[3 * o + c] += px[t->channels == 1 ? x : 3 * x + c];
        t->cnt[o]++;
    }
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

ad_code ad_thumbnail_jpeg(ad_media_type type, const uint8_t *data, size_t len, int max_side,
                          const ad_limits *limits, uint8_t **out, size_t *out_len, ad_err *err)
{
    *out = NULL;
    *out_len = 0;
    struct thumb t = {.max_side = max_side > 0 ? max_side : 128};
    ad_decode_opts o = {.min_side = t.max_side};
    if (limits)
        o.limits = *limits;
    else
        ad_limits_default(&o.limits);
    const ad_image_sink sink = {t_begin, t_row};
    ad_image_info info;
    ad_code rc = ad_image_decode(type, data, len, &o, &sink, &t, &info, err);
    if (rc) {
        free(t.acc);
        free(t.cnt);
        return rc;
    }
    uint8_t *rgb = malloc((size_t)t.tw * t.th * 3);
    if (!rgb) {
        free(t.acc);
        free(t.cnt);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < (size_t)t.tw * t.th; i++)
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = t.cnt[i] ? (uint8_t)(t.acc[3 * i + c] / t.cnt[i] + 0.5) : 0;
    free(t.acc);
    free(t.cnt);

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
        free(rgb);
        free(buf);
        return ad_err_set(err, AD_ERR_INTERNAL, "cannot encode a thumbnail");
    }
    jpeg_create_compress(&cj);
    jpeg_mem_dest(&cj, (unsigned char **)&buf, &blen);
    cj.image_width = (JDIMENSION)t.tw;
    cj.image_height = (JDIMENSION)t.th;
    cj.input_components = 3;
    cj.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cj);
    jpeg_set_quality(&cj, 75, TRUE);
    jpeg_start_compress(&cj, TRUE);
    while (cj.next_scanline < cj.image_height) {
        JSAMPROW row = rgb + (size_t)cj.next_scanline * t.tw * 3;
        jpeg_write_scanlines(&cj, &row, 1);
    }
    jpeg_finish_compress(&cj);
    jpeg_destroy_compress(&cj);
    free(rgb);
    *out = buf;
    *out_len = blen;
    return AD_OK;
}
