/* test_jobs.c: which jobs a case's report counts (ad_store_case_items): per set of roots, in any
 * order, the latest finished job, or the latest job while none has finished; every job's own
 * items stay readable (ad_store_job_items). And the escaping of stored roots is reversible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/ingest_source.h"
#include "ariadne/store.h"
#include "testutil.h"

struct seen {
    char jobs[16][32];
    int n;
    int items;
};

static int on_item(void *ctx, const ad_job_item *it, const ad_sighting *s)
{
    (void)s;
    struct seen *c = ctx;
    c->items++;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->jobs[i], it->job_id))
            return 0;
    snprintf(c->jobs[c->n++], sizeof c->jobs[0], "%s", it->job_id);
    return 0;
}

static void job(ad_store *st, int64_t case_id, const char *id, const char *roots, int64_t started,
                int done)
{
    ad_job j = {.id = id, .case_id = case_id, .roots = roots, .started = started};
    int resumed;
    assert_int_equal(ad_store_job_open(st, &j, &resumed, NULL), AD_OK);
    ad_job_item it[2] = {{.job_id = id, .key = "k1", .ordinal = 0, .path = "/a"},
                         {.job_id = id, .key = "k2", .ordinal = 1, .path = "/b"}};
    assert_int_equal(ad_store_job_items_add(st, it, 2, NULL), AD_OK);
    if (done)
        assert_int_equal(ad_store_job_finish(st, id, NULL), AD_OK);
}

/* The jobs whose items the report gets, as "A,B" in job order. */
static const char *current(ad_store *st, int64_t case_id, char *buf)
{
    struct seen c = {0};
    assert_int_equal(ad_store_case_items(st, case_id, on_item, &c, NULL), AD_OK);
    buf[0] = '\0';
    for (int i = 0; i < c.n; i++)
        strcat(strcat(buf, i ? "," : ""), c.jobs[i]);
    assert_int_equal(c.items, 2 * c.n);
    return buf;
}

static void test_latest_job_per_roots(void **state)
{
    (void)state;
    char url[4200], buf[256];
    snprintf(url, sizeof url, "sqlite:%s/jobs.db", td_tmpdir("test_jobs"));
    ad_store *st;
    ad_err err;
    assert_int_equal(ad_store_open(&st, url, AD_STORE_CREATE, &err), AD_OK);
    ad_store_set_actor(st, "local:test", 0);
    ad_agency ag = {.name = "Unit", .kind = "police"};
    int64_t agency, case_id;
    assert_int_equal(ad_store_agency_add(st, &ag, &agency, NULL), AD_OK);
    ad_case c = {.agency_id = agency, .number = "C-1"};
    assert_int_equal(ad_store_case_open(st, &c, &case_id, NULL), AD_OK);

    job(st, case_id, "A", "/x\n/y", 100, 1);
    assert_string_equal(current(st, case_id, buf), "A");
    job(st, case_id, "B", "/y\n/x", 200, 0); /* same roots, other order, running */
    assert_string_equal(current(st, case_id, buf), "A");
    assert_int_equal(ad_store_job_finish(st, "B", NULL), AD_OK); /* B finished: B instead of A */
    assert_string_equal(current(st, case_id, buf), "B");
    job(st, case_id, "C", "/z", 300, 1); /* other roots: counted too */
    assert_string_equal(current(st, case_id, buf), "B,C");
    job(st, case_id, "D", "/w", 400, 0); /* other roots, none finished: the latest */
    assert_string_equal(current(st, case_id, buf), "B,C,D");
    job(st, case_id, "E", "/w", 500, 0);
    assert_string_equal(current(st, case_id, buf), "B,C,E");
    job(st, case_id, "F", "/x\n/y", 600, 0); /* B stays while F runs */
    assert_string_equal(current(st, case_id, buf), "B,C,E");

    struct seen a = {0};
    assert_int_equal(ad_store_job_items(st, "A", on_item, &a, NULL), AD_OK);
    assert_int_equal(a.items, 2); /* a superseded job's items stay */
    assert_string_equal(a.jobs[0], "A");
    ad_store_close(st);
}

static void test_roots_escaping(void **state)
{
    (void)state;
    const char raw[] = "/ev/a\\b\nc\x01 d\xff!/e!";
    char esc[256], back[256];
    size_t n = ad_path_escape(raw, sizeof raw - 1, esc, sizeof esc);
    assert_true(n < sizeof esc);
    assert_null(strchr(esc, '\n')); /* one root a line */
    assert_int_equal(ad_path_unescape(esc, back), sizeof raw - 1);
    assert_memory_equal(back, raw, sizeof raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latest_job_per_roots),
        cmocka_unit_test(test_roots_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
