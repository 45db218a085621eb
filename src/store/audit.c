/* audit.c: the tamper-evident audit chain. Each row's hash is SHA-256 over the previous row's
 * hash and this row's fields (length-prefixed); the row also stores the previous hash. The head
 * (last seq and hash) lives in audit_head, updated in the same transaction, which serialises
 * writers on both back ends. */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static void put_u64(EVP_MD_CTX *c, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    EVP_DigestUpdate(c, b, 8);
}

static void put_str(EVP_MD_CTX *c, const char *s)
{
    if (!s) {
        put_u64(c, UINT64_MAX);
        return;
    }
    size_t n = strlen(s);
    put_u64(c, n);
    EVP_DigestUpdate(c, s, n);
}

static ad_code row_hash(const ad_audit_row *r, uint8_t out[32], ad_err *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return ad_err_set(err, AD_ERR_INTERNAL, "SHA-256 unavailable");
    }
    EVP_DigestUpdate(c, "ariadne-audit-v1", 16);
    EVP_DigestUpdate(c, r->prev, 32);
    put_u64(c, (uint64_t)r->seq);
    put_u64(c, (uint64_t)r->time);
    put_u64(c, (uint64_t)r->agency_id);
    put_str(c, r->who);
    put_str(c, r->action);
    put_str(c, r->object);
    put_str(c, r->detail);
    unsigned n = 0;
    EVP_DigestFinal_ex(c, out, &n);
    EVP_MD_CTX_free(c);
    return AD_OK;
}

static ad_code audit_append(ad_store *st, const char *action, const char *object,
                            const char *detail, ad_err *err)
{
    ad_db *db = st->db;
    ad_audit_row r;
    memset(&r, 0, sizeof r);
    ad_stmt *s = ad_db_stmt(db,
                            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1"
                            " RETURNING seq, hash",
                            err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    if (k <= 0) {
        ad_db_done(s);
        return k < 0 ? (ad_code)-k : ad_err_set(err, AD_ERR_CORRUPT, "audit head missing");
    }
    r.seq = ad_col_int(s, 0);
    size_t n = 0;
    const uint8_t *h = ad_col_blob(s, 1, &n);
    if (h && n == 32)
        memcpy(r.prev, h, 32);
    ad_db_done(s);
    r.time = ad_store_time();
    char who[sizeof st->who + sizeof st->origin + 4];
    ad_store_who(st, who, sizeof who);
    r.who = who;
    r.agency_id = st->agency_id;
    r.action = action;
    r.object = object;
    r.detail = detail;
    ad_code rc = row_hash(&r, r.hash, err);
    if (rc != AD_OK)
        return rc;
    s = ad_db_stmt(db,
                   "INSERT INTO audit (seq, time, who, agency_id, action, object, detail,"
                   " prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, r.seq);
    ad_bind_int(s, 2, r.time);
    ad_bind_text(s, 3, r.who);
    ad_bind_id_opt(s, 4, r.agency_id);
    ad_bind_text(s, 5, action);
    ad_bind_text_opt(s, 6, object);
    ad_bind_text_opt(s, 7, detail);
    ad_bind_blob(s, 8, r.prev, 32);
    ad_bind_blob(s, 9, r.hash, 32);
    if ((rc = ad_db_run(s, err)) != AD_OK)
        return rc;
    s = ad_db_stmt(db, "UPDATE audit_head SET hash = ? WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_blob(s, 1, r.hash, 32);
    return ad_db_run(s, err);
}

void ad_store_who(const ad_store *st, char *out, size_t cap)
{
    if (st->origin[0])
        snprintf(out, cap, "%s (%s)", st->who, st->origin);
    else
        snprintf(out, cap, "%s", st->who);
}

static void object_text(char *object, size_t cap, const char *type, int64_t id)
{
    if (type && id)
        snprintf(object, cap, "%s:%lld", type, (long long)id);
    else if (type)
        snprintf(object, cap, "%s", type);
}

/* A read's event to the sink. */
static void to_sink(ad_store *st, const char *action, const char *object, const char *detail)
{
    char who[sizeof st->who + sizeof st->origin + 4];
    ad_store_who(st, who, sizeof who);
    st->read_sink(st->read_sink_ctx, who, st->agency_id, action, object, detail);
}

ad_code ad_store_auditr(ad_store *st, ad_code rc, const char *action, const char *type, int64_t id,
                        ad_err *err, const char *fmt, ...)
{
    if (rc != AD_OK)
        return rc;
    char detail[1024] = "", object[96] = "";
    object_text(object, sizeof object, type, id);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    if (st->read_sink) {
        to_sink(st, action, type ? object : NULL, fmt ? detail : NULL);
        return AD_OK;
    }
    return ad_store_auditf(st, AD_OK, action, type, id, err, fmt ? "%s" : NULL, detail);
}

ad_code ad_store_audit_read(ad_store *st, const char *action, const char *object,
                            const char *detail, ad_err *err)
{
    if (!action || !*action)
        return ad_err_set(err, AD_ERR_ARG, "audit action is empty");
    if (st->read_sink) {
        to_sink(st, action, object, detail);
        return AD_OK;
    }
    return ad_store_audit(st, action, object, detail, err);
}

ad_code ad_store_auditf(ad_store *st, ad_code rc, const char *action, const char *type, int64_t id,
                        ad_err *err, const char *fmt, ...)
{
    if (rc != AD_OK)
        return rc;
    char detail[1024], object[96];
    object_text(object, sizeof object, type, id);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    /* The head's update and the row's insert are one step: a row appended outside any
     * transaction (after a read, such as index.load) gets one of its own, which takes the
     * writers' lock first, else another writer could move the head in between (the guard
     * triggers then refuse the row, or the chain would fork). */
    if (st->depth == 0) {
        if ((rc = ad_store_begin(st, err)) != AD_OK)
            return rc;
        rc = audit_append(st, action, type ? object : NULL, fmt ? detail : NULL, err);
        return ad_store_finish(st, rc, err);
    }
    return audit_append(st, action, type ? object : NULL, fmt ? detail : NULL, err);
}

ad_code ad_store_audit(ad_store *st, const char *action, const char *object, const char *detail,
                       ad_err *err)
{
    if (!action || !*action)
        return ad_err_set(err, AD_ERR_ARG, "audit action is empty");
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    return ad_store_finish(st, audit_append(st, action, object, detail, err), err);
}

/* Reads rows with seq > after in pages, calls fn with each (hash as stored). */
/* Walks rows with seq > from (desc: seq < from, newest first), at most limit (0 = all). */
static ad_code audit_walk_dir(ad_store *st, int64_t from, int desc, int64_t limit,
                              ad_audit_fn fn, void *ctx, ad_err *err)
{
    int64_t done = 0, after = from;
    for (;;) {
        ad_stmt *s = ad_db_stmt(st->db,
                                desc ? "SELECT seq, time, who, agency_id, action, object, detail,"
                                       " prev, hash FROM audit WHERE seq < ? ORDER BY seq DESC"
                                       " LIMIT 1000"
                                     : "SELECT seq, time, who, agency_id, action, object, detail,"
                                       " prev, hash FROM audit WHERE seq > ? ORDER BY seq"
                                       " LIMIT 1000",
                                err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, after);
        int k, rows = 0, stop = 0;
        while (!stop && (k = ad_step(s, err)) > 0) {
            ad_audit_row r;
            memset(&r, 0, sizeof r);
            r.seq = ad_col_int(s, 0);
            r.time = ad_col_int(s, 1);
            r.who = ad_col_text(s, 2);
            r.agency_id = ad_col_null(s, 3) ? 0 : ad_col_int(s, 3);
            r.action = ad_col_text(s, 4);
            r.object = ad_col_text(s, 5);
            r.detail = ad_col_text(s, 6);
            size_t n;
            const uint8_t *p = ad_col_blob(s, 7, &n);
            if (p && n == 32)
                memcpy(r.prev, p, 32);
            p = ad_col_blob(s, 8, &n);
            if (p && n == 32)
                memcpy(r.hash, p, 32);
            after = r.seq;
            rows++;
            if (fn(ctx, &r) || (limit && ++done >= limit))
                stop = 1;
        }
        ad_db_done(s);
        if (k < 0 && !stop)
            return (ad_code)-k;
        if (stop || rows < 1000)
            return AD_OK;
    }
}

static ad_code audit_walk(ad_store *st, int64_t after, int64_t limit, ad_audit_fn fn, void *ctx,
                          ad_err *err)
{
    return audit_walk_dir(st, after, 0, limit, fn, ctx, err);
}

ad_code ad_store_audit_list_desc(ad_store *st, int64_t before, int64_t limit, ad_audit_fn fn,
                                 void *ctx, ad_err *err)
{
    return audit_walk_dir(st, before > 0 ? before : INT64_MAX, 1, limit, fn, ctx, err);
}

ad_code ad_store_audit_list(ad_store *st, int64_t after, int64_t limit, ad_audit_fn fn, void *ctx,
                            ad_err *err)
{
    return audit_walk(st, after, limit, fn, ctx, err);
}

typedef struct {
    uint8_t prev[32];
    int64_t expect_seq, rows, broken;
    ad_err *err;
    ad_code rc;
} verify_ctx;

static int verify_row(void *p, const ad_audit_row *r)
{
    verify_ctx *v = p;
    uint8_t h[32];
    const char *why = NULL;
    if (r->seq != v->expect_seq)
        why = "sequence gap (a row was removed or inserted)";
    else if (memcmp(r->prev, v->prev, 32))
        why = "its previous-hash does not match the row before it";
    else if (row_hash(r, h, NULL) != AD_OK || memcmp(h, r->hash, 32))
        why = "its content does not match its hash (the row was edited)";
    if (why) {
        v->broken = r->seq;
        v->rc = ad_err_set(v->err, AD_ERR_CHECKSUM, "audit row %lld is broken: %s",
                           (long long)r->seq, why);
        return 1;
    }
    memcpy(v->prev, r->hash, 32);
    v->expect_seq++;
    v->rows++;
    return 0;
}

/* The guards of the chain (schema migrations 1 and 3): a chain whose guards were dropped or
 * disabled cannot be vouched for, even when it reads as intact. */
static ad_code check_guards(ad_store *st, ad_err *err)
{
    static const char *const sqlite_guards[] = {"audit_no_update", "audit_no_delete",
                                                "audit_head_no_delete", "audit_head_forward",
                                                "audit_linear", NULL};
    static const char *const pg_guards[] = {"audit_append_only",      "audit_no_truncate",
                                            "audit_head_no_truncate", "audit_head_no_delete",
                                            "audit_head_forward",     "audit_linear",
                                            NULL};
    const int pg = st->db->is_pg;
    const char *const *g = pg ? pg_guards : sqlite_guards;
    const char *sql = pg ? "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                           " WHERE t.tgname = ? AND c.relname IN ('audit', 'audit_head')"
                           " AND c.relnamespace = to_regnamespace(current_schema())::oid"
                           " AND t.tgenabled <> 'D'"
                         : "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?"
                           " AND tbl_name IN ('audit', 'audit_head')";
    for (; *g; g++) {
        ad_stmt *s = ad_db_stmt(st->db, sql, err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_text(s, 1, *g);
        int64_t n = 0;
        ad_code rc = ad_db_int(s, &n, err);
        if (rc != AD_OK)
            return rc;
        if (n != 1)
            return ad_err_set(err, AD_ERR_CHECKSUM,
                              "the audit chain's guard '%s' is %s: the chain may have been "
                              "altered behind it",
                              *g, pg ? "missing or disabled" : "missing");
    }
    return AD_OK;
}

static ad_code audit_verify(ad_store *st, int64_t *rows, int64_t *broken, uint8_t head[32],
                            ad_err *err);

ad_code ad_store_audit_verify(ad_store *st, int64_t *rows, int64_t *broken, uint8_t head[32],
                              ad_err *err)
{
    /* The rows and the head are read in one snapshot, without the writers' lock: walked in
     * pages outside a transaction, a commit of another writer between the last page and the
     * head looked like rows cut from the end (a false alarm while others ingest). */
    if (st->depth > 0)
        return audit_verify(st, rows, broken, head, err);
    ad_db *db = st->db;
    ad_code rc =
        db->ops->exec(db, db->is_pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN",
                      err);
    if (rc != AD_OK)
        return rc;
    rc = audit_verify(st, rows, broken, head, err);
    db->ops->exec(db, "ROLLBACK", NULL); /* it only read */
    return rc;
}

static ad_code audit_verify(ad_store *st, int64_t *rows, int64_t *broken, uint8_t head[32],
                            ad_err *err)
{
    verify_ctx v;
    memset(&v, 0, sizeof v);
    v.expect_seq = 1;
    v.err = err;
    ad_code rc = audit_walk(st, 0, 0, verify_row, &v, err);
    if (rc == AD_OK)
        rc = v.rc;
    if (rc == AD_OK) {
        /* the head must name the last row: a truncated tail shows here */
        ad_stmt *s = ad_db_stmt(st->db, "SELECT seq, hash FROM audit_head WHERE id = 1", err);
        if (!s)
            return AD_ECODE(err);
        if (ad_step(s, err) > 0) {
            size_t n;
            const uint8_t *h = ad_col_blob(s, 1, &n);
            int64_t seq = ad_col_int(s, 0);
            if (seq != v.rows || (v.rows && (!h || n != 32 || memcmp(h, v.prev, 32)))) {
                v.broken = v.rows + 1;
                rc = ad_err_set(err, AD_ERR_CHECKSUM,
                                "audit head (row %lld) does not match the last row %lld: rows "
                                "were removed from the end",
                                (long long)seq, (long long)v.rows);
            }
        }
        ad_db_done(s);
    }
    if (rc == AD_OK)
        rc = check_guards(st, err);
    if (rows)
        *rows = v.rows;
    if (broken)
        *broken = v.broken;
    if (head)
        memcpy(head, v.prev, 32);
    return rc;
}

ad_code ad_store_audit_head(ad_store *st, int64_t *seq, uint8_t hash[32], ad_err *err)
{
    *seq = 0;
    memset(hash, 0, 32);
    ad_stmt *s = ad_db_stmt(st->db, "SELECT seq, hash FROM audit_head WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    if (k > 0) {
        size_t n = 0;
        const uint8_t *h = ad_col_blob(s, 1, &n);
        *seq = ad_col_int(s, 0);
        if (h && n == 32)
            memcpy(hash, h, 32);
    }
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    return k > 0 ? AD_OK : ad_err_set(err, AD_ERR_CORRUPT, "audit head missing");
}

ad_code ad_store_audit_anchor(ad_store *st, int64_t seq, const uint8_t hash[32], ad_err *err)
{
    if (seq <= 0)
        return ad_err_set(err, AD_ERR_ARG, "an audit anchor names a row (seq >= 1)");
    ad_stmt *s = ad_db_stmt(st->db, "SELECT hash FROM audit WHERE seq = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, seq);
    int k = ad_step(s, err);
    int same = 0;
    if (k > 0) {
        size_t n = 0;
        const uint8_t *h = ad_col_blob(s, 0, &n);
        same = h && n == 32 && !memcmp(h, hash, 32);
    }
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    if (k == 0)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "anchored audit row %lld is gone: the chain was cut back after the "
                          "anchor was recorded",
                          (long long)seq);
    if (!same)
        return ad_err_set(err, AD_ERR_CHECKSUM,
                          "anchored audit row %lld has another hash: the chain was rewritten up "
                          "to it after the anchor was recorded",
                          (long long)seq);
    return AD_OK;
}
