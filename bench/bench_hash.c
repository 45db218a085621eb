/* bench_hash.c: hashing speed on the same files, side by side with a plain full-resolution
 * libjpeg-turbo decode (the baseline), as ratios:
 *   baseline  decode to RGB at full size, nothing else
 *   exact     decode + PDQ (bit-exact), and the full record (digests, type, decode, PDQ, 8 variants)
 *   fast      the fast mode's record
 *   -j 2      the full record on 2 threads vs 1
 * Files are read into memory first, so disk speed is out of the figures.
 * Usage: bench_hash [-r REPS] FILE.jpg... */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include <time.h>

#include "ariadne/hash.h"
#include "ariadne/util.h"

/* CPU seconds of this process: single-threaded figures stay honest on a busy machine. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct file {
    const char *path;
    uint8_t *data;
    size_t len;
};

static struct file *files;
static int nfiles;

static void decode_plain(const struct file *f)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, f->data, (unsigned long)f->len);
    jpeg_read_header(&c, TRUE);
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    uint8_t *row = malloc((size_t)c.output_width * 3);
    while (c.output_scanline < c.output_height)
        jpeg_read_scanlines(&c, &row, 1);
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    free(row);
}

struct ctx {
    ad_hasher *h[64];
    ad_hash_opts opts;
};

static void hash_one(void *vctx, size_t i, int worker)
{
    struct ctx *c = vctx;
    if (!c->h[worker])
        ad_hasher_new(&c->h[worker], &c->opts, NULL);
    ad_file_hash fh;
    const struct file *f = &files[i % (size_t)nfiles];
    if (ad_hasher_buffer(c->h[worker], f->data, f->len, &fh, NULL) != AD_OK || !fh.has_pdq) {
        fprintf(stderr, "bench_hash: %s failed\n", f->path);
        exit(1);
    }
}

/* threads == -1: one thread, timed by the wall clock (the -j 1 side of the scaling ratio) */
static double run_hash(int fast, int dihedral, int threads, int reps)
{
    int wall1 = threads == -1;
    if (wall1)
        threads = 1;
    struct ctx c;
    memset(&c, 0, sizeof c);
    ad_hash_opts_default(&c.opts);
    c.opts.fast = fast;
    c.opts.dihedral = dihedral;
    const int cpu = threads == 1 && !wall1;
    double t0 = cpu ? cpu_now() : ad_now();
    ad_parallel_for((size_t)nfiles * (size_t)reps, threads, hash_one, &c, NULL);
    double t = (cpu ? cpu_now() : ad_now()) - t0;
    for (int i = 0; i < 64; i++)
        ad_hasher_free(c.h[i]);
    return t;
}

/* decode + PDQ only (no digests, no type probing): the decoder streaming into the hasher */
struct psink {
    ad_pdq_hasher *h;
    int channels;
};

static ad_code ps_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    struct psink *p = ctx;
    p->channels = channels;
    return ad_pdq_hasher_new(&p->h, w, h, err);
}

static void ps_row(void *ctx, const uint8_t *row)
{
    struct psink *p = ctx;
    ad_pdq_hasher_push_u8(p->h, row, p->channels);
}

static double run_pdq_only(int reps, int fast)
{
    const ad_image_sink sink = {ps_begin, ps_row};
    ad_decode_opts o = {.min_side = fast ? 384 : 0, .luma_only = fast};
    ad_limits_default(&o.limits);
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < nfiles; i++) {
            struct psink p = {0};
            ad_image_info info;
            ad_pdq_result res;
            if (ad_image_decode(AD_MEDIA_JPEG, files[i].data, files[i].len, &o, &sink, &p, &info,
                                NULL) ||
                ad_pdq_hasher_finish(p.h, 1, &res, NULL)) {
                fprintf(stderr, "bench_hash: %s failed\n", files[i].path);
                exit(1);
            }
            ad_pdq_hasher_free(p.h);
        }
    return cpu_now() - t0;
}

int main(int argc, char **argv)
{
    int reps = 3, a = 1;
    if (argc > 2 && !strcmp(argv[1], "-r")) {
        reps = atoi(argv[2]);
        a = 3;
    }
    if (a >= argc) {
        fprintf(stderr, "usage: bench_hash [-r REPS] FILE.jpg...\n");
        return 2;
    }
    nfiles = argc - a;
    files = calloc((size_t)nfiles, sizeof *files);
    double mpx = 0;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = fopen(argv[a + i], "rb");
        if (!f) {
            perror(argv[a + i]);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        files[i].len = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        files[i].data = malloc(files[i].len);
        if (fread(files[i].data, 1, files[i].len, f) != files[i].len)
            return 1;
        fclose(f);
        files[i].path = argv[a + i];
        struct jpeg_decompress_struct c;
        struct jpeg_error_mgr e;
        c.err = jpeg_std_error(&e);
        jpeg_create_decompress(&c);
        jpeg_mem_src(&c, files[i].data, (unsigned long)files[i].len);
        jpeg_read_header(&c, TRUE);
        mpx += (double)c.image_width * c.image_height / 1e6;
        jpeg_destroy_decompress(&c);
    }
    const double n = (double)nfiles * reps;
    run_hash(0, 0, 1, 1); /* warm up */
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < nfiles; i++)
            decode_plain(&files[i]);
    double base = cpu_now() - t0;
    double pdq = run_pdq_only(reps, 0), pdqfast = run_pdq_only(reps, 1);
    double exact = run_hash(0, 1, 1, reps);
    double fast = run_hash(1, 1, 1, reps);
    double exact2 = run_hash(0, 1, 2, reps);
    double fast2 = run_hash(1, 1, 2, reps);
    printf("bench_hash: %d JPEG files, %.1f Mpx on average, %d reps, one core unless noted\n",
           nfiles, mpx / nfiles, reps);
    printf("%-44s %10s %12s %14s\n", "what", "images/s", "ms/image", "time vs decode");
    printf("%-44s %10.1f %12.2f %13.2fx\n", "baseline: libjpeg-turbo full decode to RGB", n / base,
           1e3 * base / n, 1.0);
    printf("%-44s %10.1f %12.2f %13.2fx\n", "exact: decode + PDQ + 8 variants", n / pdq,
           1e3 * pdq / n, pdq / base);
    printf("%-44s %10.1f %12.2f %13.2fx\n", "exact: full record (digests, type, PDQ x8)",
           n / exact, 1e3 * exact / n, exact / base);
    printf("%-44s %10.1f %12.2f %13.2fx\n", "fast: decode + PDQ + 8 variants", n / pdqfast,
           1e3 * pdqfast / n, pdqfast / base);
    printf("%-44s %10.1f %12.2f %13.2fx\n", "fast: full record", n / fast, 1e3 * fast / n,
           fast / base);
    printf("%-44s %10.1f %12s %13s\n", "exact, -j 2 (images/s, both cores)", n / exact2, "", "");
    printf("%-44s %10.1f %12s %13s\n", "fast, -j 2 (images/s, both cores)", n / fast2, "", "");
    double wexact = run_hash(0, 1, -1, reps), wfast = run_hash(1, 1, -1, reps);
    printf("scaling -j 2 / -j 1 (wall clock): exact %.2fx, fast %.2fx\n", wexact / exact2,
           wfast / fast2);
    printf("(single-core figures are CPU time; -j figures wall time, so a busy machine lowers "
           "them)\n");
    return 0;
}
