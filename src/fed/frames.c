/* frames.c: a video's vPDQ frames in its media change (docs/federation.md "vPDQ frames"): the
 * store's per-frame hashes (media_frame) as one base64 field, "vpdq", of fixed 41-byte records
 * (frame number u32, timestamp ms u32 with 0xffffffff unknown, quality u8, PDQ 32 bytes, big
 * endian), in frame order, at most AD_FED_VPDQ_MAX frames; read back strictly (one text per
 * meaning) and written to a received media that has no frames of its own. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fed_int.h"

#define REC 41
#define TS_NONE 0xffffffffu

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

ad_code ad_fed_frames_body(ad_store *st, int64_t media_id, json_t **out, ad_err *err)
{
    *out = NULL;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT frame, ts_ms, quality, pdq FROM media_frame WHERE media_id = ?"
                            " ORDER BY frame LIMIT ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_bind_int(s, 2, AD_FED_VPDQ_MAX);
    uint8_t *bin = NULL;
    size_t n = 0, cap = 0;
    int k, bad = 0;
    while ((k = ad_step(s, err)) > 0) {
        size_t pl = 0;
        const uint8_t *pdq = ad_col_blob(s, 3, &pl);
        int64_t f = ad_col_int(s, 0), ts = ad_col_null(s, 1) ? -1 : ad_col_int(s, 1);
        int64_t q = ad_col_null(s, 2) ? 0 : ad_col_int(s, 2);
        if (!pdq || pl != 32 || f < 0 || f > (int64_t)UINT32_MAX - 1 || ts >= (int64_t)TS_NONE ||
            q < 0 || q > 100) {
            bad = 1; /* a frame the form cannot say: the video travels without frames */
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint8_t *p = realloc(bin, cap * REC);
            if (!p) {
                k = -ad_err_set(err, AD_ERR_NOMEM, "out of memory");
                break;
            }
            bin = p;
        }
        uint8_t *r = bin + n++ * REC;
        put32(r, (uint32_t)f);
        put32(r + 4, ts < 0 ? TS_NONE : (uint32_t)ts);
        r[8] = (uint8_t)q;
        memcpy(r + 9, pdq, 32);
    }
    ad_db_done(s);
    if (k < 0) {
        free(bin);
        return (ad_code)-k;
    }
    if (n > 0 && !bad) {
        size_t bl = sodium_base64_encoded_len(n * REC, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(bl);
        if (!b64) {
            free(bin);
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
        sodium_bin2base64(b64, bl, bin, n * REC, sodium_base64_VARIANT_ORIGINAL);
        *out = json_string(b64);
        free(b64);
    }
    free(bin);
    return AD_OK;
}

ad_code ad_fed_frames_decode(const char *b64, ad_frame **out, size_t *n, ad_err *err)
{
    *out = NULL;
    *n = 0;
    size_t len = strlen(b64), max_b64 = sodium_base64_encoded_len((size_t)AD_FED_VPDQ_MAX * REC,
                                                                  sodium_base64_VARIANT_ORIGINAL);
    if (len + 1 > max_b64)
        return ad_err_set(err, AD_ERR_PARSE,
                          "a media's vpdq holds more than %d frames, the limit of a change",
                          AD_FED_VPDQ_MAX);
    uint8_t *bin = malloc(len / 4 * 3 + 3);
    if (!bin)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t bl = 0;
    const char *end = NULL;
    int ok = sodium_base642bin(bin, len / 4 * 3 + 3, b64, len, NULL, &bl, &end,
                               sodium_base64_VARIANT_ORIGINAL) == 0 &&
             end == b64 + len && bl > 0 && bl % REC == 0;
    size_t cnt = ok ? bl / REC : 0;
    /* canonical: the writer's own encoding of these bytes, frames strictly ascending */
    if (ok && sodium_base64_encoded_len(bl, sodium_base64_VARIANT_ORIGINAL) != len + 1)
        ok = 0;
    ad_frame *f = ok ? calloc(cnt, sizeof *f) : NULL;
    for (size_t i = 0; f && i < cnt; i++) {
        const uint8_t *r = bin + i * REC;
        uint32_t ts = get32(r + 4);
        f[i].frame = get32(r);
        f[i].timestamp_ms = ts == TS_NONE ? -1 : (int64_t)ts;
        f[i].quality = r[8];
        memcpy(f[i].pdq.b, r + 9, 32);
        if (r[8] > 100 || f[i].frame == UINT32_MAX || (i > 0 && f[i].frame <= f[i - 1].frame))
            ok = 0;
    }
    free(bin);
    if (!ok || !f) {
        free(f);
        return ok ? ad_err_set(err, AD_ERR_NOMEM, "out of memory")
                  : ad_err_set(err, AD_ERR_PARSE,
                               "a media's vpdq is malformed (base64 of 41-byte frames in order)");
    }
    *out = f;
    *n = cnt;
    return AD_OK;
}

static void bind_frame(void *p, ad_stmt *s, size_t i)
{
    const ad_frame *f = (const ad_frame *)p + i;
    ad_bind_int(s, 1, f->media_id);
    ad_bind_int(s, 2, f->frame);
    if (f->timestamp_ms < 0)
        ad_bind_null(s, 3);
    else
        ad_bind_int(s, 3, f->timestamp_ms);
    ad_bind_int(s, 4, f->quality);
    ad_bind_blob(s, 5, f->pdq.b, 32);
}

ad_code ad_fed_frames_put(ad_store *st, int64_t media_id, ad_frame *f, size_t n, ad_err *err)
{
    int64_t have = 0;
    ad_stmt *s = ad_db_stmt(st->db, "SELECT COUNT(*) FROM media_frame WHERE media_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_code rc = ad_db_int(s, &have, err);
    if (rc != AD_OK || have > 0 || n == 0)
        return rc; /* the receiver's own frames (or those received first) stay */
    for (size_t i = 0; i < n; i++)
        f[i].media_id = media_id;
    return ad_db_many(st->db,
                      "INSERT INTO media_frame (media_id, frame, ts_ms, quality, pdq)"
                      " VALUES (?, ?, ?, ?, ?) ON CONFLICT (media_id, frame) DO NOTHING",
                      n, bind_frame, NULL, f, err);
}
