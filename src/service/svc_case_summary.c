/* svc_case_summary.c: a case at a glance for the web interface's case page (docs/web.md): the
 * files of the case's current jobs counted by class (as the case's files page classifies them:
 * by the media their match decided by, now), the failures, and the series its known material
 * belongs to with owner and contact (known-unidentified first: whom to call). Agency evidence:
 * the case's agency only. Reads the items a thousand at a time (keyset pages), one lookup per
 * distinct matched media (the lookup cache). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "svc_internal.h"

#define CLASSES 5
#define BATCH 1000

typedef struct {
    ad_store *st;
    ad_lookup_cache *cache;
    int64_t counts[CLASSES], errors, files;
    json_t *series; /* name -> {name, owner, contact, class, files} */
    char job[256], key[256];
    int64_t ordinal;
    size_t seen;
    ad_code rc;
    ad_err *err;
} sum;

static int on_item(void *p, const ad_job_item *it, const ad_sighting *s)
{
    (void)s;
    sum *m = p;
    m->seen++;
    m->files++;
    snprintf(m->job, sizeof m->job, "%s", it->job_id);
    snprintf(m->key, sizeof m->key, "%s", it->key);
    m->ordinal = it->ordinal;
    if (it->error_code || !it->media_id) { /* a failure counts as one, whatever was hashed */
        m->errors++;
        return 0;
    }
    if (!it->match_media_id) {
        m->counts[AD_CLASS_NEW]++;
        return 0;
    }
    ad_classification k;
    if ((m->rc = ad_lookup_classify(m->st, m->cache, it->match_media_id, &k, m->err)) != AD_OK)
        return 1;
    if ((unsigned)k.cls < CLASSES)
        m->counts[k.cls]++;
    if (k.series_id) {
        json_t *o = json_object_get(m->series, k.series_name);
        if (!o) {
            o = json_pack("{s:s, s:s?, s:s?, s:s, s:I}", "name", k.series_name, "owner",
                          k.owner_agency[0] ? k.owner_agency : NULL, "contact",
                          k.contact[0] ? k.contact : NULL, "class", ad_class_name(k.cls),
                          "files", (json_int_t)0);
            json_object_set_new(m->series, k.series_name, o);
        }
        json_object_set_new(o, "files",
                            json_integer(json_integer_value(json_object_get(o, "files")) + 1));
    }
    return 0;
}

/* known-unidentified first, then by files */
static int series_order(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int ua = !strcmp(json_string_value(json_object_get(a, "class")), "known-unidentified");
    int ub = !strcmp(json_string_value(json_object_get(b, "class")), "known-unidentified");
    if (ua != ub)
        return ub - ua;
    json_int_t fa = json_integer_value(json_object_get(a, "files"));
    json_int_t fb = json_integer_value(json_object_get(b, "files"));
    return fa < fb ? 1 : fa > fb ? -1 : 0;
}

ad_code ad_svc_case_read(const ad_call *c, int64_t case_id, int64_t *agency, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_EVIDENCE, 0, err);
    *agency = 0;
    if (rc == AD_OK)
        rc = ad_svc_case_agency(c, case_id, "id", agency, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_READ_EVIDENCE, *agency > 0 ? *agency : -1, err);
    return rc;
}

ad_code ad_svc_case_summary(const ad_call *c, int64_t case_id, json_t **out, ad_err *err)
{
    int64_t agency;
    ad_code rc = ad_svc_case_read(c, case_id, &agency, err);
    sum m = {0};
    m.st = c->st;
    m.err = err;
    m.series = json_object();
    if (rc == AD_OK)
        rc = ad_lookup_cache_new(&m.cache, err);
    ad_item_cursor cur, *after = NULL;
    while (rc == AD_OK) {
        m.seen = 0;
        rc = ad_store_case_items_page(c->st, case_id, after, BATCH, on_item, &m, err);
        if (rc == AD_OK && m.rc != AD_OK)
            rc = m.rc;
        if (rc != AD_OK || m.seen < BATCH)
            break;
        cur = (ad_item_cursor){m.job, m.ordinal, m.key};
        after = &cur;
    }
    ad_lookup_cache_free(m.cache);
    if (rc == AD_OK) {
        char detail[48];
        snprintf(detail, sizeof detail, "files=%lld", (long long)m.files);
        rc = ad_store_audit_read(c->st, "case.summary", NULL, detail, err);
    }
    if (rc != AD_OK) {
        json_decref(m.series);
        return rc;
    }
    size_t n = json_object_size(m.series), i = 0;
    json_t **v = calloc(n ? n : 1, sizeof *v), *list = json_array(), *classes = json_object();
    const char *name;
    json_t *o;
    json_object_foreach(m.series, name, o)
    {
        if (v)
            v[i++] = o;
    }
    if (v)
        qsort(v, n, sizeof *v, series_order);
    for (i = 0; v && i < n; i++)
        json_array_append(list, v[i]);
    free(v);
    json_decref(m.series);
    for (int k = 0; k < CLASSES; k++)
        json_object_set_new(classes, ad_class_name((ad_class)k), json_integer(m.counts[k]));
    return ad_svc_done(AD_OK,
                       json_pack("{s:I, s:I, s:o, s:I, s:o}", "case", (json_int_t)case_id,
                                 "files", (json_int_t)m.files, "classes", classes, "errors",
                                 (json_int_t)m.errors, "series", list),
                       out);
}
