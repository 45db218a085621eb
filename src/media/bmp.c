/* bmp.c: Windows/OS2 BMP decoding (no mature Debian library decodes BMP alone, and the format
 * is small): 1/4/8-bit palette, 16/24/32-bit with or without bit fields, bottom-up or top-down.
 * RLE compression is reported as unsupported. Every offset is checked against the file size. */
#include <stdlib.h>
#include <string.h>

#include "decoders.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Extracts a bit-field channel and scales it to 0..255. */
static uint8_t field(uint32_t px, uint32_t mask)
{
    if (!mask)
        return 0;
    int shift = __builtin_ctz(mask);
    uint32_t max = mask >> shift;
    uint32_t v = (px & mask) >> shift;
    return (uint8_t)((v * 255u + max / 2) / max);
}

ad_code ad_decode_bmp(const uint8_t *d, size_t len, const ad_decode_opts *opts,
                      const ad_image_sink *sink, void *ctx, ad_image_info *info, ad_err *err)
{
    if (len < 26 || d[0] != 'B' || d[1] != 'M')
        return ad_err_set(err, len < 26 ? AD_ERR_TRUNCATED : AD_ERR_CORRUPT,
                          "BMP: header is %s", len < 26 ? "cut short" : "not a BMP header");
    uint32_t off = rd32(d + 10), hsize = rd32(d + 14);
    int64_t w, h;
    unsigned bpp, comp = 0, ncolors = 0;
    uint32_t masks[3] = {0, 0, 0};
    if (hsize == 12) {
        w = rd16(d + 18);
        h = (int16_t)rd16(d + 20);
        bpp = rd16(d + 24);
    } else if (hsize >= 40 && 14 + (size_t)hsize <= len) {
        w = (int32_t)rd32(d + 18);
        h = (int32_t)rd32(d + 22);
        bpp = rd16(d + 28);
        comp = rd32(d + 30);
        ncolors = rd32(d + 46);
        if (comp == 3 || comp == 6) {
            size_t mo = hsize >= 52 ? 54 : 54; /* masks follow the 40-byte header or sit in it */
            if (mo + 12 > len)
                return ad_err_set(err, AD_ERR_TRUNCATED, "BMP: bit fields cut short");
            masks[0] = rd32(d + mo);
            masks[1] = rd32(d + mo + 4);
            masks[2] = rd32(d + mo + 8);
        }
    } else {
        return ad_err_set(err, AD_ERR_CORRUPT, "BMP: unknown header size %u", hsize);
    }
    const int topdown = h < 0;
    if (h < 0)
        h = -h;
    info->width = (int)w;
    info->height = (int)h;
    info->bit_depth = (int)bpp;
    snprintf(info->color, sizeof info->color, "%s", bpp <= 8 ? "palette" : "rgb");
    if (comp == 1 || comp == 2 || comp == 4 || comp == 5)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "BMP: compression %u (RLE/JPEG/PNG) is not supported",
                          comp);
    if (comp != 0 && comp != 3 && comp != 6)
        return ad_err_set(err, AD_ERR_CORRUPT, "BMP: unknown compression %u", comp);
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return ad_err_set(err, AD_ERR_CORRUPT, "BMP: %u bits per pixel is not valid", bpp);
    ad_code rc = ad_media_check_dims("BMP", (uint64_t)w, (uint64_t)h, (uint64_t)w * 3u,
                                     &opts->limits, err);
    if (rc)
        return rc;
    const size_t stride = (((size_t)bpp * (size_t)w + 31) / 32) * 4;
    if (off > len || stride * (size_t)h > len - off)
        return ad_err_set(err, AD_ERR_TRUNCATED, "BMP: pixel data ends early (%zu of %zu bytes)",
                          off > len ? 0 : len - off, stride * (size_t)h);
    uint8_t pal[256][3];
    memset(pal, 0, sizeof pal);
    if (bpp <= 8) {
        size_t entry = hsize == 12 ? 3 : 4, pstart = 14 + hsize;
        size_t n = ncolors ? ncolors : (1u << bpp);
        if (n > 256)
            n = 256;
        for (size_t i = 0; i < n && pstart + (i + 1) * entry <= off; i++) {
            const uint8_t *p = d + pstart + i * entry;
            pal[i][0] = p[2];
            pal[i][1] = p[1];
            pal[i][2] = p[0];
        }
    }
    if (bpp == 16 && comp == 0) {
        masks[0] = 0x7c00;
        masks[1] = 0x03e0;
        masks[2] = 0x001f;
    }
    rc = sink->begin(ctx, (int)w, (int)h, 3, err);
    if (rc)
        return rc;
    info->out_width = (int)w;
    info->out_height = (int)h;
    info->channels = 3;
    uint8_t *rgb = malloc((size_t)w * 3);
    if (!rgb)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (int64_t y = 0; y < h; y++) {
        const uint8_t *row = d + off + stride * (size_t)(topdown ? y : h - 1 - y);
        for (int64_t x = 0; x < w; x++) {
            uint8_t *o = rgb + 3 * x;
            if (bpp <= 8) {
                unsigned bit = (unsigned)x * bpp;
                unsigned v = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
                memcpy(o, pal[v], 3);
            } else if (bpp == 24 || (bpp == 32 && comp == 0)) {
                const uint8_t *p = row + (size_t)x * (bpp / 8);
                o[0] = p[2];
                o[1] = p[1];
                o[2] = p[0];
            } else {
                uint32_t px = bpp == 16 ? rd16(row + 2 * x) : rd32(row + 4 * x);
                o[0] = field(px, masks[0]);
                o[1] = field(px, masks[1]);
                o[2] = field(px, masks[2]);
            }
        }
        sink->row(ctx, rgb);
    }
    free(rgb);
    return AD_OK;
}
