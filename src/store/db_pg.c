/* db_pg.c: the PostgreSQL back end of the SQL driver (libpq). `?` placeholders become $n;
 * parameters go as text (integers, strings) or binary (blobs); results come back as text, bytea
 * in its hex form, decoded here. Cached statements are prepared server-side once. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "db.h"

#define PG_MAX_COLS 40

typedef struct {
    ad_db base;
    PGconn *conn;
    unsigned next_name;
} pg_db;

typedef struct {
    ad_stmt base;
    char name[24];
    char *sql;
    int nparams, prepared, cached;
    const char *vals[AD_DB_MAX_PARAMS];
    int lens[AD_DB_MAX_PARAMS], fmts[AD_DB_MAX_PARAMS];
    char num[AD_DB_MAX_PARAMS][24];
    PGresult *res;
    int row, nrows;
    uint8_t *blob[PG_MAX_COLS];
    size_t blob_cap[PG_MAX_COLS];
} pg_stmt;

static void one_line(const char *m, char *out, size_t n);

/* A PostgreSQL error as a code and a message for a person; the faults an operator meets (the
 * server gone or restarted, another writer holding a lock too long) say so and what to do. */
static ad_code pg_result_error(PGresult *res, PGconn *conn, ad_err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = PQerrorMessage(conn);
    char line[400];
    one_line(msg, line, sizeof line);
    /* gone: the connection is down, or the server ends it (57P01 admin_shutdown on a stop or
     * restart, 57P02 crash_shutdown, 57P03 cannot_connect_now) or lost it (class 08) */
    if (PQstatus(conn) == CONNECTION_BAD ||
        (state && (!strncmp(state, "57P0", 4) || !strncmp(state, "08", 2))))
        return ad_err_set(err, AD_ERR_IO,
                          "postgresql: the connection to the server was lost (%s); nothing of the "
                          "open transaction was written",
                          line);
    ad_code code = AD_ERR_DB;
    if (state && !strcmp(state, "23505"))
        code = AD_ERR_EXISTS;
    else if (state && !strcmp(state, "23503"))
        code = AD_ERR_NOT_FOUND;
    else if (state && (!strcmp(state, "23514") || !strcmp(state, "23502")))
        code = AD_ERR_ARG;
    else if (state && !strcmp(state, "55P03")) /* lock_not_available: lock_timeout */
        return ad_err_set(err, AD_ERR_TIMEOUT,
                          "postgresql: %s: another writer has held the database for more than "
                          "%d s (ARIADNE_LOCK_WAIT); nothing of this transaction was written, "
                          "run the command again",
                          line, ad_db_lock_wait());
    return ad_err_set(err, code, "postgresql: %s", line);
}

static ad_code pg_exec(ad_db *db, const char *sql, ad_err *err)
{
    PGconn *c = ((pg_db *)db)->conn;
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    ad_code rc = AD_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = pg_result_error(r, c, err);
    PQclear(r);
    return rc;
}

/* Rewrites ? placeholders (outside quotes) to $1, $2, ... */
static char *pg_convert(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    int n = 0, quote = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'')
            quote = !quote;
        if (*p == '?' && !quote)
            o += sprintf(o, "$%d", ++n);
        else
            *o++ = *p;
    }
    *o = 0;
    *nparams = n;
    return out;
}

static ad_code pg_prepare(ad_db *db, const char *sql, int cached, ad_stmt **out, ad_err *err)
{
    pg_stmt *s = calloc(1, sizeof *s);
    if (!s || !(s->sql = pg_convert(sql, &s->nparams))) {
        free(s);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    if (s->nparams > AD_DB_MAX_PARAMS) {
        free(s->sql);
        free(s);
        return ad_err_set(err, AD_ERR_INTERNAL, "too many SQL parameters");
    }
    s->cached = cached;
    snprintf(s->name, sizeof s->name, "ad%u", ++((pg_db *)db)->next_name);
    s->base.db = db;
    *out = &s->base;
    return AD_OK;
}

static void pg_reset(ad_stmt *b)
{
    pg_stmt *s = (pg_stmt *)b;
    PQclear(s->res);
    s->res = NULL;
    s->row = s->nrows = 0;
    for (int i = 0; i < s->nparams; i++) {
        s->vals[i] = NULL;
        s->lens[i] = s->fmts[i] = 0;
    }
}

static void pg_finalize(ad_stmt *b)
{
    pg_stmt *s = (pg_stmt *)b;
    pg_reset(b);
    for (int i = 0; i < PG_MAX_COLS; i++)
        free(s->blob[i]);
    free(s->sql);
    free(s);
}

#define PS(b) ((pg_stmt *)(b))

static void pg_bind_null(ad_stmt *b, int i)
{
    PS(b)->vals[i - 1] = NULL;
}
static void pg_bind_int(ad_stmt *b, int i, int64_t v)
{
    snprintf(PS(b)->num[i - 1], 24, "%lld", (long long)v);
    PS(b)->vals[i - 1] = PS(b)->num[i - 1];
    PS(b)->fmts[i - 1] = 0;
}
static void pg_bind_text(ad_stmt *b, int i, const char *v)
{
    PS(b)->vals[i - 1] = v;
    PS(b)->fmts[i - 1] = 0;
}
static void pg_bind_blob(ad_stmt *b, int i, const void *v, size_t n)
{
    static const char empty[1];
    PS(b)->vals[i - 1] = n ? (const char *)v : empty;
    PS(b)->lens[i - 1] = (int)n;
    PS(b)->fmts[i - 1] = 1;
}

static ad_code pg_ensure_prepared(pg_stmt *s, PGconn *c, ad_err *err);

static int pg_step(ad_stmt *b, ad_err *err)
{
    pg_stmt *s = PS(b);
    PGconn *c = ((pg_db *)b->db)->conn;
    if (!s->res) {
        if (s->cached) {
            ad_code prc = pg_ensure_prepared(s, c, err);
            if (prc != AD_OK)
                return -(int)prc;
        }
        if (s->cached)
            s->res = PQexecPrepared(c, s->name, s->nparams, s->vals, s->lens, s->fmts, 0);
        else
            s->res = PQexecParams(c, s->sql, s->nparams, NULL, s->vals, s->lens, s->fmts, 0);
        ExecStatusType st = PQresultStatus(s->res);
        if (st == PGRES_TUPLES_OK) {
            s->nrows = PQntuples(s->res);
        } else if (st == PGRES_COMMAND_OK) {
            s->nrows = 0;
        } else {
            ad_code rc = pg_result_error(s->res, c, err);
            PQclear(s->res);
            s->res = NULL;
            return -(int)rc;
        }
        s->row = -1;
    }
    if (s->row + 1 >= s->nrows) {
        s->row = s->nrows;
        return 0;
    }
    s->row++;
    return 1;
}

static int pg_col_null(ad_stmt *b, int i)
{
    return PQgetisnull(PS(b)->res, PS(b)->row, i);
}
static int64_t pg_col_int(ad_stmt *b, int i)
{
    return strtoll(PQgetvalue(PS(b)->res, PS(b)->row, i), NULL, 10);
}
static const char *pg_col_text(ad_stmt *b, int i)
{
    if (PQgetisnull(PS(b)->res, PS(b)->row, i))
        return NULL;
    return PQgetvalue(PS(b)->res, PS(b)->row, i);
}
static const uint8_t *pg_col_blob(ad_stmt *b, int i, size_t *n)
{
    pg_stmt *s = PS(b);
    *n = 0;
    if (i >= PG_MAX_COLS || PQgetisnull(s->res, s->row, i))
        return NULL;
    const char *v = PQgetvalue(s->res, s->row, i);
    size_t len = (size_t)PQgetlength(s->res, s->row, i);
    if (len < 2 || v[0] != '\\' || v[1] != 'x')
        return NULL;
    size_t bytes = (len - 2) / 2;
    if (bytes + 1 > s->blob_cap[i]) {
        uint8_t *nb = realloc(s->blob[i], bytes + 1);
        if (!nb)
            return NULL;
        s->blob[i] = nb;
        s->blob_cap[i] = bytes + 1;
    }
    if (ad_hex_decode(v + 2, bytes * 2, s->blob[i], bytes, NULL) != AD_OK)
        return NULL;
    *n = bytes;
    return s->blob[i];
}

/* Sends a chunk of items in pipeline mode, then reads their results in order. */
#define PG_CHUNK 256

static ad_code pg_ensure_prepared(pg_stmt *s, PGconn *c, ad_err *err)
{
    if (s->prepared)
        return AD_OK;
    PGresult *r = PQprepare(c, s->name, s->sql, s->nparams, NULL);
    ad_code rc = PQresultStatus(r) == PGRES_COMMAND_OK ? AD_OK : pg_result_error(r, c, err);
    PQclear(r);
    s->prepared = rc == AD_OK;
    return rc;
}

static ad_code pg_many(ad_stmt *b, size_t n, void (*bind)(void *, ad_stmt *, size_t),
                       int (*row)(void *, ad_stmt *, size_t), void *ctx, ad_err *err)
{
    pg_stmt *s = PS(b);
    PGconn *c = ((pg_db *)b->db)->conn;
    ad_code rc = pg_ensure_prepared(s, c, err);
    if (rc != AD_OK)
        return rc;
    if (!PQenterPipelineMode(c))
        return ad_err_set(err, AD_ERR_DB, "postgresql: cannot enter pipeline mode");
    for (size_t at = 0; at < n && rc == AD_OK; at += PG_CHUNK) {
        size_t k = n - at < PG_CHUNK ? n - at : PG_CHUNK, sent = 0;
        for (; sent < k; sent++) {
            pg_reset(b);
            bind(ctx, b, at + sent);
            if (!PQsendQueryPrepared(c, s->name, s->nparams, s->vals, s->lens, s->fmts, 0))
                break;
        }
        if (sent < k)
            rc = pg_result_error(NULL, c, err);
        PQpipelineSync(c);
        for (size_t i = 0; i < sent; i++) {
            PGresult *r;
            while ((r = PQgetResult(c)) != NULL) {
                ExecStatusType st = PQresultStatus(r);
                if (st == PGRES_TUPLES_OK && rc == AD_OK && row) {
                    s->res = r;
                    s->nrows = PQntuples(r);
                    for (s->row = 0; s->row < s->nrows; s->row++)
                        row(ctx, b, at + i);
                    s->res = NULL;
                } else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && rc == AD_OK) {
                    rc = pg_result_error(r, c, err);
                }
                PQclear(r);
            }
        }
        /* up to the sync point */
        PGresult *r;
        while ((r = PQgetResult(c)) != NULL) {
            int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync)
                break;
        }
    }
    pg_reset(b);
    if (!PQexitPipelineMode(c) && rc == AD_OK)
        rc = ad_err_set(err, AD_ERR_DB, "postgresql: cannot leave pipeline mode");
    return rc;
}

/* COPY ... FROM STDIN with data as its input, in pieces of 1 MiB. A failure on the way ends
 * the COPY with an error (the server then refuses all of it); the caller's transaction fails. */
static ad_code pg_copy(ad_db *db, const char *sql, const char *data, size_t len, ad_err *err)
{
    PGconn *c = ((pg_db *)db)->conn;
    PGresult *r = PQexec(c, sql);
    ad_code rc = AD_OK;
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        rc = pg_result_error(r, c, err);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    int ok = 1;
    for (size_t at = 0; at < len && ok; at += 1 << 20) {
        size_t k = len - at < (1 << 20) ? len - at : (1 << 20);
        ok = PQputCopyData(c, data + at, (int)k) == 1;
    }
    if (!ok)
        rc = pg_result_error(NULL, c, err);
    if (PQputCopyEnd(c, ok ? NULL : "ariadne: the rows could not be sent") != 1 && rc == AD_OK)
        rc = pg_result_error(NULL, c, err);
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AD_OK)
            rc = pg_result_error(r, c, err);
        PQclear(r);
    }
    return rc;
}

static void pg_close(ad_db *db)
{
    ad_db_cache_clear(db);
    PQfinish(((pg_db *)db)->conn);
    free(db);
}

static void pg_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static const ad_db_ops pg_ops = {
    "postgresql", pg_exec,      pg_prepare, pg_finalize, pg_bind_null, pg_bind_int,
    pg_bind_text, pg_bind_blob, pg_step,    pg_col_null, pg_col_int,   pg_col_text,
    pg_col_blob,  pg_reset,     pg_close,   pg_many,    pg_copy,
};

/* libpq's message on one line ("\n\t" between its parts become "; "), without the quoted URI
 * that parse errors end with (it would show a password). */
static void one_line(const char *m, char *out, size_t n)
{
    size_t o = 0;
    const char *uri = strstr(m, " in URI: \"");
    for (const char *p = m; *p && (!uri || p < uri) && o + 3 < n; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            while (p[1] == '\n' || p[1] == '\t' || p[1] == '\r' || p[1] == ' ')
                p++;
            if (p[1] && (!uri || p + 1 < uri)) {
                out[o++] = ';';
                out[o++] = ' ';
            }
        } else {
            out[o++] = *p;
        }
    }
    while (o && (out[o - 1] == ' ' || out[o - 1] == ';'))
        o--;
    out[o] = 0;
}

ad_code ad_db_check_pg(const char *conninfo, ad_err *err)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    if (opts) {
        PQconninfoFree(opts);
        return AD_OK;
    }
    char line[400];
    one_line(msg ? msg : "out of memory", line, sizeof line);
    PQfreemem(msg);
    return ad_err_set(err, AD_ERR_ARG, "malformed PostgreSQL URL: %s", line);
}

ad_code ad_db_open_pg(ad_db **out, const char *conninfo, ad_err *err)
{
    pg_db *db = calloc(1, sizeof *db);
    if (!db)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    /* A server that does not answer is given 10 s, unless the URL or $PGCONNECT_TIMEOUT says.
     * Once connected, a server or network that goes silent is noticed by TCP keepalives (idle
     * 30 s, then 3 probes 10 s apart) and by tcp_user_timeout for data left unacknowledged
     * (60 s), so that a command stops with an error instead of waiting forever; the URL may
     * set these too (its values win: they come after these defaults). */
    const char *timeout = getenv("PGCONNECT_TIMEOUT");
    const char *const keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          NULL};
    const char *const vals[] = {
        timeout && *timeout ? timeout : "10", "1", "30", "10", "3", "60000", conninfo, NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        char line[400];
        one_line(db->conn ? PQerrorMessage(db->conn) : "out of memory", line, sizeof line);
        ad_code rc = ad_err_set(err, AD_ERR_IO, "cannot connect to PostgreSQL: %s", line);
        PQfinish(db->conn);
        free(db);
        return rc;
    }
    PQsetNoticeProcessor(db->conn, pg_quiet, NULL);
    db->base.ops = &pg_ops;
    db->base.is_pg = 1;
    /* a writer waits for another's transaction (the audit head's row lock) at most
     * ad_db_lock_wait() seconds, as on SQLite */
    char set[128];
    snprintf(set, sizeof set, "SET client_min_messages = warning; SET lock_timeout = '%ds'",
             ad_db_lock_wait());
    ad_code rc = pg_exec(&db->base, set, err);
    if (rc != AD_OK) {
        pg_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return AD_OK;
}
