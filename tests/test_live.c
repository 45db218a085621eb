/* test_live.c: the live index (src/live, live.h): loaded from a store, then following writes
 * made by another connection (the index log of schema 7); platform matching by every hash
 * type, grants, held-back entries and the hold rule; the follower thread. SQLite, and
 * PostgreSQL when AD_TEST_PG names a server (each test in a fresh database). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/hash.h"
#include "ariadne/ingest.h"
#include "ariadne/live.h"
#include "ariadne/service.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "live/live_int.h"
#include "testutil.h"

typedef struct {
    td_db db;
    ad_store *w; /* the writer (another process, as it were) */
    ad_store *r; /* the live index's connection */
    int64_t police, platform, other;
    int64_t list, m1;
} fixture;

#define OK(x)                                                                                      \
    do {                                                                                           \
        ad_err e_ = {0};                                                                           \
        ad_code c_ = (x);                                                                          \
        if (c_ != AD_OK)                                                                           \
            fail_msg("%s: %s (%s)", #x, e_.msg, ad_code_name(c_));                                 \
    } while (0)
#define E (&e_)

static int64_t add_agency(ad_store *st, const char *name, const char *kind)
{
    ad_agency a = {.name = name, .country = "FR", .kind = kind};
    int64_t id = 0;
    OK(ad_store_agency_add(st, &a, &id, E));
    return id;
}

/* A media whose digests and PDQ are made from seed. */
static void make_media(ad_media *m, int seed)
{
    ad_media_init(m);
    m->has_md5 = m->has_sha1 = m->has_sha256 = m->has_pdq = 1;
    for (int i = 0; i < 32; i++) {
        m->sha256[i] = (uint8_t)(seed * 7 + i);
        m->pdq.b[i] = (uint8_t)(seed * 131 + i * 37);
    }
    for (int i = 0; i < 16; i++)
        m->md5[i] = (uint8_t)(seed * 11 + i + 1);
    for (int i = 0; i < 20; i++)
        m->sha1[i] = (uint8_t)(seed * 13 + i + 2);
    m->pdq_quality = 100;
}

static int64_t add_media(ad_store *st, int seed)
{
    ad_media m;
    make_media(&m, seed);
    int64_t id = 0;
    OK(ad_store_media_upsert(st, &m, &id, NULL, E));
    return id;
}

static int64_t add_list(ad_store *st, const char *name, int64_t agency)
{
    ad_list l = {.name = name, .agency_id = agency};
    int64_t id = 0;
    OK(ad_store_list_ensure(st, &l, &id, E));
    return id;
}

static int setup(void **state, int pg)
{
    fixture *f = calloc(1, sizeof *f);
    int k = td_db_create(&f->db, pg, "test_live");
    if (k) {
        free(f);
        *state = NULL;
        return k > 0 ? 0 : -1;
    }
    ad_err e;
    if (ad_store_open(&f->w, f->db.url, AD_STORE_CREATE, &e) != AD_OK ||
        ad_store_open(&f->r, f->db.url, 0, &e) != AD_OK) {
        fprintf(stderr, "open %s: %s\n", f->db.url, e.msg);
        return -1;
    }
    ad_store_set_actor(f->w, "writer", 0);
    ad_store_set_actor(f->r, "server", 0);
    f->police = add_agency(f->w, "hotline", "hotline");
    f->platform = add_agency(f->w, "platformco", "platform");
    f->other = add_agency(f->w, "otherco", "platform");
    f->list = add_list(f->w, "known", f->police);
    f->m1 = add_media(f->w, 1);
    OK(ad_store_list_add(f->w, f->list, &f->m1, 1, E));
    OK(ad_store_list_grant(f->w, f->list, f->platform, E));
    *state = f;
    return 0;
}
static int setup_sqlite(void **state)
{
    return setup(state, 0);
}
static int setup_pg(void **state)
{
    return setup(state, 1);
}
static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return 0;
    ad_store_close(f->w);
    ad_store_close(f->r);
    td_db_drop(&f->db);
    free(f);
    return 0;
}
static fixture *F(void **state)
{
    if (!*state)
        skip();
    return *state;
}

static ad_match_hash digest_q(ad_match_type t, const ad_media *m)
{
    ad_match_hash h;
    memset(&h, 0, sizeof h);
    h.type = t;
    memcpy(h.digest,
           t == AD_MATCH_MD5    ? m->md5
           : t == AD_MATCH_SHA1 ? m->sha1
                                : m->sha256,
           t == AD_MATCH_MD5    ? 16
           : t == AD_MATCH_SHA1 ? 20
                                : 32);
    return h;
}

/* The hits of h for agency (entries as list:media pairs counted). */
static size_t match(ad_live *lv, int64_t agency, const ad_match_hash *h, ad_live_hits *out)
{
    ad_live_hits held = {0};
    OK(ad_live_match(lv, agency, h, out, &held, E));
    assert_int_equal(held.n, 0);
    ad_live_hits_free(&held);
    return out->n;
}

static void t_load_match(void **state)
{
    fixture *f = F(state);
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.pdq, 1);
    assert_int_equal(s.digests, 3);
    assert_int_equal(s.entries, 1);
    ad_media m;
    make_media(&m, 1);
    ad_live_hits out = {0};
    static const ad_match_type types[] = {AD_MATCH_MD5, AD_MATCH_SHA1, AD_MATCH_SHA256};
    for (int i = 0; i < 3; i++) {
        ad_match_hash h = digest_q(types[i], &m);
        assert_int_equal(match(lv, f->platform, &h, &out), 1);
        assert_int_equal(out.v[0].list_id, f->list);
        assert_int_equal(out.v[0].media_id, f->m1);
        assert_int_equal(out.v[0].distance, 0);
        /* a platform the list is not granted to: nothing */
        assert_int_equal(match(lv, f->other, &h, &out), 0);
        assert_int_equal(match(lv, f->police, &h, &out), 0);
    }
    /* PDQ within the radius: 5 bits off */
    ad_match_hash h;
    memset(&h, 0, sizeof h);
    h.type = AD_MATCH_PDQ;
    h.npdq = 1;
    h.pdq[0] = m.pdq;
    h.pdq[0].b[0] ^= 0x1f;
    h.radius = 31;
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    assert_int_equal(out.v[0].distance, 5);
    h.radius = 4;
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    /* the 8 dihedral forms: the known one is the 4th */
    h.npdq = 8;
    h.radius = 31;
    for (int v = 0; v < 8; v++)
        for (int i = 0; i < 32; i++)
            h.pdq[v].b[i] = (uint8_t)(0x55 ^ (v * 29 + i * 3));
    h.pdq[3] = m.pdq;
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    assert_int_equal(out.v[0].variant, 3);
    assert_int_equal(out.v[0].distance, 0);
    /* an unknown digest */
    ad_media n;
    make_media(&n, 99);
    ad_match_hash u = digest_q(AD_MATCH_SHA256, &n);
    assert_int_equal(match(lv, f->platform, &u, &out), 0);
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

/* A batch (ad_live_match_batch: PDQ queries through the index's batch search) answers what
 * the same hashes answer one by one, in order: digests, PDQs within and out of the radius, the
 * 8 forms, mixed radii, and runs too short to batch. */
static void t_batch(void **state)
{
    fixture *f = F(state);
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_media m;
    make_media(&m, 1);
    enum { N = 40 };
    ad_match_hash v[N];
    for (int i = 0; i < N; i++) {
        memset(&v[i], 0, sizeof v[i]);
        if (i % 5 == 4) {
            v[i] = digest_q(i % 2 ? AD_MATCH_MD5 : AD_MATCH_SHA256, &m);
            continue;
        }
        v[i].type = AD_MATCH_PDQ;
        v[i].npdq = i % 7 == 3 ? 8 : 1;
        for (int k = 0; k < v[i].npdq; k++)
            for (int b = 0; b < 32; b++)
                v[i].pdq[k].b[b] = (uint8_t)(0x55 ^ (k * 29 + b * 3 + i));
        v[i].pdq[i % v[i].npdq] = m.pdq;
        v[i].pdq[i % v[i].npdq].b[1] ^= (uint8_t)(i & 0x3f); /* 0 to 6 bits off */
        v[i].radius = i < 30 ? 31 : 2;
    }
    ad_live_hits outs[N], one = {0}, held = {0};
    memset(outs, 0, sizeof outs);
    OK(ad_live_match_batch(lv, f->platform, v, N, outs, &held, E));
    size_t found = 0;
    for (int i = 0; i < N; i++) {
        match(lv, f->platform, &v[i], &one);
        assert_int_equal(outs[i].n, one.n);
        for (size_t k = 0; k < one.n; k++) {
            assert_int_equal(outs[i].v[k].media_id, one.v[k].media_id);
            assert_int_equal(outs[i].v[k].distance, one.v[k].distance);
            assert_int_equal(outs[i].v[k].variant, one.v[k].variant);
        }
        found += one.n;
        ad_live_hits_free(&outs[i]);
    }
    assert_true(found > 20 && found < N); /* some within the radius, some not */
    ad_live_hits_free(&one);
    ad_live_hits_free(&held);
    ad_live_free(lv);
}

/* A PDQ that finds many media (more than a match keeps in its short list of candidates before
 * it takes a map): each media answered once, at its best distance over the 8 forms. */
static void t_many_found(void **state)
{
    fixture *f = F(state);
    ad_media m;
    make_media(&m, 1);
    enum { N = 40 };
    int64_t ids[N];
    for (int i = 0; i < N; i++) { /* m's PDQ with bits of byte 2 and 3 changed: 1..12 off */
        ad_media x;
        make_media(&x, 300 + i); /* digests unlike m's */
        x.pdq = m.pdq;
        x.pdq.b[2] ^= (uint8_t)(i + 1);
        x.pdq.b[3] ^= (uint8_t)(i % 3 == 0 ? 0x0f : 0);
        OK(ad_store_media_upsert(f->w, &x, &ids[i], NULL, E));
    }
    OK(ad_store_list_add(f->w, f->list, ids, N, E));
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_match_hash h;
    memset(&h, 0, sizeof h);
    h.type = AD_MATCH_PDQ;
    h.npdq = 8;
    h.radius = 31;
    for (int v = 0; v < 8; v++)
        for (int i = 0; i < 32; i++)
            h.pdq[v].b[i] = (uint8_t)(0x55 ^ (v * 29 + i * 3));
    h.pdq[0] = m.pdq; /* every media within 12 bits of the original form */
    h.pdq[5] = m.pdq; /* and nearer (0 or 1 bit off byte 3) through the 6th for some */
    h.pdq[5].b[3] ^= 0x0f;
    ad_live_hits out = {0};
    assert_int_equal(match(lv, f->platform, &h, &out), N + 1); /* m itself too */
    for (int i = 0; i < N; i++) {
        int seen = 0;
        int d0 = __builtin_popcount((unsigned)(i + 1)) + (i % 3 == 0 ? 4 : 0);
        int d5 = __builtin_popcount((unsigned)(i + 1)) + (i % 3 == 0 ? 0 : 4);
        for (size_t k = 0; k < out.n; k++)
            if (out.v[k].media_id == ids[i]) {
                seen++;
                assert_int_equal(out.v[k].distance, d0 < d5 ? d0 : d5);
                assert_int_equal(out.v[k].variant, d5 < d0 ? 5 : 0);
            }
        assert_int_equal(seen, 1);
    }
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

/* The answer as text (ad_svc_match_text, written without a JSON tree): valid JSON whatever a
 * list's name holds, each hit under its own list's name, in request order. */
static void t_svc_match_text(void **state)
{
    fixture *f = F(state);
    static const char odd[] = "a \"quoted\" \\ list \xc3\xa9\x01/";
    int64_t list2 = add_list(f->w, odd, f->police);
    OK(ad_store_list_add(f->w, list2, &f->m1, 1, E));
    OK(ad_store_list_grant(f->w, list2, f->platform, E));
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_media m, u;
    make_media(&m, 1);
    make_media(&u, 99);
    ad_match_hash v[3];
    v[0] = digest_q(AD_MATCH_SHA256, &m);
    v[1] = digest_q(AD_MATCH_MD5, &u); /* unknown */
    memset(&v[2], 0, sizeof v[2]);
    v[2].type = AD_MATCH_PDQ;
    v[2].npdq = 1;
    v[2].pdq[0] = m.pdq;
    v[2].radius = 31;
    ad_match_request r = {v, 3};
    ad_identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.user, sizeof id.user, "plat");
    id.agency_id = f->platform;
    id.role = AD_ROLE_PLATFORM;
    ad_call c = {f->r, lv, &id, NULL};
    for (int round = 0; round < 2; round++) { /* the second with the names kept from the first */
        char *text;
        size_t len;
        OK(ad_svc_match_text(&c, &r, &text, &len, E));
        json_error_t je;
        json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
            fail_msg("%.*s: %s", (int)len, text, je.text);
        json_t *res = json_object_get(doc, "results");
        assert_int_equal(json_array_size(res), 3);
        assert_int_equal(json_array_size(json_object_get(json_array_get(res, 1), "matches")), 0);
        for (size_t i = 0; i < 3; i += 2) {
            json_t *ms = json_object_get(json_array_get(res, i), "matches");
            assert_int_equal(json_array_size(ms), 2);
            for (size_t k = 0; k < 2; k++) {
                json_t *hit = json_array_get(ms, k);
                int64_t l = k == 0 ? (f->list < list2 ? f->list : list2)
                                   : (f->list < list2 ? list2 : f->list);
                char entry[48];
                snprintf(entry, sizeof entry, "%lld:%lld", (long long)l, (long long)f->m1);
                assert_string_equal(json_string_value(json_object_get(hit, "list")),
                                    l == list2 ? odd : "known");
                assert_string_equal(json_string_value(json_object_get(hit, "entry")), entry);
                assert_int_equal(json_integer_value(json_object_get(hit, "distance")), 0);
                if (i == 0)
                    assert_true(json_is_null(json_object_get(hit, "variant")));
                else
                    assert_string_equal(json_string_value(json_object_get(hit, "variant")), "orig");
            }
        }
        json_decref(doc);
        free(text);
    }
    ad_live_free(lv);
}

/* Writes by another connection are found after a follow round, and only then. */
static void t_follow(void **state)
{
    fixture *f = F(state);
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_live_hits out = {0};
    ad_media m2;
    make_media(&m2, 2);
    int64_t id2 = add_media(f->w, 2);
    OK(ad_store_list_add(f->w, f->list, &id2, 1, E));
    ad_match_hash h = digest_q(AD_MATCH_MD5, &m2);
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    size_t applied = 0;
    OK(ad_live_follow(lv, f->r, &applied, E));
    assert_true(applied >= 2);
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    assert_int_equal(out.v[0].media_id, id2);
    /* idempotent: nothing new, nothing doubled */
    OK(ad_live_follow(lv, f->r, &applied, E));
    assert_int_equal(applied, 0);
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.entries, 2);
    assert_int_equal(s.pdq, 2);
    assert_int_equal(s.digests, 6);
    /* a video with frames, in the list: vPDQ */
    ad_media v;
    make_media(&v, 3);
    v.has_pdq = 0;
    int64_t vid = 0;
    OK(ad_store_media_upsert(f->w, &v, &vid, NULL, E));
    ad_frame fr[4];
    ad_h256 q[4];
    int qual[4];
    for (int i = 0; i < 4; i++) {
        memset(&fr[i], 0, sizeof fr[i]);
        fr[i].media_id = vid;
        fr[i].frame = i;
        fr[i].quality = 100;
        for (int b = 0; b < 32; b++)
            fr[i].pdq.b[b] = (uint8_t)(i * 71 + b * 13 + 5);
        q[i] = fr[i].pdq;
        qual[i] = 100;
    }
    OK(ad_store_frame_add_batch(f->w, fr, 4, E));
    OK(ad_store_list_add(f->w, f->list, &vid, 1, E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    ad_match_hash vq;
    memset(&vq, 0, sizeof vq);
    vq.type = AD_MATCH_VPDQ;
    vq.frames = q;
    vq.quality = qual;
    vq.nframes = 2; /* two of its frames, both found: 100% */
    vq.radius = 31;
    vq.min_pct = 80;
    assert_int_equal(match(lv, f->platform, &vq, &out), 1);
    assert_int_equal(out.v[0].media_id, vid);
    assert_int_equal(out.v[0].frames, 2);
    assert_int_equal(out.v[0].used, 2);
    /* a query of 4 frames, 2 of them unknown: 50% < 80% */
    for (int b = 0; b < 32; b++)
        q[2].b[b] = q[3].b[b] = (uint8_t)~q[0].b[b];
    q[3].b[0] ^= 0x0f;
    vq.nframes = 4;
    assert_int_equal(match(lv, f->platform, &vq, &out), 0);
    vq.min_pct = 50;
    assert_int_equal(match(lv, f->platform, &vq, &out), 1);
    /* the grant revoked: nothing; granted to the other platform: found there */
    OK(ad_store_list_revoke(f->w, f->list, f->platform, E));
    OK(ad_store_list_grant(f->w, f->list, f->other, E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    assert_int_equal(match(lv, f->other, &h, &out), 1);
    /* a new list, granted: its name and owner known */
    int64_t l2 = add_list(f->w, "second", f->police);
    OK(ad_store_list_add(f->w, l2, &id2, 1, E));
    OK(ad_store_list_grant(f->w, l2, f->other, E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    assert_int_equal(match(lv, f->other, &h, &out), 2);
    assert_int_equal(out.v[0].list_id, f->list);
    assert_int_equal(out.v[1].list_id, l2);
    char name[64];
    int64_t owner = 0;
    assert_true(ad_live_list(lv, l2, name, sizeof name, &owner));
    assert_string_equal(name, "second");
    assert_int_equal(owner, f->police);
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

/* The extra hashes (trimmed and area PDQs, schema 9) written while the server runs are followed
 * (schema 18's index log rows): a picture with black bars ingested after the live index was
 * loaded is found by the plain PDQ of the picture without them, its trimmed PDQ's match; once
 * followed they are in a snapshot, a fresh load holds as many entries, and replaying the whole
 * log (as after a load that raced a writer) adds none twice. */
static int replay(void *ctx, const ad_ixchange *c)
{
    ad_ixchange copy = *c;
    copy.name = c->name ? c->name : "";
    return ad_live_apply(ctx, &copy, NULL) != AD_OK;
}

static size_t entries(ad_live *lv) /* of the PDQ index, extra hashes included */
{
    return ad_index_size(ad_lookup_index_get(ad_live_index(lv)));
}

static void t_extra_follow(void **state)
{
    fixture *f = F(state);
    const char *dir = td_tmpdir("test_live_extra");
    char orig[1024], bordered[1024], cmd[4096], snap[1200];
    snprintf(orig, sizeof orig, "%s", td_path("vectors/pdq/data/reg-test-input/dih/bridge-1-original.jpg"));
    snprintf(bordered, sizeof bordered, "%s/seizure", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && /usr/bin/convert '%s' -bordercolor black"
             " -border 0x160 '%s/bridge-bars.jpg'", bordered, bordered, orig, bordered);
    assert_int_equal(system(cmd), 0);
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_live_stats before;
    ad_live_stats_get(lv, &before);
    const size_t ebefore = entries(lv);
    /* ingest, as another process would while the server runs */
    ad_ingest_opts o;
    ad_ingest_opts_default(&o);
    o.case_number = "C-extra";
    o.agency = "hotline";
    o.features = 0;
    o.threads = 1;
    const char *root = bordered;
    OK(ad_ingest(f->w, &root, 1, &o, NULL, E));
    ad_hasher *hs;
    OK(ad_hasher_new(&hs, NULL, E));
    ad_file_hash fb, fo;
    snprintf(cmd, sizeof cmd, "%s/bridge-bars.jpg", bordered);
    OK(ad_hasher_file(hs, cmd, &fb, E));
    OK(ad_hasher_file(hs, orig, &fo, E));
    ad_hasher_free(hs);
    assert_true(ad_h256_distance(&fb.pdq.hash, &fo.pdq.hash) > 31); /* the bars hide it */
    int64_t mid = 0;
    OK(ad_store_media_find(f->w, AD_HASH_SHA256, fb.digests.sha256, &mid, E));
    OK(ad_store_list_add(f->w, f->list, &mid, 1, E));
    ad_match_hash h;
    memset(&h, 0, sizeof h);
    h.type = AD_MATCH_PDQ;
    h.npdq = 1;
    h.pdq[0] = fo.pdq.hash;
    h.radius = 31;
    ad_live_hits out = {0};
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    OK(ad_live_follow(lv, f->r, NULL, E));
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    assert_int_equal(out.v[0].media_id, mid);
    ad_live_stats s, fresh_s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.pdq, before.pdq + 1); /* its plain PDQ; the trimmed and area beside */
    assert_int_equal(entries(lv), ebefore + 3);
    /* replaying the whole log doubles nothing */
    OK(ad_store_index_changes(f->r, 0, 1000000, replay, lv, E));
    assert_int_equal(entries(lv), ebefore + 3);
    ad_live *fresh;
    OK(ad_live_load(f->r, NULL, &fresh, E));
    ad_live_stats_get(fresh, &fresh_s);
    assert_int_equal(fresh_s.pdq, s.pdq);
    assert_int_equal(entries(fresh), entries(lv));
    ad_live_free(fresh);
    /* in the snapshot */
    snprintf(snap, sizeof snap, "%s/live.snap", dir);
    OK(ad_live_snapshot_save(lv, f->r, snap, E));
    ad_live_free(lv);
    OK(ad_live_load_snapshot(f->r, NULL, snap, NULL, &lv, E));
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    assert_int_equal(out.v[0].media_id, mid);
    ad_live_stats_get(lv, &fresh_s);
    assert_int_equal(fresh_s.pdq, s.pdq);
    assert_int_equal(entries(lv), ebefore + 3);
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

/* Entries held in the store are left out; released, they match again. */
static void t_held(void **state)
{
    fixture *f = F(state);
    OK(ad_store_entry_hold(f->w, f->list, f->m1, "test", E));
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    ad_media m;
    make_media(&m, 1);
    ad_match_hash h = digest_q(AD_MATCH_SHA256, &m);
    ad_live_hits out = {0};
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    int held = 0;
    assert_true(ad_live_entry(lv, f->list, f->m1, &held));
    assert_true(held);
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.held, 1);
    OK(ad_store_entry_release(f->w, f->list, f->m1, E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    assert_int_equal(match(lv, f->platform, &h, &out), 1);
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.held, 0);
    ad_err e;
    assert_int_equal(ad_store_entry_release(f->w, f->list, f->m1, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_entry_hold(f->w, f->list, f->m1, "again", E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    assert_int_equal(match(lv, f->platform, &h, &out), 0);
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

/* The hold rule: more than hold_min matches in a window and more than hold_factor times the
 * entry's baseline hold it back at once; an entry with a high baseline is not held. */
static void t_hold_rule(void **state)
{
    fixture *f = F(state);
    ad_live_opts o;
    ad_live_opts_default(&o);
    o.hold_window_s = 100;
    o.hold_min = 3;
    o.hold_factor = 2;
    o.clock = fake_clock;
    fake_now = 1000000;
    ad_live *lv;
    OK(ad_live_load(f->r, &o, &lv, E));
    ad_media m;
    make_media(&m, 1);
    ad_match_hash h = digest_q(AD_MATCH_MD5, &m);
    ad_live_hits out = {0}, held = {0};
    for (int i = 0; i < 3; i++) {
        OK(ad_live_match(lv, f->platform, &h, &out, &held, E));
        assert_int_equal(out.n, 1);
        assert_int_equal(held.n, 0);
    }
    /* the 4th match in the window: over hold_min, over 2 x a baseline of 0 */
    OK(ad_live_match(lv, f->platform, &h, &out, &held, E));
    assert_int_equal(out.n, 0);
    assert_int_equal(held.n, 1);
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.held, 1);
    assert_int_equal(held.v[0].list_id, f->list);
    assert_int_equal(held.v[0].media_id, f->m1);
    held.n = 0;
    OK(ad_live_match(lv, f->platform, &h, &out, &held, E));
    assert_int_equal(out.n, 0);
    assert_int_equal(held.n, 0); /* already held: not newly */
    /* the caller records it; the owner releases it: its rate becomes its baseline (4) */
    OK(ad_store_entry_hold(f->w, f->list, f->m1, "rate", E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    OK(ad_store_entry_release(f->w, f->list, f->m1, E));
    OK(ad_live_follow(lv, f->r, NULL, E));
    /* a steady 6 a window for a while raises the baseline; 8 a window is then no spike */
    for (int w = 1; w <= 12; w++) {
        fake_now += 100;
        for (int i = 0; i < (w < 12 ? 6 : 8); i++) {
            OK(ad_live_match(lv, f->platform, &h, &out, &held, E));
            assert_int_equal(out.n, 1);
        }
    }
    assert_int_equal(held.n, 0);
    /* a sudden 40 in one window is */
    fake_now += 100;
    int got = 0;
    for (int i = 0; i < 40; i++) {
        OK(ad_live_match(lv, f->platform, &h, &out, &held, E));
        got += (int)out.n;
    }
    assert_int_equal(held.n, 1);
    assert_true(got > 8 && got < 40);
    ad_live_hits_free(&out);
    ad_live_hits_free(&held);
    ad_live_free(lv);
}

/* The follower thread finds another connection's write on its own. */
static void t_follow_thread(void **state)
{
    fixture *f = F(state);
    ad_live *lv;
    OK(ad_live_load(f->r, NULL, &lv, E));
    OK(ad_live_follow_start(lv, f->db.url, 50, E));
    int64_t id = add_media(f->w, 7);
    OK(ad_store_list_add(f->w, f->list, &id, 1, E));
    ad_media m;
    make_media(&m, 7);
    ad_match_hash h = digest_q(AD_MATCH_SHA1, &m);
    ad_live_hits out = {0};
    double end = ad_now() + 10;
    while (ad_now() < end && match(lv, f->platform, &h, &out) == 0) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(out.n, 1);
    ad_live_stats s;
    ad_live_stats_get(lv, &s);
    assert_int_equal(s.follow_error, AD_OK);
    assert_true(s.follows > 0);
    ad_live_follow_stop(lv);
    ad_live_hits_free(&out);
    ad_live_free(lv);
}

static int on_review(void *ctx, const ad_entry_review *r)
{
    *(ad_entry_review *)ctx = *r;
    ((ad_entry_review *)ctx)->reason = NULL;
    return 0;
}

/* The service: a platform's request parsed and matched; the hold rule's hold recorded in the
 * store (the review shows it, a fresh index leaves the entry out); other roles refused. */
static void t_svc_match(void **state)
{
    fixture *f = F(state);
    ad_live_opts o;
    ad_live_opts_default(&o);
    o.hold_min = 2;
    o.hold_factor = 10;
    ad_live *lv;
    OK(ad_live_load(f->r, &o, &lv, E));
    ad_media m;
    make_media(&m, 1);
    char md5[33], body[256];
    ad_hex_encode(m.md5, 16, md5);
    snprintf(body, sizeof body, "{\"hashes\": [{\"type\": \"md5\", \"value\": \"%s\"}]}", md5);
    json_t *req = json_loads(body, 0, NULL);
    ad_match_request r;
    OK(ad_match_request_parse(req, &r, E));
    assert_int_equal(r.n, 1);
    ad_identity id;
    memset(&id, 0, sizeof id);
    id.user_id = 1;
    snprintf(id.user, sizeof id.user, "plat");
    id.agency_id = f->platform;
    id.role = AD_ROLE_PLATFORM;
    ad_call c = {f->r, lv, &id, NULL};
    json_t *out = NULL;
    for (int i = 0; i < 2; i++) {
        OK(ad_svc_match(&c, &r, &out, E));
        json_t *hit = json_array_get(
            json_object_get(json_array_get(json_object_get(out, "results"), 0), "matches"), 0);
        assert_non_null(hit);
        assert_string_equal(json_string_value(json_object_get(hit, "list")), "known");
        assert_int_equal(json_object_size(hit), 4); /* list, entry, distance, variant */
        json_decref(out);
    }
    /* the 3rd match in the hour: held back, recorded */
    OK(ad_svc_match(&c, &r, &out, E));
    assert_int_equal(json_array_size(json_object_get(
                         json_array_get(json_object_get(out, "results"), 0), "matches")),
                     0);
    json_decref(out);
    ad_entry_review rv;
    memset(&rv, 0, sizeof rv);
    OK(ad_store_entry_review(f->w, f->list, on_review, &rv, E));
    assert_int_equal(rv.media_id, f->m1);
    assert_true(rv.held);
    ad_live *lv2;
    OK(ad_live_load(f->r, NULL, &lv2, E));
    int held = 0;
    assert_true(ad_live_entry(lv2, f->list, f->m1, &held));
    assert_true(held);
    ad_live_free(lv2);
    /* an investigator may not match */
    id.role = AD_ROLE_INVESTIGATOR;
    ad_err e;
    assert_int_equal(ad_svc_match(&c, &r, &out, &e), AD_ERR_PERM);
    ad_match_request_free(&r);
    json_decref(req);
    /* bad requests name the member at fault */
    static const char *const bad[] = {
        "{\"hashes\": [{\"type\": \"md5\", \"value\": \"abc\"}]}",
        "{\"hashes\": [{\"type\": \"pdq\", \"value\": \"00\", \"dihedral\": []}]}",
        "{\"hashes\": [{\"type\": \"sha1\", \"value\": \"00\", \"radius\": 3}]}",
        "{\"hashes\": [{\"type\": \"vpdq\", \"frames\": [{\"pdq\": \"00\"}]}]}",
        "{\"hashes\": []}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req = json_loads(bad[i], 0, NULL);
        assert_non_null(req);
        assert_int_equal(ad_match_request_parse(req, &r, &e), AD_ERR_ARG);
        assert_true(!strncmp(e.field, "/hashes", 7));
        json_decref(req);
    }
    ad_live_free(lv);
}

struct reader {
    ad_live *lv;
    int64_t agency;
    int bad;
};

static void *read_loop(void *p)
{
    struct reader *r = p;
    ad_media m;
    make_media(&m, 1);
    ad_live_hits out = {0}, held = {0};
    for (int i = 0; i < 1500; i++) {
        ad_match_hash h = digest_q(i % 2 ? AD_MATCH_MD5 : AD_MATCH_SHA256, &m);
        ad_err e;
        if (ad_live_match(r->lv, r->agency, &h, &out, &held, &e) != AD_OK || out.n != 1)
            r->bad++;
        ad_live_stats s;
        ad_live_stats_get(r->lv, &s);
    }
    ad_live_hits_free(&out);
    ad_live_hits_free(&held);
    return NULL;
}

/* Readers match while the follower applies another connection's writes (for ThreadSanitizer:
 * the read lock, the rate counters, the statistics). */
static void t_concurrent(void **state)
{
    fixture *f = F(state);
    ad_live_opts o;
    ad_live_opts_default(&o);
    o.hold_min = 1000000000;
    ad_live *lv;
    OK(ad_live_load(f->r, &o, &lv, E));
    OK(ad_live_follow_start(lv, f->db.url, 5, E));
    struct reader r[2] = {{lv, f->platform, 0}, {lv, f->platform, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, read_loop, &r[i]);
    for (int k = 0; k < 20; k++) {
        int64_t id = add_media(f->w, 100 + k);
        OK(ad_store_list_add(f->w, f->list, &id, 1, E));
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(r[0].bad + r[1].bad, 0);
    ad_live_stats s;
    double end = ad_now() + 10;
    do {
        ad_live_stats_get(lv, &s);
    } while (s.entries < 21 && ad_now() < end);
    assert_int_equal(s.entries, 21);
    ad_live_follow_stop(lv);
    ad_live_free(lv);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(t_load_match), BOTH(t_batch),          BOTH(t_follow),    BOTH(t_held),
        BOTH(t_hold_rule),  BOTH(t_follow_thread),  BOTH(t_svc_match), BOTH(t_concurrent),
        BOTH(t_many_found), BOTH(t_svc_match_text), BOTH(t_extra_follow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
