/* border.h: beyond the plain PDQ (issue 13, docs/hash.md "Borders and turns"): uniform borders
 * (letterbox, pillarbox, frames, padding) found and trimmed, and a PDQ whose 8 dihedral forms
 * are exact turns of the picture.
 *
 * - The *reduced luma* of an image is its luma averaged over exact areas (each output pixel is
 *   the mean of the source area it covers, fractions included) at AD_BORDER_SIDE pixels on the
 *   longest side (a smaller image is kept as it is). Borders are found on it.
 * - The *trimmed PDQ* is the PDQ of the reduced luma inside the border. It exists only when a
 *   border was found.
 * - The *area PDQ* is the PDQ of the 64x64 exact area mean of the whole image (no blur, no
 *   point sampling). Its cells are symmetric, so its 8 dihedral forms are the hashes of the
 *   truly turned and mirrored picture (the plain PDQ's are not: its sample grid is not
 *   symmetric, and a turned copy can be 30-40 bits from the derived form).
 *
 * Nothing here prints or exits; errors are values. */
#ifndef ARIADNE_BORDER_H
#define ARIADNE_BORDER_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/pdq.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_BORDER_SIDE 512 /* longest side of the reduced luma */

typedef struct ad_rect {
    int x, y, w, h;
} ad_rect;

/* Finds a uniform border on any side of a luma image (values 0..255) and returns 1 with the
 * content inside it, or 0 (content = the whole image) when there is none. A side is a border
 * when its outermost lines are uniform (97% of their pixels within a few levels of the line's
 * median: JPEG noise passes), at least 2 lines and 1.5% of the side deep, and ends at a clear
 * edge (a quarter of the first content line far from the border's level: a plain sky or a dark
 * photo fading into the picture is not a border), or is a flat margin 4% of the side deep (a
 * page or backdrop of the border's colour: trimmed alike on a picture and its bordered copy,
 * docs/pdq.md "Borders and turns"). The content must keep 35% of each side and
 * 16 pixels, else nothing is trimmed (a flat or nearly flat image). With AD_BORDER_NO_EDGE the
 * clear edge is not required (a video's frames: the crop is the union over many frames, so a
 * frame whose picture fades into its bars only widens nothing). */
#define AD_BORDER_NO_EDGE 1u
int ad_border_find(const float *luma, int width, int height, size_t stride, unsigned flags,
                   ad_rect *content);

/* The exact area mean of a streamed image (rows of luma pushed top to bottom) at out_w x
 * out_h (each at most the source's). */
typedef struct ad_area ad_area;
ad_code ad_area_new(ad_area **out, int width, int height, int out_w, int out_h, ad_err *err);
void ad_area_push(ad_area *a, const float *luma_row);
/* The result, out_w x out_h floats (row-major), valid until ad_area_free; after the last row. */
const float *ad_area_result(ad_area *a);
void ad_area_free(ad_area *a);

/* What is computed beside the plain PDQ, from the same decoded rows. */
typedef struct ad_pdq_more {
    int has_trim;       /* a border was found: trim holds the PDQ of the content */
    ad_rect content;    /* the content inside the border, in the image's pixels */
    ad_pdq_result trim; /* with its 8 dihedral forms */
    int has_area;       /* the image is at least 64x64 */
    ad_pdq_result area; /* the area PDQ with its 8 forms (exact turns) */
    /* a border was found and the content is at least 64x64: the area PDQ of the content alone
     * (a padded or framed copy's, close to the known picture's own area PDQ whatever their
     * resolutions). Searched on the query side only, never stored (docs/pdq.md "Borders and
     * turns"). */
    int has_trim_area;
    ad_pdq_result trim_area;
} ad_pdq_more;

/* Streaming: begin with the image size, push luma rows, finish. */
typedef struct ad_pdq_more_acc ad_pdq_more_acc;
ad_code ad_pdq_more_new(ad_pdq_more_acc **out, int width, int height, ad_err *err);
void ad_pdq_more_push(ad_pdq_more_acc *a, const float *luma_row);
/* A row of 8-bit grey (channels 1) or RGB (3) pixels: luma as PDQ computes it. */
void ad_pdq_more_push_u8(ad_pdq_more_acc *a, const uint8_t *row, int channels);
ad_code ad_pdq_more_finish(ad_pdq_more_acc *a, ad_pdq_more *out, ad_err *err);
/* After the last row: the reduced luma as 8-bit grey (each value rounded), out_w x out_h bytes
 * (ad_border_reduced_size with AD_BORDER_SIDE) written to grey (NULL: only the size). The
 * local features are computed on it (ariadne/features.h): one decode for PDQ and features. */
void ad_pdq_more_grey(ad_pdq_more_acc *a, uint8_t *grey, int *out_w, int *out_h);
void ad_pdq_more_free(ad_pdq_more_acc *a);

/* The size of the reduced luma of a width x height image. */
void ad_border_reduced_size(int width, int height, int side, int *out_w, int *out_h);

#ifdef __cplusplus
}
#endif
#endif
