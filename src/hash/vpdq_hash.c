/* vpdq_hash.c: vPDQ hashing: the reference's frame sampling over decoded frames, RGB24 at the
 * stream size (or NxN), PDQ per sampled frame; and the growable frame list. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/vpdq.h"
#include "vpdq_trim.h"

void ad_vpdq_opts_default(ad_vpdq_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seconds_per_hash = 1.0;
    ad_video_limits_default(&o->limits);
}

void ad_vpdq_video_free(ad_vpdq_video *v)
{
    if (!v)
        return;
    free(v->frames);
    free(v->dihedral);
    free(v->trim);
    free(v->trim_quality);
    free(v->dense);
    free(v->dense_forms);
    memset(v, 0, sizeof *v);
}

ad_code ad_vpdq_video_push(ad_vpdq_video *v, const ad_vpdq_frame *f, const ad_h256 *dihedral,
                           ad_err *err)
{
    if (v->n > 0 && (dihedral != NULL) != (v->dihedral != NULL))
        return ad_err_set(err, AD_ERR_ARG, "dihedral variants for some frames only");
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        ad_vpdq_frame *nf = realloc(v->frames, cap * sizeof *nf);
        if (!nf)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame list)");
        v->frames = nf;
        if (dihedral || v->dihedral) {
            ad_h256 *nd = realloc(v->dihedral, cap * AD_PDQ_NVARIANTS * sizeof *nd);
            if (!nd)
                return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame list)");
            v->dihedral = nd;
        }
        v->cap = cap;
    }
    if (dihedral && !v->dihedral) {
        v->dihedral = malloc(v->cap * AD_PDQ_NVARIANTS * sizeof *v->dihedral);
        if (!v->dihedral)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame list)");
    }
    if (v->dihedral)
        memcpy(v->dihedral + v->n * AD_PDQ_NVARIANTS, dihedral,
               AD_PDQ_NVARIANTS * sizeof *dihedral);
    v->frames[v->n++] = *f;
    return AD_OK;
}

static int frame_mod_of(double seconds_per_hash, double frame_rate)
{
    double m = seconds_per_hash * frame_rate;
    if (m >= (double)INT_MAX)
        return INT_MAX;
    int mod = (int)m;
    return mod == 0 ? 1 : mod;
}

/* A frame between the vPDQ frames: its PDQ's 8 forms into out->dense. */
static ad_code push_dense(ad_vpdq_video *out, const ad_vpdq_frame *f, const ad_h256 *forms,
                          ad_err *err)
{
    if (out->ndense == out->capdense) {
        size_t cap = out->capdense ? 2 * out->capdense : 64;
        ad_vpdq_frame *d = realloc(out->dense, cap * sizeof *d);
        if (!d)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame list)");
        out->dense = d;
        ad_h256 *h = realloc(out->dense_forms, cap * AD_PDQ_NVARIANTS * sizeof *h);
        if (!h)
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory (frame list)");
        out->dense_forms = h;
        out->capdense = cap;
    }
    memcpy(out->dense_forms + out->ndense * AD_PDQ_NVARIANTS, forms,
           AD_PDQ_NVARIANTS * sizeof *forms);
    out->dense[out->ndense++] = *f;
    return AD_OK;
}

static ad_code hash_frame(ad_video *v, int64_t index, const ad_vpdq_opts *o, ad_vpdq_video *out,
                          ad_vtrim *trim, ad_err *err)
{
    const uint8_t *rgb;
    size_t stride;
    ad_code rc = ad_video_rgb(v, out->hash_width, out->hash_height, &rgb, &stride, err);
    if (rc != AD_OK)
        return rc;
    /* the reference divides in float */
    const double ts = (double)((float)index / (float)out->frame_rate);
    if (index % out->frame_mod != 0) { /* a dense frame: for matching only */
        ad_pdq_result r;
        rc = ad_pdq_from_u8(rgb, out->hash_width, out->hash_height, stride, 3, 1, &r, err);
        ad_vpdq_frame f = {.frame_number = index, .quality = r.quality, .hash = r.hash,
                           .timestamp = ts};
        return rc ? rc : push_dense(out, &f, r.dihedral, err);
    }
    if (o->on_frame)
        o->on_frame(o->on_frame_ctx, index, ts, out->duration, rgb, stride, out->hash_width,
                    out->hash_height);
    ad_pdq_result r;
    rc = ad_pdq_from_u8(rgb, out->hash_width, out->hash_height, stride, 3, o->want_dihedral, &r,
                        err);
    if (rc != AD_OK)
        return rc;
    ad_vpdq_frame f = {
        .frame_number = index,
        .quality = r.quality,
        .hash = r.hash,
        .timestamp = ts,
    };
    rc = ad_vpdq_video_push(out, &f, o->want_dihedral ? r.dihedral : NULL, err);
    if (!rc && trim)
        rc = ad_vtrim_frame(trim, out->n - 1, rgb, stride, r.quality, err);
    return rc;
}

ad_code ad_vpdq_hash_video(ad_video *v, const ad_vpdq_opts *opts, ad_vpdq_video *out, ad_err *err)
{
    ad_vpdq_opts defaults;
    if (!opts) {
        ad_vpdq_opts_default(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    const ad_video_info *in = ad_video_get_info(v);
    out->width = in->width;
    out->height = in->height;
    out->hash_width = opts->resize > 0 ? opts->resize : in->width;
    out->hash_height = opts->resize > 0 ? opts->resize : in->height;
    out->frame_rate = in->frame_rate;
    out->duration = in->duration;
    snprintf(out->codec, sizeof out->codec, "%s", in->codec);
    out->frame_mod = frame_mod_of(opts->seconds_per_hash, in->frame_rate);
    if (out->hash_width < AD_PDQ_MIN_DIM || out->hash_height < AD_PDQ_MIN_DIM)
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "frame size %dx%d is too small for PDQ",
                          out->hash_width, out->hash_height);
    /* dense frames: every dmod-th frame too (the decoder samples by their common divisor) */
    int dmod = opts->dense_per_hash > 1 ? out->frame_mod / opts->dense_per_hash : 0;
    if (dmod < 1 && opts->dense_per_hash > 1 && out->frame_mod > 1)
        dmod = 1;
    int smod = out->frame_mod;
    for (int a = smod, b = dmod; b > 0;) { /* gcd */
        int c = a % b;
        a = b, b = c, smod = a;
    }
    ad_video_set_sampling(v, smod);
    ad_vtrim *trim = NULL;
    ad_code rc = opts->trim ? ad_vtrim_new(&trim, out->hash_width, out->hash_height, err) : AD_OK;
    if (rc)
        return rc;
    for (;;) {
        int64_t index;
        int end;
        rc = ad_video_next(v, &index, &end, err);
        if (rc == AD_OK && end == 2) { /* the decoder starts over in full */
            out->n = 0;
            out->ndense = 0;
            if (trim)
                ad_vtrim_reset(trim);
            if (opts->on_frame)
                opts->on_frame(opts->on_frame_ctx, -1, 0, out->duration, NULL, 0, 0, 0);
            continue;
        }
        if (rc != AD_OK || end)
            break;
        if ((index % out->frame_mod == 0 || (dmod > 0 && index % dmod == 0)) &&
            (rc = hash_frame(v, index, opts, out, trim, err)) != AD_OK)
            break;
    }
    if (trim && (rc == AD_OK || out->n)) {
        ad_err te;
        ad_code tc = ad_vtrim_finish(trim, out, &te);
        if (tc && rc == AD_OK)
            rc = ad_err_set(err, tc, "%s", te.msg);
    }
    ad_vtrim_free(trim);
    out->frame_count = ad_video_frames(v);
    out->damaged = ad_video_damaged(v);
    out->fast_path = ad_video_fast_path(v);
    if (rc == AD_OK && out->frame_count == 0)
        rc = ad_err_set(err, AD_ERR_CORRUPT, "no frame could be decoded");
    else if (rc == AD_OK && ad_video_truncated(v)) {
        if (in->frames_hint > 0)
            rc = ad_err_set(err, AD_ERR_TRUNCATED,
                            "the file ends early: %lld of %lld frames decoded",
                            (long long)out->frame_count, (long long)in->frames_hint);
        else
            rc = ad_err_set(err, AD_ERR_TRUNCATED, "the file ends early: %lld frames decoded",
                            (long long)out->frame_count);
    }
    if (rc != AD_OK)
        out->partial = out->n > 0;
    return rc;
}

static ad_code hash_opened(ad_code rc, ad_video *v, const ad_vpdq_opts *opts, ad_vpdq_video *out,
                           ad_err *err)
{
    if (rc == AD_OK)
        rc = ad_vpdq_hash_video(v, opts, out, err);
    ad_video_close(v);
    return rc;
}

static const ad_video_limits *limits_of(const ad_vpdq_opts *opts)
{
    return opts ? &opts->limits : NULL;
}

ad_code ad_vpdq_hash_file(const char *path, const ad_vpdq_opts *opts, ad_vpdq_video *out,
                          ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_video *v = NULL;
    ad_code rc = ad_video_open_file(&v, path, limits_of(opts), err);
    return hash_opened(rc, v, opts, out, err);
}

ad_code ad_vpdq_hash_memory(const void *data, size_t len, const ad_vpdq_opts *opts,
                            ad_vpdq_video *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_video *v = NULL;
    ad_code rc = ad_video_open_memory(&v, data, len, limits_of(opts), err);
    return hash_opened(rc, v, opts, out, err);
}

ad_code ad_vpdq_hash_io(const ad_video_io *io, const ad_vpdq_opts *opts, ad_vpdq_video *out,
                        ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_video *v = NULL;
    ad_code rc = ad_video_open_io(&v, io, limits_of(opts), err);
    return hash_opened(rc, v, opts, out, err);
}
