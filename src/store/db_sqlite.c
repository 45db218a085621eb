/* db_sqlite.c: the SQLite back end of the SQL driver: one file, WAL, foreign keys on. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/util.h"
#include "db.h"

typedef struct {
    ad_db base;
    sqlite3 *h;
    int lock_wait; /* seconds a writer waits for another's write lock */
} sq_db;

/* A plain `INSERT ... RETURNING id` runs without its RETURNING clause (which costs SQLite half
 * as much again as the insert: it buffers the rows in a temporary table) and shows the new
 * rowid as its one row. */
typedef struct {
    ad_stmt base;
    sqlite3_stmt *st;
    int rowid_mode, state; /* state: 0 not run, 1 row shown */
    int64_t rowid;
} sq_stmt;

static const char returning_id[] = " RETURNING id";

static int plain_insert_returning_id(const char *sql)
{
    size_t n = strlen(sql), r = sizeof returning_id - 1;
    return !strncmp(sql, "INSERT INTO ", 12) && !strstr(sql, "ON CONFLICT") && n > r &&
           !strcmp(sql + n - r, returning_id);
}

/* An SQLite error as a code and a message for a person; the faults an operator meets (another
 * writer holding the lock too long, a full disk, a damaged file) say so and what to do. */
static ad_code sq_error(sq_db *db, int rc, ad_err *err)
{
    sqlite3 *h = db->h;
    int ext = sqlite3_extended_errcode(h);
    const char *msg = sqlite3_errmsg(h);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ad_err_set(err, AD_ERR_TIMEOUT,
                          "sqlite: %s: another program has held the database's write lock for "
                          "more than %d s (ARIADNE_LOCK_WAIT); nothing of this transaction was "
                          "written, run the command again",
                          msg, db->lock_wait);
    case SQLITE_FULL:
        return ad_err_set(err, AD_ERR_IO,
                          "sqlite: %s: no space left for the database or its journal; nothing "
                          "of this transaction was written, free some space and run the command "
                          "again",
                          msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return ad_err_set(err, AD_ERR_CORRUPT,
                          "sqlite: %s: the database file is damaged ('ariadne audit verify' "
                          "checks all of it); restore it from a backup",
                          msg);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return ad_err_set(err, AD_ERR_IO, "sqlite: %s (%s)", msg,
                          strerror(sqlite3_system_errno(h)));
    case SQLITE_READONLY:
        return ad_err_set(err, AD_ERR_PERM, "sqlite: %s", msg);
    case SQLITE_NOMEM:
        return ad_err_set(err, AD_ERR_NOMEM, "sqlite: %s", msg);
    }
    ad_code code = AD_ERR_DB;
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = AD_ERR_EXISTS;
    else if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = AD_ERR_NOT_FOUND;
    else if (ext == SQLITE_CONSTRAINT_CHECK || ext == SQLITE_CONSTRAINT_NOTNULL)
        code = AD_ERR_ARG;
    return ad_err_set(err, code, "sqlite: %s", msg);
}

static ad_code sq_exec(ad_db *db, const char *sql, ad_err *err)
{
    int rc = sqlite3_exec(((sq_db *)db)->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? AD_OK : sq_error((sq_db *)db, rc, err);
}

static ad_code sq_prepare(ad_db *db, const char *sql, int cached, ad_stmt **out, ad_err *err)
{
    sqlite3 *h = ((sq_db *)db)->h;
    sq_stmt *s = calloc(1, sizeof *s);
    if (!s)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    s->rowid_mode = plain_insert_returning_id(sql);
    int len = s->rowid_mode ? (int)(strlen(sql) - (sizeof returning_id - 1)) : -1;
    int rc = sqlite3_prepare_v3(h, sql, len, cached ? SQLITE_PREPARE_PERSISTENT : 0, &s->st, NULL);
    if (rc != SQLITE_OK) {
        free(s);
        return sq_error((sq_db *)db, rc, err);
    }
    s->base.db = db;
    *out = &s->base;
    return AD_OK;
}

static void sq_finalize(ad_stmt *s)
{
    sqlite3_finalize(((sq_stmt *)s)->st);
    free(s);
}

#define ST(s) (((sq_stmt *)(s))->st)

static void sq_bind_null(ad_stmt *s, int i)
{
    sqlite3_bind_null(ST(s), i);
}
static void sq_bind_int(ad_stmt *s, int i, int64_t v)
{
    sqlite3_bind_int64(ST(s), i, v);
}
static void sq_bind_text(ad_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(ST(s), i, v, -1, SQLITE_STATIC);
}
static void sq_bind_blob(ad_stmt *s, int i, const void *v, size_t n)
{
    sqlite3_bind_blob(ST(s), i, v, (int)n, SQLITE_STATIC);
}

static int sq_step(ad_stmt *s, ad_err *err)
{
    sq_stmt *q = (sq_stmt *)s;
    if (q->rowid_mode && q->state)
        return 0;
    int rc = sqlite3_step(ST(s));
    if (q->rowid_mode && rc == SQLITE_DONE) {
        q->state = 1;
        q->rowid = sqlite3_last_insert_rowid(((sq_db *)s->db)->h);
        return 1;
    }
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return -(int)sq_error((sq_db *)s->db, rc, err);
}

static int sq_col_null(ad_stmt *s, int i)
{
    return ((sq_stmt *)s)->rowid_mode ? 0 : sqlite3_column_type(ST(s), i) == SQLITE_NULL;
}
static int64_t sq_col_int(ad_stmt *s, int i)
{
    return ((sq_stmt *)s)->rowid_mode ? ((sq_stmt *)s)->rowid : sqlite3_column_int64(ST(s), i);
}
static const char *sq_col_text(ad_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(ST(s), i);
}
static const uint8_t *sq_col_blob(ad_stmt *s, int i, size_t *n)
{
    const uint8_t *p = sqlite3_column_blob(ST(s), i);
    *n = (size_t)sqlite3_column_bytes(ST(s), i);
    return p;
}
static void sq_reset(ad_stmt *s)
{
    ((sq_stmt *)s)->state = 0;
    sqlite3_reset(ST(s));
    sqlite3_clear_bindings(ST(s));
}

static void sq_close(ad_db *db)
{
    ad_db_cache_clear(db);
    sqlite3_close(((sq_db *)db)->h);
    free(db);
}

static const ad_db_ops sq_ops = {
    "sqlite",     sq_exec,      sq_prepare, sq_finalize, sq_bind_null, sq_bind_int,
    sq_bind_text, sq_bind_blob, sq_step,    sq_col_null, sq_col_int,   sq_col_text,
    sq_col_blob,  sq_reset,     sq_close,   NULL, /* many: stepping in turn is already fast */
    NULL, /* copy: PostgreSQL's only */
};

/* The folder part of path into buf ("." when it has none). */
static const char *folder_of(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    snprintf(buf, n, "%.*s", (int)len, path);
    return buf;
}

/* Says, before SQLite tries, why path cannot be opened (or created): a missing folder or file,
 * a folder, a device or FIFO (reading one could block forever), no permission to read or to
 * write (every command writes the audit trail; SQLite keeps its -wal and -shm files beside the
 * database). */
static ad_code check_path(const char *path, int create, ad_err *err)
{
    char buf[4096];
    const char *dir = folder_of(path, buf, sizeof buf);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return ad_err_set(err, errno == EACCES ? AD_ERR_PERM : AD_ERR_IO, "%s: %s", path,
                              strerror(errno));
        struct stat ds;
        if (stat(dir, &ds) != 0)
            return errno == ENOENT ? ad_err_set(err, AD_ERR_NOT_FOUND,
                                                "%s: folder %s does not exist", path, dir)
                                   : ad_err_set(err, AD_ERR_IO, "%s: folder %s: %s", path, dir,
                                                strerror(errno));
        if (!S_ISDIR(ds.st_mode))
            return ad_err_set(err, AD_ERR_NOT_FOUND, "%s: %s is not a folder", path, dir);
        if (!create)
            return ad_err_set(err, AD_ERR_NOT_FOUND,
                              "%s: no such database file (run 'ariadne db init' to create it)",
                              path);
        if (access(dir, W_OK | X_OK) != 0)
            return ad_err_set(err, AD_ERR_PERM,
                              "%s: cannot create it: no permission to write "
                              "in folder %s",
                              path, dir);
        return AD_OK;
    }
    if (S_ISDIR(st.st_mode))
        return ad_err_set(err, AD_ERR_ARG, "%s is a folder, not a database file", path);
    if (!S_ISREG(st.st_mode))
        return ad_err_set(err, AD_ERR_ARG, "%s is not a regular file (a device or FIFO)", path);
    if (access(path, R_OK) != 0)
        return ad_err_set(err, AD_ERR_PERM, "%s: cannot read the database file: %s", path,
                          strerror(errno));
    if (access(path, W_OK) != 0)
        return ad_err_set(err, AD_ERR_PERM,
                          "%s: cannot write the database file (%s): Ariadne records every "
                          "command in its audit trail",
                          path, strerror(errno));
    if (access(dir, W_OK | X_OK) != 0)
        return ad_err_set(err, AD_ERR_PERM,
                          "%s: cannot write in folder %s, where SQLite keeps its journal", path,
                          dir);
    return AD_OK;
}

ad_code ad_db_open_sqlite(ad_db **out, const char *path, int create, ad_err *err)
{
    ad_code c = check_path(path, create, err);
    if (c != AD_OK)
        return c;
    sq_db *db = calloc(1, sizeof *db);
    if (!db)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* a new database is created private (0600): SQLite's own default is 0644; its journal and
     * WAL files take the database file's mode */
    if (create && (c = ad_file_touch_private(path, err)) != AD_OK) {
        free(db);
        return c;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
    if (rc != SQLITE_OK) {
        c = db->h ? sq_error(db, rc, err) : ad_err_set(err, AD_ERR_NOMEM, "sqlite");
        ad_err_prefix(err, "%s", path);
        sqlite3_close(db->h);
        free(db);
        return c;
    }
    db->base.ops = &sq_ops;
    /* Writers take the write lock first (BEGIN IMMEDIATE) and wait for another's transaction;
     * an import holds it for its whole run, so the wait is long (ad_db_lock_wait) */
    db->lock_wait = ad_db_lock_wait();
    sqlite3_busy_timeout(db->h, db->lock_wait * 1000);
    c = sq_exec(&db->base,
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; "
                "",
                err);
    if (c != AD_OK) {
        int ext = sqlite3_errcode(db->h);
        if (ext == SQLITE_NOTADB)
            c = ad_err_set(err, AD_ERR_CORRUPT, "%s is not an SQLite database file", path);
        else if (ext == SQLITE_CORRUPT)
            c = ad_err_set(err, AD_ERR_CORRUPT, "%s is a damaged SQLite database", path);
        else
            ad_err_prefix(err, "%s", path);
        sq_close(&db->base);
        return c;
    }
    *out = &db->base;
    return AD_OK;
}
