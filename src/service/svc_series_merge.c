/* svc_series_merge.c: owners merging two series (docs/federation.md "Merging two series"): the
 * consent of the caller's agency (a request, or the consent to the other owner's request), and
 * what `series show` says of the merges a series is in: requested or agreed, the series it is
 * an alias of, the series merged into it. */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

static json_t *ref(ad_store *st, int64_t id, const char *name)
{
    json_t *o = json_pack("{s:I}", "id", (json_int_t)id);
    ad_json_set_text(o, "name", name, NULL);
    json_object_set_new(o, "gid", ad_svc_gid(st, "series", id));
    return o;
}

static json_t *consent(int64_t at, const char *agency)
{
    if (!at)
        return json_null();
    json_t *o = json_pack("{s:o}", "at", ad_json_time(at));
    ad_json_set_text(o, "agency", agency, NULL);
    return o;
}

struct merges {
    ad_store *st;
    int64_t id;
    json_t *list;          /* "merges" */
    const char *want_name; /* name_of: the name of want_id */
    int64_t want_id;
    char name[512];
    int64_t *aliases;
    size_t cap, n;
};

static int on_merge(void *p, const ad_series_merge *m)
{
    struct merges *c = p;
    int agreed = m->from_at && m->into_at;
    if (c->list)
        json_array_append_new(
            c->list, json_pack("{s:o, s:o, s:o, s:o, s:b}", "from",
                               ref(c->st, m->from_id, m->from_name), "into",
                               ref(c->st, m->into_id, m->into_name), "from_consent",
                               consent(m->from_at, m->from_agency), "into_consent",
                               consent(m->into_at, m->into_agency), "agreed", agreed));
    if (c->want_id == m->from_id || c->want_id == m->into_id)
        snprintf(c->name, sizeof c->name, "%s",
                 c->want_id == m->from_id ? m->from_name : m->into_name);
    if (agreed && m->into_id == c->id && c->aliases && c->n < c->cap)
        c->aliases[c->n++] = m->from_id;
    return 0;
}

/* {id, name, gid} of series id, the name read from the merges it is in (it is in one). */
static json_t *named(const ad_call *c, int64_t id, ad_err *err)
{
    struct merges m = {.st = c->st, .id = id, .want_id = id};
    if (ad_store_series_merges(c->st, id, on_merge, &m, err) != AD_OK)
        return NULL;
    return ref(c->st, id, m.name);
}

ad_code ad_svc_series_alias(const ad_call *c, int64_t id, json_t **alias, ad_err *err)
{
    int64_t sv = id;
    *alias = NULL;
    ad_code rc = ad_store_series_survivor(c->st, id, &sv, err);
    if (rc == AD_OK && sv != id && !(*alias = named(c, sv, err)))
        rc = err ? err->code : AD_ERR_DB;
    return rc;
}

ad_code ad_svc_series_merge_info(const ad_call *c, int64_t id, json_t *doc, int64_t *aliases,
                                 size_t cap, size_t *n, ad_err *err)
{
    struct merges m = {.st = c->st,
                       .id = id,
                       .list = json_array(),
                       .aliases = aliases,
                       .cap = cap};
    int64_t sv = id;
    ad_code rc = ad_store_series_merges(c->st, id, on_merge, &m, err);
    if (rc == AD_OK)
        rc = ad_store_series_survivor(c->st, id, &sv, err);
    json_t *into = rc == AD_OK && sv != id ? named(c, sv, err) : json_null();
    json_object_set_new(doc, "merges", m.list);
    json_object_set_new(doc, "merged_into", into ? into : json_null());
    *n = m.n;
    return rc;
}

ad_code ad_svc_series_merge(const ad_call *c, const char *from, const char *into, json_t **out,
                            ad_err *err)
{
    /* an investigator of an agency; which side it owns is the store's check */
    ad_code rc = ad_svc_start(c, AD_ACT_SERIES_MERGE, 0, err);
    int64_t fid = 0, iid = 0, sv = 0;
    int merged = 0;
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, from, "series", &fid, err);
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, into, "into", &iid, err);
    if (rc == AD_OK)
        rc = ad_store_series_merge(c->st, fid, iid, c->id && !c->id->local ? c->id->agency_id : 0,
                                   &merged, err);
    if (rc == AD_OK)
        rc = ad_store_series_survivor(c->st, fid, &sv, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        json_t *f = named(c, fid, err), *i = named(c, iid, err), *s = named(c, sv, err);
        doc = json_pack("{s:o, s:o, s:b, s:o}", "from", f ? f : json_null(), "into",
                        i ? i : json_null(), "merged", merged, "survivor", s ? s : json_null());
    }
    return ad_svc_done(rc, doc, out);
}
