/* pipeline_internal.h: the triage pipeline's state shared by its files (internal): a task per
 * walker row, the batches moving through the three stages, and the run (pipeline.c drives it,
 * known.c loads what the store knows, match.c matches a batch). */
#ifndef AD_INGEST_PIPELINE_INTERNAL_H
#define AD_INGEST_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "ariadne/exif.h"
#include "ariadne/index.h"
#include "ariadne/ingest.h"
#include "ariadne/lookup.h"
#include "ariadne/util.h"
#include "ariadne/vpdq.h"
#include "util/idset.h"

#define AD_INGEST_BATCH_ROWS 512
/* Member bytes of one batch, at most (less under a small memory budget). */
#define AD_INGEST_BATCH_BYTES (256ull << 20)
/* Hashes per batch search (query variants): enough for the batch search's gain, few enough
 * that the hits of one search stay small. */
#define AD_INGEST_QUERIES 2048

struct task {
    ad_row_kind kind;
    ad_err row_err;
    char key[65];
    uint64_t ordinal;
    char *path, *fs_path, *parent, *inner;
    int64_t size, mtime, ctime, atime, btime;
    uint8_t *data;
    size_t len;
    /* results */
    ad_code code;
    ad_err err;
    ad_file_hash fh;
    ad_exif exif;
    int has_exif;
    ad_vpdq_video vid;
    int has_video;
    int on_disk;      /* a file on disk (not an archive member) */
    int skipped;      /* an exact copy of a media with a PDQ or frames: not decoded (known.c) */
    ad_thumb thumb;   /* with thumbnails: made from the bytes hashed (thumbs.c) */
    int64_t thumb_ms; /* a video's: the frame's time in ms; -1 for an image */
    uint64_t reserved; /* member bytes counted against the budget's batches (budget.c) */
    uint64_t room;     /* what decoding its video may use of the budget */
    /* match */
    int64_t exists_id; /* a media with one of its digests before the batch, 0 if none */
    int64_t exact_id;  /* the exact media (by a digest), not one this job created; 0 none */
    char exact_kind[8];
    int near; /* the batch PDQ search found a neighbour (not this job's) */
    /* the class (match.c's ad_ingest_decide) and the match that decided it, recorded */
    ad_report_class cls;
    int64_t match_id;
    char match_kind[8];
    int match_dist, match_var;
    char *ranges;
    struct ad_feat_task *feat; /* local features and what they found (src/features/triage.c) */
    struct ad_kf_task *kf;     /* a video's keyframes and what they found (features/vtriage.c) */
};

/* A sorted array of 64-bit digest prefixes (known.c). */
typedef struct ad_prefixes {
    uint64_t *v;
    size_t n, cap;
} ad_prefixes;

struct batch {
    struct task t[AD_INGEST_BATCH_ROWS];
    size_t n, bytes;
};

/* The run's memory budget (budget.c, docs/ingest.md "Memory"), in bytes. */
struct budget {
    uint64_t total;       /* the budget */
    uint64_t fixed;       /* held before any file: the process after the index load, the
                             store's cache, each hasher's own state */
    uint64_t store_cache; /* the store's page cache, capped to this */
    uint64_t walker;      /* the walker: archives it walks from memory and the member it reads */
    uint64_t batches;     /* member bytes in the batches, together */
    uint64_t batch_bytes; /* member bytes of one batch */
    uint64_t share;       /* each hasher (the workers and the writer's): a file read and decoded */
    uint64_t big;         /* one file at a time over its hasher's share gets this too */
    uint64_t batch_used;  /* under the run's mu */
    pthread_mutex_t big_mu;
    pthread_cond_t big_cv;
    int big_busy;
};

struct run {
    ad_store *st;
    const ad_ingest_opts *o;
    ad_ingest_stats *stats;
    ad_lookup_index *lx;     /* the PDQ index of the store (known.c) */
    ad_lookup_cache *lcache; /* the classifications this job made (match.c's lookups) */
    ad_hasher **hashers;
    ad_hasher *rehasher; /* the writer's, for a skipped file that is decoded after all */
    int threads;
    int64_t agency_id, case_id;
    char job[64];
    char **roots; /* the raw roots walked (jobs.c) */
    size_t nroots;
    char *roots_text;      /* as the job stores them */
    ad_idset done_keys;    /* 32-byte keys (first 8 bytes) already recorded by this job */
    ad_idset job_new;      /* media ids this job created (a later copy is new, not known) */
    ad_idset complete;     /* media ids with a PDQ or frame hashes in the store */
    ad_idset completed;    /* known media this job gave their missing PDQ or frames (and clues) */
    ad_prefixes known;     /* digest prefixes of complete media: their copies are not decoded */
    int known_oom;
    ad_idmap frame_ts;     /* frame id -> timestamp in ms + 1 (0: unknown) */
    ad_index_hits *hits;   /* batch search results (AD_INGEST_QUERIES), reused */
    ad_h256 *queries;      /* AD_INGEST_QUERIES hashes */
    /* three batches move through three stages: the main thread walks into one, the hashing
     * thread hashes another on all cores, the writer thread matches and records the third */
    struct batch bat[3], *fill, *hashing, *write;
    struct batch *free_b[3];
    int nfree;
    struct batch *to_hash, *to_write; /* one-slot mailboxes */
    int hash_done, write_done;        /* end of input for each stage */
    pthread_t hasher, writer;
    int threads_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ad_code wrc;
    ad_err werr;
    struct budget budget;
    pthread_mutex_t pmu; /* the stats the progress callback sees */
    pthread_t counter;   /* counts the roots' files (opts->count) */
    int counting, count_stop;
    uint64_t count_files, count_bytes;
    double t0;
    struct ad_feat_run *feat; /* the features index of the store (src/features/triage.c) */
};

/* jobs.c: checks the roots, picks the job (resumed, refused or new) and its roots to walk,
 * opens the case when new and the job, loads what a resumed job has recorded. */
ad_code ad_ingest_open_job(struct run *r, const char *const *roots, size_t nroots, ad_err *err);
void ad_ingest_close_job(struct run *r);

/* known.c: the PDQ index of the store (ad_lookup_index), the frames' timestamps, the complete
 * media (those with a PDQ or frames) and the prefixes of their digests. */
ad_code ad_ingest_load_known(struct run *r, ad_err *err);
void ad_ingest_free_known(struct run *r);
/* A known media the job has just completed (written with the PDQ or frames of a copy): into the
 * index, the frame maps and the complete set, as ad_ingest_load_known would load it. The rest
 * of the job then matches it, as a resumed job (which loads it at its start) does: a job killed
 * and resumed records the same matches as one run through. */
ad_code ad_ingest_learn(struct run *r, int64_t media_id, ad_err *err);
/* 1 when one of the file's digests has the prefix of a complete media's digest: an exact copy
 * (to be confirmed by the store lookup) that need not be decoded. */
int ad_ingest_digest_known(const struct run *r, const ad_digests *d);

/* thumbs.c (opts->thumbnails; no-ops otherwise): an image's thumbnail from the rows of its PDQ
 * decode (the sink to pass beside the PDQ's, NULL when none is wanted; then acc is finished),
 * or else from its bytes; a video's from a frame of its vPDQ decode (the picker is set in the
 * vPDQ options, then its frame taken); the batch's thumbnails written (mids[k]: media of task
 * of[k]). */
const ad_image_sink *ad_ingest_thumb_sink(const struct run *r);
void ad_ingest_thumb_image(const struct run *r, struct task *t, const uint8_t *bytes, size_t len,
                           ad_thumb_acc *acc);
void ad_ingest_thumb_video_opts(const struct run *r, ad_vpdq_opts *vo, ad_thumb_picker *pick);
void ad_ingest_thumb_video(struct task *t, ad_thumb_picker *pick);
ad_code ad_ingest_write_thumbs(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                               ad_err *err);

/* more.c: the trimmed and area PDQs (and video frames' trimmed PDQs) of the batch's decoded
 * files, kept beside the plain PDQ (ariadne/media_hash.h; mids[k]: media of task of[k]). */
ad_code ad_ingest_write_more(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                             ad_err *err);

/* match.c: matches the batch r->write: digests first (ad_ingest_match_digests), then PDQ and
 * video frames over the 8 dihedral variants, in batch searches (ad_ingest_match_near). */
/* budget.c: the plan, after the index is loaded (the budget from opts->max_memory or the
 * machine; AD_ERR_LIMIT when a given budget cannot cover what the run holds before any file). */
ad_code ad_ingest_budget_plan(struct run *r, ad_err *err);
/* The limits of a hasher that may use `room` bytes: half to read an image whole (the hasher's
 * buffer doubles: ad_ingest_read_need), half to decode it. */
void ad_ingest_hash_limits(const struct run *r, uint64_t room, ad_limits *l);
uint64_t ad_ingest_read_need(uint64_t file_bytes);
/* The largest image file whose read needs at most `room`. */
uint64_t ad_ingest_readable(uint64_t room);
/* The largest video frame (pixels) whose decoding fits in `room`. */
int64_t ad_ingest_video_pixels(uint64_t room);
/* Counts n member bytes against the batches' share: 1 done; 0 no room (wait: waits for the
 * writer to free batches, and gives 0 only when the writer failed). */
int ad_ingest_batch_reserve(struct run *r, uint64_t n, int wait);
void ad_ingest_batch_release(struct run *r, uint64_t n);
/* The big pool: one hasher at a time. */
void ad_ingest_big_take(struct run *r);
void ad_ingest_big_give(struct run *r);

/* match.c: matches the batch r->write: digests first (ad_ingest_match_digests: the exact
 * media), then PDQ and video frames over the 8 dihedral variants, in batch searches
 * (ad_ingest_match_near), then decides each file's class by ad_lookup's rule and the match to
 * record (ad_ingest_decide, one transaction). */
void ad_ingest_match_digests(struct run *r);
void ad_ingest_match_near(struct run *r);
ad_code ad_ingest_decide(struct run *r, ad_err *err);

#endif
