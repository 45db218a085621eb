/* area.c: the exact area mean of a streamed luma image at a smaller size: every output pixel is
 * the mean of the source area it covers, fractions of source pixels included, so that the
 * output cells are placed symmetrically (a mirrored or turned source gives the mirrored or
 * turned output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "hot.h"

struct ad_area {
    int w, h, ow, oh, y;
    int *xc;    /* per source column: the first output column it covers */
    float *xw;  /* ... and its weight there (the rest goes to the next column) */
    int *start; /* per output column (and one past): its first source column */
    float *v0, *v1; /* source rows summed into output rows cur and cur + 1 (width w) */
    int cur;        /* the output row v0 holds; rows before it are done */
    int done;       /* the result is complete */
    float *acc;     /* ow x oh */
};

/* Source pixel i of n spans [i, i+1); in output units [i*on/n, (i+1)*on/n). Its first cell and
 * the weight (in output units) it puts there; the rest of on/n goes to the next cell. */
static void split(int i, int n, int on, int *cell, float *w0)
{
    double a = (double)i * on / n, b = (double)(i + 1) * on / n;
    int c = (int)floor(a);
    if (c >= on)
        c = on - 1;
    double end = c + 1.0;
    *cell = c;
    *w0 = (float)(b <= end + 1e-9 ? b - a : end - a);
}

ad_code ad_area_new(ad_area **out, int width, int height, int out_w, int out_h, ad_err *err)
{
    *out = NULL;
    if (width < 1 || height < 1 || out_w < 1 || out_h < 1 || out_w > width || out_h > height)
        return ad_err_set(err, AD_ERR_ARG, "area mean of %dx%d at %dx%d", width, height, out_w,
                          out_h);
    ad_area *a = calloc(1, sizeof *a);
    if (!a)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    a->w = width;
    a->h = height;
    a->ow = out_w;
    a->oh = out_h;
    a->xc = malloc((size_t)width * sizeof *a->xc);
    a->xw = malloc((size_t)width * sizeof *a->xw);
    a->start = malloc(((size_t)out_w + 1) * sizeof *a->start);
    a->v0 = calloc((size_t)width, sizeof *a->v0);
    a->v1 = calloc((size_t)width, sizeof *a->v1);
    a->acc = calloc((size_t)out_w * ((size_t)out_h + 1), sizeof *a->acc);
    if (!a->xc || !a->xw || !a->start || !a->v0 || !a->v1 || !a->acc) {
        ad_area_free(a);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (int x = 0; x < width; x++)
        split(x, width, out_w, &a->xc[x], &a->xw[x]);
    /* the source columns whose first cell is c are contiguous: [start[c], start[c+1]) */
    for (int c = 0, x = 0; c <= out_w; c++) {
        while (x < width && a->xc[x] < c)
            x++;
        a->start[c] = x;
    }
    *out = a;
    return AD_OK;
}

/* One row reduced horizontally: cell c sums its own columns (weights xw) and what the column
 * before its first spills over (the rest of that column's width); four sums for speed. */
AD_HOT static void reduce_row(const float *restrict l, const float *restrict xw,
                              const int *restrict start, int ow, float full, float *restrict row)
{
    for (int c = 0; c < ow; c++) {
        const int s = start[c], e = start[c + 1];
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int x = s;
        for (; x + 4 <= e; x += 4) {
            s0 += xw[x] * l[x];
            s1 += xw[x + 1] * l[x + 1];
            s2 += xw[x + 2] * l[x + 2];
            s3 += xw[x + 3] * l[x + 3];
        }
        for (; x < e; x++)
            s0 += xw[x] * l[x];
        float sum = (s0 + s1) + (s2 + s3);
        if (s > 0)
            sum += (full - xw[s - 1]) * l[s - 1];
        row[c] = sum;
    }
}

AD_HOT static void add_rows(float *restrict v0, float *restrict v1, const float *restrict l,
                            int w, float w0, float w1)
{
    for (int x = 0; x < w; x++) {
        v0[x] += w0 * l[x];
        v1[x] += w1 * l[x];
    }
}

/* Output row cur is complete: reduced horizontally into acc; the next one moves up. */
static void flush(ad_area *a)
{
    if (a->cur < a->oh && a->ow == a->w) /* one column a cell: as it is */
        memcpy(a->acc + (size_t)a->cur * a->ow, a->v0, (size_t)a->w * sizeof *a->v0);
    else if (a->cur < a->oh)
        reduce_row(a->v0, a->xw, a->start, a->ow, (float)a->ow / (float)a->w,
                   a->acc + (size_t)a->cur * a->ow);
    float *t = a->v0;
    a->v0 = a->v1;
    a->v1 = t;
    memset(a->v1, 0, (size_t)a->w * sizeof *a->v1);
    a->cur++;
}

/* Vertical first (two multiply-adds a pixel, vectorised), horizontal once per output row. */
void ad_area_push(ad_area *a, const float *luma)
{
    if (a->y >= a->h)
        return;
    int cy;
    float wy;
    split(a->y++, a->h, a->oh, &cy, &wy);
    while (a->cur < cy)
        flush(a);
    add_rows(a->v0, a->v1, luma, a->w, wy, (float)a->oh / (float)a->h - wy);
}

const float *ad_area_result(ad_area *a)
{
    while (!a->done && a->cur < a->oh)
        flush(a);
    a->done = 1;
    return a->acc;
}

void ad_area_free(ad_area *a)
{
    if (!a)
        return;
    free(a->xc);
    free(a->xw);
    free(a->start);
    free(a->v0);
    free(a->v1);
    free(a->acc);
    free(a);
}
