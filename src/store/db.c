/* db.c: the statement cache and small helpers shared by both SQL back ends. */
#include "db.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const char *key)
{
    uintptr_t p = (uintptr_t)key;
    return (size_t)((p >> 3) * 2654435761u) % AD_DB_CACHE;
}

ad_stmt *ad_db_stmt(ad_db *db, const char *sql, ad_err *err)
{
    size_t i = slot_of(sql);
    for (size_t n = 0; n < AD_DB_CACHE; n++, i = (i + 1) % AD_DB_CACHE) {
        if (db->cache[i].key == sql) {
            ad_stmt *s = db->cache[i].stmt;
            if (s->busy)
                break; /* in use further up the stack: a fresh one */
            s->busy = 1;
            return s;
        }
        if (!db->cache[i].key) {
            ad_stmt *s = NULL;
            if (db->ops->prepare(db, sql, 1, &s, err) != AD_OK)
                return NULL;
            s->key = sql;
            s->busy = 1;
            db->cache[i].key = sql;
            db->cache[i].stmt = s;
            return s;
        }
    }
    ad_stmt *s = NULL;
    if (db->ops->prepare(db, sql, 0, &s, err) != AD_OK)
        return NULL;
    s->key = NULL;
    s->busy = 1;
    return s;
}

void ad_db_done(ad_stmt *s)
{
    if (!s)
        return;
    s->db->ops->reset(s);
    s->busy = 0;
    if (!s->key)
        s->db->ops->finalize(s);
}

void ad_db_cache_clear(ad_db *db)
{
    for (size_t i = 0; i < AD_DB_CACHE; i++) {
        if (db->cache[i].key) {
            db->ops->finalize(db->cache[i].stmt);
            db->cache[i].key = NULL;
            db->cache[i].stmt = NULL;
        }
    }
}

void ad_bind_text_opt(ad_stmt *s, int i, const char *v)
{
    if (v)
        ad_bind_text(s, i, v);
    else
        ad_bind_null(s, i);
}

void ad_bind_id_opt(ad_stmt *s, int i, int64_t v)
{
    if (v)
        ad_bind_int(s, i, v);
    else
        ad_bind_null(s, i);
}

ad_code ad_db_run(ad_stmt *s, ad_err *err)
{
    int r;
    while ((r = ad_step(s, err)) > 0)
        ;
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : AD_OK;
}

ad_code ad_db_many(ad_db *db, const char *sql, size_t n, ad_many_bind bind, ad_many_row row,
                   void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_code rc = AD_OK;
    if (db->ops->many && s->key) {
        rc = db->ops->many(s, n, bind, row, ctx, err);
    } else {
        for (size_t i = 0; i < n && rc == AD_OK; i++) {
            bind(ctx, s, i);
            int k;
            while ((k = ad_step(s, err)) > 0)
                if (row)
                    row(ctx, s, i);
            if (k < 0)
                rc = (ad_code)-k;
            db->ops->reset(s);
        }
    }
    ad_db_done(s);
    return rc;
}

ad_code ad_db_int(ad_stmt *s, int64_t *v, ad_err *err)
{
    int r = ad_step(s, err);
    ad_code rc = AD_OK;
    if (r > 0) {
        if (v)
            *v = ad_col_int(s, 0);
    } else if (r == 0) {
        rc = AD_ERR_NOT_FOUND;
        ad_err_set(err, rc, "not found");
    } else {
        rc = (ad_code)-r;
    }
    ad_db_done(s);
    return rc;
}

int ad_db_lock_wait(void)
{
    const char *v = getenv("ARIADNE_LOCK_WAIT");
    if (!v || !*v || strspn(v, "0123456789") != strlen(v))
        return AD_DB_LOCK_WAIT; /* digits only: no sign, no blanks */
    errno = 0;
    long s = strtol(v, NULL, 10);
    return errno == 0 && s >= 1 && s <= 86400 ? (int)s : AD_DB_LOCK_WAIT;
}
