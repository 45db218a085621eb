/* list.c: named hash lists (hash banks such as a baseline list for platforms) with their
 * provenance, and list membership. */
#include <stdio.h>

#include "store_int.h"

ad_code ad_store_list_find(ad_store *st, const char *name, int64_t *id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM hash_list WHERE name = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, name ? name : "");
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no list '%s'", name ? name : "");
    return rc;
}

ad_code ad_store_list_ensure(ad_store *st, const ad_list *l, int64_t *id, ad_err *err)
{
    if (!l->name || !*l->name)
        return ad_err_set(err, AD_ERR_ARG, "list name is empty");
    ad_code rc = ad_store_begin(st, err); /* the lookup too: writers take turns from here */
    if (rc != AD_OK)
        return rc;
    if (ad_store_list_find(st, l->name, id, NULL) == AD_OK)
        return ad_store_finish(st, AD_OK, err);
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO hash_list (name, description, source, agency_id,"
                            " created) VALUES (?, ?, ?, ?, ?) RETURNING id",
                            err);
    if (!s)
        return ad_store_finish(st, AD_ECODE(err), err);
    int64_t nid = 0;
    ad_bind_text(s, 1, l->name);
    ad_bind_text_opt(s, 2, l->description);
    ad_bind_text_opt(s, 3, l->source);
    ad_bind_id_opt(s, 4, l->agency_id ? l->agency_id : st->agency_id);
    ad_bind_int(s, 5, ad_store_time());
    rc = ad_db_int(s, &nid, err);
    rc = ad_store_auditf(st, rc, "list.create", "list", nid, err, "name=%s source=%s", l->name,
                         l->source ? l->source : "");
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

#define LIST_SELECT                                                                                \
    "SELECT l.id, l.name, l.description, l.source, l.agency_id, l.created,"                        \
    " (SELECT COUNT(*) FROM list_entry e WHERE e.list_id = l.id) FROM hash_list l "

static int list_row(void *p, ad_stmt *s)
{
    void **c = p;
    ad_list l = {ad_col_int(s, 0), ad_col_text(s, 1), ad_col_text(s, 2), ad_col_text(s, 3),
                 ad_col_int(s, 4), ad_col_int(s, 5),  ad_col_int(s, 6)};
    return ((ad_list_fn)c[0])(c[1], &l);
}

ad_code ad_store_list_list(ad_store *st, ad_list_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st, LIST_SELECT "ORDER BY l.id", 0, list_row, c, err);
}

ad_code ad_store_media_lists(ad_store *st, int64_t media_id, ad_list_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st,
                         "SELECT l.id, l.name, l.description, l.source, l.agency_id,"
                         " l.created, 0 FROM hash_list l WHERE l.id IN (SELECT list_id FROM"
                         " list_entry WHERE media_id = ?) ORDER BY l.id",
                         media_id, list_row, c, err);
}

typedef struct {
    int64_t list_id, now;
    const int64_t *media_ids;
} add_ctx;

static void bind_entry(void *p, ad_stmt *s, size_t i)
{
    add_ctx *c = p;
    ad_bind_int(s, 1, c->list_id);
    ad_bind_int(s, 2, c->media_ids[i]);
    ad_bind_int(s, 3, c->now);
}

ad_code ad_store_list_add(ad_store *st, int64_t list_id, const int64_t *media_ids, size_t n,
                          ad_err *err)
{
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    add_ctx c = {list_id, ad_store_time(), media_ids};
    rc = ad_db_many(st->db,
                    "INSERT INTO list_entry (list_id, media_id, added) VALUES (?, ?, ?)"
                    " ON CONFLICT (list_id, media_id) DO NOTHING",
                    n, bind_entry, NULL, &c, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no list %lld or one of the %zu media", (long long)list_id, n);
    if (n)
        rc = ad_store_auditf(st, rc, "list.add", "list", list_id, err, "n=%zu", n);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_list_get(ad_store *st, int64_t list_id, ad_list_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    ad_stmt *s = ad_db_stmt(st->db, LIST_SELECT "WHERE l.id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, list_id);
    int k = ad_step(s, err);
    if (k > 0)
        list_row(c, s);
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no list %lld", (long long)list_id);
    return k < 0 ? (ad_code)-k : AD_OK;
}
