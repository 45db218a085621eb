/* decode.c: image decoding entry point, limits and the helpers decoders share. */
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

static const char *const type_names[] = {
    [AD_MEDIA_UNKNOWN] = "unknown", [AD_MEDIA_JPEG] = "jpeg",   [AD_MEDIA_PNG] = "png",
    [AD_MEDIA_GIF] = "gif",         [AD_MEDIA_WEBP] = "webp",   [AD_MEDIA_BMP] = "bmp",
    [AD_MEDIA_TIFF] = "tiff",       [AD_MEDIA_HEIF] = "heif",   [AD_MEDIA_VIDEO] = "video",
    [AD_MEDIA_EMPTY] = "empty",     [AD_MEDIA_OTHER] = "other",
};

const char *ad_media_type_name(ad_media_type t)
{
    if ((unsigned)t >= sizeof type_names / sizeof type_names[0])
        return "unknown";
    return type_names[t];
}

int ad_media_is_image(ad_media_type t)
{
    return t >= AD_MEDIA_JPEG && t <= AD_MEDIA_HEIF;
}

void ad_limits_default(ad_limits *l)
{
    l->max_pixels = 200000000ull;
    l->max_file_bytes = 1ull << 30;
    l->max_memory = 2ull << 30;
}

ad_code ad_media_check_dims(const char *fmt, uint64_t width, uint64_t height, uint64_t bytes,
                            const ad_limits *limits, ad_err *err)
{
    if (width == 0 || height == 0)
        return ad_err_set(err, AD_ERR_CORRUPT, "%s header gives an empty image (%llux%llu)", fmt,
                          (unsigned long long)width, (unsigned long long)height);
    if (width > 1000000 || height > 1000000 || width * height > limits->max_pixels)
        return ad_err_set(err, AD_ERR_LIMIT,
                          "%s image of %llux%llu pixels is over the limit of %llu pixels", fmt,
                          (unsigned long long)width, (unsigned long long)height,
                          (unsigned long long)limits->max_pixels);
    if (bytes > limits->max_memory)
        return ad_err_set(err, AD_ERR_LIMIT,
                          "%s image of %llux%llu needs %llu bytes to decode, over the limit of %llu",
                          fmt, (unsigned long long)width, (unsigned long long)height,
                          (unsigned long long)bytes, (unsigned long long)limits->max_memory);
    return AD_OK;
}

void ad_cmyk_row_to_rgb(const uint8_t *cmyk, int width, uint8_t *rgb)
{
    /* ImageMagick reads JPEG CMYK as ink = QuantumRange - sample (Q16), then
     * R = QuantumRange - (QuantumScale * C * (QuantumRange - K) + K), rounded to a quantum,
     * then scaled to 8 bits. */
    const double qr = 65535.0, qs = 1.0 / 65535.0;
    for (int x = 0; x < width; x++) {
        const uint8_t *p = cmyk + 4 * x;
        double k = qr - 257.0 * p[3];
        for (int c = 0; c < 3; c++) {
            double ink = qr - 257.0 * p[c];
            double v = qr - (qs * ink * (qr - k) + k);
            unsigned q = v <= 0.0 ? 0u : v >= qr ? 65535u : (unsigned)(v + 0.5);
            rgb[3 * x + c] = ad_scale16(q);
        }
    }
}

ad_code ad_media_emit(const ad_image_sink *sink, void *ctx, const uint8_t *pixels, int width,
                      int height, size_t stride, int channels, ad_image_info *info, ad_err *err)
{
    ad_code rc = sink->begin(ctx, width, height, channels, err);
    if (rc)
        return rc;
    info->out_width = width;
    info->out_height = height;
    info->channels = channels;
    for (int y = 0; y < height; y++)
        sink->row(ctx, pixels + (size_t)y * stride);
    return AD_OK;
}

ad_code ad_image_decode(ad_media_type type, const uint8_t *data, size_t len,
                        const ad_decode_opts *opts, const ad_image_sink *sink, void *ctx,
                        ad_image_info *info, ad_err *err)
{
    static const ad_decoder_fn fns[] = {
        [AD_MEDIA_JPEG] = ad_decode_jpeg, [AD_MEDIA_PNG] = ad_decode_png,
        [AD_MEDIA_GIF] = ad_decode_gif,   [AD_MEDIA_WEBP] = ad_decode_webp,
        [AD_MEDIA_BMP] = ad_decode_bmp,   [AD_MEDIA_TIFF] = ad_decode_tiff,
        [AD_MEDIA_HEIF] = ad_decode_heif,
    };
    memset(info, 0, sizeof *info);
    info->frames = 1;
    if (!ad_media_is_image(type))
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "%s content is not an image we decode",
                          ad_media_type_name(type));
    if (len == 0)
        return ad_err_set(err, AD_ERR_EMPTY, "empty file");
    return fns[type](data, len, opts, sink, ctx, info, err);
}
