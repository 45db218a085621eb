/* store.c: opening a store (URL to back end), transactions with nesting by savepoints, and
 * helpers shared by the record files. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

int64_t ad_store_time(void)
{
    return (int64_t)time(NULL);
}

const char *ad_store_resolve_url(const char *url)
{
    if (url && *url)
        return url;
    const char *env = getenv("ARIADNE_DB");
    if (env && *env)
        return env;
    return AD_STORE_DEFAULT_URL;
}

static int is_pg_url(const char *url)
{
    return !strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11);
}

/* Length of url's scheme ("mysql" in "mysql://..."), 0 if it has none: letters, digits, '+',
 * '-', '.', starting with a letter, then ':'. A file path holding a ':' before any '/' is given
 * as ./PATH or sqlite:PATH. */
static size_t scheme_len(const char *url)
{
    size_t n = 0;
    if (!isalpha((unsigned char)url[0]))
        return 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' || url[n] == '.')
        n++;
    return url[n] == ':' ? n : 0;
}

ad_code ad_store_url_check(const char *url, ad_err *err)
{
    url = ad_store_resolve_url(url);
    if (is_pg_url(url))
        return ad_db_check_pg(url, err);
    size_t n = scheme_len(url);
    if (n == 6 && !strncmp(url, "sqlite", 6))
        return url[7] ? AD_OK
                      : ad_err_set(err, AD_ERR_ARG,
                                   "database URL 'sqlite:' names no file "
                                   "(sqlite:PATH)");
    if (n)
        return ad_err_set(err, AD_ERR_ARG,
                          "unsupported database URL scheme '%.*s:' (Ariadne opens sqlite:PATH, "
                          "a file PATH or postgresql://...)",
                          (int)n, url);
    return *url ? AD_OK : ad_err_set(err, AD_ERR_ARG, "empty database URL");
}

/* Copies at most n bytes of s to the end of out (size cap), always terminated. */
static void put(char *out, size_t cap, const char *s, size_t n)
{
    size_t len = strlen(out);
    if (len + 1 >= cap)
        return;
    if (n > cap - 1 - len)
        n = cap - 1 - len;
    memcpy(out + len, s, n);
    out[len + n] = '\0';
}

const char *ad_store_url_redact(const char *url, char *out, size_t cap)
{
    if (!cap)
        return out;
    out[0] = '\0';
    if (!url)
        return out;
    const char *p = strstr(url, "://");
    if (!p) {
        put(out, cap, url, strlen(url));
        return out;
    }
    p += 3;
    put(out, cap, url, (size_t)(p - url));
    /* authority: [user[:password]@]host...; it ends at the first '/', '?' or '#' */
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < p + alen; q++)
        if (*q == '@')
            at = q; /* the last '@': a password may hold one */
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        put(out, cap, p, (size_t)((colon ? colon : at) - p));
        p = at; /* "@host..." follows */
        alen = strcspn(p, "/?#");
    }
    put(out, cap, p, alen);
    p += alen;
    /* path, then the query without any password=... parameter */
    size_t plen = strcspn(p, "?#");
    put(out, cap, p, plen);
    p += plen;
    if (*p == '?') {
        p++;
        int first = 1;
        while (*p && *p != '#') {
            size_t n = strcspn(p, "&#");
            if (!(n >= 9 && !strncmp(p, "password=", 9))) {
                put(out, cap, first ? "?" : "&", 1);
                put(out, cap, p, n);
                first = 0;
            }
            p += n;
            if (*p == '&')
                p++;
        }
    }
    put(out, cap, p, strlen(p));
    return out;
}

ad_code ad_store_open(ad_store **out, const char *url, int flags, ad_err *err)
{
    *out = NULL;
    url = ad_store_resolve_url(url);
    ad_code rc = ad_store_url_check(url, err);
    if (rc != AD_OK)
        return rc;
    ad_store *st = calloc(1, sizeof *st);
    if (!st)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    snprintf(st->url, sizeof st->url, "%s", url);
    snprintf(st->who, sizeof st->who, "local");
    if (is_pg_url(url))
        rc = ad_db_open_pg(&st->db, url, err);
    else
        rc = ad_db_open_sqlite(&st->db, !strncmp(url, "sqlite:", 7) ? url + 7 : url,
                               flags & AD_STORE_CREATE, err);
    if (rc == AD_OK) {
        rc = ad_schema_migrate(st, flags & AD_STORE_CREATE, err);
        if (rc != AD_OK) {
            char shown[AD_STORE_URL_MAX];
            ad_err_prefix(err, "%s", ad_store_url_redact(url, shown, sizeof shown));
        }
    }
    st->serialised = 1;
    if (rc != AD_OK) {
        ad_store_close(st);
        return rc;
    }
    *out = st;
    return AD_OK;
}

ad_code ad_store_check(ad_store *st, int full, ad_err *err)
{
    if (st->db->is_pg)
        return AD_OK;
    /* (1): stop at the first problem; its text may begin with a "*** in database main ***"
     * line, which is left out */
    ad_stmt *s =
        ad_db_stmt(st->db, full ? "PRAGMA integrity_check(1)" : "PRAGMA quick_check(1)", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    ad_code rc = k < 0 ? (ad_code)-k : AD_OK;
    if (k > 0) {
        const char *first = ad_col_text(s, 0);
        if (!first || strcmp(first, "ok")) {
            const char *p = first ? first : "no answer";
            while (!strncmp(p, "***", 3) && strchr(p, '\n'))
                p = strchr(p, '\n') + 1;
            rc = ad_err_set(err, AD_ERR_CORRUPT,
                            "the database file is damaged (%.*s); restore it from a backup",
                            (int)strcspn(p, "\n"), p);
        }
    }
    ad_db_done(s);
    return rc;
}

void ad_store_close(ad_store *st)
{
    if (!st)
        return;
    if (st->db) {
        if (st->depth > 0)
            st->db->ops->exec(st->db, "ROLLBACK", NULL);
        ad_store_media_ix_forget(st);
        st->db->ops->close(st->db);
    }
    free(st);
}

/* s into dst (cap bytes), cut to fit, NUL-ended (snprintf's "%s" without printf: the server
 * sets the actor for every request). */
static void copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = 0;
}

void ad_store_set_origin(ad_store *st, const char *origin)
{
    copy_cut(st->origin, sizeof st->origin, origin ? origin : "");
}

const char *ad_store_backend(const ad_store *st)
{
    return st->db->ops->name;
}

void ad_store_set_actor(ad_store *st, const char *who, int64_t agency_id)
{
    copy_cut(st->who, sizeof st->who, who && *who ? who : "local");
    st->agency_id = agency_id;
}

int64_t ad_store_actor_agency(const ad_store *st)
{
    return st->agency_id;
}

void ad_store_set_read_sink(ad_store *st, ad_read_sink fn, void *ctx)
{
    st->read_sink = fn;
    st->read_sink_ctx = fn ? ctx : NULL;
}

ad_code ad_store_begin_read(ad_store *st, ad_err *err)
{
    return st->read_sink ? AD_OK : ad_store_begin(st, err);
}

ad_code ad_store_finish_read(ad_store *st, ad_code rc, ad_err *err)
{
    return st->read_sink ? rc : ad_store_finish(st, rc, err);
}

void ad_identity_local(ad_identity *id, const char *who, int64_t agency_id)
{
    memset(id, 0, sizeof *id);
    snprintf(id->user, sizeof id->user, "%s", who && *who ? who : "local");
    id->agency_id = agency_id;
    id->role = AD_ROLE_ADMIN;
    id->local = 1;
}

void ad_identity_of_user(ad_identity *id, const ad_user *u)
{
    memset(id, 0, sizeof *id);
    id->user_id = u->id;
    snprintf(id->user, sizeof id->user, "%s", u->name ? u->name : "");
    id->agency_id = u->agency_id;
    snprintf(id->agency, sizeof id->agency, "%s", u->agency_name ? u->agency_name : "");
    id->role = u->role;
    snprintf(id->key_id, sizeof id->key_id, "%s", u->key_id ? u->key_id : "");
}

void ad_store_set_identity(ad_store *st, const ad_identity *id)
{
    if (!id || id->local)
        return;
    ad_store_set_actor(st, id->user, id->agency_id);
    char origin[32] = "key:";
    copy_cut(origin + 4, sizeof origin - 4, id->key_id);
    ad_store_set_origin(st, id->key_id[0] ? origin : NULL);
}

ad_code ad_store_set_cache(ad_store *st, uint64_t bytes, ad_err *err)
{
    if (st->db->is_pg)
        return AD_OK;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%llu",
             (unsigned long long)(bytes / 1024 ? bytes / 1024 : 1));
    return st->db->ops->exec(st->db, sql, err);
}

/* Savepoint names are ours (depth numbers), never user text. */
static ad_code tx_exec(ad_store *st, const char *verb, int depth, ad_err *err)
{
    char sql[64];
    if (depth < 0)
        snprintf(sql, sizeof sql, "%s", verb);
    else
        snprintf(sql, sizeof sql, "%s ad_sp%d", verb, depth);
    return st->db->ops->exec(st->db, sql, err);
}

/* Nested levels opened by ad_store_begin_batch have no savepoint (bit set in st->plain). */
static int plain_level(const ad_store *st, int depth)
{
    return depth < 64 && (st->plain >> depth) & 1;
}

static ad_code begin(ad_store *st, int plain, ad_err *err)
{
    ad_code rc = AD_OK;
    if (st->depth == 0) {
        /* Writers are serialised from the start of their transaction, so that a lookup and the
         * insert it decides are never split by another writer's commit (two ingests of the same
         * files merge instead of failing on a unique key). SQLite: BEGIN IMMEDIATE takes the
         * write lock. PostgreSQL: the audit head's row lock, which every transaction takes
         * anyway when it appends its audit row, is taken first; one lock, one order: no
         * deadlock between writers. */
        rc = tx_exec(st, st->db->is_pg ? "BEGIN" : "BEGIN IMMEDIATE", -1, err);
        if (rc == AD_OK && st->db->is_pg && st->serialised) {
            rc = st->db->ops->exec(st->db, "SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE", err);
            if (rc != AD_OK)
                tx_exec(st, "ROLLBACK", -1, NULL);
        }
        st->plain = 0;
        st->doomed = 0;
    } else if (plain && st->depth < 64) {
        st->plain |= 1ull << st->depth;
    } else {
        rc = tx_exec(st, "SAVEPOINT", st->depth, err);
    }
    if (rc == AD_OK)
        st->depth++;
    return rc;
}

ad_code ad_store_begin(ad_store *st, ad_err *err)
{
    return begin(st, 0, err);
}

ad_code ad_store_begin_batch(ad_store *st, ad_err *err)
{
    return begin(st, 1, err);
}

ad_code ad_store_commit(ad_store *st, ad_err *err)
{
    if (st->depth <= 0)
        return ad_err_set(err, AD_ERR_ARG, "commit without a transaction");
    if (st->depth > 1) {
        st->depth--;
        if (plain_level(st, st->depth)) {
            st->plain &= ~(1ull << st->depth);
            return AD_OK;
        }
        return tx_exec(st, "RELEASE SAVEPOINT", st->depth, err);
    }
    st->depth = 0;
    if (st->doomed) {
        tx_exec(st, "ROLLBACK", -1, NULL);
        return ad_err_set(err, AD_ERR_DB,
                          "transaction rolled back: a batch call inside it had failed");
    }
    ad_code rc = tx_exec(st, "COMMIT", -1, err);
    if (rc != AD_OK)
        tx_exec(st, "ROLLBACK", -1, NULL);
    return rc;
}

ad_code ad_store_rollback(ad_store *st, ad_err *err)
{
    if (st->depth <= 0)
        return ad_err_set(err, AD_ERR_ARG, "rollback without a transaction");
    if (st->depth > 1) {
        st->depth--;
        if (plain_level(st, st->depth)) {
            /* nothing to roll back to: the whole transaction must go */
            st->plain &= ~(1ull << st->depth);
            st->doomed = 1;
            return AD_OK;
        }
        ad_code rc = tx_exec(st, "ROLLBACK TO SAVEPOINT", st->depth, err);
        if (rc == AD_OK)
            rc = tx_exec(st, "RELEASE SAVEPOINT", st->depth, err);
        return rc;
    }
    st->depth = 0;
    return tx_exec(st, "ROLLBACK", -1, err);
}

ad_code ad_store_finish(ad_store *st, ad_code rc, ad_err *err)
{
    if (rc == AD_OK)
        return ad_store_commit(st, err);
    ad_store_rollback(st, NULL);
    return rc;
}

void ad_col_copy(ad_stmt *s, int i, char *out, size_t size)
{
    const char *t = ad_col_text(s, i);
    snprintf(out, size, "%s", t ? t : "");
}

int64_t ad_parse_id(const char *s)
{
    if (!s || !*s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*end || v <= 0) ? 0 : (int64_t)v;
}

ad_code ad_store_rows(ad_store *st, const char *sql, int64_t id, ad_row_fn row, void *ctx,
                      ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    if (id)
        ad_bind_int(s, 1, id);
    int r;
    while ((r = ad_step(s, err)) > 0)
        if (row(ctx, s))
            break;
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : AD_OK;
}

ad_code ad_store_op(ad_store *st, const char *sql, ad_stmt **s, ad_err *err)
{
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    if (!(*s = ad_db_stmt(st->db, sql, err))) {
        rc = AD_ECODE(err);
        ad_store_rollback(st, NULL);
    }
    return rc;
}

ad_code ad_store_find_id(ad_store *st, const char *by_id, const char *by_name, const char *what,
                         const char *key, int64_t *id, ad_err *err)
{
    int64_t n = ad_parse_id(key);
    ad_stmt *s = ad_db_stmt(st->db, n ? by_id : by_name, err);
    if (!s)
        return AD_ECODE(err);
    if (n)
        ad_bind_int(s, 1, n);
    else
        ad_bind_text(s, 1, key ? key : "");
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no %s '%s'", what, key ? key : "");
    return rc;
}
