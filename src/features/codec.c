/* codec.c: the stored form of a picture's features (docs/store.md "media_feature"), at most
 * AD_FEAT_BLOB_MAX bytes: an 8-byte head (version, 0, width, height, count: little-endian
 * 16-bit) and 10 bytes per keypoint: x and y in eighths of a pixel (12 bits each), octave
 * (3 bits) and angle (5 bits, 11.25-degree steps), word (16 bits), signature (32 bits). */
#include "feat_int.h"

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned q12(float v)
{
    float s = v * 8.0f + 0.5f;
    return s <= 0 ? 0 : s >= 4095 ? 4095 : (unsigned)s;
}

size_t ad_features_encode(const ad_features *f, uint8_t *buf, size_t cap)
{
    size_t n = f->n < AD_FEAT_STORED ? f->n : AD_FEAT_STORED;
    if (cap < 8 + 10 * n || f->width < 1 || f->height < 1 || f->width > AD_FEAT_SIDE ||
        f->height > AD_FEAT_SIDE)
        return 0;
    buf[0] = AD_FEAT_VERSION;
    buf[1] = 0;
    put16(buf + 2, (unsigned)f->width);
    put16(buf + 4, (unsigned)f->height);
    put16(buf + 6, (unsigned)n);
    uint8_t *o = buf + 8;
    for (size_t i = 0; i < n; i++, o += 10) {
        const ad_feat_point *p = &f->p[i];
        unsigned x = q12(p->x), y = q12(p->y);
        o[0] = (uint8_t)x;
        o[1] = (uint8_t)(x >> 8 | (y & 15) << 4);
        o[2] = (uint8_t)(y >> 4);
        unsigned a = (unsigned)(p->angle / 11.25f) & 31, oct = p->octave < 0 ? 0 : p->octave > 7 ? 7 : (unsigned)p->octave;
        o[3] = (uint8_t)(oct << 5 | a);
        put16(o + 4, p->word & 0xffff);
        put16(o + 6, p->sig & 0xffff);
        put16(o + 8, p->sig >> 16);
    }
    return 8 + 10 * n;
}

ad_code ad_features_decode(const uint8_t *buf, size_t len, ad_features *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    if (len < 8)
        return ad_err_set(err, AD_ERR_TRUNCATED, "stored features of %zu bytes", len);
    if (buf[0] != AD_FEAT_VERSION || buf[1])
        return ad_err_set(err, AD_ERR_VERSION, "stored features of version %u (this reads %d)",
                          buf[0], AD_FEAT_VERSION);
    unsigned w = get16(buf + 2), h = get16(buf + 4), n = get16(buf + 6);
    if (w < 1 || h < 1 || w > AD_FEAT_SIDE || h > AD_FEAT_SIDE || n > AD_FEAT_STORED ||
        len != 8 + 10 * (size_t)n)
        return ad_err_set(err, AD_ERR_CORRUPT, "stored features are damaged");
    out->width = (int)w;
    out->height = (int)h;
    if (!n)
        return AD_OK;
    out->p = calloc(n, sizeof *out->p);
    if (!out->p)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    const uint8_t *o = buf + 8;
    for (unsigned i = 0; i < n; i++, o += 10) {
        ad_feat_point *p = &out->p[i];
        unsigned x = o[0] | (unsigned)(o[1] & 15) << 8, y = (unsigned)o[1] >> 4 | (unsigned)o[2] << 4;
        p->x = x / 8.0f;
        p->y = y / 8.0f;
        p->octave = o[3] >> 5;
        p->angle = (o[3] & 31) * 11.25f + 5.625f;
        p->word = get16(o + 4);
        p->sig = get16(o + 6) | (uint32_t)get16(o + 8) << 16;
        for (int a = 0; a < AD_FEAT_ALT; a++)
            p->alt[a] = AD_FEAT_NOWORD;
    }
    out->n = n;
    return AD_OK;
}
