/* report_thumbs.h: the report's thumbnails, taken from the store only (internal). */
#ifndef AD_INGEST_REPORT_THUMBS_H
#define AD_INGEST_REPORT_THUMBS_H

#include "ariadne/report.h"
#include "ariadne/store.h"
#include "util/idset.h"

typedef struct ad_report_thumbs {
    ad_idmap at; /* media id -> index + 1 into uri */
    char **uri;  /* data: URIs (JPEG) */
    size_t n, cap;
    int oom;
} ad_report_thumbs;

/* The thumbnails agency_id holds of n media (ids 0 are skipped), as data: URIs; one store read
 * (audited as thumb.read). */
ad_code ad_report_thumbs_load(ad_store *st, int64_t agency_id, const int64_t *media_ids, size_t n,
                              ad_report_thumbs *t, ad_err *err);
/* The data: URI of a media's thumbnail, NULL when none is stored. */
const char *ad_report_thumbs_uri(const ad_report_thumbs *t, int64_t media_id);
void ad_report_thumbs_free(ad_report_thumbs *t);

/* Why an item has no thumbnail (a sentence), from its class, its match and the options of the
 * job that ingested it (r->jobs); NULL when no note is due (errors, files that are not images
 * or videos). */
const char *ad_report_thumb_note(const ad_report *r, const char *job_id, ad_report_class cls,
                                 const char *match_kind);

#endif
