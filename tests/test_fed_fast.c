/* test_fed_fast.c: the import's shortcuts give what the general path gives. The same bundle
 * (media with SHA-256, MD5 and PDQ in one series, cut in several sets) goes into two copies of
 * a receiver: one with the shortcuts (the store's batch upsert: no lookups by MD5 of records
 * with a SHA-256 when no stored media lacks one, SQLite's new rows written with their id and
 * gid; the change log's triggers dropped for the import's transaction on SQLite), one without
 * (ad_store_media_shortcuts = ad_fed_drop_triggers = 0). Media rows (with their gids), links,
 * index log, change log and audit rows must be the same, and the triggers as they were; with
 * and without a stored media lacking a SHA-256 that a received one merges into; SQLite and
 * PostgreSQL. The copy with the shortcuts takes the bulk path on SQLite (the bundle brings more
 * media than it holds: its media indexes dropped and made again, ad_fed_bulk_min), the other
 * not: the indexes' text must be as it was; a bulk import failing mid-way (after its media,
 * at a series whose name is taken twice) leaves the store, its indexes and triggers as they
 * were. Some media carry hostile mime types (a tab, newline, carriage return, backslash, "\N",
 * "\."): PostgreSQL's COPY of the shortcuts must keep each one field of its row; a hand-made
 * set brings control characters too, and a NUL, which is refused whole (test_pg_hostile). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/fed.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"
#include "store/store_int.h"
#include "fedtest.h"

static ad_err err;

static char dir[600]; /* the scratch folder, made once */

enum { N = 1500, RUN = 700 };

/* hostile texts now and then: each must stay one field of one row (PostgreSQL's COPY) */
static const char *odd_mime(size_t k)
{
    static const char *const odd[] = {"a\tb",  "line\nbreak\n", "back\\slash", "\\N",  "\\.",
                                      "cr\rx", "\\x00\t\\N\n", "t\t\t",       "\t", "\n\\.\n"};
    return odd[k % 10];
}

static void digests(size_t i, ad_media *m)
{
    ad_media_init(m);
    for (int k = 0; k < 32; k++) {
        m->sha256[k] = (uint8_t)((i * 2654435761u) >> (k % 4 * 8)) ^ (uint8_t)(k * 37);
        m->pdq.b[k] = (uint8_t)(m->sha256[k] * 7 + 1);
    }
    memcpy(m->sha256, &i, sizeof i);
    memcpy(m->md5, m->sha256 + 4, 16);
    m->has_sha256 = m->has_md5 = m->has_pdq = 1;
    m->pdq_quality = 80;
    m->size = 1000 + (int64_t)i;
    m->mime = i % 97 == 5 ? odd_mime(i / 97) : "image/jpeg";
}

/* The rows compared, as one text (uuid of the instance replaced: the copies have their own). */
static char *dump(ft_node *in)
{
    const char *h = in->db.pg ? "encode(%s, 'hex')" : "hex(%s)";
    char sha[40], md5[40], sha1[40], pdq[40];
    snprintf(sha, sizeof sha, h, "sha256");
    snprintf(md5, sizeof md5, h, "md5");
    snprintf(sha1, sizeof sha1, h, "sha1");
    snprintf(pdq, sizeof pdq, h, "pdq");
    char media[1200];
    snprintf(media, sizeof media,
             "SELECT 'm' || id || '|' || COALESCE(%s, '') || '|' || COALESCE(%s, '') || '|' ||"
             " COALESCE(%s, '') || '|' || COALESCE(size, -1) || '|' || COALESCE(mime, '') ||"
             " '|' || COALESCE(width, -1) || '|' || COALESCE(height, -1) || '|' ||"
             " COALESCE(%s, '') || '|' || COALESCE(pdq_quality, -1) || '|' || flags || '|' ||"
             " replace(gid, (SELECT uuid FROM instance), 'U') FROM media ORDER BY id",
             sha, md5, sha1, pdq);
    const char *sql[] = {
        media,
        "SELECT 'l' || series_id || '/' || media_id FROM series_media"
        " ORDER BY series_id, media_id",
        "SELECT 'i' || seq || kind || a || '/' || b FROM index_log ORDER BY seq",
        "SELECT 'c' || id || kind || a || '/' || b || '/' || COALESCE(seq, -1) FROM change_log"
        " ORDER BY id",
        "SELECT 'a' || seq || action || COALESCE(object, '') || COALESCE(detail, '') FROM audit"
        " WHERE action <> 'instance.key' ORDER BY seq",
        "SELECT 's' || id || '|' || name || '|' || replace(gid, (SELECT uuid FROM instance), 'U')"
        " FROM series ORDER BY id",
    };
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (size_t q = 0; q < sizeof sql / sizeof sql[0]; q++) {
        ad_stmt *s = ad_db_stmt(in->st->db, sql[q], &err);
        if (!s)
            fail_msg("%s: %s", sql[q], err.msg);
        while (ad_step(s, &err) > 0) {
            const char *t = ad_col_text(s, 0);
            size_t n = strlen(t ? t : "");
            if (len + n + 2 > cap) {
                cap = 2 * (len + n + 2);
                out = realloc(out, cap);
                assert_non_null(out);
            }
            memcpy(out + len, t ? t : "", n);
            len += n;
            out[len++] = '\n';
        }
        ad_db_done(s);
    }
    out[len] = 0;
    return out;
}

/* Fails at the first line where a and b differ. */
static void same(const char *a, const char *b)
{
    size_t line = 1, i = 0;
    for (; a[i] && a[i] == b[i]; i++)
        line += a[i] == '\n';
    if (!a[i] && !b[i])
        return;
    size_t from = i;
    while (from > 0 && a[from - 1] != '\n')
        from--;
    fail_msg("line %zu differs: '%.160s' against '%.160s'", line, a + from, b + from);
}

/* The text of the triggers and indexes (SQLite) */
static char *triggers(ft_node *in)
{
    if (in->db.pg)
        return strdup("");
    ad_stmt *s = ad_db_stmt(in->st->db,
                            "SELECT group_concat(name || ':' || COALESCE(sql, ''), char(10)) FROM"
                            " (SELECT name, sql FROM sqlite_master WHERE type IN ('trigger',"
                            " 'index') ORDER BY name, type)",
                            &err);
    assert_non_null(s);
    assert_true(ad_step(s, &err) > 0);
    char *t = strdup(ad_col_text(s, 0));
    ad_db_done(s);
    return t;
}

/* A receiver holding what it held before the bundle: a media known by the SHA-256 of sent
 * media 3 only, one by the MD5 of sent media 7 only (when `bare` is 1), one by PDQ only; no
 * media at all when `bare` is 2 (a media lacking a SHA-256 makes a bulk import's indexes again
 * at its first lookup by MD5). */
static void receiver(ft_node *b, int pg, const char *name, const ft_node *a, int bare)
{
    assert_true(ft_node_open(b, pg, name, dir));
    ft_trust(b, "a", a, NULL);
    if (bare == 2)
        return;
    ad_media m[3];
    digests(3, &m[0]);
    m[0].has_md5 = m[0].has_pdq = 0;
    m[0].size = -1;
    m[0].mime = NULL;
    digests(7, &m[1]);
    m[1].has_sha256 = m[1].has_pdq = 0;
    digests(N + 50, &m[2]);
    m[2].has_sha256 = m[2].has_md5 = 0;
    ad_media keep[2] = {m[0], m[2]};
    int64_t ids[3];
    if (bare)
        OK(ad_store_media_upsert_batch(b->st, m, 3, ids, &err));
    else
        OK(ad_store_media_upsert_batch(b->st, keep, 2, ids, &err));
}

static void run(int pg, int bare)
{
    ft_node a;
    assert_true(ft_node_open(&a, 0, "fasta", dir));
    ad_series s = {.name = "Fast", .contact = "desk@example.org"};
    int64_t sid;
    ad_media *m = calloc(N, sizeof *m);
    int64_t *ids = calloc(N, sizeof *ids);
    assert_true(m && ids);
    for (size_t i = 0; i < N; i++)
        digests(i, &m[i]);
    OK(ad_store_begin(a.st, &err));
    OK(ad_store_series_create(a.st, &s, &sid, &err));
    OK(ad_store_media_upsert_batch(a.st, m, N, ids, &err));
    for (size_t i = 0; i < N; i++)
        OK(ad_store_series_link(a.st, sid, ids[i], &err));
    OK(ad_store_commit(a.st, &err));
    free(m);
    free(ids);
    ft_node b[2];
    receiver(&b[0], pg, "fastb", &a, bare);
    receiver(&b[1], pg, "fastc", &a, bare);
    for (int i = 0; i < 2; i++)
        ft_trust(&a, i ? "c" : "b", &b[i], NULL);
    char path[2][600];
    ad_fed_cut_run = RUN; /* several sets: the links' media in the sets before theirs */
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "%s/bundle%d", dir, i);
        FILE *f = fopen(path[i], "wb");
        assert_non_null(f);
        ad_fed_stats st;
        OK(ad_fed_bundle_export_file(a.st, &a.key, i ? "c" : "b", 0, f, &st, &err));
        assert_int_equal(fclose(f), 0);
        assert_true(st.sets >= 4);
    }
    ad_fed_cut_run = 100000;
    char *trig = triggers(&b[0]);
    int64_t loads = ad_fed_bulk_loads;
    for (int i = 0; i < 2; i++) {
        ad_store_media_shortcuts = ad_fed_drop_triggers = !i; /* b[1]: the general path */
        ad_fed_bulk_min = !i;
        ad_fed_stats st;
        OK(ft_import_file(&b[i], path[i], &st, &err));
        assert_int_equal(st.applied, 2 * N + 1);
    }
    assert_int_equal(ad_fed_bulk_loads - loads, !pg); /* b[0] took the bulk path (SQLite) */
    ad_store_media_shortcuts = ad_fed_drop_triggers = 1;
    char *d0 = dump(&b[0]), *d1 = dump(&b[1]), *t0 = triggers(&b[0]);
    same(d0, d1);
    same(trig, t0);
    /* what merged: media 3 by its SHA-256, media 7 by its MD5 (when there) */
    int64_t have = 0;
    OK(ad_store_media_count(b[0].st, &have, &err));
    assert_int_equal(have, bare == 2 ? N : N + 1);
    assert_non_null(strstr(d0, "\nl"));
    /* each hostile mime type arrived whole, in as many rows as were sent */
    for (size_t k = 0; k < 10; k++) {
        size_t sent = 0;
        ad_media o;
        for (size_t i = 0; i < N; i++) {
            digests(i, &o);
            sent += o.mime == odd_mime(k);
        }
        ad_stmt *q = ad_db_stmt(b[0].st->db, "SELECT count(*) FROM media WHERE mime = ?", &err);
        assert_non_null(q);
        ad_bind_text(q, 1, odd_mime(k));
        int64_t got = -1;
        OK(ad_db_int(q, &got, &err));
        assert_true(sent > 0);
        assert_int_equal(got, (int64_t)sent);
    }
    /* a rejected bundle (a damaged last byte) leaves the triggers as they were */
    size_t n = 0;
    uint8_t *bytes = td_read_file(path[0], &n);
    assert_non_null(bytes);
    bytes[n - 3] = bytes[n - 3] == '0' ? '1' : '0';
    assert_int_equal(td_write_file(path[0], bytes, n), 0);
    free(bytes);
    ad_fed_stats st;
    assert_int_not_equal(ft_import_file(&b[0], path[0], &st, &err), AD_OK);
    char *t1 = triggers(&b[0]);
    same(trig, t1);
    /* a bulk import failing mid-way: its media applied, then A's series, whose name and its
     * name with A's origin are both taken here */
    ft_node c;
    receiver(&c, pg, "fastd", &a, 2);
    ad_fed_instance fa;
    OK(ad_fed_instance_get(a.st, &fa, &err));
    char name[64];
    snprintf(name, sizeof name, "Fast [%.8s]", fa.uuid);
    ad_series taken[2] = {{.name = "Fast"}, {.name = name}};
    for (int i = 0; i < 2; i++)
        OK(ad_store_series_create(c.st, &taken[i], &sid, &err));
    int64_t held = 0, after = 0;
    OK(ad_store_media_count(c.st, &held, &err));
    char *dc = dump(&c), *tc = triggers(&c);
    loads = ad_fed_bulk_loads;
    ad_fed_bulk_min = 1;
    assert_int_equal(ft_import_file(&c, path[1], &st, &err), AD_ERR_EXISTS);
    ad_fed_bulk_min = 50000;
    assert_int_equal(ad_fed_bulk_loads - loads, !pg);
    assert_int_equal(st.applied, 0);
    OK(ad_store_media_count(c.st, &after, &err));
    assert_int_equal(after, held);
    char *dc1 = dump(&c), *tc1 = triggers(&c);
    same(dc, dc1);
    same(tc, tc1);
    /* and the store takes the bundle once the name is free */
    OK(ad_store_begin(c.st, &err));
    OK(c.st->db->ops->exec(c.st->db, "UPDATE series SET name = 'Other' WHERE name = 'Fast'",
                           &err));
    OK(ad_store_commit(c.st, &err));
    OK(ft_import_file(&c, path[1], &st, &err));
    assert_int_equal(st.applied, 2 * N + 1);
    char *tc2 = triggers(&c);
    same(tc, tc2);
    free(dc);
    free(dc1);
    free(tc);
    free(tc1);
    free(tc2);
    ft_node_close(&c);
    free(d0);
    free(d1);
    free(t0);
    free(t1);
    free(trig);
    ft_node_close(&b[0]);
    ft_node_close(&b[1]);
    ft_node_close(&a);
}

/* PostgreSQL: a COPY refused half-way (its second row malformed) fails its transaction, which
 * rolls back with the media a COPY wrote before it; the connection then works on, and the batch
 * goes in by COPY in a later transaction (the temporary tables made again). */
static void test_pg_copy_fails(void **state)
{
    (void)state;
    if (!getenv("AD_TEST_PG"))
        skip();
    ft_node b;
    assert_true(ft_node_open(&b, 1, "fastcopy", dir));
    int64_t held = 0, after = -1;
    OK(ad_store_media_count(b.st, &held, &err));
    enum { K = 300 };
    ad_media m[K];
    int64_t ids[K];
    for (size_t i = 0; i < K; i++)
        digests(i, &m[i]);
    OK(ad_store_begin(b.st, &err));
    OK(ad_store_media_upsert_batch(b.st, m, K, ids, &err)); /* by COPY: K >= its minimum */
    OK(b.st->db->ops->exec(b.st->db, "CREATE TEMPORARY TABLE ad_copy_t (t TEXT)", &err));
    ad_copy_buf c = {0};
    ad_copy_text(&c, "ok");
    ad_copy_row_end(&c);
    ad_copy_text(&c, "two");
    ad_copy_int(&c, 2);
    ad_copy_row_end(&c);
    assert_int_equal(ad_db_copy(b.st->db, "COPY ad_copy_t (t) FROM STDIN", &c, &err), AD_ERR_DB);
    assert_non_null(strstr(err.msg, "extra data"));
    assert_int_equal(c.len, 0); /* emptied */
    /* the transaction is aborted: nothing more runs in it */
    assert_int_not_equal(b.st->db->ops->exec(b.st->db, "SELECT 1", NULL), AD_OK);
    assert_int_not_equal(ad_store_finish(b.st, AD_ERR_DB, &err), AD_OK);
    OK(ad_store_media_count(b.st, &after, &err));
    assert_int_equal(after, held);
    /* the same batch again, in a new transaction: the temporary table made again under the
     * cached statement that read the one rolled back */
    OK(ad_store_media_upsert_batch(b.st, m, K, ids, &err));
    OK(ad_store_media_upsert_batch(b.st, m, K, ids, &err)); /* all found this time */
    OK(ad_store_media_count(b.st, &after, &err));
    assert_int_equal(after, held + K);
    ad_copy_free(&c);
    ft_node_close(&b);
}

/* PostgreSQL: a hand-made set of 100 media changes whose mime types carry every kind of
 * hostile byte JSON can bring (tab, newline, carriage return, backslash, "\N", "\.", other
 * control characters) goes in by COPY as by the general path, each text whole; the same set
 * with one mime holding a NUL (\u0000) is refused whole, nothing written. */
static void test_pg_hostile(void **state)
{
    (void)state;
    if (!getenv("AD_TEST_PG"))
        skip();
    enum { K = 100 };
    ft_node a, r[2];
    assert_true(ft_node_open(&a, 0, "hosta", dir));
    ad_fed_instance fa;
    OK(ad_fed_instance_get(a.st, &fa, &err));
    char *lines[K];
    static const char ctl[] = "c\x01\x1f\x7f|";
    for (size_t i = 0; i < K; i++) {
        ad_media m;
        char hex[65];
        digests(i, &m);
        json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "kind", "media", "mime",
                              i % 2 ? odd_mime(i / 2) : ctl, "seq", (json_int_t)(i + 1),
                              "sha256", ad_hex_encode(m.sha256, 32, hex));
        assert_non_null(o);
        assert_non_null(lines[i] = ad_fed_canon(o));
        json_decref(o);
    }
    size_t len;
    uint8_t *bun = ft_bundle(&a.key, fa.uuid, a.pub, (const char *const *)lines, K, &len, &err);
    assert_non_null(bun);
    char path[600];
    snprintf(path, sizeof path, "%s/hostile", dir);
    assert_int_equal(td_write_file(path, bun, len), 0);
    free(bun);
    for (int i = 0; i < 2; i++) {
        receiver(&r[i], 1, i ? "hostc" : "hostb", &a, 2);
        ad_store_media_shortcuts = !i; /* r[1]: the general path */
        ad_fed_stats st;
        OK(ft_import_file(&r[i], path, &st, &err));
        assert_int_equal(st.applied, K);
    }
    ad_store_media_shortcuts = 1;
    char *d0 = dump(&r[0]), *d1 = dump(&r[1]);
    same(d0, d1);
    free(d0);
    free(d1);
    ad_stmt *q = ad_db_stmt(r[0].st->db, "SELECT count(*) FROM media WHERE mime = ?", &err);
    assert_non_null(q);
    ad_bind_text(q, 1, ctl);
    int64_t got = 0;
    OK(ad_db_int(q, &got, &err));
    assert_int_equal(got, K / 2);
    for (size_t k = 0; k < 10; k++) {
        q = ad_db_stmt(r[0].st->db, "SELECT count(*) FROM media WHERE mime = ?", &err);
        assert_non_null(q);
        ad_bind_text(q, 1, odd_mime(k));
        OK(ad_db_int(q, &got, &err));
        assert_int_equal(got, K / 20);
    }
    /* a NUL: the set refused whole at its verification */
    ft_node c;
    receiver(&c, 1, "hostd", &a, 2);
    char *nul = lines[K / 2], *p = strstr(nul, "\"mime\":\"");
    assert_non_null(p);
    size_t at = (size_t)(p - nul) + 8, n = strlen(nul);
    lines[K / 2] = malloc(n + 7);
    assert_non_null(lines[K / 2]);
    snprintf(lines[K / 2], n + 7, "%.*s\\u0000%s", (int)at, nul, nul + at);
    free(nul);
    bun = ft_bundle(&a.key, fa.uuid, a.pub, (const char *const *)lines, K, &len, &err);
    assert_non_null(bun);
    assert_int_equal(td_write_file(path, bun, len), 0);
    free(bun);
    int64_t have = -1;
    ad_fed_stats st;
    assert_int_equal(ft_import_file(&c, path, &st, &err), AD_ERR_PARSE);
    OK(ad_store_media_count(c.st, &have, &err));
    assert_int_equal(have, 0);
    for (size_t i = 0; i < K; i++)
        free(lines[i]);
    ft_node_close(&c);
    ft_node_close(&r[0]);
    ft_node_close(&r[1]);
    ft_node_close(&a);
}

static void test_sqlite(void **state)
{
    (void)state;
    run(0, 0);
    run(0, 1);
    run(0, 2);
}

static void test_pg(void **state)
{
    (void)state;
    if (!getenv("AD_TEST_PG"))
        skip();
    run(1, 0);
    run(1, 1);
    run(1, 2);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", td_tmpdir("fedfast"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite),
        cmocka_unit_test(test_pg),
        cmocka_unit_test(test_pg_copy_fails),
        cmocka_unit_test(test_pg_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
