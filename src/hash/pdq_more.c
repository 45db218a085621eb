/* pdq_more.c: the hashes computed beside the plain PDQ from the same decoded rows (ad_pdq_more,
 * ariadne/border.h): the reduced luma, the border found on it and the PDQ of the content inside,
 * and the area PDQ (64x64 exact area mean) whose dihedral forms are exact turns. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "hot.h"

struct ad_pdq_more_acc {
    int w, h, rw, rh;
    ad_area *reduced;
    float *row;
};

ad_code ad_pdq_more_new(ad_pdq_more_acc **out, int width, int height, ad_err *err)
{
    *out = NULL;
    ad_pdq_more_acc *a = calloc(1, sizeof *a);
    if (!a)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    a->w = width;
    a->h = height;
    ad_border_reduced_size(width, height, AD_BORDER_SIDE, &a->rw, &a->rh);
    ad_code rc = ad_area_new(&a->reduced, width, height, a->rw, a->rh, err);
    if (!rc && !(a->row = malloc((size_t)width * sizeof *a->row)))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc) {
        ad_pdq_more_free(a);
        return rc;
    }
    *out = a;
    return AD_OK;
}

void ad_pdq_more_push(ad_pdq_more_acc *a, const float *luma)
{
    ad_area_push(a->reduced, luma);
}

AD_HOT static void luma(const uint8_t *restrict row, float *restrict l, int w, int channels)
{
    if (channels == 1) {
        for (int x = 0; x < w; x++)
            l[x] = (float)row[x];
    } else {
        for (int x = 0; x < w; x++)
            l[x] = 0.299f * (float)row[3 * x] + 0.587f * (float)row[3 * x + 1] +
                   0.114f * (float)row[3 * x + 2];
    }
}

void ad_pdq_more_push_u8(ad_pdq_more_acc *a, const uint8_t *row, int channels)
{
    luma(row, a->row, a->w, channels);
    ad_pdq_more_push(a, a->row);
}

/* The area PDQ of a w x h luma (stride): the exact area mean at 64x64, then PDQ's DCT. On the
 * reduced luma, itself an exact area mean, the 64x64 cells stay symmetric (within a 512th of
 * the picture of the source's own area mean), and the hash of a region does not depend on the
 * resolution it was reduced from. */
static ad_code area_pdq(const float *l, int w, int h, size_t stride, ad_pdq_result *out,
                        ad_err *err)
{
    ad_area *a64;
    ad_code rc = ad_area_new(&a64, w, h, 64, 64, err);
    if (rc)
        return rc;
    for (int y = 0; y < h; y++)
        ad_area_push(a64, l + (size_t)y * stride);
    float buf[64][64];
    memcpy(buf, ad_area_result(a64), sizeof buf);
    ad_area_free(a64);
    ad_pdq_from_64x64((const float(*)[64])buf, 1, out);
    return AD_OK;
}

ad_code ad_pdq_more_finish(ad_pdq_more_acc *a, ad_pdq_more *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    out->content = (ad_rect){0, 0, a->w, a->h};
    const float *r = ad_area_result(a->reduced);
    if (a->rw >= 64 && a->rh >= 64) {
        ad_code rc = area_pdq(r, a->rw, a->rh, (size_t)a->rw, &out->area, err);
        if (rc)
            return rc;
        out->has_area = 1;
    }
    ad_rect c;
    if (!ad_border_find(r, a->rw, a->rh, (size_t)a->rw, 0, &c))
        return AD_OK;
    const float *in = r + (size_t)c.y * a->rw + c.x;
    ad_code rc = ad_pdq_from_luma(in, c.w, c.h, (size_t)a->rw, 1, &out->trim, err);
    if (rc)
        return rc;
    /* and the area PDQ of the content, as the known picture's area PDQ of the whole: a copy
     * padded, framed or letterboxed gives it whatever their resolutions (the reference's
     * downsampling of the content at 512 pixels against the known's at its own size: 54 bits
     * for a sheet of tiny digits padded to a square; 2 bits this way) */
    if (c.w >= 64 && c.h >= 64) {
        if ((rc = area_pdq(in, c.w, c.h, (size_t)a->rw, &out->trim_area, err)))
            return rc;
        out->has_trim_area = 1;
    }
    out->has_trim = 1;
    /* in the image's pixels: the reduced cells' edges */
    int x0 = (int)((long)c.x * a->w / a->rw), x1 = (int)((long)(c.x + c.w) * a->w / a->rw);
    int y0 = (int)((long)c.y * a->h / a->rh), y1 = (int)((long)(c.y + c.h) * a->h / a->rh);
    out->content = (ad_rect){x0, y0, x1 - x0, y1 - y0};
    return AD_OK;
}

void ad_pdq_more_grey(ad_pdq_more_acc *a, uint8_t *grey, int *out_w, int *out_h)
{
    *out_w = a->rw;
    *out_h = a->rh;
    if (!grey)
        return;
    const float *r = ad_area_result(a->reduced);
    for (size_t i = 0, n = (size_t)a->rw * (size_t)a->rh; i < n; i++) {
        float v = r[i] + 0.5f;
        grey[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
    }
}

void ad_pdq_more_free(ad_pdq_more_acc *a)
{
    if (!a)
        return;
    ad_area_free(a->reduced);
    free(a->row);
    free(a);
}
