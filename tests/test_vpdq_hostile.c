/* test_vpdq_hostile.c: hostile and broken video input gives a clear error value, in bounded time,
 * without a word on stderr: random bytes, empty input, a truncated file, damage mid-stream,
 * absurd and tiny frame sizes, thousands of streams, the time and pixel limits. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/vpdq.h"
#include "testutil.h"

static const char *tmp;

static const char *scratch(const char *name)
{
    static char buf[8][4096];
    static int slot;
    char *b = buf[slot++ & 7];
    snprintf(b, 4096, "%s/%s", tmp, name);
    return b;
}

static uint8_t *doorknob(size_t *len)
{
    uint8_t *d = td_read_file(td_path("vectors/vpdq/videos/doorknob-hd-no-bar.mp4"), len);
    assert_non_null(d);
    return d;
}

/* Hashes a file with default options (1 hash/s); returns the code, err filled. */
static ad_code hash(const char *path, const ad_vpdq_opts *o, ad_vpdq_video *v, ad_err *e)
{
    ad_code rc = ad_vpdq_hash_file(path, o, v, e);
    if (rc != AD_OK) {
        assert_true(e->msg[0] != 0);
        assert_int_equal(e->code, rc);
    }
    return rc;
}

static ad_code hash_bytes(const char *name, const void *data, size_t len, ad_err *e)
{
    const char *p = scratch(name);
    assert_int_equal(td_write_file(p, data, len), 0);
    ad_vpdq_video v;
    ad_code rc = hash(p, NULL, &v, e);
    ad_vpdq_video_free(&v);
    return rc;
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint32_t x = 12345;
    for (int round = 0; round < 4; round++) {
        size_t len = 1000u << (round * 3);
        uint8_t *d = malloc(len);
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            d[i] = (uint8_t)(x >> 16);
        }
        ad_err e;
        ad_code rc = hash_bytes("random.mp4", d, len, &e);
        assert_true(rc == AD_ERR_UNSUPPORTED || rc == AD_ERR_CORRUPT);
        free(d);
    }
}

static int fail_read(void *opaque, uint8_t *buf, int size)
{
    (void)opaque, (void)buf, (void)size;
    return -1;
}

static int empty_read(void *opaque, uint8_t *buf, int size)
{
    (void)opaque, (void)buf, (void)size;
    return 0;
}

static void test_empty(void **state)
{
    (void)state;
    ad_err e;
    assert_int_equal(hash_bytes("zero.mp4", "", 0, &e), AD_ERR_EMPTY);
    ad_vpdq_video v;
    assert_int_equal(ad_vpdq_hash_memory("", 0, NULL, &v, &e), AD_ERR_EMPTY);
    ad_video_io io = {NULL, empty_read, NULL};
    assert_int_equal(ad_vpdq_hash_io(&io, NULL, &v, &e), AD_ERR_EMPTY);
    io.read = fail_read;
    assert_int_equal(ad_vpdq_hash_io(&io, NULL, &v, &e), AD_ERR_IO);
    assert_int_equal(ad_vpdq_hash_file(scratch("no-such-file.mp4"), NULL, &v, &e),
                     AD_ERR_NOT_FOUND);
    assert_int_equal(ad_vpdq_hash_file(tmp, NULL, &v, &e), AD_ERR_ARG); /* a folder */
}

static void test_truncated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = doorknob(&len);
    const char *p = scratch("truncated.mp4");
    size_t cuts[] = {200000, len - 5000};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(td_write_file(p, d, cuts[k]), 0);
        ad_vpdq_video v;
        ad_err e;
        assert_int_equal(hash(p, NULL, &v, &e), AD_ERR_TRUNCATED);
        assert_true(v.partial); /* the frames before the cut are kept */
        assert_true(v.n >= 1 && v.n <= 4);
        assert_int_equal(v.frames[0].frame_number, 0);
        ad_vpdq_video_free(&v);
    }
    /* cut inside the header: nothing to decode */
    ad_err e;
    ad_code rc = hash_bytes("header-only.mp4", d, 3000, &e);
    assert_true(rc == AD_ERR_CORRUPT || rc == AD_ERR_TRUNCATED);
    free(d);
}

static void test_damaged_middle(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = doorknob(&len);
    uint32_t x = 7;
    for (size_t i = len / 3; i < len / 3 + 40000; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (uint8_t)(x >> 16);
    }
    const char *p = scratch("damaged.mp4");
    assert_int_equal(td_write_file(p, d, len), 0);
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    ad_vpdq_video v;
    ad_err e;
    ad_code rc = hash(p, &o, &v, &e);
    /* lenient by default: damaged packets are skipped and counted, the rest hashed */
    assert_int_equal(rc, AD_OK);
    assert_true(v.damaged > 0);
    assert_int_equal(v.n, 4);
    ad_vpdq_video_free(&v);
    /* the sampled run left its fast path on the damage and started over: its frames are those
     * of an every-frame run (small frames keep this quick) */
    o.resize = 32;
    ad_vpdq_video all;
    assert_int_equal(hash(p, &o, &v, &e), AD_OK);
    assert_false(v.fast_path); /* it gave up on the damage */
    o.seconds_per_hash = 0;
    assert_int_equal(hash(p, &o, &all, &e), AD_OK);
    assert_int_equal(v.frame_count, all.frame_count);
    assert_int_equal(all.n, (size_t)all.frame_count);
    for (size_t i = 0; i < v.n; i++) {
        assert_int_equal(v.frames[i].frame_number, (int64_t)i * v.frame_mod);
        assert_true(ad_h256_equal(&v.frames[i].hash, &all.frames[i * v.frame_mod].hash));
    }
    ad_vpdq_video_free(&v);
    ad_vpdq_video_free(&all);
    ad_vpdq_opts_default(&o);
    o.limits.strict = 1;
    assert_int_equal(hash(p, &o, &v, &e), AD_ERR_CORRUPT);
    ad_vpdq_video_free(&v);
    free(d);
}

static void y4m(const char *name, int w, int h, size_t payload)
{
    char head[128];
    int n = snprintf(head, sizeof head, "YUV4MPEG2 W%d H%d F30:1 C420jpeg\nFRAME\n", w, h);
    uint8_t *d = calloc(1, (size_t)n + payload);
    memcpy(d, head, (size_t)n);
    assert_int_equal(td_write_file(scratch(name), d, (size_t)n + payload), 0);
    free(d);
}

static void test_frame_sizes(void **state)
{
    (void)state;
    ad_vpdq_video v;
    ad_err e;
    y4m("absurd.y4m", 60000, 60000, 1000); /* beyond what FFmpeg accepts */
    assert_int_equal(hash(scratch("absurd.y4m"), NULL, &v, &e), AD_ERR_LIMIT);
    y4m("big.y4m", 12000, 12000, 1000); /* 144 Mpx: over our default 100 Mpx */
    assert_int_equal(hash(scratch("big.y4m"), NULL, &v, &e), AD_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "12000x12000"));
    y4m("tiny.y4m", 4, 4, 24); /* PDQ needs 5x5 */
    assert_int_equal(hash(scratch("tiny.y4m"), NULL, &v, &e), AD_ERR_UNSUPPORTED);
    /* ... unless scaled up, as the reference's -s N does */
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    o.resize = 16;
    assert_int_equal(hash(scratch("tiny.y4m"), &o, &v, &e), AD_OK);
    assert_int_equal(v.n, 1);
    ad_vpdq_video_free(&v);
    /* a pixel limit below the stream's size */
    ad_vpdq_opts_default(&o);
    o.limits.max_pixels = 10000;
    assert_int_equal(hash(td_path("vectors/vpdq/videos/doorknob-hd-no-bar.mp4"), &o, &v, &e),
                     AD_ERR_LIMIT);
}

/* Matroska, by hand: EBML elements with 8-byte sizes. */
static size_t ebml(uint8_t *out, uint32_t id, const void *data, size_t len)
{
    size_t n = 0;
    for (int s = 24; s >= 0; s -= 8)
        if ((id >> s) || s == 0)
            if (n || (id >> s))
                out[n++] = (uint8_t)(id >> s);
    out[n++] = 0x01;
    for (int s = 48; s >= 0; s -= 8)
        out[n++] = (uint8_t)((uint64_t)len >> s);
    memcpy(out + n, data, len);
    return n + len;
}

static size_t ebml_uint(uint8_t *out, uint32_t id, uint8_t v)
{
    return ebml(out, id, &v, 1);
}

static void test_many_streams(void **state)
{
    (void)state;
    enum { TRACKS = 3000 };
    uint8_t *tracks = malloc(TRACKS * 96), *seg = malloc(TRACKS * 96 + 256);
    uint8_t *file = malloc(TRACKS * 96 + 512);
    size_t nt = 0;
    for (int i = 0; i < TRACKS; i++) {
        uint8_t entry[96], video[32];
        size_t ne = 0, nv = 0;
        uint8_t num[2] = {(uint8_t)((i + 1) >> 8), (uint8_t)(i + 1)};
        ne += ebml(entry + ne, 0xD7, num, 2);   /* TrackNumber */
        ne += ebml(entry + ne, 0x73C5, num, 2); /* TrackUID */
        ne += ebml_uint(entry + ne, 0x83, 1);   /* TrackType: video */
        ne += ebml(entry + ne, 0x86, "V_MPEG4/ISO/AVC", 15);
        nv += ebml_uint(video + nv, 0xB0, 16); /* PixelWidth */
        nv += ebml_uint(video + nv, 0xBA, 16); /* PixelHeight */
        ne += ebml(entry + ne, 0xE0, video, nv);
        nt += ebml(tracks + nt, 0xAE, entry, ne);
    }
    uint8_t info[16];
    uint8_t scale[3] = {0x0F, 0x42, 0x40};
    size_t ni = ebml(info, 0x2AD7B1, scale, 3);
    size_t ns = ebml(seg, 0x1549A966, info, ni);
    ns += ebml(seg + ns, 0x1654AE6B, tracks, nt);
    uint8_t cluster[16];
    size_t nc = ebml_uint(cluster, 0xE7, 0); /* Timecode */
    ns += ebml(seg + ns, 0x1F43B675, cluster, nc);
    uint8_t head[64];
    size_t nh = ebml(head, 0x4282, "matroska", 8);
    nh += ebml_uint(head + nh, 0x4287, 2);
    nh += ebml_uint(head + nh, 0x4285, 2);
    size_t nf = ebml(file, 0x1A45DFA3, head, nh);
    nf += ebml(file + nf, 0x18538067, seg, ns);
    ad_err e;
    assert_int_equal(hash_bytes("streams.mkv", file, nf, &e), AD_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "max_streams"));
    free(tracks);
    free(seg);
    free(file);
}

static void test_time_limit(void **state)
{
    (void)state;
    ad_vpdq_opts o;
    ad_vpdq_opts_default(&o);
    o.limits.time_limit = 1e-9;
    ad_vpdq_video v;
    ad_err e;
    assert_int_equal(hash(td_path("vectors/vpdq/videos/doorknob-hd-no-bar.mp4"), &o, &v, &e),
                     AD_ERR_TIMEOUT);
    ad_vpdq_video_free(&v);
}

/* Runs all the above with stderr redirected: the library must print nothing. */
static int quiet_fd = -1, saved_fd = -1;

static int setup(void **state)
{
    (void)state;
    tmp = td_tmpdir("test_vpdq_hostile");
    fflush(stderr);
    saved_fd = dup(2);
    quiet_fd = open(scratch("stderr.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    dup2(quiet_fd, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(quiet_fd);
    struct stat st;
    if (stat(scratch("stderr.txt"), &st) != 0 || st.st_size != 0) {
        fprintf(stderr, "the library wrote to stderr (see %s)\n", scratch("stderr.txt"));
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bytes), cmocka_unit_test(test_empty),
        cmocka_unit_test(test_truncated),    cmocka_unit_test(test_damaged_middle),
        cmocka_unit_test(test_frame_sizes),  cmocka_unit_test(test_many_streams),
        cmocka_unit_test(test_time_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
