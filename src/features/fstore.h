/* fstore.h: local features in the store (fstore.c; table media_feature, docs/store.md). */
#ifndef AD_FEATURES_FSTORE_H
#define AD_FEATURES_FSTORE_H

#include "ariadne/features.h"
#include "ariadne/report.h"
#include "ariadne/store.h"

typedef struct ad_feat_row {
    int64_t media_id;
    const uint8_t *data; /* ad_features_encode's */
    size_t len;
} ad_feat_row;

/* Writes features of media (one transaction; a media that has features keeps them). */
ad_code ad_feat_store_put(ad_store *st, const ad_feat_row *rows, size_t n, ad_err *err);
/* A media's features; AD_ERR_NOT_FOUND when it has none. */
ad_code ad_feat_store_get(ad_store *st, int64_t media_id, ad_features *out, ad_err *err);
int ad_feat_store_has(ad_store *st, int64_t media_id);
/* 1 when the query `sql` (one media id bound; a literal: statements are cached by the text's
 * address) gives a row. */
int ad_feat_store_any(ad_store *st, const char *sql, int64_t media_id);
/* Every media's features into ix, then sealed; damaged rows are left out and counted. */
ad_code ad_feat_store_load(ad_store *st, ad_feat_index *ix, size_t *loaded, size_t *damaged,
                           ad_err *err);

/* The features index kept in a file between runs (path; NULL: built from the store only): the
 * file's index when it is whole and this store's (instance UUID), updated with the media whose
 * features were added since (a media keeps its features once written, so only additions are
 * looked for; a media of the file no longer in the store means a new build), else built from
 * the store; written back (whole or not at all) when anything was added or built. The answers
 * are those of an index built from the store (candidates are ranked by score, then media id). */
typedef struct ad_feat_load {
    size_t from_file; /* media read from the file */
    size_t added;     /* media read from the store (all of them when rebuilt) */
    size_t damaged;   /* feature rows left out */
    int rebuilt, saved;
    char why[256];    /* why the file was not used, when it was not */
} ad_feat_load;
ad_code ad_feat_store_load_file(ad_store *st, const char *path, ad_feat_index **out,
                                ad_feat_load *how, ad_err *err);

/* What ingest found by features (feature_match): job, the file's media, the known media, kind
 * ("copy" or "scene"), how, consistent and tentative matches, regions "x0,y0,x1,y1". */
ad_code ad_feat_store_match(ad_store *st, const char *job_id, int64_t media_id,
                            int64_t known_media_id, const char *kind, const char *how,
                            int inliers, int matches, const char *region_known,
                            const char *region_query, ad_err *err);

/* The possible links (feature matches of kind 'scene') a job recorded for a media, strongest
 * first (malloc'd *out, *n of them), for the report. */
ad_code ad_feat_report_links(ad_store *st, const char *job_id, int64_t media_id,
                             ad_report_link **out, size_t *n, ad_err *err);

/* The media of ix (exclude_id left out) that share content with q, as checked against their
 * stored features: the index's best `candidates` (at least 32) are checked; copies first, then
 * the same scene, by consistent matches; at most max into out, *found of them. */
typedef struct ad_feat_found {
    int64_t media_id;
    ad_feat_match m;
    int keyframe; /* a known video's keyframe that matched (keyframes.h); -1 a picture */
} ad_feat_found;
ad_code ad_feat_similar(ad_store *st, const ad_feat_index *ix, const ad_features *q,
                        int64_t exclude_id, size_t candidates, ad_feat_found *out, size_t max,
                        size_t *found, ad_err *err);
/* The same, with the query's denser points for the same scene (ad_features_verify_dense):
 * dense(ctx, out) computes them (AD_FEAT_DENSE points of the query's file; 0 when done), called
 * at most once, and only when a candidate wants them (ad_features_dense_wanted: guided
 * matching fell just short), so a picture whose candidates never do pays nothing. dense NULL:
 * ad_feat_similar. */
typedef int (*ad_feat_dense_fn)(void *ctx, ad_features *out);
ad_code ad_feat_similar_dense(ad_store *st, const ad_feat_index *ix, const ad_features *q,
                              ad_feat_dense_fn dense, void *ctx, int64_t exclude_id,
                              size_t candidates, ad_feat_found *out, size_t max, size_t *found,
                              ad_err *err);
/* How a copy differs from the known picture ("crop", "tilt", "border", joined by '+', or
 * "re-share" when none: the same frame re-encoded or resized); "same-scene" for a scene. */
void ad_feat_how(const ad_feat_match *m, char *buf, size_t cap);

#endif
