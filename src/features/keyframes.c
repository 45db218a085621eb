/* keyframes.c: a video's keyframes (keyframes.h): distinct frames of the vPDQ decode, each with
 * the local features a picture of the same pixels gets (its reduced luma made the same way,
 * ariadne/border.h), picked while decoding and thinned at the end to AD_KF_MAX spread over the
 * video's content. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "features/keyframes.h"

#define SIGN (AD_KF_SIG * AD_KF_SIG)
/* a frame is distinct when its normalised block means differ from the last candidate's by this
 * much on average (1.13 between unrelated frames; a pan of 5% of the width gives about 0.3) */
#define DISTINCT 0.25f
#define FLAT 4.0f     /* block means with a spread under this (grey levels): no picture */
#define MIN_POINTS 40 /* fewer keypoints: too little texture to be worth a keyframe */

void ad_keyframes_hook(ad_keyframes *kf, ad_vpdq_opts *o)
{
    kf->next = o->on_frame;
    kf->next_ctx = o->on_frame_ctx;
    o->on_frame = ad_keyframes_on_frame;
    o->on_frame_ctx = kf;
}

static void drop_all(ad_keyframes *kf)
{
    for (size_t i = 0; kf->k && i < kf->n; i++)
        ad_features_free(&kf->k[i].f);
    kf->n = 0;
    kf->step = 1;
    kf->skip = 0;
    kf->has_last = 0;
}

void ad_keyframes_free(ad_keyframes *kf)
{
    drop_all(kf);
    free(kf->k);
    kf->k = NULL;
}

/* The frame's signature from its reduced luma: AD_KF_SIG^2 block means, less their mean, over
 * their spread; 0 when the frame is flat. */
static int signature(const uint8_t *g, int w, int h, float *sig)
{
    double sum = 0;
    for (int by = 0; by < AD_KF_SIG; by++)
        for (int bx = 0; bx < AD_KF_SIG; bx++) {
            int x0 = bx * w / AD_KF_SIG, x1 = (bx + 1) * w / AD_KF_SIG;
            int y0 = by * h / AD_KF_SIG, y1 = (by + 1) * h / AD_KF_SIG;
            double s = 0;
            int n = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++, n++)
                    s += g[(size_t)y * (size_t)w + (size_t)x];
            sig[by * AD_KF_SIG + bx] = n ? (float)(s / n) : 0.0f;
            sum += sig[by * AD_KF_SIG + bx];
        }
    float mean = (float)(sum / SIGN), var = 0;
    for (int i = 0; i < SIGN; i++)
        var += (sig[i] - mean) * (sig[i] - mean);
    float sd = sqrtf(var / SIGN);
    if (sd < FLAT)
        return 0;
    for (int i = 0; i < SIGN; i++)
        sig[i] = (sig[i] - mean) / sd;
    return 1;
}

static float sig_dist(const float *a, const float *b)
{
    float d = 0;
    for (int i = 0; i < SIGN; i++)
        d += fabsf(a[i] - b[i]);
    return d / SIGN;
}

/* Every other candidate dropped (the first kept), and every other distinct frame taken. */
static void thin(ad_keyframes *kf)
{
    size_t o = 0;
    for (size_t i = 0; i < kf->n; i++) {
        if (i % 2 == 0)
            kf->k[o++] = kf->k[i];
        else
            ad_features_free(&kf->k[i].f);
    }
    kf->n = o;
    kf->step *= 2;
}

/* The reduced luma of an RGB frame, as a picture's (ariadne/border.h), malloc'd. */
static uint8_t *reduce(const uint8_t *rgb, size_t stride, int width, int height, int *rw, int *rh)
{
    ad_pdq_more_acc *acc = NULL;
    if (ad_pdq_more_new(&acc, width, height, NULL))
        return NULL;
    for (int y = 0; y < height; y++)
        ad_pdq_more_push_u8(acc, rgb + (size_t)y * stride, 3);
    ad_pdq_more_grey(acc, NULL, rw, rh);
    uint8_t *g = malloc((size_t)*rw * (size_t)*rh);
    if (g)
        ad_pdq_more_grey(acc, g, rw, rh);
    ad_pdq_more_free(acc);
    return g;
}

void ad_keyframes_on_frame(void *ctx, int64_t index, double timestamp, double duration,
                           const uint8_t *rgb, size_t stride, int width, int height)
{
    ad_keyframes *kf = ctx;
    if (kf->next)
        kf->next(kf->next_ctx, index, timestamp, duration, rgb, stride, width, height);
    if (!rgb) { /* decoding starts over: the frames so far are void */
        drop_all(kf);
        return;
    }
    if (!kf->k && !(kf->k = calloc(AD_KF_CAND, sizeof *kf->k)))
        return;
    if (!kf->step)
        kf->step = 1;
    int rw, rh;
    uint8_t *g = reduce(rgb, stride, width, height, &rw, &rh);
    if (!g)
        return;
    float sig[SIGN];
    if (!signature(g, rw, rh, sig) || (kf->has_last && sig_dist(sig, kf->last) < DISTINCT)) {
        free(g);
        return;
    }
    memcpy(kf->last, sig, sizeof sig);
    kf->has_last = 1;
    if (kf->skip) { /* thinned: every step-th distinct frame */
        kf->skip--;
        free(g);
        return;
    }
    kf->skip = kf->step - 1;
    ad_keyframe *k = &kf->k[kf->n];
    memset(k, 0, sizeof *k);
    if (ad_features_grey(g, rw, rh, (size_t)rw, AD_FEAT_DETECT, &k->f, NULL) == AD_OK &&
        k->f.n >= MIN_POINTS) {
        k->frame = index;
        k->timestamp = timestamp;
        memcpy(k->sig, sig, sizeof sig);
        if (++kf->n == AD_KF_CAND)
            thin(kf);
    } else {
        ad_features_free(&k->f);
    }
    free(g);
}

static int by_time(const void *a, const void *b)
{
    const ad_keyframe *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

void ad_keyframes_finish(ad_keyframes *kf)
{
    if (kf->n <= AD_KF_MAX)
        return;
    /* farthest first: the first candidate, then each time the one least like those kept */
    float near[AD_KF_CAND];
    int kept[AD_KF_CAND] = {0};
    kept[0] = 1;
    for (size_t i = 0; i < kf->n; i++)
        near[i] = sig_dist(kf->k[i].sig, kf->k[0].sig);
    for (size_t m = 1; m < AD_KF_MAX; m++) {
        size_t best = 0;
        float bd = -1;
        for (size_t i = 0; i < kf->n; i++)
            if (!kept[i] && near[i] > bd)
                bd = near[i], best = i;
        kept[best] = 1;
        for (size_t i = 0; i < kf->n; i++) {
            float d = sig_dist(kf->k[i].sig, kf->k[best].sig);
            if (d < near[i])
                near[i] = d;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < kf->n; i++) {
        if (kept[i])
            kf->k[o++] = kf->k[i];
        else
            ad_features_free(&kf->k[i].f);
    }
    kf->n = o;
    qsort(kf->k, kf->n, sizeof *kf->k, by_time);
}

static ad_code of_video(ad_code (*hash)(const void *, size_t, const char *, const ad_vpdq_opts *,
                                        ad_vpdq_video *, ad_err *),
                        const void *data, size_t len, const char *path,
                        const ad_video_limits *limits, ad_keyframes *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    if (limits)
        o.limits = *limits;
    ad_keyframes_hook(out, &o);
    ad_vpdq_video v;
    ad_code rc = hash(data, len, path, &o, &v, err);
    ad_vpdq_video_free(&v);
    out->next = NULL;
    out->next_ctx = NULL;
    if (rc) {
        ad_keyframes_free(out);
        return rc;
    }
    ad_keyframes_finish(out);
    return AD_OK;
}

static ad_code by_path(const void *data, size_t len, const char *path, const ad_vpdq_opts *o,
                       ad_vpdq_video *v, ad_err *err)
{
    (void)data, (void)len;
    return ad_vpdq_hash_file(path, o, v, err);
}

static ad_code by_memory(const void *data, size_t len, const char *path, const ad_vpdq_opts *o,
                         ad_vpdq_video *v, ad_err *err)
{
    (void)path;
    return ad_vpdq_hash_memory(data, len, o, v, err);
}

ad_code ad_keyframes_file(const char *path, const ad_video_limits *limits, ad_keyframes *out,
                          ad_err *err)
{
    return of_video(by_path, NULL, 0, path, limits, out, err);
}

ad_code ad_keyframes_memory(const void *data, size_t len, const ad_video_limits *limits,
                            ad_keyframes *out, ad_err *err)
{
    return of_video(by_memory, data, len, NULL, limits, out, err);
}
