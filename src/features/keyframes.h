/* keyframes.h: local features of a video (issue 13, docs/features.md "Videos"): a few distinct
 * frames of the vPDQ decode (keyframes.c) get the features a picture gets, are stored one row
 * each (media_keyframe, kfstore.c) and indexed beside the pictures under keys of their own, so
 * that a cropped, tilted or re-timed copy of a known video, or a single frame of it, is found by
 * the geometric check as a cropped picture is. */
#ifndef AD_FEATURES_KEYFRAMES_H
#define AD_FEATURES_KEYFRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/features.h"
#include "ariadne/vpdq.h"
#include "features/fstore.h"

#define AD_KF_MAX 8    /* keyframes kept per video (stored, and searched for a query) */
#define AD_KF_CAND 32  /* distinct frames held while decoding, thinned to AD_KF_MAX at the end */
#define AD_KF_SIG 16   /* a frame's signature: AD_KF_SIG x AD_KF_SIG block means */
#define AD_KF_SLOTS 16 /* index keys per video (> AD_KF_MAX) */

typedef struct ad_keyframe {
    int64_t frame;    /* frame number (decode order, as vPDQ's) */
    double timestamp; /* seconds */
    ad_features f;    /* all AD_FEAT_DETECT points (a query's); the store keeps AD_FEAT_STORED */
    float sig[AD_KF_SIG * AD_KF_SIG];
} ad_keyframe;

/* Picks keyframes from the frames vPDQ hashes (ad_vpdq_opts.on_frame, chained before any
 * callback already set there, e.g. ingest's thumbnail picker): a frame with texture whose
 * signature (block means, normalised) differs clearly from the last one taken is a candidate
 * and gets its features at once (the reduced luma the same as a picture's, ariadne/border.h);
 * when AD_KF_CAND are held, every other one is dropped and only every other distinct frame is
 * taken from then on, so candidates stay spread over the whole video. ad_keyframes_finish keeps
 * AD_KF_MAX of them, each as different as possible from those kept before (the first first). */
typedef struct ad_keyframes {
    ad_keyframe *k; /* AD_KF_CAND, allocated at the first frame */
    size_t n;
    unsigned step, skip; /* take every step-th distinct frame; skip counts down */
    float last[AD_KF_SIG * AD_KF_SIG];
    int has_last;
    void (*next)(void *, int64_t, double, double, const uint8_t *, size_t, int, int);
    void *next_ctx;
} ad_keyframes;

/* Sets o->on_frame to the picker (the callback there before is called first, then ours). */
void ad_keyframes_hook(ad_keyframes *kf, ad_vpdq_opts *o);
void ad_keyframes_on_frame(void *ctx, int64_t index, double timestamp, double duration,
                           const uint8_t *rgb, size_t stride, int width, int height);
void ad_keyframes_finish(ad_keyframes *kf);
void ad_keyframes_free(ad_keyframes *kf);
/* A video file's keyframes (a vPDQ decode at one hash a second, limits NULL: the defaults). */
ad_code ad_keyframes_file(const char *path, const ad_video_limits *limits, ad_keyframes *out,
                          ad_err *err);
ad_code ad_keyframes_memory(const void *data, size_t len, const ad_video_limits *limits,
                            ad_keyframes *out, ad_err *err);

/* ---- the store and the index (kfstore.c; table media_keyframe, docs/store.md) ---- */

/* A keyframe's key in the features index: negative, so never a picture's media id. */
static inline int64_t ad_kf_key(int64_t media_id, int k)
{
    return -(media_id * AD_KF_SLOTS + k) - 1;
}
static inline int64_t ad_kf_media(int64_t key)
{
    return key < 0 ? (-key - 1) / AD_KF_SLOTS : key;
}
static inline int ad_kf_slot(int64_t key)
{
    return key < 0 ? (int)((-key - 1) % AD_KF_SLOTS) : -1;
}

/* Writes a video's keyframes (their AD_FEAT_STORED strongest points each; a video that has
 * keyframes keeps them). Inside the caller's transaction when there is one. */
ad_code ad_kf_store_put(ad_store *st, int64_t media_id, const ad_keyframes *kf, ad_err *err);
/* A keyframe's features by its index key; AD_ERR_NOT_FOUND when there is none. */
ad_code ad_kf_store_get(ad_store *st, int64_t key, ad_features *out, ad_err *err);
/* A keyframe's frame number and time by its index key (0 and AD_ERR_NOT_FOUND when none). */
ad_code ad_kf_store_frame(ad_store *st, int64_t key, int64_t *frame, int64_t *ms, ad_err *err);
int ad_kf_store_has(ad_store *st, int64_t media_id);
/* A video's stored keyframes (their stored points), as a query; AD_ERR_NOT_FOUND when none. */
ad_code ad_kf_store_read(ad_store *st, int64_t media_id, ad_keyframes *out, ad_err *err);
/* The SQL listing the keys of every stored keyframe (one column: the index file's update), and
 * with their stored form (key, data: ad_feat_store_load puts them in the index). */
extern const char ad_kf_keys_sql[];
extern const char ad_kf_load_sql[];

/* A video's finding: the known media its keyframes found (by ad_feat_similar), strongest
 * first: per known media the best keyframe's match, and how many of the query's keyframes found
 * it as a copy and as anything. The video is a copy when at least two of its keyframes are
 * copies of the same known media, or one is (its only one, or one with 30 consistent matches or
 * more: strong evidence); otherwise what was found is a possible link (scene). */
typedef struct ad_kf_found {
    ad_feat_found best;   /* media_id: the known media (its keyframe: best.keyframe) */
    int copies, hits, of; /* query keyframes that found it as a copy / at all; of: keyframes */
    double query_time;    /* the query keyframe of the best match, seconds */
} ad_kf_found;
ad_code ad_kf_similar(ad_store *st, const ad_feat_index *ix, const ad_keyframes *q,
                      int64_t exclude_id, size_t candidates, ad_kf_found *out, size_t max,
                      size_t *found, ad_err *err);
/* The kind the video's finding gives (AD_FEAT_COPY, AD_FEAT_SCENE). */
ad_feat_kind ad_kf_kind(const ad_kf_found *f);

#endif
