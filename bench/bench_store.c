/* bench_store.c: the store's hot paths, on SQLite and PostgreSQL: importing a hash list (N MD5s
 * upserted as media and added to a list, in one transaction) and looking digests up (M batched
 * lookups), each beside a baseline of raw prepared statements on the same back end (one table,
 * one index, no audit, no merging) as a ratio.
 *   bench_store [--n N] [--lookups M] [--dir DIR] [--pg URL]
 * --pg (or $AD_TEST_PG) names a server: a scratch database is created there and dropped after. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/store.h"
#include "ariadne/util.h"

#define BATCH 10000

/* Seconds of CPU this process used (the machine may be shared: wall time is noisy). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A timing: wall and CPU seconds. */
typedef struct {
    double wall, cpu;
} timing;

static timing t_start(void)
{
    return (timing){ad_now(), cpu_now()};
}

static timing t_since(timing t0)
{
    return (timing){ad_now() - t0.wall, cpu_now() - t0.cpu};
}

static void digest(size_t i, uint8_t out[16])
{
    /* distinct, well spread 16-byte values */
    uint64_t a = (uint64_t)i * 0x9E3779B97F4A7C15ull + 1, b = a ^ (a >> 31) ^ 0xD1B54A32D192ED03ull;
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, msg);
    exit(1);
}

/* The store: import N digests into a list, then M lookups. Times in seconds. */
static void run_store(const char *url, size_t n, size_t m, timing *t_import, timing *t_lookup)
{
    ad_store *st;
    ad_err e;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &e) != AD_OK)
        die(url, e.msg);
    ad_store_set_actor(st, "bench", 0);
    ad_media *batch = malloc(BATCH * sizeof *batch);
    int64_t *ids = malloc(BATCH * sizeof *ids);
    timing t0 = t_start();
    ad_list l = {.name = "bench", .source = "bench_store"};
    int64_t lid;
    if ((getenv("NOTX") ? AD_OK : ad_store_begin(st, &e)) != AD_OK ||
        ad_store_list_ensure(st, &l, &lid, &e) != AD_OK)
        die("begin", e.msg);
    for (size_t i = 0; i < n; i += BATCH) {
        size_t k = n - i < BATCH ? n - i : BATCH;
        for (size_t j = 0; j < k; j++) {
            ad_media_init(&batch[j]);
            batch[j].has_md5 = 1;
            digest(i + j, batch[j].md5);
        }
        if (ad_store_media_upsert_batch(st, batch, k, ids, &e) != AD_OK ||
            ad_store_list_add(st, lid, ids, k, &e) != AD_OK)
            die("import", e.msg);
    }
    if (!getenv("NOTX") && ad_store_commit(st, &e) != AD_OK)
        die("commit", e.msg);
    *t_import = t_since(t0);
    uint8_t *q = malloc(m * 16);
    int64_t *found_ids = malloc(m * sizeof *found_ids);
    for (size_t i = 0; i < m; i++)
        digest((i * 7919) % (n + n / 10), q + 16 * i); /* ~9% misses */
    size_t found;
    t0 = t_start();
    if (ad_store_media_find_batch(st, AD_HASH_MD5, q, m, found_ids, &found, &e) != AD_OK)
        die("lookup", e.msg);
    *t_lookup = t_since(t0);
    free(q);
    free(found_ids);
    free(batch);
    free(ids);
    ad_store_close(st);
}

static void sq_check(sqlite3 *h, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        die(what, sqlite3_errmsg(h));
}

static void run_sqlite_raw(const char *path, size_t n, size_t m, timing *t_import, timing *t_lookup)
{
    sqlite3 *h;
    unlink(path);
    h = NULL;
    if (sqlite3_open(path, &h) != SQLITE_OK)
        die(path, "cannot open");
    sq_check(h,
             sqlite3_exec(h,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          " PRAGMA cache_size=-262144;"
                          " CREATE TABLE h (id INTEGER PRIMARY KEY, md5 BLOB);"
                          " CREATE INDEX h_md5 ON h(md5);",
                          NULL, NULL, NULL),
             "schema");
    sqlite3_stmt *ins, *sel;
    sq_check(h, sqlite3_prepare_v2(h, "INSERT INTO h (md5) VALUES (?)", -1, &ins, NULL), "prep");
    sq_check(h, sqlite3_prepare_v2(h, "SELECT id FROM h WHERE md5 = ?", -1, &sel, NULL), "prep");
    uint8_t d[16];
    timing t0 = t_start();
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < n; i++) {
        digest(i, d);
        sqlite3_bind_blob(ins, 1, d, 16, SQLITE_STATIC);
        sq_check(h, sqlite3_step(ins), "insert");
        sqlite3_reset(ins);
    }
    sq_check(h, sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), "commit");
    *t_import = t_since(t0);
    t0 = t_start();
    for (size_t i = 0; i < m; i++) {
        digest((i * 7919) % (n + n / 10), d);
        sqlite3_bind_blob(sel, 1, d, 16, SQLITE_STATIC);
        sq_check(h, sqlite3_step(sel), "select");
        sqlite3_reset(sel);
    }
    *t_lookup = t_since(t0);
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_close(h);
}

static void pg_ok(PGconn *c, PGresult *r, const char *what)
{
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        die(what, PQerrorMessage(c));
    PQclear(r);
}

static void run_pg_raw(const char *url, size_t n, size_t m, timing *t_import, timing *t_lookup)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die(url, PQerrorMessage(c));
    pg_ok(c,
          PQexec(c, "CREATE TABLE h (id BIGSERIAL PRIMARY KEY, md5 BYTEA);"
                    " CREATE INDEX h_md5 ON h(md5)"),
          "schema");
    pg_ok(c, PQprepare(c, "ins", "INSERT INTO h (md5) VALUES ($1)", 1, NULL), "prep");
    pg_ok(c, PQprepare(c, "sel", "SELECT id FROM h WHERE md5 = $1", 1, NULL), "prep");
    uint8_t d[16];
    const char *vals[1] = {(const char *)d};
    int lens[1] = {16}, fmts[1] = {1};
    timing t0 = t_start();
    pg_ok(c, PQexec(c, "BEGIN"), "begin");
    for (size_t i = 0; i < n; i++) {
        digest(i, d);
        pg_ok(c, PQexecPrepared(c, "ins", 1, vals, lens, fmts, 0), "insert");
    }
    pg_ok(c, PQexec(c, "COMMIT"), "commit");
    *t_import = t_since(t0);
    t0 = t_start();
    for (size_t i = 0; i < m; i++) {
        digest((i * 7919) % (n + n / 10), d);
        pg_ok(c, PQexecPrepared(c, "sel", 1, vals, lens, fmts, 0), "select");
    }
    *t_lookup = t_since(t0);
    PQfinish(c);
}

static int pg_admin(const char *base, const char *sql)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/postgres", base);
    PGconn *c = PQconnectdb(url);
    int ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}

/* One line: wall time and rate of the store and of the baseline, their ratio, and (SQLite,
 * where all the work is in this process) the same in CPU seconds. */
static void line(const char *backend, const char *what, size_t n, timing s, timing b, int cpu)
{
    printf("%-10s %-7s %8zu: store %6.2f s (%8.0f/s)  baseline %6.2f s  ratio %5.2f", backend, what,
           n, s.wall, n / s.wall, b.wall, s.wall / b.wall);
    if (cpu)
        printf("  | cpu: store %6.2f s (%8.0f/s)  baseline %6.2f s  ratio %5.2f", s.cpu, n / s.cpu,
               b.cpu, s.cpu / b.cpu);
    printf("\n");
}

int main(int argc, char **argv)
{
    size_t n = 1000000, m = 100000;
    const char *dir = "/tmp", *pg = getenv("AD_TEST_PG");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n"))
            n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--lookups"))
            m = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--pg"))
            pg = argv[i + 1];
    }
    char path[1024], url[1100];
    timing si, sl, bi, bl;
    snprintf(path, sizeof path, "%s/bench_store_%d.db", dir, (int)getpid());
    snprintf(url, sizeof url, "sqlite:%s", path);
    run_store(url, n, m, &si, &sl);
    unlink(path);
    snprintf(url, sizeof url, "%s-wal", path);
    unlink(url);
    run_sqlite_raw(path, n, m, &bi, &bl);
    unlink(path);
    line("sqlite", "import", n, si, bi, 1);
    line("sqlite", "lookup", m, sl, bl, 1);
    if (pg && *pg) {
        char db[64], sql[128];
        snprintf(db, sizeof db, "ad_bench_%d", (int)getpid());
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
        if (!pg_admin(pg, sql))
            die(pg, "cannot create a scratch database");
        snprintf(url, sizeof url, "%s/%s", pg, db);
        run_store(url, n, m, &si, &sl);
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
        pg_admin(pg, sql);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
        pg_admin(pg, sql);
        run_pg_raw(url, n, m, &bi, &bl);
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", db);
        pg_admin(pg, sql);
        line("postgresql", "import", n, si, bi, 0);
        line("postgresql", "lookup", m, sl, bl, 0);
    }
    return 0;
}
