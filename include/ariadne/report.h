/* report.h: the triage report of a case: the model (built from the database, so a report is
 * reproducible from it) and its writers: a self-contained HTML page for people, JSON and CSV
 * for tools. No image content is shown unless thumbnails are asked for, and then blurred and
 * greyscale until clicked. */
#ifndef ARIADNE_REPORT_H
#define ARIADNE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Classes in the order investigators act on them. */
typedef enum ad_report_class {
    AD_RC_NEW = 0,            /* not in the database: a child may be at risk now */
    AD_RC_KNOWN_UNIDENTIFIED, /* known series whose victim is not identified: contact the owner */
    AD_RC_KNOWN_UNSERIESED,   /* known, in no series: review, attach */
    AD_RC_KNOWN_IDENTIFIED,   /* known series, victims identified: set aside */
    AD_RC_IGNORABLE,          /* known non-pertinent */
    AD_RC_ERROR,              /* unreadable or hostile file */
    AD_RC_OTHER,              /* not an image or video (digests only) */
    AD_RC__COUNT
} ad_report_class;

const char *ad_report_class_name(ad_report_class c); /* "new", "known-unidentified", ... */

/* A possible link (issue 13, docs/features.md): the file shares a scene with a known picture,
 * found by local features; a weaker finding than a match, for a person to confirm. */
typedef struct ad_report_link {
    int64_t media_id; /* the known picture */
    char sha256[65];
    int inliers, matches;        /* consistent and tentative matches */
    char region_known[48], region_query[48]; /* "x0,y0,x1,y1", fractions of each picture */
    int64_t series_id;           /* the known picture's series, 0 none */
    char series_name[128];
} ad_report_link;

typedef struct ad_report_item {
    int64_t sighting_id, media_id;
    char *path;        /* path in the seizure (archive members: archive!/member) */
    char *parent_path; /* archive holding it, or NULL */
    char *inner_path;  /* path inside that archive */
    int64_t size, mtime, ingested;
    char md5[33], sha1[41], sha256[65], pdq[65];
    int quality; /* -1 = no PDQ */
    char mime[64];
    int width, height;
    ad_report_class cls;
    /* the match that decided the class */
    int64_t match_media_id;
    char match_kind[16]; /* "sha256", "md5", "sha1", "pdq", "" */
    int match_distance, match_variant;
    char *match_ranges; /* videos: matched time ranges in both files, or NULL */
    int64_t series_id; /* a series merged into another: the survivor (its name, owner...) */
    char *series_name, *series_owner, *series_contact;
    char *series_merged_from; /* the series the media is linked into when it was merged into
                               * series_id (docs/federation.md "Merging two series"), or NULL */
    /* clues */
    char *camera_make, *camera_model, *camera_serial, *software;
    int64_t captured;       /* Unix seconds, 0 unknown; the camera clock read as UTC when the
                               capture time has no zone (for grouping by time, not for display) */
    char captured_text[40]; /* capture time as the camera gave it, ISO 8601 ("2021-07-04T15:30:00",
                               "+02:00" added when EXIF has the offset); "" unknown */
    int captured_zone;      /* captured_text carries its UTC offset */
    int has_gps;
    double lat, lon;
    /* failure */
    char *error_code, *error_message;
    int group;            /* candidate series of new material, -1 none */
    char *thumbnail;      /* data: URI (JPEG), only with thumbnails: the one stored at ingest */
    char *thumbnail_note; /* thumbnails asked for and none stored: why (NULL for errors and
                             files that are not images or videos) */
    ad_report_link *links; /* possible links (the same scene), strongest first */
    size_t nlinks;
} ad_report_item;

typedef struct ad_report_group {
    int id;
    size_t *items; /* indexes into ad_report.items */
    size_t n;
    char reasons[512]; /* why these belong together, for a person */
} ad_report_group;

/* An ingest job of the case: what was read, from where, by whom and when. */
typedef struct ad_report_job {
    char *id, *exhibit, *who, *status, *options;
    char *roots;               /* the roots as the job recorded them, one per line */
    int64_t started, finished; /* Unix seconds, 0 unknown / not finished */
} ad_report_job;

typedef struct ad_report {
    char case_number[128], agency[128], exhibit[128], job[64];
    char generated[32];  /* ISO 8601 UTC, "2026-12-04T16:48:28Z" */
    char store[1024];    /* the store used (ad_store_describe: no password) */
    char version[32];    /* Ariadne's version (AD_VERSION) */
    char actor[128];     /* who made the report: the store's actor ... */
    char os_user[64];    /* ... and the operating-system user running the program */
    char audit_anchor[96]; /* the audit chain's head once the report was made, "SEQ:HASH": an
                              anchor outside the database (`audit verify --anchor`) */
    ad_report_job *jobs; /* oldest first */
    size_t njobs;
    ad_report_item *items;
    size_t n, cap;
    ad_report_group *groups;
    size_t ngroups;
    size_t counts[AD_RC__COUNT];
    int thumbnails; /* thumbnails were asked for */
} ad_report;

void ad_report_init(ad_report *r);
/* Appends an item (strings copied); returns its index or (size_t)-1 on out of memory. */
size_t ad_report_add(ad_report *r, const ad_report_item *it);
/* Appends a job (strings copied). */
ad_code ad_report_add_job(ad_report *r, const ad_report_job *j, ad_err *err);
/* Walks a job's roots: start with *it = job->roots; each call gives the next root as *root and
 * its length *n (not NUL-terminated) and returns 1, or returns 0 after the last. */
int ad_report_job_root(const char **it, const char **root, size_t *n);
void ad_report_free(ad_report *r);

/* Groups the new material into candidate series: near-duplicates (PDQ within `radius`, any
 * quality >= min_quality), the same camera serial, the same camera make and model, the same
 * folder within `window_s` seconds of capture time. Each group says why it was formed. */
ad_code ad_report_group_new(ad_report *r, int radius, int min_quality, int64_t window_s,
                            ad_err *err);

/* The known series with an unidentified victim that the report's files belong to: the index of
 * the first file of each, in order, in *first (malloc'd; *n of them). */
ad_code ad_report_unidentified_series(const ad_report *r, size_t **first, size_t *n, ad_err *err);

ad_code ad_report_write_json(const ad_report *r, FILE *out, ad_err *err);
ad_code ad_report_write_csv(const ad_report *r, FILE *out, ad_err *err);
ad_code ad_report_write_html(const ad_report *r, FILE *out, ad_err *err);

/* ---- made from the store (src/report/report_build.c) ---- */

/* The report of a case from the database: every item of every job of the case, classified as
 * the database stands now by ad_lookup (as `media show` classifies the file; a file that was new
 * to its job stays new while the lookup says no more than known-unseriesed), new material
 * grouped. thumbnails: the thumbnails the agency's ingests stored (ingest --thumbnails), never
 * read from a path; items without one say why. */
typedef struct ad_report_opts {
    int thumbnails;
    int radius, min_quality;
    int64_t group_window_s; /* same folder, capture times within this (default 3600) */
} ad_report_opts;

ad_code ad_report_build(ad_store *st, const char *agency, const char *case_number,
                        const ad_report_opts *opts, ad_report *out, ad_err *err);
/* The candidate groups of a case's new material alone, as ad_report_build groups them (same
 * opts, same ad_report_group_new), but fast enough for a page: the items are only the new files
 * of the case's current jobs (no match recorded at ingest, not failed: the files the case page
 * counts as new), with path, SHA-256, PDQ and the camera, serial and capture-time clues of
 * their media, read in two queries per job (ad_store_case_new_files); no lookup, no thumbnail,
 * no audit row (the caller records the read). r->counts[AD_RC_NEW] is the number of new files. */
ad_code ad_report_build_groups(ad_store *st, int64_t case_id, const ad_report_opts *opts,
                               ad_report *r, ad_err *err);
/* Writes report.html, report.json, report.csv and case.vics.json into dir (created). */
ad_code ad_report_write_dir(ad_store *st, const ad_report *r, const char *dir, ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
