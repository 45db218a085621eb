/* pdq.h: PDQ, Meta's 256-bit perceptual image hash, bit-exact with the reference C++
 * (pdqHash256FromFloatLuma), with its quality score and the 8 dihedral variants.
 *
 * The hasher is streaming: rows of luma are pushed one at a time, top to bottom, and memory is
 * O(width * window), never the whole image. The arithmetic is the reference's, in the same
 * order, so the result is identical to blurring the full-resolution image. */
#ifndef ARIADNE_PDQ_H
#define ARIADNE_PDQ_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The 8 dihedral variants, in the reference's order (pdqhashing.h). rot90 is 90 degrees
 * counter-clockwise; flipx is upside down; flipy a mirror; flipp the transpose about the main
 * diagonal; flipm about the anti-diagonal. */
enum ad_pdq_variant {
    AD_PDQ_ORIG = 0,
    AD_PDQ_ROT90,
    AD_PDQ_ROT180,
    AD_PDQ_ROT270,
    AD_PDQ_FLIPX,
    AD_PDQ_FLIPY,
    AD_PDQ_FLIPP,
    AD_PDQ_FLIPM,
    AD_PDQ_NVARIANTS
};
extern const char *const ad_pdq_variant_names[AD_PDQ_NVARIANTS];

#define AD_PDQ_MIN_DIM 5 /* the reference hashes nothing smaller than 5x5 */

typedef struct ad_pdq_result {
    ad_h256 hash;                        /* == dihedral[AD_PDQ_ORIG] */
    int quality;                         /* 0..100 */
    int has_dihedral;                    /* dihedral[] filled */
    ad_h256 dihedral[AD_PDQ_NVARIANTS];
} ad_pdq_result;

typedef struct ad_pdq_hasher ad_pdq_hasher;

/* A hasher for an image of width x height (each >= AD_PDQ_MIN_DIM, else AD_ERR_UNSUPPORTED
 * with a message saying the image is too small for PDQ). */
ad_code ad_pdq_hasher_new(ad_pdq_hasher **out, int width, int height, ad_err *err);
/* Pushes the next row of `width` luma values (0..255 floats). */
void ad_pdq_hasher_push(ad_pdq_hasher *h, const float *row);
/* Pushes the next row from 8-bit pixels with `channels` = 1 (grey) or 3 (RGB): luma is the grey
 * value or 0.299 R + 0.587 G + 0.114 B in float, as the reference computes it. */
void ad_pdq_hasher_push_u8(ad_pdq_hasher *h, const uint8_t *row, int channels);
/* After `height` rows: the hash, quality and (if want_dihedral) the 8 variants. */
ad_code ad_pdq_hasher_finish(ad_pdq_hasher *h, int want_dihedral, ad_pdq_result *out,
                             ad_err *err);
void ad_pdq_hasher_free(ad_pdq_hasher *h);

/* One-shot forms. stride is in elements (floats) or bytes (u8). */
ad_code ad_pdq_from_luma(const float *luma, int width, int height, size_t stride,
                         int want_dihedral, ad_pdq_result *out, ad_err *err);
ad_code ad_pdq_from_u8(const uint8_t *pixels, int width, int height, size_t stride, int channels,
                       int want_dihedral, ad_pdq_result *out, ad_err *err);

/* The last stage alone: hash and quality from a 64x64 luma buffer (no blur), as the reference
 * does for exactly-64x64 input. */
void ad_pdq_from_64x64(const float buf[64][64], int want_dihedral, ad_pdq_result *out);

/* The 8 hashes of a 16x16 DCT output (exposed for tests). */
void ad_pdq_dihedral_from_dct(const float dct[16][16], ad_h256 out[AD_PDQ_NVARIANTS]);
/* Hash bits of a 16x16 DCT: bit i*16+j set iff dct[i][j] > lower median. */
void ad_pdq_bits_from_dct(const float dct[16][16], ad_h256 *out);

#ifdef __cplusplus
}
#endif
#endif
