/* live.h: the live index of a server: what matching needs, in memory, following the store.
 *
 * An ad_live holds the PDQ index of every media and video frame (ad_lookup_index), the digests
 * of every media (SHA-256, MD5, SHA-1 -> media id), the entries of every hash list (media ->
 * lists), the lists granted to each agency, the entries held back from platform matches and the
 * lists' names and owners. It is loaded from a store at start, then follows it: every writer of
 * media, frames, list entries, grants and holds appends to the store's index_log in its
 * transaction (triggers, schema 7), and ad_live_follow applies the entries after the last one it
 * saw, so a write by any process is searched by every follower within its polling interval
 * (docs/server.md, "The live index").
 *
 * Threads: any number of readers (searches, lookups) at once and one follower. Readers hold the
 * read side of a lock while they search (ad_live_read_lock, or inside the ad_live_* calls);
 * the follower takes the write side only to apply a batch of changes it has already read from
 * the store (a write-preferring lock, so a steady stream of readers cannot starve it).
 * Nothing here prints or exits. */
#ifndef ARIADNE_LIVE_H
#define ARIADNE_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"
#include "ariadne/lookup.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_live ad_live;

/* The hold rule (docs/server.md, "Held-back entries"): time is cut into windows; an entry's
 * baseline is the exponential average of its matches per window (each past window weighs 1/5,
 * empty windows included). An entry is held back when its matches in the current window exceed
 * both hold_min and hold_factor times its baseline. */
typedef struct ad_live_opts {
    int hold_window_s; /* default 3600 */
    int hold_min;      /* default 100 */
    int hold_factor;   /* default 10 */
    /* The clock of the hold rule, Unix seconds (NULL: the wall clock); tests pass their own. */
    int64_t (*clock)(void *ctx);
    void *clock_ctx;
} ad_live_opts;
void ad_live_opts_default(ad_live_opts *o);

/* Loads everything from st; the index_log position is read first, so that a change written
 * during the load is applied again by the first ad_live_follow (applying is idempotent). One
 * read event (index.load). opts NULL: defaults. */
ad_code ad_live_load(ad_store *st, const ad_live_opts *opts, ad_live **out, ad_err *err);
void ad_live_free(ad_live *lv);

/* ---- the snapshot (a fast start; docs/server.md "The snapshot") ------------------------ */

/* Writes everything lv holds to path (a temp file beside it, fsynced, then renamed over it;
 * created private), tagged with st's instance UUID and lv's index log position (checked
 * against st's log). Holds the read lock while it writes (the follower waits: at 10 million
 * media some seconds), so a server writes it before it listens and after it has stopped. */
ad_code ad_live_snapshot_save(ad_live *lv, ad_store *st, const char *path, ad_err *err);
/* Loads a live index from a snapshot of st, then applies st's index log after the snapshot's
 * position (*replayed, may be NULL, gets how many rows), with one read event (index.load). A
 * snapshot that cannot be used is refused, nothing loaded, and the error says why:
 * AD_ERR_NOT_FOUND no file; AD_ERR_VERSION not a snapshot, another version or build, another
 * store (instance UUID), or stale (the log no longer holds its position as it was: a store
 * restored from an older copy, or a log trimmed past it); AD_ERR_CHECKSUM cut short or damaged;
 * AD_ERR_CORRUPT a whole file whose tables are inconsistent. The caller then loads from the
 * store (ad_live_load). */
ad_code ad_live_load_snapshot(ad_store *st, const ad_live_opts *opts, const char *path,
                              size_t *replayed, ad_live **out, ad_err *err);

/* Applies the store's index_log entries after the last one applied (reads them, then takes the
 * write lock for the batch). *applied (may be NULL) gets how many. One follower at a time. */
ad_code ad_live_follow(ad_live *lv, ad_store *st, size_t *applied, ad_err *err);
/* A follower thread: opens url (its own connection) and calls ad_live_follow every
 * interval_ms (200 by default when 0) until ad_live_follow_stop. On PostgreSQL it also listens
 * for the writers' notification and follows at once. Errors are kept (ad_live_stats). */
ad_code ad_live_follow_start(ad_live *lv, const char *url, int interval_ms, ad_err *err);
void ad_live_follow_stop(ad_live *lv);

typedef struct ad_live_stats {
    int64_t seq;          /* last index_log entry applied */
    size_t pdq;           /* PDQ index entries (media and frames) */
    size_t digests;       /* digest keys */
    size_t entries;       /* list entries */
    size_t held;          /* entries held back (a hold of an entry since removed included) */
    size_t follows;       /* follow rounds done */
    double last_follow;   /* monotonic time of the last successful round (ad_now) */
    ad_code follow_error; /* the last round's failure, AD_OK if none */
    char follow_msg[256];
} ad_live_stats;
void ad_live_stats_get(ad_live *lv, ad_live_stats *out);

/* ---- readers ----------------------------------------------------------------------- */

/* The read side of the lock, for ad_lookup on ad_live_index (nests with nothing else here:
 * the ad_live_match and ad_live_digest calls take it themselves). */
void ad_live_read_lock(ad_live *lv);
void ad_live_read_unlock(ad_live *lv);
/* The PDQ index; only while holding the read lock. */
const ad_lookup_index *ad_live_index(const ad_live *lv);

/* Media with a digest (kind MD5, SHA-1 or SHA-256): up to max ids into ids, the number found.
 * Keys are the digests' first 64 bits (two different digests sharing them would both answer:
 * at 10 million media about one query in 10^12). */
size_t ad_live_digest(ad_live *lv, ad_hash_kind kind, const uint8_t *digest, int64_t *ids,
                      size_t max);

/* ---- platform matching ------------------------------------------------------------- */

typedef enum ad_match_type {
    AD_MATCH_MD5,
    AD_MATCH_SHA1,
    AD_MATCH_SHA256,
    AD_MATCH_PDQ,
    AD_MATCH_VPDQ,
} ad_match_type;

#define AD_MATCH_MAX_HASHES 10000  /* hashes in one request */
#define AD_MATCH_MAX_FRAMES 100000 /* vPDQ frames in one request, all hashes together */
#define AD_MATCH_RADIUS_MAX 31

typedef struct ad_match_hash {
    ad_match_type type;
    uint8_t digest[32]; /* MD5 (16 bytes), SHA-1 (20), SHA-256 (32) */
    int npdq;           /* PDQ: 1, or 8 (the dihedral forms of a file, orig first) */
    ad_h256 pdq[8];
    int radius; /* PDQ and vPDQ: 0..31 */
    /* vPDQ: a video's frame hashes and their quality (frames below 50 are not used) */
    ad_h256 *frames;
    int *quality;
    size_t nframes;
    int min_pct; /* vPDQ: a video entry matches when at least this share (%) of the used query
                    frames has a frame of it within the radius (1..100) */
} ad_match_hash;

/* One list entry a hash matched. */
typedef struct ad_live_hit {
    int64_t list_id, media_id;
    int distance; /* Hamming distance (0 for digests; vPDQ: the best frame's) */
    int variant;  /* PDQ: the query form that matched (ad_pdq_variant_names); -1 none */
    int frames;   /* vPDQ: query frames matched; 0 otherwise */
    int used;     /* vPDQ: query frames used (quality >= 50) */
} ad_live_hit;

typedef struct ad_live_hits {
    ad_live_hit *v;
    size_t n, cap;
} ad_live_hits;
void ad_live_hits_free(ad_live_hits *h);

/* The entries of the lists granted to agency_id that h matches, held-back entries left out,
 * one hit per entry (its best distance), by list then media. Counts each hit towards its
 * entry's rate (the hold rule): an entry whose count now exceeds the rule is held back at once
 * in this process, left out of out, and its (list, media) added to *newly_held (the caller
 * records the hold in the store: ad_store_entry_hold). */
ad_code ad_live_match(ad_live *lv, int64_t agency_id, const ad_match_hash *h, ad_live_hits *out,
                      ad_live_hits *newly_held, ad_err *err);

/* ad_live_match for n hashes at once, outs[i] the hits of v[i] (each as ad_live_match gives
 * them): PDQ queries of the same form count and radius go through the index's batch search
 * together (its tables walked once for all), which a platform's batch of hashes gains from. */
ad_code ad_live_match_batch(ad_live *lv, int64_t agency_id, const ad_match_hash *v, size_t n,
                            ad_live_hits *outs, ad_live_hits *newly_held, ad_err *err);

/* The name and owning agency of a list (name copied into buf, cut to cap); 0 when unknown. */
int ad_live_list(ad_live *lv, int64_t list_id, char *name, size_t cap, int64_t *agency_id);
/* Whether agency_id is granted list_id. */
int ad_live_granted(ad_live *lv, int64_t list_id, int64_t agency_id);
/* Whether the entry (list, media) exists, and whether it is held back. */
int ad_live_entry(ad_live *lv, int64_t list_id, int64_t media_id, int *held);

#ifdef __cplusplus
}
#endif
#endif
