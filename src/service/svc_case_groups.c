/* svc_case_groups.c: the candidate series of a case's new material, for the web interface's
 * case page and review queue (docs/web.md): the report's grouping (ad_report_group_new: PDQ
 * near-duplicates, the same camera serial, the same camera, the same folder within an hour of
 * capture) of the case's new files alone (ad_report_build_groups: no lookups), each group with
 * the reasons it was formed, in keyset pages; kept in the store a row a group, so that a page
 * reads its own groups alone. Agency evidence: the case's agency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/report.h"
#include "svc_internal.h"

/* {new, total, groups}: computed from the case's new files (ad_report_build_groups) */
static ad_code compute(ad_store *st, int64_t case_id, json_t **doc, ad_err *err)
{
    ad_report r;
    ad_report_opts o = {0, 31, 50, 3600};
    ad_code rc = ad_report_build_groups(st, case_id, &o, &r, err);
    if (rc != AD_OK)
        return rc;
    json_t *groups = json_array();
    for (size_t g = 0; g < r.ngroups; g++) {
        json_t *items = json_array();
        for (size_t i = 0; i < r.groups[g].n; i++) {
            const ad_report_item *it = &r.items[r.groups[g].items[i]];
            json_array_append_new(items, json_pack("{s:s?, s:s?, s:I}", "path", it->path,
                                                   "sha256", it->sha256[0] ? it->sha256 : NULL,
                                                   "media_id", (json_int_t)it->media_id));
        }
        json_array_append_new(groups, json_pack("{s:i, s:s, s:o}", "id", r.groups[g].id,
                                                "reasons", r.groups[g].reasons, "items",
                                                items));
    }
    *doc = json_pack("{s:I, s:I, s:o}", "new", (json_int_t)r.counts[AD_RC_NEW], "total",
                     (json_int_t)r.ngroups, "groups", groups);
    ad_report_free(&r);
    return *doc ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

/* Keeps doc's groups under key, each one's text apart (a page reads its own alone). */
static ad_code keep(ad_store *st, int64_t case_id, const char *key, json_t *doc, ad_err *err)
{
    json_t *groups = json_object_get(doc, "groups");
    size_t n = json_array_size(groups);
    char **texts = calloc(n ? n : 1, sizeof *texts);
    ad_code rc = texts ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == AD_OK && i < n; i++)
        if (!(texts[i] = json_dumps(json_array_get(groups, i), JSON_COMPACT)))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK)
        rc = ad_store_case_groups_put(st, case_id, key,
                                      json_integer_value(json_object_get(doc, "new")), texts, n,
                                      err);
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    return rc;
}

/* {new, total, groups}: the groups after `after`, at most limit (0: all the rest), read alone
 * from those kept for the case's current jobs and clues; else all of them, computed and kept
 * (not kept while a job of the case is running), for page_of to cut. */
static ad_code groups_of(ad_store *st, int64_t case_id, int fresh, int64_t after, int64_t limit,
                         json_t **doc, ad_err *err)
{
    char *key = NULL, *text = NULL;
    int64_t nnew = 0, total = 0;
    *doc = NULL;
    ad_code rc = ad_store_case_groups_key(st, case_id, &key, err);
    if (rc == AD_OK && key && !fresh &&
        (rc = ad_store_case_groups_get(st, case_id, key, after, limit, &text, &nnew, &total,
                                       err)) == AD_OK) {
        json_t *groups = json_loads(text, 0, NULL);
        if (json_is_array(groups))
            *doc = json_pack("{s:I, s:I, s:o}", "new", (json_int_t)nnew, "total",
                             (json_int_t)total, "groups", groups);
        else
            json_decref(groups);
        if (!*doc)
            rc = AD_ERR_NOT_FOUND; /* unreadable: computed again below */
    }
    if (rc == AD_ERR_NOT_FOUND || (rc == AD_OK && !*doc)) {
        rc = compute(st, case_id, doc, err);
        if (rc == AD_OK && key)
            rc = keep(st, case_id, key, *doc, err);
    }
    free(key);
    free(text);
    if (rc != AD_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return rc;
}

/* Keeps in doc's groups those numbered after `after` (groups are numbered 1, 2, ... in their
 * order), at most limit of them (0: all); "next": the number to ask after for the rest, null
 * when none is left. */
static void page_of(json_t *doc, int64_t after, int64_t limit)
{
    json_t *groups = json_object_get(doc, "groups"), *kept = json_array();
    size_t n = json_array_size(groups), i = 0;
    while (i < n && json_integer_value(json_object_get(json_array_get(groups, i), "id")) <= after)
        i++;
    for (; i < n && (limit <= 0 || json_array_size(kept) < (size_t)limit); i++)
        json_array_append(kept, json_array_get(groups, i));
    size_t k = json_array_size(kept);
    /* more after the last one kept: in this document, or past the page read alone */
    int more = i < n || (int64_t)json_integer_value(json_object_get(doc, "total")) >
                            (after > 0 ? after : 0) + (int64_t)k;
    json_t *last = k ? json_object_get(json_array_get(kept, k - 1), "id") : NULL;
    json_object_set_new(doc, "next",
                        more && last ? json_integer(json_integer_value(last)) : json_null());
    json_object_set_new(doc, "groups", kept);
}

ad_code ad_svc_case_groups(const ad_call *c, int64_t case_id, int64_t limit, json_t **out,
                           ad_err *err)
{
    return ad_svc_case_groups_page(c, case_id, 0, limit, out, err);
}

ad_code ad_svc_case_groups_page(const ad_call *c, int64_t case_id, int64_t after, int64_t limit,
                                json_t **out, ad_err *err)
{
    int64_t agency;
    json_t *doc = NULL;
    ad_code rc =
        limit < 0
            ? ad_err_field(err, AD_ERR_ARG, "limit", "limit takes a number of groups (0: all)")
        : after < 0 ? ad_err_field(err, AD_ERR_ARG, "after", "after takes a group's number")
                    : ad_svc_case_read(c, case_id, &agency, err);
    if (rc == AD_OK)
        rc = groups_of(c->st, case_id, 0, after, limit, &doc, err);
    if (rc == AD_OK)
        page_of(doc, after, limit);
    json_t *groups = doc ? json_object_get(doc, "groups") : NULL;
    if (rc == AD_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "new=%lld groups=%zu after=%lld",
                 (long long)json_integer_value(json_object_get(doc, "new")),
                 json_array_size(groups), (long long)after);
        rc = ad_store_audit_read(c->st, "case.groups", NULL, detail, err);
    }
    if (rc == AD_OK)
        json_object_set_new(doc, "case", json_integer(case_id));
    else
        json_decref(doc), doc = NULL;
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_case_groups_refresh(const ad_call *c, int64_t case_id, ad_err *err)
{
    int64_t agency;
    json_t *doc = NULL;
    ad_code rc = ad_svc_case_read(c, case_id, &agency, err);
    if (rc == AD_OK)
        rc = groups_of(c->st, case_id, 1, 0, 0, &doc, err);
    json_decref(doc);
    return rc;
}
