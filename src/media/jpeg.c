/* jpeg.c: JPEG decoding with libjpeg-turbo, streamed a few rows at a time.
 * Baseline, progressive, grey, CMYK and YCCK. Library messages are captured, never printed.
 * A premature end of data is an error (truncated), not a grey-filled image. Fast mode scales in
 * the DCT domain (1/2, 1/4, 1/8) and skips chroma when the sink only needs luma. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "decoders.h"

struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jmp;
    ad_code code;
    char msg[JMSG_LENGTH_MAX];
};

static void on_error(j_common_ptr cinfo)
{
    struct jerr *e = (struct jerr *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    e->code = cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? AD_ERR_LIMIT : AD_ERR_CORRUPT;
    longjmp(e->jmp, 1);
}

static void on_message(j_common_ptr cinfo, int level)
{
    struct jerr *e = (struct jerr *)cinfo->err;
    if (level < 0) {
        cinfo->err->num_warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            cinfo->err->format_message(cinfo, e->msg);
            e->code = AD_ERR_TRUNCATED;
            longjmp(e->jmp, 1);
        }
    }
}

static void on_output(j_common_ptr cinfo)
{
    (void)cinfo;
}

ad_code ad_decode_jpeg(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                       const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    struct jpeg_decompress_struct cinfo;
    struct jerr jerr;
    uint8_t *volatile buf = NULL;
    uint8_t *volatile rgb = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&jerr, 0, sizeof jerr);
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = on_error;
    jerr.pub.emit_message = on_message;
    jerr.pub.output_message = on_output;
    if (setjmp(jerr.jmp)) {
        ad_code code = jerr.code ? jerr.code : AD_ERR_CORRUPT;
        jpeg_destroy_decompress(&cinfo);
        free(buf);
        free(rgb);
        return ad_err_set(err, code, "JPEG: %s", jerr.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = (long)(opts->limits.max_memory > 0x7fffffff
                                              ? 0x7fffffff
                                              : opts->limits.max_memory);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);

    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->bit_depth = cinfo.data_precision;
    uint64_t need = (uint64_t)cinfo.image_width * cinfo.num_components * 64u; /* row buffers */
    if (cinfo.progressive_mode)
        need += (uint64_t)cinfo.image_width * cinfo.image_height * cinfo.num_components * 2u;
    ad_code rc = ad_media_check_dims("JPEG", cinfo.image_width, cinfo.image_height, need,
                                     &opts->limits, err);
    if (rc) {
        jpeg_destroy_decompress(&cinfo);
        return rc;
    }

    int cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        snprintf(info->color, sizeof info->color, "grey");
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        snprintf(info->color, sizeof info->color, "%s",
                 cinfo.jpeg_color_space == JCS_CMYK ? "cmyk" : "ycck");
        cinfo.out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        snprintf(info->color, sizeof info->color, "%s",
                 cinfo.jpeg_color_space == JCS_RGB ? "rgb" : "ycbcr");
        cinfo.out_color_space = JCS_RGB;
        break;
    }
    if (opts->min_side > 0) {
        /* Fast mode: only when the image can be scaled down is anything changed; then the
         * reduced IDCT does the downscaling and, for YCbCr, Y is the luma (no chroma work). */
        unsigned small = cinfo.image_width < cinfo.image_height ? cinfo.image_width
                                                                : cinfo.image_height;
        unsigned denom = 1;
        while (denom < 8 && small / (denom * 2) >= (unsigned)opts->min_side)
            denom *= 2;
        if (denom > 1) {
            cinfo.scale_num = 1;
            cinfo.scale_denom = denom;
            cinfo.do_fancy_upsampling = FALSE;
            if (opts->luma_only && cinfo.jpeg_color_space == JCS_YCbCr)
                cinfo.out_color_space = JCS_GRAYSCALE;
        }
    }
    jpeg_start_decompress(&cinfo);
    const int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    const int comps = cinfo.output_components;
    const int channels = comps == 1 ? 1 : 3;
    rc = sink->begin(ctx, w, h, channels, err);
    if (rc) {
        jpeg_destroy_decompress(&cinfo);
        return rc;
    }
    info->out_width = w;
    info->out_height = h;
    info->channels = channels;
    const int batch = cinfo.rec_outbuf_height > 0 ? cinfo.rec_outbuf_height : 1;
    const size_t stride = (size_t)w * (size_t)comps;
    buf = malloc(stride * (size_t)batch);
    if (cmyk)
        rgb = malloc((size_t)w * 3);
    if (!buf || (cmyk && !rgb)) {
        jpeg_destroy_decompress(&cinfo);
        free(buf);
        free(rgb);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    JSAMPROW rows[16];
    for (int i = 0; i < batch && i < 16; i++)
        rows[i] = buf + (size_t)i * stride;
    while (cinfo.output_scanline < cinfo.output_height) {
        JDIMENSION n = jpeg_read_scanlines(&cinfo, rows, (JDIMENSION)(batch < 16 ? batch : 16));
        for (JDIMENSION i = 0; i < n; i++) {
            if (cmyk) {
                ad_cmyk_row_to_rgb(rows[i], w, rgb);
                sink->row(ctx, rgb);
            } else {
                sink->row(ctx, rows[i]);
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(buf);
    free(rgb);
    return AD_OK;
}
