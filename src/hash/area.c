/* area.c: the exact area mean of a streamed luma image at a smaller size: every output pixel is
 * the mean of the source area it covers, fractions of source pixels included, so that the
 * output cells are placed symmetrically (a mirrored or turned source gives the mirrored or
 * turned output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"

struct ad_area {
    int w, h, ow, oh, y;
    int *xc;    /* per source column: the first output column it covers */
    float *xw;  /* ... and its weight there (the rest goes to the next column) */
    float *row; /* one source row reduced horizontally */
    float *acc; /* ow x oh */
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
    a->row = malloc(((size_t)out_w + 1) * sizeof *a->row);
    a->acc = calloc((size_t)out_w * ((size_t)out_h + 1), sizeof *a->acc);
    if (!a->xc || !a->xw || !a->row || !a->acc) {
        ad_area_free(a);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (int x = 0; x < width; x++)
        split(x, width, out_w, &a->xc[x], &a->xw[x]);
    *out = a;
    return AD_OK;
}

void ad_area_push(ad_area *a, const float *luma)
{
    if (a->y >= a->h)
        return;
    const float full = (float)a->ow / (float)a->w;
    memset(a->row, 0, ((size_t)a->ow + 1) * sizeof *a->row);
    for (int x = 0; x < a->w; x++) {
        a->row[a->xc[x]] += a->xw[x] * luma[x];
        a->row[a->xc[x] + 1] += (full - a->xw[x]) * luma[x];
    }
    int cy;
    float wy;
    split(a->y++, a->h, a->oh, &cy, &wy);
    const float fully = (float)a->oh / (float)a->h;
    float *r0 = a->acc + (size_t)cy * a->ow, *r1 = r0 + a->ow; /* acc has one spare row */
    for (int x = 0; x < a->ow; x++) {
        r0[x] += wy * a->row[x];
        r1[x] += (fully - wy) * a->row[x];
    }
}

const float *ad_area_result(const ad_area *a)
{
    return a->acc;
}

void ad_area_free(ad_area *a)
{
    if (!a)
        return;
    free(a->xc);
    free(a->xw);
    free(a->row);
    free(a->acc);
    free(a);
}
