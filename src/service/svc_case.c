/* svc_case.c: an agency's cases and a case's classified files (agency evidence: the agency
 * holding the case, and the operator of the store). The files come a page at a time, with a
 * cursor: keyset pagination on the job items (job, walk ordinal, key), so that a page costs the
 * same anywhere in the case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/util.h"
#include "svc_internal.h"

static int on_case(void *p, const ad_case *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(x->id));
    ad_json_set_text(o, "agency", x->agency_name, NULL);
    ad_json_set_text(o, "number", x->number, NULL);
    ad_json_set_text(o, "title", x->title, NULL);
    ad_json_set_text(o, "status", x->status, NULL);
    json_object_set_new(o, "opened", ad_json_time(x->opened));
    json_array_append_new(p, o);
    return 0;
}

ad_code ad_svc_case_list(const ad_call *c, int64_t agency_id, json_t **out, ad_err *err)
{
    int local = c && c->id && c->id->local;
    /* a user sees its own agency's cases; the operator any agency's, or all */
    int64_t agency = local ? agency_id : c && c->id ? c->id->agency_id : 0;
    ad_code rc = ad_svc_start(c, AD_ACT_READ_EVIDENCE, local ? 0 : agency_id, err);
    if (rc == AD_OK && !local && agency <= 0)
        rc = ad_err_set(err, AD_ERR_PERM, "the caller belongs to no agency");
    json_t *cases = json_array();
    if (rc == AD_OK)
        rc = ad_store_case_list(c->st, agency, on_case, cases, err);
    return ad_svc_done(rc, rc == AD_OK ? json_pack("{s:o}", "cases", cases) : cases, out);
}

/* ---- a case's files ---- */

/* A cursor is "<hex of the job id>.<ordinal>.<item key>": opaque to callers. */
static ad_code cursor_parse(const char *text, char *job, size_t cap, ad_item_cursor *cur,
                            char *key, size_t kcap, ad_err *err)
{
    const char *d1 = strchr(text, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    size_t hl = d1 ? (size_t)(d1 - text) : 0;
    if (!d1 || !d2 || !hl || hl % 2 || hl / 2 >= cap || strlen(d2 + 1) >= kcap || !d2[1] ||
        strspn(d2 + 1, "0123456789abcdef") != strlen(d2 + 1) ||
        ad_hex_decode(text, hl, (uint8_t *)job, hl / 2, NULL) != AD_OK)
        return ad_err_field(err, AD_ERR_ARG, "cursor", "not a cursor of this list");
    job[hl / 2] = 0;
    char *end;
    long long ord = strtoll(d1 + 1, &end, 10);
    if (end != d2 || end == d1 + 1)
        return ad_err_field(err, AD_ERR_ARG, "cursor", "not a cursor of this list");
    memcpy(key, d2 + 1, strlen(d2 + 1) + 1);
    cur->job_id = job;
    cur->ordinal = ord;
    cur->key = key;
    return AD_OK;
}

struct page {
    const ad_call *c;
    ad_lookup_cache *cache;
    json_t *files;
    size_t limit, n;
    char *next; /* the cursor after the last file given */
    ad_code rc;
    ad_err *err;
};

static int on_sha(void *p, const ad_media *m)
{
    json_object_set_new(p, "sha256", ad_json_hex(m->sha256, 32, m->has_sha256));
    return 0;
}

static int on_item(void *p, const ad_job_item *it, const ad_sighting *s)
{
    struct page *pg = p;
    if (pg->n == pg->limit) { /* one more than asked: there is a next page */
        pg->n++;
        return 1;
    }
    ad_store *st = pg->c->st;
    json_t *o = json_object();
    ad_json_set_text(o, "path", s && s->path ? s->path : it->path, "path_hex");
    json_object_set_new(o, "job", json_string(it->job_id));
    json_object_set_new(o, "media_id", it->media_id ? json_integer(it->media_id) : json_null());
    json_object_set_new(o, "media",
                        it->media_id ? ad_svc_gid(st, "media", it->media_id) : json_null());
    json_object_set_new(o, "sha256", json_null());
    if (it->media_id)
        ad_store_media_get(st, it->media_id, on_sha, o, NULL);
    json_t *cls = json_null(), *series = json_null();
    if (it->media_id && !it->match_media_id) { /* no match: new, nothing to look up */
        cls = json_string(ad_class_name(AD_CLASS_NEW));
    } else if (it->media_id) {
        ad_classification k;
        if ((pg->rc = ad_lookup_classify(st, pg->cache, it->match_media_id, &k, pg->err)) !=
            AD_OK) {
            json_decref(o);
            return 1;
        }
        cls = json_string(ad_class_name(k.cls));
        if (k.series_id) /* a merged series by its survivor, "merged_from" the one linked */
            series = json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)k.series_id, "name",
                               k.series_name, "merged_from",
                               k.merged_from_id ? k.merged_from : NULL);
    }
    json_object_set_new(o, "class", cls);
    json_object_set_new(o, "series", series);
    json_object_set_new(
        o, "match",
        it->match_media_id
            ? json_pack("{s:I, s:s?, s:i}", "media_id", (json_int_t)it->match_media_id, "kind",
                        it->match_kind, "distance", it->match_distance)
            : json_null());
    json_object_set_new(o, "error",
                        it->error_code ? json_pack("{s:s, s:s?}", "code", it->error_code,
                                                   "message", it->error_message)
                                       : json_null());
    json_array_append_new(pg->files, o);
    pg->n++;
    free(pg->next);
    size_t jl = strlen(it->job_id);
    pg->next = malloc(2 * jl + strlen(it->key) + 32);
    if (pg->next) {
        ad_hex_encode((const uint8_t *)it->job_id, jl, pg->next);
        sprintf(pg->next + 2 * jl, ".%lld.%s", (long long)it->ordinal, it->key);
    }
    return 0;
}

ad_code ad_svc_case_files(const ad_call *c, int64_t case_id, const char *cursor, int limit,
                          json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_EVIDENCE, 0, err);
    int64_t agency = 0;
    if (rc == AD_OK && (limit < 0 || limit > 1000))
        rc = ad_err_field(err, AD_ERR_ARG, "limit", "limit takes a number from 1 to 1000");
    if (rc == AD_OK)
        rc = ad_svc_case_agency(c, case_id, "case", &agency, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_READ_EVIDENCE, agency > 0 ? agency : -1, err);
    ad_item_cursor cur, *after = NULL;
    char job[256], key[256];
    if (rc == AD_OK && cursor && *cursor) {
        rc = cursor_parse(cursor, job, sizeof job, &cur, key, sizeof key, err);
        after = &cur;
    }
    struct page pg = {c, NULL, json_array(), limit ? (size_t)limit : 100, 0, NULL, AD_OK, err};
    if (rc == AD_OK)
        rc = ad_lookup_cache_new(&pg.cache, err);
    if (rc == AD_OK &&
        (rc = ad_store_case_items_page(c->st, case_id, after, pg.limit + 1, on_item, &pg, err)) ==
            AD_ERR_NOT_FOUND &&
        err)
        snprintf(err->field, sizeof err->field, "cursor");
    if (rc == AD_OK)
        rc = pg.rc;
    ad_lookup_cache_free(pg.cache);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:I, s:o, s:s?}", "case", (json_int_t)case_id, "files", pg.files, "next",
                        pg.n > pg.limit ? pg.next : NULL);
    else
        json_decref(pg.files);
    free(pg.next);
    return ad_svc_done(rc, doc, out);
}
