/* test_store.c: the store's records and rules, run with the same code against SQLite and, when
 * AD_TEST_PG names a server, PostgreSQL (each test in a fresh database). */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/store.h"
#include "ariadne/util.h"
#include "testutil.h"

typedef struct {
    int pg;
    char url[4200];
    char dbname[64];
    td_db db;
    ad_store *st;
} fixture;

static int setup(void **state, int pg)
{
    fixture *f = calloc(1, sizeof *f);
    int k = td_db_create(&f->db, pg, "test_store");
    if (k) {
        free(f);
        *state = NULL;
        return k > 0 ? 0 : -1;
    }
    f->pg = pg;
    snprintf(f->url, sizeof f->url, "%s", f->db.url);
    snprintf(f->dbname, sizeof f->dbname, "%s", f->db.dbname);
    ad_err e;
    if (ad_store_open(&f->st, f->url, AD_STORE_CREATE, &e) != AD_OK) {
        fprintf(stderr, "open %s: %s\n", f->url, e.msg);
        return -1;
    }
    ad_store_set_actor(f->st, "tester", 0);
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
    ad_store_close(f->st);
    td_db_drop(&f->db);
    free(f);
    return 0;
}

/* Skips (PostgreSQL without a server) or gives the store. */
static ad_store *S(void **state)
{
    if (!*state)
        skip();
    return ((fixture *)*state)->st;
}

#define OK(x)                                                                                      \
    do {                                                                                           \
        ad_err e_ = {0};                                                                           \
        ad_code c_ = (x);                                                                          \
        if (c_ != AD_OK)                                                                           \
            fail_msg("%s: %s (%s)", #x, e_.msg, ad_code_name(c_));                                 \
    } while (0)
/* Calls needing the error variable get it as `E`. */
#define E (&e_)

static int64_t add_agency(ad_store *st, const char *name)
{
    ad_agency a = {.name = name, .country = "FR", .kind = "police"};
    int64_t id = 0;
    OK(ad_store_agency_add(st, &a, &id, E));
    return id;
}

static int64_t add_md5(ad_store *st, const char *hex)
{
    ad_media m;
    ad_media_init(&m);
    int64_t id = 0;
    OK(ad_media_set_hash_hex(&m, hex, 0, E));
    OK(ad_store_media_upsert(st, &m, &id, NULL, E));
    return id;
}

static void t_open(void **state)
{
    ad_store *st = S(state);
    int v = 0;
    OK(ad_store_schema_version(st, &v, E));
    assert_int_equal(v, AD_STORE_SCHEMA_VERSION);
    ad_store *none;
    ad_err e;
    char path[4200];
    snprintf(path, sizeof path, "sqlite:%s/missing/none.db", td_tmpdir("test_store_missing"));
    assert_int_equal(ad_store_open(&none, path, 0, &e), AD_ERR_NOT_FOUND);
    /* reopen: nothing to migrate */
    ad_store *again;
    OK(ad_store_open(&again, ((fixture *)*state)->url, 0, E));
    ad_store_close(again);
}

static int64_t g_auth_user;
static int on_auth(void *ctx, const ad_user *u)
{
    (void)ctx;
    g_auth_user = u->id;
    return 0;
}

static void t_agency_user(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Police A"), found;
    ad_agency dup = {.name = "Police A", .kind = "police"};
    ad_err e;
    assert_int_equal(ad_store_agency_add(st, &dup, NULL, &e), AD_ERR_EXISTS);
    ad_agency bad = {.name = "X", .kind = "army"};
    assert_int_equal(ad_store_agency_add(st, &bad, NULL, &e), AD_ERR_ARG);
    OK(ad_store_agency_find(st, "Police A", &found, E));
    assert_int_equal(found, a);
    char key[AD_API_KEY_MAX], key2[AD_API_KEY_MAX];
    int64_t u;
    OK(ad_store_user_add(st, a, "alice", AD_ROLE_INVESTIGATOR, &u, key, E));
    assert_int_equal(strncmp(key, "ak_", 3), 0);
    assert_int_equal(ad_store_user_add(st, a, "alice", AD_ROLE_ANALYST, NULL, key2, &e),
                     AD_ERR_EXISTS);
    assert_int_equal(ad_store_user_add(st, 999, "bob", AD_ROLE_ANALYST, NULL, key2, &e),
                     AD_ERR_NOT_FOUND);
    g_auth_user = 0;
    OK(ad_store_user_auth(st, key, on_auth, NULL, E));
    assert_int_equal(g_auth_user, u);
    char wrong[AD_API_KEY_MAX];
    snprintf(wrong, sizeof wrong, "%s", key);
    wrong[strlen(wrong) - 1] = wrong[strlen(wrong) - 1] == '0' ? '1' : '0';
    assert_int_equal(ad_store_user_auth(st, wrong, NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_user_auth(st, "nonsense", NULL, NULL, &e), AD_ERR_PERM);
    /* the server's check: same answers, and no audit row, failed or not */
    int64_t seq0, seq1;
    uint8_t head[32];
    OK(ad_store_audit_head(st, &seq0, head, E));
    g_auth_user = 0;
    OK(ad_store_user_key_check(st, key, on_auth, NULL, E));
    assert_int_equal(g_auth_user, u);
    assert_int_equal(ad_store_user_key_check(st, wrong, NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_user_key_check(st, "ak_nonsense", NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_user_key_check(st, NULL, NULL, NULL, &e), AD_ERR_PERM);
    OK(ad_store_audit_head(st, &seq1, head, E));
    assert_int_equal(seq1, seq0);
    OK(ad_store_user_revoke(st, u, E));
    assert_int_equal(ad_store_user_auth(st, key, NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_user_key_check(st, key, NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_user_revoke(st, u, &e), AD_ERR_NOT_FOUND);
    ad_role r;
    assert_int_equal(ad_role_parse("king", &r, &e), AD_ERR_ARG);
}

#define MD5A "c74b85d5c8ad19aa21a24dfd8e2769c8"
#define MD5B "00112233445566778899aabbccddeeff"
#define SHA256A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256B "a3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA1A "e0b2bea81397865b7b7f76244027df3a8a01185f"
#define PDQA "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

static ad_media g_got;
static char g_mime[64];
static int on_media(void *ctx, const ad_media *m)
{
    (void)ctx;
    g_got = *m;
    snprintf(g_mime, sizeof g_mime, "%s", m->mime ? m->mime : "");
    return 0;
}

static void t_media_merge(void **state)
{
    ad_store *st = S(state);
    int64_t id1 = add_md5(st, MD5A), id2, id3, f;
    /* the same content with more digests merges */
    ad_media m;
    ad_media_init(&m);
    OK(ad_media_set_hash_hex(&m, MD5A, 0, E));
    OK(ad_media_set_hash_hex(&m, SHA256A, 0, E));
    OK(ad_media_set_hash_hex(&m, SHA1A, 0, E));
    OK(ad_media_set_hash_hex(&m, PDQA, 1, E));
    m.pdq_quality = 90;
    m.size = 19;
    m.mime = "image/jpeg";
    m.width = 640;
    m.height = 480;
    m.flags = AD_MEDIA_DISTRIBUTED;
    int created = -1;
    OK(ad_store_media_upsert(st, &m, &id2, &created, E));
    assert_int_equal(id1, id2);
    assert_int_equal(created, 0);
    /* merge never overwrites a known field; flags accumulate */
    ad_media m2;
    ad_media_init(&m2);
    OK(ad_media_set_hash_hex(&m2, SHA256A, 0, E));
    m2.mime = "image/png";
    m2.flags = AD_MEDIA_BASELINE;
    OK(ad_store_media_upsert(st, &m2, &id3, NULL, E));
    assert_int_equal(id3, id1);
    OK(ad_store_media_get(st, id1, on_media, NULL, E));
    assert_string_equal(g_mime, "image/jpeg");
    assert_int_equal(g_got.flags, AD_MEDIA_DISTRIBUTED | AD_MEDIA_BASELINE);
    assert_int_equal(g_got.width, 640);
    assert_int_equal(g_got.pdq_quality, 90);
    assert_int_equal(g_got.size, 19);
    assert_true(g_got.has_md5 && g_got.has_sha1 && g_got.has_sha256 && g_got.has_pdq);
    /* any of the four hash kinds finds it */
    const char *hexes[] = {MD5A, SHA1A, SHA256A, PDQA};
    for (int i = 0; i < 4; i++) {
        OK(ad_store_media_find_hex(st, hexes[i], &f, E));
        assert_int_equal(f, id1);
    }
    ad_err e;
    assert_int_equal(ad_store_media_find_hex(st, MD5B, &f, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_media_find_hex(st, "xyz", &f, &e), AD_ERR_PARSE);
    /* same MD5 but another SHA-256: another content (a collision), not merged */
    ad_media c;
    ad_media_init(&c);
    OK(ad_media_set_hash_hex(&c, MD5A, 0, E));
    OK(ad_media_set_hash_hex(&c, SHA256B, 0, E));
    int64_t idc;
    OK(ad_store_media_upsert(st, &c, &idc, &created, E));
    assert_int_not_equal(idc, id1);
    assert_int_equal(created, 1);
    ad_media empty;
    ad_media_init(&empty);
    assert_int_equal(ad_store_media_upsert(st, &empty, &idc, NULL, &e), AD_ERR_ARG);
}

static int count_cb(void *ctx, const ad_media *m)
{
    (void)m;
    ++*(int *)ctx;
    return 0;
}

static int on_list(void *ctx, const ad_list *l)
{
    assert_string_equal(l->name, "baseline-test");
    ++*(int *)ctx;
    return 0;
}

static void t_batch_list(void **state)
{
    ad_store *st = S(state);
    enum { N = 700 };
    ad_media *m = calloc(N, sizeof *m);
    int64_t *ids = calloc(N, sizeof *ids), *back = calloc(N, sizeof *back);
    uint8_t *digests = calloc(N + 1, 16);
    for (int i = 0; i < N; i++) {
        ad_media_init(&m[i]);
        m[i].has_md5 = 1;
        for (int k = 0; k < 16; k++)
            m[i].md5[k] = (uint8_t)(i * 7 + k * 13 + (k == 0 ? i >> 8 : 0));
        memcpy(digests + 16 * i, m[i].md5, 16);
    }
    memset(digests + 16 * N, 0xee, 16);
    OK(ad_store_media_upsert_batch(st, m, N, ids, E));
    /* again: same ids, nothing new */
    OK(ad_store_media_upsert_batch(st, m, N, back, E));
    assert_memory_equal(ids, back, N * sizeof *ids);
    int64_t count;
    OK(ad_store_media_count(st, &count, E));
    assert_int_equal(count, N);
    size_t found;
    int64_t *look = calloc(N + 1, sizeof *look);
    OK(ad_store_media_find_batch(st, AD_HASH_MD5, digests, N + 1, look, &found, E));
    assert_int_equal(found, N);
    assert_memory_equal(look, ids, N * sizeof *ids);
    assert_int_equal(look[N], 0);
    ad_list l = {.name = "baseline-test", .source = "unit test v1"};
    int64_t lid, lid2;
    OK(ad_store_list_ensure(st, &l, &lid, E));
    OK(ad_store_list_ensure(st, &l, &lid2, E));
    assert_int_equal(lid, lid2);
    OK(ad_store_list_add(st, lid, ids, 300, E));
    OK(ad_store_list_add(st, lid, ids, 300, E)); /* duplicates ignored */
    int n = 0;
    OK(ad_store_media_iter(st, lid, 0, count_cb, &n, E));
    assert_int_equal(n, 300);
    n = 0;
    OK(ad_store_media_lists(st, ids[0], on_list, &n, E));
    assert_int_equal(n, 1);
    n = 0;
    OK(ad_store_media_lists(st, ids[N - 1], on_list, &n, E));
    assert_int_equal(n, 0);
    n = 0;
    OK(ad_store_list_list(st, on_list, &n, E));
    assert_int_equal(n, 1);
    /* a batch that fails half way (a missing media) leaves nothing behind */
    ad_err e;
    int64_t some[3] = {ids[400], 987654321, ids[401]};
    assert_int_equal(ad_store_list_add(st, lid, some, 3, &e), AD_ERR_NOT_FOUND);
    n = 0;
    OK(ad_store_media_iter(st, lid, 0, count_cb, &n, E));
    assert_int_equal(n, 300);
    /* and the store works on after it */
    OK(ad_store_list_add(st, lid, some, 1, E));
    n = 0;
    OK(ad_store_media_iter(st, lid, 0, count_cb, &n, E));
    assert_int_equal(n, 301);
    n = 0;
    OK(ad_store_media_iter(st, 0, 0, count_cb, &n, E));
    assert_int_equal(n, N);
    free(m);
    free(ids);
    free(back);
    free(digests);
    free(look);
}

/* A batch merges exactly as the same records upserted one by one would. */
static void t_batch_merge(void **state)
{
    ad_store *st = S(state);
    int64_t old_md5 = add_md5(st, MD5B), f;
    ad_media m[6];
    for (int i = 0; i < 6; i++)
        ad_media_init(&m[i]);
    OK(ad_media_set_hash_hex(&m[0], MD5A, 0, E)); /* new */
    OK(ad_media_set_hash_hex(&m[1], MD5A, 0, E)); /* the same again, inside the batch */
    OK(ad_media_set_hash_hex(&m[1], SHA256A, 0, E));
    OK(ad_media_set_hash_hex(&m[2], SHA256A, 0, E)); /* reaches m[1] by SHA-256 */
    m[2].size = 77;
    OK(ad_media_set_hash_hex(&m[3], MD5B, 0, E)); /* existing row, gains SHA-1 */
    OK(ad_media_set_hash_hex(&m[3], SHA1A, 0, E));
    m[3].flags = AD_MEDIA_BASELINE;
    OK(ad_media_set_hash_hex(&m[4], PDQA, 1, E)); /* PDQ only: new */
    OK(ad_media_set_hash_hex(&m[5], MD5B, 0, E)); /* reaches the MD5-only row, adds SHA-256 */
    OK(ad_media_set_hash_hex(&m[5], SHA256B, 0, E));
    int64_t ids[6];
    OK(ad_store_media_upsert_batch(st, m, 6, ids, E));
    assert_int_equal(ids[0], ids[1]);
    assert_int_equal(ids[1], ids[2]);
    assert_int_equal(ids[3], old_md5);
    assert_int_not_equal(ids[4], ids[0]);
    assert_int_equal(ids[5], old_md5);
    int64_t count;
    OK(ad_store_media_count(st, &count, E));
    assert_int_equal(count, 3);
    OK(ad_store_media_find_hex(st, SHA1A, &f, E));
    assert_int_equal(f, old_md5);
    OK(ad_store_media_get(st, ids[2], on_media, NULL, E));
    assert_int_equal(g_got.size, 77);
    assert_true(g_got.has_md5 && g_got.has_sha256);
    OK(ad_store_media_get(st, old_md5, on_media, NULL, E));
    assert_int_equal(g_got.flags, AD_MEDIA_BASELINE);
    /* again: nothing new, the same ids */
    int64_t again[6];
    OK(ad_store_media_upsert_batch(st, m, 6, again, E));
    assert_memory_equal(ids, again, sizeof ids);
    OK(ad_store_media_count(st, &count, E));
    assert_int_equal(count, 3);
    /* the same MD5 with another SHA-256 than the row's is another content (a collision) */
    ad_media two[2];
    ad_media_init(&two[0]);
    ad_media_init(&two[1]);
    OK(ad_media_set_hash_hex(&two[0], MD5B, 0, E));
    OK(ad_media_set_hash_hex(
        &two[0], "b3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0, E));
    OK(ad_media_set_hash_hex(&two[1], SHA1A, 0, E));
    OK(ad_store_media_upsert_batch(st, two, 2, again, E));
    assert_int_not_equal(again[0], old_md5);
    assert_int_equal(again[1], old_md5);
    OK(ad_store_media_count(st, &count, E));
    assert_int_equal(count, 4);
}

static ad_class classify(ad_store *st, int64_t id, ad_classification *c)
{
    OK(ad_store_classify(st, id, c, E));
    return c->cls;
}

static void t_classify(void **state)
{
    ad_store *st = S(state);
    int64_t owner = add_agency(st, "Owner Unit"), other = add_agency(st, "Other Unit");
    ad_store_set_actor(st, "tester", owner);
    int64_t m1 = add_md5(st, MD5A), m2 = add_md5(st, MD5B), s;
    ad_classification c;
    assert_int_equal(classify(st, 0, &c), AD_CLASS_NEW);
    assert_int_equal(classify(st, 987654, &c), AD_CLASS_NEW);
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNSERIESED);
    ad_series x = {.name = "Blue Room", .contact = "vid@owner.example"};
    OK(ad_store_series_create(st, &x, &s, E));
    OK(ad_store_series_link(st, s, m1, E));
    OK(ad_store_series_link(st, s, m1, E)); /* idempotent */
    int in_series = 0;
    OK(ad_store_media_iter(st, 0, s, count_cb, &in_series, E));
    assert_int_equal(in_series, 1);
    /* a series without victims on record: a child not yet identified */
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    OK(ad_store_person_add(st, AD_VICTIM, "V-1", s, NULL, E));
    OK(ad_store_person_add(st, AD_VICTIM, "V-2", s, NULL, E));
    OK(ad_store_person_add(st, AD_OFFENDER, "O-1", s, NULL, E));
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_string_equal(c.series_name, "Blue Room");
    assert_string_equal(c.owner_agency, "Owner Unit");
    assert_string_equal(c.contact, "vid@owner.example");
    assert_int_equal(c.victims_unidentified, 2);
    OK(ad_store_person_identify(st, AD_VICTIM, "V-1", other, "FR", E));
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    ad_err e;
    assert_int_equal(ad_store_person_identify(st, AD_VICTIM, "V-1", other, "FR", &e),
                     AD_ERR_EXISTS);
    assert_int_equal(ad_store_person_identify(st, AD_VICTIM, "V-9", other, "FR", &e),
                     AD_ERR_NOT_FOUND);
    /* the last unidentified victim identified: the media now reports known-identified */
    OK(ad_store_person_identify(st, AD_VICTIM, "V-2", 0, "DE", E));
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_IDENTIFIED);
    assert_int_equal(c.victims, 2);
    assert_int_equal(c.victims_unidentified, 0);
    /* a new unidentified victim turns it back */
    OK(ad_store_person_add(st, AD_VICTIM, "V-3", s, NULL, E));
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(ad_store_person_add(st, AD_VICTIM, "V-3", s, NULL, &e), AD_ERR_EXISTS);
    assert_int_equal(ad_store_person_add(st, AD_VICTIM, "V-4", 4242, NULL, &e), AD_ERR_NOT_FOUND);
    /* ignorable: a trusted non-pertinent category */
    OK(ad_store_vote(st, m2, "vics-us", "0", "a", E));
    OK(ad_store_vote(st, m2, "vics-us", "0", "b", E));
    assert_int_equal(classify(st, m2, &c), AD_CLASS_KNOWN_UNSERIESED);
    OK(ad_store_vote(st, m2, "vics-us", "0", "c", E));
    assert_int_equal(classify(st, m2, &c), AD_CLASS_IGNORABLE);
}

static int count_ids(void *ctx, int64_t media_id, const uint8_t *sha256)
{
    (void)media_id, (void)sha256;
    ++*(int *)ctx;
    return 0;
}

static int count_series(void *ctx, const ad_series *x)
{
    (void)x;
    ++*(int *)ctx;
    return 0;
}

static int media_count_of(void *ctx, const ad_series *x)
{
    *(int64_t *)ctx = x->media_count;
    return 0;
}

static int count_unlink_audit(void *ctx, const ad_audit_row *r)
{
    *(int *)ctx += !strcmp(r->action, "series.unlink");
    return 0;
}

/* Unlinking a series' media (schema 18): the link stops counting for every reader (media of the
 * series, its count, the media's series and classification, the series' reach); nothing is
 * deleted; unlinking twice is refused; a link made again counts again, and unlinks again. */
static void t_unlink(void **state)
{
    ad_store *st = S(state);
    int64_t owner = add_agency(st, "Owner Unit");
    ad_store_set_actor(st, "tester", owner);
    int64_t m1 = add_md5(st, MD5A), m2 = add_md5(st, MD5B), s, count = 0;
    ad_series x = {.name = "Undone"};
    OK(ad_store_series_create(st, &x, &s, E));
    OK(ad_store_series_link(st, s, m1, E));
    OK(ad_store_series_link(st, s, m2, E));
    ad_classification c;
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    int live = 0, n = 0;
    OK(ad_store_series_linked(st, s, m1, &live, E));
    assert_int_equal(live, 1);
    char g1[AD_GID_MAX], g2[AD_GID_MAX];
    OK(ad_store_series_unlink(st, s, m1, g1, E));
    assert_non_null(strstr(g1, ":unlink:"));
    OK(ad_store_series_linked(st, s, m1, &live, E));
    assert_int_equal(live, 0);
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNSERIESED);
    assert_int_equal(classify(st, m2, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    OK(ad_store_media_iter(st, 0, s, count_cb, &n, E));
    assert_int_equal(n, 1);
    n = 0;
    OK(ad_store_series_media_ids(st, s, 100, count_ids, &n, E));
    assert_int_equal(n, 1);
    n = 0;
    OK(ad_store_media_series(st, m1, count_series, &n, E));
    assert_int_equal(n, 0);
    OK(ad_store_series_get(st, s, media_count_of, &count, E));
    assert_int_equal(count, 1);
    ad_err e;
    assert_int_equal(ad_store_series_unlink(st, s, m1, NULL, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_series_unlink(st, s, 987654, NULL, &e), AD_ERR_NOT_FOUND);
    /* made again: counts again, as a new generation an older unlink does not withdraw */
    OK(ad_store_series_link(st, s, m1, E));
    OK(ad_store_series_linked(st, s, m1, &live, E));
    assert_int_equal(live, 1);
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNIDENTIFIED);
    OK(ad_store_series_get(st, s, media_count_of, &count, E));
    assert_int_equal(count, 2);
    OK(ad_store_series_unlink(st, s, m1, g2, E));
    assert_string_not_equal(g1, g2);
    assert_int_equal(classify(st, m1, &c), AD_CLASS_KNOWN_UNSERIESED);
    /* both unlinks on record (and in the audit); the series' own rows stand */
    int64_t id1 = 0, id2 = 0;
    OK(ad_store_gid_find(st, "unlink", g1, &id1, E));
    OK(ad_store_gid_find(st, "unlink", g2, &id2, E));
    assert_true(id1 > 0 && id2 > id1);
    n = 0;
    OK(ad_store_audit_list(st, 0, 0, count_unlink_audit, &n, E));
    assert_int_equal(n, 2);
}

static int gid_of_code2(void *ctx, const ad_vote *v)
{
    if (strcmp(v->code, "2"))
        return 0;
    snprintf(ctx, AD_GID_MAX, "%s", v->gid);
    return 1;
}

static int count_vote(void *ctx, const ad_vote *v)
{
    (void)v;
    ++*(int64_t *)ctx;
    return 0;
}

static void t_votes(void **state)
{
    ad_store *st = S(state);
    int64_t m = add_md5(st, MD5A);
    char code[16];
    ad_err e;
    assert_int_equal(ad_store_vote(st, m, "vics-us", "7", NULL, &e), AD_ERR_ARG);
    assert_int_equal(ad_store_vote(st, m, "uk", "1", NULL, &e), AD_ERR_ARG);
    assert_int_equal(ad_store_vote(st, 4242, "uk", "A", NULL, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_vote(st, m, "uk", "B", "a", E));
    OK(ad_store_vote(st, m, "uk", "B", "a", E)); /* the same voter twice counts once */
    OK(ad_store_vote(st, m, "uk", "B", "b", E));
    assert_int_equal(ad_store_trusted_category(st, m, "uk", code, sizeof code, &e),
                     AD_ERR_NOT_FOUND);
    /* another scheme's votes are never compared with these */
    OK(ad_store_vote(st, m, "vics-us", "1", "x", E));
    OK(ad_store_vote(st, m, "uk", "B", "c", E));
    OK(ad_store_trusted_category(st, m, "uk", code, sizeof code, E));
    assert_string_equal(code, "B");
    /* never overwritten by later votes */
    OK(ad_store_vote(st, m, "uk", "A", "d", E));
    OK(ad_store_vote(st, m, "uk", "A", "e", E));
    OK(ad_store_vote(st, m, "uk", "A", "f", E));
    OK(ad_store_vote(st, m, "uk", "A", "g", E));
    OK(ad_store_trusted_category(st, m, "uk", code, sizeof code, E));
    assert_string_equal(code, "B");
    /* a dissent blocks trust */
    int64_t m2 = add_md5(st, MD5B);
    OK(ad_store_vote(st, m2, "dhs", "1", "a", E));
    OK(ad_store_vote(st, m2, "dhs", "2", "b", E));
    OK(ad_store_vote(st, m2, "dhs", "1", "c", E));
    OK(ad_store_vote(st, m2, "dhs", "1", "d", E));
    assert_int_equal(ad_store_trusted_category(st, m2, "dhs", code, sizeof code, &e),
                     AD_ERR_NOT_FOUND);
    /* the dissent withdrawn by its voter (undo): a row is added, the vote stays, the three
     * agreeing votes now make the trusted category */
    int64_t vid, wid, wm, n = 0;
    char gid[AD_GID_MAX];
    OK(ad_store_vote_id(st, m2, "dhs", "3", "b", &vid, E)); /* b's second dissent */
    OK(ad_store_gid_get(st, "vote", vid, gid, sizeof gid, E));
    assert_int_equal(ad_store_vote_withdraw(st, gid, "c", NULL, NULL, &e), AD_ERR_PERM);
    assert_int_equal(ad_store_vote_withdraw(st, "x:vote:999", "b", NULL, NULL, &e),
                     AD_ERR_NOT_FOUND);
    OK(ad_store_vote_withdraw(st, gid, "b", &wid, &wm, E));
    assert_int_equal(wm, m2);
    assert_int_equal(ad_store_vote_withdraw(st, gid, "b", NULL, NULL, &e), AD_ERR_EXISTS);
    char wgid[AD_GID_MAX];
    OK(ad_store_gid_get(st, "vote", wid, wgid, sizeof wgid, E));
    assert_int_equal(ad_store_vote_withdraw(st, wgid, "b", NULL, NULL, &e), AD_ERR_ARG);
    /* b's first dissent (dhs 2) still stands */
    assert_int_equal(ad_store_trusted_category(st, m2, "dhs", code, sizeof code, &e),
                     AD_ERR_NOT_FOUND);
    gid[0] = 0;
    OK(ad_store_vote_list(st, m2, gid_of_code2, gid, E));
    OK(ad_store_vote_withdraw(st, gid, "b", NULL, NULL, E));
    OK(ad_store_trusted_category(st, m2, "dhs", code, sizeof code, E));
    assert_string_equal(code, "1");
    /* lists: the standing votes only; the history keeps every row */
    OK(ad_store_vote_list(st, m2, count_vote, &n, E));
    assert_int_equal(n, 3);
    n = 0;
    OK(ad_store_vote_history(st, m2, count_vote, &n, E));
    assert_int_equal(n, 7);
    /* explicit mappings only */
    OK(ad_store_category_map(st, "dhs", "5", "vics-us", code, sizeof code, E));
    assert_string_equal(code, "0");
    OK(ad_store_category_map(st, "uk", "A", "vics-us", code, sizeof code, E));
    assert_string_equal(code, "1");
    assert_int_equal(ad_store_category_map(st, "uk", "A", "dhs", code, sizeof code, &e),
                     AD_ERR_NOT_FOUND);
    assert_true(ad_category_ignorable("dhs", "5"));
    assert_false(ad_category_ignorable("vics-us", "5"));
}

static void t_transactions(void **state)
{
    ad_store *st = S(state);
    int64_t f;
    ad_err e;
    OK(ad_store_begin(st, E));
    add_md5(st, MD5A);
    OK(ad_store_rollback(st, E));
    assert_int_equal(ad_store_media_find_hex(st, MD5A, &f, &e), AD_ERR_NOT_FOUND);
    /* a failed call inside a transaction undoes only itself */
    OK(ad_store_begin(st, E));
    int64_t m = add_md5(st, MD5A);
    assert_int_equal(ad_store_vote(st, 999999, "uk", "A", NULL, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_vote(st, m, "uk", "A", NULL, E));
    OK(ad_store_commit(st, E));
    OK(ad_store_media_find_hex(st, MD5A, &f, E));
    assert_int_equal(f, m);
    assert_int_equal(ad_store_commit(st, &e), AD_ERR_ARG);
    /* a failed batch inside a transaction dooms it: the commit rolls everything back */
    ad_media two[2];
    ad_media_init(&two[0]);
    ad_media_init(&two[1]);
    OK(ad_media_set_hash_hex(&two[0], MD5B, 0, E));
    OK(ad_store_begin(st, E));
    add_md5(st, SHA1A);
    assert_int_equal(ad_store_media_upsert_batch(st, two, 2, NULL, &e), AD_ERR_ARG);
    assert_int_equal(ad_store_commit(st, &e), AD_ERR_DB);
    assert_int_equal(ad_store_media_find_hex(st, SHA1A, &f, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_media_find_hex(st, MD5B, &f, &e), AD_ERR_NOT_FOUND);
    /* the same batch outside a transaction changes nothing either */
    assert_int_equal(ad_store_media_upsert_batch(st, two, 2, NULL, &e), AD_ERR_ARG);
    assert_int_equal(ad_store_media_find_hex(st, MD5B, &f, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_audit_verify(st, NULL, NULL, NULL, E));
}

static int n_sightings;
static int on_sighting(void *ctx, const ad_sighting *s)
{
    (void)ctx;
    n_sightings++;
    if (n_sightings == 2) {
        assert_string_equal(s->parent_path, "/evidence/a.zip");
        assert_string_equal(s->inner_path, "x/holiday.jpg");
        assert_int_equal(s->mtime, 1700000000);
    }
    return 0;
}

static int n_pdq, n_frames;
static int on_pdq(void *ctx, const ad_h256 *h, int64_t id, int64_t media_id, int is_frame)
{
    (void)ctx;
    (void)h;
    assert_true(id > 0 && media_id > 0);
    if (is_frame)
        n_frames++;
    else
        n_pdq++;
    return 0;
}

static int n_notes;
static int on_text(void *ctx, int64_t id, const char *author, int64_t created, const char *kind,
                   const char *text)
{
    (void)ctx;
    (void)id;
    (void)created;
    (void)kind;
    assert_string_equal(author, "tester");
    assert_non_null(text);
    n_notes++;
    return 0;
}

static int n_cases;
static int on_case(void *ctx, const ad_case *c)
{
    (void)ctx;
    assert_string_equal(c->agency_name, "Unit");
    n_cases++;
    return 0;
}

static void t_sightings_frames_notes(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Unit"), cid;
    ad_store_set_actor(st, "tester", a);
    ad_case c = {.number = "2026-001", .title = "test"};
    OK(ad_store_case_open(st, &c, &cid, E));
    ad_err e;
    assert_int_equal(ad_store_case_open(st, &c, NULL, &e), AD_ERR_EXISTS);
    n_cases = 0;
    OK(ad_store_case_list(st, 0, on_case, NULL, E));
    assert_int_equal(n_cases, 1);
    ad_media m;
    ad_media_init(&m);
    OK(ad_media_set_hash_hex(&m, SHA256A, 0, E));
    OK(ad_media_set_hash_hex(&m, PDQA, 1, E));
    int64_t mid;
    OK(ad_store_media_upsert(st, &m, &mid, NULL, E));
    ad_sighting s[2] = {
        {.media_id = mid, .case_id = cid, .exhibit = "EX-1", .path = "/a/b.jpg", .size = 19},
        {.media_id = mid,
         .case_id = cid,
         .exhibit = "EX-2",
         .path = "/evidence/a.zip",
         .parent_path = "/evidence/a.zip",
         .inner_path = "x/holiday.jpg",
         .mtime = 1700000000,
         .size = 19,
         .job_id = "job-1"}};
    int64_t sid;
    OK(ad_store_sighting_add(st, &s[0], &sid, E));
    OK(ad_store_sighting_add_batch(st, &s[1], 1, E));
    n_sightings = 0;
    OK(ad_store_sighting_list(st, mid, on_sighting, NULL, E));
    assert_int_equal(n_sightings, 2); /* never collapsed */
    ad_frame fr[3];
    for (int i = 0; i < 3; i++) {
        fr[i] = (ad_frame){.media_id = mid, .frame = i, .timestamp_ms = i * 1000, .quality = 80};
        fr[i].pdq.b[0] = (uint8_t)i;
    }
    OK(ad_store_frame_add_batch(st, fr, 3, E));
    OK(ad_store_frame_add_batch(st, fr, 3, E)); /* re-adding replaces */
    n_pdq = n_frames = 0;
    OK(ad_store_pdq_load(st, on_pdq, NULL, E));
    assert_int_equal(n_pdq, 1);
    assert_int_equal(n_frames, 3);
    OK(ad_store_note_add(st, "media", mid, "seen on forum X", NULL, E));
    OK(ad_store_clue_add(st, "media", mid, "camera", "ExampleCam 1", NULL, E));
    assert_int_equal(ad_store_clue_add(st, "media", mid, "smell", "x", NULL, &e), AD_ERR_ARG);
    assert_int_equal(ad_store_note_add(st, "planet", 1, "x", NULL, &e), AD_ERR_ARG);
    n_notes = 0;
    OK(ad_store_note_list(st, "media", mid, on_text, NULL, E));
    OK(ad_store_clue_list(st, "media", mid, on_text, NULL, E));
    assert_int_equal(n_notes, 2);
}

/* Two writers upsert the same media at once, each in its own transaction on its own
 * connection (as two `ariadne ingest` processes do): the second merges into the first's rows
 * instead of failing on the unique SHA-256 key, and every record exists once. */
typedef struct {
    const char *url;
    pthread_barrier_t *started;
    int hold_ms;
    ad_code rc;
    char msg[512];
    int64_t ids[64];
} writer;

static void *write_media(void *p)
{
    writer *w = p;
    ad_store *st;
    ad_err e;
    ad_media m[64];
    for (int i = 0; i < 64; i++) {
        ad_media_init(&m[i]);
        m[i].has_sha256 = 1;
        memset(m[i].sha256, 0x5a, 32);
        m[i].sha256[0] = (uint8_t)i;
        m[i].size = 1000 + i;
    }
    w->rc = ad_store_open(&st, w->url, 0, &e);
    if (w->rc == AD_OK) {
        ad_store_set_actor(st, "writer", 0);
        if (!w->hold_ms) /* the second writer starts inside the first one's transaction */
            pthread_barrier_wait(w->started);
        w->rc = ad_store_begin(st, &e);
        if (w->rc == AD_OK)
            w->rc = ad_store_media_upsert_batch(st, m, 32, w->ids, &e);
        if (w->hold_ms)
            pthread_barrier_wait(w->started);
        if (w->rc == AD_OK)
            w->rc = ad_store_media_upsert_batch(st, m + 32, 32, w->ids + 32, &e);
        usleep((useconds_t)w->hold_ms * 1000);
        if (w->rc == AD_OK)
            w->rc = ad_store_commit(st, &e);
        ad_store_close(st);
    } else {
        pthread_barrier_wait(w->started);
    }
    if (w->rc != AD_OK)
        snprintf(w->msg, sizeof w->msg, "%s", e.msg);
    return NULL;
}

static void t_concurrent_writers(void **state)
{
    fixture *fx = *state;
    ad_store *st = S(state);
    pthread_barrier_t b;
    pthread_barrier_init(&b, NULL, 2);
    writer w[2] = {{.url = fx->url, .started = &b, .hold_ms = 300},
                   {.url = fx->url, .started = &b, .hold_ms = 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_media, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&b);
    for (int i = 0; i < 2; i++)
        if (w[i].rc != AD_OK)
            fail_msg("writer %d: %s", i, w[i].msg);
    for (int k = 0; k < 64; k++)
        assert_int_equal(w[0].ids[k], w[1].ids[k]);
    int64_t n = 0;
    OK(ad_store_media_count(st, &n, E));
    assert_int_equal(n, 64);
    OK(ad_store_audit_verify(st, NULL, NULL, NULL, E));
}

/* Runs SQL behind the store's back, as an intruder with database access would; 0 if refused. */
static int raw_sql(fixture *f, const char *sql)
{
    return td_db_sql(&f->db, sql);
}

/* Lifts the append-only triggers (after checking they refuse an edit). */
static void drop_guard(fixture *f)
{
    assert_false(raw_sql(f, "UPDATE audit SET detail = 'x' WHERE seq = 1"));
    assert_false(raw_sql(f, "DELETE FROM audit WHERE seq = 1"));
    assert_true(raw_sql(f, f->pg ? "ALTER TABLE audit DISABLE TRIGGER audit_append_only"
                                 : "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete"));
}

static int64_t n_audit;
static int on_audit(void *ctx, const ad_audit_row *r)
{
    (void)ctx;
    assert_non_null(r->action);
    n_audit++;
    return 0;
}

static void t_audit(void **state)
{
    ad_store *st = S(state);
    int64_t base, f, rows, broken; /* base: the migrations' rows */
    OK(ad_store_audit_verify(st, &base, NULL, NULL, E));
    assert_int_equal(base, AD_STORE_SCHEMA_VERSION);
    int64_t m = add_md5(st, MD5A);
    add_md5(st, MD5B);
    ad_err e;
    ad_store_media_find_hex(st, MD5A, &f, NULL); /* a search is audited */
    assert_int_equal(ad_store_media_find_hex(st, SHA256A, &f, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_vote(st, m, "uk", "C", NULL, E));
    OK(ad_store_audit(st, "export.write", "file:x.json", "n=2", E));
    uint8_t head[32];
    OK(ad_store_audit_verify(st, &rows, &broken, head, E));
    /* migrations (one row each), 2 upserts, 2 searches, vote, export */
    assert_int_equal(rows, AD_STORE_SCHEMA_VERSION + 6);
    n_audit = 0;
    OK(ad_store_audit_list(st, 0, 0, on_audit, NULL, E));
    assert_int_equal(n_audit, rows);
    n_audit = 0;
    OK(ad_store_audit_list(st, base + 4, 1, on_audit, NULL, E));
    assert_int_equal(n_audit, 1);
    fixture *fx = *state;
    drop_guard(fx);
    char sql[128], row[32];
    snprintf(sql, sizeof sql, "UPDATE audit SET detail = 'nothing happened' WHERE seq = %lld",
             (long long)(base + 3));
    assert_true(raw_sql(fx, sql));
    assert_int_equal(ad_store_audit_verify(st, &rows, &broken, head, &e), AD_ERR_CHECKSUM);
    assert_int_equal(broken, base + 3);
    snprintf(row, sizeof row, "row %lld ", (long long)(base + 3));
    assert_non_null(strstr(e.msg, row));
    assert_non_null(strstr(e.msg, "edited"));
}

/* Removing a row, or cutting the tail, is found too. */
static void t_audit_cut(void **state)
{
    ad_store *st = S(state);
    fixture *fx = *state;
    int64_t base, rows, broken;
    ad_err e;
    char sql[96];
    OK(ad_store_audit_verify(st, &base, NULL, NULL, E));
    for (int i = 0; i < 5; i++)
        OK(ad_store_audit(st, "test.step", NULL, NULL, E));
    OK(ad_store_audit_verify(st, &rows, &broken, NULL, E));
    assert_int_equal(rows, base + 5);
    drop_guard(fx);
    snprintf(sql, sizeof sql, "DELETE FROM audit WHERE seq = %lld", (long long)(base + 5));
    assert_true(raw_sql(fx, sql));
    assert_int_equal(ad_store_audit_verify(st, &rows, &broken, NULL, &e), AD_ERR_CHECKSUM);
    assert_non_null(strstr(e.msg, "removed from the end"));
    snprintf(sql, sizeof sql, "DELETE FROM audit WHERE seq = %lld", (long long)(base + 2));
    assert_true(raw_sql(fx, sql));
    assert_int_equal(ad_store_audit_verify(st, &rows, &broken, NULL, &e), AD_ERR_CHECKSUM);
    assert_int_equal(broken, base + 3);
    assert_non_null(strstr(e.msg, "sequence gap"));
}

/* The head and the tables are guarded: the head cannot be deleted, moved back or pointed at
 * a row that is not the last; rows go at the head only; TRUNCATE (PostgreSQL) is refused. The
 * attacks of the review (SQLite: drop the triggers, delete the last rows, rewrite the head;
 * PostgreSQL: TRUNCATE and reset the head) no longer pass verify. */
static void t_audit_guard(void **state)
{
    ad_store *st = S(state);
    fixture *fx = *state;
    int64_t base, rows;
    ad_err e;
    for (int i = 0; i < 4; i++)
        OK(ad_store_audit(st, "test.step", NULL, NULL, E));
    OK(ad_store_audit_verify(st, &base, NULL, NULL, E));
    assert_false(raw_sql(fx, "DELETE FROM audit_head"));
    assert_false(raw_sql(fx, "UPDATE audit_head SET seq = 1"));
    assert_false(raw_sql(fx, "UPDATE audit_head SET hash = NULL"));
    assert_false(raw_sql(fx, "INSERT INTO audit (seq, time, who, action, prev, hash) SELECT "
                             "seq + 5, 0, 'x', 'forged', hash, hash FROM audit_head"));
    if (fx->pg) {
        assert_false(raw_sql(fx, "TRUNCATE audit"));
        assert_false(raw_sql(fx, "TRUNCATE audit_head"));
        assert_false(raw_sql(fx, "TRUNCATE audit, audit_head"));
    }
    OK(ad_store_audit_verify(st, &rows, NULL, NULL, E));
    assert_int_equal(rows, base);
    /* the store still appends after the refusals */
    OK(ad_store_audit(st, "test.step", NULL, NULL, E));
    OK(ad_store_audit_verify(st, &rows, NULL, NULL, E));
    assert_int_equal(rows, base + 1);
    /* an intruder with the rights to lift the guards cuts the tail and rewinds the head so
     * that the chain reads as intact: verify says the guards are gone */
    char sql[512];
    if (fx->pg)
        snprintf(sql, sizeof sql,
                 "ALTER TABLE audit DISABLE TRIGGER USER; ALTER TABLE audit_head DISABLE "
                 "TRIGGER USER; DELETE FROM audit WHERE seq > %lld; UPDATE audit_head SET seq = "
                 "%lld, hash = (SELECT hash FROM audit WHERE seq = %lld)",
                 (long long)(base - 2), (long long)(base - 2), (long long)(base - 2));
    else
        snprintf(sql, sizeof sql,
                 "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER "
                 "audit_head_no_delete; DROP TRIGGER audit_head_forward; DROP TRIGGER "
                 "audit_linear; DELETE FROM audit WHERE seq > %lld; UPDATE audit_head SET seq = "
                 "%lld, hash = (SELECT hash FROM audit WHERE seq = %lld)",
                 (long long)(base - 2), (long long)(base - 2), (long long)(base - 2));
    assert_true(raw_sql(fx, sql));
    assert_int_equal(ad_store_audit_verify(st, &rows, NULL, NULL, &e), AD_ERR_CHECKSUM);
    assert_non_null(strstr(e.msg, "guard"));
}


static void t_user_expiry(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Police A"), u;
    char key[AD_API_KEY_MAX];
    ad_err e;
    OK(ad_store_user_add(st, a, "carol", AD_ROLE_PLATFORM, &u, key, E));
    ad_identity id;
    OK(ad_store_identity_auth(st, key, &id, E));
    assert_int_equal(id.user_id, u);
    assert_int_equal(id.agency_id, a);
    assert_int_equal(id.role, AD_ROLE_PLATFORM);
    assert_string_equal(id.user, "carol");
    assert_string_equal(id.agency, "Police A");
    assert_int_equal(strlen(id.key_id), 8);
    assert_false(id.local);
    /* expired a second ago: refused, with the same message as a wrong key */
    OK(ad_store_user_set_expires(st, u, (int64_t)time(NULL) - 1, E));
    assert_int_equal(ad_store_identity_auth(st, key, &id, &e), AD_ERR_PERM);
    assert_string_equal(e.msg, "API key refused");
    /* in a day: accepted; never: accepted */
    OK(ad_store_user_set_expires(st, u, (int64_t)time(NULL) + 86400, E));
    OK(ad_store_identity_auth(st, key, &id, E));
    OK(ad_store_user_set_expires(st, u, 0, E));
    OK(ad_store_identity_auth(st, key, &id, E));
    assert_int_equal(ad_store_user_set_expires(st, 999, 0, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_user_set_expires(st, u, -5, &e), AD_ERR_ARG);
}

static int count_grant(void *ctx, const ad_list_grant *g)
{
    (void)g;
    ++*(int *)ctx;
    return 0;
}

static void t_list_grant(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Police A"), p = add_agency(st, "Platform P"), l;
    ad_list li = {.name = "baseline"};
    OK(ad_store_list_ensure(st, &li, &l, E));
    ad_err e;
    OK(ad_store_list_grant(st, l, p, E));
    assert_int_equal(ad_store_list_grant(st, l, p, &e), AD_ERR_EXISTS);
    assert_int_equal(ad_store_list_grant(st, l, 999, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_list_grant(st, 999, p, &e), AD_ERR_NOT_FOUND);
    OK(ad_store_list_grant(st, l, a, E));
    int n = 0;
    OK(ad_store_list_grants(st, l, 0, count_grant, &n, E));
    assert_int_equal(n, 2);
    n = 0;
    OK(ad_store_list_grants(st, 0, p, count_grant, &n, E));
    assert_int_equal(n, 1);
    OK(ad_store_list_revoke(st, l, p, E));
    assert_int_equal(ad_store_list_revoke(st, l, p, &e), AD_ERR_NOT_FOUND);
    n = 0;
    OK(ad_store_list_grants(st, 0, 0, count_grant, &n, E));
    assert_int_equal(n, 1);
}

struct sink {
    int n;
    char last[64], who[128];
};

static void on_read(void *ctx, const char *who, int64_t agency_id, const char *action,
                    const char *object, const char *detail)
{
    (void)agency_id, (void)object, (void)detail;
    struct sink *k = ctx;
    k->n++;
    snprintf(k->last, sizeof k->last, "%s", action);
    snprintf(k->who, sizeof k->who, "%s", who);
}

static int ignore_series(void *ctx, const ad_series *x)
{
    (void)ctx, (void)x;
    return 0;
}

static int64_t audit_rows(ad_store *st)
{
    int64_t seq = 0;
    uint8_t h[32];
    OK(ad_store_audit_head(st, &seq, h, E));
    return seq;
}

static void t_read_sink(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Police A"), mid, sid;
    ad_media m;
    ad_media_init(&m);
    OK(ad_media_set_hash_hex(&m, MD5A, 0, E));
    OK(ad_store_media_upsert(st, &m, &mid, NULL, E));
    ad_series x = {.name = "S"};
    OK(ad_store_series_create(st, &x, &sid, E));
    ad_identity id;
    memset(&id, 0, sizeof id);
    snprintf(id.user, sizeof id.user, "alice");
    snprintf(id.key_id, sizeof id.key_id, "0badc0de");
    id.agency_id = a;
    ad_store_set_identity(st, &id);
    struct sink k = {0};
    ad_store_set_read_sink(st, on_read, &k);
    int64_t before = audit_rows(st), found;
    /* reads: to the sink, no row, no transaction */
    OK(ad_store_media_find_hex(st, MD5A, &found, E));
    assert_int_equal(found, mid);
    assert_string_equal(k.last, "media.find");
    assert_string_equal(k.who, "alice (key:0badc0de)");
    ad_classification c;
    OK(ad_store_classify(st, mid, &c, E));
    assert_string_equal(k.last, "media.classify");
    OK(ad_store_series_get(st, sid, ignore_series, NULL, E));
    assert_string_equal(k.last, "series.show");
    OK(ad_store_audit_read(st, "media.lookup", "media:1", "x", E));
    assert_int_equal(k.n, 4);
    assert_int_equal(audit_rows(st), before);
    /* writes: rows as always, named after the identity */
    OK(ad_store_series_link(st, sid, mid, E));
    assert_int_equal(audit_rows(st), before + 1);
    assert_int_equal(k.n, 4);
    /* without the sink, reads are rows again */
    ad_store_set_read_sink(st, NULL, NULL);
    OK(ad_store_media_find_hex(st, MD5A, &found, E));
    assert_int_equal(audit_rows(st), before + 2);
}

/* Global ids: the instance's UUID, a gid on every crossing record (old rows and new), found by
 * gid, and an imported record keeping its origin's. */
static void t_gids(void **state)
{
    ad_store *st = S(state);
    char uuid[AD_UUID_LEN + 1], gid[AD_GID_MAX], want[AD_GID_MAX];
    OK(ad_store_instance_uuid(st, uuid, E));
    assert_int_equal(strlen(uuid), 36);
    assert_int_equal(uuid[14], '4');
    int64_t mid = add_md5(st, MD5A), sid, vid, found;
    ad_series x = {.name = "S"};
    OK(ad_store_series_create(st, &x, &sid, E));
    OK(ad_store_person_add(st, AD_VICTIM, "V1", sid, &vid, E));
    OK(ad_store_gid_get(st, "media", mid, gid, sizeof gid, E));
    snprintf(want, sizeof want, "%s:media:%lld", uuid, (long long)mid);
    assert_string_equal(gid, want);
    OK(ad_store_gid_find(st, "media", gid, &found, E));
    assert_int_equal(found, mid);
    OK(ad_store_gid_get(st, "victim", vid, gid, sizeof gid, E));
    snprintf(want, sizeof want, "%s:victim:%lld", uuid, (long long)vid);
    assert_string_equal(gid, want);
    ad_err e;
    /* a victim is not an offender; a media gid names no series */
    assert_int_equal(ad_store_gid_find(st, "offender", gid, &found, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_gid_find(st, "series", want, &found, &e), AD_ERR_NOT_FOUND);
    assert_int_equal(ad_store_gid_find(st, "case", want, &found, &e), AD_ERR_ARG);
    /* a note, a vote, a list: gids too */
    int64_t nid, lid;
    OK(ad_store_note_add(st, "media", mid, "seen", &nid, E));
    OK(ad_store_gid_get(st, "note", nid, gid, sizeof gid, E));
    assert_non_null(strstr(gid, ":note:"));
    ad_list li = {.name = "baseline"};
    OK(ad_store_list_ensure(st, &li, &lid, E));
    OK(ad_store_gid_get(st, "list", lid, gid, sizeof gid, E));
    assert_non_null(strstr(gid, ":list:"));
    OK(ad_store_vote(st, mid, "vics-us", "1", "v1", E));
    /* imported: keeps its origin's gid; two records cannot share one */
    int64_t s2;
    ad_series y = {.name = "Imported"};
    OK(ad_store_series_create(st, &y, &s2, E));
    const char *origin = "0190b1a2-0000-7000-8000-000000000001:series:7";
    OK(ad_store_gid_set(st, "series", s2, origin, E));
    OK(ad_store_gid_find(st, "series", origin, &found, E));
    assert_int_equal(found, s2);
    assert_int_equal(ad_store_gid_set(st, "series", sid, origin, &e), AD_ERR_EXISTS);
    assert_int_equal(ad_store_gid_set(st, "series", sid, "no gid", &e), AD_ERR_ARG);
    assert_int_equal(ad_store_gid_set(st, "series", 999, "a:series:1", &e), AD_ERR_NOT_FOUND);
}

/* A database of schema 7 (made by undoing migrations 8 and 9 in SQLite) gets its instance UUID and
 * every old row its gid when it is opened. */
static void t_gids_migrate(void **state)
{
    ad_store *st = S(state);
    fixture *f = *state;
    int64_t mid = add_md5(st, MD5A), sid;
    ad_series x = {.name = "Old"};
    OK(ad_store_series_create(st, &x, &sid, E));
    ad_store_close(st);
    f->st = NULL;
    sqlite3 *db;
    const char *path = strchr(f->url, ':') + 1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    static const char *const tables[] = {"media", "series", "person", "hash_list",
                                         "vote",  "note",   "clue"};
    char sql[256];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql,
                 "DROP TRIGGER %s_gid; DROP INDEX %s_gid; ALTER TABLE %s DROP COLUMN gid;",
                 tables[i], tables[i], tables[i]);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    }
    /* and what came after 8: migration 12 (federation) */
    static const char *const fed_triggers[] = {
        "media_ins", "media_upd", "series_ins", "series_upd", "link_ins",
        "person_ins", "person_upd", "vote_ins", "note_ins", "clue_ins",
        "merge_ins", "merge_upd" /* 15 */, "frame_ins" /* 16 */, "unlink_ins", "link_gen" /* 18 */};
    for (size_t i = 0; i < sizeof fed_triggers / sizeof fed_triggers[0]; i++) {
        snprintf(sql, sizeof sql, "DROP TRIGGER fed_%s;", fed_triggers[i]);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    assert_int_equal(sqlite3_exec(db,
                                  /* 18: unlinks */
                                  "DROP VIEW series_media_live; DROP TABLE series_unlink;"
                                  "ALTER TABLE series_media DROP COLUMN gen;"
                                  "DROP TABLE fed_sent; DROP TABLE fed_witnessed; DROP TABLE fed_peer; DROP TABLE witness;"
                                  "DROP TABLE change_set; DROP TABLE change_log;"
                                  "DROP TABLE fed_withheld;" /* 16: policy per peer */
                                  "DROP TABLE fed_cut;"      /* 20: the cut's mark */
                                  "ALTER TABLE person DROP COLUMN identified_origin;"
                                  "ALTER TABLE person DROP COLUMN retracted_at;"
                                  "DROP TABLE instance;"
                                  /* and what the later migrations made (15: series merges,
                                   * 13: withdrawals, 11: sessions) */
                                  "DROP TABLE series_merge;"
                                  "DROP INDEX vote_withdraws;"
                                  "ALTER TABLE vote DROP COLUMN withdraws;"
                                  "DROP TABLE web_session;"
                                  "ALTER TABLE users DROP COLUMN pw_hash;"
                                  "ALTER TABLE users DROP COLUMN prefs;"
                                  "DROP TABLE media_hash;"
                                  /* and what later migrations made (10: local features) */
                                  "DROP TABLE feature_match; DROP TABLE media_feature;"
                                  /* (14: the case page) */
                                  "DROP INDEX ingest_item_tally; DROP TABLE case_groups; DROP TABLE job_tally;"
                                  "DROP TABLE case_group;" /* (24: the groups a row each) */
                                  /* (21: videos' keyframes) */
                                  "DROP TABLE media_keyframe;"
                                  /* (19: media without a SHA-256) */
                                  "DROP INDEX media_bare;"
                                  "DELETE FROM schema_migrations WHERE version >= 8;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    OK(ad_store_open(&f->st, f->url, 0, E));
    st = f->st;
    int v;
    OK(ad_store_schema_version(st, &v, E));
    assert_int_equal(v, AD_STORE_SCHEMA_VERSION);
    char uuid[AD_UUID_LEN + 1], gid[AD_GID_MAX], want[AD_GID_MAX];
    OK(ad_store_instance_uuid(st, uuid, E));
    OK(ad_store_gid_get(st, "media", mid, gid, sizeof gid, E));
    snprintf(want, sizeof want, "%s:media:%lld", uuid, (long long)mid);
    assert_string_equal(gid, want);
    OK(ad_store_gid_get(st, "series", sid, gid, sizeof gid, E));
    snprintf(want, sizeof want, "%s:series:%lld", uuid, (long long)sid);
    assert_string_equal(gid, want);
    /* and new rows after the migration */
    int64_t m2 = add_md5(st, "00000000000000000000000000000001");
    OK(ad_store_gid_get(st, "media", m2, gid, sizeof gid, E));
    snprintf(want, sizeof want, "%s:media:%lld", uuid, (long long)m2);
    assert_string_equal(gid, want);
}

struct walk {
    char seen[64][16];
    int n;
};

static int on_walk_item(void *ctx, const ad_job_item *it, const ad_sighting *sg)
{
    (void)sg;
    struct walk *w = ctx;
    if (w->n < 64)
        snprintf(w->seen[w->n++], sizeof w->seen[0], "%s", it->path);
    return 0;
}

struct page_walk {
    struct walk w;
    char job[16], key[16]; /* the last item's */
    int64_t ordinal;
};

static int on_page_item(void *ctx, const ad_job_item *it, const ad_sighting *sg)
{
    struct page_walk *p = ctx;
    on_walk_item(&p->w, it, sg);
    snprintf(p->job, sizeof p->job, "%s", it->job_id);
    snprintf(p->key, sizeof p->key, "%s", it->key);
    p->ordinal = it->ordinal;
    return 0;
}

/* A case's items a page at a time (keyset: job, ordinal, key) give the same items in the same
 * order as all at once, ties of ordinal included; a cursor of another job is refused. */
static void t_case_pages(void **state)
{
    ad_store *st = S(state);
    int64_t a = add_agency(st, "Police A"), cid;
    ad_case k = {.agency_id = a, .number = "C-1"};
    OK(ad_store_case_open(st, &k, &cid, E));
    static const char *const jobs[] = {"job-1", "job-2"};
    for (int j = 0; j < 2; j++) {
        char roots[16];
        snprintf(roots, sizeof roots, "/r%d", j);
        ad_job job = {.id = jobs[j], .case_id = cid, .agency_id = a, .roots = roots};
        int resumed;
        OK(ad_store_job_open(st, &job, &resumed, E));
        ad_job_item it[5];
        char keys[5][8], paths[5][16];
        for (int i = 0; i < 5; i++) {
            snprintf(keys[i], sizeof keys[i], "k%d", 4 - i);
            snprintf(paths[i], sizeof paths[i], "/r%d/f%d", j, i);
            /* ordinals 0 0 1 1 2: ties are ordered by key */
            it[i] = (ad_job_item){.job_id = jobs[j], .key = keys[i], .ordinal = i / 2,
                                  .path = paths[i], .error_code = "io"};
        }
        OK(ad_store_job_items_add(st, it, 5, E));
        OK(ad_store_job_finish(st, jobs[j], E));
    }
    struct page_walk pg;
    memset(&pg, 0, sizeof pg);
    struct walk all = {.n = 0};
    OK(ad_store_case_items(st, cid, on_walk_item, &all, E));
    assert_int_equal(all.n, 10);
    int pages = 0;
    char cjob[16], ckey[16]; /* the cursor: bound while the page is read */
    ad_item_cursor after, *cur = NULL;
    for (;;) {
        int before = pg.w.n;
        OK(ad_store_case_items_page(st, cid, cur, 3, on_page_item, &pg, E));
        if (pg.w.n == before)
            break;
        pages++;
        memcpy(cjob, pg.job, sizeof cjob);
        memcpy(ckey, pg.key, sizeof ckey);
        after = (ad_item_cursor){cjob, pg.ordinal, ckey};
        cur = &after;
        assert_true(pages < 10);
    }
    assert_int_equal(pages, 4);
    assert_int_equal(pg.w.n, 10);
    /* ties of ordinal by key: k3 before k4 */
    assert_string_equal(pg.w.seen[0], "/r0/f1");
    assert_string_equal(pg.w.seen[1], "/r0/f0");
    assert_string_equal(pg.w.seen[5], "/r1/f1");
    ad_item_cursor bad = {"job-9", 0, "k0"};
    ad_err e;
    assert_int_equal(ad_store_case_items_page(st, cid, &bad, 3, on_page_item, &pg, &e),
                     AD_ERR_NOT_FOUND);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(t_open),       BOTH(t_agency_user),  BOTH(t_media_merge),
        BOTH(t_batch_list), BOTH(t_batch_merge),  BOTH(t_classify),
        BOTH(t_votes),      BOTH(t_transactions), BOTH(t_sightings_frames_notes),
        BOTH(t_audit),      BOTH(t_audit_cut),    BOTH(t_audit_guard),
        BOTH(t_concurrent_writers), BOTH(t_user_expiry), BOTH(t_list_grant),
        BOTH(t_read_sink),  BOTH(t_gids),       BOTH(t_case_pages),
        BOTH(t_unlink),
        cmocka_unit_test_setup_teardown(t_gids_migrate, setup_sqlite, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
