/* bench_exchange.c: exchange-format throughput. Writes and reads a 100k-record VICS 2.0 hash set
 * beside a baseline (jansson json_load_file of the whole file, then a walk of "value"), and a
 * 1M-line hash list beside a baseline (fgets + hex decode loop). Prints records/s and ratios.
 * Times are CPU time of the process (user + system), best of three, so that other work on a
 * shared machine does not distort them; everything here is single-threaded.
 * Usage: bench_exchange [vics_records] [hashlist_lines]; files go to $TMPDIR (default /tmp). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/exchange.h"
#include "ariadne/util.h"
#include "../tests/exchange_gen.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static ad_code count_media(void *ctx, const ad_xmedia *m, ad_err *err)
{
    (void)err;
    uint64_t *n = ctx;
    *n += m->has != 0;
    return AD_OK;
}

/* Writes records 0..n-1 with add(w, record); returns the seconds taken, or -1 on error. */
typedef ad_code (*add_fn)(void *w, const ad_xmedia *m, ad_err *err);
static ad_code add_vics(void *w, const ad_xmedia *m, ad_err *err)
{
    return ad_vics_writer_add_media(w, m, err);
}
static ad_code add_hashlist(void *w, const ad_xmedia *m, ad_err *err)
{
    return ad_hashlist_writer_add_media(w, m, err);
}

static double write_n(add_fn add, void *w, uint32_t n)
{
    ad_err e;
    double t0 = cpu_now();
    for (uint32_t i = 0; i < n; i++) {
        ad_xmedia m;
        ad_xfile file;
        ad_xmeta meta;
        xgen_record(&m, &file, &meta, i);
        if (add(w, &m, &e) != AD_OK) {
            fprintf(stderr, "%s\n", e.msg);
            return -1;
        }
    }
    return cpu_now() - t0;
}

/* Best of three reads of path with fn (the first warms the page cache as well). */
static double best_read(ad_code (*fn)(FILE *, const ad_exchange_sink *, void *, ad_err *),
                        const char *path, uint64_t *got)
{
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        ad_err e;
        ad_exchange_sink sink = {0};
        sink.media = count_media;
        *got = 0;
        FILE *f = fopen(path, "rb");
        double t0 = cpu_now();
        if (!f || fn(f, &sink, got, &e) != AD_OK) {
            fprintf(stderr, "%s: %s\n", path, f ? e.msg : "cannot open");
            return -1;
        }
        double t = cpu_now() - t0;
        fclose(f);
        best = t < best ? t : best;
    }
    return best;
}

static void line(const char *what, uint64_t n, double secs)
{
    printf("  %-44s %10.0f records/s  (%.2f s)\n", what, (double)n / secs, secs);
}

/* Baseline for VICS: the whole file loaded by jansson, then a walk of "value". */
static double vics_baseline(const char *path, uint64_t *got)
{
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = cpu_now();
        json_error_t je;
        json_t *all = json_load_file(path, 0, &je), *v;
        if (!all) {
            fprintf(stderr, "baseline: %s\n", je.text);
            return -1;
        }
        size_t i;
        *got = 0;
        json_array_foreach(json_object_get(all, "value"), i, v) *got +=
            json_object_get(v, "MD5") != NULL;
        json_decref(all);
        double t = cpu_now() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* Baseline for hash lists: fgets and a hex decode of each line. */
static double hashlist_baseline(const char *path, uint64_t *got)
{
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        FILE *f = fopen(path, "rb");
        if (!f)
            return -1;
        char buf[256];
        uint8_t h[32];
        *got = 0;
        double t0 = cpu_now();
        while (fgets(buf, sizeof buf, f))
            *got += ad_hex_decode(buf, 64, h, 32, NULL) == AD_OK;
        double t = cpu_now() - t0;
        fclose(f);
        best = t < best ? t : best;
    }
    return best;
}

static int bench_vics(const char *path, uint32_t n)
{
    ad_err e;
    FILE *f = fopen(path, "wb");
    ad_vics_writer *w;
    if (!f || ad_vics_writer_open(&w, f, AD_VICS_V2_0, AD_VICS_US, AD_VICS_MEDIA, &e) != AD_OK)
        return 1;
    double t_write = write_n(add_vics, w, n);
    if (ad_vics_writer_close(w, &e) != AD_OK || t_write < 0)
        return 1;
    long size_mb = ftell(f) >> 20;
    fclose(f);
    uint64_t got, base_n;
    double t_read = best_read(ad_vics_read, path, &got);
    long rss_ours = max_rss_mb();
    double t_base = vics_baseline(path, &base_n);
    long rss_base = max_rss_mb();
    if (t_read < 0 || t_base < 0)
        return 1;
    printf("VICS 2.0 hash set, %u records, %ld MB (best of 3 reads)\n", n, size_mb);
    line("ad_vics_writer (strict, streaming)", n, t_write);
    line("ad_vics_read (streaming, full conversion)", got, t_read);
    line("baseline: jansson json_load_file, whole file", base_n, t_base);
    printf("  ratio read/baseline: %.2f   max RSS after ours: %ld MB, after baseline: %ld MB\n",
           t_base / t_read, rss_ours, rss_base);
    return got == n && base_n == n ? 0 : 1;
}

static int bench_hashlist(const char *path, uint32_t n)
{
    ad_err e;
    FILE *f = fopen(path, "wb");
    ad_hashlist_writer *w;
    if (!f || ad_hashlist_writer_open(&w, f, AD_XHASH_SHA256, 0, AD_CAT_NONE, &e) != AD_OK)
        return 1;
    double t_write = write_n(add_hashlist, w, n);
    if (ad_hashlist_writer_close(w, &e) != AD_OK || t_write < 0)
        return 1;
    fclose(f);
    uint64_t got, base_n;
    double t_read = best_read(ad_hashlist_read, path, &got);
    double t_base = hashlist_baseline(path, &base_n);
    if (t_read < 0 || t_base < 0)
        return 1;
    printf("hash list, %u SHA-256 lines (best of 3 reads)\n", n);
    line("ad_hashlist_writer", n, t_write);
    line("ad_hashlist_read (typed, trimmed, full record)", got, t_read);
    line("baseline: fgets + hex decode", base_n, t_base);
    printf("  ratio read/baseline: %.2f\n", t_base / t_read);
    return got == n && base_n == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    uint32_t nv = argc > 1 ? (uint32_t)atol(argv[1]) : 100000;
    uint32_t nh = argc > 2 ? (uint32_t)atol(argv[2]) : 1000000;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char vpath[4096], hpath[4096];
    snprintf(vpath, sizeof vpath, "%s/bench_exchange_%d.json", tmp, (int)getpid());
    snprintf(hpath, sizeof hpath, "%s/bench_exchange_%d.txt", tmp, (int)getpid());
    int rc = bench_vics(vpath, nv) | bench_hashlist(hpath, nh);
    remove(vpath);
    remove(hpath);
    return rc;
}
