/* testutil.c: helpers shared by the cmocka tests. */
#include "testutil.h"

#include "ariadne/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *td_path(const char *rel)
{
    static char bufs[8][4096];
    static int slot;
    char *b = bufs[slot++ & 7];
    const char *root = getenv("AD_TEST_DATA");
    snprintf(b, 4096, "%s/%s", root ? root : "tests", rel);
    return b;
}

const char *td_tmpdir(const char *name)
{
    static char buf[4096];
    const char *root = getenv("AD_TEST_TMP");
    if (!root)
        root = "/tmp/ariadne-test";
    char cmd[8300];
    snprintf(buf, sizeof buf, "%s/%s", root, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0)
        return NULL;
    return buf;
}

uint8_t *td_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n > 0 ? n : 0] = 0; /* text files can be read as strings */
    fclose(f);
    if (buf && len)
        *len = (size_t)n;
    return buf;
}

int td_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

/* Runs one SQL statement on the PostgreSQL server's database db ("postgres" for admin). */
static int pg_exec(const char *db, const char *sql)
{
    char url[4400];
    snprintf(url, sizeof url, "%s/%s", getenv("AD_TEST_PG"), db);
    PGconn *c = PQconnectdb(url);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok && !strcmp(db, "postgres"))
            fprintf(stderr, "pg: %s", PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "pg: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return ok;
}

int td_db_create(td_db *d, int pg, const char *name)
{
    static int counter;
    memset(d, 0, sizeof *d);
    d->pg = pg;
    if (pg) {
        const char *base = getenv("AD_TEST_PG");
        if (!base || !*base)
            return 1;
        snprintf(d->dbname, sizeof d->dbname, "ad_%s_%d_%d", name, (int)getpid(), ++counter);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", d->dbname);
        if (!pg_exec("postgres", sql))
            return -1;
        snprintf(d->url, sizeof d->url, "%s/%s", base, d->dbname);
        return 0;
    }
    static char dir[4096];
    if (!dir[0]) {
        const char *t = td_tmpdir(name);
        if (!t)
            return -1;
        snprintf(dir, sizeof dir, "%s", t);
    }
    snprintf(d->url, sizeof d->url, "sqlite:%s/t%d.db", dir, ++counter);
    return 0;
}

void td_db_drop(td_db *d)
{
    if (!d->pg || !d->dbname[0])
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", d->dbname);
    pg_exec("postgres", sql);
}

int td_db_sql(const td_db *d, const char *sql)
{
    if (d->pg)
        return pg_exec(d->dbname, sql);
    sqlite3 *h;
    if (sqlite3_open(d->url + 7, &h) != SQLITE_OK)
        return 0;
    sqlite3_busy_timeout(h, 10000);
    int ok = sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(h);
    return ok;
}

int td_media_series(ad_store *st, const char *name, size_t n, size_t from, ad_err *err)
{
    ad_series s = {.name = name, .contact = "desk@example.org"};
    int64_t sid;
    ad_media *m = calloc(n, sizeof *m);
    int64_t *ids = calloc(n, sizeof *ids);
    int rc = m && ids ? AD_OK : AD_ERR_NOMEM;
    for (size_t k = 0; rc == AD_OK && k < n; k++) {
        size_t i = from + k;
        ad_media_init(&m[k]);
        for (int j = 0; j < 32; j++)
            m[k].sha256[j] = (uint8_t)((i * 2654435761u) >> (j % 4 * 8)) ^ (uint8_t)(j * 37);
        memcpy(m[k].sha256, &i, sizeof i);
        memcpy(m[k].md5, m[k].sha256 + 4, 16);
        m[k].has_sha256 = m[k].has_md5 = 1;
        m[k].size = 1000 + (int64_t)i;
        m[k].mime = "image/jpeg";
    }
    if (rc == AD_OK && (rc = ad_store_begin(st, err)) == AD_OK) {
        if ((rc = ad_store_series_create(st, &s, &sid, err)) == AD_OK)
            rc = ad_store_media_upsert_batch(st, m, n, ids, err);
        for (size_t k = 0; rc == AD_OK && k < n; k++)
            rc = ad_store_series_link(st, sid, ids[k], err);
        if (rc == AD_OK) {
            rc = ad_store_commit(st, err);
        } else {
            ad_err ignored;
            ad_store_rollback(st, &ignored);
        }
    }
    free(m);
    free(ids);
    return rc;
}
