/* bench_serve.c: the server's hot paths on loopback (issue 12), each beside its baseline in one
 * run on this machine, the load generator (wrk) sharing its cores:
 *   - PDQ radius-31 lookups through POST /v1/match, one hash a request and 100 a request,
 *     against the live index called directly with the same queries and threads;
 *   - digest lookups (MD5, SHA-256) through POST /v1/match, one a request with keep-alive,
 *     against nginx answering a static response of the same size under the same load;
 *   - p99 latency of each (wrk --latency), and the memory the live index takes.
 * The store (SQLite, bench/out/serve-N.db, made on the first run and kept) holds N media with
 * MD5, SHA-256 and PDQ, all entries of one list granted to a platform agency.
 *   bench_serve [-n N] [-t THREADS] [-d SECONDS] [-c CONNECTIONS] [--out DIR]
 * Needs wrk and nginx (scripts/install-deps --bench). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ariadne/live.h"
#include "ariadne/server.h"
#include "ariadne/service.h"
#include "ariadne/store.h"
#include "ariadne/util.h"

#define QUERIES 100000 /* distinct query entries (each matched a few times: no hold) */
#define BATCH 50000

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_serve: %s: %s\n", what, msg);
    exit(1);
}

/* splitmix64: the media of the store, the same on every run */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void media_of(size_t i, ad_media *m)
{
    uint64_t s = (uint64_t)i * 7919 + 17;
    ad_media_init(m);
    m->has_md5 = m->has_sha256 = m->has_pdq = 1;
    for (int k = 0; k < 2; k++) {
        uint64_t v = mix(&s);
        memcpy(m->md5 + 8 * k, &v, 8);
    }
    for (int k = 0; k < 4; k++) {
        uint64_t v = mix(&s);
        memcpy(m->sha256 + 8 * k, &v, 8);
    }
    for (int k = 0; k < 4; k++) {
        uint64_t v = mix(&s);
        memcpy(m->pdq.b + 8 * k, &v, 8);
    }
    m->pdq_quality = 100;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* The file of a "sqlite:PATH" URL. */
static const char *db_path_of(const char *url)
{
    return strncmp(url, "sqlite:", 7) ? url : url + 7;
}

/* Makes the store unless it is there; the platform key into key. */
static void make_store(const char *dir, size_t n, char *url, size_t cap, char key[AD_API_KEY_MAX])
{
    char db[512], kf[512];
    snprintf(db, sizeof db, "%s/serve-%zu.db", dir, n);
    snprintf(kf, sizeof kf, "%s/serve-%zu.key", dir, n);
    snprintf(url, cap, "sqlite:%s", db);
    FILE *f = fopen(kf, "r");
    if (f) {
        int ok = fgets(key, AD_API_KEY_MAX, f) != NULL;
        fclose(f);
        key[strcspn(key, "\n")] = 0;
        if (ok && access(db, R_OK) == 0)
            return;
    }
    unlink(db);
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK)
        die(url, err.msg);
    ad_agency hub = {0, "Hub", "NL", "police", 0}, plat = {0, "PlatformCo", "NL", "platform", 0};
    int64_t hub_id, plat_id, uid, list_id;
    if (ad_store_agency_add(st, &hub, &hub_id, &err) != AD_OK ||
        ad_store_agency_add(st, &plat, &plat_id, &err) != AD_OK ||
        ad_store_user_add(st, plat_id, "platform", AD_ROLE_PLATFORM, &uid, key, &err) != AD_OK)
        die("users", err.msg);
    ad_list l = {0, "bench", "bench_serve", "generated", hub_id, 0, 0};
    if (ad_store_list_ensure(st, &l, &list_id, &err) != AD_OK ||
        ad_store_list_grant(st, list_id, plat_id, &err) != AD_OK)
        die("list", err.msg);
    ad_store_close(st);
    /* the media and their list entries by raw SQL in one transaction, with a large page cache:
     * the store's own writers (merging, one audit row a batch) take an hour for 10 million on
     * this machine; the records are the same (the triggers of the index log and the global ids
     * run as for any insert), only no audit row says they were made */
    sqlite3 *sq;
    if (sqlite3_open(db_path_of(url), &sq) != SQLITE_OK)
        die(db_path_of(url), sqlite3_errmsg(sq));
    char *msg = NULL;
    if (sqlite3_exec(sq,
                     "PRAGMA cache_size=-4000000; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;"
                     "BEGIN",
                     NULL, NULL, &msg) != SQLITE_OK)
        die("sqlite", msg);
    sqlite3_stmt *im, *ie;
    if (sqlite3_prepare_v2(sq,
                           "INSERT INTO media (sha256, md5, pdq, pdq_quality, created, updated)"
                           " VALUES (?, ?, ?, 100, 1767225600, 1767225600)",
                           -1, &im, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(sq,
                           "INSERT INTO list_entry (list_id, media_id, added)"
                           " VALUES (?, ?, 1767225600)",
                           -1, &ie, NULL) != SQLITE_OK)
        die("sqlite", sqlite3_errmsg(sq));
    double t0 = ad_now();
    for (size_t i = 0; i < n; i++) {
        ad_media m;
        media_of(i, &m);
        sqlite3_bind_blob(im, 1, m.sha256, 32, SQLITE_STATIC);
        sqlite3_bind_blob(im, 2, m.md5, 16, SQLITE_STATIC);
        sqlite3_bind_blob(im, 3, m.pdq.b, 32, SQLITE_STATIC);
        if (sqlite3_step(im) != SQLITE_DONE)
            die("media", sqlite3_errmsg(sq));
        sqlite3_reset(im);
        sqlite3_bind_int64(ie, 1, list_id);
        sqlite3_bind_int64(ie, 2, sqlite3_last_insert_rowid(sq));
        if (sqlite3_step(ie) != SQLITE_DONE)
            die("entry", sqlite3_errmsg(sq));
        sqlite3_reset(ie);
        if (isatty(2) && i % 100000 == 0)
            fprintf(stderr, "\rbench_serve: store: %zu / %zu media", i, n);
    }
    sqlite3_finalize(im);
    sqlite3_finalize(ie);
    if (sqlite3_exec(sq, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
        die("sqlite", msg);
    sqlite3_close(sq);
    if (isatty(2))
        fputc('\n', stderr);
    fprintf(stderr, "bench_serve: store of %zu media made in %.0f s\n", n, ad_now() - t0);
    f = fopen(kf, "w");
    if (!f)
        die(kf, strerror(errno));
    fprintf(f, "%s\n", key);
    fclose(f);
}

/* ---- the index called directly ----------------------------------------------------------- */

typedef struct {
    ad_live *lv;
    int64_t agency;
    const ad_match_hash *q;
    size_t nq, start;
    double until;
    uint64_t done, hits;
    size_t batch; /* > 1: ad_live_match_batch of this many */
} worker;

static void *work(void *p)
{
    worker *w = p;
    ad_live_hits hits = {0}, held = {0};
    ad_err err;
    size_t i = w->start;
    if (w->batch > 1) {
        ad_live_hits *outs = calloc(w->batch, sizeof *outs);
        while (ad_now() < w->until) {
            size_t at = i + w->batch <= w->nq ? i : 0;
            held.n = 0;
            if (ad_live_match_batch(w->lv, w->agency, &w->q[at], w->batch, outs, &held, &err) !=
                AD_OK)
                die("match", err.msg);
            for (size_t k = 0; k < w->batch; k++)
                w->hits += outs[k].n > 0;
            w->done += w->batch;
            i = (at + w->batch) % w->nq;
        }
        for (size_t k = 0; k < w->batch; k++)
            ad_live_hits_free(&outs[k]);
        free(outs);
        ad_live_hits_free(&held);
        return NULL;
    }
    while (ad_now() < w->until) {
        for (int k = 0; k < 64; k++) {
            hits.n = held.n = 0;
            if (ad_live_match(w->lv, w->agency, &w->q[i], &hits, &held, &err) != AD_OK)
                die("match", err.msg);
            w->hits += hits.n > 0;
            w->done++;
            i = (i + 1) % w->nq;
        }
    }
    ad_live_hits_free(&hits);
    ad_live_hits_free(&held);
    return NULL;
}

static double direct(ad_live *lv, int64_t agency, const ad_match_hash *q, size_t nq, int threads,
                     double secs, size_t batch, double *hit_rate)
{
    pthread_t th[64];
    worker w[64];
    double until = ad_now() + secs, t0 = ad_now();
    for (int t = 0; t < threads; t++) {
        w[t] = (worker){lv, agency, q, nq, (size_t)t * nq / (size_t)threads, until, 0, 0, batch};
        pthread_create(&th[t], NULL, work, &w[t]);
    }
    uint64_t done = 0, hits = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        done += w[t].done;
        hits += w[t].hits;
    }
    *hit_rate = done ? (double)hits / (double)done : 0;
    return (double)done / (ad_now() - t0);
}

/* ---- wrk ---------------------------------------------------------------------------------- */

typedef struct {
    double rps, p99_ms;
    long non2xx;
} wrk_result;

/* The bodies file (one JSON body a line) and the Lua script that posts them in turn. The
 * requests are formatted once, before the clock starts (wrk.format for every request was the
 * load generator's own largest cost, taken from the cores the server and nginx share with it). */
static void write_script(const char *path, const char *bodies, const char *key)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, strerror(errno));
    fprintf(f,
            "local bodies = {}\n"
            "for line in io.lines(\"%s\") do bodies[#bodies + 1] = line end\n"
            "local reqs = {}\n"
            "local i = 0\n"
            "wrk.method = \"POST\"\n"
            "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
            "wrk.headers[\"Authorization\"] = \"Bearer %s\"\n"
            "function setup(thread) thread:set(\"start\", math.random(#bodies)) end\n"
            "function init(args)\n"
            "  for k = 1, #bodies do reqs[k] = wrk.format(nil, nil, nil, bodies[k]) end\n"
            "  i = start or 1\n"
            "end\n"
            "function request()\n"
            "  i = i %% #reqs + 1\n"
            "  return reqs[i]\n"
            "end\n",
            bodies, key ? key : "");
    fclose(f);
}

static wrk_result run_wrk(const char *url, const char *script, int conns, double secs)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "wrk -t1 -c%d -d%.0fs --latency -s '%s' '%s' 2>&1", conns, secs,
             script, url);
    FILE *p = popen(cmd, "r");
    if (!p)
        die("wrk", strerror(errno));
    wrk_result r = {0, 0, 0};
    char line[512];
    while (fgets(line, sizeof line, p)) {
        double v;
        char unit[8];
        if (sscanf(line, "Requests/sec: %lf", &v) == 1)
            r.rps = v;
        else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2)
            r.p99_ms = !strcmp(unit, "us") ? v / 1000 : !strcmp(unit, "s") ? v * 1000 : v;
        else if (sscanf(line, " Non-2xx or 3xx responses: %ld", &r.non2xx) == 1)
            ;
        else if (strstr(line, "unable to connect") || strstr(line, "error"))
            fputs(line, stderr);
    }
    if (pclose(p) != 0 && r.rps == 0)
        die("wrk", "failed (is it installed? scripts/install-deps --bench)");
    return r;
}

/* nginx answering body (static, from memory) on 127.0.0.1:port with `workers` processes. */
static pid_t start_nginx(const char *dir, int port, int workers, const char *body)
{
    char conf[512], path[600];
    snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        die(conf, strerror(errno));
    fprintf(f,
            "worker_processes %d;\n"
            "pid %s/nginx.pid;\n"
            "error_log %s/nginx-error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  access_log %s/nginx-access.log;\n"
            "  client_body_temp_path %s;\n"
            "  keepalive_requests 1000000;\n"
            "  server {\n"
            "    listen 127.0.0.1:%d;\n"
            "    location / { default_type application/json; return 200 '%s'; }\n"
            "  }\n"
            "}\n",
            workers, dir, dir, dir, dir, port, body);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        snprintf(path, sizeof path, "%s/", dir);
        execlp("nginx", "nginx", "-p", path, "-c", conf, "-g", "daemon off;", (char *)NULL);
        _exit(127);
    }
    usleep(300 * 1000);
    return pid;
}

/* ---- main --------------------------------------------------------------------------------- */

static void hex(const uint8_t *b, size_t n, char *out)
{
    ad_hex_encode(b, n, out);
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int threads = 2, conns = 32;
    double secs = 10;
    const char *dir = "bench/out";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (!strcmp(argv[i], "-c") && i + 1 < argc)
            conns = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_serve [-n N] [-t THREADS] [-d SECONDS] [-c CONNS] "
                            "[--out DIR]\n");
            return 2;
        }
    }
    if (n < QUERIES || threads < 1 || threads > 64)
        die("arguments", "N must be at least 100000, threads 1..64");
    signal(SIGPIPE, SIG_IGN);
    mkdir(dir, 0700);
    static char absdir[4096];
    if (!realpath(dir, absdir))
        die(dir, strerror(errno));
    dir = absdir; /* nginx takes absolute paths */
    char url[600], key[AD_API_KEY_MAX];
    make_store(dir, n, url, sizeof url, key);

    /* the live index */
    ad_err err;
    ad_store *st;
    if (ad_store_open(&st, url, 0, &err) != AD_OK)
        die(url, err.msg);
    long rss0 = rss_kb();
    double t0 = ad_now();
    ad_live *lv;
    ad_live_opts lo;
    ad_live_opts_default(&lo);
    lo.hold_min = 1 << 30; /* matches are counted as always; none is held back by the load */
    if (ad_live_load(st, &lo, &lv, &err) != AD_OK)
        die("live index", err.msg);
    double load_s = ad_now() - t0;
    long rss1 = rss_kb();
    ad_live_stats ls;
    ad_live_stats_get(lv, &ls);
    if (ls.entries != n || ls.pdq != n)
        fprintf(stderr, "bench_serve: the live index holds %zu entries and %zu PDQs, not %zu\n",
                ls.entries, ls.pdq, n);
    int64_t plat;
    if (ad_store_agency_find(st, "PlatformCo", &plat, &err) != AD_OK)
        die("agency", err.msg);
    ad_store_close(st);

    /* queries: stored media, PDQs with 8 bits flipped (within radius 31) */
    ad_match_hash *qp = calloc(QUERIES, sizeof *qp), *qm = calloc(QUERIES, sizeof *qm),
                  *qs = calloc(QUERIES, sizeof *qs);
    char bp[600], bm[600], bs[600], bb[600], sp[600], sm[600], ss[600], sb[600];
    snprintf(bp, sizeof bp, "%s/bodies-pdq.txt", dir);
    snprintf(bm, sizeof bm, "%s/bodies-md5.txt", dir);
    snprintf(bs, sizeof bs, "%s/bodies-sha256.txt", dir);
    snprintf(bb, sizeof bb, "%s/bodies-pdq100.txt", dir);
    FILE *fp = fopen(bp, "w"), *fm = fopen(bm, "w"), *fs = fopen(bs, "w"), *fb = fopen(bb, "w");
    if (!fp || !fm || !fs || !fb)
        die(dir, strerror(errno));
    uint64_t seed = 42;
    for (size_t i = 0; i < QUERIES; i++) {
        ad_media m;
        media_of((size_t)(mix(&seed) % n), &m);
        for (int k = 0; k < 8; k++) {
            int bit = (int)(mix(&seed) % 256);
            m.pdq.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        qp[i].type = AD_MATCH_PDQ;
        qp[i].npdq = 1;
        qp[i].pdq[0] = m.pdq;
        qp[i].radius = 31;
        qm[i].type = AD_MATCH_MD5;
        memcpy(qm[i].digest, m.md5, 16);
        qs[i].type = AD_MATCH_SHA256;
        memcpy(qs[i].digest, m.sha256, 32);
        char h[65];
        hex(m.pdq.b, 32, h);
        fprintf(fp, "{\"hashes\":[{\"type\":\"pdq\",\"value\":\"%s\",\"radius\":31}]}\n", h);
        if (i % 100 == 0)
            fprintf(fb, "%s{\"hashes\":[", i ? "]}\n" : "");
        fprintf(fb, "%s{\"type\":\"pdq\",\"value\":\"%s\",\"radius\":31}", i % 100 ? "," : "", h);
        hex(m.md5, 16, h);
        fprintf(fm, "{\"hashes\":[{\"type\":\"md5\",\"value\":\"%s\"}]}\n", h);
        hex(m.sha256, 32, h);
        fprintf(fs, "{\"hashes\":[{\"type\":\"sha256\",\"value\":\"%s\"}]}\n", h);
    }
    fprintf(fb, "]}\n");
    fclose(fp);
    fclose(fm);
    fclose(fs);
    fclose(fb);

    /* the index called directly, same queries and threads */
    double hr;
    double d_pdq = direct(lv, plat, qp, QUERIES, threads, secs, 1, &hr);
    double d_pdq100 = direct(lv, plat, qp, QUERIES, threads, secs, 100, &hr);
    double d_md5 = direct(lv, plat, qm, QUERIES, threads, secs / 2, 1, &hr);

    /* the server */
    long rss1b = rss_kb(); /* the index, the queries and what the direct runs left */
    char alog[600];
    snprintf(alog, sizeof alog, "%s/serve-access.log", dir);
    unlink(alog);
    ad_server_opts o = {0};
    o.db_url = url;
    o.listen = "127.0.0.1:0";
    o.threads = (unsigned)threads;
    o.access_log = alog;
    o.live = lv;
    ad_server *srv;
    if (ad_server_start(&srv, &o, &err) != AD_OK)
        die("server", err.msg);
    char base[128];
    snprintf(base, sizeof base, "http://%s/v1/match", ad_server_address(srv));
    snprintf(sp, sizeof sp, "%s/wrk-pdq.lua", dir);
    snprintf(sm, sizeof sm, "%s/wrk-md5.lua", dir);
    snprintf(ss, sizeof ss, "%s/wrk-sha256.lua", dir);
    snprintf(sb, sizeof sb, "%s/wrk-pdq100.lua", dir);
    write_script(sp, bp, key);
    write_script(sm, bm, key);
    write_script(ss, bs, key);
    write_script(sb, bb, key);
    wrk_result w_pdq = run_wrk(base, sp, conns, secs);
    wrk_result w_b100 = run_wrk(base, sb, conns, secs);
    wrk_result w_md5 = run_wrk(base, sm, conns, secs);
    wrk_result w_sha = run_wrk(base, ss, conns, secs);
    long rss2 = rss_kb();
    ad_server_stop(srv, 5);
    /* the index directly again after the server's runs: the baseline is the mean of both, so
     * that a machine whose load drifts (it is shared) does not favour either side */
    double d_pdq_before = d_pdq, d_pdq_after = direct(lv, plat, qp, QUERIES, threads, secs, 1, &hr);
    d_pdq = (d_pdq_before + d_pdq_after) / 2;

    /* the same digest matches with one audit row per read (what the batches replace) */
    o.audit_reads_inline = 1;
    if (ad_server_start(&srv, &o, &err) != AD_OK)
        die("server", err.msg);
    char base2[128];
    snprintf(base2, sizeof base2, "http://%s/v1/match", ad_server_address(srv));
    wrk_result w_rows = run_wrk(base2, sm, conns, secs);
    ad_server_stop(srv, 5);
    o.audit_reads_inline = 0;
    if (ad_server_start(&srv, &o, &err) != AD_OK)
        die("server", err.msg);
    snprintf(base, sizeof base, "http://%s/v1/match", ad_server_address(srv));

    /* one digest answer, for nginx to serve the same bytes */
    char cmd[1200], answer[4096] = "";
    snprintf(cmd, sizeof cmd,
             "curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' "
             "--data-binary \"$(head -1 '%s')\" '%s'",
             key, bm, base);
    FILE *p = popen(cmd, "r");
    if (p) {
        size_t k = fread(answer, 1, sizeof answer - 1, p);
        answer[k] = 0;
        pclose(p);
    }
    ad_server_stop(srv, 5);
    for (char *c = answer; *c; c++)
        if (*c == '\'')
            *c = '"';
    int port = 20000 + (int)(getpid() % 20000);
    pid_t ng = start_nginx(dir, port, threads, answer);
    char nurl[128];
    snprintf(nurl, sizeof nurl, "http://127.0.0.1:%d/v1/match", port);
    wrk_result w_ng = run_wrk(nurl, sm, conns, secs);
    kill(ng, SIGTERM);
    waitpid(ng, NULL, 0);
    ad_live_free(lv);

    printf("bench_serve: %zu media (MD5, SHA-256, PDQ) in one granted list; %d server threads, "
           "wrk 1 thread %d connections, %.0f s each; the load generator shares the machine\n",
           n, threads, conns, secs);
    printf("live index: loaded in %.1f s, %.0f MB (RSS growth); the server beside it under load: "
           "%.0f MB more\n",
           load_s, (double)(rss1 - rss0) / 1024, (double)(rss2 - rss1b) / 1024);
    printf("%-44s %12s %12s %8s %9s\n", "", "ours/s", "baseline/s", "ratio", "p99 ms");
    printf("%-44s %12.0f %12.0f %8.2f %9.2f\n", "PDQ r31, 1 a request vs index direct",
           w_pdq.rps, d_pdq, w_pdq.rps / d_pdq, w_pdq.p99_ms);
    printf("%-44s %12.0f %12.0f\n", "  (index direct before and after the server)", d_pdq_before,
           d_pdq_after);
    printf("%-44s %12.0f %12.0f %8.2f %9.2f\n", "PDQ r31, 100 a request vs direct batch of 100",
           w_b100.rps * 100, d_pdq100, w_b100.rps * 100 / d_pdq100, w_b100.p99_ms);
    printf("%-44s %12.0f %12.0f %8.2f\n", "  (the same vs the index one query at a time)",
           w_b100.rps * 100, d_pdq, w_b100.rps * 100 / d_pdq);
    printf("%-44s %12.0f %12.0f %8.2f %9.2f\n", "MD5, 1 a request vs nginx static", w_md5.rps,
           w_ng.rps, w_md5.rps / w_ng.rps, w_md5.p99_ms);
    printf("%-44s %12.0f %12.0f %8.2f %9.2f\n", "SHA-256, 1 a request vs nginx static", w_sha.rps,
           w_ng.rps, w_sha.rps / w_ng.rps, w_sha.p99_ms);
    printf("%-44s %12.0f %12s %8s %9.2f\n", "nginx static (same answer size)", w_ng.rps, "", "",
           w_ng.p99_ms);
    printf("%-44s %12.0f %12.0f %8.2f %9.2f\n", "MD5: reads audited in batches vs a row each",
           w_md5.rps, w_rows.rps, w_md5.rps / w_rows.rps, w_rows.p99_ms);
    printf("%-44s %12.0f\n", "MD5 lookups direct (index, same threads)", d_md5);
    if (w_pdq.non2xx || w_b100.non2xx || w_md5.non2xx || w_sha.non2xx)
        printf("WARNING: answers other than 2xx: %ld %ld %ld %ld\n", w_pdq.non2xx, w_b100.non2xx,
               w_md5.non2xx, w_sha.non2xx);
    free(qp);
    free(qm);
    free(qs);
    return 0;
}
