/* bench_fed.c: federation's bulk path: N media hashes (SHA-256, MD5, PDQ) linked to one series
 * go from instance A to instance B as a bundle file: A cuts and signs its change sets and writes
 * the bundle (ad_fed_bundle_export_file); B verifies the whole file, then applies it in one
 * transaction (ad_fed_bundle_import_file). Reports wall and CPU times (CPU: this process,
 * less sensitive to a loaded machine; B on PostgreSQL: also its server process's, from /proc) and the bytes per hash (raw and gzip -6, as on the wire).
 *   bench_fed [--n N] [--dir DIR] [--pg URL] [--export-only | --keep | --import-only]
 *   (B on PostgreSQL with --pg or $AD_TEST_PG; --export-only stops after the export; --keep
 *   keeps A, its key and the bundle in DIR; --import-only imports the bundle a --keep run left
 *   into a new B: the import alone, run again and again; --no-bulk keeps B's media indexes
 *   during the import, as before the bulk load: docs/federation.md "Bulk loads"; --bulk-min N
 *   takes the bulk path from N media changes on, e.g. 1 for callgrind at --n 20000; --no-copy:
 *   PostgreSQL's import by INSERTs, not COPY, as before stop 22)
 * A and B are SQLite files in DIR (default /tmp) unless --pg. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ariadne/fed.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"
#include "store/store_int.h"

static void die(const char *what, const ad_err *e)
{
    fprintf(stderr, "bench_fed: %s: %s\n", what, e ? e->msg : "");
    exit(1);
}

static void fill(size_t i, ad_media *m)
{
    memset(m, 0, sizeof *m);
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + 7;
    for (int k = 0; k < 4; k++) {
        uint64_t v = x ^ (x >> 29) ^ ((uint64_t)k * 0xD1B54A32D192ED03ull);
        x = v * 0xBF58476D1CE4E5B9ull;
        memcpy(m->sha256 + 8 * k, &x, 8);
        memcpy(m->pdq.b + 8 * k, &v, 8);
    }
    memcpy(m->md5, m->sha256 + 3, 16);
    m->has_sha256 = m->has_md5 = m->has_pdq = 1;
    m->pdq_quality = 90;
    m->size = 100000 + (int64_t)(i % 5000);
    m->mime = "image/jpeg";
    m->width = 1024;
    m->height = 768;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The file's size through gzip -6 (deflate in chunks). */
static unsigned long gz_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    z_stream z = {0};
    if (!f || deflateInit(&z, 6) != Z_OK)
        die("gzip", NULL);
    static uint8_t in[1 << 16], out[1 << 16];
    unsigned long total = 0;
    int flush;
    do {
        z.avail_in = (uInt)fread(in, 1, sizeof in, f);
        z.next_in = in;
        flush = feof(f) ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.avail_out = sizeof out;
            z.next_out = out;
            deflate(&z, flush);
            total += sizeof out - z.avail_out;
        } while (z.avail_out == 0);
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    fclose(f);
    return total;
}

/* The CPU seconds (user and system) of B's PostgreSQL server process so far, when it runs on
 * this machine and /proc tells (else -1): the server's share of the import, which the client's
 * CPU does not see. */
static double server_cpu(ad_store *b)
{
    if (!b->db->is_pg)
        return -1;
    ad_err e;
    ad_stmt *s = ad_db_stmt(b->db, "SELECT pg_backend_pid()", &e);
    int64_t pid = 0;
    if (!s || ad_db_int(s, &pid, &e) != AD_OK)
        return -1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* fields after the command's name: 3 on */
    unsigned long long ut = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &stime) != 2)
        return -1;
    return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* An instance with a new key, or (reuse) the one a --keep run left with its key. */
static ad_store *instance(const char *url, const char *keyfile, int reuse, ad_fed_key *key)
{
    ad_store *st;
    ad_err e;
    if (!reuse)
        unlink(keyfile);
    if (ad_store_open(&st, url, AD_STORE_CREATE, &e) ||
        (!reuse && ad_fed_keygen(st, keyfile, NULL, &e)) || ad_fed_key_load(st, keyfile, key, &e))
        die(url, &e);
    return st;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int export_only = 0; /* stop after the export (profiling it alone) */
    int keep = 0, import_only = 0; /* keep A and the bundle; import a kept bundle again */
    const char *dir = "/tmp", *pg = getenv("AD_TEST_PG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--pg") && i + 1 < argc)
            pg = argv[++i];
        else if (!strcmp(argv[i], "--sqlite"))
            pg = NULL;
        else if (!strcmp(argv[i], "--export-only"))
            export_only = 1;
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--import-only"))
            import_only = 1;
        else if (!strcmp(argv[i], "--no-bulk"))
            ad_fed_bulk_min = 0; /* the media indexes kept during the import (before/after) */
        else if (!strcmp(argv[i], "--no-copy"))
            ad_store_pg_copy = 0; /* PostgreSQL: INSERTs, no COPY (before/after) */
        else if (!strcmp(argv[i], "--bulk-min") && i + 1 < argc)
            ad_fed_bulk_min = strtoll(argv[++i], NULL, 10); /* e.g. 1: bulk at --n 20000 */
        else {
            fprintf(stderr, "usage: bench_fed [--n N] [--dir DIR] [--pg URL | --sqlite]"
                            " [--export-only | --keep | --import-only] [--no-bulk | --bulk-min N]"
                            " [--no-copy]\n");
            return 2;
        }
    }
    char ua[600], ub[600], ka[600], kb[600];
    snprintf(ua, sizeof ua, "sqlite:%s/bench_fed_a.db", dir);
    snprintf(ub, sizeof ub, "sqlite:%s/bench_fed_b.db", dir);
    snprintf(ka, sizeof ka, "%s/bench_fed_a.key", dir);
    snprintf(kb, sizeof kb, "%s/bench_fed_b.key", dir);
    for (int i = import_only; i < 2; i++) {
        char f[700];
        snprintf(f, sizeof f, "%s/bench_fed_%c.db", dir, i ? 'b' : 'a');
        unlink(f);
        strcat(f, "-wal");
        unlink(f);
    }
    char pgdb[64] = "";
    if (pg) {
        /* a scratch database on the server */
        snprintf(pgdb, sizeof pgdb, "bench_fed_%d", (int)getpid());
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "psql '%s/postgres' -qc 'CREATE DATABASE %s' >/dev/null", pg,
                 pgdb);
        if (system(cmd) != 0)
            die("createdb", NULL);
        snprintf(ub, sizeof ub, "%s/%s", pg, pgdb);
    }
    ad_fed_key key_a, key_b;
    ad_store *a = instance(ua, ka, import_only, &key_a), *b = instance(ub, kb, 0, &key_b);
    ad_fed_instance ia, ib;
    ad_err e;
    if (ad_fed_instance_get(a, &ia, &e) || ad_fed_instance_get(b, &ib, &e))
        die("instance", &e);
    ad_fed_peer pa = {.name = "b", .pubkey = ib.pubkey}, pb = {.name = "a", .pubkey = ia.pubkey};
    int64_t pid;
    if ((!import_only && ad_fed_peer_add(a, &pa, &pid, &e)) || ad_fed_peer_add(b, &pb, &pid, &e))
        die("peer", &e);
    char bf[700];
    snprintf(bf, sizeof bf, "%s/bench_fed.bundle", dir);
    ad_fed_stats st = {0};
    double t_setup = 0, t_export = 0, c_export = 0, t0, c0;
    ad_media *m = NULL;
    int64_t *ids = NULL;
    if (import_only) {
        FILE *in = fopen(bf, "rb");
        if (!in || fseeko(in, 0, SEEK_END) || (st.bytes = ftello(in)) <= 0)
            die("no bundle kept by a --keep run", NULL);
        fclose(in);
        goto import;
    }

    /* A: n media in one series (setup, not timed) */
    t0 = ad_now();
    ad_series s = {.name = "Bench", .contact = "bench@example.org"};
    int64_t sid;
    if (!a->db->is_pg) /* statement journals in memory: the setup is not what is measured */
        a->db->ops->exec(a->db, "PRAGMA temp_store = MEMORY", NULL);
    if (ad_store_begin(a, &e) || ad_store_series_create(a, &s, &sid, &e))
        die("series", &e);
    enum { CHUNK = 10000 };
    m = malloc(CHUNK * sizeof *m);
    ids = malloc(CHUNK * sizeof *ids);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        for (size_t i = 0; i < k; i++)
            fill(done + i, &m[i]);
        if (ad_store_media_upsert_batch(a, m, k, ids, &e))
            die("media", &e);
        ad_stmt *q = NULL;
        for (size_t i = 0; i < k; i++) {
            q = ad_db_stmt(a->db,
                           "INSERT INTO series_media (series_id, media_id, added)"
                           " VALUES (?, ?, 0)",
                           &e);
            if (!q)
                die("link", &e);
            ad_bind_int(q, 1, sid);
            ad_bind_int(q, 2, ids[i]);
            if (ad_db_run(q, &e))
                die("link", &e);
        }
        done += k;
    }
    if (ad_store_commit(a, &e))
        die("commit", &e);
    t_setup = ad_now() - t0;

    t0 = ad_now();
    c0 = cpu_now();
    FILE *out = fopen(bf, "wb");
    if (!out || ad_fed_bundle_export_file(a, &key_a, "b", 0, out, &st, &e) || fclose(out))
        die("export", &e);
    t_export = ad_now() - t0;
    c_export = cpu_now() - c0;
    if (export_only) {
        printf("  export (cut, sign)     %8.2f s wall %8.2f s CPU  %lld changes in %lld sets, "
               "%.1f bytes per hash\n",
               t_export, c_export, (long long)st.changes, (long long)st.sets,
               (double)st.bytes / (double)n);
        return 0;
    }
import:;
    double s0 = server_cpu(b);
    t0 = ad_now();
    c0 = cpu_now();
    ad_fed_stats si;
    FILE *in = fopen(bf, "rb");
    if (!in || ad_fed_bundle_import_file(b, in, &si, &e))
        die("import", &e);
    fclose(in);
    double t_import = ad_now() - t0, c_import = cpu_now() - c0, s_import = server_cpu(b) - s0;
    int64_t have = 0;
    ad_store_media_count(b, &have, &e);

    size_t len = (size_t)st.bytes;
    unsigned long zlen = gz_size(bf);
    printf("bench_fed: %zu media hashes in one series, A sqlite -> B %s\n", n,
           pg ? "postgresql" : "sqlite");
    printf("  setup (not timed)      %8.2f s\n", t_setup);
    printf("  export (cut, sign)     %8.2f s wall %8.2f s CPU  %lld changes in %lld sets\n",
           t_export, c_export, (long long)st.changes, (long long)st.sets);
    printf("  import (verify, apply) %8.2f s wall %8.2f s CPU  %lld applied, B holds %lld media\n",
           t_import, c_import, (long long)si.applied, (long long)have);
    if (s0 >= 0)
        printf("  import, server's CPU   %8.2f s CPU (B's PostgreSQL process)\n", s_import);
    printf("  A to B                 %8.2f s wall %8.2f s CPU\n", t_export + t_import,
           c_export + c_import);
    printf("  bundle                 %8zu bytes, %.1f bytes per hash; gzip -6: %lu bytes, %.1f per "
           "hash\n",
           len, (double)len / (double)n, zlen, (double)zlen / (double)n);
    if (!keep && !import_only)
        unlink(bf);
    free(m);
    free(ids);
    ad_fed_key_wipe(&key_a);
    ad_fed_key_wipe(&key_b);
    ad_store_close(a);
    ad_store_close(b);
    if (pg) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd,
                 "psql '%s/postgres' -qc 'DROP DATABASE IF EXISTS %s WITH (FORCE)' >/dev/null", pg,
                 pgdb);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_fed: could not drop %s\n", pgdb);
    }
    return 0;
}
