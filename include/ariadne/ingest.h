/* ingest.h: triage of a seizure, the main job. Walks the roots (folders, files, archives),
 * hashes every file on all cores (digests, PDQ with its 8 variants, vPDQ for video, EXIF
 * clues), matches it against everything known (digests exactly, then PDQ within a radius over
 * the 8 variants, ignoring low-quality hashes), decides each file's class by ad_lookup's rule
 * (the rule of `media show` and the report), and records media, sightings with full custody
 * data, clues and the media that decided each file's class, in batches. A job has an id: a run
 * killed at any point is finished by running it again with the same id. Reports are made from
 * what it recorded (ad_report_build, which looks each file up again), so they can be made again
 * at any time. */
#ifndef ARIADNE_INGEST_H
#define ARIADNE_INGEST_H

#include <stdint.h>
#include <stdio.h>

#include "ariadne/hash.h"
#include "ariadne/ingest_source.h"
#include "ariadne/report.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_ingest_stats ad_ingest_stats;
/* Progress: called with a snapshot of the stats when the job is open (job_id, resumed, roots
 * set), as files are hashed, after each written batch, and when the count of the roots is
 * done; from ingest's threads, one call at a time. Keep it short (copy what you need). */
typedef void (*ad_ingest_progress_fn)(void *ctx, const ad_ingest_stats *s);

typedef struct ad_ingest_opts {
    const char *case_number; /* the case (opened when new) */
    const char *agency;      /* the agency (name or id) that holds the case */
    const char *exhibit;     /* evidence item id, optional */
    /* Which job (src/ingest/jobs.c): job_id resumes that job (of this case, on the same roots)
     * or starts one with that id; new_job starts a new job; neither: an unfinished job of the
     * case on the same roots is resumed, a finished one makes ingest refuse (AD_ERR_EXISTS,
     * stats->job_id names it), else a new job. */
    const char *job_id;
    int new_job;
    int fast;         /* fast hashing mode */
    int radius;       /* PDQ match radius (default 31) */
    int min_quality;  /* PDQ hashes under this quality are not matched (default 50) */
    int threads;      /* hashing threads (0: all cores) */
    int video;        /* hash videos with vPDQ (default 1) */
    double video_pct; /* share of a video's frames that must match (default 80) */
    int batch;        /* rows hashed and written together (default 512; at most 512) */
    int features;     /* local features (docs/features.md, default 1): computed for new images,
                         stored, and searched for new images PDQ did not find (copies are classed
                         by them, the same scene is a possible link) */
    int thumbnails;   /* keep a small thumbnail of every image and video decoded, made from the
                         bytes hashed, in the store for this agency (docs/ingest.md; default 1) */
    /* The run's memory budget in bytes (docs/ingest.md, "Memory"); 0: from the machine
     * (ad_ingest_memory_default). Files and members that would need more than it allows are
     * error rows `limit`; the limits below apply too. */
    uint64_t max_memory;
    ad_limits limits;
    ad_source_opts source;
    int count; /* count the roots' files and bytes on disk in a background thread (a total) */
    ad_ingest_progress_fn progress;
    void *progress_ctx;
} ad_ingest_opts;

void ad_ingest_opts_default(ad_ingest_opts *o);

struct ad_ingest_stats {
    char job_id[64];
    int resumed;       /* an existing job was resumed */
    int auto_resumed;  /* ... found unfinished on the same roots (no --job given) */
    int refused;       /* nothing was done: roots missing, same roots already ingested, a --job
                          of another case or roots, unknown agency (the CLI's usage error) */
    const char *roots; /* the roots walked, escaped, one a line (valid while ingest runs) */
    uint64_t rows, files, skipped, errors, bytes;
    uint64_t not_decoded; /* exact copies of known media (with PDQ or frames): not decoded */
    uint64_t counts[AD_RC__COUNT]; /* per class, of the rows written */
    uint64_t hashed, hashed_bytes; /* files hashed so far (archive members too) and their bytes */
    uint64_t disk_bytes;           /* bytes of files on disk hashed or already done */
    int counted;                   /* the count of the roots is done: */
    uint64_t total_files, total_bytes; /* files on disk under the roots and their bytes */
    uint64_t index_entries;
    uint64_t memory_budget; /* the run's memory budget, bytes */
    double seconds;
};

ad_code ad_ingest(ad_store *st, const char *const *roots, size_t nroots, const ad_ingest_opts *opts,
                  ad_ingest_stats *stats, ad_err *err);

/* The default memory budget of a run: 3/4 of what the machine has available (MemAvailable,
 * and the memory limit of the process's cgroup and its parents when lower); 1 GiB when neither
 * can be read. */
uint64_t ad_ingest_memory_default(void);

/* A store class (ad_store_classify, ad_lookup) as a report class. */
ad_report_class ad_report_class_of(ad_class c);


#ifdef __cplusplus
}
#endif
#endif
