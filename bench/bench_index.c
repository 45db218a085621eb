/* bench_index.c: the match index on a hashbench data set, beside brute force and FAISS.
 *
 *   bench_index [options] PREFIX      (PREFIX.db.hex, PREFIX.queries.hex, PREFIX.gt.txt from
 *                                      hashbench's `gen`; scripts/bench-index makes them)
 *   --budget S          seconds of query time per single-thread measurement (default 20)
 *   --faiss-qps X       FAISS IndexBinaryMultiHash qps measured by hashbench's faiss_bench
 *   --faiss-build-s X   its build time        --faiss-mb X   its index memory (MB)
 *   --snapshot DIR      where to write the snapshot (default /tmp)
 *   --no-brute          skip our tiled brute force (then no brute ratio)
 *
 * Single-thread figures are the median over chunks of 256 queries of queries/s, as hashbench
 * reports them, by wall time (as hashbench) and by thread CPU time ("cpu", which a shared,
 * busy machine disturbs less). Prints "RESULT key=value ..." lines and a
 * Markdown summary. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/index.h"
#include "ariadne/util.h"

#define CHUNK 256

static double budget = 20;
/* Thread CPU time: steadier than wall time on a shared machine (both are reported). */
static double cpuclock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ad_h256 *read_hex(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16;
    ad_h256 *h = malloc(cap * sizeof *h);
    char line[4096];
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        if (*n == cap)
            h = realloc(h, (cap *= 2) * sizeof *h);
        if (ad_h256_parse(&h[*n], line, len, NULL) != AD_OK) {
            fprintf(stderr, "%s: line %zu: not a hash\n", path, *n + 1);
            exit(1);
        }
        (*n)++;
    }
    fclose(f);
    return h;
}

/* Ground truth: per query, sorted "id:dist" pairs as (id << 16 | dist). */
typedef struct gt {
    uint64_t **pairs;
    size_t *count;
} gt;

static gt read_gt(const char *path, size_t nq)
{
    gt g = {calloc(nq, sizeof(uint64_t *)), calloc(nq, sizeof(size_t))};
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t qid, cnt;
    char c;
    while (fscanf(f, " %c", &c) == 1) {
        if (c == '#') {
            while ((c = (char)fgetc(f)) != '\n' && c != EOF)
                ;
            continue;
        }
        ungetc(c, f);
        if (fscanf(f, "%zu %zu", &qid, &cnt) != 2 || qid >= nq)
            break;
        g.count[qid] = cnt;
        g.pairs[qid] = malloc((cnt + 1) * 8);
        for (size_t i = 0; i < cnt; i++) {
            unsigned long long id;
            unsigned d;
            if (fscanf(f, " %llu:%u", &id, &d) != 2)
                exit(1);
            g.pairs[qid][i] = id << 16 | d;
        }
    }
    fclose(f);
    return g;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int exact(const gt *g, size_t q, const ad_index_hits *h)
{
    if (h->n != g->count[q])
        return 0;
    uint64_t *v = malloc((h->n + 1) * 8);
    for (size_t i = 0; i < h->n; i++)
        v[i] = h->v[i].id << 16 | h->v[i].dist;
    qsort(v, h->n, 8, cmp_u64);
    int ok = h->n == 0 || memcmp(v, g->pairs[q], h->n * 8) == 0;
    free(v);
    return ok;
}

typedef struct run {
    double qps_median, qps_cpu, qps_all, max_ms;
    size_t done, exact;
} run;

/* Single-threaded queries (those with sel[q] set, all if sel is NULL) until the budget. */
static run measure(const ad_index *ix, const ad_h256 *q, size_t nq, const gt *g, const uint8_t *sel,
                   int dihedral)
{
    run r = {0};
    double *rates = malloc((nq / CHUNK + 2) * sizeof *rates);
    double *crates = malloc((nq / CHUNK + 2) * sizeof *crates);
    size_t nrates = 0, inchunk = 0;
    double t_all = 0, t_chunk = 0, c_chunk = 0;
    ad_index_hits h = {0};
    for (size_t i = 0; i < nq && t_all < budget; i++) {
        if (sel && !sel[i])
            continue;
        double t0 = ad_now(), c0 = cpuclock();
        if (dihedral) {
            ad_h256 v[8];
            for (int k = 0; k < 8; k++)
                v[k] = q[(i + (size_t)k * 7919) % nq];
            v[0] = q[i];
            ad_index_search_dihedral(ix, v, 31, &h, NULL);
        } else {
            ad_index_search(ix, &q[i], 31, &h, NULL);
        }
        double dt = ad_now() - t0;
        c_chunk += cpuclock() - c0;
        t_all += dt;
        t_chunk += dt;
        if (dt * 1e3 > r.max_ms)
            r.max_ms = dt * 1e3;
        r.done++;
        if (g && exact(g, i, &h))
            r.exact++;
        if (++inchunk == CHUNK) {
            crates[nrates] = CHUNK / c_chunk;
            rates[nrates++] = CHUNK / t_chunk;
            inchunk = 0;
            t_chunk = c_chunk = 0;
        }
    }
    if (nrates == 0 && inchunk) {
        crates[nrates] = (double)inchunk / c_chunk;
        rates[nrates++] = (double)inchunk / t_chunk;
    }
    qsort(rates, nrates, sizeof *rates, cmp_double);
    qsort(crates, nrates, sizeof *crates, cmp_double);
    r.qps_median = nrates ? rates[nrates / 2] : 0;
    r.qps_cpu = nrates ? crates[nrates / 2] : 0;
    free(crates);
    r.qps_all = t_all > 0 ? (double)r.done / t_all : 0;
    ad_index_hits_free(&h);
    free(rates);
    return r;
}

/* Our tiled brute force: database in 256 KiB blocks, 8 queries per pass, AVX-512 VPOPCNTDQ
 * (one 64-bit lane per query, each database word broadcast), as hashbench's `brute tile`. */
__attribute__((target("avx512f,avx512vpopcntdq"))) static size_t
tile8(const uint64_t *db, size_t n, const uint64_t *q8 /* [4][8] */, int r)
{
    __m512i Q[4];
    for (int w = 0; w < 4; w++)
        Q[w] = _mm512_loadu_si512(q8 + 8 * w);
    const __m512i R = _mm512_set1_epi64(r);
    size_t hits = 0;
    for (size_t j = 0; j < n; j++) {
        const uint64_t *x = db + 4 * j;
        __m512i s = _mm512_add_epi64(
            _mm512_add_epi64(
                _mm512_popcnt_epi64(_mm512_xor_si512(Q[0], _mm512_set1_epi64((long long)x[0]))),
                _mm512_popcnt_epi64(_mm512_xor_si512(Q[1], _mm512_set1_epi64((long long)x[1])))),
            _mm512_add_epi64(
                _mm512_popcnt_epi64(_mm512_xor_si512(Q[2], _mm512_set1_epi64((long long)x[2]))),
                _mm512_popcnt_epi64(_mm512_xor_si512(Q[3], _mm512_set1_epi64((long long)x[3])))));
        __mmask8 m = _mm512_cmple_epu64_mask(s, R);
        if (__builtin_expect(m != 0, 0))
            hits += (size_t)__builtin_popcount(m);
    }
    return hits;
}

static double brute_qps(const ad_h256 *db, size_t n, const ad_h256 *q, size_t nq, double *cpu)
{
    *cpu = 0;
    if (ad_index_cpu_best() != AD_INDEX_CPU_AVX512)
        return 0;
    const size_t blk = 8192, qchunk = CHUNK;
    double *rates = malloc((nq / qchunk + 1) * sizeof *rates);
    double *crates = malloc((nq / qchunk + 1) * sizeof *crates);
    size_t nrates = 0, sink = 0;
    double total = 0;
    for (size_t q0 = 0; q0 + qchunk <= nq && total < budget; q0 += qchunk) {
        double t0 = ad_now(), c0 = cpuclock();
        for (size_t b0 = 0; b0 < n; b0 += blk) {
            size_t bn = n - b0 < blk ? n - b0 : blk;
            for (size_t g = 0; g < qchunk; g += 8) {
                uint64_t q8[32];
                for (int k = 0; k < 8; k++) {
                    uint64_t w[4];
                    memcpy(w, q[q0 + g + (size_t)k].b, 32);
                    for (int x = 0; x < 4; x++)
                        q8[8 * x + k] = w[x];
                }
                sink += tile8((const uint64_t *)(const void *)(db + b0), bn, q8, 31);
            }
        }
        double dt = ad_now() - t0;
        total += dt;
        crates[nrates] = qchunk / (cpuclock() - c0);
        rates[nrates++] = qchunk / dt;
    }
    qsort(rates, nrates, sizeof *rates, cmp_double);
    qsort(crates, nrates, sizeof *crates, cmp_double);
    double med = nrates ? rates[nrates / 2] : 0;
    *cpu = nrates ? crates[nrates / 2] : 0;
    free(rates);
    free(crates);
    if (sink == (size_t)-1)
        printf("#\n");
    return med;
}

static double rss_mb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static void near_copies(const ad_h256 *db, size_t n, ad_h256 *out, size_t k, uint64_t seed)
{
    for (size_t i = 0; i < k; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        out[i] = db[(seed >> 17) % n];
        for (int f = 0; f < 8; f++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned bit = (unsigned)(seed >> 40) % 256;
            out[i].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
}

int main(int argc, char **argv)
{
    const char *prefix = NULL, *snapdir = "/tmp";
    double faiss_qps = 0, faiss_build = 0, faiss_mb = 0;
    int do_brute = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--budget") && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (!strcmp(argv[i], "--faiss-qps") && i + 1 < argc)
            faiss_qps = atof(argv[++i]);
        else if (!strcmp(argv[i], "--faiss-build-s") && i + 1 < argc)
            faiss_build = atof(argv[++i]);
        else if (!strcmp(argv[i], "--faiss-mb") && i + 1 < argc)
            faiss_mb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--snapshot") && i + 1 < argc)
            snapdir = argv[++i];
        else if (!strcmp(argv[i], "--no-brute"))
            do_brute = 0;
        else if (argv[i][0] != '-')
            prefix = argv[i];
        else {
            fprintf(stderr, "usage: bench_index [--budget S] [--faiss-qps X] [--faiss-build-s X] "
                            "[--faiss-mb X] [--snapshot DIR] [--no-brute] PREFIX\n");
            return 2;
        }
    }
    if (!prefix) {
        /* `make bench` runs every benchmark without arguments: point to the script */
        printf("bench_index: needs a hashbench data set; scripts/bench-index generates one and "
               "runs it with FAISS and brute force beside (see docs/benchmarks.md)\n");
        return 0;
    }
    char path[4096];
    size_t n, nq;
    snprintf(path, sizeof path, "%s.db.hex", prefix);
    ad_h256 *db = read_hex(path, &n);
    snprintf(path, sizeof path, "%s.queries.hex", prefix);
    ad_h256 *q = read_hex(path, &nq);
    snprintf(path, sizeof path, "%s.gt.txt", prefix);
    gt g = read_gt(path, nq);
    uint64_t *ids = malloc(n * 8);
    for (size_t i = 0; i < n; i++)
        ids[i] = i;
    printf("# bench_index %s: N=%zu Q=%zu, best CPU path %s, budget %.0f s\n", prefix, n, nq,
           ad_index_cpu_name(ad_index_cpu_best()), budget);

    /* build */
    ad_index *ix;
    ad_index_new(&ix, NULL);
    double rss0 = rss_mb(), t0 = ad_now();
    ad_err err;
    if (ad_index_add(ix, db, ids, n, &err) != AD_OK || ad_index_compact(ix, &err) != AD_OK) {
        fprintf(stderr, "build: %s\n", err.msg);
        return 1;
    }
    double build_s = ad_now() - t0, rss1 = rss_mb();
    double bph = (double)ad_index_memory(ix) / (double)n;
    printf("RESULT what=build N=%zu build_s=%.3f bytes_per_hash=%.1f index_mb=%.1f "
           "rss_growth_mb=%.1f\n",
           n, build_s, bph, (double)ad_index_memory(ix) / 1048576.0, rss1 - rss0);
    fflush(stdout);

    /* queries, single thread, every CPU path; the best path on all queries */
    uint8_t *has = malloc(nq), *none = malloc(nq), *big = malloc(nq);
    size_t nbig = 0;
    for (size_t i = 0; i < nq; i++) {
        has[i] = g.count[i] > 0;
        none[i] = !has[i];
        big[i] = g.count[i] > 100;
        nbig += big[i];
    }
    run best = {0};
    for (int c = AD_INDEX_CPU_AVX512; c >= AD_INDEX_CPU_SCALAR; c--) {
        if (ad_index_set_cpu(ix, (ad_index_cpu)c, NULL) != AD_OK)
            continue;
        run r = measure(ix, q, nq, &g, NULL, 0);
        printf("RESULT what=query cpu=%s N=%zu qps=%.1f qps_cputime=%.1f qps_all=%.1f queries=%zu "
               "exact=%zu max_ms=%.2f\n",
               ad_index_cpu_name((ad_index_cpu)c), n, r.qps_median, r.qps_cpu, r.qps_all, r.done,
               r.exact, r.max_ms);
        fflush(stdout);
        if (c == (int)ad_index_cpu_best())
            best = r;
    }
    ad_index_set_cpu(ix, AD_INDEX_CPU_AUTO, NULL);
    run rm = measure(ix, q, nq, NULL, has, 0), rn = measure(ix, q, nq, NULL, none, 0);
    run rb = measure(ix, q, nq, NULL, big, 0);
    printf("RESULT what=query_split N=%zu qps_match=%.1f qps_nomatch=%.1f cluster_queries=%zu "
           "cluster_qps=%.1f cluster_max_ms=%.2f (cpu time: %.1f / %.1f)\n",
           n, rm.qps_median, rn.qps_median, nbig, rb.qps_all, rb.max_ms, rm.qps_cpu, rn.qps_cpu);
    run rd = measure(ix, q, nq, NULL, NULL, 1);
    printf("RESULT what=dihedral N=%zu qps=%.1f qps_cputime=%.1f (8 variants per query)\n", n,
           rd.qps_median, rd.qps_cpu);
    /* the batch search (what `ariadne match` and triage use): one thread, then all cores; the
     * median of a few runs */
    ad_index_hits *out = calloc(nq, sizeof *out);
    double batch1 = 0, batchn = 0;
    size_t bexact = nq;
    for (int threads = 1; threads <= 2; threads++) {
        double runs[15];
        int nr = 0;
        double start = ad_now();
        while (nr < 15 && (nr < 3 || ad_now() - start < budget / 4)) {
            t0 = ad_now();
            ad_index_search_batch(ix, q, nq, 0, 31, threads == 1 ? 1 : 0, out, NULL);
            runs[nr++] = ad_now() - t0;
            for (size_t i = 0; i < nq; i++)
                if (!exact(&g, i, &out[i]))
                    bexact--;
        }
        qsort(runs, (size_t)nr, sizeof *runs, cmp_double);
        *(threads == 1 ? &batch1 : &batchn) = (double)nq / runs[nr / 2];
        bexact = bexact == nq ? nq : 0;
    }
    for (size_t i = 0; i < nq; i++)
        ad_index_hits_free(&out[i]);
    printf("RESULT what=batch N=%zu qps_1thread=%.1f qps_all=%.1f threads=%d exact=%zu/%zu\n", n,
           batch1, batchn, ad_cpu_count(), bexact, nq);
    fflush(stdout);

    /* brute force */
    double bqc = 0, bq = do_brute ? brute_qps(db, n, q, nq, &bqc) : 0;
    if (do_brute)
        printf("RESULT what=brute_tile N=%zu qps=%.1f qps_cputime=%.1f\n", n, bq, bqc);

    /* snapshot */
    snprintf(path, sizeof path, "%s/bench_index.%ld.snap", snapdir, (long)getpid());
    t0 = ad_now();
    ad_code sc = ad_index_save(ix, path, &err);
    double save_s = ad_now() - t0;
    ad_index *ix2 = NULL;
    t0 = ad_now();
    if (sc == AD_OK)
        sc = ad_index_load(&ix2, path, &err);
    double load_s = ad_now() - t0;
    run rl = {0};
    if (sc == AD_OK)
        rl = measure(ix2, q, nq, &g, NULL, 0);
    printf(
        "RESULT what=snapshot N=%zu ok=%d save_s=%.2f load_s=%.2f qps_loaded=%.1f exact=%zu/%zu\n",
        n, sc == AD_OK, save_s, load_s, rl.qps_median, rl.exact, rl.done);
    ad_index_free(ix2);
    unlink(path);

    /* inserts and removals into the built index */
    const size_t nins = 100000;
    ad_h256 *ins = malloc(nins * sizeof *ins);
    uint64_t *insid = malloc(nins * 8);
    near_copies(db, n, ins, nins, 42);
    for (size_t i = 0; i < nins; i++)
        insid[i] = n + i;
    t0 = ad_now();
    ad_index_add(ix, ins, insid, nins, NULL);
    double ins_batch = ad_now() - t0;
    near_copies(db, n, ins, nins, 43);
    for (size_t i = 0; i < nins; i++)
        insid[i] = n + nins + i;
    t0 = ad_now();
    for (size_t i = 0; i < nins; i++)
        ad_index_add(ix, &ins[i], &insid[i], 1, NULL);
    double ins_single = ad_now() - t0;
    run ra = measure(ix, q, nq, NULL, NULL, 0);
    t0 = ad_now();
    size_t removed = ad_index_remove(ix, insid, 10000);
    double rem_s = ad_now() - t0;
    t0 = ad_now();
    for (size_t i = 10000; i < 10100; i++)
        removed += ad_index_remove(ix, &insid[i], 1);
    double rem1_s = (ad_now() - t0) / 100;
    printf("RESULT what=update N=%zu insert_100k_batch_s=%.3f insert_100k_single_s=%.3f "
           "qps_after=%.1f remove_10k_s=%.3f remove_one_ms=%.2f removed=%zu\n",
           n, ins_batch, ins_single, ra.qps_median, rem_s, rem1_s * 1e3, removed);

    /* adversarial: a cluster of 20,000 near-duplicates (1..30 bits from a base) and 20,000
     * identical copies, queried at their centre */
    {
        const size_t nc = 20000;
        ad_h256 *cl = malloc(2 * nc * sizeof *cl);
        uint64_t *clid = malloc(2 * nc * 8);
        uint64_t seed = 7;
        for (size_t i = 0; i < 2 * nc; i++) {
            cl[i] = db[i < nc ? 1 : 2];
            clid[i] = 3 * n + i;
            int flips = i < nc ? 1 + (int)(i % 30) : 0;
            for (int f = 0; f < flips; f++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned bit = (unsigned)(seed >> 40) % 256;
                cl[i].b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            }
        }
        ad_index_add(ix, cl, clid, 2 * nc, NULL);
        ad_index_compact(ix, NULL);
        ad_index_hits h = {0};
        for (int which = 1; which <= 2; which++) {
            double tsum = 0;
            size_t found = 0;
            for (int rep = 0; rep < 20; rep++) {
                double c0 = cpuclock();
                ad_index_search(ix, &db[which], 31, &h, NULL);
                tsum += cpuclock() - c0;
                found = h.n;
            }
            printf("RESULT what=adversarial N=%zu kind=%s matches=%zu ms_per_query_cputime=%.2f\n",
                   n, which == 1 ? "cluster_20k_near" : "cluster_20k_identical", found,
                   tsum / 20 * 1e3);
        }
        ad_index_hits_free(&h);
        free(cl);
        free(clid);
    }

    /* summary: the single-thread figure compared is the batch search's (the tiled brute force
     * batches its queries too); one query at a time beside it */
    printf("\n| N | build s | bytes/hash | qps, 1 thread: batch / one at a time | vs brute tile | "
           "vs FAISS MultiHash | match / no-match qps (one at a time) | batch qps (%d threads) | "
           "recall |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
           ad_cpu_count());
    char vb[128] = "n/a", vf[128] = "n/a";
    if (bq > 0)
        snprintf(vb, sizeof vb, "%.1fx (%.0f qps)", batch1 / bq, bq);
    if (faiss_qps > 0)
        snprintf(vf, sizeof vf, "%.0fx (%.1f qps, %.1f s build, %.0f MB)", batch1 / faiss_qps,
                 faiss_qps, faiss_build, faiss_mb);
    printf("| %zu | %.2f | %.1f | %.0f / %.0f | %s | %s | %.0f / %.0f | %.0f | %s |\n", n, build_s,
           bph, batch1, best.qps_median, vb, vf, rm.qps_median, rn.qps_median, batchn,
           best.exact == best.done && bexact == nq ? "1.000000 (exact)" : "MISMATCH");
    ad_index_free(ix);
    return best.exact == best.done && bexact == nq ? 0 : 1;
}
