/* test_live_snapshot.c: the live index's snapshot (src/live/live_snapshot.c): a live index
 * loaded from its snapshot answers every query as one loaded from the store; writes made after
 * the snapshot are applied from the index log at load; a damaged, cut, foreign or stale
 * snapshot is refused with its reason, never used. SQLite, and PostgreSQL when AD_TEST_PG names
 * a server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/live.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
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
    td_db db;
    ad_store *st;
    int64_t police, platform, other, list, list2, video;
    char path[4096];
} fixture;

static void make_media(ad_media *m, int seed)
{
    ad_media_init(m);
    m->has_md5 = m->has_sha1 = m->has_sha256 = m->has_pdq = 1;
    for (int i = 0; i < 32; i++) {
        m->sha256[i] = (uint8_t)(seed * 7 + i);
        m->pdq.b[i] = (uint8_t)(seed * 131 + i * 37 + (seed >> 3));
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

static int64_t add_agency(ad_store *st, const char *name, const char *kind)
{
    ad_agency a = {.name = name, .country = "FR", .kind = kind};
    int64_t id = 0;
    OK(ad_store_agency_add(st, &a, &id, E));
    return id;
}

static int64_t add_list(ad_store *st, const char *name, int64_t agency)
{
    ad_list l = {.name = name, .agency_id = agency};
    int64_t id = 0;
    OK(ad_store_list_ensure(st, &l, &id, E));
    return id;
}

/* 60 media (every other one in a list, every third in a second list), a video with 4 frames
 * in the list, grants, one entry held back. */
static int setup(void **state, int pg)
{
    fixture *f = calloc(1, sizeof *f);
    int k = td_db_create(&f->db, pg, "test_live_snapshot");
    if (k) {
        free(f);
        *state = NULL;
        return k > 0 ? 0 : -1;
    }
    ad_err e;
    if (ad_store_open(&f->st, f->db.url, AD_STORE_CREATE, &e) != AD_OK) {
        fprintf(stderr, "open %s: %s\n", f->db.url, e.msg);
        return -1;
    }
    ad_store_set_actor(f->st, "server", 0);
    f->police = add_agency(f->st, "hotline", "hotline");
    f->platform = add_agency(f->st, "platformco", "platform");
    f->other = add_agency(f->st, "otherco", "platform");
    f->list = add_list(f->st, "known", f->police);
    f->list2 = add_list(f->st, "second", f->police);
    for (int s = 1; s <= 60; s++) {
        int64_t id = add_media(f->st, s);
        if (s % 2)
            OK(ad_store_list_add(f->st, f->list, &id, 1, E));
        if (s % 3 == 0)
            OK(ad_store_list_add(f->st, f->list2, &id, 1, E));
        if (s == 7)
            OK(ad_store_entry_hold(f->st, f->list, id, "test", E));
    }
    ad_media v;
    ad_media_init(&v);
    v.has_sha256 = 1;
    memset(v.sha256, 0xee, 32);
    OK(ad_store_media_upsert(f->st, &v, &f->video, NULL, E));
    ad_frame fr[4];
    memset(fr, 0, sizeof fr);
    for (int i = 0; i < 4; i++) {
        fr[i].media_id = f->video;
        fr[i].frame = i;
        fr[i].timestamp_ms = i * 1000;
        fr[i].quality = 100;
        for (int b = 0; b < 32; b++)
            fr[i].pdq.b[b] = (uint8_t)(0xa5 ^ (i * 53 + b * 11));
    }
    OK(ad_store_frame_add_batch(f->st, fr, 4, E));
    OK(ad_store_list_add(f->st, f->list, &f->video, 1, E));
    OK(ad_store_list_grant(f->st, f->list, f->platform, E));
    OK(ad_store_list_grant(f->st, f->list2, f->other, E));
    static const char *dir; /* a folder of its own, emptied once (the databases' is another) */
    if (!dir)
        dir = td_tmpdir("test_live_snapshot_files");
    snprintf(f->path, sizeof f->path, "%s/%s.snap", dir, pg ? "pg" : "sqlite");
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
static fixture *F(void **state)
{
    if (!*state)
        skip();
    return *state;
}

/* Every query of seeds 1..n (MD5, SHA-1, SHA-256, PDQ 6 bits off at radius 31, the frames'
 * PDQs) for each agency, and the lists, grants and entries: a and b answer alike. Returns the
 * number of hits (so that a test can see the queries find something). */
static size_t same_answers(fixture *f, ad_live *a, ad_live *b, int n)
{
    ad_live_stats sa, sb;
    ad_live_stats_get(a, &sa);
    ad_live_stats_get(b, &sb);
    assert_int_equal(sa.pdq, sb.pdq);
    assert_int_equal(sa.digests, sb.digests);
    assert_int_equal(sa.entries, sb.entries);
    assert_int_equal(sa.held, sb.held);
    assert_int_equal(sa.seq, sb.seq);
    size_t hits = 0;
    const int64_t agencies[] = {f->police, f->platform, f->other};
    for (int s = 1; s <= n + 4; s++) {
        ad_media m;
        make_media(&m, s);
        ad_match_hash q[4];
        memset(q, 0, sizeof q);
        q[0].type = AD_MATCH_MD5, memcpy(q[0].digest, m.md5, 16);
        q[1].type = AD_MATCH_SHA1, memcpy(q[1].digest, m.sha1, 20);
        q[2].type = AD_MATCH_SHA256, memcpy(q[2].digest, m.sha256, 32);
        q[3].type = AD_MATCH_PDQ, q[3].npdq = 1, q[3].radius = 31, q[3].pdq[0] = m.pdq;
        q[3].pdq[0].b[5] ^= 0x3f;
        if (s > n) { /* the video's frames */
            for (int b = 0; b < 32; b++)
                q[3].pdq[0].b[b] = (uint8_t)(0xa5 ^ ((s - n - 1) * 53 + b * 11));
        }
        for (int ag = 0; ag < 3; ag++)
            for (int t = 0; t < 4; t++) {
                ad_live_hits ha = {0}, hb = {0}, held = {0};
                OK(ad_live_match(a, agencies[ag], &q[t], &ha, &held, E));
                OK(ad_live_match(b, agencies[ag], &q[t], &hb, &held, E));
                assert_int_equal(ha.n, hb.n);
                for (size_t i = 0; i < ha.n; i++) {
                    assert_int_equal(ha.v[i].list_id, hb.v[i].list_id);
                    assert_int_equal(ha.v[i].media_id, hb.v[i].media_id);
                    assert_int_equal(ha.v[i].distance, hb.v[i].distance);
                    assert_int_equal(ha.v[i].variant, hb.v[i].variant);
                }
                hits += ha.n;
                ad_live_hits_free(&ha);
                ad_live_hits_free(&hb);
                ad_live_hits_free(&held);
            }
    }
    for (int64_t l = 1; l <= f->list2 + 1; l++) {
        char na[128], nb[128];
        int64_t oa = 0, ob = 0;
        assert_int_equal(ad_live_list(a, l, na, sizeof na, &oa),
                         ad_live_list(b, l, nb, sizeof nb, &ob));
        assert_int_equal(oa, ob);
        for (int ag = 0; ag < 3; ag++)
            assert_int_equal(ad_live_granted(a, l, agencies[ag]),
                             ad_live_granted(b, l, agencies[ag]));
        for (int64_t m = 1; m <= n + 2; m++) {
            int xa = 0, xb = 0;
            assert_int_equal(ad_live_entry(a, l, m, &xa), ad_live_entry(b, l, m, &xb));
            assert_int_equal(xa, xb);
        }
    }
    return hits;
}

/* A snapshot loads to the same answers as the store; writes after it are applied at load. */
static void t_roundtrip(void **state)
{
    fixture *f = F(state);
    ad_live *full, *snap;
    OK(ad_live_load(f->st, NULL, &full, E));
    OK(ad_live_snapshot_save(full, f->st, f->path, E));
    size_t replayed = 99;
    OK(ad_live_load_snapshot(f->st, NULL, f->path, &replayed, &snap, E));
    assert_int_equal(replayed, 0);
    ad_live_stats s;
    ad_live_stats_get(snap, &s);
    assert_int_equal(s.pdq, 64); /* 60 media, 4 frames */
    assert_int_equal(s.held, 1);
    assert_true(same_answers(f, full, snap, 60) > 60);
    ad_live_free(snap);
    ad_live_free(full);

    /* after the snapshot: new media in the list, an entry removed, a grant revoked, a hold */
    for (int sd = 61; sd <= 70; sd++) {
        int64_t id = add_media(f->st, sd);
        OK(ad_store_list_add(f->st, f->list, &id, 1, E));
    }
    char sql[128]; /* no library call removes an entry yet: by hand, as an operator would */
    snprintf(sql, sizeof sql, "DELETE FROM list_entry WHERE list_id = %lld AND media_id = 1",
             (long long)f->list);
    assert_true(td_db_sql(&f->db, sql));
    OK(ad_store_list_revoke(f->st, f->list2, f->other, E));
    OK(ad_store_entry_hold(f->st, f->list, 3, "test", E));
    OK(ad_live_load_snapshot(f->st, NULL, f->path, &replayed, &snap, E));
    assert_true(replayed >= 13);
    OK(ad_live_load(f->st, NULL, &full, E));
    ad_live_stats_get(snap, &s);
    assert_int_equal(s.pdq, 74);
    assert_int_equal(s.held, 2);
    assert_true(same_answers(f, full, snap, 70) > 70);
    int held;
    assert_int_equal(ad_live_entry(snap, f->list, 1, &held), 0);
    assert_int_equal(ad_live_granted(snap, f->list2, f->other), 0);
    /* a snapshot written from a live index loaded from a snapshot: the same again */
    OK(ad_live_snapshot_save(snap, f->st, f->path, E));
    ad_live *again;
    OK(ad_live_load_snapshot(f->st, NULL, f->path, &replayed, &again, E));
    assert_int_equal(replayed, 0);
    same_answers(f, full, again, 70);
    ad_live_free(again);
    ad_live_free(snap);
    ad_live_free(full);
}

/* A copy of the snapshot with one change, then its load: refused with code want. */
static void refused(fixture *f, const char *name, long at, int byte, long cut, ad_code want,
                    const char *says)
{
    size_t len;
    uint8_t *d = td_read_file(f->path, &len);
    assert_non_null(d);
    char bad[4200];
    snprintf(bad, sizeof bad, "%s.%s", f->path, name);
    if (byte) /* at: from the start, or (negative) from the end */
        d[at >= 0 ? (size_t)at : len - (size_t)-at] ^= (uint8_t)byte;
    assert_int_equal(td_write_file(bad, d, cut ? len - (size_t)cut : len), 0);
    free(d);
    ad_live *lv = (ad_live *)1;
    ad_err e = {0};
    ad_code rc = ad_live_load_snapshot(f->st, NULL, bad, NULL, &lv, &e);
    if (rc != want)
        fail_msg("%s: %s, not %s (%s)", name, ad_code_name(rc), ad_code_name(want), e.msg);
    assert_null(lv);
    if (!strstr(e.msg, says))
        fail_msg("%s: '%s' does not say '%s'", name, e.msg, says);
    unlink(bad);
}

static void t_refused(void **state)
{
    fixture *f = F(state);
    ad_live *lv;
    OK(ad_live_load(f->st, NULL, &lv, E));
    OK(ad_live_snapshot_save(lv, f->st, f->path, E));
    ad_live_free(lv);
    size_t len;
    free(td_read_file(f->path, &len));
    /* damaged: a bit of the PDQ index, of the header's position, of the tables; cut short */
    refused(f, "ix", 65536 + 64 + 5, 0x10, 0, AD_ERR_CHECKSUM, "checksum");
    refused(f, "pos", 40, 0x01, 0, AD_ERR_VERSION, "stale");
    refused(f, "tables", -100, 0x04, 0, AD_ERR_CHECKSUM, "checksum");
    refused(f, "cut", -1, 0, 100, AD_ERR_CHECKSUM, "cut short");
    refused(f, "magic", 0, 0x20, 0, AD_ERR_VERSION, "not a live index snapshot");
    refused(f, "version", 8, 0x02, 0, AD_ERR_VERSION, "version");
    refused(f, "empty", -1, 0, (long)len, AD_ERR_VERSION, "not a live index snapshot");
    ad_err e = {0};
    assert_int_equal(ad_live_load_snapshot(f->st, NULL, "/nonexistent/x.snap", NULL, &lv, &e),
                     AD_ERR_NOT_FOUND);
    /* another store's snapshot */
    td_db other;
    int k = td_db_create(&other, f->db.pg, "test_live_snapshot_other");
    assert_true(k >= 0);
    if (k == 0) {
        ad_store *o;
        OK(ad_store_open(&o, other.url, AD_STORE_CREATE, E));
        assert_int_equal(ad_live_load_snapshot(o, NULL, f->path, NULL, &lv, &e), AD_ERR_VERSION);
        assert_non_null(strstr(e.msg, "another store"));
        ad_store_close(o);
        td_db_drop(&other);
    }
    /* stale: the log no longer holds the snapshot's position (trimmed, or an older copy of the
     * store with other rows) */
    int64_t seq;
    OK(ad_store_index_seq(f->st, &seq, E));
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM index_log WHERE seq = %lld", (long long)seq);
    assert_true(td_db_sql(&f->db, sql));
    assert_int_equal(ad_live_load_snapshot(f->st, NULL, f->path, NULL, &lv, &e), AD_ERR_VERSION);
    assert_non_null(strstr(e.msg, "stale"));
}

/* A store restored from an older copy, then written again up to the same index log row, by the
 * same kind of write to the same record id: a snapshot of the first history is stale there (its
 * index would hold the other media's digests). SQLite (a copy by VACUUM INTO). */
static void t_restored(void **state)
{
    fixture *f = F(state);
    if (f->db.pg)
        skip();
    char copy[4200], sql[4300], url[4300];
    snprintf(copy, sizeof copy, "%s.copy", f->db.url + 7);
    unlink(copy);
    snprintf(sql, sizeof sql, "VACUUM INTO '%s'", copy);
    assert_true(td_db_sql(&f->db, sql));
    int64_t id = add_media(f->st, 61);
    OK(ad_store_list_add(f->st, f->list, &id, 1, E));
    ad_live *lv;
    OK(ad_live_load(f->st, NULL, &lv, E));
    OK(ad_live_snapshot_save(lv, f->st, f->path, E));
    ad_live_free(lv);
    /* the copy, written again: the same ids and log rows, another media */
    ad_store *old;
    snprintf(url, sizeof url, "sqlite:%s", copy);
    OK(ad_store_open(&old, url, 0, E));
    ad_store_set_actor(old, "server", 0);
    int64_t id2 = add_media(old, 99);
    OK(ad_store_list_add(old, f->list, &id2, 1, E));
    assert_int_equal(id2, id);
    ad_err e = {0};
    lv = (ad_live *)1;
    assert_int_equal(ad_live_load_snapshot(old, NULL, f->path, NULL, &lv, &e), AD_ERR_VERSION);
    assert_null(lv);
    assert_non_null(strstr(e.msg, "stale"));
    /* and the original store still takes it */
    OK(ad_live_load_snapshot(f->st, NULL, f->path, NULL, &lv, E));
    ad_live_free(lv);
    ad_store_close(old);
}

#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, setup_sqlite, teardown),                                   \
        cmocka_unit_test_setup_teardown(fn, setup_pg, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {BOTH(t_roundtrip), BOTH(t_refused), BOTH(t_restored)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
