/* triage.h: local features in the triage pipeline (triage.c; docs/features.md "In triage"). */
#ifndef AD_FEATURES_TRIAGE_H
#define AD_FEATURES_TRIAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

struct run;
struct task;

/* Hashing stage (any thread): an image's features from the reduced luma of the decode that
 * made its PDQ (ad_hasher_grey: no second decode), when the run wants them (opts->features) and
 * the file was decoded. A failure leaves the file without features and its class unaffected. */
void ad_feat_ingest_extract(const struct run *r, struct task *t, const uint8_t *grey, int width,
                            int height);
/* Writer, after the class is decided: each file still `new` with features is searched in the
 * store's features index (loaded at the first call): a copy of a known picture takes that
 * media's class, with the match (kind "feature") recorded; the same scene is kept as a possible
 * link. Then, with the batch's media (mids[k] of task of[k]), inside write_batch's transaction:
 * new media's features and the feature matches written (ad_feat_ingest_write). */
ad_code ad_feat_ingest_triage(struct run *r, ad_err *err);
ad_code ad_feat_ingest_write(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                             ad_err *err);
void ad_feat_ingest_free_task(struct task *t);
/* The writer's loop of both searches (pictures' features here, videos' keyframes in vtriage.c):
 * searched: whether file t is searched (the run takes features, t has something to search by
 * (has), it is still `new` with no match) and in what: the store's features index, videos'
 * keyframes too (loaded at the first call); AD_OK with *ix NULL when t is not searched or the
 * index is empty (nothing can be found). finding: one of t's findings, best first; *keep says
 * whether t keeps it: this job's own media are passed over (not known), the first copy (copy)
 * makes t take the known media's class (ad_feat_ingest_known), a later copy is passed over (the
 * first decided), what shares a scene is kept as a possible link. */
struct ad_feat_index;
ad_code ad_feat_ingest_searched(struct run *r, const struct task *t, int has,
                                const struct ad_feat_index **ix, ad_err *err);
ad_code ad_feat_ingest_finding(struct run *r, struct task *t, int64_t media_id, int copy,
                               int *keep, ad_err *err);
/* A file found to be a copy of a known media: it takes that media's class (known-unseriesed
 * when the media has none), the match recorded as kind "feature". */
ad_code ad_feat_ingest_known(struct run *r, struct task *t, int64_t known_id, ad_err *err);
/* A matched region as feature_match keeps it: "x0,y0,x1,y1". */
void ad_feat_region_text(const double b[4], char *out, size_t cap);
void ad_feat_ingest_end(struct run *r);

#endif
