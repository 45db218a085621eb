/* bench_robust.c: how many versions of known pictures and videos each signal finds, on the
 * corpus scripts/make-robust-corpus makes (docs/robust-corpus.md), side by side in one run:
 * PDQ alone as triage matches today, then each added signal (cumulative columns: a column finds
 * what the ones before it found, plus its own). The originals of photos/known are made known; every
 * file of photos/known/TRANSFORM is a query that must find its own original (same name); every
 * file of photos/unrelated/... must find nothing. A finding of another picture is a false finding.
 * Videos likewise (videos/known/original known; videos/known/TRANSFORM queries; videos/unrelated
 * must find nothing), with the rule triage uses (ingest/match.c: at least 80% of the query's
 * frames, or of the known video's, within the radius, over the 8 dihedral forms); the second
 * video column adds the trimmed frame PDQs, the third the dense frames (video_shares).
 *
 * A signal is a row of `signals[]`: learn() (optional) runs once after the known originals are
 * hashed (b->known[0..nknown): path, name, ad_file_hash) to build its own index; find() returns
 * the index in b->known of the original a query matches, or -1. Add a signal there (the
 * local-features signal goes after the PDQ ones); `alone` = a column of its own, not added to
 * the ones before it.
 *
 * usage: bench_robust CORPUS [--json] [--radius N] [--quality N] [--photos-only|--videos-only]
 *        [--misses] (lists what the last column missed, on stderr)
 *        [--near-radius N] [--near-points N] (the PDQ-guided check: default 64 bits, 1000 points;
 *        BENCH_NEAR=1 in the environment prints what each placement measured, on stderr)
 *        bench_robust --index-cost PREFIX (the wider radius's cost at scale: hashbench's data) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/features.h"
#include "ariadne/hash.h"
#include "ariadne/index.h"
#include "ariadne/vpdq.h"
#include "features/pdqnear.h"

#define NV AD_PDQ_NVARIANTS
#define MAXSIG 8

/* ---- items ---- */

struct item {
    char *path, *name; /* name: the file name without extension (the ground truth) */
    int ok;            /* hashed */
    ad_file_hash fh;
    ad_vpdq_video vid;
    int is_video;
    ad_features feat; /* known photos: the stored form (+features) */
};

struct bench {
    const char *root;
    int radius, quality;
    ad_hasher *hasher;
    struct item *known;
    size_t nknown;
    double hash_s; /* CPU seconds spent hashing queries */
    int misses;    /* --misses: list what the last column missed (stderr) */
    ad_feat_index *fix; /* +features: the known originals' stored features */
    int near_radius;    /* +pdq-near: the wider PDQ radius whose candidates features verify */
    int near_points;    /* +pdq-near: the query's keypoints for it */
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        perror("bench_robust");
        exit(1);
    }
    return d;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a folder (files or folders), NULL-terminated; NULL if it does not exist. */
static char **list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t n = 0, cap = 64;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp."))
            continue;
        if (n + 1 == cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (!v)
        return NULL;
    qsort(v, n, sizeof *v, cmp_str);
    v[n] = NULL;
    return v;
}

static void free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void item_init(struct item *it, const char *dir, const char *file)
{
    memset(it, 0, sizeof *it);
    size_t len = strlen(dir) + strlen(file) + 2;
    it->path = malloc(len);
    if (!it->path)
        exit(1);
    snprintf(it->path, len, "%s/%s", dir, file);
    it->name = xstrdup(file);
    char *dot = strrchr(it->name, '.');
    if (dot)
        *dot = 0;
}

static void item_free(struct item *it)
{
    free(it->path);
    free(it->name);
    ad_vpdq_video_free(&it->vid);
    ad_features_free(&it->feat);
}

static void hash_item(struct bench *b, struct item *it, int video)
{
    ad_err err;
    it->is_video = video;
    if (video) {
        ad_vpdq_opts vo;
        ad_vpdq_opts_default(&vo);
        vo.want_dihedral = 1;
        vo.trim = 1;
        vo.dense_per_hash = 4; /* as ingest */
        it->ok = ad_vpdq_hash_file(it->path, &vo, &it->vid, &err) == AD_OK && it->vid.n;
    } else {
        it->ok = ad_hasher_file(b->hasher, it->path, &it->fh, &err) == AD_OK && it->fh.has_pdq;
    }
    if (!it->ok)
        fprintf(stderr, "bench_robust: %s: not hashed (%s)\n", it->path,
                video ? err.msg : it->fh.pdq_skip_msg[0] ? it->fh.pdq_skip_msg : err.msg);
}

/* ---- signals ---- */

/* The nearest known original (smallest distance) within the radius between any of the query's
 * hashes qa[0..nq) and any of each known's hashes (got by known_hashes); -1 for none. */
typedef size_t (*hashes_fn)(const struct item *it, const ad_h256 **out, ad_h256 *buf);

static int nearest(const struct bench *b, const struct item *q, hashes_fn query_hashes,
                   hashes_fn known_hashes)
{
    ad_h256 qbuf[64], kbuf[64];
    const ad_h256 *qa, *ka;
    size_t nq = query_hashes(q, &qa, qbuf);
    int best = b->radius + 1, who = -1;
    for (size_t k = 0; k < b->nknown; k++) {
        if (!b->known[k].ok)
            continue;
        size_t nk = known_hashes(&b->known[k], &ka, kbuf);
        for (size_t i = 0; i < nq; i++)
            for (size_t j = 0; j < nk; j++) {
                int d = ad_h256_distance(&qa[i], &ka[j]);
                if (d < best)
                    best = d, who = (int)k;
            }
    }
    return who;
}

/* PDQ as triage matches today: the query's 8 dihedral forms (quality >= the gate) against the
 * known media's PDQ. */
static size_t q_plain(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    (void)buf;
    *out = it->fh.pdq.dihedral;
    return it->fh.pdq.has_dihedral ? NV : 1;
}

static size_t k_plain(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    (void)buf;
    *out = &it->fh.pdq.hash;
    return 1;
}

static int find_pdq(const struct bench *b, const struct item *q)
{
    if (q->fh.pdq.quality < b->quality)
        return -1;
    return nearest(b, q, q_plain, k_plain);
}

/* Beside the plain PDQ: the trimmed PDQ (a border found) and the area PDQ (ariadne/border.h),
 * on both sides: the query's 8 forms of each, the known media's own. */
static size_t gather(const struct item *it, const ad_h256 **out, ad_h256 *buf, int with_area,
                     int query)
{
    size_t n = 0;
    const ad_pdq_more *m = &it->fh.more;
    for (int k = 0; k < (query ? NV : 1); k++)
        buf[n++] = it->fh.pdq.dihedral[k];
    if (it->fh.has_more && m->has_trim && m->trim.quality >= 50)
        for (int k = 0; k < (query ? NV : 1); k++)
            buf[n++] = m->trim.dihedral[k];
    if (with_area && it->fh.has_more && m->has_area && m->area.quality >= 50)
        for (int k = 0; k < (query ? NV : 1); k++)
            buf[n++] = m->area.dihedral[k];
    /* the query's content's area PDQ (a border found; never stored, so query side only) */
    if (with_area && query && it->fh.has_more && m->has_trim_area && m->trim_area.quality >= 50)
        for (int k = 0; k < NV; k++)
            buf[n++] = m->trim_area.dihedral[k];
    *out = buf;
    return n;
}

static size_t q_trim(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    return gather(it, out, buf, 0, 1);
}
static size_t k_trim(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    return gather(it, out, buf, 0, 0);
}
static size_t q_area(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    return gather(it, out, buf, 1, 1);
}
static size_t k_area(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    return gather(it, out, buf, 1, 0);
}

static int gate(const struct bench *b, const struct item *q)
{
    return q->fh.pdq.quality >= b->quality ||
           (q->fh.has_more && q->fh.more.has_trim && q->fh.more.trim.quality >= b->quality);
}

static int find_trim(const struct bench *b, const struct item *q)
{
    return gate(b, q) ? nearest(b, q, q_trim, k_trim) : -1;
}

static int find_area(const struct bench *b, const struct item *q)
{
    return gate(b, q) ? nearest(b, q, q_area, k_area) : -1;
}

/* The area PDQ of the query alone against the known plain PDQs: what a partner's list (plain
 * PDQs only) gets from it. Not cumulative: its own column. */
static size_t q_area_only(const struct item *it, const ad_h256 **out, ad_h256 *buf)
{
    (void)buf;
    *out = it->fh.more.area.dihedral;
    return it->fh.has_more && it->fh.more.has_area ? NV : 0;
}

static int find_area_vs_plain(const struct bench *b, const struct item *q)
{
    if (q->fh.pdq.quality < b->quality)
        return -1;
    int k = nearest(b, q, q_plain, k_plain);
    return k >= 0 ? k : nearest(b, q, q_area_only, k_plain);
}


/* Local features as triage uses them (docs/features.md "In triage"): the known originals'
 * stored form (200 points) in the inverted file; the query's 500 points, its 32 best
 * candidates checked; a copy of the known picture is a finding (a scene is no class).
 * stored: 1 the stored form; 0 a query's 500 points; more: a query with that many points. */
static int file_features(const struct item *it, int stored, ad_features *f)
{
    FILE *fp = fopen(it->path, "rb");
    if (!fp)
        return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    int rc = !buf || fread(buf, 1, (size_t)n, fp) != (size_t)n ||
             ad_features_image(it->fh.type, buf, (size_t)n, NULL, stored > 1 ? stored : AD_FEAT_DETECT, f, NULL);
    fclose(fp);
    free(buf);
    if (rc)
        return -1;
    if (stored == 1) { /* exactly what the store keeps: encoded and decoded */
        ad_features_keep(f, AD_FEAT_STORED);
        uint8_t blob[AD_FEAT_BLOB_MAX];
        size_t len = ad_features_encode(f, blob, sizeof blob);
        ad_features_free(f);
        if (ad_features_decode(blob, len, f, NULL))
            return -1;
    }
    return 0;
}

static int learn_features(struct bench *b)
{
    if (ad_feat_index_new(&b->fix, NULL))
        return 1;
    for (size_t k = 0; k < b->nknown; k++)
        if (b->known[k].ok && !file_features(&b->known[k], 1, &b->known[k].feat))
            ad_feat_index_add(b->fix, (int64_t)k + 1, &b->known[k].feat, NULL);
    return ad_feat_index_seal(b->fix, NULL) != AD_OK;
}

static int find_features(const struct bench *b, const struct item *q)
{
    ad_features f;
    if (!b->fix || file_features(q, 0, &f))
        return -1;
    ad_feat_hit hits[32];
    size_t h = ad_feat_index_search(b->fix, &f, hits, 32);
    int who = -1, best = 0;
    for (size_t i = 0; i < h; i++) {
        ad_feat_match m;
        ad_features_verify(&f, &b->known[hits[i].media_id - 1].feat, &m);
        if (m.kind == AD_FEAT_COPY && m.inliers > best)
            best = m.inliers, who = (int)hits[i].media_id - 1;
    }
    ad_features_free(&f);
    return who;
}


/* The PDQ-guided check (docs/features.md "PDQ-guided check"): the known originals within the
 * wider radius over every PDQ kind (plain, trimmed, area; the query's 8 forms), nearest first,
 * each verified by local features with the relaxed rule. */
static int find_near(const struct bench *b, const struct item *q)
{
    if (!b->fix || !b->near_radius)
        return -1;
    ad_h256 qa[4], kbuf[64];
    const ad_h256 *ka;
    size_t nq = 0; /* the query's own orientation only: the check verifies no turn */
    const ad_pdq_more *m = &q->fh.more;
    if (q->fh.pdq.quality >= b->quality)
        qa[nq++] = q->fh.pdq.hash;
    if (q->fh.has_more && m->has_trim && m->trim.quality >= b->quality)
        qa[nq++] = m->trim.hash;
    if (q->fh.has_more && m->has_area && m->area.quality >= b->quality)
        qa[nq++] = m->area.hash;
    if (q->fh.has_more && m->has_trim_area && m->trim_area.quality >= b->quality)
        qa[nq++] = m->trim_area.hash;
    int *dist = malloc(b->nknown * sizeof *dist);
    if (!dist)
        return -1;
    for (size_t k = 0; k < b->nknown; k++) {
        dist[k] = 999;
        if (!b->known[k].ok || !b->known[k].feat.n)
            continue;
        size_t nk = k_area(&b->known[k], &ka, kbuf);
        for (size_t i = 0; i < nq; i++)
            for (size_t j = 0; j < nk; j++) {
                int d = ad_h256_distance(&qa[i], &ka[j]);
                dist[k] = d < dist[k] && d <= b->near_radius ? d : dist[k];
            }
    }
    ad_features f;
    int have = 0, who = -1;
    for (int c = 0; c < AD_FEAT_NEAR_CANDIDATES && who < 0; c++) { /* nearest first */
        size_t k = b->nknown;
        for (size_t j = 0; j < b->nknown; j++)
            if (dist[j] < 999 && (k == b->nknown || dist[j] < dist[k]))
                k = j;
        if (k == b->nknown)
            break;
        int best = dist[k];
        dist[k] = 999;
        if (!have && file_features(q, b->near_points, &f))
            break;
        have = 1;
        double content[4];
        int w = q->fh.image.out_width ? q->fh.image.out_width : q->fh.image.width;
        int h = q->fh.image.out_height ? q->fh.image.out_height : q->fh.image.height;
        const double *cp =
            q->fh.has_more && ad_feat_near_content(&q->fh.more, w, h, content) ? content : NULL;
        if (getenv("BENCH_NEAR")) {
            double place[AD_FEAT_NEAR_PLACES][4];
            size_t np = ad_feat_near_places(&f, &b->known[k].feat, cp, place);
            for (size_t p = 0; p < np; p++) {
                ad_feat_sim_stats st;
                ad_feat_guided_at(&f, &b->known[k].feat, place[p], &st);
                fprintf(stderr, "near %s -> %s d=%d place=%zu guided=%d raw=%d in=%d uniq=%d "
                        "chance=%.1f most=%d cov=%.2f kcov=%.2f sc=%.3f rot=%.1f spread=%.3f "
                        "repq=%.2f repk=%.2f pass=%d\n", q->path, b->known[k].name, best, p,
                        st.m.matches, st.raw, st.m.inliers, st.unique, st.chance, st.chance_most,
                        st.m.coverage, st.known_cover, st.m.scale, st.m.rotation, st.spread,
                        st.rep_query, st.rep_known,
                        ad_feat_near_pass(&f, &b->known[k].feat, place[p], p < (cp ? 2u : 1u), &st));
            }
        }
        ad_feat_match mm;
        ad_features_verify_near(&f, &b->known[k].feat, cp, &mm);
        if (mm.kind == AD_FEAT_COPY)
            who = (int)k;
    }
    if (have)
        ad_features_free(&f);
    free(dist);
    return who;
}

struct signal {
    const char *name;
    const char *what;
    int (*find)(const struct bench *b, const struct item *q); /* photos */
    int alone; /* its own column: not added to the columns before it */
    int (*learn)(struct bench *b); /* NULL, or once before the queries; non-zero: fails */
};

static const struct signal signals[] = {
    {"pdq", "PDQ as triage today: 8 dihedral forms of the query, radius, quality gate", find_pdq,
     0, NULL},
    {"+trim", "and the trimmed PDQ, both sides (a border found)", find_trim, 0, NULL},
    {"+area", "and the area PDQ, both sides (exact turns)", find_area, 0, NULL},
    {"+features", "and local features: a copy found by the geometric check (as triage)",
     find_features, 0, learn_features},
    {"+pdq-near", "and the PDQ-guided check: known pictures within the wider radius verified "
     "by local features", find_near, 0, NULL},
    {"pdq|area-q", "alone: the query's plain and area PDQs against known plain PDQs only (a "
     "partner's list)", find_area_vs_plain, 1, NULL},
};
#define NSIG (sizeof signals / sizeof signals[0])

/* ---- videos: the triage rule ---- */

/* The triage rule (ingest/match.c), brute force: per dihedral form k of the query, the share of
 * the query's frames (quality >= the gate) with a frame of the known video within the radius,
 * and the share of the known video's frames found by a query frame; level 1 adds the trimmed
 * PDQs of frames of videos with bars (either form of a frame counts), level 2 the dense frames
 * between the query's vPDQ frames (they find known frames; they are no query frames). The best
 * form by the sum of both shares; a match needs 80% either way. */
static int frame_near(const ad_h256 *q, const ad_vpdq_video *k, size_t j, int with_trim, int radius)
{
    if (ad_h256_distance(q, &k->frames[j].hash) <= radius)
        return 1;
    return with_trim && k->has_trim && ad_h256_distance(q, &k->trim[j * NV]) <= radius;
}

static void video_shares(const ad_vpdq_video *q, const ad_vpdq_video *k, int level, int radius,
                         int quality, double *qp, double *kp)
{
    uint8_t *found = calloc(k->n + 1, 1);
    *qp = *kp = 0;
    for (int var = 0; var < NV && found; var++) {
        memset(found, 0, k->n + 1);
        size_t counted = 0, matched = 0;
        for (size_t f = 0; f < q->n + (level >= 2 ? q->ndense : 0); f++) {
            const int dense = f >= q->n;
            const ad_h256 *forms[2];
            int nforms = 0;
            if (dense) {
                if (q->dense[f - q->n].quality >= quality)
                    forms[nforms++] = &q->dense_forms[(f - q->n) * NV + (size_t)var];
            } else {
                if (q->frames[f].quality >= quality) {
                    counted++;
                    forms[nforms++] = var && q->dihedral ? &q->dihedral[f * NV + (size_t)var]
                                                        : &q->frames[f].hash;
                }
                if (level >= 1 && q->has_trim && q->trim_quality[f] >= quality)
                    forms[nforms++] = &q->trim[f * NV + (size_t)var];
            }
            int any = 0;
            for (int i = 0; i < nforms; i++)
                for (size_t j = 0; j < k->n; j++)
                    if (frame_near(forms[i], k, j, level >= 1, radius))
                        found[j] = 1, any = 1;
            matched += any && !dense && q->frames[f].quality >= quality;
        }
        size_t kf = 0;
        for (size_t j = 0; j < k->n; j++)
            kf += found[j];
        double a = counted ? 100.0 * (double)matched / (double)counted : 0;
        double b = k->n ? 100.0 * (double)kf / (double)k->n : 0;
        if (a + b > *qp + *kp)
            *qp = a, *kp = b;
    }
    free(found);
}

static int video_find(const struct bench *b, const struct item *q, const struct item *known,
                      size_t nknown, int level)
{
    double best = 0;
    int who = -1;
    for (size_t k = 0; k < nknown; k++) {
        double qp, kp;
        if (!known[k].ok)
            continue;
        video_shares(&q->vid, &known[k].vid, level, b->radius, b->quality, &qp, &kp);
        if ((qp >= 80 || kp >= 80) && qp + kp > best)
            best = qp + kp, who = (int)k;
    }
    return who;
}

/* ---- the run ---- */

struct row {
    char set[16], transform[32];
    size_t n, found[MAXSIG], wrong[MAXSIG];
};

static struct row *rows;
static size_t nrows, caprows;

static struct row *new_row(const char *set, const char *t)
{
    if (nrows == caprows) {
        caprows = caprows ? 2 * caprows : 64;
        rows = realloc(rows, caprows * sizeof *rows);
        if (!rows)
            exit(1);
    }
    struct row *r = &rows[nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->set, sizeof r->set, "%s", set);
    snprintf(r->transform, sizeof r->transform, "%s", t);
    return r;
}

/* The distance from a query to its own original over all the PDQ kinds (for --misses). */
static int own_distance(const struct bench *b, const struct item *q)
{
    ad_h256 qbuf[64], kbuf[64];
    const ad_h256 *qa, *ka;
    int best = 256;
    size_t nq = q_area(q, &qa, qbuf);
    for (size_t k = 0; k < b->nknown; k++) {
        if (strcmp(b->known[k].name, q->name))
            continue;
        size_t nk = k_area(&b->known[k], &ka, kbuf);
        for (size_t i = 0; i < nq; i++)
            for (size_t j = 0; j < nk; j++) {
                int d = ad_h256_distance(&qa[i], &ka[j]);
                if (d < best)
                    best = d;
            }
    }
    return best;
}

/* The number of columns up to the last cumulative one (what --misses lists). */
static size_t nsig_chain(size_t nsig)
{
    while (nsig > 1 && signals[nsig - 1].alone)
        nsig--;
    return nsig;
}

/* Queries every file of DIR/SET/T for each T: cumulative signal columns. */
static void run_set(struct bench *b, const char *kind, const char *set, int video,
                    struct item *known, size_t nknown)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s/%s", b->root, kind, set);
    char **ts = list_dir(dir);
    for (size_t ti = 0; ts && ts[ti]; ti++) {
        int unrelated = strcmp(set, "unrelated") == 0;
        if (!unrelated && strcmp(ts[ti], "original") == 0)
            continue;
        char tdir[4200];
        snprintf(tdir, sizeof tdir, "%s/%s", dir, ts[ti]);
        char **files = list_dir(tdir);
        if (!files)
            continue;
        char label[32];
        snprintf(label, sizeof label, "%s%s", video ? "video-" : "", set);
        /* unrelated pictures: one row for all their versions */
        struct row *r = unrelated && nrows && !strcmp(rows[nrows - 1].set, label)
                            ? &rows[nrows - 1]
                            : new_row(label, unrelated ? "all versions" : ts[ti]);
        for (size_t fi = 0; files[fi]; fi++) {
            struct item q;
            item_init(&q, tdir, files[fi]);
            double t0 = cpu_now();
            hash_item(b, &q, video);
            b->hash_s += cpu_now() - t0;
            r->n++;
            int chain = -1; /* what the cumulative columns found so far */
            size_t nsig = video ? 3 : NSIG;
            for (size_t s = 0; s < nsig; s++) {
                int hit = video || !signals[s].alone ? chain : -1;
                if (hit < 0 && q.ok)
                    hit = video ? video_find(b, &q, known, nknown, (int)s)
                                : signals[s].find(b, &q);
                if (video || !signals[s].alone)
                    chain = hit;
                if (hit < 0) {
                    if (b->misses && !unrelated && s + 1 == nsig_chain(nsig))
                        fprintf(stderr, "missed: %s (quality %d, nearest %d)\n", q.path,
                                q.fh.pdq.quality, video ? -1 : own_distance(b, &q));
                    continue;
                }
                if (!unrelated && strcmp(known[hit].name, q.name) == 0)
                    r->found[s]++;
                else
                    r->wrong[s]++;
            }
            item_free(&q);
        }
        free_list(files);
    }
    free_list(ts);
}

static struct item *load_known(struct bench *b, const char *kind, int video, size_t *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s/known/original", b->root, kind);
    char **files = list_dir(dir);
    size_t c = 0;
    while (files && files[c])
        c++;
    struct item *v = calloc(c + 1, sizeof *v);
    for (size_t i = 0; v && i < c; i++) {
        item_init(&v[i], dir, files[i]);
        hash_item(b, &v[i], video);
    }
    free_list(files);
    *n = c;
    return v;
}

static void print_table(int json, size_t nsig_photo)
{
    if (json) {
        printf("{\"signals\":[");
        for (size_t s = 0; s < nsig_photo; s++)
            printf("%s\"%s\"", s ? "," : "", signals[s].name);
        printf("],\"rows\":[");
        for (size_t i = 0; i < nrows; i++) {
            const struct row *r = &rows[i];
            size_t ns = strncmp(r->set, "video-", 6) ? nsig_photo : 3;
            printf("%s\n{\"set\":\"%s\",\"transform\":\"%s\",\"n\":%zu,\"found\":[", i ? "," : "",
                   r->set, r->transform, r->n);
            for (size_t s = 0; s < ns; s++)
                printf("%s%zu", s ? "," : "", r->found[s]);
            printf("],\"false\":[");
            for (size_t s = 0; s < ns; s++)
                printf("%s%zu", s ? "," : "", r->wrong[s]);
            printf("]}");
        }
        printf("\n]}\n");
        return;
    }
    printf("| set | version | files |");
    for (size_t s = 0; s < nsig_photo; s++)
        printf(" %s found | %s false |", s ? signals[s].name : "PDQ", s ? "" : "PDQ");
    printf("\n|---|---|---:|");
    for (size_t s = 0; s < nsig_photo; s++)
        printf("---:|---:|");
    printf("\n");
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        int unrelated = strstr(r->set, "unrelated") != NULL;
        if (!strncmp(r->set, "video-", 6) && (i == 0 || strncmp(rows[i - 1].set, "video-", 6)))
            printf("| videos | (columns: vPDQ as triage today; +trimmed frames; +dense frames) "
                   "| | | | | | | | | |\n");
        size_t ns = strncmp(r->set, "video-", 6) ? nsig_photo : 3;
        printf("| %s | %s | %zu |", r->set, r->transform, r->n);
        for (size_t s = 0; s < nsig_photo; s++) {
            if (s >= ns) {
                printf(" | |");
                continue;
            }
            if (unrelated)
                printf(" - |");
            else
                printf(" %.1f%% |", r->n ? 100.0 * (double)r->found[s] / (double)r->n : 0.0);
            printf(" %zu |", r->wrong[s]);
        }
        printf("\n");
    }
}


/* ---- --index-cost PREFIX: the wider radius at scale ---- */

static ad_h256 *read_hex(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16;
    ad_h256 *h = f ? malloc(cap * sizeof *h) : NULL;
    char line[256];
    *n = 0;
    while (h && fgets(line, sizeof line, f)) {
        if (*n == cap) {
            ad_h256 *nh = realloc(h, (cap *= 2) * sizeof *h);
            if (!nh)
                break;
            h = nh;
        }
        if (ad_h256_parse(&h[*n], line, strcspn(line, "\r\n"), NULL) == AD_OK)
            (*n)++;
    }
    if (f)
        fclose(f);
    return h;
}

/* The cost of one picture's search in triage at each radius, on hashbench's data (PREFIX.db.hex,
 * PREFIX.queries.hex from hashbench's `gen`): a picture searches up to 3 PDQs (plain, trimmed,
 * area); within PDQ's radius each with its 8 forms (24 hashes), for the PDQ-guided check its
 * own orientation only (3 hashes: the check verifies no turn). Here each picture's hashes are
 * consecutive queries (half near a database entry, half random, as hashbench makes them). CPU
 * seconds of the process per picture, and the entries found. */
static int index_cost(const char *prefix)
{
    char path[4096];
    size_t ndb, nq;
    snprintf(path, sizeof path, "%s.db.hex", prefix);
    ad_h256 *db = read_hex(path, &ndb);
    snprintf(path, sizeof path, "%s.queries.hex", prefix);
    ad_h256 *q = read_hex(path, &nq);
    if (!db || !q || !ndb || nq < 24) {
        fprintf(stderr, "bench_robust: %s.{db,queries}.hex: not read\n", prefix);
        return 1;
    }
    ad_index *ix;
    uint64_t *ids = malloc(ndb * sizeof *ids);
    if (!ids || ad_index_new(&ix, NULL))
        return 1;
    for (size_t i = 0; i < ndb; i++)
        ids[i] = i;
    double t0 = cpu_now();
    if (ad_index_add(ix, db, ids, ndb, NULL))
        return 1;
    printf("index of %zu hashes built in %.2f s CPU\n", ndb, cpu_now() - t0);
    printf("| search | radius | ms CPU per picture | entries found per picture | pictures |\n"
           "|---|---:|---:|---:|---:|\n");
    static const int radii[] = {31, 40, 48, 56, 64};
    ad_index_hits h = {0};
    for (int forms = 8; forms >= 1; forms -= 7)
        for (size_t r = 0; r < sizeof radii / sizeof radii[0]; r++) {
            if (forms == 8 && radii[r] != 31)
                continue; /* triage today: radius 31 */
            size_t pics = 0, found = 0, per = 3 * (size_t)forms;
            t0 = cpu_now();
            for (size_t p = 0; p + per <= nq && cpu_now() - t0 < 10; p += per, pics++)
                for (size_t set = 0; set < 3; set++) {
                    ad_code rc = forms == 8 ? ad_index_search_dihedral(ix, &q[p + 8 * set],
                                                                       radii[r], &h, NULL)
                                            : ad_index_search(ix, &q[p + set], radii[r], &h, NULL);
                    if (rc)
                        return 1;
                    found += h.n;
                }
            double dt = cpu_now() - t0;
            printf("| %s | %d | %.3f | %.1f | %zu |\n",
                   forms == 8 ? "PDQ in triage (3 x 8 forms)" : "PDQ-guided (3 x 1 form)",
                   radii[r], pics ? 1e3 * dt / (double)pics : 0,
                   pics ? (double)found / (double)pics : 0, pics);
        }
    ad_index_hits_free(&h);
    ad_index_free(ix);
    free(ids);
    free(db);
    free(q);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench b = {.radius = 31, .quality = 50, .near_radius = AD_FEAT_NEAR_RADIUS,
                      .near_points = NEAR_DETECT};
    int json = 0, photos = 1, videos = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: bench_robust CORPUS [--json] [--radius N] [--quality N] "
                   "[--photos-only|--videos-only] [--misses] [--near-radius N] "
                   "[--near-points N]\n"
                   "       bench_robust --index-cost PREFIX (hashbench gen's PREFIX.db.hex, "
                   "PREFIX.queries.hex)\n"
                   "CORPUS: made by scripts/make-robust-corpus (docs/robust-corpus.md)\n");
            return 0;
        } else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--radius") && i + 1 < argc)
            b.radius = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--index-cost") && i + 1 < argc)
            return index_cost(argv[i + 1]);
        else if (!strcmp(argv[i], "--near-points") && i + 1 < argc)
            b.near_points = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--near-radius") && i + 1 < argc)
            b.near_radius = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quality") && i + 1 < argc)
            b.quality = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--misses"))
            b.misses = 1;
        else if (!strcmp(argv[i], "--photos-only"))
            videos = 0;
        else if (!strcmp(argv[i], "--videos-only"))
            photos = 0;
        else if (argv[i][0] != '-' && !b.root)
            b.root = argv[i];
        else {
            fprintf(stderr, "bench_robust: bad argument %s (--help)\n", argv[i]);
            return 2;
        }
    }
    if (!b.root) {
        fprintf(stderr, "usage: bench_robust CORPUS [--json] (--help)\n");
        return 2;
    }
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ho.dihedral = 1;
    ho.more = 1;
    ad_err err;
    if (ad_hasher_new(&b.hasher, &ho, &err) != AD_OK) {
        fprintf(stderr, "bench_robust: %s\n", err.msg);
        return 1;
    }
    if (photos) {
        b.known = load_known(&b, "photos", 0, &b.nknown);
        if (!b.nknown) {
            fprintf(stderr, "bench_robust: no %s/photos/known/original\n", b.root);
            return 2;
        }
        for (size_t s = 0; s < NSIG; s++)
            if (signals[s].learn && signals[s].learn(&b)) {
                fprintf(stderr, "bench_robust: signal %s failed to learn\n", signals[s].name);
                return 1;
            }
        run_set(&b, "photos", "known", 0, b.known, b.nknown);
        run_set(&b, "photos", "unrelated", 0, b.known, b.nknown);
    }
    if (videos) {
        size_t nv = 0;
        struct item *kv = load_known(&b, "videos", 1, &nv);
        if (nv) {
            run_set(&b, "videos", "known", 1, kv, nv);
            run_set(&b, "videos", "unrelated", 1, kv, nv);
        }
        for (size_t i = 0; i < nv; i++)
            item_free(&kv[i]);
        free(kv);
    }
    print_table(json, NSIG);
    if (!json)
        printf("\nknown photos: %zu; radius %d, quality gate %d; query hashing %.1f s CPU\n",
               b.nknown, b.radius, b.quality, b.hash_s);
    for (size_t i = 0; i < b.nknown; i++)
        item_free(&b.known[i]);
    free(b.known);
    free(rows);
    ad_hasher_free(b.hasher);
    ad_feat_index_free(b.fix);
    return 0;
}
