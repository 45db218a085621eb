/* vtriage.h: videos' keyframes in the triage pipeline (vtriage.c; docs/features.md "Videos"). */
#ifndef AD_FEATURES_VTRIAGE_H
#define AD_FEATURES_VTRIAGE_H

#include "ariadne/error.h"
#include "ariadne/vpdq.h"

struct run;
struct task;

/* Hashing stage: before a video's vPDQ decode, its keyframe picker is set in vo (when the run
 * wants features); after it, the keyframes are kept (or dropped when the video failed). */
void ad_kf_ingest_opts(const struct run *r, struct task *t, ad_vpdq_opts *vo);
void ad_kf_ingest_done(struct task *t);
/* Writer, after digests, PDQ and vPDQ decided: a video still `new` with keyframes is searched
 * by them (ad_kf_similar): a copy of a known media (at least two of its keyframes, or its only
 * one, copies of it) takes that media's class, with the match (kind "feature") recorded; else
 * what its keyframes found is kept as a possible link. Then, inside write_batch's transaction,
 * new videos' keyframes and the matches are written. */
ad_code ad_kf_ingest_triage(struct run *r, ad_err *err);
ad_code ad_kf_ingest_write(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                           ad_err *err);
void ad_kf_ingest_free_task(struct task *t);

#endif
