/* bench_features: the second signal (local features, docs/features.md), in one run:
 *  1. the candidate search at scale: N media (default 1,000,000) of 200 generated visual words
 *     each (skewed as real words are), queries of 500 words sharing 120 with one media: the
 *     inverted file beside brute force over the same words, and beside PDQ alone (the project's
 *     index, radius 31, on N random hashes), ms per query on one core;
 *  2. with --corpus DIR: recall per transform (DIR/orig/NAME.* known; DIR/<transform>/NAME.*
 *     queries), the same-scene pairs (DIR/scene/NAME-a.* known, NAME-b.* queries), beside PDQ
 *     alone (distance <= 31 over the 8 dihedral forms); times are CPU time of the thread; false findings of --unrelated pictures
 *     (files under the folders given, photos cut into non-overlapping 384-pixel tiles, and
 *     generated textures: noise, stripes, checkers, flat and gradients): half of them indexed
 *     with the known pictures, the other half queried (any finding is false, except a copy
 *     between two synthetic pictures of one lattice: same kind, period and canvas, counted and
 *     printed apart as the same lattice by construction, see `lattice` below).
 *  3. with --decode DIR: what the features add to ingest's hashing of each picture of DIR, CPU of
 *     one thread, in turns on the same bytes: the PDQ decode as ingest makes it (plain, trimmed
 *     and area PDQs), the features from a second decode (before the feat13 branch: JPEG scaled
 *     in the DCT domain, reduced by OpenCV), the features from the PDQ decode's reduced luma
 *     (now: ad_hasher_grey); ingest's images per second with features as a share of without;
 *  4. with --index-file N: a SQLite store of N media with (generated) stored features, the
 *     features index built from the store (what `similar` did at every call) beside the index
 *     file (ad_feat_store_load_file): written the first time, read as it is, read and updated
 *     with 1% more media.
 *     --query-every K: one unrelated picture in K is queried, the others indexed (default 2;
 *     4 with scripts/make-feature-corpus --unrelated gives 10,000 indexed).
 *     --near: the PDQ-guided check (src/features/pdqnear.c) over the unrelated queries that
 *     triage would send to it, at its radius and at 64 bits (any copy is false but the same
 *     lattice's, counted apart as above).
 *   bench_features [--scale N] [--queries Q] [--corpus DIR] [--unrelated DIR]... [--synthetic N]
 *                  [--query-every K]
 *                  [--decode DIR] [--index-file N] [--near] [--dense] [--candidates N]
 *                  [--scene-probe DIR]
 *     --dense: the same scene looked for again with the query's denser points where the check
 *              wants them (ad_features_verify_dense), as triage does; --candidates N: checked
 *              per query (32, as triage)
 *     --scene-probe DIR: each same-scene pair of DIR checked alone: the known side stored or
 *              with all its points (no budget), the query with or without denser points
 * BENCH_DEBUG=1 in the environment names every miss and every false finding on stderr. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/features.h"
#include "ariadne/hash.h"
#include "ariadne/index.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "features/feat_int.h"
#include "features/fstore.h"
#include "features/pdqnear.h"

/* CPU seconds of this thread: "on one core", whatever else the machine runs */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t rs = 0x853c49e6748fea9bull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static double urand(void)
{
    return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}
static uint32_t skewed_word(void) /* more mass on some words, as trained vocabularies have */
{
    return (uint32_t)(AD_FEAT_WORDS * pow(urand(), 1.4)) % AD_FEAT_WORDS;
}

/* ---- 1. scale ---- */

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void scale_bench(size_t n, size_t nq)
{
    const size_t per = AD_FEAT_STORED;
    printf("== candidate search: %zu media x %zu words, %zu queries of %d words, one core\n", n,
           per, nq, AD_FEAT_DETECT);
    uint16_t *words = malloc(n * per * sizeof *words);
    ad_feat_index *ix;
    if (!words || ad_feat_index_new(&ix, NULL)) {
        printf("out of memory\n");
        return;
    }
    ad_feat_point pts[AD_FEAT_DETECT];
    memset(pts, 0, sizeof pts);
    ad_features f = {512, 512, per, pts};
    double t0 = cpu_now();
    for (size_t m = 0; m < n; m++) {
        for (size_t k = 0; k < per; k++)
            pts[k].word = words[m * per + k] = (uint16_t)skewed_word();
        qsort(words + m * per, per, sizeof *words, cmp_u16);
        ad_feat_index_add(ix, (int64_t)m + 1, &f, NULL);
    }
    ad_feat_index_seal(ix, NULL);
    double build = cpu_now() - t0;
    printf("index: built in %.1f CPU s, %.0f MB (%.0f bytes per media)\n", build,
           ad_feat_index_bytes(ix) / 1e6, (double)ad_feat_index_bytes(ix) / n);
    /* queries: 120 words of a media, 380 others */
    ad_feat_point *qp = calloc(nq * AD_FEAT_DETECT, sizeof *qp);
    int64_t *target = malloc(nq * sizeof *target);
    for (size_t q = 0; q < nq; q++) {
        size_t m = rnd() % n;
        target[q] = (int64_t)m + 1;
        for (size_t k = 0; k < AD_FEAT_DETECT; k++)
            qp[q * AD_FEAT_DETECT + k].word =
                k < 120 ? words[m * per + (rnd() % per)] : skewed_word();
    }
    ad_feat_hit hits[64];
    size_t top1 = 0, top32 = 0;
    t0 = cpu_now();
    for (size_t q = 0; q < nq; q++) {
        ad_features qf = {512, 512, AD_FEAT_DETECT, qp + q * AD_FEAT_DETECT};
        size_t h = ad_feat_index_search(ix, &qf, hits, 32);
        for (size_t i = 0; i < h; i++)
            if (hits[i].media_id == target[q]) {
                top1 += i == 0;
                top32++;
            }
    }
    double inv = (cpu_now() - t0) / nq * 1e3;
    printf("inverted file:  %8.2f ms per query (target in the 32 candidates: %zu/%zu, first: "
           "%zu)\n",
           inv, top32, nq, top1);
    /* brute force: shared words with every media (sorted lists merged) */
    size_t nb = nq < 5 ? nq : 5;
    t0 = cpu_now();
    for (size_t q = 0; q < nb; q++) {
        uint16_t qw[AD_FEAT_DETECT];
        for (size_t k = 0; k < AD_FEAT_DETECT; k++)
            qw[k] = (uint16_t)qp[q * AD_FEAT_DETECT + k].word;
        qsort(qw, AD_FEAT_DETECT, sizeof *qw, cmp_u16);
        size_t best = 0, bestm = 0;
        for (size_t m = 0; m < n; m++) {
            const uint16_t *w = words + m * per;
            size_t i = 0, j = 0, c = 0;
            while (i < per && j < AD_FEAT_DETECT) {
                if (w[i] < qw[j])
                    i++;
                else if (w[i] > qw[j])
                    j++;
                else
                    c++, i++, j++;
            }
            if (c > best)
                best = c, bestm = m;
        }
        (void)bestm;
    }
    double brute = (cpu_now() - t0) / nb * 1e3;
    printf("brute force:    %8.2f ms per query (%.0fx the inverted file)\n", brute, brute / inv);
    ad_feat_index_free(ix);
    free(words);
    free(qp);
    free(target);
    /* PDQ alone: the project's exact index, radius 31 */
    ad_index *px;
    if (ad_index_new(&px, NULL))
        return;
    const size_t chunk = 1 << 16;
    ad_h256 *hs = malloc(chunk * sizeof *hs);
    uint64_t *ids = malloc(chunk * sizeof *ids);
    for (size_t m = 0; m < n; m += chunk) {
        size_t c = n - m < chunk ? n - m : chunk;
        for (size_t i = 0; i < c; i++) {
            for (int w = 0; w < 4; w++) {
                uint64_t v = rnd();
                memcpy(hs[i].b + 8 * w, &v, 8);
            }
            ids[i] = m + i + 1;
        }
        ad_index_add(px, hs, ids, c, NULL);
    }
    ad_index_compact(px, NULL);
    ad_index_hits out = {0};
    t0 = cpu_now();
    for (size_t q = 0; q < nq; q++) {
        ad_h256 h;
        for (int w = 0; w < 4; w++) {
            uint64_t v = rnd();
            memcpy(h.b + 8 * w, &v, 8);
        }
        ad_index_search(px, &h, 31, &out, NULL);
    }
    printf("PDQ alone:      %8.2f ms per query (exact index, radius 31, %zu hashes)\n",
           (cpu_now() - t0) / nq * 1e3, n);
    ad_index_hits_free(&out);
    ad_index_free(px);
    free(hs);
    free(ids);
}

/* ---- 2. corpus ---- */

/* A picture's PDQs as triage searches them (the PDQ-guided check, --near): plain, trimmed (a
 * border found), area, each with its 8 forms, when the quality gate passes; the content box
 * inside a border, fractions of the picture. */
typedef struct {
    ad_h256 h[4][8]; /* plain, trimmed, area, the content's area (query side only: never stored) */
    int has[4];
    double content[4];
    int has_content;
    int decided; /* the features' own search found a copy (--near: triage stops there) */
} pdqs;

/* A synthetic picture's lattice (synth(): stripes and checkers have a period; 0 for every other
 * picture). Two of one kind, one period and one canvas are the same lattice by construction:
 * one is the other with its two greys mapped (a brightness/contrast change) or, the greys'
 * order reversed, shifted by one period (a crop of a larger lattice). No content-based check
 * can tell them from a copy: a copy between them is counted apart from the false copies
 * (printed beside them, never hidden), every other copy of an unrelated picture is false. */
typedef struct {
    int kind, period, w, h;
} lattice;

static int same_lattice(const lattice *a, const lattice *b)
{
    return a->period && a->kind == b->kind && a->period == b->period && a->w == b->w &&
           a->h == b->h;
}

typedef struct {
    char name[256];
    lattice lat;
    ad_features f; /* as stored */
    ad_h256 pdq[8];
    int has_pdq;
    pdqs p;
} known;

static int near_check; /* --near: the PDQ-guided check over the unrelated queries */

static void pdqs_of(const ad_pdq_result *plain, const ad_pdq_more *m, int w, int h, pdqs *out)
{
    memset(out, 0, sizeof *out);
    if (plain && plain->quality >= 50)
        memcpy(out->h[0], plain->dihedral, sizeof out->h[0]), out->has[0] = 1;
    if (m && m->has_trim && m->trim.quality >= 50)
        memcpy(out->h[1], m->trim.dihedral, sizeof out->h[1]), out->has[1] = 1;
    out->has_content = ad_feat_near_content(m, w, h, out->content);
    if (m && m->has_area && m->area.quality >= 50)
        memcpy(out->h[2], m->area.dihedral, sizeof out->h[2]), out->has[2] = 1;
    if (m && m->has_trim_area && m->trim_area.quality >= 50)
        memcpy(out->h[3], m->trim_area.dihedral, sizeof out->h[3]), out->has[3] = 1;
}

/* the PDQs of grey pixels (a tile, a synthetic picture) */
static void grey_pdqs(const uint8_t *g, int w, int h, size_t stride, pdqs *out)
{
    ad_pdq_result r;
    ad_pdq_more m;
    ad_pdq_more_acc *a = NULL;
    memset(&m, 0, sizeof m);
    int okp = ad_pdq_from_u8(g, w, h, stride, 1, 1, &r, NULL) == AD_OK;
    int okm = ad_pdq_more_new(&a, w, h, NULL) == AD_OK;
    for (int y = 0; okm && y < h; y++)
        ad_pdq_more_push_u8(a, g + (size_t)y * stride, 1);
    okm = okm && ad_pdq_more_finish(a, &m, NULL) == AD_OK;
    ad_pdq_more_free(a);
    pdqs_of(okp ? &r : NULL, okm ? &m : NULL, w, h, out);
}

static ad_magic *magic;
static int query_every = 2; /* one unrelated picture in this many is queried, the others indexed */
static ad_hasher *hasher;

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* features (all points: a query's) and PDQ of an image file; 0 ok */
static pdqs last_pdqs; /* file_feat's last file's, when it hashed it */

static int file_feat(const char *path, ad_features *f, ad_h256 pdq[8], int *has_pdq)
{
    size_t len;
    uint8_t *b = slurp(path, &len);
    if (!b)
        return -1;
    char mime[64];
    ad_media_type t = ad_media_probe(magic, b, len, mime, sizeof mime);
    int rc = ad_features_image(t, b, len, NULL, AD_FEAT_DETECT, f, NULL) ? -1 : 0;
    if (pdq) {
        ad_file_hash fh;
        *has_pdq = ad_hasher_buffer(hasher, b, len, &fh, NULL) == AD_OK && fh.has_pdq;
        if (*has_pdq)
            memcpy(pdq, fh.pdq.dihedral, sizeof fh.pdq.dihedral);
        int w = fh.image.out_width ? fh.image.out_width : fh.image.width;
        int h = fh.image.out_height ? fh.image.out_height : fh.image.height;
        pdqs_of(*has_pdq ? &fh.pdq : NULL, *has_pdq && fh.has_more ? &fh.more : NULL, w, h,
                &last_pdqs);
    }
    free(b);
    return rc;
}

static void as_stored(ad_features *f)
{
    ad_features_keep(f, AD_FEAT_STORED);
    uint8_t blob[AD_FEAT_BLOB_MAX];
    size_t len = ad_features_encode(f, blob, sizeof blob);
    ad_features_free(f);
    ad_features_decode(blob, len, f, NULL);
}

static known *K;
static size_t nk, capk;
static ad_feat_index *IX;

static size_t add_known(const char *name, ad_features *f)
{
    if (nk == capk) {
        capk = capk ? capk * 2 : 256;
        K = realloc(K, capk * sizeof *K);
    }
    memset(&K[nk], 0, sizeof K[nk]);
    snprintf(K[nk].name, sizeof K[nk].name, "%s", name);
    K[nk].f = *f;
    ad_feat_index_add(IX, (int64_t)nk + 1, f, NULL);
    return nk++;
}

static size_t ncand = 32; /* --candidates: checked per query (triage: 32) */
static int dense_on;            /* --dense: the same scene again with the query's denser points */
static const ad_features *qdense; /* the current query's (AD_FEAT_DENSE points), or NULL */
static double t_dverify;        /* CPU seconds in ad_features_verify_dense, and its calls */
static size_t n_dverify;
static int dense_used;          /* the current query needed them (a candidate reached the scene
                                   path without a finding) */

/* the best finding for a query: index candidates checked; -1 none */
static long find_but(const ad_features *q, ad_feat_match *best, const char *skip)
{
    dense_used = 0;
    ad_feat_hit hits[256];
    size_t h = ad_feat_index_search(IX, q, hits, ncand);
    long id = -1;
    memset(best, 0, sizeof *best);
    for (size_t i = 0; i < h; i++) {
        ad_feat_match m;
        if (skip && !strcmp(K[hits[i].media_id - 1].name, skip))
            continue;
        ad_features_verify(q, &K[hits[i].media_id - 1].f, &m);
        if (ad_features_dense_wanted(&m) && qdense) {
            dense_used = 1;
            int gm = m.guided_most;
            double t0 = cpu_now();
            ad_features_verify_dense(q, qdense, &K[hits[i].media_id - 1].f, &m);
            t_dverify += cpu_now() - t0;
            n_dverify++;
            if (getenv("BENCH_DEBUG"))
                fprintf(stderr, "dense ~ %s: guided_most %d -> %s %d (dense guided_most %d)\n",
                        K[hits[i].media_id - 1].name, gm, ad_feat_kind_name(m.kind), m.inliers,
                        m.guided_most);
        }
        if (m.kind != AD_FEAT_NONE &&
            (id < 0 || (m.kind == AD_FEAT_COPY && best->kind != AD_FEAT_COPY) ||
             (m.kind == best->kind && m.inliers > best->inliers))) {
            *best = m;
            id = (long)hits[i].media_id - 1;
        }
    }
    return id;
}

static long find(const ad_features *q, ad_feat_match *best)
{
    return find_but(q, best, NULL);
}

/* a finding of the right picture: its own name, or a picture cut from the same photo (the
 * scene sides NAME-a: a crop of NAME is a copy of them too) */
static int same_source(long id, const char *want)
{
    if (id < 0)
        return 0;
    const char *n = K[id].name;
    size_t l = strlen(want);
    return !strncmp(n, want, l) && (!n[l] || !strcmp(n + l, "-a"));
}

static int list_dir(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = realloc(*out, cap * sizeof **out);
        }
        (*out)[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* sorted: runs are reproducible */
        for (int j = i; j > 0 && strcmp((*out)[j - 1], (*out)[j]) > 0; j--) {
            char *t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return n;
}

static void stem(const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s", file);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = 0;
}

static long known_by_name(const char *name)
{
    for (size_t i = 0; i < nk; i++)
        if (!strcmp(K[i].name, name))
            return (long)i;
    return -1;
}

/* synthetic unrelated pictures: the hard cases of local features */
static lattice synth(int kind, int seed, uint8_t *g, int w, int h)
{
    rs = 0x9e3779b97f4a7c15ull ^ (uint64_t)seed * 0x2545f4914f6cdd1dull;
    int p = 4 + (int)(rnd() % 40), a = (int)(rnd() % 200), b = (int)(rnd() % 200);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v;
            switch (kind) {
            case 0: v = (int)(rnd() & 255); break;                             /* noise */
            case 1: v = ((x / p) & 1) ? a : b; break;                          /* stripes */
            case 2: v = (((x / p) + (y / p)) & 1) ? a : b; break;              /* checkers */
            case 3: v = a; break;                                              /* flat */
            default: v = (x * 255 / w + y * a / h) & 255; break;               /* gradient */
            }
            g[(size_t)y * w + x] = (uint8_t)v;
        }
    return (lattice){kind, kind == 1 || kind == 2 ? p : 0, w, h};
}


/* The PDQ-guided check over the unrelated queries (--near): the indexed pictures within radius
 * (AD_FEAT_NEAR_RADIUS, as triage, then 64) of a query's PDQs (plain, trimmed, area, in its own
 * orientation, as triage searches them), nearest first, each verified as triage does
 * (ad_features_verify_near, the query's NEAR_DETECT points against the stored form). Any copy
 * is false. CPU time of the search and of the checks. */
static void near_bench(const ad_features *qf, const pdqs *qp, char (*qname)[64],
                       const lattice *qlat, size_t nq, int radius)
{
    ad_index *px;
    if (ad_index_new(&px, NULL))
        return;
    size_t entries = 0;
    for (size_t k = 0; k < nk; k++)
        for (int kind = 0; kind < 3; kind++) /* the kinds the store keeps */
            if (K[k].p.has[kind]) {
                uint64_t id = k;
                ad_index_add(px, &K[k].p.h[kind][0], &id, 1, NULL);
                entries++;
            }
    ad_index_hits h = {0};
    size_t with = 0, pairs = 0, checked = 0, fcopy = 0, by_pdq = 0, frep = 0, fsame = 0;
    double t_search = 0, t_check = 0;
    int *best = malloc(nk * sizeof *best);
    for (size_t i = 0; best && i < nq; i++) {
        for (size_t k = 0; k < nk; k++)
            best[k] = 999;
        size_t c = 0;
        if (qp[i].decided)
            continue;
        /* triage's PDQ search decides first: any indexed picture within its radius (31) of the
         * query's 8 forms of each kind; the PDQ-guided check runs only when there is none */
        int pdq_found = 0, kind = 0;
        for (; kind < 4 && !pdq_found; kind++)
            pdq_found = qp[i].has[kind] &&
                        ad_index_search_dihedral(px, qp[i].h[kind], 31, &h, NULL) == AD_OK && h.n;
        if (pdq_found) {
            static const char *const kinds[] = {"plain", "trimmed", "area", "content's area"};
            if (getenv("BENCH_DEBUG") && radius == AD_FEAT_NEAR_RADIUS)
                fprintf(stderr, "pdq %s ~ %s: its %s PDQ, %d bits\n", qname[i],
                        K[h.v[0].id].name, kinds[kind - 1], (int)h.v[0].dist);
            by_pdq++;
            continue;
        }
        double t0 = cpu_now();
        for (int kind = 0; kind < 4; kind++) {
            if (!qp[i].has[kind] || /* its own orientation: the check verifies no turn */
                ad_index_search(px, &qp[i].h[kind][0], radius, &h, NULL))
                continue;
            for (size_t j = 0; j < h.n; j++) {
                size_t k = (size_t)h.v[j].id;
                c += best[k] == 999;
                if ((int)h.v[j].dist < best[k])
                    best[k] = (int)h.v[j].dist;
            }
        }
        double t1 = cpu_now();
        t_search += t1 - t0;
        if (!c)
            continue;
        with++;
        pairs += c;
        for (size_t n = 0; n < AD_FEAT_NEAR_CANDIDATES; n++) { /* nearest first */
            size_t who = nk;
            for (size_t k = 0; k < nk; k++)
                if (best[k] < 999 && (who == nk || best[k] < best[who]))
                    who = k;
            if (who == nk)
                break;
            ad_feat_match m;
            ad_features_verify_near(&qf[i], &K[who].f, qp[i].has_content ? qp[i].content : NULL,
                                    &m);
            checked++;
            if (getenv("BENCH_DEBUG"))
                fprintf(stderr, "near %s ~ %s: %d bits, %s (%d of %d)%s\n", qname[i], K[who].name,
                        best[who], ad_feat_kind_name(m.kind), m.inliers, m.matches,
                        same_lattice(&qlat[i], &K[who].lat) ? ", same lattice" : "");
            if (m.kind == AD_FEAT_COPY && same_lattice(&qlat[i], &K[who].lat)) {
                fsame++; /* not a false copy: the same lattice by construction */
                break;
            }
            if (m.kind == AD_FEAT_COPY) {
                ad_feat_sim_stats st; /* two repeated patterns (a checkerboard of one period)? */
                ad_feat_measure_sim(&qf[i], &K[who].f, &st);
                frep += st.rep_query > 0.3 && st.rep_known > 0.3;
                fcopy++;
                break;
            }
            best[who] = 999;
        }
        t_check += cpu_now() - t1;
    }
    printf("pdq-guided %6zu queries against %zu indexed (%zu PDQs): %zu decided by PDQ within 31 "
           "(not checked); %zu with one within %d bits (%zu pairs, %zu checked), false copies %zu "
           "(%zu between two repeated patterns), copies between two synthetic pictures of one "
           "lattice (same lattice by construction, not false) %zu; CPU: search %.3f ms a query, "
           "check %.1f ms a pair checked\n",
           nq, nk, entries, by_pdq, with, radius, pairs, checked, fcopy, frep, fsame,
           nq ? 1e3 * t_search / (double)nq : 0, checked ? 1e3 * t_check / (double)checked : 0);
    free(best);
    ad_index_hits_free(&h);
    ad_index_free(px);
}

/* --scene-probe DIR: each same-scene pair checked alone (no index, no other picture): the a
 * side stored (200 points) or with all its 500 (no budget), the b side's 500 points alone or
 * with its denser points (ad_features_verify_dense). */
static void feat_n(const char *path, int pts, ad_features *f)
{
    size_t len;
    uint8_t *b = slurp(path, &len);
    memset(f, 0, sizeof *f);
    if (!b)
        return;
    char mime[64];
    ad_media_type t = ad_media_probe(magic, b, len, mime, sizeof mime);
    ad_features_image(t, b, len, NULL, pts, f, NULL);
    free(b);
}

static void scene_probe(const char *dir)
{
    char path[4096], bpath[4096], name[256];
    char **sc = NULL;
    snprintf(path, sizeof path, "%s/scene", dir);
    int ns = list_dir(path, &sc), tot[2][2] = {{0}};
    for (int i = 0; i < ns; i++) {
        stem(sc[i], name, sizeof name);
        size_t l = strlen(name);
        if (l < 2 || strcmp(name + l - 2, "-a"))
            continue;
        snprintf(path, sizeof path, "%s/scene/%s", dir, sc[i]);
        snprintf(bpath, sizeof bpath, "%s/scene/%.*s-b.jpg", dir, (int)(l - 2), name);
        ad_features k[2], q, d;
        feat_n(path, AD_FEAT_DETECT, &k[0]);
        feat_n(path, AD_FEAT_DETECT, &k[1]);
        as_stored(&k[0]);
        feat_n(bpath, AD_FEAT_DETECT, &q);
        feat_n(bpath, AD_FEAT_DENSE, &d);
        printf("%-22s", name);
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 2; j++) {
                ad_feat_match m;
                ad_features_verify(&q, &k[s], &m);
                if (j)
                    ad_features_verify_dense(&q, &d, &k[s], &m);
                printf("  %s %-5s %3d/%3d", j ? "+dense" : "500   ", ad_feat_kind_name(m.kind),
                       m.inliers, m.matches);
                tot[s][j] += m.kind != AD_FEAT_NONE;
            }
        printf("\n");
        ad_features_free(&k[0]);
        ad_features_free(&k[1]);
        ad_features_free(&q);
        ad_features_free(&d);
    }
    for (int s = 0; s < 2; s++)
        for (int j = 0; j < 2; j++)
            printf("known %s, query 500 points%s: %d linked\n", s ? "all 500" : "stored 200",
                   j ? " + dense" : "", tot[s][j]);
    for (int i = 0; i < ns; i++)
        free(sc[i]);
    free(sc);
}

/* Whether the scene folder's file f is a pair's side ('a' known, 'b' queried): its stem into
 * name, its path into path. */
static int scene_side(const char *dir, const char *f, char side, char *name, size_t ncap,
                      char *path, size_t pcap)
{
    stem(f, name, ncap);
    size_t l = strlen(name);
    if (l < 2 || name[l - 2] != '-' || name[l - 1] != side)
        return 0;
    snprintf(path, pcap, "%s/scene/%s", dir, f);
    return 1;
}

static void corpus_bench(const char *dir, const char **unrel, int nunrel, int nsynth)
{
    char path[4096], name[256];
    char **orig = NULL;
    snprintf(path, sizeof path, "%s/orig", dir);
    int no = list_dir(path, &orig);
    ad_feat_index_new(&IX, NULL);
    for (int i = 0; i < no; i++) {
        ad_features f;
        snprintf(path, sizeof path, "%s/orig/%s", dir, orig[i]);
        ad_h256 pdq[8];
        int hp = 0;
        if (file_feat(path, &f, pdq, &hp))
            continue;
        as_stored(&f);
        stem(orig[i], name, sizeof name);
        size_t k = add_known(name, &f);
        memcpy(K[k].pdq, pdq, sizeof pdq);
        K[k].has_pdq = hp;
        if (hp)
            K[k].p = last_pdqs;
    }
    size_t norig = nk;
    /* same-scene pairs: the a sides known */
    char **sc = NULL;
    snprintf(path, sizeof path, "%s/scene", dir);
    int ns = list_dir(path, &sc);
    for (int i = 0; i < ns; i++) {
        ad_features f;
        if (!scene_side(dir, sc[i], 'a', name, sizeof name, path, sizeof path) ||
            file_feat(path, &f, NULL, NULL))
            continue;
        as_stored(&f);
        add_known(name, &f);
    }
    /* unrelated: tiles of photos and synthetic pictures; even ones known, odd ones queried */
    ad_features *uq = NULL, *uqn = NULL; /* uqn: NEAR_DETECT points (--near) */
    pdqs *uqp = NULL;
    size_t nuq = 0, capuq = 0, nunk = 0;
    int serial = 0;
    char (*uqname)[64] = NULL;
    lattice *uqlat = NULL;
#define UNRELATED(F, SRC, G, W, H, STRIDE, LAT)                                                    \
    do {                                                                                     \
        if (serial++ % query_every == query_every - 1) {                                                                \
            if (nuq == capuq) {                                                              \
                capuq = capuq ? capuq * 2 : 1024;                                            \
                uq = realloc(uq, capuq * sizeof *uq);                                        \
                uqn = realloc(uqn, capuq * sizeof *uqn);                                     \
                uqp = realloc(uqp, capuq * sizeof *uqp);                                     \
                uqname = realloc(uqname, capuq * sizeof *uqname);                            \
                uqlat = realloc(uqlat, capuq * sizeof *uqlat);                               \
            }                                                                                \
            uqlat[nuq] = (LAT);                                                              \
            snprintf(uqname[nuq], sizeof uqname[nuq], "%s", (SRC));                          \
            memset(&uqn[nuq], 0, sizeof uqn[nuq]);                                           \
            memset(&uqp[nuq], 0, sizeof uqp[nuq]);                                           \
            if (near_check)                                                                  \
                grey_pdqs((G), (W), (H), (STRIDE), &uqp[nuq]);                               \
            if (near_check || dense_on) /* NEAR_DETECT == AD_FEAT_DENSE */                   \
                ad_features_grey((G), (W), (H), (STRIDE), NEAR_DETECT, &uqn[nuq], NULL);     \
            uq[nuq++] = (F);                                                                 \
        } else {                                                                             \
            as_stored(&(F));                                                                 \
            size_t k_ = add_known((SRC), &(F));                                              \
            K[k_].lat = (LAT);                                                               \
            if (near_check)                                                                  \
                grey_pdqs((G), (W), (H), (STRIDE), &K[k_].p);                                \
            nunk++;                                                                          \
        }                                                                                    \
    } while (0)
    size_t nphoto = 0, ntext = 0;
    for (int u = 0; u < nunrel; u++) {
        char **files = NULL;
        int nf = list_dir(unrel[u], &files);
        for (int i = 0; i < nf; i++) {
            snprintf(path, sizeof path, "%s/%s", unrel[u], files[i]);
            size_t len;
            uint8_t *b = slurp(path, &len);
            if (!b)
                continue;
            char mime[64];
            ad_media_type t = ad_media_probe(magic, b, len, mime, sizeof mime);
            uint8_t *g;
            int w, h;
            if (!ad_media_is_image(t) || ad_feat_decode_grey(t, b, len, NULL, 0, &g, &w, &h, NULL)) {
                free(b);
                continue;
            }
            free(b);
            if (w <= 768 && h <= 768) { /* a small picture (a text screenshot): whole */
                ad_features f;
                if (!ad_features_grey(g, w, h, (size_t)w, AD_FEAT_DETECT, &f, NULL)) {
                    UNRELATED(f, files[i], g, w, h, (size_t)w, (lattice){0});
                    ntext++;
                }
            } else { /* a photo: non-overlapping 384-pixel tiles */
                for (int y = 0; y + 384 <= h; y += 384)
                    for (int x = 0; x + 384 <= w; x += 384) {
                        ad_features f;
                        char tname[64]; /* the file and the tile's place */
                        snprintf(tname, sizeof tname, "%.40s@%d,%d", files[i], x, y);
                        if (!ad_features_grey(g + (size_t)y * w + x, 384, 384, (size_t)w,
                                              AD_FEAT_DETECT, &f, NULL)) {
                            UNRELATED(f, tname, g + (size_t)y * w + x, 384, 384, (size_t)w,
                                      (lattice){0});
                            nphoto++;
                        }
                    }
            }
            free(g);
        }
        for (int i = 0; i < nf; i++)
            free(files[i]);
        free(files);
    }
    uint8_t *g = malloc(512 * 384);
    for (int i = 0; i < nsynth; i++) {
        lattice lat = synth(i % 5, i, g, 512, 384);
        ad_features f;
        static const char *const kinds[] = {"noise", "stripes", "checkers", "flat", "gradient"};
        char sname[32]; /* the kind and its seed: a false finding can be made again */
        snprintf(sname, sizeof sname, "%s-%d", kinds[i % 5], i);
        if (!ad_features_grey(g, 512, 384, 512, AD_FEAT_DETECT, &f, NULL))
            UNRELATED(f, sname, g, 512, 384, 512, lat);
    }
    free(g);
    ad_feat_index_seal(IX, NULL);
    printf("\n== corpus %s: %zu known pictures, %zu same-scene pairs, %zu unrelated indexed, "
           "%zu unrelated queries (photo tiles %zu, small pictures %zu, synthetic %d)\n",
           dir, norig, nk - norig - nunk, nunk, nuq, nphoto, ntext, nsynth);
    /* transforms */
    char **tr = NULL;
    int nt = list_dir(dir, &tr);
    printf("%-10s %8s %8s %10s   (found: a copy of the right picture; PDQ: distance <= 31)\n",
           "transform", "queries", "features", "PDQ alone");
    for (int ti = 0; ti < nt; ti++) {
        if (!strcmp(tr[ti], "orig") || !strcmp(tr[ti], "scene") || !strcmp(tr[ti], "deb") ||
            !strcmp(tr[ti], "unrelated"))
            continue;
        char **files = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, tr[ti]);
        struct stat st;
        if (stat(path, &st) || !S_ISDIR(st.st_mode))
            continue;
        int nf = list_dir(path, &files);
        int q = 0, hit = 0, pdq = 0;
        for (int i = 0; i < nf; i++) {
            stem(files[i], name, sizeof name);
            long want = known_by_name(name);
            if (want < 0)
                continue;
            snprintf(path, sizeof path, "%s/%s/%s", dir, tr[ti], files[i]);
            ad_features f;
            ad_h256 ph[8];
            int hp = 0;
            if (file_feat(path, &f, ph, &hp))
                continue;
            q++;
            ad_feat_match m;
            long id = find(&f, &m);
            int ok = same_source(id, K[want].name) && m.kind == AD_FEAT_COPY;
            hit += ok;
            if (getenv("BENCH_DEBUG") && !ok)
                fprintf(stderr, "miss %s/%s: found %s (%s, %d of %d, cover %.2f)\n", tr[ti],
                        files[i], id >= 0 ? K[id].name : "-", ad_feat_kind_name(m.kind),
                        m.inliers, m.matches, m.coverage);
            if (hp && K[want].has_pdq) {
                int best = 256;
                for (int v = 0; v < 8; v++) {
                    int d = ad_h256_distance(&ph[v], &K[want].pdq[0]);
                    best = d < best ? d : best;
                }
                pdq += best <= 31;
            }
            ad_features_free(&f);
        }
        printf("%-10s %8d %7.1f%% %9.1f%%\n", tr[ti], q, q ? 100.0 * hit / q : 0,
               q ? 100.0 * pdq / q : 0);
        for (int i = 0; i < nf; i++)
            free(files[i]);
        free(files);
    }
    /* same scene */
    int sq = 0, slink = 0;
    for (int i = 0; i < ns; i++) {
        stem(sc[i], name, sizeof name);
        size_t l = strlen(name);
        if (l < 2 || strcmp(name + l - 2, "-b"))
            continue;
        name[l - 1] = 'a';
        long want = known_by_name(name);
        char orig_name[256];
        snprintf(orig_name, sizeof orig_name, "%.*s", (int)(l - 2), name);
        snprintf(path, sizeof path, "%s/scene/%s", dir, sc[i]);
        ad_features f;
        if (want < 0 || file_feat(path, &f, NULL, NULL))
            continue;
        sq++;
        ad_feat_match m;
        /* the original photo left out: the b side is a crop of it (a copy), not a scene */
        if (getenv("BENCH_DEBUG"))
            fprintf(stderr, "Q scene %s\n", sc[i]);
        ad_features fd = {0, 0, 0, NULL};
        if (dense_on)
            feat_n(path, AD_FEAT_DENSE, &fd);
        qdense = dense_on ? &fd : NULL;
        long id = find_but(&f, &m, orig_name);
        qdense = NULL;
        ad_features_free(&fd);
        slink += id == want;
        if (getenv("BENCH_DEBUG") && id != want) {
            fprintf(stderr, "scene miss %s: found %s (%s, %d)\n", sc[i], id >= 0 ? K[id].name : "-",
                    ad_feat_kind_name(m.kind), m.inliers);
            ad_feat_hit hh[256];
            size_t h = ad_feat_index_search(IX, &f, hh, 256);
            int rank = -1;
            for (size_t r = 0; r < h; r++)
                if (hh[r].media_id - 1 == want)
                    rank = (int)r;
            ad_feat_match d;
            ad_features_verify(&f, &K[want].f, &d);
            fprintf(stderr, "  rank %d, direct: %s n=%d in=%d\n", rank, ad_feat_kind_name(d.kind), d.matches, d.inliers);
        }
        ad_features_free(&f);
    }
    printf("%-10s %8d %7.1f%%   (linked: a finding, copy or scene, of the right picture)\n",
           "scene", sq, sq ? 100.0 * slink / sq : 0);
    /* false findings */
    size_t fcopy = 0, fscene = 0, fsame = 0, ndense = 0;
    double t_dense = 0, t_plain = 0, t_dense0 = 0;
    for (size_t i = 0; i < nuq; i++) {
        ad_feat_match m;
        if (getenv("BENCH_DEBUG"))
            fprintf(stderr, "Q unrelated %s\n", uqname[i]);
        qdense = dense_on ? &uqn[i] : NULL;
        double t0 = cpu_now();
        long id = find(&uq[i], &m);
        qdense = NULL;
        if (dense_used) { /* the same query without them: what it cost before */
            ndense++, t_dense += cpu_now() - t0;
            ad_feat_match m0;
            t0 = cpu_now();
            find(&uq[i], &m0);
            t_dense0 += cpu_now() - t0;
        } else {
            t_plain += cpu_now() - t0;
        }
        if (near_check) /* triage goes on to the PDQ-guided check only when this found no copy */
            uqp[i].decided = id >= 0 && m.kind == AD_FEAT_COPY;
        const int same = id >= 0 && m.kind == AD_FEAT_COPY && same_lattice(&uqlat[i], &K[id].lat);
        fsame += same;
        fcopy += id >= 0 && m.kind == AD_FEAT_COPY && !same;
        fscene += id >= 0 && m.kind == AD_FEAT_SCENE;
        if (getenv("BENCH_DEBUG") && id >= 0)
            fprintf(stderr, "%s %s: %s ~ %s (%d of %d)\n", same ? "same lattice" : "false",
                    ad_feat_kind_name(m.kind), uqname[i],
                    K[id].name, m.inliers, m.matches);
        ad_features_free(&uq[i]);
    }
    printf("unrelated  %8zu queries against %zu indexed (%zu unrelated): false copies %zu, false "
           "scene links %zu, %.2f per 1,000 queries (of false findings); copies between two "
           "synthetic pictures of one lattice (same lattice by construction, not false) %zu\n",
           nuq, nk, nunk, fcopy, fscene, nuq ? 1000.0 * (double)(fcopy + fscene) / nuq : 0, fsame);
    if (dense_on) {
        /* what the denser points cost: decoding a file again into 1,000 points (the scene
         * pairs' query files), and the checks with them */
        double t0 = cpu_now();
        size_t nf = 0;
        for (int i = 0; i < ns; i++) {
            if (!scene_side(dir, sc[i], 'b', name, sizeof name, path, sizeof path))
                continue;
            ad_features fd;
            feat_n(path, AD_FEAT_DENSE, &fd);
            ad_features_free(&fd);
            nf++;
        }
        printf("dense      the query file decoded again into %d points: %.2f ms of CPU a file "
               "(%zu files); %zu checks with them (all queries): %.3f ms of CPU each\n",
               AD_FEAT_DENSE, nf ? 1e3 * (cpu_now() - t0) / (double)nf : 0, nf, n_dverify,
               n_dverify ? 1e3 * t_dverify / (double)n_dverify : 0);
    }
    if (dense_on)
        printf("dense      %zu of %zu queries needed their denser points; CPU of the search and "
               "checks: %.2f ms a query that did (denser points given; %.2f ms for the same "
               "queries without them), %.2f ms one that did not\n",
               ndense, nuq, ndense ? 1e3 * t_dense / (double)ndense : 0,
               ndense ? 1e3 * t_dense0 / (double)ndense : 0,
               nuq > ndense ? 1e3 * t_plain / (double)(nuq - ndense) : 0);
    if (near_check) /* the radius triage uses, and 64 beside it */
        for (int r = AD_FEAT_NEAR_RADIUS; r <= 64; r = r < 64 ? 64 : 65)
            near_bench(uqn, uqp, uqname, uqlat, nuq, r);
    for (size_t i = 0; (near_check || dense_on) && i < nuq; i++)
        ad_features_free(&uqn[i]);
    free(uqn);
    free(uqp);
    free(uq);
    free(uqname);
    free(uqlat);
}

/* ---- 3. one decode for PDQ and features ---- */

static void decode_bench(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("cannot open %s\n", dir);
        return;
    }
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ho.dihedral = ho.more = 1;
    ad_hasher *plain, *shared;
    ad_hasher_new(&plain, &ho, NULL);
    ho.grey = 1;
    ad_hasher_new(&shared, &ho, NULL);
    double t_pdq = 0, t_old = 0, t_pdqg = 0, t_new = 0;
    size_t files = 0;
    uint64_t px = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *b = e->d_name[0] == '.' ? NULL : slurp(p, &len);
        if (!b)
            continue;
        ad_file_hash fh;
        double t0 = cpu_now();
        if (ad_hasher_buffer(plain, b, len, &fh, NULL) || !fh.has_pdq) {
            free(b);
            continue;
        }
        double t1 = cpu_now();
        uint8_t *g;
        int w, h;
        ad_features f;
        if (!ad_feat_decode_grey(fh.type, b, len, NULL, AD_FEAT_SIDE * 3 / 4, &g, &w, &h, NULL)) {
            if (!ad_features_grey(g, w, h, (size_t)w, AD_FEAT_DETECT, &f, NULL))
                ad_features_free(&f);
            free(g);
        }
        double t2 = cpu_now();
        ad_hasher_buffer(shared, b, len, &fh, NULL);
        double t3 = cpu_now();
        const uint8_t *sg = ad_hasher_grey(shared, &w, &h);
        if (sg && !ad_features_grey(sg, w, h, (size_t)w, AD_FEAT_DETECT, &f, NULL))
            ad_features_free(&f);
        double t4 = cpu_now();
        t_pdq += t1 - t0, t_old += t2 - t1, t_pdqg += t3 - t2, t_new += t4 - t3;
        files++;
        px += (uint64_t)fh.image.width * (uint64_t)fh.image.height;
        free(b);
    }
    closedir(d);
    ad_hasher_free(plain);
    ad_hasher_free(shared);
    if (!files)
        return;
    printf("== one decode for PDQ and features: %zu pictures of %s (%.2f Mpx on average), CPU s "
           "of one thread\n", files, dir, (double)px / files / 1e6);
    printf("PDQ decode as ingest (plain, trimmed, area)     %8.3f\n", t_pdq);
    printf("  + features from a second decode (before)     %8.3f   ingest with features %.2fx\n",
           t_old, t_pdq / (t_pdq + t_old));
    printf("PDQ decode keeping its reduced luma            %8.3f\n", t_pdqg);
    printf("  + features from that luma (now)              %8.3f   ingest with features %.2fx\n",
           t_new, t_pdq / (t_pdqg + t_new));
}

/* ---- 4. the index file ---- */

static void index_file_bench(size_t n)
{
    char db[4096], url[4200], path[4300];
    snprintf(db, sizeof db, "/tmp/bench_features-%d.db", (int)getpid());
    snprintf(url, sizeof url, "sqlite:%s", db);
    snprintf(path, sizeof path, "%s.features", db);
    ad_store *st;
    if (ad_store_open(&st, url, AD_STORE_CREATE, NULL)) {
        printf("cannot create %s\n", db);
        return;
    }
    ad_feat_point pts[AD_FEAT_STORED];
    memset(pts, 0, sizeof pts);
    uint8_t *blobs = malloc(1000 * AD_FEAT_BLOB_MAX);
    ad_feat_row *rows = malloc(1000 * sizeof *rows);
    ad_media *m = malloc(1000 * sizeof *m);
    int64_t *ids = malloc(1000 * sizeof *ids);
    size_t total = n + n / 100;
    for (size_t done = 0; done < total;) {
        size_t k = total - done < 1000 ? total - done : 1000;
        if (done < n && done + k > n)
            k = n - done;
        for (size_t i = 0; i < k; i++) {
            ad_media_init(&m[i]);
            m[i].has_sha256 = 1;
            uint64_t v = done + i + 1;
            memset(m[i].sha256, 0, 32);
            memcpy(m[i].sha256, &v, 8);
        }
        ad_store_media_upsert_batch(st, m, k, ids, NULL);
        for (size_t i = 0; i < k; i++) {
            for (size_t j = 0; j < AD_FEAT_STORED; j++) {
                pts[j].x = (float)(rnd() % 512);
                pts[j].y = (float)(rnd() % 384);
                pts[j].word = skewed_word();
                pts[j].sig = (uint32_t)rnd();
                pts[j].octave = (int)(rnd() % 8);
            }
            ad_features f = {512, 384, AD_FEAT_STORED, pts};
            uint8_t *b = blobs + i * AD_FEAT_BLOB_MAX;
            rows[i] = (ad_feat_row){ids[i], b, ad_features_encode(&f, b, AD_FEAT_BLOB_MAX)};
        }
        ad_feat_store_put(st, rows, k, NULL);
        done += k;
        if (done == n) { /* the first n: measured before the last 1% is added */
            double t0 = cpu_now(), w0 = ad_now();
            ad_feat_index *ix;
            ad_feat_index_new(&ix, NULL);
            ad_feat_store_load(st, ix, NULL, NULL, NULL);
            printf("== the features index of %zu media (SQLite), CPU s of one thread (wall)\n", n);
            printf("built from the store (every call before)       %8.3f (%.3f)\n",
                   cpu_now() - t0, ad_now() - w0);
            ad_feat_index_free(ix);
            ad_feat_load how;
            remove(path);
            t0 = cpu_now(), w0 = ad_now();
            ad_feat_store_load_file(st, path, &ix, &how, NULL);
            printf("index file: built and written (first call)     %8.3f (%.3f)\n",
                   cpu_now() - t0, ad_now() - w0);
            ad_feat_index_free(ix);
            t0 = cpu_now(), w0 = ad_now();
            ad_feat_store_load_file(st, path, &ix, &how, NULL);
            printf("index file: read, nothing new                  %8.3f (%.3f)  %zu from the file\n",
                   cpu_now() - t0, ad_now() - w0, how.from_file);
            ad_feat_index_free(ix);
        }
    }
    double t0 = cpu_now(), w0 = ad_now();
    ad_feat_index *ix;
    ad_feat_load how;
    ad_feat_store_load_file(st, path, &ix, &how, NULL);
    printf("index file: read, %zu added from the store      %8.3f (%.3f)\n", how.added,
           cpu_now() - t0, ad_now() - w0);
    ad_feat_index_free(ix);
    struct stat sb;
    if (stat(path, &sb) == 0)
        printf("index file: %.1f MB (%.0f bytes a media)\n", sb.st_size / 1e6,
               (double)sb.st_size / (double)total);
    free(blobs), free(rows), free(m), free(ids);
    ad_store_close(st);
    remove(db);
    remove(path);
}

int main(int argc, char **argv)
{
    size_t n = 1000000, nq = 200;
    const char *corpus = NULL, *probe = NULL, *unrel[16];
    int nunrel = 0, nsynth = 1000;
    const char *decode = NULL;
    size_t ifile = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            nq = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--corpus") && i + 1 < argc)
            corpus = argv[++i];
        else if (!strcmp(argv[i], "--unrelated") && i + 1 < argc && nunrel < 16)
            unrel[nunrel++] = argv[++i];
        else if (!strcmp(argv[i], "--synthetic") && i + 1 < argc)
            nsynth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--query-every") && i + 1 < argc && atoi(argv[i + 1]) >= 2)
            query_every = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--decode") && i + 1 < argc)
            decode = argv[++i];
        else if (!strcmp(argv[i], "--near"))
            near_check = 1;
        else if (!strcmp(argv[i], "--candidates") && i + 1 < argc && atoi(argv[i + 1]) >= 1 &&
                 atoi(argv[i + 1]) <= 256)
            ncand = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dense"))
            dense_on = 1;
        else if (!strcmp(argv[i], "--scene-probe") && i + 1 < argc)
            probe = argv[++i];
        else if (!strcmp(argv[i], "--index-file") && i + 1 < argc)
            ifile = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_features [--scale N] [--queries Q] [--corpus DIR] "
                            "[--unrelated DIR]... [--synthetic N] [--query-every K] [--decode DIR] "
                            "[--index-file N] [--near] [--dense] [--candidates N] "
                            "[--scene-probe DIR]\n");
            return 2;
        }
    }
    if (n)
        scale_bench(n, nq ? nq : 1);
    if (decode)
        decode_bench(decode);
    if (ifile)
        index_file_bench(ifile);
    if (probe) {
        if (ad_magic_open(&magic, NULL))
            return 1;
        scene_probe(probe);
        ad_magic_close(magic);
    }
    if (corpus) {
        ad_hash_opts ho;
        ad_hash_opts_default(&ho);
        ho.dihedral = 1;
        ho.more = near_check; /* the trimmed and area PDQs too */
        if (ad_magic_open(&magic, NULL) || ad_hasher_new(&hasher, &ho, NULL))
            return 1;
        corpus_bench(corpus, unrel, nunrel, nsynth);
        ad_hasher_free(hasher);
        ad_magic_close(magic);
    }
    return 0;
}
