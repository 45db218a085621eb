/* extract.c: a picture's local features: its reduced luma (the exact area means at AD_FEAT_SIDE on
 * the long side that the hash module computes beside PDQ, ariadne/border.h: ingest hands over the
 * very pixels of its PDQ decode, ad_hasher_grey; a file on its own is decoded here into the same
 * reduction, so both give the same features), ORB keypoints (orb.cpp), each descriptor quantised
 * to its visual word (vocab.c) with its first 32 bits kept as a signature. */
#include "feat_int.h"

typedef struct {
    uint8_t *grey;
    int w, h, channels, row;
    uint64_t max_pixels;
} grey_acc;

/* A decoded size a sink takes. */
static ad_code size_ok(int w, int h, int channels, uint64_t max_pixels, ad_err *err)
{
    if (w < 1 || h < 1 || (channels != 1 && channels != 3))
        return ad_err_set(err, AD_ERR_CORRUPT, "image of %dx%d pixels", w, h);
    if ((uint64_t)w * (uint64_t)h > max_pixels)
        return ad_err_set(err, AD_ERR_LIMIT, "image of %dx%d pixels is over the limit", w, h);
    return AD_OK;
}

static ad_code g_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    grey_acc *g = ctx;
    ad_code rc = size_ok(w, h, channels, g->max_pixels, err);
    if (rc)
        return rc;
    free(g->grey);
    g->grey = malloc((size_t)w * (size_t)h);
    if (!g->grey)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %dx%d image", w, h);
    g->w = w;
    g->h = h;
    g->channels = channels;
    g->row = 0;
    return AD_OK;
}

static void g_row(void *ctx, const uint8_t *px)
{
    grey_acc *g = ctx;
    if (g->row >= g->h)
        return;
    uint8_t *o = g->grey + (size_t)g->row++ * (size_t)g->w;
    if (g->channels == 1) {
        memcpy(o, px, (size_t)g->w);
        return;
    }
    for (int x = 0; x < g->w; x++, px += 3) /* Rec. 601 luma in 1/256ths */
        o[x] = (uint8_t)((77 * px[0] + 150 * px[1] + 29 * px[2] + 128) >> 8);
}

static const ad_image_sink grey_sink = {g_begin, g_row};

ad_code ad_feat_decode_grey(ad_media_type type, const uint8_t *data, size_t len,
                            const ad_limits *limits, int min_side, uint8_t **grey, int *width,
                            int *height, ad_err *err)
{
    *grey = NULL;
    ad_decode_opts o = {0};
    if (limits)
        o.limits = *limits;
    else
        ad_limits_default(&o.limits);
    o.min_side = min_side;
    o.luma_only = 1;
    grey_acc g = {.max_pixels = o.limits.max_pixels};
    ad_image_info info;
    ad_code rc = ad_image_decode(type, data, len, &o, &grey_sink, &g, &info, err);
    if (rc == AD_OK && g.row < g.h)
        rc = ad_err_set(err, AD_ERR_TRUNCATED, "image ended after %d of %d rows", g.row, g.h);
    if (rc) {
        free(g.grey);
        return rc;
    }
    *grey = g.grey;
    *width = g.w;
    *height = g.h;
    return AD_OK;
}

_Static_assert(AD_FEAT_SIDE == AD_BORDER_SIDE, "features are computed on PDQ's reduced luma");

/* The reduced luma as PDQ's decode makes it (pdq_more.c), rows streamed into it. */
typedef struct {
    ad_pdq_more_acc *acc;
    int channels, rows, h;
    uint64_t max_pixels;
} reduce_acc;

static ad_code r_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    reduce_acc *r = ctx;
    ad_code rc = size_ok(w, h, channels, r->max_pixels, err);
    if (rc)
        return rc;
    ad_pdq_more_free(r->acc);
    r->acc = NULL;
    r->channels = channels;
    r->rows = 0;
    r->h = h;
    return ad_pdq_more_new(&r->acc, w, h, err);
}

static void r_row(void *ctx, const uint8_t *px)
{
    reduce_acc *r = ctx;
    if (r->rows < r->h) {
        ad_pdq_more_push_u8(r->acc, px, r->channels);
        r->rows++;
    }
}

static const ad_image_sink reduce_sink = {r_begin, r_row};

ad_code ad_features_image(ad_media_type type, const uint8_t *data, size_t len,
                          const ad_limits *limits, int max_points, ad_features *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_decode_opts o = {0};
    if (limits)
        o.limits = *limits;
    else
        ad_limits_default(&o.limits);
    reduce_acc r = {.max_pixels = o.limits.max_pixels};
    ad_image_info info;
    ad_code rc = ad_image_decode(type, data, len, &o, &reduce_sink, &r, &info, err);
    if (rc == AD_OK && r.rows < r.h)
        rc = ad_err_set(err, AD_ERR_TRUNCATED, "image ended after %d of %d rows", r.rows, r.h);
    uint8_t *grey = NULL;
    int w = 0, h = 0;
    if (rc == AD_OK) {
        ad_pdq_more_grey(r.acc, NULL, &w, &h);
        if (!(grey = malloc((size_t)w * (size_t)h)))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %dx%d image", w, h);
    }
    if (rc == AD_OK) {
        ad_pdq_more_grey(r.acc, grey, &w, &h);
        rc = ad_features_grey(grey, w, h, (size_t)w, max_points, out, err);
    }
    ad_pdq_more_free(r.acc);
    free(grey);
    return rc;
}

ad_code ad_features_grey(const uint8_t *grey, int width, int height, size_t stride,
                         int max_points, ad_features *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    if (!grey || width < 1 || height < 1 || stride < (size_t)width || max_points < 1)
        return ad_err_set(err, AD_ERR_ARG, "features of an empty picture");
    if (!ad_feat_vocab_ok())
        return ad_err_set(err, AD_ERR_INTERNAL, "the compiled-in vocabulary is damaged");
    struct ad_feat_raw raw;
    ad_code rc = ad_feat_orb(grey, width, height, stride, max_points, &raw, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < raw.n; i++) {
        const uint8_t *d = raw.desc + 32 * i;
        raw.pt[i].word = ad_feat_words(d, raw.pt[i].alt);
        raw.pt[i].sig = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                        (uint32_t)d[3] << 24;
    }
    out->width = raw.width;
    out->height = raw.height;
    out->n = raw.n;
    out->p = raw.pt;
    free(raw.desc);
    return AD_OK;
}

void ad_features_free(ad_features *f)
{
    free(f->p);
    f->p = NULL;
    f->n = 0;
}

/* strongest first within an octave; lower octaves (finer) first */
static int by_octave_response(const void *a, const void *b)
{
    const ad_feat_point *p = a, *q = b;
    if (p->octave != q->octave)
        return p->octave < q->octave ? -1 : 1;
    if (p->response != q->response)
        return p->response > q->response ? -1 : 1;
    return 0;
}

void ad_features_keep(ad_features *f, size_t max_points)
{
    if (f->n <= max_points)
        return;
    qsort(f->p, f->n, sizeof *f->p, by_octave_response);
    size_t o = 0, total = f->n;
    for (size_t i = 0; i < total;) {
        size_t j = i;
        while (j < total && f->p[j].octave == f->p[i].octave)
            j++;
        size_t want = ((j - i) * max_points + total - 1) / total; /* its share, rounded up */
        for (size_t k = i; k < j && k - i < want && o < max_points; k++)
            f->p[o++] = f->p[k];
        i = j;
    }
    f->n = o;
}
