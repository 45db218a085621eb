/* test_vpdq.c: vPDQ hashing against the reference vectors (tests/vectors/vpdq), the text format,
 * hashing from memory and from a read callback, and matching against the reference's pair table. */
#include <libavcodec/avcodec.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/vpdq.h"
#include "media/video_internal.h"
#include "testutil.h"

#define VEC "vectors/vpdq/"

/* Debian 12's libavcodec: the one the expected/ffmpeg-5.1.9-* files were made with. */
#define SAME_FFMPEG (LIBAVCODEC_VERSION_INT == AV_VERSION_INT(59, 37, 100))

struct vcase {
    const char *video;
    int resize;
    double seconds_per_hash;
    const char *expected; /* made with the reference on FFmpeg 5.1.9 */
    const char *sample;   /* upstream sample-hashes (2022), or NULL */
};

/* Full-size every-frame hashing is slow under the sanitizers, so the larger videos are hashed at
 * one frame per second and compared with the every-frame files' lines for those frames. */
static const struct vcase cases[] = {
    {"test-padded-dimensions", 0, 1, "expected/ffmpeg-5.1.9-r1/test-padded-dimensions.txt", NULL},
    {"test-padded-dimensions", 0, 0.5, "expected/ffmpeg-5.1.9-r0/test-padded-dimensions.txt",
     "sample-hashes/test-padded-dimensions.txt"},
    {"test-padded-dimensions", 128, 0,
     "expected/ffmpeg-5.1.9-r0/test-padded-dimensions-128x128.txt", NULL},
    {"doorknob-hd-no-bar", 0, 0, "expected/ffmpeg-5.1.9-r0/doorknob-hd-no-bar.txt",
     "sample-hashes/doorknob-hd-no-bar.txt"},
    {"doorknob-hd-no-bar", 128, 0, "expected/ffmpeg-5.1.9-r0/doorknob-hd-no-bar-128x128.txt",
     "sample-hashes/doorknob-hd-no-bar-128x128.txt"},
    {"pattern-sd-grey-bar", 128, 0, "expected/ffmpeg-5.1.9-r0/pattern-sd-grey-bar-128x128.txt",
     "sample-hashes/pattern-sd-grey-bar-128x128.txt"},
    {"pattern-sd-grey-bar", 0, 0.2, "expected/ffmpeg-5.1.9-r0/pattern-sd-grey-bar.txt",
     "sample-hashes/pattern-sd-grey-bar.txt"},
};

/* Keeps the frames a sampled run hashes (frame_number % mod == 0). */
static void keep_sampled(ad_vpdq_video *ref, int mod)
{
    size_t k = 0;
    for (size_t i = 0; i < ref->n; i++)
        if (ref->frames[i].frame_number % mod == 0)
            ref->frames[k++] = ref->frames[i];
    ref->n = k;
}

static void load_text(const char *rel, ad_vpdq_video *v)
{
    char path[256];
    snprintf(path, sizeof path, VEC "%s", rel);
    ad_err e;
    ad_code rc = ad_vpdq_read_file(td_path(path), v, &e);
    if (rc != AD_OK)
        fail_msg("%s: %s", rel, e.msg);
}

static const char *video_path(const char *name)
{
    static char rel[256];
    snprintf(rel, sizeof rel, VEC "videos/%s.mp4", name);
    return td_path(rel);
}

/* Frame numbers, qualities and printed timestamps equal; returns the number of equal hashes and
 * checks the upstream regression rule (distance < 31 where both qualities are >= 50). */
static size_t compare_lists(const ad_vpdq_video *ours, const ad_vpdq_video *ref, int same_quality,
                            const char *what)
{
    assert_int_equal(ours->n, ref->n);
    size_t exact = 0;
    for (size_t i = 0; i < ref->n; i++) {
        const ad_vpdq_frame *a = &ours->frames[i], *b = &ref->frames[i];
        char ta[32], tb[32];
        snprintf(ta, sizeof ta, "%.3f", a->timestamp);
        snprintf(tb, sizeof tb, "%.3f", b->timestamp);
        assert_int_equal(a->frame_number, b->frame_number);
        assert_string_equal(ta, tb);
        if (same_quality)
            assert_int_equal(a->quality, b->quality);
        int d = ad_h256_distance(&a->hash, &b->hash);
        if (a->quality >= 50 && b->quality >= 50 && d >= 31)
            fail_msg("%s: frame %lld distance %d", what, (long long)a->frame_number, d);
        exact += d == 0;
    }
    return exact;
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const struct vcase *k = &cases[c];
        ad_vpdq_opts o;
        ad_vpdq_opts_default(&o);
        o.resize = k->resize;
        o.seconds_per_hash = k->seconds_per_hash;
        ad_vpdq_video v, ref;
        ad_err e;
        ad_code rc = ad_vpdq_hash_file(video_path(k->video), &o, &v, &e);
        if (rc != AD_OK)
            fail_msg("%s: %s", k->video, e.msg);
        assert_false(v.partial);
        load_text(k->expected, &ref);
        keep_sampled(&ref, v.frame_mod);
        size_t exact = compare_lists(&v, &ref, 1, k->expected);
        if (SAME_FFMPEG)
            assert_int_equal(exact, ref.n); /* bit for bit with the reference */
        ad_vpdq_video_free(&ref);
        if (k->sample) {
            load_text(k->sample, &ref);
            keep_sampled(&ref, v.frame_mod);
            compare_lists(&v, &ref, 0, k->sample);
            ad_vpdq_video_free(&ref);
        }
        ad_vpdq_video_free(&v);
    }
}

static void test_info(void **state)
{
    (void)state;
    ad_vpdq_video v;
    ad_err e;
    assert_int_equal(ad_vpdq_hash_file(video_path("doorknob-hd-no-bar"), NULL, &v, &e), AD_OK);
    assert_int_equal(v.width, 1280);
    assert_int_equal(v.height, 720);
    assert_int_equal(v.frame_count, 120);
    assert_int_equal(v.frame_mod, 30);
    assert_true(fabs(v.frame_rate - 30.0) < 0.01);
    assert_true(v.duration > 4.0 && v.duration < 4.5); /* 4.331 s in the container */
    assert_int_equal(v.n, 4);
    assert_string_equal(v.codec, "h264");
    assert_true(v.fast_path); /* H.264 with B-frames in MP4, sampled */
    ad_vpdq_video_free(&v);
}

static void test_text_roundtrip(void **state)
{
    (void)state;
    const char *rel = VEC "expected/ffmpeg-5.1.9-r0/doorknob-hd-no-bar.txt";
    size_t len;
    uint8_t *orig = td_read_file(td_path(rel), &len);
    assert_non_null(orig);
    ad_vpdq_video v;
    assert_int_equal(ad_vpdq_parse((const char *)orig, len, &v, NULL), AD_OK);
    assert_int_equal(v.n, 120);
    char *buf = NULL;
    size_t blen = 0;
    FILE *fp = open_memstream(&buf, &blen);
    assert_int_equal(ad_vpdq_write(fp, &v, NULL), AD_OK);
    fclose(fp);
    assert_int_equal(blen, len);
    assert_memory_equal(buf, orig, len);
    free(buf);
    free(orig);
    ad_vpdq_video_free(&v);
}

static void test_text_errors(void **state)
{
    (void)state;
    const char *hex = "e6cf059c4c6696362cc9d6663cd9c263714169d98327399993363d9c3d9cc666";
    char good[200];
    snprintf(good, sizeof good, "# comment\r\n\n0,100,%s,0.000\r\n30,7,%s,1.000", hex, hex);
    ad_vpdq_video v;
    assert_int_equal(ad_vpdq_parse(good, strlen(good), &v, NULL), AD_OK);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.frames[1].frame_number, 30);
    assert_int_equal(v.frames[1].quality, 7);
    ad_vpdq_video_free(&v);
    const char *bad[] = {"0,100,abc,0.000", "0,101,%s,0.000",  "x,100,%s,0.000", "0,100,%s",
                         "0,100,%s,0.0,5",  "-1,100,%s,0.000", "0,100,%s,zz",    "0,,%s,1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[200];
        snprintf(line, sizeof line, bad[i], hex);
        ad_err e;
        assert_int_equal(ad_vpdq_parse(line, strlen(line), &v, &e), AD_ERR_PARSE);
        assert_null(v.frames);
    }
    assert_int_equal(ad_vpdq_parse("", 0, &v, NULL), AD_OK);
    assert_int_equal(v.n, 0);
}

struct mem_reader {
    const uint8_t *data;
    size_t len, pos;
};

static int rd(void *opaque, uint8_t *buf, int size)
{
    struct mem_reader *m = opaque;
    size_t n = m->len - m->pos < (size_t)size ? m->len - m->pos : (size_t)size;
    if (n > 1000) /* short reads, like a pipe */
        n = 1000;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static int64_t sk(void *opaque, int64_t off, int whence)
{
    struct mem_reader *m = opaque;
    if (whence == AD_VIDEO_SEEK_SIZE)
        return (int64_t)m->len;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)m->pos : (int64_t)m->len;
    if (base + off < 0 || base + off > (int64_t)m->len)
        return -1;
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

static void assert_same_frames(const ad_vpdq_video *a, const ad_vpdq_video *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->frames[i].frame_number, b->frames[i].frame_number);
        assert_int_equal(a->frames[i].quality, b->frames[i].quality);
        assert_true(ad_h256_equal(&a->frames[i].hash, &b->frames[i].hash));
    }
}

static void test_memory_and_io(void **state)
{
    (void)state;
    const char *path = video_path("test-padded-dimensions");
    size_t len;
    uint8_t *data = td_read_file(path, &len);
    assert_non_null(data);
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    o.seconds_per_hash = 0.5;
    ad_vpdq_video f, m, io;
    assert_int_equal(ad_vpdq_hash_file(path, &o, &f, NULL), AD_OK);
    assert_int_equal(f.n, 10);
    assert_int_equal(ad_vpdq_hash_memory(data, len, &o, &m, NULL), AD_OK);
    assert_same_frames(&f, &m);
    struct mem_reader r = {data, len, 0};
    ad_video_io cb = {&r, rd, sk};
    assert_int_equal(ad_vpdq_hash_io(&cb, &o, &io, NULL), AD_OK);
    assert_same_frames(&f, &io);
    ad_vpdq_video_free(&f);
    ad_vpdq_video_free(&m);
    ad_vpdq_video_free(&io);
    free(data);
}

/* Converts the current frame to w x h twice, the buffer filled with different bytes before each,
 * and checks every pixel of the two conversions is the same. Returns the pixels (rows of w x 3
 * bytes, malloc). */
static uint8_t *convert_twice(ad_video *v, int w, int h)
{
    const uint8_t *rgb;
    size_t stride;
    assert_int_equal(ad_video_rgb(v, w, h, &rgb, &stride, NULL), AD_OK); /* allocates */
    size_t row = (size_t)w * 3;
    uint8_t *first = malloc(row * (size_t)h);
    assert_non_null(first);
    memset(v->rgb, 0x00, v->rgb_cap);
    assert_int_equal(ad_video_rgb(v, w, h, &rgb, &stride, NULL), AD_OK);
    for (int y = 0; y < h; y++)
        memcpy(first + (size_t)y * row, rgb + (size_t)y * stride, row);
    memset(v->rgb, 0xff, v->rgb_cap);
    assert_int_equal(ad_video_rgb(v, w, h, &rgb, &stride, NULL), AD_OK);
    for (int y = 0; y < h; y++)
        for (size_t x = 0; x < row; x++)
            if (first[(size_t)y * row + x] != rgb[(size_t)y * stride + x])
                fail_msg("%dx%d: row %d, column %zu is not written", w, h, y, x / 3);
    return first;
}

/* Widths that are not a multiple of 8: swscale's vector YUV to RGB code converts 8 pixels at a
 * time and leaves the last width % 8 columns alone when the row stride has no room for the
 * rounded-up width; every pixel must come from the frame, never from the buffer's old bytes. At
 * the coded size the pixels are those of ffmpeg's own conversion (its frames have the room). */
static void test_odd_width_rgb(void **state)
{
    (void)state;
    enum { W = 852, H = 480, N = 3 };
    const char *dir = td_tmpdir("vpdq_odd");
    char path[1200], raw[1200], cmd[4000];
    snprintf(path, sizeof path, "%s/odd.mp4", dir);
    snprintf(raw, sizeof raw, "%s/odd.rgb", dir);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -f lavfi -i testsrc2=size=%dx%d:rate=10 -frames:v %d -pix_fmt yuv420p "
             "-y '%s' && ffmpeg -v error -i '%s' -sws_flags area -pix_fmt rgb24 -f rawvideo -y '%s'",
             W, H, N, path, path, raw);
    assert_int_equal(system(cmd), 0);
    size_t raw_len;
    uint8_t *ref = td_read_file(raw, &raw_len);
    assert_non_null(ref);
    size_t frame_len = (size_t)W * H * 3;
    assert_int_equal(raw_len, frame_len * N);
    ad_video *v;
    assert_int_equal(ad_video_open_file(&v, path, NULL, NULL), AD_OK);
    int frames = 0;
    for (;;) {
        int64_t index;
        int end;
        assert_int_equal(ad_video_next(v, &index, &end, NULL), AD_OK);
        if (end)
            break;
        assert_true(frames < N);
        uint8_t *px = convert_twice(v, W, H); /* the coded size, as vPDQ hashes by default */
        if (SAME_FFMPEG && memcmp(px, ref + frame_len * (size_t)frames, frame_len) != 0)
            fail_msg("frame %d differs from ffmpeg's RGB24", frames);
        free(px);
        free(convert_twice(v, 100, 100)); /* resized to an odd-width square (-s 100) */
        free(convert_twice(v, 427, 240));
        frames++;
    }
    assert_int_equal(frames, N);
    ad_video_close(v);
    free(ref);
}

/* The reference's pair table: every row whose two sample-hash files are here. */
static void test_match_table(void **state)
{
    (void)state;
    size_t len;
    char *csv = (char *)td_read_file(td_path(VEC "expected/match-pairs-sample-hashes.csv"), &len);
    assert_non_null(csv);
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char qf[128], cf[128];
        double cq, cc, pq, pc;
        if (sscanf(line, "%127[^,],%127[^,],%lf,%lf,%lf,%lf", qf, cf, &cq, &cc, &pq, &pc) != 6)
            continue;
        char qp[256], cp[256];
        snprintf(qp, sizeof qp, VEC "sample-hashes/%s", qf);
        snprintf(cp, sizeof cp, VEC "sample-hashes/%s", cf);
        ad_vpdq_video q, c;
        if (ad_vpdq_read_file(td_path(qp), &q, NULL) != AD_OK)
            continue;
        if (ad_vpdq_read_file(td_path(cp), &c, NULL) != AD_OK) {
            ad_vpdq_video_free(&q);
            continue;
        }
        ad_vpdq_match_opts o;
        ad_vpdq_match_opts_default(&o);
        ad_vpdq_match_result r;
        for (int rule = 0; rule < 2; rule++) {
            o.rule = rule ? AD_VPDQ_RULE_CPP : AD_VPDQ_RULE_PYTX;
            assert_int_equal(ad_vpdq_match(&q, &c, &o, &r, NULL), AD_OK);
            double eq = rule ? cq : pq, ec = rule ? cc : pc;
            if (fabs(r.query_pct - eq) > 0.006 || fabs(r.compared_pct - ec) > 0.006)
                fail_msg("%s vs %s rule %d: %.3f/%.3f, expected %.2f/%.2f", qf, cf, rule,
                         r.query_pct, r.compared_pct, eq, ec);
            assert_int_equal(r.match, r.query_pct >= 80.0);
            ad_vpdq_match_result_free(&r);
        }
        ad_vpdq_video_free(&q);
        ad_vpdq_video_free(&c);
        rows++;
    }
    assert_int_equal(rows, 49);
    free(csv);
}

/* Ranges: chair-19 is a part of chair-20 (from 1.6 s to 20.4 s), so all of the query and one
 * range of the compared video match. */
static void test_match_ranges(void **state)
{
    (void)state;
    ad_vpdq_video q, c;
    load_text("sample-hashes/chair-19-sd-bar.txt", &q);
    load_text("sample-hashes/chair-20-sd-bar.txt", &c);
    ad_vpdq_match_result r;
    assert_int_equal(ad_vpdq_match(&q, &c, NULL, &r, NULL), AD_OK);
    assert_true(r.match);
    assert_int_equal(r.n_query_ranges, 1);
    assert_int_equal(r.query_ranges[0].first_frame, 0);
    assert_int_equal(r.query_ranges[0].last_frame, 563);
    assert_int_equal(r.n_compared_ranges, 1);
    assert_int_equal(r.compared_ranges[0].first_frame, 48);
    assert_int_equal(r.compared_ranges[0].last_frame, 613);
    assert_true(fabs(r.compared_ranges[0].start - 1.6) < 1e-6);
    ad_vpdq_match_result_free(&r);
    /* the other way round: 92% of chair-20 is in chair-19 */
    assert_int_equal(ad_vpdq_match(&c, &q, NULL, &r, NULL), AD_OK);
    assert_true(r.query_pct > 90 && r.query_pct < 95);
    ad_vpdq_match_result_free(&r);
    /* an empty side never matches */
    ad_vpdq_video empty = {0};
    assert_int_equal(ad_vpdq_match(&empty, &c, NULL, &r, NULL), AD_OK);
    assert_false(r.match);
    assert_int_equal(r.query_frames, 0);
    ad_vpdq_match_result_free(&r);
    ad_vpdq_video_free(&q);
    ad_vpdq_video_free(&c);
}

/* One frame of a video found from a single PDQ hash (an image). */
static void test_frames_near(void **state)
{
    (void)state;
    ad_vpdq_video v;
    load_text("sample-hashes/chair-19-sd-bar.txt", &v);
    ad_h256 h = v.frames[300].hash;
    size_t *idx = malloc(v.n * sizeof *idx);
    size_t n = ad_vpdq_frames_near(&v, &h, 31, 50, idx, v.n);
    assert_true(n >= 1 && n < v.n);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        found |= idx[i] == 300;
        assert_true(ad_h256_distance(&v.frames[idx[i]].hash, &h) <= 31);
    }
    assert_true(found);
    assert_int_equal(ad_vpdq_frames_near(&v, &h, 31, 50, idx, 1), n); /* counts past max */
    for (int k = 0; k < 32; k++) /* the complement: 256 bits from frame 300, far from all */
        h.b[k] = (uint8_t)~h.b[k];
    assert_int_equal(ad_vpdq_frames_near(&v, &h, 0, 50, idx, v.n), 0);
    free(idx);
    ad_vpdq_video_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),        cmocka_unit_test(test_info),
        cmocka_unit_test(test_text_roundtrip), cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_memory_and_io),  cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_match_ranges),   cmocka_unit_test(test_frames_near),
        cmocka_unit_test(test_odd_width_rgb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
