/* vpdq_trim.c: borders of a video (letterbox, pillarbox) found over its first hashed frames, as
 * ffmpeg's cropdetect does, and one crop applied to every hashed frame: each gets the PDQ of its
 * content inside the border beside its plain PDQ (ad_vpdq_opts.trim, ariadne/vpdq.h). Frames
 * are reduced to AD_VTRIM_SIDE pixels on their longest side (exact area means); the border of
 * each of the first frames is found on it (ad_border_find), frames under the quality gate (dark
 * or flat: a fade) left out; the crop is the smallest box holding the content of all of them. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "ariadne/vpdq.h"
#include "vpdq_trim.h"

#define AD_VTRIM_SIDE 512
#define DECIDE_FRAMES 8 /* frames with content that decide the crop */
#define MAX_WAIT 16     /* frames held at most before deciding anyway (16 x 590 KB at 1080p) */
#define MIN_QUALITY 50

struct ad_vtrim {
    int w, h, rw, rh;
    float *lrow;
    ad_area *area;
    float **held; /* reduced frames waiting for the decision (index = frame position) */
    size_t nheld, capheld;
    size_t counted; /* frames with content seen */
    int decided, crop;
    ad_rect box;  /* union of the content boxes so far (reduced pixels) */
    int any;      /* box holds something */
    ad_h256 *forms;
    int *quality;
    size_t n, cap;
};

ad_code ad_vtrim_new(ad_vtrim **out, int width, int height, ad_err *err)
{
    *out = NULL;
    ad_vtrim *t = calloc(1, sizeof *t);
    if (!t)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    t->w = width;
    t->h = height;
    ad_border_reduced_size(width, height, AD_VTRIM_SIDE, &t->rw, &t->rh);
    if (!(t->lrow = malloc((size_t)width * sizeof *t->lrow))) {
        free(t);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    *out = t;
    return AD_OK;
}

static void drop_held(ad_vtrim *t)
{
    for (size_t i = 0; i < t->nheld; i++)
        free(t->held[i]);
    t->nheld = 0;
}

void ad_vtrim_reset(ad_vtrim *t)
{
    drop_held(t);
    t->counted = 0;
    t->decided = t->crop = t->any = 0;
    t->n = 0;
}

void ad_vtrim_free(ad_vtrim *t)
{
    if (!t)
        return;
    drop_held(t);
    free(t->held);
    free(t->lrow);
    free(t->forms);
    free(t->quality);
    ad_area_free(t->area);
    free(t);
}

/* The frame reduced (owned by the caller). */
static float *reduce(ad_vtrim *t, const uint8_t *rgb, size_t stride, ad_err *err)
{
    ad_area_free(t->area);
    t->area = NULL;
    ad_code rc = ad_area_new(&t->area, t->w, t->h, t->rw, t->rh, err);
    if (rc)
        return NULL;
    for (int y = 0; y < t->h; y++) {
        const uint8_t *p = rgb + (size_t)y * stride;
        for (int x = 0; x < t->w; x++, p += 3)
            t->lrow[x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        ad_area_push(t->area, t->lrow);
    }
    size_t bytes = (size_t)t->rw * (size_t)t->rh * sizeof(float);
    float *r = malloc(bytes);
    if (!r) {
        ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(r, ad_area_result(t->area), bytes);
    return r;
}

static ad_code put(ad_vtrim *t, size_t i, const ad_h256 *forms, int quality, ad_err *err)
{
    if (i >= t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        while (cap <= i)
            cap *= 2;
        ad_h256 *f = realloc(t->forms, cap * AD_PDQ_NVARIANTS * sizeof *f);
        if (!f)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        t->forms = f;
        int *q = realloc(t->quality, cap * sizeof *q);
        if (!q)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        t->quality = q;
        t->cap = cap;
    }
    memcpy(t->forms + i * AD_PDQ_NVARIANTS, forms, AD_PDQ_NVARIANTS * sizeof *forms);
    t->quality[i] = quality;
    if (i + 1 > t->n)
        t->n = i + 1;
    return AD_OK;
}

/* The trimmed PDQ of frame i from its reduced luma. */
static ad_code hash_one(ad_vtrim *t, size_t i, const float *r, ad_err *err)
{
    ad_pdq_result res;
    ad_code rc = ad_pdq_from_luma(r + (size_t)t->box.y * t->rw + t->box.x, t->box.w, t->box.h,
                                  (size_t)t->rw, 1, &res, err);
    return rc ? rc : put(t, i, res.dihedral, res.quality, err);
}

static ad_code decide(ad_vtrim *t, ad_err *err)
{
    t->decided = 1;
    t->crop = t->any && (t->box.w < t->rw || t->box.h < t->rh) &&
              t->box.w * 100 >= t->rw * 35 && t->box.h * 100 >= t->rh * 35;
    ad_code rc = AD_OK;
    for (size_t i = 0; i < t->nheld && t->crop && !rc; i++)
        rc = hash_one(t, i, t->held[i], err);
    drop_held(t);
    return rc;
}

ad_code ad_vtrim_frame(ad_vtrim *t, size_t i, const uint8_t *rgb, size_t stride, int quality,
                       ad_err *err)
{
    if (t->decided && !t->crop)
        return AD_OK;
    ad_err le;
    float *r = reduce(t, rgb, stride, &le);
    if (!r) {
        if (err)
            *err = le;
        return le.code;
    }
    if (t->decided) {
        ad_code rc = hash_one(t, i, r, err);
        free(r);
        return rc;
    }
    if (quality >= MIN_QUALITY) {
        ad_rect c;
        if (!ad_border_find(r, t->rw, t->rh, (size_t)t->rw, AD_BORDER_NO_EDGE, &c))
            c = (ad_rect){0, 0, t->rw, t->rh};
        if (!t->any) {
            t->box = c;
            t->any = 1;
        } else {
            int x1 = t->box.x + t->box.w, y1 = t->box.y + t->box.h;
            int cx1 = c.x + c.w, cy1 = c.y + c.h;
            t->box.x = c.x < t->box.x ? c.x : t->box.x;
            t->box.y = c.y < t->box.y ? c.y : t->box.y;
            t->box.w = (cx1 > x1 ? cx1 : x1) - t->box.x;
            t->box.h = (cy1 > y1 ? cy1 : y1) - t->box.y;
        }
        t->counted++;
    }
    if (t->nheld == t->capheld) {
        size_t cap = t->capheld ? 2 * t->capheld : 16;
        float **h = realloc(t->held, cap * sizeof *h);
        if (!h) {
            free(r);
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
        t->held = h;
        t->capheld = cap;
    }
    t->held[t->nheld++] = r; /* position i == nheld - 1 before the decision */
    if (t->counted >= DECIDE_FRAMES || t->nheld >= MAX_WAIT)
        return decide(t, err);
    return AD_OK;
}

ad_code ad_vtrim_finish(ad_vtrim *t, ad_vpdq_video *out, ad_err *err)
{
    ad_code rc = t->decided ? AD_OK : decide(t, err);
    if (rc || !t->crop || t->n != out->n)
        return rc;
    out->has_trim = 1;
    /* in stream pixels */
    int x0 = (int)((long)t->box.x * t->w / t->rw);
    int x1 = (int)((long)(t->box.x + t->box.w) * t->w / t->rw);
    int y0 = (int)((long)t->box.y * t->h / t->rh);
    int y1 = (int)((long)(t->box.y + t->box.h) * t->h / t->rh);
    out->content = (ad_rect){x0, y0, x1 - x0, y1 - y0};
    out->trim = t->forms;
    out->trim_quality = t->quality;
    t->forms = NULL;
    t->quality = NULL;
    t->n = t->cap = 0;
    return AD_OK;
}
