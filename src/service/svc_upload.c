/* svc_upload.c: uploads of triage results by agencies that triage locally (POST /v1/uploads):
 * hashes and custody records only, in batches, each one transaction; the files become the
 * media, sightings and job items an ingest would have recorded, so the case's files and its
 * report read them alike. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "svc_internal.h"

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t num(const json_t *o, const char *key, int64_t none)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : none;
}

/* Parses the hex of one digest of file i into m. */
static ad_code digest(const json_t *f, size_t i, const char *key, int pdq, ad_media *m,
                      ad_err *err)
{
    const char *hex = str(f, key);
    if (!hex)
        return AD_OK;
    static const size_t len[] = {64, 32, 40, 64};
    static const char *const keys[] = {"sha256", "md5", "sha1", "pdq"};
    size_t want = 0;
    for (int k = 0; k < 4; k++)
        if (!strcmp(keys[k], key))
            want = len[k];
    ad_media one;
    ad_media_init(&one);
    if (strlen(hex) != want || ad_media_set_hash_hex(&one, hex, pdq, NULL) != AD_OK) {
        char field[48];
        snprintf(field, sizeof field, "files[%zu].%s", i, key);
        return ad_err_field(err, AD_ERR_ARG, field, "not a %s (%zu hex digits)", key, want);
    }
    if (!strcmp(key, "sha256"))
        m->has_sha256 = 1, memcpy(m->sha256, one.sha256, 32);
    else if (!strcmp(key, "md5"))
        m->has_md5 = 1, memcpy(m->md5, one.md5, 16);
    else if (!strcmp(key, "sha1"))
        m->has_sha1 = 1, memcpy(m->sha1, one.sha1, 20);
    else
        m->has_pdq = 1, m->pdq = one.pdq;
    return AD_OK;
}

ad_code ad_upload_parse(const json_t *body, ad_upload *u, ad_err *err)
{
    memset(u, 0, sizeof *u);
    u->case_number = str(body, "case");
    u->job = str(body, "job");
    u->exhibit = str(body, "exhibit");
    u->done = json_is_true(json_object_get(body, "done"));
    const json_t *files = json_object_get(body, "files");
    u->n = json_array_size(files);
    if (!u->n)
        return ad_err_field(err, AD_ERR_ARG, "files", "no files");
    if (!(u->files = calloc(u->n, sizeof *u->files)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < u->n; i++) {
        const json_t *f = json_array_get(files, i);
        ad_upload_file *x = &u->files[i];
        ad_media_init(&x->media);
        x->path = str(f, "path");
        x->parent = str(f, "parent");
        x->inner_path = str(f, "inner_path");
        x->mtime = num(f, "mtime", 0);
        x->ctime = num(f, "ctime", 0);
        x->atime = num(f, "atime", 0);
        x->btime = num(f, "btime", 0);
        x->media.size = num(f, "size", -1);
        x->media.pdq_quality = (int)num(f, "pdq_quality", -1);
        x->media.width = (int)num(f, "width", 0);
        x->media.height = (int)num(f, "height", 0);
        x->media.duration_ms = num(f, "duration_ms", 0);
        x->media.mime = str(f, "mime");
        ad_code rc = digest(f, i, "sha256", 0, &x->media, err);
        if (rc == AD_OK)
            rc = digest(f, i, "md5", 0, &x->media, err);
        if (rc == AD_OK)
            rc = digest(f, i, "sha1", 0, &x->media, err);
        if (rc == AD_OK)
            rc = digest(f, i, "pdq", 1, &x->media, err);
        if (rc != AD_OK) {
            ad_upload_free(u);
            return rc;
        }
        if (!x->media.has_sha256 || !x->path) {
            char field[48];
            snprintf(field, sizeof field, "files[%zu].%s", i, x->path ? "sha256" : "path");
            ad_upload_free(u);
            return ad_err_field(err, AD_ERR_ARG, field, "every file has a path and a SHA-256");
        }
    }
    return AD_OK;
}

void ad_upload_free(ad_upload *u)
{
    free(u->files);
    u->files = NULL;
    u->n = 0;
}

/* The case of the caller's agency, opened when it has none of that number. */
static ad_code the_case(const ad_call *c, int64_t agency, const char *number, int64_t *id,
                        ad_err *err)
{
    if (!number || !*number)
        return ad_err_field(err, AD_ERR_ARG, "case", "no case named");
    if (ad_store_case_find(c->st, agency, number, id, NULL) == AD_OK)
        return AD_OK;
    ad_case k = {.agency_id = agency, .number = number, .title = "uploaded triage results"};
    ad_code rc = ad_store_case_open(c->st, &k, id, err);
    if (rc != AD_OK && err)
        snprintf(err->field, sizeof err->field, "case");
    return rc;
}

/* An item's stable key: the SHA-256 of its path, parent and inner path, in hex. */
static void item_key(const ad_upload_file *f, char out[65])
{
    crypto_hash_sha256_state h;
    uint8_t d[32];
    crypto_hash_sha256_init(&h);
    const char *parts[3] = {f->path, f->parent ? f->parent : "", f->inner_path ? f->inner_path : ""};
    for (int i = 0; i < 3; i++)
        crypto_hash_sha256_update(&h, (const uint8_t *)parts[i], strlen(parts[i]) + 1);
    crypto_hash_sha256_final(&h, d);
    ad_hex_encode(d, 32, out);
}

ad_code ad_svc_upload(const ad_call *c, const ad_upload *u, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_UPLOAD, 0, err);
    int64_t agency = c && c->id ? c->id->agency_id : 0, case_id = 0, last = -1;
    if (rc == AD_OK && agency <= 0)
        rc = ad_err_set(err, AD_ERR_PERM, "uploads are an agency's: the caller has none");
    char job[40];
    if (u->job)
        snprintf(job, sizeof job, "%s", u->job);
    else {
        uint8_t r[8];
        randombytes_buf(r, sizeof r);
        memcpy(job, "upload-", 7);
        ad_hex_encode(r, sizeof r, job + 7);
    }
    size_t n = u->n, fresh = 0;
    int64_t *mids = calloc(n ? n : 1, sizeof *mids), *sids = calloc(n ? n : 1, sizeof *sids);
    int *created = calloc(n ? n : 1, sizeof *created);
    ad_sighting *sg = calloc(n ? n : 1, sizeof *sg);
    ad_job_item *it = calloc(n ? n : 1, sizeof *it);
    char(*keys)[65] = calloc(n ? n : 1, sizeof *keys);
    if (rc == AD_OK && (!mids || !sids || !created || !sg || !it || !keys))
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* one transaction; writers take turns from its start, so that two uploads of the same
     * media merge (the second finds the first's record) */
    if (rc == AD_OK)
        rc = ad_store_begin(c->st, err);
    int began = rc == AD_OK;
    if (rc == AD_OK)
        rc = the_case(c, agency, u->case_number, &case_id, err);
    char roots[64];
    snprintf(roots, sizeof roots, "upload:%s", job);
    ad_job j = {.id = job, .case_id = case_id, .agency_id = agency, .exhibit = u->exhibit,
                .roots = roots, .options = "upload"};
    int resumed = 0;
    if (rc == AD_OK && (rc = ad_store_job_open(c->st, &j, &resumed, err)) != AD_OK && err)
        snprintf(err->field, sizeof err->field, "job");
    if (rc == AD_OK)
        rc = ad_store_job_last_ordinal(c->st, job, &last, err);
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        rc = ad_store_media_upsert(c->st, &u->files[i].media, &mids[i], &created[i], err);
        fresh += created[i] != 0;
        const ad_upload_file *f = &u->files[i];
        sg[i] = (ad_sighting){.media_id = mids[i], .agency_id = agency, .case_id = case_id,
                              .exhibit = u->exhibit, .path = f->path, .mtime = f->mtime,
                              .ctime = f->ctime, .atime = f->atime, .btime = f->btime,
                              .parent_path = f->parent, .inner_path = f->inner_path,
                              .size = f->media.size, .user_id = c->id->user_id, .job_id = job};
    }
    if (rc == AD_OK)
        rc = ad_store_sighting_add_batch_ids(c->st, sg, n, sids, err);
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        item_key(&u->files[i], keys[i]);
        it[i] = (ad_job_item){.job_id = job, .key = keys[i], .ordinal = last + 1 + (int64_t)i,
                              .path = u->files[i].path, .sighting_id = sids[i],
                              .media_id = mids[i]};
        if (!created[i]) { /* held before: its own exact match, as an ingest records it */
            it[i].match_media_id = mids[i];
            it[i].match_kind = "sha256";
        }
    }
    if (rc == AD_OK && (rc = ad_store_job_items_add(c->st, it, n, err)) == AD_ERR_EXISTS)
        ad_err_field(err, rc, "files", "these files are in job %s already (a batch sent twice?)",
                     job);
    if (rc == AD_OK && u->done)
        rc = ad_store_job_finish(c->st, job, err);
    if (began)
        rc = rc == AD_OK ? ad_store_commit(c->st, err) : (ad_store_rollback(c->st, NULL), rc);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        json_t *media = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "sha256", ad_json_hex(u->files[i].media.sha256, 32, 1));
            json_object_set_new(o, "media_id", json_integer(mids[i]));
            json_object_set_new(o, "gid", ad_svc_gid(c->st, "media", mids[i]));
            json_object_set_new(o, "known", json_boolean(!created[i]));
            json_array_append_new(media, o);
        }
        doc = json_pack("{s:I, s:s, s:I, s:I, s:b, s:o}", "case", (json_int_t)case_id, "job", job,
                        "files", (json_int_t)n, "new_media", (json_int_t)fresh, "done", u->done,
                        "media", media);
    }
    free(mids), free(sids), free(created), free(sg), free(it), free(keys);
    ad_err gerr;
    if (rc == AD_OK && u->done) /* the case page's groups, now rather than at its first view */
        ad_svc_case_groups_refresh(c, case_id, &gerr);
    return ad_svc_done(rc, doc, out);
}
