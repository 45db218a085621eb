/* test_report.c: the report model, grouping of new material, and the JSON, CSV and HTML writers:
 * the HTML's order (new material first) and summary links, ISO 8601 times, camera make and model
 * apart, the location plot over the basemap, where the report comes from (store without password,
 * jobs, who, version), hostile text escaped, CSV cells that a spreadsheet would run. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/report.h"
#include "ariadne/store.h"
#include "ariadne/version.h"
#include "testutil.h"

__attribute__((noinline)) static char *render(const ad_report *r,
                                                ad_code (*fn)(const ad_report *, FILE *, ad_err *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(fn(r, f, NULL), AD_OK);
    fclose(f);
    return buf;
}

static void build(ad_report *r)
{
    ad_report_init(r);
    snprintf(r->case_number, sizeof r->case_number, "CASE-<1>");
    snprintf(r->agency, sizeof r->agency, "NCA");
    ad_report_item it;
    const char *pdq_a = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    const char *pdq_b = "f8f8f0cee0f4a84f06370a22038f67f0b36e2ed596221e1d33e6b39c4e9c9b22";
    const char *pdq_c = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d";
    /* two near-duplicate new files, one new file alone with a camera serial shared by a third */
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_NEW, it.quality = 100, it.path = "/s/a.jpg";
    strcpy(it.pdq, pdq_a);
    ad_report_add(r, &it);
    it.path = "/s/b.jpg";
    strcpy(it.pdq, pdq_b);
    ad_report_add(r, &it);
    it.path = "/t/c.jpg", it.camera_serial = "SN123", it.camera_make = "Canon";
    strcpy(it.pdq, pdq_c);
    ad_report_add(r, &it);
    it.path = "/u/d.jpg";
    it.quality = 10; /* low quality: not near-dup grouped, but the serial still groups it */
    strcpy(it.pdq, pdq_c);
    ad_report_add(r, &it);
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_NEW, it.quality = 100, it.path = "/v/alone \"quoted\".jpg";
    strcpy(it.pdq, "0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff");
    ad_report_add(r, &it);
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_KNOWN_UNIDENTIFIED, it.path = "/s/known.jpg", it.series_id = 7;
    it.series_name = "Blue room", it.series_owner = "Agency X", it.series_contact = "vid@x.example";
    strcpy(it.match_kind, "pdq");
    it.match_distance = 4, it.match_variant = 1, it.has_gps = 1, it.lat = 51.5, it.lon = -0.12;
    ad_report_add(r, &it);
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_ERROR, it.path = "/s/broken.jpg", it.error_code = "truncated";
    it.error_message = "JPEG: Premature end of JPEG file";
    ad_report_add(r, &it);
}

static void test_grouping(void **state)
{
    (void)state;
    ad_report r;
    build(&r);
    assert_int_equal(ad_report_group_new(&r, 31, 50, 3600, NULL), AD_OK);
    assert_int_equal(r.ngroups, 2);
    assert_int_equal(r.items[0].group, r.items[1].group);
    assert_int_equal(r.items[2].group, r.items[3].group);
    assert_int_not_equal(r.items[0].group, r.items[2].group);
    assert_int_equal(r.items[4].group, -1);
    assert_int_equal(r.items[5].group, -1); /* known material is never grouped */
    const ad_report_group *g0 = &r.groups[r.items[0].group - 1];
    const ad_report_group *g2 = &r.groups[r.items[2].group - 1];
    assert_non_null(strstr(g0->reasons, "near-duplicate"));
    assert_non_null(strstr(g2->reasons, "serial"));
    assert_null(strstr(g2->reasons, "near-duplicate"));
    ad_report_free(&r);
}

static void test_writers(void **state)
{
    (void)state;
    ad_report r;
    build(&r);
    ad_report_group_new(&r, 31, 50, 3600, NULL);
    char *js = render(&r, ad_report_write_json);
    json_error_t je;
    json_t *root = json_loads(js, 0, &je);
    if (!root)
        fail_msg("JSON does not parse: %s", je.text);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "counts"), "new")), 5);
    assert_int_equal(json_integer_value(json_object_get(root, "total")), 7);
    json_t *files = json_object_get(root, "files");
    assert_int_equal(json_array_size(files), 7);
    json_t *known = json_array_get(files, 5);
    assert_string_equal(json_string_value(json_object_get(json_object_get(known, "series"), "contact")),
                        "vid@x.example");
    assert_int_equal(json_array_size(json_object_get(root, "groups")), 2);
    json_decref(root);
    free(js);

    char *csv = render(&r, ad_report_write_csv);
    int lines = 0;
    for (char *p = csv; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 8);
    assert_non_null(strstr(csv, "\"/v/alone \"\"quoted\"\".jpg\",new"));
    free(csv);

    char *html = render(&r, ad_report_write_html);
    assert_non_null(strstr(html, "CASE-&lt;1&gt;"));
    assert_non_null(strstr(html, "Blue room"));
    assert_non_null(strstr(html, "vid@x.example"));
    assert_non_null(strstr(html, " new</a></td><td>5</td>"));
    assert_non_null(strstr(html, "Premature end"));
    assert_non_null(strstr(html, "Candidate series 1"));
    assert_null(strstr(html, "<img")); /* no image content without thumbnails */
    free(html);
    ad_report_free(&r);
}

static const char *after(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (!p)
        fail_msg("missing: %s", needle);
    return p;
}

/* New material comes first, then the known series with an unidentified victim, then the rest;
 * every summary row links to a section that exists. */
static void test_html_order_links(void **state)
{
    (void)state;
    ad_report r;
    build(&r);
    ad_report_group_new(&r, 31, 50, 3600, NULL);
    char *html = render(&r, ad_report_write_html);
    const char *summary = after(html, "id=\"summary\"");
    const char *nw = after(html, "<h2 id=\"new\">");
    const char *ku = after(html, "<h2 id=\"known-unidentified\">");
    const char *gps = after(html, "<h2 id=\"gps\">");
    const char *rest = after(html, "id=\"known-unseriesed\"");
    assert_true(summary < nw && nw < ku && ku < gps && gps < rest);
    for (int c = 0; c < AD_RC__COUNT; c++) {
        char link[64], id[64];
        snprintf(link, sizeof link, "<a href=\"#%s\">", ad_report_class_name((ad_report_class)c));
        snprintf(id, sizeof id, " id=\"%s\"", ad_report_class_name((ad_report_class)c));
        assert_true(after(summary, link) < nw); /* in the summary */
        after(html, id);
    }
    free(html);
    ad_report_free(&r);
}

/* Times are ISO 8601 with a zone; a capture time keeps its own offset, or says it has none. */
static void test_html_times(void **state)
{
    (void)state;
    ad_report r;
    ad_report_init(&r);
    snprintf(r.generated, sizeof r.generated, "2026-12-04T16:48:28Z");
    ad_report_item it;
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_NEW, it.quality = -1, it.path = "/s/zoned.jpg", it.mtime = 1733330908;
    it.ingested = 1764866908, it.has_gps = 1, it.lat = 1, it.lon = 2;
    strcpy(it.captured_text, "2021-07-04T15:30:00+02:00");
    it.captured_zone = 1, it.captured = 1625405400;
    ad_report_add(&r, &it);
    it.path = "/s/clock.jpg";
    strcpy(it.captured_text, "2021-07-04T15:30:00");
    it.captured_zone = 0;
    ad_report_add(&r, &it);
    ad_report_job j = {"J-1", "EX-1", "tester", "done", "fast=0", "/seized/a\n/seized/b c",
                       1764866000, 1764866908};
    assert_int_equal(ad_report_add_job(&r, &j, NULL), AD_OK);
    char *html = render(&r, ad_report_write_html);
    after(html, "2024-12-04T16:48:28Z");                 /* mtime */
    after(html, "2025-12-04T16:48:28Z");                 /* ingested, job finished */
    after(html, "2025-12-04T16:33:20Z");                 /* job started */
    after(html, "2026-12-04T16:48:28Z");                 /* generated */
    after(html, ">2021-07-04T15:30:00+02:00</td>");      /* its own offset */
    after(html, ">2021-07-04T15:30:00 <small class=\"note\">camera clock, zone unknown");
    assert_null(strstr(html, " UTC<"));
    assert_null(strstr(html, "2024-12-04 16:48"));
    free(html);
    char *js = render(&r, ad_report_write_json);
    json_t *root = json_loads(js, 0, NULL);
    assert_non_null(root);
    json_t *f0 = json_array_get(json_object_get(root, "files"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(f0, "clues"), "captured")),
                        "2021-07-04T15:30:00+02:00");
    json_t *job = json_array_get(json_object_get(root, "jobs"), 0);
    assert_string_equal(json_string_value(json_object_get(job, "started")), "2025-12-04T16:33:20Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(job, "roots"), 1)),
                        "/seized/b c");
    json_decref(root);
    free(js);
    ad_report_free(&r);
}

/* Camera make and model are columns of their own (a make may hold spaces). */
static void test_html_camera_columns(void **state)
{
    (void)state;
    ad_report r;
    build(&r);
    r.items[5].camera_make = strdup("NIKON CORPORATION");
    r.items[5].camera_model = strdup("NIKON D70");
    char *html = render(&r, ad_report_write_html);
    after(html, "<th>camera make</th><th>camera model</th>");
    after(html, "<td>NIKON CORPORATION</td><td>NIKON D70</td>");
    free(html);
    char *csv = render(&r, ad_report_write_csv);
    after(csv, ",NIKON CORPORATION,NIKON D70,");
    free(csv);
    ad_report_free(&r);
}

/* The location plot: the bundled basemap under the points, each point where its coordinates
 * put it (x = longitude, y = -latitude, the basemap's units), inside the view, numbered. */
static void test_html_map(void **state)
{
    (void)state;
    ad_report r;
    build(&r); /* item 5: 51.5 N, 0.12 W (London) */
    char *html = render(&r, ad_report_write_html);
    const char *svg = after(html, "<svg class=\"map");
    const char *end = after(svg, "</svg>");
    const char *land = after(svg, "<path class=\"land\"");
    assert_true(land < end);
    assert_true(strlen(land) > 30000); /* the whole world, not a stub */
    assert_true(after(svg, ">United Kingdom</text>") < end);
    assert_true(after(svg, ">Atlantic Ocean</text>") < end);
    assert_true(after(svg, "Natural Earth") < end);
    const char *pt = after(svg, "<circle cx=\"-0.12000\" cy=\"-51.50000\"");
    assert_true(pt < end);
    double x, y, w, h;
    const char *vb = after(svg, "viewBox=\"");
    assert_int_equal(sscanf(vb, "viewBox=\"%lf %lf %lf %lf\"", &x, &y, &w, &h), 4);
    assert_true(x < -0.12 && -0.12 < x + w && y < -51.5 && -51.5 < y + h);
    assert_true(w <= 120); /* zoomed to the point, smaller countries named */
    after(svg, "<svg class=\"map near\"");
    assert_true(after(pt, "1</text>") < end);
    assert_non_null(strstr(html, "<tr id=\"gps-1\"><td>1</td>"));
    assert_null(strstr(html, "<img")); /* still no image content */
    for (const char *p = strstr(html, "http"); p; p = strstr(p + 1, "http")) /* offline */
        assert_memory_equal(p, "http://www.w3.org/2000/svg\"", 27);
    free(html);
    ad_report_free(&r);
}

/* Where the report comes from: the store, every job, who made it, the version. */
static void test_provenance(void **state)
{
    (void)state;
    ad_report r;
    build(&r);
    snprintf(r.store, sizeof r.store, "sqlite:/cases/other <1>.db");
    snprintf(r.actor, sizeof r.actor, "analyst-7");
    snprintf(r.os_user, sizeof r.os_user, "jdoe");
    ad_report_job j = {"20261204T164828Z-abc", "EX-9", "analyst-7", "done", NULL,
                       "/media/seized disk", 1764866000, 1764866908};
    assert_int_equal(ad_report_add_job(&r, &j, NULL), AD_OK);
    char *html = render(&r, ad_report_write_html);
    after(html, "sqlite:/cases/other &lt;1&gt;.db");
    after(html, "<td>20261204T164828Z-abc</td><td>EX-9</td><td class=\"path\">/media/seized disk</td>"
                "<td>analyst-7</td>");
    after(html, "analyst-7 (operating-system user jdoe)");
    after(html, "<th>Ariadne</th><td>" AD_VERSION "</td>");
    free(html);
    char *js = render(&r, ad_report_write_json);
    json_t *root = json_loads(js, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "store")), "sqlite:/cases/other <1>.db");
    assert_string_equal(json_string_value(json_object_get(root, "ariadne_version")), AD_VERSION);
    json_t *by = json_object_get(root, "made_by");
    assert_string_equal(json_string_value(json_object_get(by, "actor")), "analyst-7");
    assert_string_equal(json_string_value(json_object_get(by, "os_user")), "jdoe");
    assert_int_equal(json_array_size(json_object_get(root, "jobs")), 1);
    json_decref(root);
    free(js);
    ad_report_free(&r);
}

/* Hostile text (file names, series names, EXIF) is escaped in HTML; in CSV a cell a spreadsheet
 * would run as a formula is neutralised. */
static void test_hostile_text(void **state)
{
    (void)state;
    ad_report r;
    ad_report_init(&r);
    ad_report_item it;
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_KNOWN_UNIDENTIFIED, it.quality = -1, it.series_id = 3;
    it.path = "/s/<script>alert(1)</script>.jpg";
    it.series_name = "</table><script>x()</script>", it.series_owner = "=HYPERLINK(\"http://x\")";
    it.camera_make = "@SUM(A1)", it.camera_model = "-2+3", it.series_contact = "+44 1\t2";
    it.has_gps = 1, it.lat = 10, it.lon = 10;
    strcpy(it.match_kind, "sha256");
    ad_report_add(&r, &it);
    char *html = render(&r, ad_report_write_html);
    const char *s = strstr(html, "<script");
    assert_non_null(s);
    assert_null(strstr(s + 1, "<script")); /* only the report's own */
    assert_null(strstr(html, "</table><script>"));
    after(html, "&lt;/table&gt;&lt;script&gt;x()&lt;/script&gt;");
    free(html);
    char *csv = render(&r, ad_report_write_csv);
    after(csv, ",\"'=HYPERLINK(\"\"http://x\"\")\",");
    after(csv, ",'@SUM(A1),'-2+3,");
    after(csv, ",'+44 1\t2,");
    free(csv);
    ad_report_free(&r);
}

/* The store is named without a password. */
static void test_url_redact(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"postgresql://ariadne:s3cret@db.local:5432/cases", "postgresql://ariadne@db.local:5432/cases"},
        {"postgres://u:p@ss@h/d?sslmode=require&password=x&x=1", "postgres://u@h/d?sslmode=require&x=1"},
        {"postgresql://h/d?password=x", "postgresql://h/d"},
        {"postgresql://u@h/d", "postgresql://u@h/d"},
        {"postgresql:///d?host=/run/pg", "postgresql:///d?host=/run/pg"},
        {"sqlite:a:b@c.db", "sqlite:a:b@c.db"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        ad_store_url_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    char small[12];
    ad_store_url_redact("postgresql://u:pw@host/db", small, sizeof small);
    assert_string_equal(small, "postgresql:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_html_order_links),
        cmocka_unit_test(test_html_times),
        cmocka_unit_test(test_html_camera_columns),
        cmocka_unit_test(test_html_map),
        cmocka_unit_test(test_provenance),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_url_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
