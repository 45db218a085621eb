/* test_fed_canon.c: the strict reader of canonical change lines (src/fed/canon_scan.c) against
 * the general way (jansson parse, then ad_fed_canon printing it back byte for byte): whatever
 * the reader accepts, the general way accepts as the same line, on canonical lines of random
 * values and on those lines damaged at random (a byte changed, inserted, deleted; two bytes
 * swapped; cut short), seeded; the lines a change set's bulk is made of (media, links) are
 * accepted, with their members where they are; a media change with vPDQ frames ("vpdq",
 * src/fed/frames.c) is the reader's to scan but goes the general way to be applied, so that a
 * good field is written and a bad one refused exactly as the general way does. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/fed_int.h"
#include "testutil.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* A random value: strings with every kind of byte (escapes, non-ASCII), integers, reals,
 * literals, nested objects and arrays. */
static json_t *gen(int depth)
{
    static const char *const keys[] = {"kind", "seq", "sha256", "md5", "a", "", "b/c", "é",
                                       "k\"q", "media", "z", "Z", "a\\b", "series"};
    int pick = (int)(next() % (depth > 3 ? 5 : 7));
    switch (pick) {
    case 0: {
        char s[24];
        int n = (int)(next() % sizeof s);
        for (int i = 0; i < n; i++) {
            uint32_t r = next() % 10;
            s[i] = r < 7 ? (char)(0x20 + next() % 95) : r < 9 ? (char)(1 + next() % 31) : 0x7f;
        }
        return json_stringn_nocheck(s, (size_t)n);
    }
    case 1: {
        static const json_int_t ints[] = {0, 1, -1, 10, 999999999999999999LL,
                                          -999999999999999999LL, 1000000000000000000LL,
                                          9223372036854775807LL};
        return json_integer(next() % 2 ? ints[next() % 8] : (json_int_t)next() - (1 << 30));
    }
    case 2:
        return next() % 2 ? json_real((double)next() / 7.0) : json_boolean(next() % 2);
    case 3:
        return json_null();
    case 4:
        return json_string("0123456789abcdef0123456789abcdef");
    case 5: {
        json_t *a = json_array();
        for (uint32_t i = next() % 4; i > 0; i--)
            json_array_append_new(a, gen(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint32_t i = next() % 6; i > 0; i--)
            json_object_set_new(o, keys[next() % (sizeof keys / sizeof keys[0])], gen(depth + 1));
        return o;
    }
    }
}

/* The property: accepted by the reader => the general way reads the same canonical line. */
static int agrees(const char *p, size_t n)
{
    ad_fed_member mem[32];
    int k = ad_fed_canon_scan(p, n, mem, 32);
    if (k < 0)
        return 1;
    json_error_t je;
    json_t *v = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, &je);
    char *c = v && json_is_object(v) ? ad_fed_canon(v) : NULL;
    int same = c && strlen(c) == n && !memcmp(c, p, n) && json_object_size(v) == (size_t)k;
    /* every member found where the reader says, with its value's text */
    for (int i = 0; same && i < k; i++) {
        char key[64];
        if (mem[i].klen >= sizeof key)
            continue;
        memcpy(key, mem[i].key, mem[i].klen);
        key[mem[i].klen] = 0;
        json_t *m = json_object_get(v, key);
        char *mv = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
                                         JSON_ENCODE_ANY)
                     : NULL;
        size_t vn = mem[i].vlen + (mem[i].type == 's' ? 2 : 0);
        const char *vp = mem[i].val - (mem[i].type == 's');
        same = mv && strlen(mv) == vn && !memcmp(mv, vp, vn);
        free(mv);
    }
    free(c);
    json_decref(v);
    return same;
}

static void test_random_lines(void **state)
{
    (void)state;
    size_t accepted = 0, total = 0;
    for (int round = 0; round < 20000; round++) {
        json_t *o = json_object();
        for (uint32_t i = next() % 6; i > 0; i--)
            json_object_set_new(o, next() % 2 ? "kind" : "x", gen(1));
        json_object_set_new(o, "seq", json_integer(round));
        char *line = ad_fed_canon(o);
        json_decref(o);
        assert_non_null(line);
        size_t n = strlen(line);
        total++;
        ad_fed_member mem[32];
        accepted += ad_fed_canon_scan(line, n, mem, 32) >= 0;
        if (!agrees(line, n))
            fail_msg("the reader accepts what the general way does not: %s", line);
        /* damaged copies */
        char *d = malloc(n + 2);
        for (int t = 0; t < 8; t++) {
            memcpy(d, line, n + 1);
            size_t dn = n, at = next() % n;
            switch (next() % 5) {
            case 0:
                d[at] = (char)(next() % 256);
                break;
            case 1:
                memmove(d + at + 1, d + at, n - at + 1);
                d[at] = "\",:{}[]-0a \\e."[next() % 14];
                dn++;
                break;
            case 2:
                memmove(d + at, d + at + 1, n - at);
                dn--;
                break;
            case 3: {
                size_t b = next() % n;
                char c = d[at];
                d[at] = d[b];
                d[b] = c;
                break;
            }
            default:
                dn = at;
            }
            if (!agrees(d, dn))
                fail_msg("the reader accepts a damaged line the general way refuses: %.*s",
                         (int)dn, d);
        }
        free(d);
        free(line);
    }
    /* the subset is not empty: plain lines are the reader's */
    assert_true(accepted > total / 10);
}

static void test_bulk_lines(void **state)
{
    (void)state;
    const char *media = "{\"height\":768,\"kind\":\"media\",\"md5\":\"0123456789abcdef0123456789"
                        "abcdef\",\"mime\":\"image/jpeg\",\"pdq_quality\":90,\"seq\":7,\"size\":"
                        "-1,\"width\":1024}";
    ad_fed_member mem[24];
    int k = ad_fed_canon_scan(media, strlen(media), mem, 24);
    assert_int_equal(k, 8);
    int64_t v;
    assert_true(ad_fed_member_int(ad_fed_member_get(mem, k, "seq"), &v));
    assert_int_equal(v, 7);
    assert_true(ad_fed_member_int(ad_fed_member_get(mem, k, "size"), &v));
    assert_int_equal(v, -1);
    const ad_fed_member *m = ad_fed_member_get(mem, k, "mime");
    assert_non_null(m);
    assert_int_equal(m->type, 's');
    assert_int_equal(m->vlen, 10);
    assert_memory_equal(m->val, "image/jpeg", 10);
    assert_true(agrees(media, strlen(media)));
    const char *link = "{\"kind\":\"link\",\"media\":{\"sha256\":\"00\"},\"seq\":8,\"series\":"
                       "\"u:series:1\"}";
    k = ad_fed_canon_scan(link, strlen(link), mem, 24);
    assert_int_equal(k, 4);
    m = ad_fed_member_get(mem, k, "media");
    assert_int_equal(m->type, 'o');
    assert_int_equal(ad_fed_canon_scan(m->val, m->vlen, mem, 24), 1);
    /* not the reader's: keys out of order, a duplicate, spaces, an escape, a real, "-0" */
    static const char *const refused[] = {
        "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":1}", "{\"a\": 1}", "{\"a\":\"\\n\"}",
        "{\"a\":1.5}",       "{\"a\":-0}",        "{\"a\":01}", "{\"a\":1}x",
        "[1]",               "{\"a\":tru}",       "{\"ab\":1,\"a\":1}"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (ad_fed_canon_scan(refused[i], strlen(refused[i]), mem, 24) >= 0)
            fail_msg("accepted: %s", refused[i]);
    /* more members than room: not the reader's */
    assert_int_equal(ad_fed_canon_scan("{\"a\":1,\"b\":2}", 13, mem, 1), -1);
}

static int64_t frames_of(ad_store *st)
{
    ad_err err;
    int64_t n = -1;
    ad_stmt *s = ad_db_stmt(st->db, "SELECT COUNT(*) FROM media_frame", &err);
    if (!s || ad_db_int(s, &n, &err) != AD_OK)
        fail_msg("%s", err.msg);
    return n;
}

/* A media line with "vpdq": frames as frames.c writes them, base64 as given. */
static char *vpdq_line(int64_t seq, int digit, const char *b64)
{
    size_t n = strlen(b64) + 160;
    char *line = malloc(n);
    assert_non_null(line);
    snprintf(line, n, "{\"kind\":\"media\",\"seq\":%lld,\"sha256\":\"%064d\",\"vpdq\":\"%s\"}",
             (long long)seq, digit, b64);
    return line;
}

static void test_vpdq_lines(void **state)
{
    (void)state;
    /* two frames: frame 0 at 0 ms and frame 30 at 1000 ms, quality 90, PDQ 0x11.. / 0x22.. */
    uint8_t rec[82] = {0};
    for (int i = 0; i < 2; i++) {
        uint8_t *r = rec + 41 * i;
        r[3] = (uint8_t)(30 * i);
        r[6] = (uint8_t)(i ? 0x03 : 0), r[7] = (uint8_t)(i ? 0xe8 : 0);
        r[8] = 90;
        memset(r + 9, 0x11 * (i + 1), 32);
    }
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, rec, sizeof rec, sodium_base64_VARIANT_ORIGINAL);
    char *good = vpdq_line(1, 1, b64);
    /* canonical, the reader's subset (base64 is printable ASCII, no escape) */
    ad_fed_member mem[24];
    assert_int_equal(ad_fed_canon_scan(good, strlen(good), mem, 24), 4);
    assert_true(agrees(good, strlen(good)));
    /* refused by the general way (not whole frames; padding missing), though the reader scans
     * them: the batch must give the general way's answer, never drop the field */
    char *partial = vpdq_line(1, 2, "AAAA");
    char nopad[128];
    snprintf(nopad, sizeof nopad, "%.*s", (int)strlen(b64) - 1, b64);
    char *unpadded = vpdq_line(1, 3, nopad);
    assert_true(ad_fed_canon_scan(partial, strlen(partial), mem, 24) >= 0);
    assert_true(ad_fed_canon_scan(unpadded, strlen(unpadded), mem, 24) >= 0);

    td_db db;
    ad_store *st;
    ad_err err;
    assert_int_equal(td_db_create(&db, 0, "fedcanon"), 0);
    assert_int_equal(ad_store_open(&st, db.url, AD_STORE_CREATE, &err), AD_OK);
    const char *origin = "00000000-0000-4000-8000-000000000001";
    const char *bad[] = {partial, unpadded};
    for (int i = 0; i < 2; i++) {
        ad_fed_batch b;
        assert_int_equal(ad_store_begin(st, &err), AD_OK);
        ad_fed_batch_init(&b, st, origin);
        ad_code rc = ad_fed_batch_add_line(&b, bad[i], strlen(bad[i]), &err);
        if (rc == AD_OK)
            rc = ad_fed_batch_flush(&b, &err);
        ad_fed_batch_free(&b);
        assert_int_equal(rc, AD_ERR_PARSE);
        if (!strstr(err.msg, "vpdq"))
            fail_msg("the error does not name the field: %s", err.msg);
        ad_store_finish(st, rc, &err);
    }
    ad_fed_batch b;
    assert_int_equal(ad_store_begin(st, &err), AD_OK);
    ad_fed_batch_init(&b, st, origin);
    ad_code rc = ad_fed_batch_add_line(&b, good, strlen(good), &err);
    if (rc == AD_OK)
        rc = ad_fed_batch_flush(&b, &err);
    ad_fed_batch_free(&b);
    assert_int_equal(ad_store_finish(st, rc, &err), AD_OK);
    assert_int_equal(frames_of(st), 2);
    ad_store_close(st);
    td_db_drop(&db);
    free(good);
    free(partial);
    free(unpadded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_lines),
        cmocka_unit_test(test_bulk_lines),
        cmocka_unit_test(test_vpdq_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
