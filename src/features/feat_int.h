/* feat_int.h: the features module's internals: ORB's raw output (orb.cpp) for the C files. */
#ifndef AD_FEATURES_FEAT_INT_H
#define AD_FEATURES_FEAT_INT_H

#include <stdlib.h>
#include <string.h>

#include "ariadne/border.h"
#include "ariadne/features.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ad_feat_raw {
    int width, height; /* of the reduction */
    size_t n;
    ad_feat_point *pt; /* word and sig unset */
    uint8_t *desc;     /* n x 32 bytes */
};

static inline void ad_feat_raw_free(struct ad_feat_raw *r)
{
    free(r->pt);
    free(r->desc);
    r->pt = NULL;
    r->desc = NULL;
    r->n = 0;
}

ad_code ad_feat_orb(const uint8_t *grey, int width, int height, size_t stride, int max_points,
                    struct ad_feat_raw *out, ad_err *err);
/* orb.cpp: the same from cv::ORB as a whole (what ad_feat_orb must equal; for the tests). */
ad_code ad_feat_orb_reference(const uint8_t *grey, int width, int height, size_t stride,
                              int max_points, struct ad_feat_raw *out, ad_err *err);
/* orb.cpp: how many pyramid levels this thread's ad_feat_orb calls detected twice so far (the
 * guessed FAST threshold left too few corners; for the tests). */
unsigned ad_feat_orb_retries(void);

/* extract.c: an image decoded to greyscale (malloc'd, width bytes a row), scaled while decoding
 * when the format allows as long as the smaller side stays >= min_side (0: full size). */
ad_code ad_feat_decode_grey(ad_media_type type, const uint8_t *data, size_t len,
                            const ad_limits *limits, int min_side, uint8_t **grey, int *width,
                            int *height, ad_err *err);

/* vocab.c: 1 when the compiled-in vocabulary has its expected form. */
int ad_feat_vocab_ok(void);
/* vocab.c: on = 0 makes the word search use the scalar code (the tests compare both), on = 1
 * the AVX2 code where the processor has it (the default); returns 1 when AVX2 is then used. */
int ad_feat_vocab_simd(int on);

#ifdef __cplusplus
}
#endif
#endif
