/* tiff.c: TIFF decoding with libtiff from memory (first directory), through libtiff's RGBA
 * conversion, which handles every photometric interpretation it knows. Alpha dropped. Library
 * messages go to our handler, never to stderr. */
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "decoders.h"

struct tiffsrc {
    const uint8_t *data;
    size_t len;
    toff_t pos;
    char msg[256];
};

static tmsize_t t_read(thandle_t h, void *buf, tmsize_t n)
{
    struct tiffsrc *s = h;
    if (n < 0 || s->pos >= s->len)
        return 0;
    size_t take = (size_t)n < s->len - s->pos ? (size_t)n : s->len - s->pos;
    memcpy(buf, s->data + s->pos, take);
    s->pos += take;
    return (tmsize_t)take;
}

static tmsize_t t_write(thandle_t h, void *buf, tmsize_t n)
{
    (void)h;
    (void)buf;
    (void)n;
    return -1;
}

static toff_t t_seek(thandle_t h, toff_t off, int whence)
{
    struct tiffsrc *s = h;
    toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->len;
    s->pos = base + off;
    return s->pos;
}

static int t_close(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t t_size(thandle_t h)
{
    return ((struct tiffsrc *)h)->len;
}

static int t_map(thandle_t h, void **base, toff_t *size)
{
    struct tiffsrc *s = h;
    *base = (void *)s->data;
    *size = s->len;
    return 1;
}

static void t_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

static int t_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    struct tiffsrc *s = user;
    if (s->msg[0] == '\0')
        vsnprintf(s->msg, sizeof s->msg, fmt, ap);
    return 1;
}

static int t_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

ad_code ad_decode_tiff(const uint8_t *data, size_t len, const ad_decode_opts *opts,
                       const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    struct tiffsrc src = {.data = data, .len = len};
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (!o)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    TIFFOpenOptionsSetErrorHandlerExtR(o, t_error, &src);
    TIFFOpenOptionsSetWarningHandlerExtR(o, t_warning, &src);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, (tmsize_t)(opts->limits.max_memory > (1ull << 40)
                                                          ? (1ull << 40)
                                                          : opts->limits.max_memory));
    TIFF *tif = TIFFClientOpenExt("memory", "rm", &src, t_read, t_write, t_seek, t_close, t_size,
                                  t_map, t_unmap, o);
    TIFFOpenOptionsFree(o);
    if (!tif)
        return ad_err_set(err, AD_ERR_CORRUPT, "TIFF: %s", src.msg[0] ? src.msg : "cannot open");
    uint32_t w = 0, h = 0;
    uint16_t bps = 8, photo = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photo);
    info->width = (int)w;
    info->height = (int)h;
    info->bit_depth = bps;
    snprintf(info->color, sizeof info->color, "%s",
             photo <= 1 ? "grey" : photo == 3 ? "palette" : photo == 5 ? "cmyk" : "rgb");
    ad_code rc = ad_media_check_dims("TIFF", w, h, (uint64_t)w * h * 7u, &opts->limits, err);
    if (rc) {
        TIFFClose(tif);
        return rc;
    }
    uint32_t *raster = malloc((size_t)w * h * sizeof(uint32_t));
    uint8_t *rgb = malloc((size_t)w * h * 3);
    if (!raster || !rgb) {
        free(raster);
        free(rgb);
        TIFFClose(tif);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %ux%u TIFF", w, h);
    }
    if (!TIFFReadRGBAImageOriented(tif, w, h, raster, ORIENTATION_TOPLEFT, 0)) {
        free(raster);
        free(rgb);
        TIFFClose(tif);
        return ad_err_set(err, AD_ERR_CORRUPT, "TIFF: %s",
                          src.msg[0] ? src.msg : "cannot decode the image data");
    }
    TIFFClose(tif);
    int channels = photo <= 1 ? 1 : 3;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        uint32_t p = raster[i];
        if (channels == 1) {
            rgb[i] = (uint8_t)TIFFGetR(p);
        } else {
            rgb[3 * i] = (uint8_t)TIFFGetR(p);
            rgb[3 * i + 1] = (uint8_t)TIFFGetG(p);
            rgb[3 * i + 2] = (uint8_t)TIFFGetB(p);
        }
    }
    free(raster);
    rc = ad_media_emit(sink, ctx, rgb, (int)w, (int)h, (size_t)w * channels, channels, info, err);
    free(rgb);
    return rc;
}
