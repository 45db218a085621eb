/* test_report.c: the report model, grouping of new material, and the JSON, CSV and HTML writers. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/report.h"
#include "testutil.h"

static char *render(const ad_report *r, ad_code (*fn)(const ad_report *, FILE *, ad_err *))
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
    assert_non_null(strstr(html, "<td>new</td><td>5</td>") ? strstr(html, "<td>new</td><td>5</td>")
                                                          : strstr(html, "new</td><td>5</td>"));
    assert_non_null(strstr(html, "Premature end"));
    assert_non_null(strstr(html, "Candidate series 1"));
    assert_null(strstr(html, "<img")); /* no image content without thumbnails */
    free(html);
    ad_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
