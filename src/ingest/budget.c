/* budget.c: one memory budget for a whole ingest run (docs/ingest.md, "Memory"): the default
 * from the machine (MemAvailable, the cgroup's limit), the plan that divides it once the index
 * is loaded (what the process holds then, the store's cache, the walker's member bytes, the
 * batches' member bytes, each hasher's share and one pool for one big file at a time), and the
 * accounting the pipeline does against it: member bytes taken into batches (the walker waits
 * for room), the bytes the walker holds (its own limit, ad_source_opts.max_held_bytes), the big
 * pool (a token). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline_internal.h"

#define MIB (1ull << 20)
/* Held by each hasher besides the file it hashes: libmagic's compiled database, the digests,
 * the PDQ sink's rows (an image up to ~50,000 px wide), a decoder's own tables. */
#define PER_HASHER (16 * MIB)
/* The least the files may have after the fixed part; a smaller budget is refused. */
#define MIN_FILES (64 * MIB)
/* Video decoding, per pixel of a frame: FFmpeg's reference frames (YUV 4:2:0, up to 16 and a
 * few in flight), the RGB copy vPDQ hashes and the scaler's buffers. */
#define VIDEO_BYTES_PER_PIXEL 32
#define CHUNK_BYTES MIB /* the hasher reads in 1 MiB chunks */

/* ---- what the machine has ---- */

/* A number from the first line of a file; 0 when there is none (or "max"). */
static uint64_t read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long v = 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return v >= (1ull << 60) ? 0 : (uint64_t)v; /* "no limit" is a huge number in cgroup v1 */
}

static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kb = 0, total = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
        sscanf(line, "MemTotal: %llu kB", &total);
    }
    fclose(f);
    return (uint64_t)(kb ? kb : total) * 1024;
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* The smallest memory limit of this process's cgroup and its parents (v2: memory.max, v1:
 * memory.limit_in_bytes), 0 when there is none. */
static uint64_t cgroup_limit(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return 0;
    char line[4096], path[4096 + 64];
    uint64_t lim = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *rel = NULL, *base = NULL, *file = NULL;
        if (!strncmp(line, "0::", 3)) {
            rel = line + 3, base = "/sys/fs/cgroup", file = "memory.max";
        } else {
            char *p = strchr(line, ':'), *q = p ? strchr(p + 1, ':') : NULL;
            if (!q)
                continue;
            *q = '\0';
            for (char *c = strtok(p + 1, ","); c; c = strtok(NULL, ","))
                if (!strcmp(c, "memory"))
                    rel = q + 1, base = "/sys/fs/cgroup/memory", file = "memory.limit_in_bytes";
        }
        if (!rel)
            continue;
        /* the cgroup itself, then each parent up to the root of the mount */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", rel);
        for (;;) {
            snprintf(path, sizeof path, "%s%s/%s", base, strcmp(dir, "/") ? dir : "", file);
            lim = min_nonzero(lim, read_number(path));
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = '\0';
        }
        snprintf(path, sizeof path, "%s/%s", base, file);
        lim = min_nonzero(lim, read_number(path));
    }
    fclose(f);
    return lim;
}

uint64_t ad_ingest_memory_default(void)
{
    uint64_t m = min_nonzero(mem_available(), cgroup_limit());
    return m ? m / 4 * 3 : 1024 * MIB;
}

/* Resident bytes of this process now (/proc/self/statm), 0 when unknown. */
static uint64_t resident(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size, rss = 0;
    if (fscanf(f, "%llu %llu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return (uint64_t)rss * (uint64_t)(page > 0 ? page : 4096);
}

/* ---- the plan ---- */

/* What the hasher allocates to read an image file of n bytes whole: its buffer doubles from
 * 64 KiB until it holds the file and one more chunk. */
uint64_t ad_ingest_read_need(uint64_t n)
{
    uint64_t cap = 64 * 1024;
    while (cap < n + CHUNK_BYTES && cap < (1ull << 62))
        cap *= 2;
    return cap;
}

/* The largest file whose read needs at most `room`. */
uint64_t ad_ingest_readable(uint64_t room)
{
    uint64_t cap = 64 * 1024;
    while (cap * 2 <= room)
        cap *= 2;
    return cap <= room && cap > CHUNK_BYTES ? cap - CHUNK_BYTES : 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void ad_ingest_hash_limits(const struct run *r, uint64_t room, ad_limits *l)
{
    *l = r->o->limits;
    l->max_file_bytes = min64(l->max_file_bytes, ad_ingest_readable(room / 2));
    l->max_memory = min64(l->max_memory, room / 2);
}

int64_t ad_ingest_video_pixels(uint64_t room)
{
    int64_t px = AD_VIDEO_DEFAULT_MAX_PIXELS;
    if ((int64_t)(room / VIDEO_BYTES_PER_PIXEL) < px)
        px = (int64_t)(room / VIDEO_BYTES_PER_PIXEL);
    return px;
}

ad_code ad_ingest_budget_plan(struct run *r, ad_err *err)
{
    struct budget *b = &r->budget;
    const int given = r->o->max_memory > 0;
    b->total = given ? r->o->max_memory : ad_ingest_memory_default();
    const uint64_t hashers = (uint64_t)r->threads + 1; /* the workers and the writer's */
    /* The store's page cache, capped for the run (SQLite; PostgreSQL's is the server's). */
    b->store_cache = min64(256 * MIB, b->total / 16 > 16 * MIB ? b->total / 16 : 16 * MIB);
    ad_store_set_cache(r->st, b->store_cache, NULL);
    malloc_trim(0); /* what the index load and the cache gave back, given back to the system */
    uint64_t held = resident();
    if (!held) /* no /proc: the index and the program, estimated */
        held = ad_index_memory(ad_lookup_index_get(r->lx)) + 64 * MIB;
    b->fixed = held + b->store_cache + (hashers + 2) * PER_HASHER;
    if (b->total < b->fixed + MIN_FILES) {
        if (given)
            return ad_err_set(err, AD_ERR_LIMIT,
                              "a memory budget of %llu MiB is too small: this run holds %llu MiB "
                              "before any file (the index of %zu hashes, the program, the "
                              "store's cache) and needs %llu MiB more for files",
                              (unsigned long long)(b->total / MIB),
                              (unsigned long long)(b->fixed / MIB), ad_lookup_index_size(r->lx),
                              (unsigned long long)(MIN_FILES / MIB));
        b->total = b->fixed + MIN_FILES; /* the machine has less: try with the least */
    }
    uint64_t rest = b->total - b->fixed;
    b->walker = rest / 5;
    b->batches = rest / 5;
    uint64_t files = rest - b->walker - b->batches;
    b->share = files / 2 / hashers;
    b->big = files - b->share * hashers;
    b->batch_bytes = min64(AD_INGEST_BATCH_BYTES, b->batches);
    pthread_mutex_lock(&r->pmu); /* the counting thread may be telling the stats */
    r->stats->memory_budget = b->total;
    pthread_mutex_unlock(&r->pmu);
    return AD_OK;
}

/* ---- member bytes taken into batches (the walker waits for room) ---- */

/* r->mu held. */
static int batch_room(const struct run *r, uint64_t n)
{
    return r->budget.batch_used + n <= r->budget.batches;
}

int ad_ingest_batch_reserve(struct run *r, uint64_t n, int wait)
{
    pthread_mutex_lock(&r->mu);
    int ok = batch_room(r, n);
    while (!ok && wait && !r->wrc) {
        pthread_cond_wait(&r->cv, &r->mu);
        ok = batch_room(r, n);
    }
    if (ok)
        r->budget.batch_used += n;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void ad_ingest_batch_release(struct run *r, uint64_t n)
{
    if (!n)
        return;
    pthread_mutex_lock(&r->mu);
    r->budget.batch_used -= n;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* ---- one big file at a time ---- */

void ad_ingest_big_take(struct run *r)
{
    pthread_mutex_lock(&r->budget.big_mu);
    while (r->budget.big_busy)
        pthread_cond_wait(&r->budget.big_cv, &r->budget.big_mu);
    r->budget.big_busy = 1;
    pthread_mutex_unlock(&r->budget.big_mu);
}

void ad_ingest_big_give(struct run *r)
{
    pthread_mutex_lock(&r->budget.big_mu);
    r->budget.big_busy = 0;
    pthread_cond_signal(&r->budget.big_cv);
    pthread_mutex_unlock(&r->budget.big_mu);
}
