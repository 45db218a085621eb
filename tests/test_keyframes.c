/* test_keyframes.c: videos' keyframes (src/features/keyframes.c, kfstore.c; docs/features.md
 * "Videos"): which frames are picked (distinct, textured, bounded, spread), a restart voiding
 * them, their keys in the features index, the store round trip, the search of a picture and of
 * a video by them, and the rule that makes a video a copy. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/store.h"
#include "features/keyframes.h"
#include "testutil.h"

#define W 320
#define H 240

/* An RGB frame: rectangles and discs of random greys on a noisy ground (texture for ORB);
 * seed 0: flat grey. */
static uint8_t *frame(uint64_t seed)
{
    uint8_t *g = malloc(W * H * 3);
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
#define R() (s ^= s << 13, s ^= s >> 7, s ^= s << 17, s)
    for (int i = 0; i < W * H; i++)
        g[3 * i] = g[3 * i + 1] = g[3 * i + 2] = seed ? (uint8_t)(100 + R() % 24) : 128;
    for (int k = 0; seed && k < 80; k++) {
        int x0 = (int)(R() % W), y0 = (int)(R() % H), w = 6 + (int)(R() % 40),
            h = 6 + (int)(R() % 40), v = (int)(R() % 256), disc = (int)(R() % 2);
        for (int y = y0; y < y0 + h && y < H; y++)
            for (int x = x0; x < x0 + w && x < W; x++) {
                double dx = (x - x0 - w / 2.0) / (w / 2.0), dy = (y - y0 - h / 2.0) / (h / 2.0);
                if (!disc || dx * dx + dy * dy <= 1)
                    g[3 * (y * W + x)] = g[3 * (y * W + x) + 1] = g[3 * (y * W + x) + 2] =
                        (uint8_t)v;
            }
    }
#undef R
    return g;
}

static void feed(ad_keyframes *kf, int64_t index, uint64_t seed)
{
    uint8_t *f = frame(seed);
    ad_keyframes_on_frame(kf, index, index / 10.0, 0, f, W * 3, W, H);
    free(f);
}

static int calls;
static void counting(void *ctx, int64_t index, double ts, double dur, const uint8_t *rgb,
                     size_t stride, int w, int h)
{
    (void)ctx, (void)index, (void)ts, (void)dur, (void)rgb, (void)stride, (void)w, (void)h;
    calls++;
}

static void test_pick(void **state)
{
    (void)state;
    ad_keyframes kf = {0};
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    o.on_frame = counting; /* a callback set before (ingest's thumbnail picker) still runs */
    ad_keyframes_hook(&kf, &o);
    calls = 0;
    feed(&kf, 0, 0); /* flat: no keyframe */
    assert_int_equal(kf.n, 0);
    feed(&kf, 10, 1);
    feed(&kf, 20, 1); /* the same picture again: not distinct */
    assert_int_equal(kf.n, 1);
    assert_int_equal(calls, 3);
    assert_int_equal(kf.k[0].frame, 10);
    ad_keyframes_on_frame(&kf, -1, 0, 0, NULL, 0, 0, 0); /* decoding starts over */
    assert_int_equal(kf.n, 0);
    /* 70 distinct frames: candidates held stay bounded, spread over the whole video */
    for (int i = 0; i < 70; i++) {
        feed(&kf, 10 * i, 100 + (uint64_t)i);
        assert_true(kf.n < AD_KF_CAND);
    }
    int64_t last = kf.k[kf.n - 1].frame;
    assert_true(last >= 10 * 50);
    ad_keyframes_finish(&kf);
    assert_int_equal(kf.n, AD_KF_MAX);
    assert_int_equal(kf.k[0].frame, 0); /* the first is always kept */
    for (size_t i = 1; i < kf.n; i++)
        assert_true(kf.k[i].frame > kf.k[i - 1].frame); /* in time order */
    for (size_t i = 0; i < kf.n; i++)
        assert_true(kf.k[i].f.n >= 40 && kf.k[i].f.n <= AD_FEAT_DETECT);
    ad_keyframes_free(&kf);
}

static void test_keys(void **state)
{
    (void)state;
    for (int64_t m = 1; m < 100000; m = m * 3 + 1)
        for (int k = 0; k < AD_KF_MAX; k++) {
            int64_t key = ad_kf_key(m, k);
            assert_true(key < 0);
            assert_int_equal(ad_kf_media(key), m);
            assert_int_equal(ad_kf_slot(key), k);
        }
    assert_int_equal(ad_kf_media(42), 42); /* a picture's key is its media id */
    assert_int_equal(ad_kf_slot(42), -1);
}

static void test_rule(void **state)
{
    (void)state;
    ad_kf_found f = {.of = 5, .copies = 2, .hits = 2};
    f.best.m.inliers = 12;
    assert_int_equal(ad_kf_kind(&f), AD_FEAT_COPY);
    f.copies = 1;
    assert_int_equal(ad_kf_kind(&f), AD_FEAT_SCENE); /* one weak keyframe copy: a link only */
    f.best.m.inliers = 30;
    assert_int_equal(ad_kf_kind(&f), AD_FEAT_COPY); /* ... unless its evidence is strong */
    f.best.m.inliers = 12;
    f.of = 1;
    assert_int_equal(ad_kf_kind(&f), AD_FEAT_COPY); /* its only keyframe */
    f.copies = 0;
    assert_int_equal(ad_kf_kind(&f), AD_FEAT_SCENE);
}

static int64_t media(ad_store *st, int b)
{
    ad_media m;
    ad_media_init(&m);
    m.has_sha256 = 1;
    memset(m.sha256, b, 32);
    int64_t id;
    assert_int_equal(ad_store_media_upsert(st, &m, &id, NULL, NULL), AD_OK);
    return id;
}

static void test_store_search(void **state)
{
    (void)state;
    td_db d;
    assert_int_equal(td_db_create(&d, 0, "keyframes"), 0);
    ad_store *st;
    assert_int_equal(ad_store_open(&st, d.url, AD_STORE_CREATE, NULL), AD_OK);
    int64_t other = media(st, 1), video = media(st, 2);
    (void)other;
    ad_keyframes kf = {0};
    for (int i = 0; i < 3; i++)
        feed(&kf, 30 * i, 500 + (uint64_t)i);
    ad_keyframes_finish(&kf);
    assert_int_equal(kf.n, 3);
    assert_false(ad_kf_store_has(st, video));
    assert_int_equal(ad_kf_store_put(st, video, &kf, NULL), AD_OK);
    assert_int_equal(ad_kf_store_put(st, video, &kf, NULL), AD_OK); /* kept, not doubled */
    assert_true(ad_kf_store_has(st, video));
    ad_features f;
    assert_int_equal(ad_feat_store_get(st, ad_kf_key(video, 1), &f, NULL), AD_OK);
    assert_int_equal(f.n, AD_FEAT_STORED);
    ad_features_free(&f);
    assert_int_equal(ad_feat_store_get(st, ad_kf_key(video, 5), &f, NULL), AD_ERR_NOT_FOUND);
    int64_t fr, ms;
    assert_int_equal(ad_kf_store_frame(st, ad_kf_key(video, 2), &fr, &ms, NULL), AD_OK);
    assert_int_equal(fr, 60);
    assert_int_equal(ms, 6000);
    ad_keyframes back;
    assert_int_equal(ad_kf_store_read(st, video, &back, NULL), AD_OK);
    assert_int_equal(back.n, 3);
    ad_keyframes_free(&back);
    assert_int_equal(ad_kf_store_read(st, other, &back, NULL), AD_ERR_NOT_FOUND);

    /* the index holds the keyframes under their keys */
    ad_feat_index *ix;
    size_t loaded = 0, damaged = 0;
    assert_int_equal(ad_feat_index_new(&ix, NULL), AD_OK);
    assert_int_equal(ad_feat_store_load(st, ix, &loaded, &damaged, NULL), AD_OK);
    assert_int_equal(loaded, 3);
    assert_int_equal(ad_feat_index_id(ix, 0), ad_kf_key(video, 0));
    /* a picture that is a keyframe's frame finds the video, once, with that keyframe */
    ad_feat_found out[4];
    size_t n = 0;
    assert_int_equal(ad_feat_similar(st, ix, &kf.k[1].f, 0, 0, out, 4, &n, NULL), AD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].media_id, video);
    assert_int_equal(out[0].keyframe, 1);
    assert_int_equal(out[0].m.kind, AD_FEAT_COPY);
    /* the video itself by its keyframes: a copy, all three found it; left out as itself */
    ad_kf_found vf[4];
    assert_int_equal(ad_kf_similar(st, ix, &kf, 0, 0, vf, 4, &n, NULL), AD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vf[0].best.media_id, video);
    assert_int_equal(vf[0].copies, 3);
    assert_int_equal(ad_kf_kind(&vf[0]), AD_FEAT_COPY);
    assert_int_equal(ad_kf_similar(st, ix, &kf, video, 0, vf, 4, &n, NULL), AD_OK);
    assert_int_equal(n, 0);
    /* an unrelated picture finds nothing */
    ad_keyframes un = {0};
    feed(&un, 0, 9999);
    assert_int_equal(ad_kf_similar(st, ix, &un, 0, 0, vf, 4, &n, NULL), AD_OK);
    assert_int_equal(n, 0);
    ad_keyframes_free(&un);
    ad_feat_index_free(ix);
    ad_keyframes_free(&kf);
    ad_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_store_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
