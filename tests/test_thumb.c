/* test_thumb.c: thumbnails made at ingest from the bytes that were hashed: the thumbnail itself
 * (size, upright by EXIF orientation, a video frame picked from the middle), the store's table
 * (one per media and agency, read by its agency only; SQLite, and PostgreSQL when AD_TEST_PG is
 * set) and the report, which takes them from the store only: a file replaced on disk after
 * ingest, or a FIFO in its place, changes nothing. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/exif.h"
#include "ariadne/ingest.h"
#include "ariadne/media.h"
#include "ariadne/store.h"
#include "testutil.h"

#define BRIDGE "vectors/pdq/data/bridge-mods/aaa-orig.jpg"
#define STREET "vectors/pdq/data/reg-test-input/labelme-subset/q0291.jpg"
#define ROTATED "vectors/pdq/data/reg-test-input/exif-rotn/exif-rotn-6.jpg"

/* ---- decoding a thumbnail back to pixels ---- */

typedef struct {
    uint8_t *px;
    int w, h, row;
} pixels;

static ad_code px_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    (void)err;
    pixels *p = ctx;
    assert_int_equal(channels, 3);
    p->w = w, p->h = h, p->row = 0;
    p->px = malloc((size_t)w * h * 3);
    return AD_OK;
}

static void px_row(void *ctx, const uint8_t *row)
{
    pixels *p = ctx;
    memcpy(p->px + (size_t)p->row++ * p->w * 3, row, (size_t)p->w * 3);
}

static pixels decode(const uint8_t *jpeg, size_t len)
{
    pixels p = {0};
    ad_decode_opts o = {0};
    ad_limits_default(&o.limits);
    const ad_image_sink sink = {px_begin, px_row};
    ad_image_info info;
    assert_int_equal(ad_image_decode(AD_MEDIA_JPEG, jpeg, len, &o, &sink, &p, &info, NULL), AD_OK);
    return p;
}

/* Mean of channel c over the rectangle [x0, x1) x [y0, y1). */
static double mean(const pixels *p, int c, int x0, int y0, int x1, int y1)
{
    double s = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            s += p->px[((size_t)y * p->w + x) * 3 + c];
    return s / ((double)(x1 - x0) * (y1 - y0));
}

/* ---- the thumbnail ---- */

static void test_image(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = td_read_file(td_path(BRIDGE), &len); /* 1600x1004 */
    ad_thumb t;
    assert_int_equal(ad_thumb_image(AD_MEDIA_JPEG, jpg, len, 0, NULL, &t, NULL), AD_OK);
    assert_int_equal(t.width, AD_THUMB_MAX_SIDE);
    assert_int_equal(t.height, 100);
    assert_true(t.len > 500 && t.len < 20000);
    pixels p = decode(t.jpeg, t.len);
    assert_int_equal(p.w, 160);
    assert_int_equal(p.h, 100);
    free(p.px);
    /* the same bytes make the same thumbnail */
    ad_thumb t2;
    assert_int_equal(ad_thumb_image(AD_MEDIA_JPEG, jpg, len, 0, NULL, &t2, NULL), AD_OK);
    assert_int_equal(t2.len, t.len);
    assert_memory_equal(t2.jpeg, t.jpeg, t.len);
    ad_thumb_free(&t2);
    ad_thumb_free(&t);
    ad_err e;
    assert_int_equal(ad_thumb_image(AD_MEDIA_JPEG, jpg, 500, 0, NULL, &t, &e), AD_ERR_TRUNCATED);
    assert_null(t.jpeg);
    free(jpg);

    /* a phone photo stored sideways (EXIF orientation 6) comes out upright */
    jpg = td_read_file(td_path(ROTATED), &len); /* 4032x3024 */
    ad_exif x;
    assert_int_equal(ad_exif_read(jpg, len, &x, NULL), AD_OK);
    assert_int_equal(x.orientation, 6);
    assert_int_equal(ad_thumb_image(AD_MEDIA_JPEG, jpg, len, x.orientation, NULL, &t, NULL), AD_OK);
    assert_int_equal(t.width, 120);
    assert_int_equal(t.height, 160);
    ad_thumb_free(&t);
    free(jpg);
}

/* A 160x80 picture, red on the left half and blue on the right, as a JPEG. */
static ad_thumb red_blue(void)
{
    uint8_t *rgb = malloc(160 * 80 * 3);
    for (int y = 0; y < 80; y++)
        for (int x = 0; x < 160; x++) {
            uint8_t *q = rgb + ((size_t)y * 160 + x) * 3;
            q[0] = x < 80 ? 220 : 20, q[1] = 20, q[2] = x < 80 ? 20 : 220;
        }
    ad_thumb t;
    assert_int_equal(ad_thumb_rgb(rgb, 160 * 3, 160, 80, &t, NULL), AD_OK);
    free(rgb);
    return t;
}

static void test_orientation(void **state)
{
    (void)state;
    ad_thumb src = red_blue();
    static const struct {
        int orientation, w, h;
        const char *where_red; /* "left", "right", "top", "bottom" */
    } cases[] = {{1, 160, 80, "left"},   {2, 160, 80, "right"}, {3, 160, 80, "right"},
                 {4, 160, 80, "left"},   {5, 80, 160, "top"},   {6, 80, 160, "top"},
                 {7, 80, 160, "bottom"}, {8, 80, 160, "bottom"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ad_thumb t;
        assert_int_equal(
            ad_thumb_image(AD_MEDIA_JPEG, src.jpeg, src.len, cases[i].orientation, NULL, &t, NULL),
            AD_OK);
        assert_int_equal(t.width, cases[i].w);
        assert_int_equal(t.height, cases[i].h);
        pixels p = decode(t.jpeg, t.len);
        const int tall = p.h > p.w;
        double a = tall ? mean(&p, 0, 0, 0, p.w, p.h / 2 - 8) : mean(&p, 0, 0, 0, p.w / 2 - 8, p.h);
        double b =
            tall ? mean(&p, 0, 0, p.h / 2 + 8, p.w, p.h) : mean(&p, 0, p.w / 2 + 8, 0, p.w, p.h);
        const int red_first =
            !strcmp(cases[i].where_red, "left") || !strcmp(cases[i].where_red, "top");
        if (red_first ? !(a > 150 && b < 90) : !(b > 150 && a < 90))
            fail_msg("orientation %d: red %.0f / %.0f, expected on the %s", cases[i].orientation, a,
                     b, cases[i].where_red);
        free(p.px);
        ad_thumb_free(&t);
    }
    ad_thumb_free(&src);
}

/* Frames of one grey level each (frame i: level 20 * i), as vPDQ's on_frame hands them over. */
static void feed(ad_thumb_picker *p, int frames, double duration)
{
    uint8_t *rgb = malloc(64 * 48 * 3);
    for (int i = 0; i < frames; i++) {
        memset(rgb, 20 * i, 64 * 48 * 3);
        ad_thumb_pick_frame(p, i * 30, i, duration, rgb, 64 * 3, 64, 48);
    }
    free(rgb);
}

static int picked_level(const ad_thumb_picker *p)
{
    assert_non_null(p->thumb.jpeg);
    pixels px = decode(p->thumb.jpeg, p->thumb.len);
    int v = (int)(mean(&px, 1, 0, 0, px.w, px.h) + 0.5);
    free(px.px);
    return v;
}

static void test_video_frame(void **state)
{
    (void)state;
    ad_thumb_picker p = {0};
    feed(&p, 10, 10.0); /* frames at 0..9 s of a 10 s video: the one at 5 s */
    assert_int_equal(p.timestamp, 5.0);
    assert_true(abs(picked_level(&p) - 100) <= 2);
    ad_thumb_free(&p.thumb);

    memset(&p, 0, sizeof p);
    feed(&p, 10, 0); /* duration unknown: the 8th frame seen (1, 2, 4, 8) */
    assert_int_equal(p.timestamp, 7.0);
    assert_true(abs(picked_level(&p) - 140) <= 2);
    /* decoding starts over: what was picked is void */
    ad_thumb_pick_frame(&p, -1, 0, 0, NULL, 0, 0, 0);
    assert_null(p.thumb.jpeg);
    feed(&p, 3, 0); /* frames 1 and 2 are picked, not the 3rd */
    assert_int_equal(p.timestamp, 1.0);
    ad_thumb_free(&p.thumb);
}

/* ---- the store (SQLite; PostgreSQL too when AD_TEST_PG is set) ---- */

static int counter;
static char pg_name[64];

/* One statement on the PostgreSQL server's maintenance database. */
static void pg_admin(const char *fmt, const char *name)
{
    char sql[160], admin[512];
    snprintf(sql, sizeof sql, fmt, name);
    snprintf(admin, sizeof admin, "%s/postgres", getenv("AD_TEST_PG"));
    PGconn *c = PQconnectdb(admin);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

static ad_store *open_store(int pg, char *url, size_t n)
{
    if (pg) {
        const char *base = getenv("AD_TEST_PG");
        if (!base || !*base)
            return NULL;
        snprintf(pg_name, sizeof pg_name, "ad_test_thumb_%d_%d", (int)getpid(), ++counter);
        pg_admin("CREATE DATABASE %s", pg_name);
        snprintf(url, n, "%s/%s", base, pg_name);
    } else {
        snprintf(url, n, "sqlite:%s/s%d.db", td_tmpdir("test_thumb_store"), ++counter);
    }
    ad_store *st;
    ad_err e;
    if (ad_store_open(&st, url, AD_STORE_CREATE, &e) != AD_OK)
        fail_msg("open %s: %s", url, e.msg);
    ad_store_set_actor(st, "tester", 0);
    return st;
}

struct got {
    int n;
    ad_media_thumb last; /* its pointers are void after the call: */
    uint8_t first_byte;
    char job[64];
};

static int got_one(void *ctx, const ad_media_thumb *t)
{
    struct got *g = ctx;
    g->n++;
    g->last = *t;
    g->first_byte = t->jpeg[0];
    snprintf(g->job, sizeof g->job, "%s", t->job_id ? t->job_id : "(none)");
    g->last.jpeg = NULL, g->last.job_id = NULL;
    return 0;
}

static void store_case(int pg)
{
    char url[4200];
    ad_store *st = open_store(pg, url, sizeof url);
    if (!st) {
        print_message("AD_TEST_PG not set: PostgreSQL part skipped\n");
        return;
    }
    ad_agency a = {.name = "A", .kind = "police"}, b = {.name = "B", .kind = "police"};
    int64_t ida, idb, m1, m2;
    assert_int_equal(ad_store_agency_add(st, &a, &ida, NULL), AD_OK);
    assert_int_equal(ad_store_agency_add(st, &b, &idb, NULL), AD_OK);
    ad_media m;
    ad_media_init(&m);
    assert_int_equal(ad_media_set_hash_hex(&m, "0123456789abcdef0123456789abcdef", 0, NULL), AD_OK);
    assert_int_equal(ad_store_media_upsert(st, &m, &m1, NULL, NULL), AD_OK);
    ad_media_init(&m);
    assert_int_equal(ad_media_set_hash_hex(&m, "1123456789abcdef0123456789abcdef", 0, NULL), AD_OK);
    assert_int_equal(ad_store_media_upsert(st, &m, &m2, NULL, NULL), AD_OK);
    const uint8_t j1[] = {0xff, 0xd8, 1, 2, 3}, j2[] = {0xee, 0xd8, 9};
    ad_media_thumb t = {.media_id = m1,
                        .agency_id = ida,
                        .jpeg = j1,
                        .len = sizeof j1,
                        .width = 4,
                        .height = 3,
                        .frame_ms = -1,
                        .job_id = "J1"};
    size_t added;
    assert_int_equal(ad_store_thumb_add_batch(st, &t, 1, &added, NULL), AD_OK);
    assert_int_equal(added, 1);
    /* the first one stays: a second for the same media and agency is dropped */
    ad_media_thumb again = t;
    again.jpeg = j2, again.len = sizeof j2, again.frame_ms = 1500;
    assert_int_equal(ad_store_thumb_add_batch(st, &again, 1, &added, NULL), AD_OK);
    assert_int_equal(added, 0);
    int64_t ids[] = {m1, m2, m1};
    struct got g = {0};
    assert_int_equal(ad_store_thumb_get_batch(st, ida, ids, 3, got_one, &g, NULL), AD_OK);
    assert_int_equal(g.n, 2); /* m1 asked twice, m2 has none */
    assert_int_equal(g.first_byte, 0xff);
    assert_int_equal(g.last.len, sizeof j1);
    assert_int_equal(g.last.width, 4);
    assert_int_equal(g.last.frame_ms, -1);
    assert_string_equal(g.job, "J1");
    /* another agency sees nothing of A's: pixels are the holding agency's evidence */
    memset(&g, 0, sizeof g);
    assert_int_equal(ad_store_thumb_get_batch(st, idb, ids, 3, got_one, &g, NULL), AD_OK);
    assert_int_equal(g.n, 0);
    ad_err e;
    assert_int_equal(ad_store_thumb_get_batch(st, 0, ids, 3, got_one, &g, &e), AD_ERR_ARG);
    /* B's own, of a video frame */
    ad_media_thumb tb = t;
    tb.media_id = m2, tb.agency_id = idb, tb.jpeg = j2, tb.len = sizeof j2;
    tb.width = tb.height = 2, tb.frame_ms = 1500, tb.job_id = NULL;
    assert_int_equal(ad_store_thumb_add_batch(st, &tb, 1, &added, NULL), AD_OK);
    memset(&g, 0, sizeof g);
    assert_int_equal(ad_store_thumb_get_batch(st, idb, ids, 2, got_one, &g, NULL), AD_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.last.media_id, m2);
    assert_int_equal(g.last.frame_ms, 1500);
    assert_string_equal(g.job, "(none)");
    /* a thumbnail of a media that does not exist is refused, and nothing is half written */
    ad_media_thumb bad[2] = {tb, tb};
    bad[0].media_id = m1;
    bad[1].media_id = m2 + 1000;
    assert_int_not_equal(ad_store_thumb_add_batch(st, bad, 2, &added, &e), AD_OK);
    memset(&g, 0, sizeof g);
    assert_int_equal(ad_store_thumb_get_batch(st, idb, ids, 1, got_one, &g, NULL), AD_OK);
    assert_int_equal(g.n, 0);
    t.len = 0;
    assert_int_equal(ad_store_thumb_add_batch(st, &t, 1, &added, &e), AD_ERR_ARG);
    /* every read and write is in the audit chain */
    int64_t rows, broken;
    assert_int_equal(ad_store_audit_verify(st, &rows, &broken, NULL, NULL), AD_OK);
    ad_store_close(st);
    if (pg)
        pg_admin("DROP DATABASE %s", pg_name);
}

static void test_store_sqlite(void **state)
{
    (void)state;
    store_case(0);
}

static void test_store_pg(void **state)
{
    (void)state;
    store_case(1);
}

/* ---- ingest and report ---- */

static void copy_file(const char *from, const char *to)
{
    size_t len;
    uint8_t *b = td_read_file(from, &len);
    assert_non_null(b);
    unlink(to);
    assert_int_equal(td_write_file(to, b, len), 0);
    free(b);
}

static void ingest(ad_store *st, const char *root, const char *case_no, int thumbnails)
{
    ad_ingest_opts o;
    ad_ingest_opts_default(&o);
    o.case_number = case_no;
    o.agency = "Lab";
    o.threads = 1;
    o.thumbnails = thumbnails;
    ad_ingest_stats s;
    ad_err e;
    if (ad_ingest(st, &root, 1, &o, &s, &e) != AD_OK)
        fail_msg("ingest: %s", e.msg);
}

/* The report's item for a file name, built with thumbnails. */
static const ad_report_item *item(const ad_report *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *p = r->items[i].path, *slash = strrchr(p, '/');
        if (!strcmp(slash ? slash + 1 : p, name))
            return &r->items[i];
    }
    fail_msg("no item %s", name);
    return NULL;
}

/* The JPEG inside a data: URI. */
static uint8_t *from_uri(const char *uri, size_t *len)
{
    const char *prefix = "data:image/jpeg;base64,";
    assert_non_null(uri);
    assert_memory_equal(uri, prefix, strlen(prefix));
    const char *b64 = uri + strlen(prefix);
    uint8_t *out = malloc(strlen(b64));
    assert_int_equal(sodium_base642bin(out, strlen(b64), b64, strlen(b64), NULL, len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    return out;
}

static ad_thumb thumb_of_file(const char *path)
{
    size_t len;
    uint8_t *b = td_read_file(path, &len);
    ad_exif x;
    int o = ad_exif_read(b, len, &x, NULL) == AD_OK ? x.orientation : 0;
    ad_thumb t;
    assert_int_equal(ad_thumb_image(AD_MEDIA_JPEG, b, len, o, NULL, &t, NULL), AD_OK);
    free(b);
    return t;
}

/* The report of a case (thumbnails asked for) shows none for file NAME, and says why. */
static void no_thumbnail(ad_store *st, const char *case_no, const char *name, const char *why)
{
    ad_report_opts ro = {1, 31, 50, 3600};
    ad_report r;
    assert_int_equal(ad_report_build(st, "Lab", case_no, &ro, &r, NULL), AD_OK);
    const ad_report_item *it = item(&r, name);
    assert_null(it->thumbnail);
    if (!it->thumbnail_note || !strstr(it->thumbnail_note, why))
        fail_msg("%s: note '%s', want '%s'", name, it->thumbnail_note ? it->thumbnail_note : "",
                 why);
    ad_report_free(&r);
}

static void test_report_from_store(void **state)
{
    (void)state;
    const char *dir = td_tmpdir("test_thumb_ingest");
    char root[4096], pic[4200], url[4300], other[4096], pic2[4200];
    snprintf(root, sizeof root, "%s/seizure", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    mkdir(root, 0700);
    mkdir(other, 0700);
    snprintf(pic, sizeof pic, "%s/pic.jpg", root);
    snprintf(pic2, sizeof pic2, "%s/copy.jpg", other);
    copy_file(td_path(BRIDGE), pic);
    copy_file(td_path(BRIDGE), pic2);
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    ad_store *st;
    assert_int_equal(ad_store_open(&st, url, AD_STORE_CREATE, NULL), AD_OK);
    ad_agency a = {.name = "Lab", .kind = "police"};
    assert_int_equal(ad_store_agency_add(st, &a, NULL, NULL), AD_OK);
    ingest(st, root, "C1", 1);

    /* the file is replaced by another picture after ingest */
    copy_file(td_path(STREET), pic);
    ad_report_opts ro = {1, 31, 50, 3600};
    ad_report r;
    assert_int_equal(ad_report_build(st, "Lab", "C1", &ro, &r, NULL), AD_OK);
    const ad_report_item *it = item(&r, "pic.jpg");
    assert_null(it->thumbnail_note);
    size_t len;
    uint8_t *got = from_uri(it->thumbnail, &len);
    ad_thumb want = thumb_of_file(td_path(BRIDGE)), replaced = thumb_of_file(td_path(STREET));
    assert_int_equal(len, want.len); /* the thumbnail of the bytes hashed, not of the new file */
    assert_memory_equal(got, want.jpeg, len);
    assert_false(len == replaced.len && !memcmp(got, replaced.jpeg, len));
    free(got);
    ad_report_free(&r);

    /* a FIFO in its place: the report does not open it (before, it hung here) */
    unlink(pic);
    assert_int_equal(mkfifo(pic, 0600), 0);
    assert_int_equal(ad_report_build(st, "Lab", "C1", &ro, &r, NULL), AD_OK);
    assert_non_null(item(&r, "pic.jpg")->thumbnail);
    ad_report_free(&r);

    /* without thumbnails asked for, none; an ingest with --no-thumbnails stores none and the
     * report says why */
    ro.thumbnails = 0;
    assert_int_equal(ad_report_build(st, "Lab", "C1", &ro, &r, NULL), AD_OK);
    assert_null(item(&r, "pic.jpg")->thumbnail);
    assert_null(item(&r, "pic.jpg")->thumbnail_note);
    ad_report_free(&r);
    ingest(st, other, "C2", 0); /* the same bytes: C2 shows the thumbnail made for C1 */
    ro.thumbnails = 1;
    assert_int_equal(ad_report_build(st, "Lab", "C2", &ro, &r, NULL), AD_OK);
    assert_non_null(item(&r, "copy.jpg")->thumbnail);
    ad_report_free(&r);
    unlink(pic2);
    copy_file(td_path(STREET), pic2);
    ingest(st, other, "C3", 0);
    no_thumbnail(st, "C3", "copy.jpg", "with --no-thumbnails");
    /* an exact copy of a known media without a thumbnail of this agency is not decoded, even
     * with thumbnails asked for: none, and the report says why */
    char third[4096], dup[4200];
    snprintf(third, sizeof third, "%s/third", dir);
    mkdir(third, 0700);
    snprintf(dup, sizeof dup, "%s/dup.jpg", third);
    copy_file(td_path(STREET), dup);
    ingest(st, third, "C4", 1);
    no_thumbnail(st, "C4", "dup.jpg", "exact copy of known media");
    ad_thumb_free(&want);
    ad_thumb_free(&replaced);
    unlink(pic);
    ad_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image),       cmocka_unit_test(test_orientation),
        cmocka_unit_test(test_video_frame), cmocka_unit_test(test_store_sqlite),
        cmocka_unit_test(test_store_pg),    cmocka_unit_test(test_report_from_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
