/* bench_ingest.c: triage of a seizure in which most files are already known, against its floor,
 * in one run on the same files:
 *   digests  every file read and its MD5, SHA-1 and SHA-256 computed, on all cores (the floor
 *            for a known file: it must be read and its digests computed);
 *   full     `ariadne ingest` of the seizure into an empty store (every file decoded, PDQ with
 *            8 variants, EXIF, matched and recorded);
 *   known80  the same seizure ingested into a store that already holds 80% of its files (exact
 *            copies: 4 in 5 files are known media).
 * The floor of known80 is 0.8 x digests + 0.2 x full; the ratio known80 / floor is the figure
 * (target <= 1.10). The three are run in turns, REPS times, and the fastest of each counts (the
 * machine may be shared); wall and CPU seconds are both printed. These three run without
 * thumbnails (ingest --no-thumbnails: hashing alone, like with like with the digests); full and
 * known80 run once more each with thumbnails (ingest's default since issue 14: one per decoded
 * file, kept in the store), for their cost.
 * The seizure: FILES photo-like JPEGs (2 to 12 Mpx, sensor-like noise, quality 88-95) made once
 * with ImageMagick from the benign reference photos in tests/vectors, kept in DIR; the files
 * that are not known are also rolled (shifted cyclically), so that they are new, not PDQ
 * matches of known ones.
 *   bench_ingest [-n FILES] [-r REPS] [-d DIR]     (defaults 120, 3, bench/out/ingest-photos)
 * With -f PICTURES instead: ingest of the folder PICTURES into an empty store without and with
 * local features (issue 13's cost: images per second with / without, target >= 0.5), in turns,
 * the fastest of REPS runs of each, wall and CPU seconds, with the load average at the start
 * and the end (features_cost).
 *   bench_ingest -f PICTURES [-r REPS] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/hash.h"
#include "ariadne/ingest.h"
#include "ariadne/store.h"
#include "ariadne/util.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    double wall, cpu;
} timing;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_ingest: %s: %s\n", what, msg);
    exit(1);
}

static void sh(const char *cmd)
{
    if (system(cmd) != 0)
        die("command failed", cmd);
}

/* ---- the photos ---- */

static const char *const sources[] = {
    "tests/vectors/pdq/data/reg-test-input/exif-rotn/exif-rotn-6.jpg",
    "tests/vectors/pdq/data/bridge-mods/aaa-orig.jpg",
    "tests/vectors/pdq/data/reg-test-input/pen-and-coaster.png",
    "tests/vectors/pdq/pytx-resources/letterboxed_sample-b.jpg",
    "tests/vectors/pdq/data/reg-test-input/labelme-subset/q0291.jpg",
    "tests/vectors/pdq/data/reg-test-input/labelme-subset/q1050.jpg",
    "tests/vectors/pdq/data/reg-test-input/labelme-subset/q2821.jpg",
};
static const char *const sizes[] = {"4032x3024", "3000x2000", "2048x1536", "3264x2448",
                                    "1600x1200"};

/* Makes DIR/seizure/pNNNN.jpg (every file distinct) and DIR/known/ (hard links to the 4 in 5
 * files that are known), unless DIR/done-N says they are there. */
static void make_photos(const char *dir, int n)
{
    char done[4096], cmd[8192];
    snprintf(done, sizeof done, "%s/done-v2-%d", dir, n);
    if (access(done, F_OK) == 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/seizure' '%s/known'", dir, dir, dir);
    sh(cmd);
    char list[4096];
    snprintf(list, sizeof list, "%s/make.txt", dir);
    FILE *f = fopen(list, "w");
    if (!f)
        die("cannot write", list);
    const int ns = (int)(sizeof sources / sizeof *sources),
              nz = (int)(sizeof sizes / sizeof *sizes);
    for (int i = 0; i < n; i++)
        fprintf(f,
                "%s -resize %s! %s -modulate %d,%d,%d -attenuate 0.4 +noise Gaussian "
                "-quality %d %s/seizure/p%04d.jpg\n",
                sources[i % ns], sizes[(i / ns) % nz],
                i % 5 ? "" : "-roll +1000+700", /* unknown files: far from every known PDQ */
                95 + i % 11, 90 + i % 21, 95 + i % 9, 88 + i % 8, dir, i);
    fclose(f);
    fprintf(stderr, "bench_ingest: making %d photos in %s (once)\n", n, dir);
    snprintf(cmd, sizeof cmd, "xargs -P 2 -L 1 /usr/bin/convert < '%s'", list);
    sh(cmd);
    for (int i = 0; i < n; i++)
        if (i % 5) {
            snprintf(cmd, sizeof cmd, "%s/seizure/p%04d.jpg", dir, i);
            char to[4096];
            snprintf(to, sizeof to, "%s/known/p%04d.jpg", dir, i);
            if (link(cmd, to) != 0)
                die("cannot link", to);
        }
    f = fopen(done, "w");
    if (f)
        fclose(f);
}

/* ---- digests alone ---- */

struct files {
    char **path;
    size_t n;
    uint64_t bytes;
};

static void list_files(const char *dir, struct files *fs)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0)
        die("cannot list", dir);
    fs->path = calloc((size_t)n, sizeof *fs->path);
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.') {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, ents[i]->d_name);
            struct stat st;
            if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                fs->path[fs->n++] = strdup(p);
                fs->bytes += (uint64_t)st.st_size;
            }
        }
        free(ents[i]);
    }
    free(ents);
}

struct dctx {
    const struct files *fs;
    ad_digester *d[64];
    uint8_t *buf[64];
    int failed;
};

static void digest_one(void *vctx, size_t i, int w)
{
    struct dctx *c = vctx;
    if (!c->d[w] && ad_digester_new(&c->d[w], NULL) != AD_OK) {
        c->failed = 1;
        return;
    }
    if (!c->buf[w])
        c->buf[w] = malloc(1 << 20);
    FILE *f = fopen(c->fs->path[i], "rb");
    if (!f || !c->buf[w]) {
        c->failed = 1;
        if (f)
            fclose(f);
        return;
    }
    ad_digester_reset(c->d[w]);
    size_t got;
    while ((got = fread(c->buf[w], 1, 1 << 20, f)) > 0)
        ad_digester_update(c->d[w], c->buf[w], got);
    fclose(f);
    ad_digests out;
    ad_digester_final(c->d[w], &out);
}

static timing run_digests(const struct files *fs)
{
    struct dctx c;
    memset(&c, 0, sizeof c);
    c.fs = fs;
    timing t = {ad_now(), cpu_now()};
    if (ad_parallel_for(fs->n, 0, digest_one, &c, NULL) != AD_OK || c.failed)
        die("digests", "failed");
    t = (timing){ad_now() - t.wall, cpu_now() - t.cpu};
    for (int w = 0; w < 64; w++) {
        ad_digester_free(c.d[w]);
        free(c.buf[w]);
    }
    return t;
}

/* ---- ingest ---- */

static void fresh_store(const char *path)
{
    unlink(path);
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", path);
    ad_store *st;
    ad_err err;
    ad_agency a = {.name = "Lab", .kind = "police"};
    if (ad_store_open(&st, url, AD_STORE_CREATE, &err) != AD_OK ||
        ad_store_agency_add(st, &a, NULL, &err) != AD_OK)
        die("store", err.msg);
    ad_store_close(st);
}

static timing run_ingest(const char *db, const char *root, const char *case_no, int thumbnails,
                         int features, ad_ingest_stats *s)
{
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s", db);
    ad_store *st;
    ad_err err;
    if (ad_store_open(&st, url, 0, &err) != AD_OK)
        die("store", err.msg);
    ad_store_set_actor(st, "local:bench", 0);
    ad_ingest_opts o;
    ad_ingest_opts_default(&o);
    o.case_number = case_no;
    o.agency = "Lab";
    o.thumbnails = thumbnails;
    o.features = features;
    timing t = {ad_now(), cpu_now()};
    if (ad_ingest(st, &root, 1, &o, s, &err) != AD_OK)
        die("ingest", err.msg);
    t = (timing){ad_now() - t.wall, cpu_now() - t.cpu};
    ad_store_close(st);
    return t;
}

static void copy_file(const char *from, const char *to)
{
    char cmd[8500];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    sh(cmd);
}

static void keep_min(timing *best, timing t)
{
    if (best->wall == 0 || t.wall < best->wall)
        best->wall = t.wall;
    if (best->cpu == 0 || t.cpu < best->cpu)
        best->cpu = t.cpu;
}

/* -f DIR: ingest of DIR (new pictures, into an empty store, thumbnails as by default) without
 * and with local features, in turns, reps times; the fastest of each; the ratio of images per
 * second with features to without (issue 13's cost target: >= 0.5). */
static int features_cost(const char *root, const char *db, int reps)
{
    timing off = {0}, on = {0};
    ad_ingest_stats s;
    uint64_t files = 0;
    double load0[1] = {0}, load1[1] = {0}; /* the machine's load: wall times depend on it */
    if (getloadavg(load0, 1) != 1)
        load0[0] = -1;
    for (int r = 0; r < reps; r++) {
        fresh_store(db);
        keep_min(&off, run_ingest(db, root, "NOFEAT", 1, 0, &s));
        fresh_store(db);
        keep_min(&on, run_ingest(db, root, "FEAT", 1, 1, &s));
        files = s.counts[AD_RC_NEW];
    }
    unlink(db);
    if (getloadavg(load1, 1) != 1)
        load1[0] = -1;
    printf("ingest of %s: %llu new images, fastest of %d runs in turns; %d cores; load %.1f at "
           "the start, %.1f at the end\n",
           root, (unsigned long long)files, reps, ad_cpu_count(), load0[0], load1[0]);
    printf("%-24s %9s %9s %12s %12s\n", "what", "wall s", "cpu s", "images/s", "images/cpu-s");
    printf("%-24s %9.3f %9.3f %12.1f %12.1f\n", "without features", off.wall, off.cpu,
           (double)files / off.wall, (double)files / off.cpu);
    printf("%-24s %9.3f %9.3f %12.1f %12.1f\n", "with features", on.wall, on.cpu,
           (double)files / on.wall, (double)files / on.cpu);
    printf("with / without features: %.2fx images per cpu-second, %.2fx per wall second "
           "(target >= 0.5)\n",
           off.cpu / on.cpu, off.wall / on.wall);
    return 0;
}

int main(int argc, char **argv)
{
    int n = 120, reps = 3;
    const char *dir = "bench/out/ingest-photos", *feat = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-d") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "-f") && i + 1 < argc)
            feat = argv[++i];
        else {
            fprintf(stderr, "usage: bench_ingest [-n FILES] [-r REPS] [-d DIR] [-f PICTURES]\n");
            return 2;
        }
    }
    if (n < 5 || reps < 1)
        die("usage", "-n must be at least 5 and -r at least 1");
    if (feat) {
        char db[4200];
        snprintf(db, sizeof db, "/tmp/bench_ingest-%d.db", (int)getpid());
        return features_cost(feat, db, reps);
    }
    make_photos(dir, n);
    char seizure[4096], known[4096], db[4200], known_db[4200];
    snprintf(seizure, sizeof seizure, "%s/seizure", dir);
    snprintf(known, sizeof known, "%s/known", dir);
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(known_db, sizeof known_db, "%s/known.db", dir);
    struct files fs = {0};
    list_files(seizure, &fs);
    /* the store holding the known 80%, made once per run (not timed) */
    ad_ingest_stats s;
    fresh_store(known_db);
    run_ingest(known_db, known, "KNOWN", 0, 1, &s);
    timing dg = {0}, full = {0}, k80 = {0}, full_t = {0}, k80_t = {0};
    uint64_t known_files = 0;
    for (int r = 0; r < reps; r++) {
        keep_min(&dg, run_digests(&fs));
        fresh_store(db);
        keep_min(&full, run_ingest(db, seizure, "FULL", 0, 1, &s));
        copy_file(known_db, db);
        keep_min(&k80, run_ingest(db, seizure, "SEIZURE", 0, 1, &s));
        known_files = s.counts[AD_RC_KNOWN_UNSERIESED];
        fresh_store(db);
        keep_min(&full_t, run_ingest(db, seizure, "FULL", 1, 1, &s));
        copy_file(known_db, db);
        keep_min(&k80_t, run_ingest(db, seizure, "SEIZURE", 1, 1, &s));
    }
    unlink(db);
    printf("seizure: %zu photos, %.1f MB (%.2f MB each), %llu of them known; %d cores; fastest "
           "of %d runs\n",
           fs.n, (double)fs.bytes / 1e6, (double)fs.bytes / 1e6 / (double)fs.n,
           (unsigned long long)known_files, ad_cpu_count(), reps);
    printf("%-34s %9s %9s %10s\n", "what", "wall s", "cpu s", "files/s");
    const struct {
        const char *what;
        timing t;
    } row[] = {{"digests alone (MD5+SHA-1+SHA-256)", dg},
               {"full record (empty store)", full},
               {"80% known seizure", k80},
               {"floor: 0.8 x digests + 0.2 x full",
                {0.8 * dg.wall + 0.2 * full.wall, 0.8 * dg.cpu + 0.2 * full.cpu}},
               {"full record, thumbnails (default)", full_t},
               {"80% known, thumbnails (default)", k80_t}};
    for (size_t i = 0; i < sizeof row / sizeof *row; i++)
        printf("%-34s %9.3f %9.3f %10.1f\n", row[i].what, row[i].t.wall, row[i].t.cpu,
               (double)fs.n / row[i].t.wall);
    printf("80%% known vs floor: %.2fx wall, %.2fx cpu (target <= 1.10); vs full record: %.2fx "
           "faster\n",
           k80.wall / row[3].t.wall, k80.cpu / row[3].t.cpu, full.wall / k80.wall);
    printf("thumbnails cost: full record %+.1f%% wall, %+.1f%% cpu; 80%% known %+.1f%% wall, "
           "%+.1f%% cpu\n",
           100 * (full_t.wall / full.wall - 1), 100 * (full_t.cpu / full.cpu - 1),
           100 * (k80_t.wall / k80.wall - 1), 100 * (k80_t.cpu / k80.cpu - 1));
    for (size_t i = 0; i < fs.n; i++)
        free(fs.path[i]);
    free(fs.path);
    return 0;
}
