/* report_thumbs.c: the report's thumbnails come from the store only: the ones the agency's
 * ingests made from the bytes they hashed (ingest --thumbnails). No file is opened at report
 * time, so a file replaced since ingest (another picture beside the recorded hash) or a FIFO in
 * its place changes nothing. Items without a thumbnail say why. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "report_thumbs.h"

static char *data_uri(const uint8_t *jpeg, size_t len)
{
    static const char prefix[] = "data:image/jpeg;base64,";
    size_t bl = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *uri = malloc(sizeof prefix - 1 + bl);
    if (!uri)
        return NULL;
    memcpy(uri, prefix, sizeof prefix - 1);
    sodium_bin2base64(uri + sizeof prefix - 1, bl, jpeg, len, sodium_base64_VARIANT_ORIGINAL);
    return uri;
}

static int keep(void *ctx, const ad_media_thumb *m)
{
    ad_report_thumbs *t = ctx;
    if (ad_idmap_get(&t->at, m->media_id)) /* asked twice: the same row */
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        char **v = realloc(t->uri, cap * sizeof *v);
        if (!v)
            return t->oom = 1;
        t->uri = v;
        t->cap = cap;
    }
    char *u = data_uri(m->jpeg, m->len);
    if (!u || ad_idmap_put(&t->at, m->media_id, (int64_t)t->n + 1)) {
        free(u);
        return t->oom = 1;
    }
    t->uri[t->n++] = u;
    return 0;
}

ad_code ad_report_thumbs_load(ad_store *st, int64_t agency_id, const int64_t *media_ids, size_t n,
                              ad_report_thumbs *t, ad_err *err)
{
    memset(t, 0, sizeof *t);
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    ad_idset seen = {0};
    if (!ids)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t k = 0;
    int oom = 0;
    for (size_t i = 0; i < n && !oom; i++) {
        if (media_ids[i] <= 0 || ad_idset_has(&seen, media_ids[i]))
            continue;
        oom = ad_idset_add(&seen, media_ids[i]) != 0;
        ids[k++] = media_ids[i];
    }
    ad_idset_free(&seen);
    ad_code rc = oom ? ad_err_set(err, AD_ERR_NOMEM, "out of memory")
                     : ad_store_thumb_get_batch(st, agency_id, ids, k, keep, t, err);
    free(ids);
    if (!rc && t->oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory for the thumbnails");
    if (rc)
        ad_report_thumbs_free(t);
    return rc;
}

const char *ad_report_thumbs_uri(const ad_report_thumbs *t, int64_t media_id)
{
    int64_t i = media_id > 0 ? ad_idmap_get(&t->at, media_id) : 0;
    return i > 0 ? t->uri[i - 1] : NULL;
}

void ad_report_thumbs_free(ad_report_thumbs *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->uri[i]);
    free(t->uri);
    ad_idmap_free(&t->at);
    memset(t, 0, sizeof *t);
}

/* Whether the job's recorded options say it made thumbnails. */
static int job_made_thumbnails(const ad_report *r, const char *job_id)
{
    for (size_t j = 0; job_id && j < r->njobs; j++)
        if (r->jobs[j].id && !strcmp(r->jobs[j].id, job_id))
            return r->jobs[j].options && strstr(r->jobs[j].options, "thumbnails=1") != NULL;
    return 0;
}

const char *ad_report_thumb_note(const ad_report *r, const char *job_id, ad_report_class cls,
                                 const char *match_kind)
{
    if (cls == AD_RC_ERROR || cls == AD_RC_OTHER)
        return NULL;
    if (!job_made_thumbnails(r, job_id))
        return "no thumbnail: ingested with --no-thumbnails (thumbnails are made at ingest "
               "only, from the bytes hashed)";
    if (match_kind && (!strcmp(match_kind, "sha256") || !strcmp(match_kind, "md5") ||
                       !strcmp(match_kind, "sha1")))
        return "no thumbnail: an exact copy of known media, which ingest does not decode, and "
               "this agency holds no thumbnail of that media (it is known by its hashes only)";
    return "no thumbnail: none could be made from this file's bytes";
}
