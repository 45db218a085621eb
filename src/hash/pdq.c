/* pdq.c: the PDQ hash, streaming and bit-exact with the reference C++.
 *
 * The reference blurs the full-resolution luma with two rounds of (rows box, columns box),
 * each a running-sum box filter of window ceil(W/128) along rows and ceil(H/128) along
 * columns, then point-samples 64x64 cell centres. Float results depend on the order of the
 * running-sum additions, so every stage below performs exactly the reference's operations in
 * its order; only the memory traffic differs:
 *   A  rows box, full output, one row at a time as rows arrive;
 *   B  columns box, streamed: a ring of `window` rows and a vector of column sums;
 *   C  rows box again, but only the 64 sampled columns are divided and kept;
 *   D  columns box on those 64 columns, streamed; only the 64 sampled rows are kept.
 * Memory is O(width * window) and every pass walks memory sequentially. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/pdq.h"
#include "hot.h" /* hot loops get an AVX2 clone chosen at run time */

const char *const ad_pdq_variant_names[AD_PDQ_NVARIANTS] = {
    "orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"};

/* ---- DCT matrix (16 x 64), as the reference builds it ---- */

static float dct_matrix[16][64];
static float dct_matrix_t[64][16];
static pthread_once_t dct_once = PTHREAD_ONCE_INIT;

static void dct_init(void)
{
    const double pi = 3.14159265358979323846;
    const float scale = (float)sqrt(2.0 / 64.0);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 64; j++) {
            double arg = (pi / 2.0 / 64.0) * (double)(i + 1) * (double)(2 * j + 1);
            dct_matrix[i][j] = (float)((double)scale * cos(arg));
            dct_matrix_t[j][i] = dct_matrix[i][j];
        }
}

/* B = D A D^T; every output accumulates over k ascending from 0.0f, as the reference. */
static void dct64_to_16(const float a[64][64], float out[16][16])
{
    float t[16][64];
    for (int i = 0; i < 16; i++) {
        float *ti = t[i];
        for (int j = 0; j < 64; j++)
            ti[j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            const float d = dct_matrix[i][k];
            const float *ak = a[k];
            for (int j = 0; j < 64; j++)
                ti[j] += d * ak[j];
        }
    }
    for (int i = 0; i < 16; i++) {
        float *bi = out[i];
        for (int j = 0; j < 16; j++)
            bi[j] = 0.0f;
        for (int k = 0; k < 64; k++) {
            const float tk = t[i][k];
            const float *dk = dct_matrix_t[k];
            for (int j = 0; j < 16; j++)
                bi[j] += tk * dk[j];
        }
    }
}

/* ---- quality and bits ---- */

static int quality_of(const float b[64][64])
{
    int sum = 0;
    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((b[i][j] - b[i + 1][j]) * 100) / 255);
            sum += abs(d);
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((b[i][j] - b[i][j + 1]) * 100) / 255);
            sum += abs(d);
        }
    int q = sum / 90;
    return q > 100 ? 100 : q;
}

/* The 128th smallest of 256 values (the reference's Torben median returns this one). */
static float lower_median(const float *in)
{
    float v[256];
    memcpy(v, in, sizeof v);
    int lo = 0, hi = 255;
    const int k = 127;
    while (lo < hi) {
        float pivot = v[(lo + hi) >> 1];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                float tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

void ad_pdq_bits_from_dct(const float dct[16][16], ad_h256 *out)
{
    float median = lower_median(&dct[0][0]);
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            if (dct[i][j] > median)
                ad_h256_set_bit(out, i * 16 + j);
}

void ad_pdq_from_64x64(const float buf[64][64], int want_dihedral, ad_pdq_result *out)
{
    pthread_once(&dct_once, dct_init);
    float dct[16][16];
    dct64_to_16(buf, dct);
    out->quality = quality_of(buf);
    out->has_dihedral = want_dihedral != 0;
    if (want_dihedral) {
        ad_pdq_dihedral_from_dct(dct, out->dihedral);
        out->hash = out->dihedral[AD_PDQ_ORIG];
    } else {
        ad_pdq_bits_from_dct(dct, &out->hash);
    }
}

/* ---- box filters ---- */

/* Rows box that keeps only the outputs at the 64 (non-decreasing) sampled columns. */
static void box_row_sampled(const float *in, int len, int win, const int cols[64], float out[64])
{
    const int half = (win + 2) / 2;
    int li = 0, ri = 0, oi = 0, cnt = 0, k = 0;
    float sum = 0.0f;
#define EMIT()                                                                                    \
    do {                                                                                          \
        while (k < 64 && cols[k] == oi)                                                           \
            out[k++] = sum / (float)cnt;                                                          \
        oi++;                                                                                     \
    } while (0)
    for (int i = 0; i < half - 1; i++) {
        sum += in[ri++];
        cnt++;
    }
    for (int i = 0; i < win - half + 1 && k < 64; i++) {
        sum += in[ri++];
        cnt++;
        EMIT();
    }
    for (int i = 0; i < len - win && k < 64; i++) {
        sum += in[ri++];
        sum -= in[li++];
        EMIT();
    }
    for (int i = 0; i < half - 1 && k < 64; i++) {
        sum -= in[li++];
        cnt--;
        EMIT();
    }
#undef EMIT
}

/* The sampled filter on 4 rows at once: 4 independent running sums per step, so the
 * add-subtract dependency chain of one row no longer bounds the speed. Per row the operations
 * and their order are exactly those of box_row_sampled. */
#define NB 4
AD_HOT static void box_row_sampled4(const float *const in[NB], int len, int win, const int cols[64],
                             float out[NB][64])
{
    const int half = (win + 2) / 2;
    int li = 0, ri = 0, oi = 0, cnt = 0, k = 0;
    float sum[NB] = {0};
#define EMIT4()                                                                                   \
    do {                                                                                          \
        while (k < 64 && cols[k] == oi) {                                                         \
            for (int r = 0; r < NB; r++)                                                          \
                out[r][k] = sum[r] / (float)cnt;                                                  \
            k++;                                                                                  \
        }                                                                                         \
        oi++;                                                                                     \
    } while (0)
    for (int i = 0; i < half - 1; i++, ri++) {
        for (int r = 0; r < NB; r++)
            sum[r] += in[r][ri];
        cnt++;
    }
    for (int i = 0; i < win - half + 1 && k < 64; i++, ri++) {
        for (int r = 0; r < NB; r++)
            sum[r] += in[r][ri];
        cnt++;
        EMIT4();
    }
    for (int i = 0; i < len - win && k < 64; i++, ri++, li++) {
        for (int r = 0; r < NB; r++) {
            sum[r] += in[r][ri];
            sum[r] -= in[r][li];
        }
        EMIT4();
    }
    for (int i = 0; i < half - 1 && k < 64; i++, li++) {
        for (int r = 0; r < NB; r++)
            sum[r] -= in[r][li];
        cnt--;
        EMIT4();
    }
#undef EMIT4
}

/* Stage A on 8 rows at once, the rows interleaved (il[j * NA + r] is row r, column j), so one
 * vector holds the 8 running sums: the same operations per row as box_row, in vector lanes.
 * Lanes of rows that are not there hold zeros and their outputs go to scratch rows. */
#define NA 8
typedef float v8f __attribute__((vector_size(NA * sizeof(float))));

/* macros, not functions: a vector argument would change the ABI between the clones */
#define store8(out, oi, q)                                                                        \
    do {                                                                                          \
        const v8f q_ = (q);                                                                       \
        for (int r_ = 0; r_ < NA; r_++)                                                           \
            (out)[r_][oi] = q_[r_];                                                               \
    } while (0)
#define splat8(c) ((v8f){(c), (c), (c), (c), (c), (c), (c), (c)})

AD_HOT static void box_row8_il(const float *il, float *const out[NA], int len, int win)
{
    const v8f *in = (const v8f *)il;
    const int half = (win + 2) / 2;
    int li = 0, ri = 0, oi = 0, cnt = 0;
    v8f sum = splat8(0.0f);
    for (int i = 0; i < half - 1; i++) {
        sum += in[ri++];
        cnt++;
    }
    for (int i = 0; i < win - half + 1; i++) {
        sum += in[ri++];
        cnt++;
        store8(out, oi, sum / splat8((float)cnt));
        oi++;
    }
    const v8f c = splat8((float)cnt);
    for (int i = 0; i < len - win; i++) {
        sum += in[ri++];
        sum -= in[li++];
        store8(out, oi, sum / c);
        oi++;
    }
    for (int i = 0; i < half - 1; i++) {
        sum -= in[li++];
        cnt--;
        store8(out, oi, sum / splat8((float)cnt));
        oi++;
    }
}

/* Columns box, streamed one input row at a time over rows of n values. */
struct vbox {
    int n, len, win, half;
    int in_rows, out_rows;
    float *sum;  /* n */
    float *ring; /* win rows of n */
};

static int vbox_init(struct vbox *v, int n, int len, int win)
{
    v->n = n;
    v->len = len;
    v->win = win;
    v->half = (win + 2) / 2;
    v->in_rows = v->out_rows = 0;
    v->sum = calloc((size_t)n, sizeof(float));
    v->ring = malloc((size_t)n * (size_t)win * sizeof(float));
    return v->sum && v->ring;
}

static void vbox_free(struct vbox *v)
{
    free(v->sum);
    free(v->ring);
}

AD_HOT static void vbox_emit(struct vbox *v, float *out, int cnt)
{
    const float c = (float)cnt;
    for (int j = 0; j < v->n; j++)
        out[j] = v->sum[j] / c;
    v->out_rows++;
}

/* Adds input row; returns 1 and fills out when an output row is ready. */
AD_HOT static int vbox_push(struct vbox *v, const float *in, float *out)
{
    const int r = v->in_rows++;
    float *slot = v->ring + (size_t)(r % v->win) * (size_t)v->n;
    float *sum = v->sum;
    if (r < v->win) {
        for (int j = 0; j < v->n; j++)
            sum[j] += in[j];
    } else {
        for (int j = 0; j < v->n; j++) {
            sum[j] += in[j];
            sum[j] -= slot[j];
        }
    }
    memcpy(slot, in, (size_t)v->n * sizeof(float));
    if (r < v->half - 1)
        return 0;
    vbox_emit(v, out, r + 1 < v->win ? r + 1 : v->win);
    return 1;
}

/* After all input rows: returns 1 and fills out while trailing output rows remain. */
static int vbox_drain(struct vbox *v, float *out)
{
    if (v->out_rows >= v->len)
        return 0;
    int t = v->out_rows - (v->len - v->half + 1); /* 0 .. half-2 */
    int li = v->len - v->win + t;
    const float *slot = v->ring + (size_t)(li % v->win) * (size_t)v->n;
    for (int j = 0; j < v->n; j++)
        v->sum[j] -= slot[j];
    vbox_emit(v, out, v->win - 1 - t);
    return 1;
}

/* ---- the streaming hasher ---- */

struct ad_pdq_hasher {
    int w, h, winx, winy;
    int rows_in, rows_d;
    int direct; /* exactly 64x64: no blur, as the reference */
    float *luma;         /* NA input rows waiting for stage A, interleaved (see box_row8_il) */
    float *a;            /* NA rows out of stage A */
    float *b;            /* NB rows out of stage B, waiting for stage C */
    int nluma, nb;       /* rows waiting in luma and in b */
    float c[NB][64], d[64];
    int cols[64], rows[64];
    struct vbox vb, vd;
    float buf[64][64];
};

ad_code ad_pdq_hasher_new(ad_pdq_hasher **out, int width, int height, ad_err *err)
{
    *out = NULL;
    if (width < AD_PDQ_MIN_DIM || height < AD_PDQ_MIN_DIM)
        return ad_err_set(err, AD_ERR_UNSUPPORTED,
                          "image %dx%d is too small for PDQ (minimum %dx%d)", width, height,
                          AD_PDQ_MIN_DIM, AD_PDQ_MIN_DIM);
    pthread_once(&dct_once, dct_init);
    ad_pdq_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for the PDQ hasher");
    h->w = width;
    h->h = height;
    h->winx = (width + 127) / 128;
    h->winy = (height + 127) / 128;
    h->direct = width == 64 && height == 64;
    for (int i = 0; i < 64; i++) {
        h->rows[i] = (int)(((i + 0.5) * height) / 64);
        h->cols[i] = (int)(((i + 0.5) * width) / 64);
    }
    h->luma = aligned_alloc(sizeof(v8f), (size_t)width * NA * sizeof(float));
    if (h->luma)
        memset(h->luma, 0, (size_t)width * NA * sizeof(float));
    h->a = malloc((size_t)width * NA * sizeof(float));
    h->b = malloc((size_t)width * NB * sizeof(float));
    int ok = h->luma && h->a && h->b;
    ok = ok && vbox_init(&h->vb, width, height, h->winy);
    ok = ok && vbox_init(&h->vd, 64, height, h->winy);
    if (!ok) {
        ad_pdq_hasher_free(h);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for the PDQ hasher (%dx%d)", width,
                          height);
    }
    *out = h;
    return AD_OK;
}

void ad_pdq_hasher_free(ad_pdq_hasher *h)
{
    if (!h)
        return;
    free(h->luma);
    free(h->a);
    free(h->b);
    vbox_free(&h->vb);
    vbox_free(&h->vd);
    free(h);
}

static void take_row(ad_pdq_hasher *h, const float *row64)
{
    const int oi = h->rows_d++;
    for (int i = 0; i < 64; i++)
        if (h->rows[i] == oi)
            memcpy(h->buf[i], row64, sizeof h->buf[i]);
}

/* Stage C on the rows waiting in b (a full block of NB at once), then stage D. */
static void flush_b(ad_pdq_hasher *h)
{
    const size_t w = (size_t)h->w;
    if (h->nb == NB) {
        const float *in[NB];
        for (int r = 0; r < NB; r++)
            in[r] = h->b + r * w;
        box_row_sampled4(in, h->w, h->winx, h->cols, h->c);
    } else {
        for (int r = 0; r < h->nb; r++)
            box_row_sampled(h->b + r * w, h->w, h->winx, h->cols, h->c[r]);
    }
    for (int r = 0; r < h->nb; r++)
        if (vbox_push(&h->vd, h->c[r], h->d))
            take_row(h, h->d);
    h->nb = 0;
}

static float *next_b(ad_pdq_hasher *h)
{
    if (h->nb == NB)
        flush_b(h);
    return h->b + (size_t)h->nb * (size_t)h->w;
}

/* Stage A on the rows waiting in luma, then stage B row by row. */
static void flush_luma(ad_pdq_hasher *h)
{
    const size_t w = (size_t)h->w;
    float *out[NA];
    for (int r = 0; r < NA; r++)
        out[r] = h->a + r * w;
    box_row8_il(h->luma, out, h->w, h->winx);
    for (int r = 0; r < h->nluma; r++) {
        float *b = next_b(h);
        if (vbox_push(&h->vb, h->a + r * w, b))
            h->nb++;
    }
    h->nluma = 0;
}

/* The interleaved lane of the next input row. */
static float *next_luma(ad_pdq_hasher *h)
{
    if (h->nluma == NA)
        flush_luma(h);
    return h->luma + h->nluma;
}

void ad_pdq_hasher_push(ad_pdq_hasher *h, const float *row)
{
    if (h->rows_in >= h->h)
        return;
    h->rows_in++;
    if (h->direct) {
        memcpy(h->buf[h->rows_in - 1], row, sizeof h->buf[0]);
        return;
    }
    float *l = next_luma(h);
    for (int j = 0; j < h->w; j++)
        l[(size_t)j * NA] = row[j];
    h->nluma++;
}

/* The reference's luma, in its order; vector instructions give the same IEEE results (and
 * -ffp-contract=off keeps FMA out), so the AVX2 clone is bit-identical to the default one. */
AD_HOT static void luma_rgb(const uint8_t *restrict row, float *restrict l, int w, int stride)
{
    for (int j = 0; j < w; j++) {
        const uint8_t *p = row + 3 * j;
        l[(size_t)j * stride] = 0.299f * (float)p[0] + 0.587f * (float)p[1] + 0.114f * (float)p[2];
    }
}

void ad_pdq_hasher_push_u8(ad_pdq_hasher *h, const uint8_t *row, int channels)
{
    if (h->rows_in >= h->h)
        return;
    float *l = h->direct ? h->buf[h->rows_in] : next_luma(h);
    const int stride = h->direct ? 1 : NA;
    if (channels == 1) {
        for (int j = 0; j < h->w; j++)
            l[(size_t)j * stride] = (float)row[j];
    } else {
        luma_rgb(row, l, h->w, stride);
    }
    h->rows_in++;
    if (!h->direct)
        h->nluma++;
}

ad_code ad_pdq_hasher_finish(ad_pdq_hasher *h, int want_dihedral, ad_pdq_result *out,
                             ad_err *err)
{
    if (h->rows_in != h->h)
        return ad_err_set(err, AD_ERR_TRUNCATED, "PDQ got %d of %d rows", h->rows_in, h->h);
    if (!h->direct) {
        flush_luma(h);
        float *b = next_b(h);
        while (vbox_drain(&h->vb, b)) {
            h->nb++;
            b = next_b(h);
        }
        flush_b(h);
        while (vbox_drain(&h->vd, h->d))
            take_row(h, h->d);
    }
    ad_pdq_from_64x64((const float(*)[64])h->buf, want_dihedral, out);
    return AD_OK;
}

ad_code ad_pdq_from_luma(const float *luma, int width, int height, size_t stride,
                         int want_dihedral, ad_pdq_result *out, ad_err *err)
{
    ad_pdq_hasher *h;
    ad_code rc = ad_pdq_hasher_new(&h, width, height, err);
    if (rc)
        return rc;
    for (int y = 0; y < height; y++)
        ad_pdq_hasher_push(h, luma + (size_t)y * stride);
    rc = ad_pdq_hasher_finish(h, want_dihedral, out, err);
    ad_pdq_hasher_free(h);
    return rc;
}

ad_code ad_pdq_from_u8(const uint8_t *pixels, int width, int height, size_t stride, int channels,
                       int want_dihedral, ad_pdq_result *out, ad_err *err)
{
    if (channels != 1 && channels != 3)
        return ad_err_set(err, AD_ERR_ARG, "PDQ takes grey or RGB pixels, not %d channels",
                          channels);
    ad_pdq_hasher *h;
    ad_code rc = ad_pdq_hasher_new(&h, width, height, err);
    if (rc)
        return rc;
    for (int y = 0; y < height; y++)
        ad_pdq_hasher_push_u8(h, pixels + (size_t)y * stride, channels);
    rc = ad_pdq_hasher_finish(h, want_dihedral, out, err);
    ad_pdq_hasher_free(h);
    return rc;
}
