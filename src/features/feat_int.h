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

/* Of a picture's points, the share on words that recur in it above which it is a repeated
 * pattern (a checkerboard, a tiled wallpaper): two such pictures match each other anywhere. */
#define AD_FEAT_REPEATED 0.3

/* verify.c: the share of f's points on words that recur in f, measured on the points the store
 * would keep of it (a query's 500 or 1,000 recur more than a known picture's 200, whatever the
 * picture). */
double ad_feat_repeated_stored(const ad_features *f);

/* verify.c: what the similarity check measures, without its decision (the PDQ-guided check,
 * pdqnear.c, decides with another rule): m holds the tentative matches, the distinct consistent
 * ones (inliers), the coverage of the query's frame in the known's, scale, rotation and boxes
 * (kind unset). */
typedef struct ad_feat_sim_stats {
    ad_feat_match m;
    int raw;             /* consistent matches, all of them (m.inliers: by distinct words) */
    int unique;          /* consistent matches on words found once in each picture */
    double spread;       /* the smaller of the inliers' boxes, fraction of each picture */
    double known_cover;  /* of the known's frame covered by the query's frame, as placed */
    double rep_query, rep_known; /* share of each picture's points on recurring words */
    double sim[4];       /* the similarity query -> known: k = [a -b; b a] q + (tx, ty) */
    double chance;       /* ad_feat_guided_at: the mean guided matches at shifted placements */
    int chance_most;     /* ... and the most at one of them */
} ad_feat_sim_stats;
void ad_feat_measure_sim(const ad_features *query, const ad_features *known,
                         ad_feat_sim_stats *st);
/* verify.c: the guided matches at the placement s0 (a similarity query -> known, as sim),
 * refined in three rounds (a similarity refitted over them); m.matches holds the guided
 * matches, m.inliers the consistent ones by distinct words, raw all consistent ones; chance
 * and chance_most what the final placement shifted by 12 and 24 pixels gathers. */
void ad_feat_guided_at(const ad_features *query, const ad_features *known, const double s0[4],
                       ad_feat_sim_stats *st);

#ifdef __cplusplus
}
#endif
#endif
