/* features.h: the second signal (issue 13, docs/features.md): local features (ORB keypoints on a
 * greyscale reduction to 512 pixels on the long side, each quantised to a visual word of a
 * shipped vocabulary with 32 bits of its descriptor kept), stored compactly per media, an
 * inverted-file index over the words returning candidates, and a geometric check (RANSAC
 * similarity for copies, homography for the same scene) that decides. */
#ifndef ARIADNE_FEATURES_H
#define ARIADNE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/media.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_FEAT_SIDE 512       /* the reduction's long side, pixels */
#define AD_FEAT_DETECT 500     /* keypoints detected (a query uses them all) */
#define AD_FEAT_STORED 200     /* keypoints kept in the store per media */
#define AD_FEAT_VERSION 1      /* of the stored form (docs/store.md "media_feature") */
#define AD_FEAT_BLOB_MAX (8 + 10 * AD_FEAT_STORED) /* bytes of a stored form, at most */

#define AD_FEAT_DENSE 1000     /* a query's denser points: the same scene's guided matches and
                                  the PDQ-guided check (NEAR_DETECT) */

#define AD_FEAT_ALT 2
#define AD_FEAT_NOWORD UINT32_MAX

typedef struct ad_feat_point {
    float x, y;     /* in the reduction's pixels */
    float angle;    /* degrees, [0, 360) */
    int octave;     /* pyramid level (scale 1.2^octave) */
    float response; /* detector strength (not stored) */
    uint32_t word;  /* visual word, < AD_FEAT_WORDS */
    uint32_t sig;   /* 32 bits of the descriptor (Hamming embedding) */
    /* the next nearest words (AD_FEAT_NOWORD: none): a query's descriptor is looked up under
     * these too (multiple assignment); never stored */
    uint32_t alt[AD_FEAT_ALT];
} ad_feat_point;

typedef struct ad_features {
    int width, height; /* the reduction's size */
    size_t n;
    ad_feat_point *p; /* malloc'd */
} ad_features;

/* Features of greyscale pixels (stride bytes between rows): reduced to AD_FEAT_SIDE, at most
 * max_points keypoints (AD_FEAT_DETECT for a query). An image without texture gets none
 * (n = 0, AD_OK). */
ad_code ad_features_grey(const uint8_t *grey, int width, int height, size_t stride,
                         int max_points, ad_features *out, ad_err *err);
/* Decodes an image file's bytes (type as probed; limits NULL: the defaults) into its reduced
 * luma (ariadne/border.h, the pixels ingest's PDQ decode hands over: ad_hasher_grey) and
 * computes its features: the same features as ingest computes for the same file. */
ad_code ad_features_image(ad_media_type type, const uint8_t *data, size_t len,
                          const ad_limits *limits, int max_points, ad_features *out, ad_err *err);
/* Keeps the AD_FEAT_STORED strongest points, in each octave in proportion (as ORB allots them). */
void ad_features_keep(ad_features *f, size_t max_points);
void ad_features_free(ad_features *f);

/* The stored form (version AD_FEAT_VERSION, at most AD_FEAT_BLOB_MAX bytes: docs/store.md):
 * encode keeps at most AD_FEAT_STORED points; decode checks everything (hostile input). */
size_t ad_features_encode(const ad_features *f, uint8_t *buf, size_t cap);
ad_code ad_features_decode(const uint8_t *buf, size_t len, ad_features *out, ad_err *err);

/* The geometric check of a query against a known picture. */
typedef enum ad_feat_kind {
    AD_FEAT_NONE = 0,  /* no content shared */
    AD_FEAT_COPY = 1,  /* most of the query maps into the known picture by a near-similarity:
                          crop, tilt, re-share, border */
    AD_FEAT_SCENE = 2, /* a part of the same scene (a homography), not a copy: a possible link */
} ad_feat_kind;

typedef struct ad_feat_match {
    ad_feat_kind kind;
    int matches;        /* tentative matches (same word, near signature) */
    int inliers;        /* consistent with the transform found */
    double coverage;    /* fraction of the query's frame that falls inside the known's */
    double scale, rotation; /* of the similarity (query -> known), rotation in degrees */
    /* the matched region: bounding box of the inliers, as fractions [0,1] of each picture's
     * width and height: x0, y0, x1, y1 */
    double box_known[4], box_query[4];
    int query_size[2], known_size[2]; /* the reductions' width and height */
    int guided_most; /* the same scene: the most guided matches consistent with one homography
                        that guided matching reached (0: not tried) */
    /* guided matching fell just short (12-14 of the 15 matches) at a place where chance gives
     * far fewer (its test passed): ad_features_verify_dense tries again with denser points */
    int near_scene;
    int dense; /* the finding came from the query's denser points (ad_features_verify_dense) */
} ad_feat_match;

const char *ad_feat_kind_name(ad_feat_kind k);
/* Decides whether query and known share content (deterministic: a fixed RANSAC seed). */
void ad_features_verify(const ad_features *query, const ad_features *known, ad_feat_match *out);
/* The same scene again with the query's denser points (AD_FEAT_DENSE of them, the same
 * reduction: the file decoded again): out is ad_features_verify's answer for query and known;
 * when ad_features_dense_wanted(out), guided matching starts again from the places the
 * query's tentative matches suggest, with the denser points, under the same rules (the chance
 * test measured with the same denser points). */
/* 1 when out (ad_features_verify's answer) is worth trying again with the denser points: no
 * finding, and guided matching came within 3 of the 15 matches it needs at a place where the
 * chance test already passes (out->near_scene). */
int ad_features_dense_wanted(const ad_feat_match *out);
void ad_features_verify_dense(const ad_features *query, const ad_features *dense,
                              const ad_features *known, ad_feat_match *out);
/* The PDQ-guided check (src/features/pdqnear.c): for a known picture whose PDQ is near the
 * query's but beyond PDQ's radius, whether local features agree at the placement that implies
 * (the frames together, or the query's content inside a border on the known's frame):
 * AD_FEAT_COPY or AD_FEAT_NONE. content: the query's content box inside a border, fractions
 * x0, y0, x1, y1 of its width and height; NULL when it has none. */
void ad_features_verify_near(const ad_features *query, const ad_features *known,
                             const double content[4], ad_feat_match *out);

/* The inverted file over visual words: media ids (> 0) with their words; candidates ranked by
 * shared words weighted by rarity (tf-idf). Not thread-safe for add; search is read-only once
 * ad_feat_index_seal has run. */
typedef struct ad_feat_index ad_feat_index;
typedef struct ad_feat_hit {
    int64_t media_id;
    float score;
} ad_feat_hit;
ad_code ad_feat_index_new(ad_feat_index **out, ad_err *err);
void ad_feat_index_free(ad_feat_index *ix);
ad_code ad_feat_index_add(ad_feat_index *ix, int64_t media_id, const ad_features *f, ad_err *err);
/* Builds the postings (after all adds; adding afterwards seals again on the next search). */
ad_code ad_feat_index_seal(ad_feat_index *ix, ad_err *err);
size_t ad_feat_index_size(const ad_feat_index *ix); /* media */
size_t ad_feat_index_bytes(const ad_feat_index *ix);
/* The best candidates for a query, best first (equal scores by media id): fills hits[0..max),
 * returns how many. */
size_t ad_feat_index_search(const ad_feat_index *ix, const ad_features *q, ad_feat_hit *hits,
                            size_t max);
/* The media id of the i-th media added (0 past the end). */
int64_t ad_feat_index_id(const ad_feat_index *ix, size_t i);
/* The index in a file (sealed first; written whole or not at all), tagged with tag (the store's
 * instance UUID), and read back: a file that is not whole, of another version (of the file or
 * of the features, AD_FEAT_VERSION), or of another tag is refused with a reason
 * (AD_ERR_NOT_FOUND, AD_ERR_VERSION, AD_ERR_CORRUPT), never used. */
ad_code ad_feat_index_save(ad_feat_index *ix, const char *path, const char *tag, ad_err *err);
ad_code ad_feat_index_open(const char *path, const char *tag, ad_feat_index **out, ad_err *err);

/* The vocabulary (src/features/vocab.c, data/features/ORIGIN.md). */
#define AD_FEAT_WORDS 65536
uint32_t ad_feat_word(const uint8_t desc[32]);
/* The nearest word and the next AD_FEAT_ALT nearest (the best leaf under each of the two
 * nearest level-1 centres, and the second best leaf under the nearest). */
uint32_t ad_feat_words(const uint8_t desc[32], uint32_t alt[AD_FEAT_ALT]);

#ifdef __cplusplus
}
#endif
#endif
