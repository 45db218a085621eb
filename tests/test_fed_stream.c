/* test_fed_stream.c: bundles are not held whole in memory (docs/federation.md "Bundles"): a
 * bundle of many change sets (cut in small runs here) is exported to a file and imported from
 * it with no allocation anywhere near the bundle's size (the largest allocation is counted by
 * wrapping malloc, outside the sanitizer builds, which wrap it themselves); a bundle bad at
 * its very end (the last set's last change, the signature line, one byte missing) is rejected
 * with nothing written, after a first pass that read all of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "fed/fed_int.h"
#include "fedtest.h"

#include "alloc_count.h"

static ad_err err;

static void node_open(ft_node *in, const char *name)
{
    assert_int_equal(ft_node_open(in, 0, name, td_tmpdir("fedstream")), 1);
}

static int64_t media_count(ft_node *in)
{
    return ft_count(in, "SELECT COUNT(*) FROM media");
}

enum { RUN = 500 };
/* A store batch's arrays (apply.c) are the import's largest fixed allocations, ~1.5 MB */
#define BOUND ((size_t)2 << 20)

/* A with N media in one series, B trusting A; the bundle for B in path (its length back). */
static size_t setup(ft_node *a, ft_node *b, const char *path, size_t N)
{
    node_open(a, "streama");
    node_open(b, "streamb");
    ft_trust(a, "b", b, NULL);
    ft_trust(b, "a", a, NULL);
    OK(td_media_series(a->st, "Stream", N, 0, &err));
    ad_fed_cut_run = RUN; /* many sets */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    ad_fed_stats st;
    OK(ad_fed_bundle_export_file(a->st, &a->key, "b", 0, f, &st, &err));
    assert_int_equal(fclose(f), 0);
    ad_fed_cut_run = 100000;
    assert_int_equal(st.changes, 2 * N + 1);
    assert_true(st.sets >= (int64_t)(2 * N / RUN));
    return (size_t)st.bytes;
}

static void test_bounded(void **state)
{
    (void)state;
    ft_node a, b;
    char path[600];
    snprintf(path, sizeof path, "%s/bundle", td_tmpdir("fedstream"));
    /* large enough to tell a whole-file read from one set at a time; small where not counted */
    size_t N = COUNTING ? 15000 : 3000, len = setup(&a, &b, path, N);
    size_t flen = 0;
    uint8_t *whole = td_read_file(path, &flen);
    assert_int_equal(flen, len);
    free(whole);
    ad_fed_stats st;
#if COUNTING
    /* the counter sees a whole-file read ... */
    largest = 0;
    counting = 1;
    whole = td_read_file(path, &flen);
    counting = 0;
    free(whole);
    assert_true(largest >= len);
    /* ... and none near it in an import */
    largest = 0;
    counting = 1;
#endif
    OK(ft_import_file(&b, path, &st, &err));
#if COUNTING
    counting = 0;
    print_message("bundle %zu bytes in %lld sets; largest allocation of the import %zu bytes\n",
                  len, (long long)st.sets, (size_t)largest);
    assert_true(len > 2 * BOUND);
    assert_true(largest < BOUND);
#endif
    assert_int_equal(st.applied, 2 * N + 1);
    assert_int_equal(media_count(&b), N);
    int64_t links = 0;
    ad_stmt *s = ad_db_stmt(b.st->db, "SELECT COUNT(*) FROM series_media", &err);
    OK(ad_db_int(s, &links, &err));
    assert_int_equal(links, N);
    /* a replay from the file changes nothing */
    OK(ft_import_file(&b, path, &st, &err));
    assert_int_equal(st.applied, 0);
    assert_int_equal(st.skipped, 2 * N + 1);
    /* the cut: one kind per set (media, series, link, in that order) in runs of at most RUN */
    int64_t runs = (int64_t)((N + RUN - 1) / RUN);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM change_set"), 2 * runs + 1);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM change_set WHERE kinds = 'media'"), runs);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM change_set WHERE kinds = 'link'"), runs);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM change_set WHERE kinds = 'series'"), 1);
    assert_int_equal(ft_count(&a, "SELECT MAX(last_seq - first_seq + 1) FROM change_set"), RUN);
    assert_int_equal(ft_count(&a, "SELECT MAX(last_seq) FROM change_set WHERE kinds = 'media'") + 1,
                     ft_count(&a, "SELECT first_seq FROM change_set WHERE kinds = 'series'"));
    /* the receiver records each set's kinds as its lines hold them (the strict reader read
     * the media and links) */
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM change_set WHERE kinds = 'media'"), runs);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM change_set WHERE kinds = 'link'"), runs);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM change_set WHERE kinds IS NULL"), 0);
    ft_node_close(&a);
    ft_node_close(&b);
}

/* The bundle with one byte changed at `at` (from its end when negative), or cut there. */
static void damaged(const char *path, const char *out, long at, int cut)
{
    size_t n = 0;
    uint8_t *d = td_read_file(path, &n);
    assert_non_null(d);
    size_t i = at < 0 ? n - (size_t)-at : (size_t)at;
    if (cut)
        n = i;
    else
        d[i] = d[i] == '0' ? '1' : '0';
    assert_int_equal(td_write_file(out, d, n), 0);
    free(d);
}

static void test_bad_at_the_end(void **state)
{
    (void)state;
    ft_node a, b;
    char path[600], bad[600];
    snprintf(path, sizeof path, "%s/bundle2", td_tmpdir("fedstream"));
    snprintf(bad, sizeof bad, "%s/bad", td_tmpdir("fedstream"));
    size_t N = 2000, len = setup(&a, &b, path, N);
    /* where the last set's signature line starts: its last change ends just before */
    size_t n = 0;
    uint8_t *d = td_read_file(path, &n);
    assert_int_equal(n, len);
    size_t sig = n - 1; /* the bundle's signature line */
    while (sig > 0 && d[sig - 1] != '\n')
        sig--;
    size_t last = sig - 1; /* the last set's signature line */
    while (last > 0 && d[last - 1] != '\n')
        last--;
    free(d);
    struct {
        long at;
        int cut;
        ad_code want;
    } cases[] = {
        {(long)last - 3, 0, AD_ERR_PERM},     /* the last change of the last set */
        {(long)last + 12, 0, AD_ERR_PERM},    /* the last set's signature */
        {-4, 0, AD_ERR_PERM},                 /* the bundle's signature */
        {-1, 1, AD_ERR_CHECKSUM},             /* one byte missing */
        {(long)sig, 1, AD_ERR_CHECKSUM},      /* no signature line */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        damaged(path, bad, cases[i].at, cases[i].cut);
        ad_fed_stats st;
        ad_code rc = ft_import_file(&b, bad, &st, &err);
        if (rc != cases[i].want)
            fail_msg("case %zu: %d, not %d: %s", i, rc, cases[i].want, err.msg);
        assert_non_null(strstr(err.msg, "nothing written"));
        assert_int_equal(media_count(&b), 0);
    }
    /* the intact file still goes in whole */
    ad_fed_stats st;
    OK(ft_import_file(&b, path, &st, &err));
    assert_int_equal(media_count(&b), N);
    ft_node_close(&a);
    ft_node_close(&b);
}

/* A file whose bytes change after the first pass: reads come from `first` until the first
 * seek back, then from `then`. */
typedef struct {
    const uint8_t *first, *then;
    size_t n, at;
    int seeks;
} twofaced;

static ssize_t tf_read(void *c, char *buf, size_t size)
{
    twofaced *t = c;
    size_t k = t->n - t->at < size ? t->n - t->at : size;
    memcpy(buf, (t->seeks ? t->then : t->first) + t->at, k);
    t->at += k;
    return (ssize_t)k;
}

static int tf_seek(void *c, off64_t *off, int whence)
{
    twofaced *t = c;
    off64_t to = whence == SEEK_SET ? *off : whence == SEEK_CUR ? (off64_t)t->at + *off
                                                                 : (off64_t)t->n + *off;
    if (to < 0 || (size_t)to > t->n)
        return -1;
    if ((size_t)to < t->at)
        t->seeks++;
    t->at = (size_t)to;
    *off = to;
    return 0;
}

static void test_changed_between_passes(void **state)
{
    (void)state;
    ft_node a, b;
    char path[600];
    snprintf(path, sizeof path, "%s/bundle3", td_tmpdir("fedstream"));
    setup(&a, &b, path, 2000);
    size_t n = 0;
    uint8_t *good = td_read_file(path, &n), *bad = malloc(n);
    assert_true(good && bad);
    memcpy(bad, good, n);
    size_t last = n / 2; /* a change line in the middle: its digits altered */
    while (bad[last] < '0' || bad[last] > '8')
        last++;
    bad[last]++;
    twofaced t = {good, bad, n, 0, 0};
    FILE *f = fopencookie(&t, "rb", (cookie_io_functions_t){.read = tf_read, .seek = tf_seek});
    assert_non_null(f);
    ad_fed_stats st;
    ad_code rc = ad_fed_bundle_import_file(b.st, f, &st, &err);
    fclose(f);
    assert_int_equal(rc, AD_ERR_CHECKSUM);
    assert_non_null(strstr(err.msg, "changed while it was read"));
    assert_int_equal(media_count(&b), 0);
    free(good);
    free(bad);
    ft_node_close(&a);
    ft_node_close(&b);
}

/* The stored form of set `id` (bytes, len) read (copies) or written. */
static uint8_t *stored(ft_node *in, const char *id, size_t *n, int64_t *len)
{
    ad_stmt *s = ad_db_stmt(in->st->db, "SELECT bytes, len FROM change_set WHERE id = ?", &err);
    assert_non_null(s);
    ad_bind_text(s, 1, id);
    assert_int_equal(ad_step(s, &err), 1);
    const uint8_t *b = ad_col_blob(s, 0, n);
    uint8_t *d = malloc(*n);
    assert_non_null(d);
    memcpy(d, b, *n);
    *len = ad_col_int(s, 1);
    ad_db_done(s);
    return d;
}

static void store(ft_node *in, const char *id, const uint8_t *b, size_t n, int64_t len)
{
    ad_stmt *s =
        ad_db_stmt(in->st->db, "UPDATE change_set SET bytes = ?, len = ? WHERE id = ?", &err);
    assert_non_null(s);
    ad_bind_blob(s, 1, b, n);
    ad_bind_int(s, 2, len);
    ad_bind_text(s, 3, id);
    OK(ad_db_run(s, &err));
}

/* Change sets are kept compressed (docs/federation.md "Stored form"): what is stored, by the
 * cut and by the import alike, reads back as the very bytes that were signed and sent (each
 * verifies: id, signature, lines), in a quarter or so of the room; a stored set damaged (a
 * byte changed, cut short, a wrong length) is an error naming it when it is read to be sent,
 * and nothing is sent or recorded as sent. */
static void test_stored_form(void **state)
{
    (void)state;
    ft_node a, b;
    char path[600], again[600];
    snprintf(path, sizeof path, "%s/bundle4", td_tmpdir("fedstream"));
    snprintf(again, sizeof again, "%s/bundle5", td_tmpdir("fedstream"));
    size_t N = 700, len = setup(&a, &b, path, N);
    ad_fed_stats st;
    OK(ft_import_file(&b, path, &st, &err));
    size_t n = 0;
    uint8_t *bundle = td_read_file(path, &n), *set = NULL;
    assert_int_equal(n, len);
    size_t cap = 0;
    char first_id[65] = "";
    for (int side = 0; side < 2; side++) {
        ft_node *in = side ? &b : &a;
        /* every set compressed, its canonical length kept; far smaller in all */
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM change_set WHERE codec IS NULL"), 0);
        assert_true(4 * ft_count(in, "SELECT SUM(length(bytes)) FROM change_set") <
                    ft_count(in, "SELECT SUM(len) FROM change_set"));
        ad_stmt *s = ad_db_stmt(in->st->db, "SELECT id, len FROM change_set ORDER BY id", &err);
        assert_non_null(s);
        int sets = 0;
        while (ad_step(s, &err) > 0) {
            size_t got = 0;
            OK(ad_fed_set_get(in->st, ad_col_text(s, 0), &set, &cap, &got, &err));
            assert_int_equal(got, ad_col_int(s, 1));
            ad_fed_set v;
            OK(ad_fed_set_read(set, got, &v, &err)); /* its id, signature and lines */
            assert_string_equal(v.id, ad_col_text(s, 0));
            assert_non_null(memmem(bundle, n, set, got)); /* the bytes that were sent */
            if (!first_id[0])
                snprintf(first_id, sizeof first_id, "%s", v.id);
            sets++;
        }
        ad_db_done(s);
        assert_int_equal(sets, 5); /* 700 media and links in runs of 500, the series */
    }
    /* damaged where it is kept: the set is named, nothing is sent or marked sent */
    int64_t sent = ft_count(&a, "SELECT COUNT(*) FROM fed_sent");
    struct {
        int what; /* 0 a byte changed, 1 cut short, 2 a wrong length */
        size_t at;
    } cases[] = {{0, 200}, {0, 40}, {1, 300}, {2, 0}};
    size_t zn = 0;
    int64_t zlen = 0;
    uint8_t *z = stored(&a, first_id, &zn, &zlen);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *d = malloc(zn);
        assert_non_null(d);
        memcpy(d, z, zn);
        if (cases[i].what == 0)
            d[cases[i].at] ^= 0x10;
        store(&a, first_id, d, cases[i].what == 1 ? cases[i].at : zn,
              cases[i].what == 2 ? zlen - 1 : zlen);
        free(d);
        FILE *f = fopen(again, "wb");
        assert_non_null(f);
        ad_code rc = ad_fed_bundle_export_file(a.st, &a.key, "b", 1, f, &st, &err);
        fclose(f);
        if (rc != AD_ERR_CHECKSUM)
            fail_msg("case %zu: %d, not AD_ERR_CHECKSUM: %s", i, rc, err.msg);
        assert_non_null(strstr(err.msg, first_id));
        assert_non_null(strstr(err.msg, "as stored is damaged"));
        assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM fed_sent"), sent);
    }
    store(&a, first_id, z, zn, zlen);
    free(z);
    /* mended, everything goes again: the same sets, byte for byte */
    FILE *f = fopen(again, "wb");
    assert_non_null(f);
    OK(ad_fed_bundle_export_file(a.st, &a.key, "b", 1, f, &st, &err));
    assert_int_equal(fclose(f), 0);
    size_t n2 = 0;
    uint8_t *b2 = td_read_file(again, &n2);
    const uint8_t *s1 = memchr(bundle, '\n', n), *s2 = memchr(b2, '\n', n2);
    assert_int_equal(n - (size_t)(s1 - bundle), n2 - (size_t)(s2 - b2) + (n - len));
    assert_memory_equal(s1, s2, n - (size_t)(s1 - bundle) - 140); /* but the signature line */
    free(b2);
    free(set);
    free(bundle);
    ft_node_close(&a);
    ft_node_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_bad_at_the_end),
        cmocka_unit_test(test_changed_between_passes),
        cmocka_unit_test(test_stored_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
