/* test_index.c: the match index against brute force: uniform, clustered, identical and
 * degenerate hashes, every radius, inserts and removals interleaved, k-nearest, dihedral,
 * batches, snapshots (round trip and damaged files), on every CPU path this machine has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/index.h"
#include "testutil.h"

/* ---- data ---- */

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void rand_hash(ad_h256 *h)
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = rnd();
        memcpy(h->b + 8 * i, &v, 8);
    }
}

/* h with `flips` distinct random bits flipped */
static void flip(ad_h256 *h, int flips)
{
    uint8_t done[256] = {0};
    while (flips > 0) {
        int k = (int)(rnd() % 256);
        if (done[k])
            continue;
        done[k] = 1;
        h->b[k / 8] ^= (uint8_t)(1u << (k % 8));
        flips--;
    }
}

static uint64_t id_of(size_t i)
{
    return (uint64_t)i * 0x9E3779B97F4A7C15ULL + 17;
}

/* A reference model: every entry ever added, its id and whether it is still alive. */
typedef struct model {
    ad_h256 *h;
    uint64_t *id;
    uint8_t *alive;
    size_t n, cap;
} model;

static void model_add(model *m, ad_index *ix, const ad_h256 *h, size_t n)
{
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2;
        m->h = realloc(m->h, m->cap * sizeof *m->h);
        m->id = realloc(m->id, m->cap * sizeof *m->id);
        m->alive = realloc(m->alive, m->cap);
        assert_non_null(m->h);
        assert_non_null(m->id);
        assert_non_null(m->alive);
    }
    for (size_t i = 0; i < n; i++) {
        m->h[m->n + i] = h[i];
        m->id[m->n + i] = id_of(m->n + i);
        m->alive[m->n + i] = 1;
    }
    ad_err err;
    assert_int_equal(ad_index_add(ix, h, m->id + m->n, n, &err), AD_OK);
    m->n += n;
}

static void model_free(model *m)
{
    free(m->h);
    free(m->id);
    free(m->alive);
    memset(m, 0, sizeof *m);
}

static int cmp_hit_id(const void *a, const void *b)
{
    const ad_index_hit *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Brute-force truth for query variants q[0..nvar): best distance, first variant. */
static size_t brute(const model *m, const ad_h256 *q, int nvar, int r, ad_index_hit *out)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->alive[i])
            continue;
        int best = 999, bv = 0;
        for (int v = 0; v < nvar; v++) {
            int d = ad_h256_distance(&q[v], &m->h[i]);
            if (d < best) {
                best = d;
                bv = v;
            }
        }
        if (best <= r)
            out[k++] = (ad_index_hit){m->id[i], (uint16_t)best, (uint8_t)bv};
    }
    qsort(out, k, sizeof *out, cmp_hit_id);
    return k;
}

static ad_index_hit *truth_buf(const model *m)
{
    ad_index_hit *t = malloc((m->n + 1) * sizeof *t);
    assert_non_null(t);
    return t;
}

/* Checks one (dihedral when nvar == 8) search against brute force. */
static void check_query(const ad_index *ix, const model *m, const ad_h256 *q, int nvar, int r)
{
    ad_index_hit *truth = truth_buf(m);
    size_t nt = brute(m, q, nvar, r, truth);
    ad_index_hits got = {0};
    ad_err err;
    if (nvar == 8)
        assert_int_equal(ad_index_search_dihedral(ix, q, r, &got, &err), AD_OK);
    else
        assert_int_equal(ad_index_search(ix, q, r, &got, &err), AD_OK);
    if (got.n > 1)
        qsort(got.v, got.n, sizeof *got.v, cmp_hit_id);
    if (got.n != nt)
        fail_msg("radius %d (%s): %zu hits, brute force %zu", r,
                 ad_index_cpu_name(ad_index_get_cpu(ix)), got.n, nt);
    for (size_t i = 0; i < nt; i++) {
        assert_int_equal(got.v[i].id, truth[i].id);
        assert_int_equal(got.v[i].dist, truth[i].dist);
        if (nvar == 8)
            assert_int_equal(got.v[i].variant, truth[i].variant);
    }
    ad_index_hits_free(&got);
    free(truth);
}

/* Checks a batch of nq queries (of nvar variants each) against brute force. */
static void check_batch(const ad_index *ix, const model *m, const ad_h256 *q, size_t nq, int nvar,
                        int r, int threads)
{
    ad_index_hits *out = calloc(nq, sizeof *out);
    assert_non_null(out);
    ad_err err;
    assert_int_equal(ad_index_search_batch(ix, q, nq, nvar == 8, r, threads, out, &err), AD_OK);
    ad_index_hit *truth = truth_buf(m);
    for (size_t i = 0; i < nq; i++) {
        size_t nt = brute(m, q + i * (size_t)nvar, nvar, r, truth);
        if (out[i].n > 1)
            qsort(out[i].v, out[i].n, sizeof *out[i].v, cmp_hit_id);
        if (out[i].n != nt)
            fail_msg("batch query %zu, radius %d (%s, %d threads): %zu hits, brute force %zu", i, r,
                     ad_index_cpu_name(ad_index_get_cpu(ix)), threads, out[i].n, nt);
        for (size_t j = 0; j < nt; j++) {
            assert_int_equal(out[i].v[j].id, truth[j].id);
            assert_int_equal(out[i].v[j].dist, truth[j].dist);
            if (nvar == 8)
                assert_int_equal(out[i].v[j].variant, truth[j].variant);
        }
        ad_index_hits_free(&out[i]);
    }
    free(truth);
    free(out);
}

/* A query near a random entry (flips 0..maxflip) or uniform. */
static void pick_query(const model *m, ad_h256 *q, int maxflip)
{
    if (m->n && rnd() % 4 != 0) {
        *q = m->h[rnd() % m->n];
        flip(q, (int)(rnd() % (uint64_t)(maxflip + 1)));
    } else {
        rand_hash(q);
    }
}

/* Runs the checks on every CPU path this machine supports. */
static void each_cpu(ad_index *ix, const model *m, int nq, int r, int maxflip)
{
    for (int c = AD_INDEX_CPU_SCALAR; c <= (int)ad_index_cpu_best(); c++) {
        assert_int_equal(ad_index_set_cpu(ix, (ad_index_cpu)c, NULL), AD_OK);
        uint64_t saved = rng_state;
        ad_h256 *q = malloc((size_t)nq * sizeof *q);
        assert_non_null(q);
        for (int i = 0; i < nq; i++) {
            pick_query(m, &q[i], maxflip);
            check_query(ix, m, &q[i], 1, r);
        }
        /* the batch search (its own kernel: blocks of queries table by table) agrees */
        check_batch(ix, m, q, (size_t)nq, 1, r, 1);
        if (c == (int)ad_index_cpu_best())
            check_batch(ix, m, q, (size_t)nq, 1, r, 2);
        free(q);
        rng_state = saved + 1;
    }
    ad_index_set_cpu(ix, AD_INDEX_CPU_AUTO, NULL);
}

/* n hashes: clusters of near-duplicates (up to `csize` variants within 30 bits of a base). */
static ad_h256 *clustered(size_t n, size_t csize)
{
    ad_h256 *h = malloc(n * sizeof *h);
    assert_non_null(h);
    size_t i = 0;
    while (i < n) {
        ad_h256 base;
        rand_hash(&base);
        size_t k = 1 + (size_t)(rnd() % csize);
        for (size_t j = 0; j < k && i < n; j++, i++) {
            h[i] = base;
            flip(&h[i], (int)(rnd() % 31));
        }
    }
    return h;
}

static ad_h256 *uniform(size_t n, size_t unused)
{
    (void)unused;
    ad_h256 *h = malloc(n * sizeof *h);
    assert_non_null(h);
    for (size_t i = 0; i < n; i++)
        rand_hash(&h[i]);
    return h;
}

/* ---- tests ---- */

/* An index, its (empty) model and hashes to add to it. */
typedef struct fixture {
    ad_index *ix;
    model m;
    ad_h256 *h;
} fixture;

static void fx_open(fixture *f, uint64_t seed, ad_h256 *(*gen)(size_t, size_t), size_t total,
                    size_t csize)
{
    rng_state = seed;
    memset(f, 0, sizeof *f);
    assert_int_equal(ad_index_new(&f->ix, NULL), AD_OK);
    f->h = gen(total, csize);
}

/* Declares f and its parts ix, m, h in a test. */
#define FIXTURE(seed, gen, total, csize)                                                           \
    fixture f;                                                                                     \
    fx_open(&f, seed, gen, total, csize);                                                          \
    ad_index *ix = f.ix;                                                                           \
    model *m = &f.m;                                                                               \
    ad_h256 *h = f.h

static void fx_close(fixture *f)
{
    free(f->h);
    model_free(&f->m);
    ad_index_free(f->ix);
}

static void test_uniform(void **state)
{
    (void)state;
    FIXTURE(11, uniform, 200000, 0);
    /* a quarter of them near others, so that radius 31 has matches */
    for (size_t i = 150000; i < 200000; i++) {
        h[i] = h[rnd() % 150000];
        flip(&h[i], (int)(rnd() % 40));
    }
    model_add(m, ix, h, 200000);
    assert_int_equal(ad_index_size(ix), 200000);
    each_cpu(ix, m, 60, 31, 40);
    fx_close(&f);
}

static void test_clustered(void **state)
{
    (void)state;
    FIXTURE(12, clustered, 120000, 3000);
    model_add(m, ix, h, 120000);
    each_cpu(ix, m, 40, 31, 31);
    each_cpu(ix, m, 10, 20, 31);
    fx_close(&f);
}

static void test_identical_and_degenerate(void **state)
{
    (void)state;
    FIXTURE(13, uniform, 60000, 0);
    size_t n = 60000;
    ad_h256 same;
    rand_hash(&same);
    for (size_t i = 0; i < n; i++) {
        uint64_t kind = rnd() % 10;
        if (kind < 3)
            h[i] = same; /* 30% identical */
        else if (kind == 3)
            memset(h[i].b, 0, 32); /* all zeros */
        else if (kind == 4)
            memset(h[i].b, 0xff, 32); /* all ones */
        else if (kind == 5) {         /* low entropy: few bits set */
            memset(h[i].b, 0, 32);
            flip(&h[i], (int)(rnd() % 12));
        } else if (kind == 6) { /* low entropy: one repeated byte */
            memset(h[i].b, (int)(rnd() & 0xff), 32);
        }
    }
    model_add(m, ix, h, n);
    const ad_h256 *qs[3] = {&same, &h[0], &h[1]};
    ad_h256 zero, ones;
    memset(zero.b, 0, 32);
    memset(ones.b, 0xff, 32);
    for (int c = AD_INDEX_CPU_SCALAR; c <= (int)ad_index_cpu_best(); c++) {
        assert_int_equal(ad_index_set_cpu(ix, (ad_index_cpu)c, NULL), AD_OK);
        for (int r = 0; r <= 64; r += 16) {
            check_query(ix, m, &zero, 1, r);
            check_query(ix, m, &ones, 1, r);
            for (int k = 0; k < 3; k++)
                check_query(ix, m, qs[k], 1, r);
            const ad_h256 batch[5] = {zero, ones, *qs[0], *qs[1], *qs[2]};
            check_batch(ix, m, batch, 5, 1, r, 1);
        }
    }
    each_cpu(ix, m, 20, 31, 31);
    fx_close(&f);
}

static void test_all_radii(void **state)
{
    (void)state;
    FIXTURE(14, clustered, 40000, 200);
    model_add(m, ix, h, 40000);
    for (int c = AD_INDEX_CPU_SCALAR; c <= (int)ad_index_cpu_best(); c++) {
        assert_int_equal(ad_index_set_cpu(ix, (ad_index_cpu)c, NULL), AD_OK);
        for (int r = 0; r <= 64; r++)
            for (int i = 0; i < 3; i++) {
                ad_h256 q;
                pick_query(m, &q, r + 8);
                check_query(ix, m, &q, 1, r);
            }
    }
    ad_index_hits got = {0};
    ad_err err;
    assert_int_equal(ad_index_search(ix, &h[0], 65, &got, &err), AD_ERR_ARG);
    assert_int_equal(ad_index_search(ix, &h[0], -1, &got, &err), AD_ERR_ARG);
    ad_index_hits_free(&got);
    fx_close(&f);
}

static void remove_some(ad_index *ix, model *m, size_t k)
{
    uint64_t *ids = malloc(k * sizeof *ids);
    size_t want = 0;
    for (size_t i = 0; i < k; i++) {
        size_t e = (size_t)(rnd() % m->n);
        ids[i] = m->id[e];
        if (m->alive[e]) {
            m->alive[e] = 0;
            want++;
        }
    }
    /* duplicates in ids count once; entries already removed not at all */
    size_t got = ad_index_remove(ix, ids, k);
    assert_int_equal(got, want);
    free(ids);
}

static size_t model_live(const model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->alive[i];
    return n;
}

static void test_dynamic(void **state)
{
    (void)state;
    FIXTURE(15, clustered, 120000, 500);
    model_add(m, ix, h, 70000); /* one segment, large enough for the id map */
    size_t at = 70000;
    /* small batches and single inserts go through the buffer and the segment merges */
    for (int step = 0; step < 40; step++) {
        size_t k = step % 3 == 0 ? 1 : (size_t)(rnd() % 2500);
        if (at + k > 120000)
            k = 120000 - at;
        model_add(m, ix, h + at, k);
        at += k;
        remove_some(ix, m, (size_t)(rnd() % 300));
        assert_int_equal(ad_index_size(ix), model_live(m));
        for (int i = 0; i < 3; i++) {
            ad_h256 q;
            pick_query(m, &q, 31);
            check_query(ix, m, &q, 1, 31);
        }
    }
    /* many small removals: the first scan the ids, then the id map serves them */
    for (int i = 0; i < 12; i++) {
        remove_some(ix, m, 1 + (size_t)(rnd() % 3));
        assert_int_equal(ad_index_size(ix), model_live(m));
    }
    each_cpu(ix, m, 5, 31, 31);
    /* removing most of the index rebuilds mostly-dead segments */
    remove_some(ix, m, m->n);
    assert_int_equal(ad_index_size(ix), model_live(m));
    each_cpu(ix, m, 10, 31, 31);
    ad_err err;
    assert_int_equal(ad_index_compact(ix, &err), AD_OK);
    assert_int_equal(ad_index_size(ix), model_live(m));
    each_cpu(ix, m, 10, 31, 31);
    uint64_t nobody = 3;
    assert_int_equal(ad_index_remove(ix, &nobody, 1), 0);
    assert_true(ad_index_memory(ix) > 0);
    fx_close(&f);
}

static int cmp_near(const void *a, const void *b)
{
    const ad_index_hit *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void test_knn(void **state)
{
    (void)state;
    FIXTURE(16, clustered, 30000, 100);
    model_add(m, ix, h, 30000);
    remove_some(ix, m, 2000); /* removed entries are never among the nearest */
    ad_index_hit *truth = truth_buf(m);
    for (int i = 0; i < 12; i++) {
        ad_h256 q;
        pick_query(m, &q, 40);
        size_t k = i == 0 ? 30000 + 5 : (size_t)(1 + rnd() % 50);
        if (i == 1)
            k = 5000;
        size_t nt = brute(m, &q, 1, 256, truth);
        qsort(truth, nt, sizeof *truth, cmp_near);
        ad_index_hits got = {0};
        assert_int_equal(ad_index_knn(ix, &q, k, &got, NULL), AD_OK);
        size_t want = k < nt ? k : nt;
        assert_int_equal(got.n, want);
        for (size_t j = 0; j < want; j++) {
            assert_int_equal(got.v[j].id, truth[j].id);
            assert_int_equal(got.v[j].dist, truth[j].dist);
        }
        ad_index_hits_free(&got);
    }
    free(truth);
    fx_close(&f);
}

static void test_dihedral_and_batch(void **state)
{
    (void)state;
    FIXTURE(17, clustered, 50000, 300);
    model_add(m, ix, h, 50000);
    enum { NQ = 40 };
    ad_h256 q[NQ * 8];
    for (int i = 0; i < NQ * 8; i++)
        pick_query(m, &q[i], 31);
    for (int i = 0; i < 4; i++)
        q[8 * i + 5] = q[8 * i + 2]; /* ties: the lower variant is reported */
    for (int c = AD_INDEX_CPU_SCALAR; c <= (int)ad_index_cpu_best(); c++) {
        assert_int_equal(ad_index_set_cpu(ix, (ad_index_cpu)c, NULL), AD_OK);
        for (int i = 0; i < NQ; i++)
            check_query(ix, m, &q[8 * i], 8, 31);
    }
    /* batches give what brute force gives, dihedral or not, on every path, 1 and 2 threads */
    for (int c = AD_INDEX_CPU_SCALAR; c <= (int)ad_index_cpu_best(); c++) {
        assert_int_equal(ad_index_set_cpu(ix, (ad_index_cpu)c, NULL), AD_OK);
        for (int threads = 1; threads <= 2; threads++) {
            check_batch(ix, m, q, NQ, 8, 31, threads);
            check_batch(ix, m, q, NQ * 8, 1, 31, threads);
            check_batch(ix, m, q, NQ * 8, 1, 12, threads);
        }
    }
    ad_index_hits out[1] = {{0}};
    assert_int_equal(ad_index_search_batch(ix, q, 1, 0, 99, 1, out, NULL), AD_ERR_ARG);
    fx_close(&f);
}

static void test_snapshot(void **state)
{
    (void)state;
    FIXTURE(18, clustered, 80000, 300);
    model_add(m, ix, h, 70000);
    model_add(m, ix, h + 70000, 9000); /* a second segment */
    model_add(m, ix, h + 79000, 1000); /* and entries in the buffer */
    remove_some(ix, m, 2000);
    const char *dir = td_tmpdir("test_index");
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/ix.snap", dir);
    ad_err err;
    assert_int_equal(ad_index_save(ix, path, &err), AD_OK);
    ad_index_free(ix);

    assert_int_equal(ad_index_load(&ix, path, &err), AD_OK);
    assert_int_equal(ad_index_size(ix), model_live(m));
    each_cpu(ix, m, 15, 31, 31);
    /* a loaded index stays mutable */
    remove_some(ix, m, 500);
    ad_h256 more[100];
    for (int i = 0; i < 100; i++) {
        more[i] = h[rnd() % 80000];
        flip(&more[i], 3);
    }
    model_add(m, ix, more, 100);
    each_cpu(ix, m, 15, 31, 31);
    ad_index_free(ix);

    /* damaged copies */
    size_t len;
    uint8_t *data = td_read_file(path, &len);
    assert_non_null(data);
    snprintf(bad, sizeof bad, "%s/bad.snap", dir);
    data[len / 2] ^= 0x40; /* one flipped bit in the body */
    assert_int_equal(td_write_file(bad, data, len), 0);
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_CHECKSUM);
    assert_null(ix);
    data[len / 2] ^= 0x40;
    assert_int_equal(td_write_file(bad, data, len - 100), 0); /* truncated */
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_CHECKSUM);
    data[8] = 99; /* another version */
    assert_int_equal(td_write_file(bad, data, len), 0);
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_VERSION);
    assert_int_equal(td_write_file(bad, "hello, not an index\n", 20), 0);
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_VERSION);
    assert_int_equal(td_write_file(bad, "", 0), 0);
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_VERSION);
    snprintf(bad, sizeof bad, "%s/missing.snap", dir);
    assert_int_equal(ad_index_load(&ix, bad, &err), AD_ERR_NOT_FOUND);
    free(data);

    /* an empty index round-trips too */
    assert_int_equal(ad_index_new(&ix, NULL), AD_OK);
    assert_int_equal(ad_index_save(ix, path, &err), AD_OK);
    ad_index_free(ix);
    assert_int_equal(ad_index_load(&ix, path, &err), AD_OK);
    assert_int_equal(ad_index_size(ix), 0);
    ad_index_hits got = {0};
    assert_int_equal(ad_index_search(ix, &h[0], 31, &got, &err), AD_OK);
    assert_int_equal(got.n, 0);
    ad_index_hits_free(&got);
    f.ix = ix;
    fx_close(&f);
}

static void test_cpu_paths(void **state)
{
    (void)state;
    ad_index *ix;
    assert_int_equal(ad_index_new(&ix, NULL), AD_OK);
    ad_index_cpu best = ad_index_cpu_best(), c;
    assert_int_equal(ad_index_get_cpu(ix) <= best, 1);
    assert_int_equal(ad_index_set_cpu(ix, AD_INDEX_CPU_SCALAR, NULL), AD_OK);
    assert_int_equal(ad_index_get_cpu(ix), AD_INDEX_CPU_SCALAR);
    if (best < AD_INDEX_CPU_AVX512)
        assert_int_equal(ad_index_set_cpu(ix, AD_INDEX_CPU_AVX512, NULL), AD_ERR_UNSUPPORTED);
    assert_int_equal(ad_index_cpu_parse("avx2", &c, NULL), AD_OK);
    assert_int_equal(c, AD_INDEX_CPU_AVX2);
    assert_int_equal(ad_index_cpu_parse("sse9", &c, NULL), AD_ERR_ARG);
    assert_string_equal(ad_index_cpu_name(AD_INDEX_CPU_AVX512), "avx512");
    ad_index_free(ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_paths), cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_clustered), cmocka_unit_test(test_identical_and_degenerate),
        cmocka_unit_test(test_all_radii), cmocka_unit_test(test_dynamic),
        cmocka_unit_test(test_knn),       cmocka_unit_test(test_dihedral_and_batch),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
