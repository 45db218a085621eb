/* svc_case_groups.c: the candidate series of a case's new material, for the web interface's
 * case page and review queue (docs/web.md): the report's grouping (ad_report_group_new: PDQ
 * near-duplicates, the same camera serial, the same camera, the same folder within an hour of
 * capture) of the case's new files alone (ad_report_build_groups: no lookups), each group with
 * the reasons it was formed. Agency evidence: the case's agency. */
#include <stdio.h>
#include <string.h>

#include "ariadne/report.h"
#include "svc_internal.h"

#define HEAD 100 /* groups kept apart for a page (limit <= HEAD) */

/* {new, groups}: computed from the case's new files (ad_report_build_groups) */
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
    *doc = json_pack("{s:I, s:o}", "new", (json_int_t)r.counts[AD_RC_NEW], "groups", groups);
    ad_report_free(&r);
    return *doc ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

/* The first groups of doc (a copy with at most n of them) and their total. */
static json_t *head_of(json_t *doc, size_t n)
{
    json_t *all = json_object_get(doc, "groups"), *some = json_array();
    for (size_t i = 0; i < n && i < json_array_size(all); i++)
        json_array_append(some, json_array_get(all, i));
    return json_pack("{s:O, s:I, s:o}", "new", json_object_get(doc, "new"), "total",
                     (json_int_t)json_array_size(all), "groups", some);
}

/* The groups as kept for the case's current jobs and clues (only the first HEAD when
 * head), else computed and kept (not kept while a job of the case is running). */
static ad_code groups_of(ad_store *st, int64_t case_id, int fresh, int head, json_t **doc,
                         ad_err *err)
{
    char *key = NULL, *text = NULL;
    *doc = NULL;
    ad_code rc = ad_store_case_groups_key(st, case_id, &key, err);
    if (rc == AD_OK && key && !fresh &&
        (rc = ad_store_case_groups_get(st, case_id, key, head, &text, err)) == AD_OK) {
        *doc = json_loads(text, 0, NULL);
        if (!*doc)
            rc = AD_ERR_NOT_FOUND; /* unreadable: computed again below */
    }
    if (rc == AD_ERR_NOT_FOUND || (rc == AD_OK && !*doc)) {
        json_t *all = NULL;
        rc = compute(st, case_id, &all, err);
        json_t *first = rc == AD_OK ? head_of(all, HEAD) : NULL;
        if (rc == AD_OK)
            json_object_set_new(all, "total",
                                json_integer((json_int_t)json_array_size(
                                    json_object_get(all, "groups"))));
        char *out = key && first ? json_dumps(all, JSON_COMPACT) : NULL;
        char *out_head = out ? json_dumps(first, JSON_COMPACT) : NULL;
        if (out_head)
            rc = ad_store_case_groups_put(st, case_id, key, out, out_head, err);
        free(out);
        free(out_head);
        if (head) {
            *doc = first;
            json_decref(all);
        } else {
            *doc = all;
            json_decref(first);
        }
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
    /* more after the last one kept: in this document, or past the stored head */
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
    /* the first page from the stored head; a later one from the whole document */
    if (rc == AD_OK)
        rc = groups_of(c->st, case_id, 0, after == 0 && limit > 0 && limit <= HEAD, &doc, err);
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
        rc = groups_of(c->st, case_id, 1, 0, &doc, err);
    json_decref(doc);
    return rc;
}
