/* db.h: the store's SQL driver interface (internal). Each back end (db_sqlite.c, db_pg.c) fills
 * one ad_db_ops table; everything above it (records, audit, migrations) is written once in the
 * SQL both understand, with `?` placeholders (rewritten to $n for PostgreSQL). Statements are
 * cached per SQL text pointer; a statement is taken with ad_db_stmt and given back with
 * ad_db_done. */
#ifndef AD_STORE_DB_H
#define AD_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ariadne/error.h"

typedef struct ad_db ad_db;
typedef struct ad_stmt ad_stmt;

#define AD_DB_MAX_PARAMS 32
/* A text repeated 2^k times, at compile time (the rows of a multi-row VALUES list). */
#define AD_SQL_X2(a) a a
#define AD_SQL_X4(a) AD_SQL_X2(AD_SQL_X2(a))
#define AD_SQL_X8(a) AD_SQL_X2(AD_SQL_X4(a))
#define AD_SQL_X16(a) AD_SQL_X2(AD_SQL_X8(a))
#define AD_SQL_X32(a) AD_SQL_X2(AD_SQL_X16(a))

/* The code left in an ad_err that may be NULL. */
#define AD_ECODE(err) ((err) ? (err)->code : AD_ERR_DB)

/* Common head of every back end's statement. */
struct ad_stmt {
    ad_db *db;
    const char *key; /* SQL pointer it is cached under, NULL if not cached */
    int busy;
};

typedef struct ad_db_ops {
    const char *name;
    /* Runs SQL without parameters (may hold several statements). */
    ad_code (*exec)(ad_db *db, const char *sql, ad_err *err);
    ad_code (*prepare)(ad_db *db, const char *sql, int cached, ad_stmt **out, ad_err *err);
    void (*finalize)(ad_stmt *s);
    /* Parameters are numbered from 1; bound memory must outlive the last step. */
    void (*bind_null)(ad_stmt *s, int i);
    void (*bind_int)(ad_stmt *s, int i, int64_t v);
    void (*bind_text)(ad_stmt *s, int i, const char *v);
    void (*bind_blob)(ad_stmt *s, int i, const void *v, size_t n);
    /* 1 = a row, 0 = done, error code negated (< 0) with err filled. */
    int (*step)(ad_stmt *s, ad_err *err);
    /* Columns are numbered from 0; values valid until the next step or reset. */
    int (*col_null)(ad_stmt *s, int i);
    int64_t (*col_int)(ad_stmt *s, int i);
    const char *(*col_text)(ad_stmt *s, int i);
    const uint8_t *(*col_blob)(ad_stmt *s, int i, size_t *n);
    void (*reset)(ad_stmt *s);
    void (*close)(ad_db *db);
    /* Optional: runs s once per item with one round trip per chunk of items (see ad_db_many). */
    ad_code (*many)(ad_stmt *s, size_t n, void (*bind)(void *, ad_stmt *, size_t),
                    int (*row)(void *, ad_stmt *, size_t), void *ctx, ad_err *err);
    /* Optional (PostgreSQL): runs `sql`, a COPY ... FROM STDIN, with data (len bytes of COPY's
     * text format, ad_copy_buf) as its input. */
    ad_code (*copy)(ad_db *db, const char *sql, const char *data, size_t len, ad_err *err);
} ad_db_ops;

#define AD_DB_CACHE 512

struct ad_db {
    const ad_db_ops *ops;
    int is_pg;
    struct {
        const char *key;
        ad_stmt *stmt;
    } cache[AD_DB_CACHE];
};

ad_code ad_db_open_sqlite(ad_db **out, const char *path, int create, ad_err *err);
ad_code ad_db_open_pg(ad_db **out, const char *conninfo, ad_err *err);
/* AD_ERR_ARG when libpq cannot parse the URL (message without the URL's password). */
ad_code ad_db_check_pg(const char *conninfo, ad_err *err);
/* How long a writer waits for another writer's transaction (SQLite's write lock, PostgreSQL's
 * row and table locks) before it gives up with AD_ERR_TIMEOUT, in seconds: $ARIADNE_LOCK_WAIT
 * (whole seconds, 1 to 86400), else AD_DB_LOCK_WAIT. An import holds the lock for its whole run
 * (one transaction): minutes for a list of millions, so the default is generous. */
#define AD_DB_LOCK_WAIT 600
int ad_db_lock_wait(void);
/* Finalizes cached statements; back ends call it from close. */
void ad_db_cache_clear(ad_db *db);

/* Takes the cached statement for `sql` (prepared on first use), or a fresh one when it is
 * already in use. NULL with err on failure. */
ad_stmt *ad_db_stmt(ad_db *db, const char *sql, ad_err *err);
/* Resets the statement and gives it back (finalizing it if it was not cached). */
void ad_db_done(ad_stmt *s);

/* Short forms over db->ops. */
#define ad_bind_null(s, i) ((s)->db->ops->bind_null((s), (i)))
#define ad_bind_int(s, i, v) ((s)->db->ops->bind_int((s), (i), (v)))
#define ad_bind_text(s, i, v) ((s)->db->ops->bind_text((s), (i), (v)))
#define ad_bind_blob(s, i, v, n) ((s)->db->ops->bind_blob((s), (i), (v), (n)))
#define ad_step(s, e) ((s)->db->ops->step((s), (e)))
#define ad_col_null(s, i) ((s)->db->ops->col_null((s), (i)))
#define ad_col_int(s, i) ((s)->db->ops->col_int((s), (i)))
#define ad_col_text(s, i) ((s)->db->ops->col_text((s), (i)))
#define ad_col_blob(s, i, n) ((s)->db->ops->col_blob((s), (i), (n)))

/* Runs `sql` once for each of n items: bind(ctx, s, i) binds item i's parameters, row(ctx, s, i)
 * (may be NULL) sees each row item i returns. PostgreSQL pipelines the items (one round trip per
 * few hundred); SQLite steps them in turn. Stops at the first error. */
typedef void (*ad_many_bind)(void *ctx, ad_stmt *s, size_t i);
typedef int (*ad_many_row)(void *ctx, ad_stmt *s, size_t i);
ad_code ad_db_many(ad_db *db, const char *sql, size_t n, ad_many_bind bind, ad_many_row row,
                   void *ctx, ad_err *err);

/* COPY's text format (db_copy.c), for PostgreSQL's bulk writes: rows of fields separated by a
 * tab, each row ended by a newline; NULL is \N; in text, a backslash, tab, newline and carriage
 * return are escaped, so no field can end its row or start another (a NUL cannot occur: text
 * fields are C strings, as bound text is); bytea as \\x and hex digits. Out of memory is kept
 * (oom) and reported by ad_db_copy. */
typedef struct {
    char *p;
    size_t len, cap;
    int col; /* fields written in the current row */
    int oom;
} ad_copy_buf;
void ad_copy_null(ad_copy_buf *b);
void ad_copy_int(ad_copy_buf *b, int64_t v);
void ad_copy_text(ad_copy_buf *b, const char *v); /* NULL: \N */
void ad_copy_bytea(ad_copy_buf *b, const void *v, size_t n);
void ad_copy_row_end(ad_copy_buf *b);
void ad_copy_free(ad_copy_buf *b);
/* Runs `sql` (COPY table (columns) FROM STDIN) with the rows of b, then empties b (keeping its
 * memory). AD_ERR_INTERNAL on a back end without COPY (SQLite). */
ad_code ad_db_copy(ad_db *db, const char *sql, ad_copy_buf *b, ad_err *err);

/* Binds text or NULL; an int64 or NULL when v == 0 (for optional foreign keys). */
void ad_bind_text_opt(ad_stmt *s, int i, const char *v);
void ad_bind_id_opt(ad_stmt *s, int i, int64_t v);

/* Runs a statement to completion (ignoring rows) and gives it back. */
ad_code ad_db_run(ad_stmt *s, ad_err *err);
/* Runs a statement expecting at most one row whose first column is an integer: AD_OK with *v,
 * AD_ERR_NOT_FOUND if no row. Gives the statement back. */
ad_code ad_db_int(ad_stmt *s, int64_t *v, ad_err *err);

#endif
