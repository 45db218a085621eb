/* pdqnear.h: the PDQ-guided check (pdqnear.c; docs/features.md "The PDQ-guided check"). */
#ifndef AD_FEATURES_PDQNEAR_H
#define AD_FEATURES_PDQNEAR_H

#include "ariadne/hash.h"
#include "ariadne/lookup.h"
#include "features/feat_int.h"
#include "features/fstore.h"

/* The rule (measured on the robustness corpus: docs/benchmarks.md "The PDQ-guided check") */
/* keypoints of the query (a watermark's letters take many of 500): the same denser points the
 * same scene's guided matches use (triage computes them by one function for both) */
#define NEAR_DETECT AD_FEAT_DENSE
#define NEAR_MIN 12        /* consistent guided matches */
#define NEAR_UNIQUE 4      /* of them on words found once in each picture (tentative placement) */
#define NEAR_OVER 5.0      /* at least 5 x the mean a shifted placement gathers + NEAR_MARGIN */
#define NEAR_OVER_MOST 2.0 /* and 2 x the most one gathers + NEAR_MARGIN */
#define NEAR_MARGIN 6.0
#define NEAR_DRIFT 0.03  /* the refined placement's corners within 3% of the implied one's */
#define NEAR_ROT 3.0     /* degrees off no turn */
#define NEAR_COVER 0.45  /* of the query's frame inside the known's (padding to a square: 0.5) */
#define NEAR_KCOVER 0.9  /* of the known's frame covered by the query's */
#define NEAR_SPREAD 0.04 /* inliers' box, fraction of each picture */
/* two lattices: of the known's points in the placed frame, those matched */
#define NEAR_LATTICE_DENSE 0.15

/* the wider PDQ radius whose known pictures are checked (64: a scan at 1M, 5x the cost:
 * docs/benchmarks.md "The PDQ-guided check") */
#define AD_FEAT_NEAR_RADIUS 48
#define AD_FEAT_NEAR_CANDIDATES 8 /* the nearest this many, at most */

#define AD_FEAT_NEAR_PLACES 3
/* The placements a near PDQ implies (query -> known similarities, as ad_feat_sim_stats.sim):
 * the frames together; the query's content (content: its box inside a border, fractions
 * x0, y0, x1, y1 of the picture; NULL: none) on the known's frame; then the tentative matches'
 * similarity when it does not turn (not implied by the frames). Returns how many. */
size_t ad_feat_near_places(const ad_features *q, const ad_features *k, const double content[4],
                           double place[AD_FEAT_NEAR_PLACES][4]);
/* 1 when the guided matches st, measured from the placement start (implied: by the frames),
 * pass the rule. */
int ad_feat_near_pass(const ad_features *q, const ad_features *k, const double start[4],
                      int implied, const ad_feat_sim_stats *st);

/* The content box inside a border (m->has_trim) as fractions of the width x height picture the
 * PDQs were computed on (ad_features_verify_near's content); 0 when there is none. */
int ad_feat_near_content(const ad_pdq_more *m, int width, int height, double content[4]);
/* Triage's candidates: the known pictures one of whose PDQs lies within AD_FEAT_NEAR_RADIUS of
 * one of fh's (plain, trimmed, area, each that passes min_quality, in the picture's own
 * orientation: the check verifies no turn, so the 7 other forms are not searched), video frames
 * and the media skip() names (this job's) left out, nearest first (equal distances by media
 * id): at most AD_FEAT_NEAR_CANDIDATES into ids and dist; returns how many. */
size_t ad_feat_near_candidates(const ad_lookup_index *lx, const ad_file_hash *fh, int min_quality,
                               int (*skip)(void *ctx, int64_t media_id), void *ctx,
                               int64_t ids[AD_FEAT_NEAR_CANDIDATES],
                               int dist[AD_FEAT_NEAR_CANDIDATES]);
/* Checks the candidates in order against their stored features (q: the query's NEAR_DETECT
 * points; content as ad_features_verify_near): the first copy into out with its PDQ distance in
 * *bits; *bits = -1 when none is. Candidates without features are passed over. */
ad_code ad_feat_near_check(ad_store *st, const int64_t *ids, const int *dist, size_t n,
                           const ad_features *q, const double content[4], ad_feat_found *out,
                           int *bits, ad_err *err);
/* `ariadne similar FILE`: the PDQ-guided check of an image file's bytes against the store: its
 * PDQs (plain, trimmed, area; quality gate 50), the store's PDQ index loaded (one audit row,
 * index.load), the candidates and their check with the file's NEAR_DETECT points. A copy into
 * out with its PDQ distance in *bits; *bits = -1 when none (or the bytes have no PDQ). */
ad_code ad_feat_near_file(ad_store *st, const uint8_t *data, size_t len, ad_feat_found *out,
                          int *bits, ad_err *err);

#endif
