/* test_fed.c: federation (docs/federation.md): change sets signed and verified, bundles applied
 * whole and idempotent, rejected whole with nothing written (tampered, truncated, replayed,
 * foreign key, relayed by a non-hub, gap), the merge rules (identification monotonic, votes
 * accumulate, one owner per series, two series of one media both kept), a hub relaying byte for
 * byte, and nothing private leaving its instance. SQLite, with one instance on PostgreSQL when
 * AD_TEST_PG is set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "ariadne/store.h"
#include "fed/fed_int.h"
#include "fedtest.h"

#define E (&err)
static ad_err err;

static int n_inst;

/* instances fed0, fed1 ... in order, acting as alice */
static void inst_open(ft_node *in, int pg)
{
    char name[32];
    snprintf(name, sizeof name, "fed%d", n_inst++);
    assert_int_equal(ft_node_open(in, pg, name, td_tmpdir("fedkeys")), 1);
    ad_store_set_actor(in->st, "alice", 0);
}

static int64_t media(ft_node *in, const char *sha)
{
    ad_media m = {.pdq_quality = -1, .size = -1};
    OK(ad_media_set_hash_hex(&m, sha, 0, E));
    int64_t id;
    int created;
    OK(ad_store_media_upsert(in->st, &m, &id, &created, E));
    return id;
}

static int64_t series(ft_node *in, const char *name, const char *sha)
{
    int64_t sid, ag;
    ad_agency a = {.name = name, .country = "FR", .kind = "police"};
    if (ad_store_agency_find(in->st, name, &ag, NULL) != AD_OK)
        OK(ad_store_agency_add(in->st, &a, &ag, E));
    ad_series s = {.name = name, .owner_agency_id = ag, .contact = "desk@example.org"};
    OK(ad_store_series_create(in->st, &s, &sid, E));
    OK(ad_store_series_link(in->st, sid, media(in, sha), E));
    return sid;
}

static int64_t agency_of(ft_node *in, const char *name)
{
    int64_t id;
    OK(ad_store_agency_find(in->st, name, &id, E));
    return id;
}

static uint8_t *export(ft_node *in, const char *peer, int all, size_t *len)
{
    uint8_t *b;
    ad_fed_stats s;
    OK(ad_fed_bundle_export(in->st, &in->key, peer, all, &b, len, &s, E));
    return b;
}

static ad_code import(ft_node *in, const uint8_t *b, size_t len, ad_fed_stats *s)
{
    ad_fed_stats tmp;
    return ad_fed_bundle_import(in->st, b, len, s ? s : &tmp, E);
}

/* The rows a rejected bundle must not have changed. */
static int64_t footprint(ft_node *in)
{
    return ft_count(in, "SELECT (SELECT COUNT(*) FROM media) + (SELECT COUNT(*) FROM series) * 10"
                        " + (SELECT COUNT(*) FROM change_set) * 100 + (SELECT COUNT(*) FROM vote)"
                        " * 1000 + (SELECT COUNT(*) FROM person) * 10000"
                        " + (SELECT COUNT(*) FROM fed_peer WHERE origin IS NOT NULL) * 100000");
}

#define SHA1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA2 "2222222222222222222222222222222222222222222222222222222222222222"
#define SHA3 "3333333333333333333333333333333333333333333333333333333333333333"

/* Shared knowledge travels, private data does not; applying again changes nothing. */
static void run_roundtrip(int pg)
{
    ft_node a, b;
    inst_open(&a, 0);
    inst_open(&b, pg);
    if (pg && !b.st)
        return;
    ft_trust(&a, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    int64_t sid = series(&a, "Ocean", SHA1), pid;
    OK(ad_store_person_add(a.st, AD_VICTIM, "V-1", sid, &pid, E));
    OK(ad_store_person_identify(a.st, AD_VICTIM, "V-1", agency_of(&a, "Ocean"), "FR", E));
    OK(ad_store_vote(a.st, media(&a, SHA1), "vics-us", "1", NULL, E));
    ad_store_set_actor(a.st, "alice", agency_of(&a, "Ocean"));
    int64_t nid;
    OK(ad_store_text_add(a.st, "media", media(&a, SHA1), NULL, "shared words", 0, &nid, E));
    OK(ad_store_text_add(a.st, "media", media(&a, SHA1), NULL, "private words", 1, &nid, E));
    ad_case c = {.agency_id = 0, .number = "CASE-SECRET-9", .title = "t"};
    int64_t cid;
    ad_agency ag = {.name = "Unit", .kind = "police"};
    OK(ad_store_agency_add(a.st, &ag, &c.agency_id, E));
    OK(ad_store_case_open(a.st, &c, &cid, E));
    OK(ad_store_text_add(a.st, "case", cid, NULL, "case words", 0, &nid, E));

    size_t len;
    uint8_t *bun = export(&a, "b", 0, &len);
    /* nothing private in the bytes */
    char *text = strndup((const char *)bun, len);
    assert_null(strstr(text, "private words"));
    assert_null(strstr(text, "case words"));
    assert_null(strstr(text, "CASE-SECRET-9"));
    assert_null(strstr(text, "alice"));
    assert_non_null(strstr(text, "shared words"));
    free(text);

    ad_fed_stats s;
    OK(import(&b, bun, len, &s));
    assert_int_equal(s.skipped, 0);
    assert_true(s.applied >= 5);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series WHERE name = 'Ocean'"
                                  " AND contact = 'desk@example.org'"),
                     1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series_media"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM person WHERE identified = 1"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM vote"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM cases"), 0);
    /* a received change is not logged again as the receiver's own */
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM change_log"), 0);
    /* replay: a no-op */
    int64_t before = footprint(&b);
    OK(import(&b, bun, len, &s));
    assert_int_equal(s.applied, 0);
    assert_int_equal(footprint(&b), before);
    /* the peer's origin is bound to its key; the witness holds its audit head */
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM witness"), 1);
    free(bun);
    ft_node_close(&a);
    ft_node_close(&b);
}

static void test_roundtrip_sqlite(void **state)
{
    (void)state;
    run_roundtrip(0);
}

static void test_roundtrip_pg(void **state)
{
    (void)state;
    if (!getenv("AD_TEST_PG"))
        skip();
    run_roundtrip(1);
}

/* Every damaged or untrusted bundle is refused whole, and nothing is written. */
static void test_rejections(void **state)
{
    (void)state;
    ft_node a, b, x;
    inst_open(&a, 0);
    inst_open(&b, 0);
    inst_open(&x, 0);
    ft_trust(&a, "b", &b, "national");
    ft_trust(&x, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    series(&a, "Ocean", SHA1);
    size_t len;
    uint8_t *bun = export(&a, "b", 0, &len);
    int64_t before = footprint(&b);

    /* a byte changed in a change line: the signature no longer matches */
    uint8_t *t = malloc(len);
    memcpy(t, bun, len);
    char *p = strstr((char *)t, "Ocean");
    assert_non_null(p);
    p[0] = 'o';
    assert_int_equal(import(&b, t, len, NULL), AD_ERR_PERM);
    assert_non_null(strstr(err.msg, "nothing written"));
    assert_int_equal(footprint(&b), before);
    /* the manifest changed: its signature fails */
    memcpy(t, bun, len);
    p = strstr((char *)t, "\"created\":");
    p[11] = p[11] == '1' ? '2' : '1';
    assert_int_equal(import(&b, t, len, NULL), AD_ERR_PERM);
    assert_int_equal(footprint(&b), before);
    /* truncated anywhere */
    for (size_t cut = 1; cut < len; cut += len / 23 + 1) {
        ad_code rc = import(&b, bun, cut, NULL);
        assert_true(rc == AD_ERR_CHECKSUM || rc == AD_ERR_VERSION || rc == AD_ERR_PERM ||
                    rc == AD_ERR_PARSE);
        assert_int_equal(footprint(&b), before);
    }
    /* extra bytes after the signature */
    uint8_t *longer = malloc(len + 3);
    memcpy(longer, bun, len);
    memcpy(longer + len, "{}\n", 3);
    assert_int_equal(import(&b, longer, len + 3, NULL), AD_ERR_CHECKSUM);
    free(longer);
    /* a key no 'peer add' named */
    series(&x, "Forest", SHA2);
    size_t xlen;
    uint8_t *xb = export(&x, "b", 0, &xlen);
    assert_int_equal(import(&b, xb, xlen, NULL), AD_ERR_PERM);
    assert_non_null(strstr(err.msg, "no 'peer add' named"));
    assert_int_equal(footprint(&b), before);
    free(xb);
    /* a gap: the second change set without the first */
    series(&a, "River", SHA3);
    size_t l2;
    uint8_t *second = export(&a, "b", 0, &l2);
    assert_int_equal(import(&b, second, l2, NULL), AD_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "gap"));
    assert_int_equal(footprint(&b), before);
    /* in order, both apply */
    OK(import(&b, bun, len, NULL));
    OK(import(&b, second, l2, NULL));
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series"), 2);
    free(second);
    free(t);
    free(bun);
    ft_node_close(&a);
    ft_node_close(&b);
    ft_node_close(&x);
}

/* A hub relays a national instance's change sets byte for byte; the receiver verifies their
 * author; a non-hub may not relay. */
static void test_hub_relay(void **state)
{
    (void)state;
    ft_node a, h, b;
    inst_open(&a, 0);
    inst_open(&h, 0);
    inst_open(&b, 0);
    ft_trust(&a, "hub", &h, "hub");
    ft_trust(&b, "hub", &h, "hub");
    ft_trust(&h, "a", &a, "national");
    ft_trust(&h, "b", &b, "national");
    ft_trust(&b, "a", &a, "national"); /* b knows a's key: it verifies a's sets */
    series(&a, "Ocean", SHA1);
    size_t len;
    uint8_t *ab = export(&a, "hub", 0, &len);
    OK(import(&h, ab, len, NULL));
    uint8_t *hb = export(&h, "b", 0, &len);
    /* the relayed sets are a's, byte for byte: one per kind (media, series, link) */
    assert_int_equal(ft_count(&h, "SELECT COUNT(*) FROM change_set"), 3);
    OK(import(&b, hb, len, NULL));
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series WHERE name = 'Ocean'"), 1);
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM change_set WHERE origin = '%s'", a.uuid);
    assert_int_equal(ft_count(&b, q), 3);
    /* the hub sends nothing back to a that a made */
    free(ab);
    ab = export(&h, "a", 0, &len);
    ad_fed_stats s;
    OK(import(&a, ab, len, &s));
    assert_int_equal(s.sets, 0);
    free(ab);
    free(hb);

    /* b sees the hub as a national peer only: a relayed set is out of scope */
    ft_node c;
    inst_open(&c, 0);
    ft_trust(&c, "hub", &h, "national");
    ft_trust(&c, "a", &a, "national");
    ft_trust(&h, "c", &c, "national");
    hb = export(&h, "c", 0, &len);
    int64_t before = footprint(&c);
    assert_int_equal(import(&c, hb, len, NULL), AD_ERR_PERM);
    assert_non_null(strstr(err.msg, "only a hub may relay"));
    assert_int_equal(footprint(&c), before);
    free(hb);
    ft_node_close(&a);
    ft_node_close(&h);
    ft_node_close(&b);
    ft_node_close(&c);
}

/* vPDQ frames in a media change: the form read back exactly; a malformed, non-canonical or
 * over-long field refused (AD_ERR_PARSE); received frames written to a media without any. */
static void run_vpdq_frames(int pg)
{
    ft_node a, b;
    inst_open(&a, pg);
    inst_open(&b, pg);
    if (pg && (!a.st || !b.st))
        return;
    ft_trust(&b, "a", &a, "national");
    ft_trust(&a, "b", &b, "national");
    int64_t mid = media(&a, SHA1);
    ad_frame f[3];
    for (int i = 0; i < 3; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].media_id = mid;
        f[i].frame = i * 10;
        f[i].timestamp_ms = i == 1 ? -1 : i * 1000;
        f[i].quality = 90 + i;
        memset(f[i].pdq.b, 0x11 * (i + 1), 32);
    }
    OK(ad_store_frame_add_batch(a.st, f, 3, E));
    json_t *v = NULL;
    OK(ad_fed_frames_body(a.st, mid, &v, E));
    assert_non_null(v);
    const char *b64 = json_string_value(v);
    assert_int_equal(strlen(b64), 164); /* 3 x 41 bytes, base64 */
    ad_frame *g;
    size_t n;
    OK(ad_fed_frames_decode(b64, &g, &n, E));
    assert_int_equal(n, 3);
    assert_int_equal(g[1].timestamp_ms, -1);
    assert_int_equal(g[2].frame, 20);
    assert_int_equal(g[2].quality, 92);
    assert_memory_equal(g[2].pdq.b, f[2].pdq.b, 32);
    free(g);
    /* not base64, not whole frames, a different text of the same bytes, frames out of order */
    char *bad = strdup(b64);
    bad[5] = '*';
    assert_int_equal(ad_fed_frames_decode(bad, &g, &n, E), AD_ERR_PARSE);
    assert_int_equal(ad_fed_frames_decode("AAAA", &g, &n, E), AD_ERR_PARSE);
    free(bad);
    bad = strdup(b64);
    bad[strlen(bad) - 3] = 0; /* no padding */
    assert_int_equal(ad_fed_frames_decode(bad, &g, &n, E), AD_ERR_PARSE);
    free(bad);
    /* beyond the limit */
    size_t big = ((size_t)AD_FED_VPDQ_MAX + 1) * 41 / 3 * 4 + 8;
    bad = malloc(big + 1);
    memset(bad, 'A', big);
    bad[big] = 0;
    assert_int_equal(ad_fed_frames_decode(bad, &g, &n, E), AD_ERR_PARSE);
    assert_non_null(strstr(err.msg, "more than"));
    free(bad);
    json_decref(v);
    /* the media change carries them; the receiver stores them */
    size_t len;
    uint8_t *bun = export(&a, "b", 0, &len);
    OK(import(&b, bun, len, NULL));
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM media_frame"), 3);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM media_frame WHERE ts_ms IS NULL"), 1);
    free(bun);
    /* a frame added later logs its media (schema 16 trigger): it travels again */
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM change_log WHERE seq IS NULL"), 0);
    f[0].frame = 30;
    OK(ad_store_frame_add_batch(a.st, f, 1, E));
    assert_int_equal(
        ft_count(&a, "SELECT COUNT(*) FROM change_log WHERE seq IS NULL AND kind = 'media'"), 1);
    ft_node_close(&a);
    ft_node_close(&b);
}

static void test_vpdq_frames(void **state)
{
    (void)state;
    run_vpdq_frames(0);
    if (getenv("AD_TEST_PG"))
        run_vpdq_frames(1);
}

static int64_t note(ft_node *in, const char *sha, const char *text)
{
    int64_t nid;
    OK(ad_store_text_add(in->st, "media", media(in, sha), NULL, text, 0, &nid, E));
    return nid;
}

static void trust_policy(ft_node *a, const char *name, const ft_node *b, const char *scope,
                         const char *send, const char *accept)
{
    ad_fed_peer p = {
        .name = name, .pubkey = b->pub, .scope = scope, .send_kinds = send, .accept_kinds = accept};
    int64_t id;
    OK(ad_fed_peer_add(a->st, &p, &id, E));
}

static void exchange(ft_node *from, const char *peer, ft_node *to, ad_fed_stats *s)
{
    size_t len;
    uint8_t *bun = export(from, peer, 0, &len);
    OK(import(to, bun, len, s));
    free(bun);
}

/* Policy per peer: a peer sent no notes gets none while another gets them; a hub relaying
 * obeys its peers' policies; a kind refused on import writes nothing of it and says so; the
 * runs continue past what was withheld; widening sends what changes next, not what was
 * withheld. */
static void test_policy_per_peer(void **state)
{
    (void)state;
    ft_node a, b, c, h, d;
    inst_open(&a, getenv("AD_TEST_PG") != NULL); /* the origin on PostgreSQL when there is one */
    inst_open(&b, 0);
    inst_open(&c, 0);
    inst_open(&h, 0);
    inst_open(&d, 0);
    trust_policy(&a, "b", &b, "national", "media,series,link,person,vote,clue", NULL);
    ft_trust(&a, "c", &c, "national");
    ft_trust(&a, "hub", &h, "hub");
    ft_trust(&b, "a", &a, "national");
    ft_trust(&c, "a", &a, "national");
    trust_policy(&d, "a", &a, "national", NULL, "media,series,link,person,vote,clue");
    ft_trust(&a, "d", &d, "national");
    /* the hub: a's notes go to c, not to b */
    ft_trust(&h, "a", &a, "national");
    trust_policy(&h, "b", &b, "national", "media,series,link,person,vote,clue", NULL);
    ft_trust(&h, "c", &c, "national");
    series(&a, "Ocean", SHA1);
    note(&a, SHA1, "forum words");

    ad_fed_stats s;
    size_t len;
    uint8_t *ab = export(&a, "b", 0, &len);
    char *text = strndup((const char *)ab, len);
    assert_null(strstr(text, "forum words"));
    free(text);
    OK(import(&b, ab, len, &s));
    free(ab);
    assert_true(s.withheld >= 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note"), 0);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series_media"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM fed_withheld WHERE kinds = 'note'"), 1);
    exchange(&a, "c", &c, NULL);
    assert_int_equal(ft_count(&c, "SELECT COUNT(*) FROM note"), 1);

    /* refused on import: nothing of the kind written, said in the counts */
    exchange(&a, "d", &d, &s);
    assert_int_equal(ft_count(&d, "SELECT COUNT(*) FROM note"), 0);
    assert_int_equal(ft_count(&d, "SELECT COUNT(*) FROM series_media"), 1);
    assert_int_equal(s.refused, 1);
    assert_int_equal(s.refused_kinds, 1u << 5);
    assert_int_equal(ft_count(&d, "SELECT COUNT(*) FROM change_set WHERE kinds = 'note'"), 0);

    /* relayed through the hub: c gets the notes, b does not */
    ft_node b2, c2;
    inst_open(&b2, 0);
    inst_open(&c2, 0);
    ft_trust(&h, "b2", &b2, "national"); /* (b2, c2: fresh nations behind the hub) */
    ft_trust(&h, "c2", &c2, "national");
    exchange(&a, "hub", &h, NULL);
    unsigned no_note = AD_FED_KINDS_ALL & ~(1u << 5);
    OK(ad_fed_peer_policy(h.st, "b2", &no_note, NULL, E));
    for (int i = 0; i < 2; i++) {
        ft_node *n = i ? &c2 : &b2;
        ft_trust(n, "hub", &h, "hub");
        ft_trust(n, "a", &a, "national");
        exchange(&h, i ? "c2" : "b2", n, &s);
        assert_int_equal(ft_count(n, "SELECT COUNT(*) FROM series_media"), 1);
        assert_int_equal(ft_count(n, "SELECT COUNT(*) FROM note"), i ? 1 : 0);
    }

    /* the runs go on past the withheld set; widening sends the next note, not the old one */
    note(&a, SHA2, "second words");
    exchange(&a, "b", &b, &s);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note"), 0);
    unsigned all = AD_FED_KINDS_ALL;
    OK(ad_fed_peer_policy(a.st, "b", &all, NULL, E));
    note(&a, SHA3, "third words");
    exchange(&a, "b", &b, &s);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note"), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note WHERE body = 'third words'"), 1);
    /* asked: the withheld note goes again, as it stands; c, which has it, changes nothing */
    int64_t logged = 0;
    OK(ad_fed_resend(a.st, 1u << 5, &logged, E));
    assert_int_equal(logged, 3);
    exchange(&a, "b", &b, &s);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM note"), 3);
    int64_t c_notes = ft_count(&c, "SELECT COUNT(*) FROM note");
    exchange(&a, "c", &c, &s);
    assert_int_equal(ft_count(&c, "SELECT COUNT(*) FROM note"), c_notes + 2); /* the two new */
    /* and a replay of everything changes nothing */
    uint8_t *again = export(&a, "b", 1, &len);
    int64_t before = footprint(&b);
    OK(import(&b, again, len, &s));
    assert_int_equal(s.applied, 0);
    assert_int_equal(footprint(&b), before);
    free(again);
    ft_node *all_inst[] = {&a, &b, &c, &h, &d, &b2, &c2};
    for (size_t i = 0; i < sizeof all_inst / sizeof all_inst[0]; i++)
        ft_node_close(all_inst[i]);
}

/* Merge rules. */
static void test_merge(void **state)
{
    (void)state;
    ft_node a, b;
    inst_open(&a, 0);
    inst_open(&b, 0);
    ft_trust(&a, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    /* both make a series for the same media, and of the same name: both kept */
    int64_t sa = series(&a, "Ocean", SHA1), pid;
    series(&b, "Ocean", SHA1);
    OK(ad_store_person_add(a.st, AD_VICTIM, "V-1", sa, &pid, E));
    OK(ad_store_vote(a.st, media(&a, SHA1), "vics-us", "1", NULL, E));
    OK(ad_store_vote(b.st, media(&b, SHA1), "vics-us", "2", NULL, E));
    size_t la, lb;
    uint8_t *ab = export(&a, "b", 0, &la), *ba = export(&b, "a", 0, &lb);
    OK(import(&b, ab, la, NULL));
    OK(import(&a, ba, lb, NULL));
    free(ab);
    free(ba);
    for (int i = 0; i < 2; i++) {
        ft_node *in = i ? &b : &a;
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series_media"), 2);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series WHERE name LIKE 'Ocean%'"), 2);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM vote"), 2); /* votes accumulate */
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM media"), 1);
    }
    /* b identifies the victim; a's later state (unidentified) never undoes it */
    OK(ad_store_person_identify(b.st, AD_VICTIM, "V-1", agency_of(&b, "Ocean"), "DE", E));
    uint8_t *b2 = export(&b, "a", 0, &lb);
    OK(import(&a, b2, lb, NULL));
    free(b2);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM person WHERE identified = 1"), 1);
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM person WHERE identified_origin = '%s'", b.uuid);
    assert_int_equal(ft_count(&a, q), 1);
    /* only the identifying instance retracts, and its retraction travels */
    assert_int_equal(ad_store_person_retract(a.st, AD_VICTIM, "V-1", E), AD_ERR_PERM);
    OK(ad_store_person_retract(b.st, AD_VICTIM, "V-1", E));
    assert_int_equal(ad_store_person_retract(b.st, AD_VICTIM, "V-1", E), AD_ERR_NOT_FOUND);
    b2 = export(&b, "a", 0, &lb);
    OK(import(&a, b2, lb, NULL));
    free(b2);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM person WHERE identified = 1"), 0);
    /* a series belongs to its origin: a change of a's series by b is refused */
    char gid[AD_GID_MAX];
    OK(ad_store_gid_get(a.st, "series", sa, gid, sizeof gid, E));
    json_t *ch = json_pack("{s:s, s:s, s:s, s:I}", "kind", "series", "gid", gid, "name", "Mine",
                           "seq", (json_int_t)1);
    OK(ad_store_begin(a.st, E));
    assert_int_equal(ad_fed_apply_change(a.st, b.uuid, ch, E), AD_ERR_PERM);
    OK(ad_store_rollback(a.st, E));
    json_decref(ch);
    ft_node_close(&a);
    ft_node_close(&b);
}

/* A vote's withdrawal (undo) travels like the vote: the peer's trusted category agrees. */
static void test_vote_withdraw(void **state)
{
    (void)state;
    ft_node a, b;
    inst_open(&a, 0);
    inst_open(&b, 0);
    ft_trust(&a, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    int64_t m = media(&a, SHA1), vid;
    char gid[AD_GID_MAX];
    OK(ad_store_vote(a.st, m, "vics-us", "1", "p", E));
    OK(ad_store_vote(a.st, m, "vics-us", "1", "q", E));
    OK(ad_store_vote_id(a.st, m, "vics-us", "2", "r", &vid, E)); /* a dissent, then undone */
    OK(ad_store_gid_get(a.st, "vote", vid, gid, sizeof gid, E));
    OK(ad_store_vote_withdraw(a.st, gid, "r", NULL, NULL, E));
    OK(ad_store_vote(a.st, m, "vics-us", "1", "s", E));
    size_t la;
    uint8_t *ab = export(&a, "b", 0, &la);
    OK(import(&b, ab, la, NULL));
    free(ab);
    for (int i = 0; i < 2; i++) {
        ft_node *in = i ? &b : &a;
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM vote"), 5);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM vote WHERE withdraws IS NOT NULL"), 1);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM trusted_category WHERE code = '1'"), 1);
    }
    ft_node_close(&a);
    ft_node_close(&b);
}

static int64_t series_of_gid(ft_node *in, const char *gid)
{
    int64_t id;
    OK(ad_store_gid_find(in->st, "series", gid, &id, E));
    return id;
}

static int64_t survivor(ft_node *in, int64_t id)
{
    int64_t sv;
    OK(ad_store_series_survivor(in->st, id, &sv, E));
    return sv;
}

static int count_agreed(void *ctx, const ad_series_merge *m)
{
    *(int *)ctx += m->from_at && m->into_at && m->from_agency && m->into_agency;
    return 0;
}

/* Owners merging two series (docs/federation.md "Merging two series"): a's owner requests
 * "Ocean into Sea", b's owner (Sea's) consents; nothing changes until both have; then both
 * instances name Sea the survivor, whichever order the sets travel in (order 0: a's request
 * reaches b before b consents; order 1: both act before any exchange, b's set first, b on
 * PostgreSQL when AD_TEST_PG is set). */
static void run_series_merge(int order)
{
    ft_node a, b;
    inst_open(&a, 0);
    inst_open(&b, order == 1 && getenv("AD_TEST_PG"));
    ft_trust(&a, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    int64_t ocean = series(&a, "Ocean", SHA1), sea = series(&b, "Sea", SHA1);
    char og[AD_GID_MAX], sg[AD_GID_MAX];
    OK(ad_store_gid_get(a.st, "series", ocean, og, sizeof og, E));
    OK(ad_store_gid_get(b.st, "series", sea, sg, sizeof sg, E));
    exchange(&a, "b", &b, NULL);
    exchange(&b, "a", &a, NULL);
    int64_t a_sea = series_of_gid(&a, sg), b_ocean = series_of_gid(&b, og);
    int merged = -1;
    /* only an owner: a may not merge b's series into anything */
    int64_t lake = series(&b, "Lake", SHA2);
    exchange(&b, "a", &a, NULL);
    assert_int_equal(ad_store_series_merge(a.st, ocean, 999999, 0, &merged, E), AD_ERR_NOT_FOUND);
    char lg[AD_GID_MAX];
    OK(ad_store_gid_get(b.st, "series", lake, lg, sizeof lg, E));
    assert_int_equal(
        ad_store_series_merge(a.st, a_sea, series_of_gid(&a, lg), 0, &merged, E), AD_ERR_PERM);
    /* a's owner requests: nothing merged yet */
    OK(ad_store_series_merge(a.st, ocean, a_sea, agency_of(&a, "Ocean"), &merged, E));
    assert_int_equal(merged, 0);
    assert_int_equal(survivor(&a, ocean), ocean);
    assert_int_equal(ad_store_series_merge(a.st, ocean, a_sea, agency_of(&a, "Ocean"), &merged, E),
                     AD_ERR_EXISTS);
    if (order == 0) {
        exchange(&a, "b", &b, NULL);
        assert_int_equal(survivor(&b, b_ocean), b_ocean);
    }
    /* b's owner consents */
    OK(ad_store_series_merge(b.st, b_ocean, sea, agency_of(&b, "Sea"), &merged, E));
    assert_int_equal(merged, order == 0);
    if (order == 0) {
        exchange(&b, "a", &a, NULL);
    } else {
        exchange(&b, "a", &a, NULL);
        assert_int_equal(survivor(&a, ocean), a_sea);
        exchange(&a, "b", &b, NULL);
    }
    exchange(&a, "b", &b, NULL); /* nothing more: a replay changes nothing */
    exchange(&b, "a", &a, NULL);
    assert_int_equal(survivor(&a, ocean), a_sea);
    assert_int_equal(survivor(&b, b_ocean), sea);
    assert_int_equal(survivor(&a, a_sea), a_sea);
    int agreed = 0;
    OK(ad_store_series_merges(a.st, a_sea, count_agreed, &agreed, E));
    OK(ad_store_series_merges(b.st, b_ocean, count_agreed, &agreed, E));
    assert_int_equal(agreed, 2); /* each side's agency known on both instances */
    for (int i = 0; i < 2; i++) {
        ft_node *in = i ? &b : &a;
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series_merge WHERE from_at IS NOT NULL"
                                      " AND into_at IS NOT NULL"),
                         1);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series"), 3); /* nothing deleted */
    }
    /* merged already; and a consent forged by the other origin is refused */
    assert_int_equal(ad_store_series_merge(b.st, b_ocean, sea, 0, &merged, E), AD_ERR_EXISTS);
    json_t *ch = json_pack("{s:s, s:s, s:s, s:I, s:{s:I, s:n}}", "kind", "merge", "from", og,
                           "into", lg, "seq", (json_int_t)9, "from_consent", "at",
                           (json_int_t)1, "agency");
    OK(ad_store_begin(a.st, E));
    assert_int_equal(ad_fed_apply_change(a.st, b.uuid, ch, E), AD_ERR_PERM);
    OK(ad_store_rollback(a.st, E));
    json_decref(ch);
    /* one agency owning both: merged at once, and shared */
    int64_t pond = series(&b, "Pond", SHA3);
    OK(ad_store_series_merge(b.st, pond, lake, 0, &merged, E));
    assert_int_equal(merged, 1);
    exchange(&b, "a", &a, NULL);
    char pg[AD_GID_MAX];
    OK(ad_store_gid_get(b.st, "series", pond, pg, sizeof pg, E));
    assert_int_equal(survivor(&a, series_of_gid(&a, pg)), series_of_gid(&a, lg));
    /* merges travel in sets of their own kind; --resend merge logs every merge again, and
     * the other side, which has them, changes nothing */
    assert_true(ft_count(&b, "SELECT COUNT(*) FROM change_set WHERE kinds = 'merge'") >= 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM change_set WHERE kinds LIKE '%,%'"), 0);
    int64_t logged = 0;
    OK(ad_fed_resend(b.st, 1u << 7, &logged, E));
    assert_int_equal(logged, ft_count(&b, "SELECT COUNT(*) FROM series_merge"));
    int64_t agreed_a = ft_count(&a, "SELECT COUNT(*) FROM series_merge WHERE from_at IS NOT NULL"
                                    " AND into_at IS NOT NULL");
    exchange(&b, "a", &a, NULL);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM series_merge WHERE from_at IS NOT NULL"
                                  " AND into_at IS NOT NULL"),
                     agreed_a);
    ft_node_close(&a);
    ft_node_close(&b);
}

static void test_series_merge(void **state)
{
    (void)state;
    run_series_merge(0);
    run_series_merge(1);
}

/* Unlinking a series' media (docs/federation.md "Unlinking"): the unlink reaches the peer and
 * the link stops counting there, nothing deleted; the same bundle again and a resend change
 * nothing; a link made again after it counts again on both sides, and the old unlink replayed
 * does not withdraw it; a peer sent no unlinks keeps the link; an unlink of another origin's
 * series is refused. b on PostgreSQL when AD_TEST_PG is set. */
static void test_unlink(void **state)
{
    (void)state;
    ft_node a, b, c;
    inst_open(&a, 0);
    inst_open(&b, getenv("AD_TEST_PG") != NULL);
    inst_open(&c, 0);
    ft_trust(&a, "b", &b, "national");
    ft_trust(&b, "a", &a, "national");
    trust_policy(&a, "c", &c, "national", "media,series,link,person,vote,note,clue,merge", NULL);
    ft_trust(&c, "a", &a, "national");
    int64_t sa = series(&a, "Ocean", SHA1), m1 = media(&a, SHA1);
    OK(ad_store_series_link(a.st, sa, media(&a, SHA2), E));
    exchange(&a, "b", &b, NULL);
    exchange(&a, "c", &c, NULL);
    static const char live[] = "SELECT COUNT(*) FROM series_media_live";
    assert_int_equal(ft_count(&b, live), 2);
    OK(ad_store_series_unlink(a.st, sa, m1, NULL, E));
    size_t ul;
    uint8_t *unl = export(&a, "b", 0, &ul);
    OK(import(&b, unl, ul, NULL));
    exchange(&a, "c", &c, NULL);
    for (int i = 0; i < 2; i++) {
        ft_node *in = i ? &b : &a;
        assert_int_equal(ft_count(in, live), 1);
        /* nothing deleted */
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series_media"), 2);
        assert_int_equal(ft_count(in, "SELECT COUNT(*) FROM series_unlink"), 1);
    }
    /* the peer sent no unlinks still has the link */
    assert_int_equal(ft_count(&c, live), 2);
    assert_int_equal(ft_count(&c, "SELECT COUNT(*) FROM series_unlink"), 0);
    /* again: the same bundle, and every unlink and link logged again */
    OK(import(&b, unl, ul, NULL));
    int64_t logged = 0;
    OK(ad_fed_resend(a.st, (1u << 2) | (1u << 8), &logged, E));
    assert_int_equal(logged, 3);
    exchange(&a, "b", &b, NULL);
    assert_int_equal(ft_count(&b, live), 1);
    assert_int_equal(ft_count(&b, "SELECT COUNT(*) FROM series_unlink"), 1);
    /* made again: counts again on both sides; the old unlink replayed withdraws nothing */
    OK(ad_store_series_link(a.st, sa, m1, E));
    exchange(&a, "b", &b, NULL);
    assert_int_equal(ft_count(&a, live), 2);
    assert_int_equal(ft_count(&b, live), 2);
    OK(import(&b, unl, ul, NULL));
    assert_int_equal(ft_count(&b, live), 2);
    /* an unlink of a's series made by b: refused */
    char sg[AD_GID_MAX], ug[AD_GID_MAX];
    OK(ad_store_gid_get(a.st, "series", sa, sg, sizeof sg, E));
    snprintf(ug, sizeof ug, "%s:unlink:77", b.uuid);
    json_t *ch = json_pack("{s:s, s:s, s:s, s:{s:s}, s:I, s:s, s:I}", "kind", "unlink", "gid", ug,
                           "series", sg, "media", "sha256", SHA1, "gen", (json_int_t)2, "author",
                           "u:1", "seq", (json_int_t)9);
    OK(ad_store_begin(a.st, E));
    assert_int_equal(ad_fed_apply_change(a.st, b.uuid, ch, E), AD_ERR_PERM);
    assert_non_null(strstr(err.msg, "another origin owns"));
    OK(ad_store_rollback(a.st, E));
    json_decref(ch);
    assert_int_equal(ft_count(&a, live), 2);
    free(unl);
    ft_node_close(&a);
    ft_node_close(&b);
    ft_node_close(&c);
}

/* A bundle signed by a trusted peer whose second change is one its author may not make: the
 * first change (a new media) is rolled back with it: all or nothing at apply time too. */
static void test_apply_all_or_nothing(void **state)
{
    (void)state;
    ft_node a, b;
    inst_open(&a, 0);
    inst_open(&b, 0);
    ft_trust(&a, "b", &b, "national");
    int64_t sa = series(&a, "Ocean", SHA1);
    char gid[AD_GID_MAX], line1[200], line2[300];
    OK(ad_store_gid_get(a.st, "series", sa, gid, sizeof gid, E));
    snprintf(line1, sizeof line1, "{\"kind\":\"media\",\"seq\":1,\"sha256\":\"%s\"}", SHA2);
    snprintf(line2, sizeof line2,
             "{\"gid\":\"%s\",\"kind\":\"series\",\"name\":\"Mine\",\"seq\":2}", gid);
    const char *lines[] = {line1, line2};
    size_t o;
    uint8_t *bun = ft_bundle(&b.key, b.uuid, b.pub, lines, 2, &o, E);
    assert_non_null(bun);
    int64_t before = footprint(&a);
    assert_int_equal(import(&a, bun, o, NULL), AD_ERR_PERM);
    assert_non_null(strstr(err.msg, "another origin owns"));
    assert_int_equal(footprint(&a), before);
    assert_int_equal(ft_count(&a, "SELECT COUNT(*) FROM media"), 1);
    free(bun);
    ft_node_close(&a);
    ft_node_close(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_sqlite),
        cmocka_unit_test(test_roundtrip_pg),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_hub_relay),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_vote_withdraw),
        cmocka_unit_test(test_vpdq_frames),
        cmocka_unit_test(test_policy_per_peer),
        cmocka_unit_test(test_series_merge),
        cmocka_unit_test(test_apply_all_or_nothing),
        cmocka_unit_test(test_unlink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
