/* svc_audit.c: the audit for auditors: a page of the chain, and its verification (the chain,
 * then the database file under it). The CLI's `audit show --json` lines and the API's rows are
 * the same documents (ad_svc_audit_row_json). */
#include <stdio.h>

#include "ariadne/util.h"
#include "svc_internal.h"

json_t *ad_svc_audit_row_json(const ad_audit_row *r)
{
    char t[32], hex[65];
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "seq", json_integer(r->seq));
    json_object_set_new(o, "time", json_string(ad_time_iso(r->time, t)));
    ad_json_set_text(o, "who", r->who, "who_hex");
    json_object_set_new(o, "agency", r->agency_id > 0 ? json_integer(r->agency_id) : json_null());
    ad_json_set_text(o, "action", r->action, "action_hex");
    ad_json_set_text(o, "object", r->object, "object_hex");
    ad_json_set_text(o, "detail", r->detail, "detail_hex");
    json_object_set_new(o, "prev", json_string(ad_hex_encode(r->prev, 32, hex)));
    json_object_set_new(o, "hash", json_string(ad_hex_encode(r->hash, 32, hex)));
    return o;
}

struct page {
    json_t *rows;
    int64_t last;
};

static int on_row(void *ctx, const ad_audit_row *r)
{
    struct page *p = ctx;
    json_array_append_new(p->rows, ad_svc_audit_row_json(r));
    p->last = r->seq;
    return 0;
}

/* A page either way: after (ascending) or before (desc, newest first; 0: from the newest). */
static ad_code audit_page(const ad_call *c, int desc, int64_t from, int64_t limit, json_t **out,
                          ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_AUDIT, 0, err);
    if (rc != AD_OK)
        return rc;
    if (from < 0)
        return ad_err_field(err, AD_ERR_ARG, desc ? "before" : "after",
                            "%s is a row number (0 or more)", desc ? "before" : "after");
    if (limit < 0 || limit > 10000)
        return ad_err_field(err, AD_ERR_ARG, "limit", "limit is from 1 to 10000 rows");
    if (!limit)
        limit = 100;
    struct page p = {json_array(), 0};
    /* one more row than asked says whether there is a next page */
    rc = desc ? ad_store_audit_list_desc(c->st, from, limit + 1, on_row, &p, err)
              : ad_store_audit_list(c->st, from, limit + 1, on_row, &p, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        int more = json_array_size(p.rows) > (size_t)limit;
        if (more)
            json_array_remove(p.rows, (size_t)limit);
        int64_t next = more ? json_integer_value(
                                  json_object_get(json_array_get(p.rows, (size_t)limit - 1), "seq"))
                            : 0;
        doc = json_pack("{s:o, s:o}", "rows", p.rows, "next",
                        more ? json_integer(next) : json_null());
        p.rows = NULL;
    }
    if (rc == AD_OK && desc) {
        /* the newer page: the limit rows from `before` on; its cursor is the row after them,
         * or 0 (the newest page) when there are no more */
        json_t *newer = json_null();
        if (from > 0) {
            struct page q = {json_array(), 0};
            rc = ad_store_audit_list(c->st, from - 1, limit + 1, on_row, &q, err);
            newer = json_integer(json_array_size(q.rows) > (size_t)limit ? q.last : 0);
            json_decref(q.rows);
        }
        json_object_set_new(doc, "newer", newer);
    }
    if (rc == AD_OK) {
        char detail[80];
        snprintf(detail, sizeof detail, "%s=%lld rows=%zu", desc ? "before" : "after",
                 (long long)from, json_array_size(json_object_get(doc, "rows")));
        rc = ad_store_audit_read(c->st, "audit.show", NULL, detail, err);
    }
    json_decref(p.rows);
    if (rc != AD_OK) {
        json_decref(doc);
        doc = NULL;
    }
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_audit_page(const ad_call *c, int64_t after, int64_t limit, json_t **out, ad_err *err)
{
    return audit_page(c, 0, after, limit, out, err);
}

ad_code ad_svc_audit_page_desc(const ad_call *c, int64_t before, int64_t limit, json_t **out,
                               ad_err *err)
{
    return audit_page(c, 1, before, limit, out, err);
}

ad_code ad_svc_audit_verify(const ad_call *c, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_AUDIT, 0, err);
    if (rc != AD_OK)
        return rc;
    int64_t rows = 0, broken = 0;
    uint8_t head[32] = {0};
    char hex[65];
    ad_err why;
    ad_err_clear(&why);
    ad_code v = ad_store_audit_verify(c->st, &rows, &broken, head, &why);
    if (v == AD_OK)
        v = ad_store_check(c->st, 1, &why);
    if (v != AD_OK && v != AD_ERR_CHECKSUM && v != AD_ERR_CORRUPT) {
        if (err)
            *err = why;
        return v;
    }
    json_t *doc = json_pack("{s:b, s:I, s:I, s:s, s:s?}", "ok", v == AD_OK, "rows",
                            (json_int_t)rows, "broken", (json_int_t)broken, "head",
                            ad_hex_encode(head, 32, hex), "error", v == AD_OK ? NULL : why.msg);
    rc = ad_store_audit_read(c->st, "audit.verify", NULL, v == AD_OK ? "ok" : "broken", err);
    return ad_svc_done(rc, doc, out);
}
