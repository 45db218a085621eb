/* test_lookup.c: ad_lookup, the rule that decides a hash's class (exact media, then the nearest
 * PDQ neighbour in a series, then ignorable/identified neighbours), the radius and quality gate,
 * matches recorded by ingest (with the dihedral form seen from the other side), video frames,
 * the index and the scan giving the same neighbours, and the query syntax. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/pdq.h"
#include "testutil.h"

#define OK(x)                                                                                      \
    do {                                                                                           \
        ad_err e_ = {0};                                                                           \
        ad_code c_ = (x);                                                                          \
        if (c_ != AD_OK)                                                                           \
            fail_msg("%s: %s (%s)", #x, e_.msg, ad_code_name(c_));                                 \
    } while (0)
#define E (&e_)

typedef struct {
    ad_store *st;
    ad_h256 p; /* the query's PDQ */
    int64_t x, w, z, y, s_open;
} fx;

static int counter;

/* p with the first k bits flipped from bit `from` on. */
static ad_h256 flip(const ad_h256 *p, int from, int k)
{
    ad_h256 h = *p;
    for (int i = from; i < from + k; i++)
        h.b[i / 8] ^= (uint8_t)(1u << (i % 8));
    return h;
}

static int64_t add_media(ad_store *st, uint8_t tag, const ad_h256 *pdq, int quality, unsigned flags)
{
    ad_media m;
    ad_media_init(&m);
    m.has_sha256 = 1;
    memset(m.sha256, tag, 32);
    if (pdq) {
        m.has_pdq = 1;
        m.pdq = *pdq;
        m.pdq_quality = quality;
    }
    m.flags = flags;
    int64_t id = 0;
    OK(ad_store_media_upsert(st, &m, &id, NULL, E));
    return id;
}

static int64_t series(ad_store *st, const char *name, int identified_victim)
{
    ad_series s = {.name = name, .contact = "c@example"};
    int64_t id = 0;
    OK(ad_store_series_create(st, &s, &id, E));
    char code[64];
    snprintf(code, sizeof code, "V-%s", name);
    OK(ad_store_person_add(st, AD_VICTIM, code, id, NULL, E));
    if (identified_victim)
        OK(ad_store_person_identify(st, AD_VICTIM, code, 0, "FR", E));
    return id;
}

/* X (the query, in no series) with neighbours W (1 bit, ignorable), Z (2 bits, known, no
 * series) and Y (4 bits, in a series with an unidentified victim); and a far media. */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char url[4200];
    snprintf(url, sizeof url, "sqlite:%s/t%d.db", td_tmpdir("test_lookup"), ++counter);
    ad_err e;
    if (ad_store_open(&f->st, url, AD_STORE_CREATE, &e) != AD_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    ad_store_set_actor(f->st, "tester", 0);
    ad_agency ag = {.name = "Hub", .kind = "hub"};
    int64_t hub = 0;
    OK(ad_store_agency_add(f->st, &ag, &hub, E));
    ad_store_set_actor(f->st, "tester", hub); /* identifications are made for the hub */
    for (int i = 0; i < 32; i++)
        f->p.b[i] = (uint8_t)(i * 37 + 11);
    ad_h256 hw = flip(&f->p, 0, 1), hz = flip(&f->p, 8, 2), hy = flip(&f->p, 16, 4),
            far = flip(&f->p, 0, 100);
    f->x = add_media(f->st, 1, &f->p, 100, 0);
    f->w = add_media(f->st, 2, &hw, 100, AD_MEDIA_IGNORABLE);
    f->z = add_media(f->st, 3, &hz, 100, 0);
    f->y = add_media(f->st, 4, &hy, 100, 0);
    add_media(f->st, 5, &far, 100, 0);
    f->s_open = series(f->st, "open", 0);
    OK(ad_store_series_link(f->st, f->s_open, f->y, E));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ad_store_close(f->st);
    free(f);
    return 0;
}

static ad_lookup_query by_sha(uint8_t tag)
{
    ad_lookup_query q;
    ad_lookup_query_init(&q);
    q.has_sha256 = 1;
    memset(q.sha256, tag, 32);
    return q;
}

static void look(fx *f, const ad_lookup_index *lx, const ad_lookup_query *q, int radius,
                 ad_lookup_result *r)
{
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.radius = radius;
    OK(ad_lookup(f->st, lx, q, &o, r, E));
}

static void t_rule(void **state)
{
    fx *f = *state;
    ad_lookup_query q = by_sha(1);
    ad_lookup_result r;
    /* the neighbour in a series decides, though an ignorable and a plain known one are nearer */
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.media_id, f->x);
    assert_string_equal(r.media_by, "sha256");
    assert_int_equal(r.own.cls, AD_CLASS_KNOWN_UNSERIESED);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.v[0].media_id, f->w);
    assert_int_equal(r.v[1].media_id, f->z);
    assert_int_equal(r.v[2].media_id, f->y);
    assert_int_equal(r.v[2].distance, 4);
    assert_int_equal(r.v[2].cls.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(r.how, AD_LOOKUP_NEIGHBOUR);
    assert_int_equal(r.by.media_id, f->y);
    assert_int_equal(r.decided.series_id, f->s_open);
    ad_lookup_result_free(&r);
    /* within 3: the ignorable neighbour decides */
    look(f, NULL, &q, 3, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.cls, AD_CLASS_IGNORABLE);
    assert_int_equal(r.by.media_id, f->w);
    ad_lookup_result_free(&r);
    /* radius 0: only the media itself */
    look(f, NULL, &q, 0, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNSERIESED);
    assert_int_equal(r.how, AD_LOOKUP_EXACT);
    ad_lookup_result_free(&r);
    /* the media's own series wins over its neighbours' */
    int64_t s_done = series(f->st, "done", 1);
    OK(ad_store_series_link(f->st, s_done, f->x, E));
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_IDENTIFIED);
    assert_int_equal(r.how, AD_LOOKUP_EXACT);
    assert_int_equal(r.decided.series_id, s_done);
    assert_int_equal(r.n_total, 3);
    ad_lookup_result_free(&r);
    /* triage (nothing listed): the exact media decides alone, no neighbour is gathered */
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.max_neighbours = 0;
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.cls, AD_CLASS_KNOWN_IDENTIFIED);
    assert_int_equal(r.n_total, 0);
    ad_lookup_result_free(&r);
    /* by media id; an unknown id is an error */
    ad_lookup_query qi;
    ad_lookup_query_init(&qi);
    qi.media_id = f->x;
    look(f, NULL, &qi, 31, &r);
    assert_int_equal(r.media_id, f->x);
    assert_string_equal(r.media_by, "id");
    assert_int_equal(r.cls, AD_CLASS_KNOWN_IDENTIFIED);
    ad_lookup_result_free(&r);
    qi.media_id = 999;
    ad_err e;
    assert_int_equal(ad_lookup(f->st, NULL, &qi, NULL, &r, &e), AD_ERR_NOT_FOUND);
    /* a digest nobody has, no PDQ: new */
    q = by_sha(99);
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.media_id, 0);
    assert_int_equal(r.cls, AD_CLASS_NEW);
    assert_int_equal(r.how, AD_LOOKUP_NONE);
    ad_lookup_result_free(&r);
}

static int count_classify(void *ctx, const ad_audit_row *row)
{
    *(int *)ctx += !strcmp(row->action, "media.classify");
    return 0;
}

static int classify_rows(fx *f)
{
    int n = 0;
    OK(ad_store_audit_list(f->st, 0, 0, count_classify, &n, E));
    return n;
}

/* A run's cache: the same decision, each media classified by the store once; a series linked
 * afterwards is not seen by the media already classified, a new cache sees it. */
static void t_cache(void **state)
{
    fx *f = *state;
    ad_lookup_cache *c;
    OK(ad_lookup_cache_new(&c, E));
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.cache = c;
    ad_lookup_query q = by_sha(1);
    ad_lookup_result r;
    int before = classify_rows(f);
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(r.by.media_id, f->y);
    assert_string_equal(r.decided.contact, "c@example");
    ad_lookup_result_free(&r);
    int first = classify_rows(f) - before;
    assert_true(first >= 4); /* X itself and its three neighbours */
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(r.decided.series_id, f->s_open);
    assert_string_equal(r.decided.contact, "c@example");
    assert_int_equal(r.v[0].cls.cls, AD_CLASS_IGNORABLE);
    assert_int_equal(r.v[1].cls.cls, AD_CLASS_KNOWN_UNSERIESED);
    ad_lookup_result_free(&r);
    assert_int_equal(classify_rows(f) - before, first);
    ad_classification k;
    OK(ad_lookup_classify(f->st, c, f->z, &k, E));
    assert_int_equal(k.cls, AD_CLASS_KNOWN_UNSERIESED);
    assert_int_equal(k.media_id, f->z);
    OK(ad_lookup_classify(f->st, c, 12345, &k, E)); /* no such media: new, as the store says */
    assert_int_equal(k.cls, AD_CLASS_NEW);
    assert_int_equal(k.media_id, 0);
    OK(ad_lookup_classify(f->st, c, 12345, &k, E));
    assert_int_equal(k.media_id, 0);
    /* X linked into an identified series now: this run's cache keeps what it saw */
    int64_t s_done = series(f->st, "done", 1);
    OK(ad_store_series_link(f->st, s_done, f->x, E));
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    ad_lookup_result_free(&r);
    ad_lookup_cache_free(c);
    OK(ad_lookup_cache_new(&c, E));
    o.cache = c;
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.cls, AD_CLASS_KNOWN_IDENTIFIED);
    assert_int_equal(r.how, AD_LOOKUP_EXACT);
    ad_lookup_result_free(&r);
    ad_lookup_cache_free(c);
}

/* Equally near series members: the one with an unidentified victim decides. */
static void t_tie(void **state)
{
    fx *f = *state;
    ad_h256 hy2 = flip(&f->p, 40, 4);
    OK(ad_store_person_identify(f->st, AD_VICTIM, "V-open", 0, "FR", E)); /* Y: identified */
    int64_t y2 = add_media(f->st, 6, &hy2, 100, 0), s2 = series(f->st, "new", 0);
    OK(ad_store_series_link(f->st, s2, y2, E));
    /* Y (identified, listed first: lower id) and Y2 (unidentified) at the same distance */
    ad_lookup_query q = by_sha(1);
    ad_lookup_result r;
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.v[2].media_id, f->y);
    assert_int_equal(r.v[3].media_id, y2);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(r.by.media_id, y2);
    ad_lookup_result_free(&r);
}

static int skip_y(void *ctx, int64_t id)
{
    return id == *(int64_t *)ctx;
}

static void t_skip_and_gate(void **state)
{
    fx *f = *state;
    ad_lookup_query q = by_sha(1);
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.skip = skip_y;
    o.skip_ctx = &f->y;
    ad_lookup_result r;
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.n, 2);
    assert_int_equal(r.cls, AD_CLASS_IGNORABLE);
    ad_lookup_result_free(&r);
    /* a query PDQ under the minimum quality is not searched */
    ad_lookup_query_init(&q);
    q.npdq = 1;
    q.pdq[0] = flip(&f->p, 100, 3);
    q.pdq_quality = 40;
    ad_lookup_opts_default(&o);
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.n_total, 0);
    assert_int_equal(r.pdq_forms, 0);
    assert_non_null(strstr(r.pdq_skipped, "quality 40"));
    assert_int_equal(r.cls, AD_CLASS_NEW);
    ad_lookup_result_free(&r);
    q.pdq_quality = 50; /* at the minimum: searched, no exact media, neighbours decide */
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.media_id, 0);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    ad_lookup_result_free(&r);
    /* max_neighbours 0 lists none but still decides */
    o.max_neighbours = 0;
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.n, 0);
    assert_int_equal(r.n_total, 4);
    assert_int_equal(r.by.media_id, f->y);
    ad_lookup_result_free(&r);
}

/* The 8 forms of a file: the form that matched is reported. */
static void t_dihedral(void **state)
{
    fx *f = *state;
    ad_lookup_query q;
    ad_lookup_query_init(&q);
    q.npdq = 8;
    for (int v = 0; v < 8; v++)
        q.pdq[v] = flip(&f->p, 128, 60 + v);  /* far from everything */
    q.pdq[AD_PDQ_FLIPY] = flip(&f->p, 16, 5); /* 1 bit from Y */
    q.pdq_quality = 90;
    ad_lookup_result r;
    look(f, NULL, &q, 2, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0].media_id, f->y);
    assert_int_equal(r.v[0].variant, AD_PDQ_FLIPY);
    assert_int_equal(r.v[0].distance, 1);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    ad_lookup_result_free(&r);
    /* a PDQ equal to a stored one: found exactly, unless the caller says it looked already */
    q.pdq[0] = f->p;
    look(f, NULL, &q, 2, &r);
    assert_int_equal(r.media_id, f->x);
    assert_string_equal(r.media_by, "pdq");
    assert_int_equal(r.n, 3); /* W, Z, Y */
    ad_lookup_result_free(&r);
    q.exact_known = 1;
    look(f, NULL, &q, 2, &r);
    assert_int_equal(r.media_id, 0);
    assert_int_equal(r.n, 4); /* X is a neighbour at distance 0 */
    assert_int_equal(r.v[0].media_id, f->x);
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    ad_lookup_result_free(&r);
}

/* Matches an ingest job recorded: X's own (forward) and a copy's of X (reverse: the inverse
 * form); both within the radius only. */
static void t_recorded(void **state)
{
    fx *f = *state;
    ad_h256 far1 = flip(&f->p, 100, 90), far2 = flip(&f->p, 60, 80);
    int64_t k = add_media(f->st, 7, &far1, 100, 0), c = add_media(f->st, 8, &far2, 100, 0);
    int64_t agency = 0, case_id = 0;
    ad_agency ag = {.name = "A", .kind = "police"};
    OK(ad_store_agency_add(f->st, &ag, &agency, E));
    ad_case cs = {.agency_id = agency, .number = "C"};
    OK(ad_store_case_open(f->st, &cs, &case_id, E));
    ad_job j = {.id = "job-1", .case_id = case_id, .agency_id = agency};
    int resumed;
    OK(ad_store_job_open(f->st, &j, &resumed, E));
    ad_job_item it[2] = {
        {.job_id = "job-1",
         .key = "k1",
         .ordinal = 1,
         .path = "x.jpg",
         .media_id = f->x,
         .match_media_id = k,
         .match_kind = "pdq",
         .match_distance = 6,
         .match_variant = AD_PDQ_ROT90},
        {.job_id = "job-1",
         .key = "k2",
         .ordinal = 2,
         .path = "c.jpg",
         .media_id = c,
         .match_media_id = f->x,
         .match_kind = "pdq",
         .match_distance = 9,
         .match_variant = AD_PDQ_ROT90},
    };
    OK(ad_store_job_items_add(f->st, it, 2, E));
    int64_t s2 = series(f->st, "k", 0);
    OK(ad_store_series_link(f->st, s2, k, E));
    ad_lookup_query q = by_sha(1);
    ad_lookup_result r;
    look(f, NULL, &q, 7, &r);
    /* W, Z, Y by search, K (distance 6) recorded; C (9) is outside the radius */
    assert_int_equal(r.n, 4);
    assert_int_equal(r.v[3].media_id, k);
    assert_int_equal(r.v[3].source, AD_LOOKUP_RECORDED);
    assert_int_equal(r.v[3].variant, AD_PDQ_ROT90);
    assert_int_equal(r.by.media_id, f->y); /* Y (4) is nearer than K (6) */
    ad_lookup_result_free(&r);
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.v[4].media_id, c);
    assert_int_equal(r.v[4].variant, AD_PDQ_ROT270); /* X is C turned back */
    ad_lookup_result_free(&r);
    /* without recorded matches, K and C are not found */
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.recorded = 0;
    OK(ad_lookup(f->st, NULL, &q, &o, &r, E));
    assert_int_equal(r.n, 3);
    ad_lookup_result_free(&r);
    /* C's own lookup: X through its recorded match, in the form C recorded */
    q = by_sha(8);
    look(f, NULL, &q, 31, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.v[0].media_id, f->x);
    assert_int_equal(r.v[0].variant, AD_PDQ_ROT90);
    /* X is in no series (its own neighbours do not count for C): C is known-unseriesed */
    assert_int_equal(r.cls, AD_CLASS_KNOWN_UNSERIESED);
    assert_int_equal(r.how, AD_LOOKUP_EXACT);
    ad_lookup_result_free(&r);
}

/* A video frame's PDQ near the query: the neighbour is the video. */
static void t_frames_and_index(void **state)
{
    fx *f = *state;
    int64_t v = add_media(f->st, 9, NULL, -1, 0);
    ad_frame fr[2] = {
        {.media_id = v, .frame = 0, .timestamp_ms = 0, .quality = 100, .pdq = flip(&f->p, 200, 3)},
        {.media_id = v,
         .frame = 1,
         .timestamp_ms = 1000,
         .quality = 100,
         .pdq = flip(&f->p, 200, 20)}};
    OK(ad_store_frame_add_batch(f->st, fr, 2, E));
    ad_lookup_index *lx;
    OK(ad_lookup_index_load(f->st, &lx, E));
    assert_int_equal(ad_lookup_index_size(lx), 7);
    assert_int_equal(ad_lookup_index_video_frames(lx, v), 2);
    ad_lookup_query q = by_sha(1);
    for (int radius = 0; radius <= 64; radius += 1) {
        ad_lookup_result a, b;
        look(f, NULL, &q, radius, &a);
        look(f, lx, &q, radius, &b);
        assert_int_equal(a.n, b.n);
        assert_int_equal(a.cls, b.cls);
        for (size_t i = 0; i < a.n; i++) {
            assert_int_equal(a.v[i].media_id, b.v[i].media_id);
            assert_int_equal(a.v[i].distance, b.v[i].distance);
            assert_int_equal(a.v[i].frame_id, b.v[i].frame_id);
        }
        if (radius == 3) {
            assert_int_equal(a.n, 3);
            assert_int_equal(a.v[2].media_id, v); /* 3 bits, after Z (2) */
            assert_true(a.v[2].frame_id > 0);
            assert_string_equal(a.v[2].kind, "frame");
        }
        ad_lookup_result_free(&a);
        ad_lookup_result_free(&b);
    }
    ad_lookup_index_free(lx);
}

static void t_parse(void **state)
{
    (void)state;
    ad_lookup_query q;
    ad_err e;
    assert_int_equal(ad_lookup_query_parse(&q, "c74b85d5c8ad19aa21a24dfd8e2769c8", &e), AD_OK);
    assert_true(q.has_md5 && !q.has_sha1 && !q.has_sha256 && q.npdq == 0);
    assert_int_equal(ad_lookup_query_parse(&q, "sha1:e0b2bea81397865b7b7f76244027df3a8a01185f", &e),
                     AD_OK);
    assert_true(q.has_sha1);
    const char *h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_int_equal(ad_lookup_query_parse(&q, h, &e), AD_OK);
    assert_true(q.has_sha256 && q.sha256_or_pdq);
    char buf[8 * 65 + 8];
    snprintf(buf, sizeof buf, "pdq:%s", h);
    assert_int_equal(ad_lookup_query_parse(&q, buf, &e), AD_OK);
    assert_true(q.npdq == 1 && !q.has_sha256);
    buf[0] = 0;
    strcat(buf, "pdq:");
    for (int i = 0; i < 8; i++) {
        strcat(buf, h);
        strcat(buf, i < 7 ? "," : "");
    }
    assert_int_equal(ad_lookup_query_parse(&q, buf, &e), AD_OK);
    assert_int_equal(q.npdq, 8);
    buf[strlen(buf) - 65] = 0; /* 7 forms */
    assert_int_equal(ad_lookup_query_parse(&q, buf, &e), AD_ERR_PARSE);
    assert_int_equal(ad_lookup_query_parse(&q, "id:12", &e), AD_OK);
    assert_int_equal(q.media_id, 12);
    static const char *const bad[] = {
        "",      "id:",    "id:0",        "id:-3",
        "id:1x", "nothex", "md5:12",      "c74b85d5c8ad19aa21a24dfd8e2769cZ",
        "pdq:",  "pdq:,",  "sha256:e3b0", "\n\x1b[2J"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ad_lookup_query_parse(&q, bad[i], &e), AD_ERR_PARSE);
        assert_null(strchr(e.msg, '\x1b')); /* the text is not echoed when it is odd */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(t_tie, setup, teardown),
        cmocka_unit_test_setup_teardown(t_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(t_skip_and_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(t_dihedral, setup, teardown),
        cmocka_unit_test_setup_teardown(t_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(t_frames_and_index, setup, teardown),
        cmocka_unit_test(t_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
