/* test_case_page.c: the case page's reads made fast for 100,000 files (issue 14) give the answers
 * of the slow way. The summary (ad_store_case_summary: grouped queries) against the classes
 * recomputed file by file with ad_lookup_classify, after votes, links and identifications
 * change what a class is; the candidate groups kept per case (case_groups) against groups
 * computed afresh, after a clue is added and after a second job; the groups' keyset pages of
 * a case of more groups than a page against the whole; keyset pages that cover every file
 * once. On SQLite and (with $AD_TEST_PG) PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/report.h"
#include "ariadne/service.h"
#include "store/store_int.h"
#include "testutil.h"

#define OK(x) assert_int_equal((x), AD_OK)
#define E (&e)

typedef struct {
    td_db db;
    ad_store *st;
    int64_t hub, unit, case_id, sa, sb, known[5], fresh[3];
    ad_identity id;
    ad_call c;
} fx;

static int64_t media(ad_store *st, int seed, int near)
{
    ad_media m;
    ad_err e;
    ad_media_init(&m);
    m.has_sha256 = m.has_pdq = 1;
    for (int i = 0; i < 32; i++) {
        m.sha256[i] = (uint8_t)(seed * 31 + i * 7);
        m.pdq.b[i] = (uint8_t)((near ? near : seed) * 17 + i * 13);
    }
    if (near)
        m.pdq.b[3] ^= 0x11;
    m.pdq_quality = 100;
    int64_t id;
    int created;
    OK(ad_store_media_upsert(st, &m, &id, &created, E));
    return id;
}

/* one job of the case: the known media copied, the new ones, a failure */
static void job(fx *f, const char *jid, const int64_t *known, size_t nk, const int64_t *fresh,
                size_t nf)
{
    ad_err e;
    ad_job j = {jid, f->case_id, f->unit, "EX", jid, "test", "running", 0, 0, "test"};
    int resumed;
    OK(ad_store_job_open(f->st, &j, &resumed, E));
    size_t cap = nk + nf + 1;
    ad_job_item *it = calloc(cap, sizeof *it);
    char(*keys)[8] = calloc(cap, sizeof *keys), (*paths)[32] = calloc(cap, sizeof *paths);
    assert_true(it && keys && paths);
    size_t n = 0;
    for (size_t i = 0; i < nk + nf + 1; i++, n++) {
        snprintf(keys[n], sizeof keys[n], "%02zx", i);
        snprintf(paths[n], sizeof paths[n], "/%s/f%zu.jpg", jid, i);
        it[n] = (ad_job_item){.job_id = jid, .key = keys[n], .ordinal = (int64_t)i,
                              .path = paths[n]};
        if (i < nk) {
            it[n].media_id = it[n].match_media_id = known[i];
            it[n].match_kind = "sha256";
        } else if (i < nk + nf) {
            it[n].media_id = fresh[i - nk];
        } else {
            it[n].error_code = "corrupt";
            it[n].error_message = "cut";
        }
    }
    OK(ad_store_job_items_add(f->st, it, n, E));
    OK(ad_store_job_finish(f->st, jid, E));
    free(it);
    free(keys);
    free(paths);
}

static int setup(void **state, int pg)
{
    fx *f = calloc(1, sizeof *f);
    int k = td_db_create(&f->db, pg, "test_case_page");
    if (k) {
        free(f);
        *state = NULL;
        return k > 0 ? 0 : -1;
    }
    ad_err e;
    if (ad_store_open(&f->st, f->db.url, AD_STORE_CREATE, &e) != AD_OK)
        return -1;
    ad_agency hub = {0, "Hub", "NL", "hub", 0}, unit = {0, "Unit", "GB", "police", 0};
    OK(ad_store_agency_add(f->st, &hub, &f->hub, E));
    OK(ad_store_agency_add(f->st, &unit, &f->unit, E));
    ad_store_set_actor(f->st, "hubber", f->hub);
    ad_series a = {0, "Series A", f->hub, NULL, "a@hub.example", "active", 0, 0, 0, 0};
    ad_series b = {0, "Series B", f->hub, NULL, "b@hub.example", "active", 0, 0, 0, 0};
    OK(ad_store_series_create(f->st, &a, &f->sa, E));
    OK(ad_store_series_create(f->st, &b, &f->sb, E));
    int64_t pid;
    OK(ad_store_person_add(f->st, AD_VICTIM, "V-A", f->sa, &pid, E));
    OK(ad_store_person_add(f->st, AD_VICTIM, "V-B", f->sb, &pid, E));
    OK(ad_store_person_identify(f->st, AD_VICTIM, "V-B", f->hub, "NL", E));
    for (int i = 0; i < 5; i++)
        f->known[i] = media(f->st, 100 + i, 0);
    OK(ad_store_series_link(f->st, f->sa, f->known[0], E)); /* unidentified */
    OK(ad_store_series_link(f->st, f->sb, f->known[1], E)); /* identified */
    OK(ad_store_series_link(f->st, f->sb, f->known[2], E)); /* in both: unidentified wins */
    OK(ad_store_series_link(f->st, f->sa, f->known[2], E));
    f->fresh[0] = media(f->st, 200, 0);
    f->fresh[1] = media(f->st, 201, 200); /* a near-duplicate of the first: a group */
    f->fresh[2] = media(f->st, 202, 0);
    ad_case c = {0, f->unit, NULL, "C-1", NULL, "open", 0};
    OK(ad_store_case_open(f->st, &c, &f->case_id, E));
    /* known[0] twice, known[3] and known[4] (unseriesed) once each */
    int64_t kn[5] = {f->known[0], f->known[0], f->known[1], f->known[2], f->known[3]};
    job(f, "J-1", kn, 5, f->fresh, 3);
    memset(&f->id, 0, sizeof f->id);
    f->id.agency_id = f->unit;
    f->id.role = AD_ROLE_INVESTIGATOR;
    snprintf(f->id.user, sizeof f->id.user, "inv");
    f->c = (ad_call){f->st, NULL, &f->id, NULL};
    *state = f;
    return 0;
}

static int setup_sqlite(void **state) { return setup(state, 0); }
static int setup_pg(void **state) { return setup(state, 1); }

static int teardown(void **state)
{
    fx *f = *state;
    if (f) {
        ad_store_close(f->st);
        td_db_drop(&f->db);
        free(f);
    }
    return 0;
}

/* ---- the slow way: every file classified on its own (the summary before schema 14) ---- */

typedef struct {
    ad_store *st;
    ad_lookup_cache *cache;
    ad_case_summary s;
    ad_case_series ser[16];
} slow;

static int slow_item(void *p, const ad_job_item *it, const ad_sighting *sg)
{
    (void)sg;
    slow *m = p;
    m->s.files++;
    if (it->error_code || !it->media_id) {
        m->s.errors++;
        return 0;
    }
    if (!it->match_media_id) {
        m->s.counts[AD_CLASS_NEW]++;
        return 0;
    }
    ad_classification k;
    ad_err e;
    OK(ad_lookup_classify(m->st, m->cache, it->match_media_id, &k, E));
    m->s.counts[k.cls]++;
    if (!k.series_id)
        return 0;
    size_t i = 0;
    while (i < m->s.nseries && m->ser[i].series_id != k.series_id)
        i++;
    if (i == m->s.nseries) {
        assert_true(i < 16);
        memset(&m->ser[i], 0, sizeof m->ser[i]);
        m->ser[i].series_id = k.series_id;
        snprintf(m->ser[i].name, sizeof m->ser[i].name, "%s", k.series_name);
        m->ser[i].cls = k.cls;
        m->s.nseries++;
    }
    if (k.cls == AD_CLASS_KNOWN_UNIDENTIFIED)
        m->ser[i].cls = k.cls;
    m->ser[i].files++;
    return 0;
}

static void same_as_slow(fx *f)
{
    ad_err e;
    slow m = {0};
    m.st = f->st;
    OK(ad_lookup_cache_new(&m.cache, E));
    OK(ad_store_case_items(f->st, f->case_id, slow_item, &m, E));
    ad_lookup_cache_free(m.cache);
    ad_case_summary s;
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.files, m.s.files);
    assert_int_equal(s.errors, m.s.errors);
    for (int k = 0; k < 5; k++)
        assert_int_equal(s.counts[k], m.s.counts[k]);
    assert_int_equal(s.nseries, m.s.nseries);
    for (size_t i = 0; i < s.nseries; i++) {
        size_t j = 0;
        while (j < m.s.nseries && m.ser[j].series_id != s.series[i].series_id)
            j++;
        assert_true(j < m.s.nseries);
        assert_string_equal(s.series[i].name, m.ser[j].name);
        assert_int_equal(s.series[i].cls, m.ser[j].cls);
        assert_int_equal(s.series[i].files, m.ser[j].files);
        if (i) /* known-unidentified first, then by files */
            assert_true(s.series[i - 1].cls == AD_CLASS_KNOWN_UNIDENTIFIED ||
                        s.series[i].cls != AD_CLASS_KNOWN_UNIDENTIFIED);
    }
    ad_case_summary_free(&s);
}

static void test_summary(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ad_err e;
    same_as_slow(f);
    ad_case_summary s;
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.files, 9);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.counts[AD_CLASS_NEW], 3);
    assert_int_equal(s.counts[AD_CLASS_KNOWN_UNIDENTIFIED], 3); /* known[0] x2, known[2] */
    assert_int_equal(s.counts[AD_CLASS_KNOWN_IDENTIFIED], 1);
    assert_int_equal(s.counts[AD_CLASS_KNOWN_UNSERIESED], 1);
    assert_int_equal(s.nseries, 2);
    assert_string_equal(s.series[0].name, "Series A");
    ad_case_summary_free(&s);
    /* votes: known[3] trusted ignorable */
    ad_store_set_actor(f->st, "v1", f->unit);
    OK(ad_store_vote(f->st, f->known[3], "vics-us", "0", "v1", E));
    OK(ad_store_vote(f->st, f->known[3], "vics-us", "0", "v2", E));
    OK(ad_store_vote(f->st, f->known[3], "vics-us", "0", "v3", E));
    same_as_slow(f);
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.counts[AD_CLASS_IGNORABLE], 1);
    ad_case_summary_free(&s);
    /* links: known[3] into Series B (a series decides before ignorable) */
    OK(ad_store_series_link(f->st, f->sb, f->known[3], E));
    same_as_slow(f);
    /* identification: Series A's victim identified, so its files are known-identified */
    OK(ad_store_person_identify(f->st, AD_VICTIM, "V-A", f->hub, "NL", E));
    same_as_slow(f);
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.counts[AD_CLASS_KNOWN_UNIDENTIFIED], 0);
    assert_int_equal(s.counts[AD_CLASS_KNOWN_IDENTIFIED], 5);
    ad_case_summary_free(&s);
    /* a new unidentified victim in Series B */
    int64_t pid;
    OK(ad_store_person_add(f->st, AD_VICTIM, "V-B2", f->sb, &pid, E));
    same_as_slow(f);
    /* a job still running is counted from its items (no tally yet), a finished one from its
     * tally: both as the slow way counts */
    ad_job run = {"J-RUN", f->case_id, f->unit, "EX", "J-RUN", "test", "running", 0, 0, "t"};
    int resumed;
    OK(ad_store_job_open(f->st, &run, &resumed, E));
    ad_job_item ri = {.job_id = "J-RUN", .key = "00", .ordinal = 0, .path = "/r.jpg",
                      .media_id = f->known[3], .match_media_id = f->known[3],
                      .match_kind = "sha256"};
    OK(ad_store_job_items_add(f->st, &ri, 1, E));
    same_as_slow(f);
    OK(ad_store_job_finish(f->st, "J-RUN", E));
    same_as_slow(f);
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.files, 10);
    ad_case_summary_free(&s);
    /* the service's answer is the store's */
    json_t *doc = NULL;
    OK(ad_svc_case_summary(&f->c, f->case_id, &doc, E));
    assert_int_equal(json_integer_value(json_object_get(doc, "files")), 10);
    assert_int_equal(json_array_size(json_object_get(doc, "series")), 2);
    json_decref(doc);
}

/* the groups the service answers, as text without the case */
static char *groups_text(fx *f)
{
    ad_err e;
    json_t *doc = NULL;
    OK(ad_svc_case_groups(&f->c, f->case_id, 0, &doc, E));
    json_object_del(doc, "case");
    char *t = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return t;
}

static size_t fresh_groups(fx *f, const char *reason)
{
    ad_err e;
    ad_report r;
    OK(ad_report_build_groups(f->st, f->case_id, NULL, &r, E));
    size_t n = r.ngroups;
    if (reason)
        assert_non_null(n ? strstr(r.groups[0].reasons, reason) : NULL);
    ad_report_free(&r);
    return n;
}

static void test_groups(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ad_err e;
    char *a = groups_text(f), *b = groups_text(f); /* computed, then kept */
    assert_string_equal(a, b);
    assert_non_null(strstr(a, "near-duplicate"));
    assert_non_null(strstr(a, "\"new\":3"));
    assert_int_equal(fresh_groups(f, "near-duplicate"), 1);
    free(b);
    json_t *doc = NULL; /* a page of groups: the first ones, and how many in all */
    OK(ad_svc_case_groups(&f->c, f->case_id, 1, &doc, E));
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "total")), 1);
    json_decref(doc);
    /* keyset pages: the page after the last group is empty, and none follows */
    OK(ad_svc_case_groups_page(&f->c, f->case_id, 0, 1, &doc, E));
    assert_true(json_is_null(json_object_get(doc, "next")));
    json_decref(doc);
    OK(ad_svc_case_groups_page(&f->c, f->case_id, 1, 50, &doc, E));
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), 0);
    assert_true(json_is_null(json_object_get(doc, "next")));
    json_decref(doc);
    assert_int_equal(ad_svc_case_groups_page(&f->c, f->case_id, -1, 50, &doc, &e), AD_ERR_ARG);
    /* a camera clue on the other new picture and the first: kept groups are stale */
    int64_t cid;
    OK(ad_store_clue_add(f->st, "media", f->fresh[0], "other", "make: Acme", &cid, E));
    OK(ad_store_clue_add(f->st, "media", f->fresh[2], "other", "make: Acme", &cid, E));
    b = groups_text(f);
    assert_string_not_equal(a, b);
    assert_non_null(strstr(b, "same camera"));
    assert_int_equal(fresh_groups(f, NULL), 1);
    free(a);
    /* a second job with another new picture of the same camera: counted */
    int64_t more = media(f->st, 300, 0);
    OK(ad_store_clue_add(f->st, "media", more, "other", "make: Acme", &cid, E));
    int64_t kn[1] = {f->known[4]};
    job(f, "J-2", kn, 1, &more, 1);
    a = groups_text(f);
    assert_non_null(strstr(a, "\"new\":4"));
    assert_non_null(strstr(a, "/J-2/f1.jpg"));
    free(a);
    free(b);
    /* a third job with two near-duplicates of their own: a second group; keyset pages of one */
    int64_t pair[2] = {media(f->st, 400, 0), media(f->st, 401, 400)};
    job(f, "J-3", kn, 1, pair, 2);
    json_t *all = NULL, *p1 = NULL, *p2 = NULL;
    OK(ad_svc_case_groups(&f->c, f->case_id, 0, &all, E));
    size_t total = json_array_size(json_object_get(all, "groups"));
    assert_true(total >= 2);
    OK(ad_svc_case_groups_page(&f->c, f->case_id, 0, 1, &p1, E));
    json_t *g1 = json_array_get(json_object_get(p1, "groups"), 0);
    assert_true(json_equal(g1, json_array_get(json_object_get(all, "groups"), 0)));
    json_int_t next = json_integer_value(json_object_get(p1, "next"));
    assert_int_equal(next, json_integer_value(json_object_get(g1, "id")));
    OK(ad_svc_case_groups_page(&f->c, f->case_id, next, (int64_t)total, &p2, E));
    assert_int_equal(json_array_size(json_object_get(p2, "groups")), total - 1);
    assert_true(json_equal(json_array_get(json_object_get(p2, "groups"), 0),
                           json_array_get(json_object_get(all, "groups"), 1)));
    assert_true(json_is_null(json_object_get(p2, "next")));
    json_decref(all);
    json_decref(p1);
    json_decref(p2);
}

/* A new picture of a larger case: its own digests from k; the near-duplicate of picture k when
 * near (its PDQ 8 bits away), else a PDQ of its own. */
static int64_t big_media(ad_store *st, uint32_t k, int near)
{
    ad_media m;
    ad_err e;
    ad_media_init(&m);
    m.has_sha256 = m.has_pdq = 1;
    uint64_t x = 0x5EED0000u + k;
    for (int i = 0; i < 32; i++) {
        m.sha256[i] = i < 4 ? (uint8_t)(k >> (8 * i)) : (uint8_t)(0xA5 ^ i);
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* the PDQ of k - near */
        m.pdq.b[i] = (uint8_t)(x >> 56);
    }
    m.sha256[4] = (uint8_t)near;
    if (near)
        m.pdq.b[0] ^= 0xFF;
    m.pdq_quality = 100;
    int64_t id;
    int created;
    OK(ad_store_media_upsert(st, &m, &id, &created, E));
    return id;
}

/* the text kept for group id of the case (case_group), malloc'd */
static char *kept_group(fx *f, int64_t id)
{
    ad_err e;
    ad_stmt *s =
        ad_db_stmt(f->st->db, "SELECT doc FROM case_group WHERE case_id = ? AND id = ?", E);
    assert_non_null(s);
    ad_bind_int(s, 1, f->case_id);
    ad_bind_int(s, 2, id);
    assert_true(ad_step(s, E) > 0);
    char *t = strdup(ad_col_str(s, 0));
    ad_db_done(s);
    return t;
}

/* A case of more groups than a page (the review queue's pages of 100): 130 pairs of
 * near-duplicates. Keyset pages of every size agree with the whole, whatever the page starts
 * after, from what is kept and from groups computed afresh; a late page reads its own groups
 * alone (a group before it, damaged where it is kept, is neither read nor mended); a damaged
 * group in the page is computed again. */
static void test_group_pages(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ad_err e;
    enum { G = 130 };
    ad_case c = {0, f->unit, NULL, "C-BIG", NULL, "open", 0};
    OK(ad_store_case_open(f->st, &c, &f->case_id, E));
    int64_t *fresh = calloc(2 * G, sizeof *fresh);
    assert_non_null(fresh);
    OK(ad_store_begin(f->st, E));
    for (uint32_t k = 0; k < G; k++) {
        fresh[2 * k] = big_media(f->st, 1000 + k, 0);
        fresh[2 * k + 1] = big_media(f->st, 1000 + k, 1);
    }
    OK(ad_store_commit(f->st, E));
    job(f, "J-BIG", NULL, 0, fresh, 2 * G);
    free(fresh);
    json_t *whole = NULL, *doc = NULL;
    OK(ad_svc_case_groups(&f->c, f->case_id, 0, &whole, E)); /* computed and kept */
    json_t *all = json_object_get(whole, "groups");
    assert_int_equal(json_array_size(all), G);
    assert_int_equal(json_integer_value(json_object_get(whole, "total")), G);
    assert_int_equal(json_integer_value(json_object_get(whole, "new")), 2 * G);
    OK(ad_svc_case_groups(&f->c, f->case_id, 0, &doc, E)); /* read whole from what is kept */
    assert_true(json_equal(doc, whole));
    json_decref(doc);
    /* pages of every size, walked by their next: the whole, in order, once */
    static const int64_t sizes[] = {1, 7, 99, 100, 101, 129, 130, 500};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        int64_t after = 0, pages = 0;
        size_t seen = 0;
        do {
            OK(ad_svc_case_groups_page(&f->c, f->case_id, after, sizes[z], &doc, E));
            json_t *gs = json_object_get(doc, "groups");
            for (size_t i = 0; i < json_array_size(gs); i++)
                assert_true(json_equal(json_array_get(gs, i), json_array_get(all, seen++)));
            assert_int_equal(json_integer_value(json_object_get(doc, "total")), G);
            json_t *next = json_object_get(doc, "next");
            after = json_is_null(next) ? -1 : json_integer_value(next);
            pages++;
            json_decref(doc);
        } while (after >= 0 && pages <= G);
        assert_int_equal(seen, G);
        assert_int_equal(pages, (G + sizes[z] - 1) / sizes[z]);
    }
    /* a page after any group: its slice of the whole, kept and computed afresh alike */
    static const int64_t afters[] = {0, 1, 99, 100, 101, G - 1, G, G + 5};
    for (size_t a = 0; a < sizeof afters / sizeof *afters; a++)
        for (int fresh_now = 0; fresh_now < 2; fresh_now++) {
            if (fresh_now) /* nothing kept: computed (and kept again) */
                assert_int_equal(td_db_sql(&f->db, "DELETE FROM case_groups"), 1);
            OK(ad_svc_case_groups_page(&f->c, f->case_id, afters[a], 100, &doc, E));
            json_t *gs = json_object_get(doc, "groups");
            size_t want = afters[a] >= G ? 0 : G - afters[a] < 100 ? G - afters[a] : 100;
            assert_int_equal(json_array_size(gs), want);
            for (size_t i = 0; i < want; i++)
                assert_true(
                    json_equal(json_array_get(gs, i), json_array_get(all, (size_t)afters[a] + i)));
            json_t *next = json_object_get(doc, "next");
            if (afters[a] + 100 < G)
                assert_int_equal(json_integer_value(next), afters[a] + 100);
            else
                assert_true(json_is_null(next));
            json_decref(doc);
        }
    /* a late page reads its own groups alone: group 1 damaged where it is kept stays so */
    assert_int_equal(td_db_sql(&f->db, "UPDATE case_group SET doc = '{]' WHERE id = 1"), 1);
    OK(ad_svc_case_groups_page(&f->c, f->case_id, 100, 100, &doc, E));
    assert_int_equal(json_array_size(json_object_get(doc, "groups")), G - 100);
    json_decref(doc);
    char *kept = kept_group(f, 1);
    assert_string_equal(kept, "{]");
    free(kept);
    /* the first page holds it: computed again, whole, and kept */
    OK(ad_svc_case_groups_page(&f->c, f->case_id, 0, 100, &doc, E));
    assert_true(
        json_equal(json_array_get(json_object_get(doc, "groups"), 0), json_array_get(all, 0)));
    json_decref(doc);
    kept = kept_group(f, 1);
    assert_string_not_equal(kept, "{]");
    free(kept);
    json_decref(whole);
}

typedef struct {
    size_t n;
    char job[32], key[16];
    int64_t ordinal;
} walk;

static int on_page_item(void *p, const ad_job_item *it, const ad_sighting *s)
{
    (void)s;
    walk *w = p;
    w->n++;
    snprintf(w->job, sizeof w->job, "%s", it->job_id);
    snprintf(w->key, sizeof w->key, "%s", it->key);
    w->ordinal = it->ordinal;
    return 0;
}

static void test_pages(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ad_err e;
    int64_t more = media(f->st, 301, 0);
    job(f, "J-3", f->known, 2, &more, 1);
    size_t total = 0, pages = 0;
    ad_item_cursor cur, *after = NULL;
    walk w = {0};
    do { /* pages of 2 over two jobs: each file once */
        w.n = 0;
        OK(ad_store_case_items_page(f->st, f->case_id, after, 2, on_page_item, &w, E));
        total += w.n;
        cur = (ad_item_cursor){w.job, w.ordinal, w.key};
        after = &cur;
        pages++;
    } while (w.n == 2 && pages < 20);
    assert_int_equal(total, 9 + 4);
}

/* a merged series is named by its survivor everywhere a case shows its series
 * (docs/federation.md "Merging two series"): the summary (one row, "merged from"), the files'
 * classification and the page of files, the triage report (items, JSON, HTML) */
static void test_merged_series(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ad_err e;
    int merged = 0;
    OK(ad_store_series_merge(f->st, f->sa, f->sb, f->hub, &merged, E));
    assert_int_equal(merged, 1); /* one agency owns both: agreed at once */
    same_as_slow(f);
    ad_case_summary s;
    OK(ad_store_case_summary(f->st, f->case_id, &s, E));
    assert_int_equal(s.nseries, 1);
    assert_int_equal(s.series[0].series_id, f->sb);
    assert_string_equal(s.series[0].name, "Series B");
    assert_string_equal(s.series[0].contact, "b@hub.example");
    assert_string_equal(s.series[0].merged_from, "Series A");
    assert_int_equal(s.series[0].files, 4); /* known[0] x2, known[1], known[2] */
    assert_int_equal(s.series[0].cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(s.counts[AD_CLASS_KNOWN_UNIDENTIFIED], 3); /* classes are the linked series' */
    ad_case_summary_free(&s);
    json_t *doc = NULL;
    OK(ad_svc_case_summary(&f->c, f->case_id, &doc, E));
    json_t *row = json_array_get(json_object_get(doc, "series"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "Series B");
    assert_string_equal(json_string_value(json_object_get(row, "merged_from")), "Series A");
    json_decref(doc);
    /* one file's class */
    ad_classification k;
    OK(ad_store_classify(f->st, f->known[0], &k, E));
    assert_int_equal(k.cls, AD_CLASS_KNOWN_UNIDENTIFIED);
    assert_int_equal(k.series_id, f->sb);
    assert_string_equal(k.series_name, "Series B");
    assert_string_equal(k.contact, "b@hub.example");
    assert_int_equal(k.merged_from_id, f->sa);
    assert_string_equal(k.merged_from, "Series A");
    /* media show: its classification's series */
    char hex[65], *t = hex;
    for (int j = 0; j < 32; j++) /* known[0]'s SHA-256, as media() makes it */
        t += sprintf(t, "%02x", (uint8_t)(100 * 31 + j * 7));
    ad_svc_lookup_opts lo;
    ad_svc_lookup_opts_default(&lo);
    json_t *view = NULL;
    OK(ad_svc_media_view(&f->c, hex, &lo, &view, E));
    json_t *cs = json_object_get(json_object_get(view, "classification"), "series");
    assert_string_equal(json_string_value(json_object_get(cs, "name")), "Series B");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(cs, "merged_from"), "name")),
        "Series A");
    json_decref(view);
    OK(ad_store_classify(f->st, f->known[1], &k, E)); /* B's own: not merged from anything */
    assert_int_equal(k.series_id, f->sb);
    assert_int_equal(k.merged_from_id, 0);
    /* the page of files */
    OK(ad_svc_case_files(&f->c, f->case_id, NULL, 100, &doc, E));
    size_t i, named = 0;
    json_t *file;
    json_array_foreach(json_object_get(doc, "files"), i, file)
    {
        json_t *ser = json_object_get(file, "series");
        if (!json_is_object(ser))
            continue;
        assert_string_equal(json_string_value(json_object_get(ser, "name")), "Series B");
        named += json_is_string(json_object_get(ser, "merged_from"));
    }
    assert_int_equal(named, 3); /* known[0] x2, known[2] (A decides: its victim unidentified) */
    json_decref(doc);
    /* the triage report */
    ad_report r;
    OK(ad_report_build(f->st, "Unit", "C-1", NULL, &r, E));
    named = 0;
    for (i = 0; i < r.n; i++) {
        if (!r.items[i].series_id)
            continue;
        assert_int_equal(r.items[i].series_id, f->sb);
        assert_string_equal(r.items[i].series_name, "Series B");
        named += r.items[i].series_merged_from &&
                 !strcmp(r.items[i].series_merged_from, "Series A");
    }
    assert_int_equal(named, 3);
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/merged-report", td_tmpdir("test_case_page_report"));
    OK(ad_report_write_dir(f->st, &r, dir, E));
    ad_report_free(&r);
    size_t n;
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = (char *)td_read_file(path, &n);
    assert_non_null(strstr(html, "<h3>Series Series B</h3><p class=\"note\">Merged from Series A"));
    assert_null(strstr(html, "<h3>Series Series A"));
    free(html);
    snprintf(path, sizeof path, "%s/report.json", dir);
    char *js = (char *)td_read_file(path, &n);
    assert_non_null(strstr(js, "\"contact\":\"b@hub.example\",\"merged_from\":\"Series A\""));
    free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_summary, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_pages, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_group_pages, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_summary, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_group_pages, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_pages, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_merged_series, setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_merged_series, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
