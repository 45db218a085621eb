/* test_fed_direct.c: the cut's media and link bodies written straight as text (body_text.c,
 * read in pages of the change log joined with their records) are the very bytes of the general
 * path (policy.c's jansson tree printed canonically), on every field: digests of each kind and
 * of lengths put_hex leaves out, PDQ with and without quality, a media named by PDQ alone, one
 * with nothing to find it by, texts that need an escape (left to the general path), negative
 * and zero numbers, vPDQ frames, a media logged twice, log rows of records gone; in runs of a
 * few changes; and a bundle for a peer whose policy withholds links carries the same entries
 * and places. Both cuts run in one store, each inside a transaction rolled back after it.
 * SQLite, and PostgreSQL when $AD_TEST_PG is set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"
#include "fedtest.h"

static ad_err err;

#define NUL INT64_MIN

typedef struct {
    const char *sha256, *md5, *sha1, *pdq; /* hex, NULL for SQL NULL */
    int64_t quality, size, width, height, duration;
    const char *mime;
} row;

/* (the bound bytes must live until the statement runs: one buffer per parameter) */
static void blob(ad_stmt *s, int i, const char *hex)
{
    static uint8_t bufs[8][80];
    uint8_t *b = bufs[i];
    size_t n = hex ? strlen(hex) / 2 : 0;
    if (!hex) {
        ad_bind_null(s, i);
        return;
    }
    assert_true(n <= sizeof bufs[0] && i < 8);
    assert_int_equal(ad_hex_decode(hex, 2 * n, b, n, NULL), AD_OK);
    ad_bind_blob(s, i, b, n);
}

static void num(ad_stmt *s, int i, int64_t v)
{
    if (v == NUL)
        ad_bind_null(s, i);
    else
        ad_bind_int(s, i, v);
}

static int64_t media_put(ad_store *st, const row *r)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO media (sha256, md5, sha1, pdq, pdq_quality, size, width,"
                            " height, duration_ms, mime, created, updated)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1) RETURNING id",
                            &err);
    assert_non_null(s);
    blob(s, 1, r->sha256);
    blob(s, 2, r->md5);
    blob(s, 3, r->sha1);
    blob(s, 4, r->pdq);
    num(s, 5, r->quality);
    num(s, 6, r->size);
    num(s, 7, r->width);
    num(s, 8, r->height);
    num(s, 9, r->duration);
    if (r->mime)
        ad_bind_text(s, 10, r->mime);
    else
        ad_bind_null(s, 10);
    int64_t id = 0;
    OK(ad_db_int(s, &id, &err));
    return id;
}

static void run_sql(ad_store *st, const char *sql, int64_t a, int64_t b, int64_t c)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, &err);
    assert_non_null(s);
    int n = 0;
    for (const char *p = sql; *p; p++)
        n += *p == '?';
    int64_t v[3] = {a, b, c};
    for (int i = 0; i < n; i++)
        ad_bind_int(s, i + 1, v[i]);
    OK(ad_db_run(s, &err));
}

#define H32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define H16 "0123456789abcdef0123456789abcdef"
#define H20 "0123456789abcdef0123456789abcdef01234567"
/* 32 bytes, 20 bytes, in hex, starting with x */
#define T(x) x "112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T20(x) x "23456789abcdef0123456789abcdef01234567"

/* What a cut and a bundle for peer "p" give, as text: each set's place, kind and change lines
 * (its header and signature, which carry the time and the id, left out), then the manifest's
 * entries (sent, or withheld with their place) and the bundle's counts. */
static char *outcome(ad_store *st, const ad_fed_key *key, int direct)
{
    ad_fed_buf o = {0};
    char t[256];
    ad_fed_cut_direct = direct;
    OK(ad_store_begin(st, &err));
    uint8_t *bundle = NULL;
    size_t blen = 0;
    ad_fed_stats stats;
    OK(ad_fed_bundle_export(st, key, "p", 0, &bundle, &blen, &stats, &err));
    ad_stmt *s = ad_db_stmt(
        st->db, "SELECT first_seq, last_seq, kinds, id FROM change_set ORDER BY first_seq", &err);
    assert_non_null(s);
    uint8_t *set = NULL; /* each set's canonical bytes, as stored (setstore.c) */
    size_t cap = 0;
    while (ad_step(s, &err) > 0) {
        size_t n = 0;
        OK(ad_fed_set_get(st, ad_col_text(s, 3), &set, &cap, &n, &err));
        const char *b = (const char *)set;
        const char *body = memchr(b, '\n', n) + 1, *end = b + n - 1;
        while (end > body && end[-1] != '\n')
            end--;
        snprintf(t, sizeof t, "set %lld..%lld %s\n", (long long)ad_col_int(s, 0),
                 (long long)ad_col_int(s, 1), ad_col_text(s, 2));
        assert_int_equal(ad_fed_put(&o, t, strlen(t)), 0);
        assert_int_equal(ad_fed_put(&o, body, (size_t)(end - body)), 0);
    }
    ad_db_done(s);
    free(set);
    json_t *m = json_loadb((const char *)bundle,
                           (size_t)((uint8_t *)memchr(bundle, '\n', blen) - bundle), 0, NULL);
    assert_non_null(m);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(m, "sets"), i, e)
    {
        if (json_is_true(json_object_get(e, "withheld")))
            snprintf(t, sizeof t, "withheld %lld..%lld %s\n",
                     (long long)json_integer_value(json_object_get(e, "first")),
                     (long long)json_integer_value(json_object_get(e, "last")),
                     json_string_value(json_object_get(e, "kinds")));
        else
            snprintf(t, sizeof t, "sent\n");
        assert_int_equal(ad_fed_put(&o, t, strlen(t)), 0);
    }
    snprintf(t, sizeof t, "sets %lld changes %lld withheld %lld\n", (long long)stats.sets,
             (long long)stats.changes, (long long)stats.withheld);
    assert_int_equal(ad_fed_put(&o, t, strlen(t) + 1), 0);
    json_decref(m);
    free(bundle);
    ad_store_rollback(st, NULL);
    ad_fed_cut_direct = 1;
    return o.p;
}

static void both_paths(void **state, int pg)
{
    (void)state;
    ft_node n;
    if (!ft_node_open(&n, pg, pg ? "fed_direct_pg" : "fed_direct", td_tmpdir("fed_direct")))
        skip();
    ad_store *st = n.st;
    /* a peer sent every kind but links: links go as withheld places */
    ad_fed_peer p = {.name = "p",
                     .pubkey = "1111111111111111111111111111111111111111111111111111"
                               "111111111111"};
    int64_t pid;
    OK(ad_fed_peer_add(st, &p, &pid, &err));
    unsigned send = AD_FED_KINDS_ALL & ~(1u << 2);
    OK(ad_fed_peer_policy(st, "p", &send, NULL, &err));

    const row rows[] = {
        /* every field */
        {H32, H16, H20, H32 "", 87, 123456, 1024, 768, 5000, "image/jpeg"},
        /* an MD5 alone; a quote in its type (the general path's) */
        {NULL, "ffeeddccbbaa99887766554433221100", NULL, NULL, NUL, 1, NUL, NUL, NUL, "a\"b"},
        /* PDQ alone, no quality, no type; negative and zero numbers */
        {NULL, NULL, NULL, T("ff"), NUL, -5, 0, -1, NUL, NULL},
        /* a type beyond ASCII (escaped), a backslash, a control character */
        {T("01"), NULL, NULL, NULL, NUL, 7, NUL, NUL, NUL, "image/x-\xc3\xa9t\xc3\xa9"},
        {T("02"), NULL, NULL, NULL, NUL, 8, NUL, NUL, NUL, "a\\b"},
        {T("03"), NULL, NULL, NULL, NUL, 9, NUL, NUL, NUL, "a\tb"},
        /* quality without PDQ (not said); an empty type */
        {T("04"), NULL, T20("ff"), NULL, 50, 10, NUL, NUL, NUL, ""},
        /* digests put_hex leaves out: 65 bytes, none; the SHA-1 names it */
        {H32 H32 "ab", "", T20("aa"), NULL, NUL, NUL, NUL, NUL, NUL, "image/png"},
        /* nothing to find it by: not shared */
        {NULL, NULL, NULL, NULL, NUL, 11, 2, 2, NUL, "image/gif"},
        /* a video, its frames below */
        {T("05"), NULL, NULL, T("ee"), 100, 999, 160, 120, 6000, "video/mp4"},
        /* a long type, plain */
        {T("06"), NULL, NULL, NULL, NUL, 12, NUL, NUL, NUL,
         "application/x-a-rather-long-but-ordinary-media-type-name+with.some-punctuation_1"},
    };
    enum { NR = sizeof rows / sizeof rows[0] };
    int64_t ids[NR];
    ad_series se = {.name = "Direct", .contact = "desk@example.org"};
    int64_t sid;
    OK(ad_store_begin(st, &err));
    OK(ad_store_series_create(st, &se, &sid, &err));
    for (int i = 0; i < NR; i++)
        ids[i] = media_put(st, &rows[i]);
    for (int f = 0; f < 3; f++) { /* frames, one without a timestamp */
        ad_stmt *s = ad_db_stmt(st->db,
                                "INSERT INTO media_frame (media_id, frame, ts_ms, quality, pdq)"
                                " VALUES (?, ?, ?, 90, ?)",
                                &err);
        assert_non_null(s);
        ad_bind_int(s, 1, ids[9]);
        ad_bind_int(s, 2, f);
        num(s, 3, f == 2 ? NUL : 1000 * f);
        blob(s, 4, T("a0"));
        OK(ad_db_run(s, &err));
    }
    for (int i = 0; i < NR; i++)
        run_sql(st, "INSERT INTO series_media (series_id, media_id, added) VALUES (?, ?, 0)", sid,
                ids[i], 0);
    /* logged twice; and log rows of records gone */
    run_sql(st, "UPDATE media SET size = size + ? WHERE id = ?", 1, ids[0], 0);
    run_sql(st, "INSERT INTO change_log (kind, a, b, time) VALUES ('media', ?, 0, 0)",
            ids[NR - 1] + 1000, 0, 0);
    run_sql(st, "INSERT INTO change_log (kind, a, b, time) VALUES ('link', ?, ?, 0)", sid,
            ids[NR - 1] + 1000, 0);
    run_sql(st, "INSERT INTO change_log (kind, a, b, time) VALUES ('link', ?, ?, 0)", sid + 1000,
            ids[0], 0);
    OK(ad_store_commit(st, &err));

    for (size_t run = 3; run <= 100000; run = run == 3 ? 100000 : 200000) {
        ad_fed_cut_run = run;
        char *general = outcome(st, &n.key, 0), *direct = outcome(st, &n.key, 1);
        if (getenv("AD_TEST_SHOW"))
            fputs(general, stderr);
        assert_string_equal(direct, general);
        /* what the comparison covers */
        assert_non_null(strstr(general, "\"mime\":\"image/x-\\u00E9t\\u00E9\""));
        assert_non_null(strstr(general, "\"mime\":\"a\\\"b\""));
        assert_non_null(strstr(general, "\"vpdq\":\""));
        assert_non_null(strstr(general, "{\"kind\":\"link\",\"media\":{\"pdq\":\"ff"));
        assert_non_null(strstr(general, "\"size\":-5"));
        assert_null(strstr(general, "image/gif"));
        assert_non_null(strstr(general, "withheld"));
        /* 10 media shared, the series, 10 links */
        assert_non_null(strstr(general, "changes 11 withheld 10"));
        free(general);
        free(direct);
    }
    ad_fed_cut_run = 100000;
    ft_node_close(&n);
}

static void sqlite_paths(void **state)
{
    both_paths(state, 0);
}

static void pg_paths(void **state)
{
    both_paths(state, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_paths),
        cmocka_unit_test(pg_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
