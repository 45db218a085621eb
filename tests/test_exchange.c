/* test_exchange.c: the exchange formats: categories and their mapping tables; VICS, ICSE CSV and
 * hash-list round trips (every VICS version, form and profile); the tolerated quirks of real
 * files, each in a test; malformed input naming line, record and field; skip_bad mode. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ariadne/util.h"
#include "exchange/xinternal.h"
#include "exchange_collect.h"

/* ---- sample records ---- */

typedef struct sample_t {
    ad_xmedia m;
    ad_xfile files[2];
    ad_xmeta meta[2];
} sample_t;

/* Ariadne's own series fields of the samples: two series, one without owner or victims, and
 * strings that need escaping in JSON and quoting in CSV. */
static const ad_xvictim sample_victims[] = {
    {"V-0012", AD_XTRUE, {"NCA \"UK\"; unit", "GB", "police"}, "GB"},
    {"V-0013", AD_XFALSE, {NULL, NULL, NULL}, NULL},
    {"V-0014", AD_XUNKNOWN, {NULL, NULL, NULL}, NULL},
};
static const ad_xseries sample_series[] = {
    {"Series 12 \xC3\xA9",
     {"NCA \"UK\"; unit", "GB", "police"},
     "vid@nca.example\nroom 4",
     "active",
     sample_victims,
     3},
    {"Other", {NULL, NULL, NULL}, NULL, NULL, NULL, 0},
};

static int scheme_codes(ad_cat_scheme s)
{
    int n = 0;
    while (n < 100 && ad_category_is_valid((ad_category){s, n}))
        n++;
    return n;
}

/* Record i with everything a VICS file of version v carries, categories in scheme s. */
static void sample(sample_t *x, int i, ad_cat_scheme s, ad_vics_version v)
{
    ad_xmedia *m = &x->m;
    ad_xmedia_init(m);
    m->media_id = 100 + i;
    m->has =
        AD_XHAS_MD5 | AD_XHAS_SHA1 | (i % 2 ? AD_XHAS_SHA256 : 0) | (i % 3 == 0 ? AD_XHAS_PDQ : 0);
    for (int k = 0; k < 32; k++) {
        if (k < 16)
            m->md5[k] = (uint8_t)(i * 7 + k);
        if (k < 20)
            m->sha1[k] = (uint8_t)(i * 11 + k * 3);
        m->sha256[k] = (uint8_t)(i * 13 + k * 5);
        m->pdq.b[k] = (uint8_t)(0xA0 + i + k);
    }
    m->photodna = i % 2 ? "QUJDRA==" : NULL;
    m->size = 1000 + i;
    if (i % 4 != 3)
        m->category = (ad_category){s, s == AD_CAT_CUSTOM ? 40 + i : i % scheme_codes(s)};
    m->victim_identified = (int8_t)(i % 3 - 1);
    m->offender_identified = (int8_t)(i % 2);
    m->is_distributed = AD_XTRUE;
    m->is_precategorized = (int8_t)((i + 1) % 3 - 1);
    m->is_suspected = i % 2 ? AD_XFALSE : AD_XUNKNOWN;
    m->self_generated = AD_XFALSE;
    m->precategorization_source = i % 2 ? "NCMEC" : NULL;
    m->series = "Series \"quoted\" \xC3\xA9";
    m->tags = "benign,test";
    m->comments = i % 2 ? "line1\nline2\ttab\\ back" : NULL;
    m->relative_path = "Files\\c7\\4b\\x.jpg";
    m->mime_type = "image/jpeg";
    m->date_updated = "2026-01-02T03:04:05.000Z";
    if (v == AD_VICS_V1_1 || v == AD_VICS_V1_2)
        m->name = "holiday.jpg";
    if (i % 2 == 0) {
        for (int k = 0; k < 2; k++) {
            ad_xfile *f = &x->files[k];
            ad_xfile_init(f);
            f->file_name = k ? "copy.jpg" : "holiday.jpg";
            f->file_path = "Partition 1\\Users\\test\\Pictures\\";
            f->source_id = "EXHIBIT-01";
            f->written = "2025-07-01T10:00:00.000Z";
            f->created = k ? NULL : "2025-07-01T09:00:00.000Z";
            f->deleted = (int8_t)k;
            f->unallocated = AD_XFALSE;
            f->physical_location = k ? 4096 : -1;
            if (k) {
                f->parent_md5 = "00112233445566778899aabbccddeeff";
                f->parent_file_name = "photos.zip";
                f->parent_file_path = "Partition 1\\";
                f->parent_physical_location = 512;
            }
        }
        m->files = x->files;
        m->n_files = 2;
    }
    x->meta[0] = (ad_xmeta){"Make", "ExampleCam"};
    x->meta[1] = (ad_xmeta){"Model", NULL};
    m->meta = x->meta;
    m->n_meta = 1;
    if (i % 3 != 2) {
        m->xseries = sample_series;
        m->n_xseries = i % 3 == 0 ? 2 : 1;
    }
}

/* ---- categories ---- */

static void test_category(void **state)
{
    (void)state;
    ad_category out;
    assert_true(ad_category_is_valid((ad_category){AD_CAT_VIC_US, 4}));
    assert_false(ad_category_is_valid((ad_category){AD_CAT_VIC_US, 5}));
    assert_true(ad_category_is_valid((ad_category){AD_CAT_DHS, 5}));
    assert_string_equal(ad_category_label((ad_category){AD_CAT_VIC_US, 1}), "CAM");
    assert_string_equal(ad_category_label((ad_category){AD_CAT_UK, 2}), "B");
    /* never equal across schemes, even with the same number */
    assert_false(ad_category_equal((ad_category){AD_CAT_VIC_US, 1}, (ad_category){AD_CAT_DHS, 1}));
    assert_true(ad_category_equal((ad_category){AD_CAT_UK, 1}, (ad_category){AD_CAT_UK, 1}));
    /* DHS <-> VIC US: 5 non-pertinent is US 0; DHS 0 uncategorized is no category */
    assert_int_equal(ad_category_map((ad_category){AD_CAT_DHS, 5}, AD_CAT_VIC_US, &out, NULL),
                     AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_VIC_US, 0}));
    assert_int_equal(ad_category_map((ad_category){AD_CAT_DHS, 0}, AD_CAT_VIC_US, &out, NULL),
                     AD_OK);
    assert_int_equal(out.scheme, AD_CAT_NONE);
    assert_int_equal(ad_category_map((ad_category){AD_CAT_VIC_US, 0}, AD_CAT_DHS, &out, NULL),
                     AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_DHS, 5}));
    for (int c = 1; c <= 4; c++) { /* US and DHS agree on 1-4 through the table */
        assert_int_equal(ad_category_map((ad_category){AD_CAT_VIC_US, c}, AD_CAT_DHS, &out, NULL),
                         AD_OK);
        assert_true(ad_category_equal(out, (ad_category){AD_CAT_DHS, c}));
    }
    /* UK grades are CAM; CAM says nothing about a grade; baseline is CAM */
    assert_int_equal(ad_category_map((ad_category){AD_CAT_UK, 3}, AD_CAT_VIC_US, &out, NULL),
                     AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_VIC_US, 1}));
    ad_err e;
    assert_int_equal(ad_category_map((ad_category){AD_CAT_VIC_US, 1}, AD_CAT_UK, &out, &e),
                     AD_ERR_NOT_FOUND);
    assert_non_null(strstr(e.msg, "no mapping"));
    assert_int_equal(ad_category_map((ad_category){AD_CAT_UK, 4}, AD_CAT_VIC_US, &out, NULL),
                     AD_ERR_NOT_FOUND); /* not indecent: non-pertinent or exploitive? */
    assert_int_equal(ad_category_map((ad_category){AD_CAT_UK, 0}, AD_CAT_DHS, &out, NULL), AD_OK);
    assert_int_equal(out.scheme, AD_CAT_NONE); /* uncategorised */
    assert_int_equal(ad_category_map((ad_category){AD_CAT_BASELINE, 1}, AD_CAT_DHS, &out, NULL),
                     AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_DHS, 1}));
    assert_int_equal(ad_category_map((ad_category){AD_CAT_CUSTOM, 1}, AD_CAT_VIC_US, &out, NULL),
                     AD_ERR_NOT_FOUND);
    /* text forms */
    assert_int_equal(ad_category_parse("uk:A", AD_CAT_VIC_US, &out, NULL), AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_UK, 1}));
    assert_int_equal(ad_category_parse("c", AD_CAT_VIC_US, &out, NULL), AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_UK, 3}));
    assert_int_equal(ad_category_parse("2", AD_CAT_DHS, &out, NULL), AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_DHS, 2}));
    assert_int_equal(ad_category_parse("vics-us:7", AD_CAT_DHS, &out, &e), AD_ERR_PARSE);
    /* one name per scheme: "vics-us" (the store's), "vic-us" accepted as an alias on input */
    assert_string_equal(ad_cat_scheme_name(AD_CAT_VIC_US), "vics-us");
    assert_int_equal(ad_category_parse("vic-us:1", AD_CAT_DHS, &out, NULL), AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_VIC_US, 1}));
    assert_int_equal(ad_category_parse("VICS-US:2", AD_CAT_DHS, &out, NULL), AD_OK);
    assert_true(ad_category_equal(out, (ad_category){AD_CAT_VIC_US, 2}));
    assert_int_equal(ad_category_parse("nope:1", AD_CAT_DHS, &out, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "vics-us, dhs, uk, baseline"));
    assert_int_equal(ad_category_parse("nope:1", AD_CAT_DHS, &out, &e), AD_ERR_PARSE);
    assert_int_equal(ad_category_parse("x", AD_CAT_DHS, &out, &e), AD_ERR_PARSE);
    char buf[16];
    assert_string_equal(ad_category_code_text((ad_category){AD_CAT_UK, 2}, buf), "B");
    assert_string_equal(ad_category_code_text((ad_category){AD_CAT_VIC_US, 2}, buf), "2");
    ad_cat_scheme s;
    assert_int_equal(ad_cat_scheme_parse("Baseline", &s, NULL), AD_OK);
    assert_int_equal(s, AD_CAT_BASELINE);
}

/* ---- VICS round trips ---- */

#define NREC 7

static void vics_roundtrip(ad_vics_version v, ad_vics_profile p, ad_vics_form form)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ad_err e;
    ad_vics_writer *w;
    ad_cat_scheme scheme = ad_vics_profile_scheme(v, p);
    assert_int_equal(ad_vics_writer_open(&w, f, v, p, form, &e), AD_OK);
    sample_t s[NREC];
    ad_xcase cases[2];
    for (int k = 0; k < 2; k++) {
        ad_xcase_init(&cases[k]);
        cases[k].case_id = k ? "{CASE-B}" : "{6F1C2A9E-3B4D-4E5F-8A7B-112233445566}";
        cases[k].case_number = k ? "TEST-0002" : "TEST-0001";
        cases[k].contact_organization = "Example Unit";
        cases[k].contact_name = k ? NULL : "A. Tester";
        cases[k].source_app_name = "Ariadne";
        cases[k].source_app_version = "0.1";
    }
    for (int i = 0; i < NREC; i++) {
        if (form == AD_VICS_CASES && (i == 0 || i == 4)) {
            if (i == 4)
                assert_int_equal(ad_vics_writer_end_case(w, &e), AD_OK);
            assert_int_equal(ad_vics_writer_begin_case(w, &cases[i == 4], &e), AD_OK);
        }
        sample(&s[i], i, scheme, v);
        if (ad_vics_writer_add_media(w, &s[i].m, &e) != AD_OK)
            fail_msg("add_media: %s", e.msg);
    }
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK); /* closes the open case */
    fclose(f);
    /* valid JSON as a whole */
    json_error_t je;
    json_t *all = json_loadb(buf, len, 0, &je);
    if (!all)
        fail_msg("writer output is not JSON: %s (line %d)", je.text, je.line);
    json_decref(all);

    collector c = {0};
    ad_exchange_sink sink = col_sink();
    if (read_text(ad_vics_read, buf, len, &sink, &c, &e) != AD_OK)
        fail_msg("read back: %s", e.msg);
    assert_int_equal(c.begun, 1);
    assert_int_equal(c.info.version, v);
    assert_int_equal(c.info.profile, p);
    assert_int_equal(c.info.form, form);
    assert_int_equal(c.info.scheme, scheme);
    assert_int_equal(c.n, NREC);
    for (int i = 0; i < NREC; i++) {
        assert_media_equal(&s[i].m, &c.media[i].m);
        assert_int_equal(c.media[i].m.record, i + 1);
        if (form == AD_VICS_CASES)
            assert_string_equal(c.media[i].m.case_id, cases[i >= 4].case_id);
        else
            assert_null(c.media[i].m.case_id);
    }
    if (form == AD_VICS_CASES) {
        assert_int_equal(c.n_begin, 2);
        assert_int_equal(c.n_end, 2);
        for (int k = 0; k < 2; k++) {
            assert_string_equal(c.cases_begin[k].case_number, cases[k].case_number);
            assert_true(str_eq(c.cases_end[k].contact_name, cases[k].contact_name));
            assert_string_equal(c.cases_end[k].contact_organization, "Example Unit");
            assert_string_equal(c.cases_end[k].source_app_version, "0.1");
            assert_int_equal(c.cases_end[k].media_count, k ? 3 : 4);
            assert_int_equal(c.cases_end[k].total_media_files, k ? 3 : 4);
            assert_int_equal(c.cases_begin[k].total_media_files, -1); /* written after Media */
        }
    } else {
        assert_int_equal(c.n_begin, 0);
    }
    /* deterministic: the same records give the same bytes */
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    assert_int_equal(ad_vics_writer_open(&w, f, v, p, AD_VICS_MEDIA, &e), AD_OK);
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(ad_vics_writer_add_media(w, &c.media[i].m, &e), AD_OK);
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    collector c2 = {0};
    assert_int_equal(read_text(ad_vics_read, buf2, len2, &sink, &c2, &e), AD_OK);
    assert_int_equal(c2.n, NREC);
    for (int i = 0; i < NREC; i++)
        assert_media_equal(&c.media[i].m, &c2.media[i].m);
    col_free(&c2);
    free(buf2);
    col_free(&c);
    free(buf);
}

static void test_vics_roundtrip_all(void **state)
{
    (void)state;
    const ad_vics_form forms[] = {AD_VICS_CASES, AD_VICS_MEDIA};
    for (int fi = 0; fi < 2; fi++) {
        for (ad_vics_version v = AD_VICS_V1_1; v <= AD_VICS_V1_3; v++)
            vics_roundtrip(v, AD_VICS_PNONE, forms[fi]);
        for (ad_vics_profile p = AD_VICS_DEFAULT; p <= AD_VICS_CUSTOM; p++)
            vics_roundtrip(AD_VICS_V2_0, p, forms[fi]);
    }
}

static void test_vics_writer_strict(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ad_err e;
    ad_vics_writer *w;
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V2_0, AD_VICS_PNONE, AD_VICS_MEDIA, &e),
                     AD_ERR_ARG);
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V1_3, AD_VICS_US, AD_VICS_MEDIA, &e),
                     AD_ERR_ARG);
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V2_0, AD_VICS_UK, AD_VICS_MEDIA, &e),
                     AD_OK);
    sample_t s;
    sample(&s, 1, AD_CAT_VIC_US, AD_VICS_V2_0);
    /* VIC US CAM has no UK grade: refused rather than guessed */
    assert_int_equal(ad_vics_writer_add_media(w, &s.m, &e), AD_ERR_ARG);
    assert_non_null(strstr(e.msg, "no mapping"));
    /* UK A is written as its code in a UK file */
    s.m.category = (ad_category){AD_CAT_UK, 1};
    assert_int_equal(ad_vics_writer_add_media(w, &s.m, &e), AD_OK);
    ad_xmedia none;
    ad_xmedia_init(&none);
    assert_int_equal(ad_vics_writer_add_media(w, &none, &e), AD_ERR_ARG); /* no hash */
    assert_int_equal(ad_vics_writer_begin_case(w, NULL, &e), AD_ERR_ARG); /* hash-set form */
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    /* exact names, lower-case hex, the profile in the context */
    assert_non_null(strstr(buf, "\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/"
                                "DataModels/2.0.xml/UK/$metadata#Media\""));
    assert_non_null(strstr(buf, "\"MD5\":\"07080"));
    assert_non_null(strstr(buf, "\"Category\":1,"));
    assert_non_null(strstr(buf, "\"HashName\":\"SHA256\""));
    assert_null(strstr(buf, "\"MD5\":\"0708090A"));
    free(buf);

    /* a DHS category goes into a US file through the table (5 -> 0) */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V2_0, AD_VICS_US, AD_VICS_MEDIA, &e),
                     AD_OK);
    s.m.category = (ad_category){AD_CAT_DHS, 5};
    s.m.series = "bad \xFF utf-8";
    assert_int_equal(ad_vics_writer_add_media(w, &s.m, &e), AD_ERR_ARG);
    assert_non_null(strstr(e.msg, "Series is not valid UTF-8"));
    s.m.series = "fine";
    assert_int_equal(ad_vics_writer_add_media(w, &s.m, &e), AD_OK);
    ad_xcase k;
    ad_xcase_init(&k);
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"Category\":0,"));
    assert_null(strstr(buf, "\xFF")); /* the refused record left nothing behind */
    json_t *all = json_loads(buf, 0, NULL);
    assert_non_null(all);
    assert_int_equal(json_array_size(json_object_get(all, "value")), 1);
    json_decref(all);
    free(buf);
    /* a case with a bad string is refused before anything is written */
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V1_3, AD_VICS_PNONE, AD_VICS_CASES, &e),
                     AD_OK);
    k.case_number = "\xC0\x80";
    assert_int_equal(ad_vics_writer_begin_case(w, &k, &e), AD_ERR_ARG);
    assert_int_equal(ad_vics_writer_add_media(w, &s.m, &e), AD_ERR_ARG); /* no open case */
    assert_int_equal(ad_vics_writer_end_case(w, &e), AD_ERR_ARG);
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    all = json_loads(buf, 0, NULL);
    assert_non_null(all);
    json_decref(all);
    free(buf);
}

/* ---- VICS readers: real files and quirks ---- */

static void read_file_into(reader_fn fn, const char *rel, ad_exchange_sink *sink, collector *c)
{
    FILE *f = fopen(td_path(rel), "rb");
    assert_non_null(f);
    ad_err e;
    if (fn(f, sink, c, &e) != AD_OK)
        fail_msg("%s: %s", rel, e.msg);
    fclose(f);
}

static void test_vics_domain_example(void **state)
{
    (void)state;
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    read_file_into(ad_vics_read, "data/exchange/vics2_us_cases.json", &sink, &c);
    assert_int_equal(c.info.version, AD_VICS_V2_0);
    assert_int_equal(c.info.profile, AD_VICS_US);
    assert_int_equal(c.info.form, AD_VICS_CASES);
    assert_int_equal(c.n, 1);
    const ad_xmedia *m = &c.media[0].m;
    char hex[65];
    assert_string_equal(ad_hex_encode(m->md5, 16, hex), "c74b85d5c8ad19aa21a24dfd8e2769c8");
    assert_true(ad_category_equal(m->category, (ad_category){AD_CAT_VIC_US, 0}));
    assert_int_equal(m->size, 19);
    assert_int_equal(m->victim_identified, AD_XFALSE);
    assert_string_equal(m->series, "");
    assert_string_equal(m->relative_path, "Files\\c7\\4b\\C74B85D5C8AD19AA21A24DFD8E2769C8.jpg");
    assert_int_equal(m->n_files, 1);
    assert_string_equal(m->files[0].source_id, "EXHIBIT-01");
    assert_int_equal(m->files[0].deleted, AD_XFALSE);
    assert_int_equal(m->n_meta, 1);
    assert_string_equal(m->meta[0].value, "ExampleCam");
    assert_string_equal(m->case_id, "{6F1C2A9E-3B4D-4E5F-8A7B-112233445566}");
    assert_string_equal(c.cases_begin[0].case_number, "TEST-0001");
    assert_int_equal(c.cases_end[0].media_count, 1);
    col_free(&c);
}

static void test_vics_quirks(void **state)
{
    (void)state;
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    ad_xstats st;
    sink.stats = &st;
    read_file_into(ad_vics_read, "data/exchange/vics13_quirks.json", &sink, &c);
    assert_int_equal(c.info.version, AD_VICS_V1_3);
    assert_int_equal(c.info.profile, AD_VICS_PNONE);
    assert_int_equal(c.info.form, AD_VICS_MEDIA);
    assert_int_equal(c.info.scheme, AD_CAT_DHS);
    assert_int_equal(c.info.declared_count, 999); /* does not add up: reported, not enforced */
    assert_int_equal(c.n, 2);
    assert_int_equal(st.records, 2);
    const ad_xmedia *a = &c.media[0].m, *b = &c.media[1].m;
    assert_int_equal(a->media_id, 1);                   /* "1" */
    assert_int_equal(a->size, 1234);                    /* "1234" */
    assert_int_equal(a->victim_identified, AD_XTRUE);   /* "true" */
    assert_int_equal(a->offender_identified, AD_XTRUE); /* "True" */
    assert_int_equal(a->is_distributed, AD_XTRUE);      /* "1" */
    assert_int_equal(a->is_precategorized, AD_XFALSE);
    assert_string_equal(a->tags, "a,b");
    assert_string_equal(a->series, "Bluebird");
    assert_string_equal(a->photodna, "QUJD");
    assert_true(a->has & AD_XHAS_SHA256);
    assert_int_equal(a->sha256[0], 0xE3);
    assert_int_equal(a->n_meta, 1);
    assert_string_equal(a->meta[0].value, "7");
    assert_true(ad_category_equal(a->category, (ad_category){AD_CAT_DHS, 1}));
    /* repeated MD5 (upper, then lower case): both reported */
    assert_memory_equal(a->md5, b->md5, 16);
    assert_int_equal(b->category.scheme, AD_CAT_NONE);
    assert_int_equal(b->is_distributed, AD_XFALSE); /* 0 */
    assert_string_equal(b->comments, "same MD5 again, lower case: \"repeated\" \xC3\xA9");
    assert_int_equal(b->line, 27); /* the line of its "{" */
    col_free(&c);

    /* the scheme can be forced by the caller */
    sink.scheme = AD_CAT_VIC_US;
    read_file_into(ad_vics_read, "data/exchange/vics13_quirks.json", &sink, &c);
    assert_true(ad_category_equal(c.media[0].m.category, (ad_category){AD_CAT_VIC_US, 1}));
    col_free(&c);
}

static ad_code vics_text(const char *text, collector *c, int skip_bad, ad_err *e)
{
    ad_exchange_sink sink = col_sink();
    sink.skip_bad = skip_bad;
    return read_text(ad_vics_read, text, strlen(text), &sink, c, e);
}

#define HDR                                                                                        \
    "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/"      \
    "$metadata#Media\",\n\"value\":[\n"
#define GOOD "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\"}"

static void test_vics_strings(void **state)
{
    (void)state;
    collector c = {0};
    ad_err e;
    const char *t = HDR "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"Comments\":"
                        "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\xE2\x82\xAC\","
                        "\"Se\\u0072ies\":12.5,\"Tags\":[\"a\",1,\"b\\u0063\"],\"MediaSize\":2e3,"
                        "\"MediaID\":-0,\"IsSuspected\":null,\"SelfGenerated\":\" No \"}]}";
    if (vics_text(t, &c, 0, &e) != AD_OK)
        fail_msg("%s", e.msg);
    const ad_xmedia *m = &c.media[0].m;
    assert_string_equal(m->comments, "\xC3\xA9\xF0\x9F\x98\x80/\b\f\n\r\t\"\\\xE2\x82\xAC");
    assert_string_equal(m->series, "12.5"); /* escaped key, number as text */
    assert_string_equal(m->tags, "a,bc");
    assert_int_equal(m->size, 2000);
    assert_int_equal(m->media_id, 0);
    assert_int_equal(m->is_suspected, AD_XUNKNOWN);
    assert_int_equal(m->self_generated, AD_XFALSE);
    col_free(&c);
}

static void test_vics_form_detection(void **state)
{
    (void)state;
    collector c = {0};
    ad_err e;
    /* no context at all; value first: an element with Media is a case, one without is Media */
    const char *t =
        "{\"value\":[{\"CaseNumber\":\"X\",\"Media\":[{\"MD5\":"
        "\"000102030405060708090a0b0c0d0e0f\"}],"
        "\"TotalMediaFiles\":\"7\"},{\"MD5\":\"000102030405060708090A0B0C0D0E0F\",\"Category\":2}],"
        "\"@odata.context\":\"late\"}";
    assert_int_equal(vics_text(t, &c, 0, &e), AD_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.n_end, 1);
    assert_string_equal(c.cases_end[0].case_number, "X");
    assert_int_equal(c.cases_end[0].total_media_files, 7);
    assert_int_equal(c.cases_end[0].media_count, 1);
    assert_int_equal(c.media[1].m.category.code, 2);
    col_free(&c);
    /* 2.0 with a profile name of another case and an empty case */
    t = "{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/uk/"
        "$metadata#Cases\","
        "\"value\":[{\"CaseID\":\"a\"}]}";
    assert_int_equal(vics_text(t, &c, 0, &e), AD_OK);
    assert_int_equal(c.info.profile, AD_VICS_UK);
    assert_int_equal(c.n_begin, 1);
    assert_int_equal(c.n_end, 1);
    assert_int_equal(c.n, 0);
    col_free(&c);
    t = "{\"@odata.context\":\"http://x/2.0.xml/VIC_Canada/$metadata#Media\",\"value\":[]}";
    assert_int_equal(vics_text(t, &c, 0, &e), AD_OK);
    assert_int_equal(c.info.profile, AD_VICS_CUSTOM);
    assert_int_equal(c.info.scheme, AD_CAT_CUSTOM);
    col_free(&c);
}

static void expect_error(const char *text, ad_code code, const char *const *needles)
{
    collector c = {0};
    ad_err e;
    ad_code rc = vics_text(text, &c, 0, &e);
    if (rc != code)
        fail_msg("expected %s, got %s (%s) for: %s", ad_code_name(code), ad_code_name(rc),
                 rc ? e.msg : "", text);
    for (; *needles; needles++)
        if (!strstr(e.msg, *needles))
            fail_msg("message '%s' lacks '%s'", e.msg, *needles);
    col_free(&c);
}

static void test_vics_malformed(void **state)
{
    (void)state;
    expect_error(HDR GOOD ",\n{\"MD5\":\"0001", AD_ERR_TRUNCATED,
                 (const char *const[]){"t: line 4", "record 2", "ends", NULL});
    expect_error(HDR GOOD ",\n" GOOD
                          ",\n{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"MediaSize\":{}}\n]}",
                 AD_ERR_PARSE,
                 (const char *const[]){"line 5", "record 3", "field MediaSize", NULL});
    expect_error(HDR GOOD ",\n{\"MD5\":\"0001020304050607080g0a0b0c0d0e0f\"}]}", AD_ERR_PARSE,
                 (const char *const[]){"line 4", "record 2", "field MD5", "hex digit", NULL});
    expect_error(HDR "{\"MD5\":\"0001\"}]}", AD_ERR_PARSE,
                 (const char *const[]){"record 1", "field MD5", "32 hex digits", NULL});
    expect_error(HDR "{\"MD5\":true}]}", AD_ERR_PARSE,
                 (const char *const[]){"field MD5", "hex string", NULL});
    expect_error(HDR "{\"Category\":9,"
                     "\"MD5\":\"000102030405060708090a0b0c0d0e0f\"}]}",
                 AD_ERR_PARSE, (const char *const[]){"field Category", "vics-us", NULL});
    expect_error(HDR "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"@Ariadne.Series\":{}}]}",
                 AD_ERR_PARSE,
                 (const char *const[]){"field @Ariadne.Series", "array of series", NULL});
    expect_error(HDR "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"@Ariadne.Series\":[{}]}]}",
                 AD_ERR_PARSE,
                 (const char *const[]){"field @Ariadne.Series[0].Name", "needs a Name", NULL});
    expect_error(HDR "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"@Ariadne.Series\":[{\"Name\":"
                     "\"S\",\"Owner\":{\"Country\":\"GB\"},\"Victims\":[]}]}]}",
                 AD_ERR_PARSE,
                 (const char *const[]){"field @Ariadne.Series[0].Owner", "needs a Name", NULL});
    expect_error(HDR "{\"MD5\":\"000102030405060708090a0b0c0d0e0f\",\"@Ariadne.Series\":[{\"Name\":"
                     "\"S\",\"Victims\":[{\"Code\":\"V\",\"Identified\":\"maybe\"}]}]}]}",
                 AD_ERR_PARSE,
                 (const char *const[]){"field @Ariadne.Series[0].Victims[0].Identified", NULL});
    expect_error(HDR "{\"MediaID\":1,\"MD5\":\"\"}]}", AD_ERR_PARSE,
                 (const char *const[]){"record 1", "field MD5", "no hash", NULL});
    expect_error(HDR "{\"IsDistributed\":\"maybe\"}]}", AD_ERR_PARSE,
                 (const char *const[]){"field IsDistributed", "boolean", NULL});
    expect_error(HDR "{\"MediaFiles\":[{\"Deleted\":\"perhaps\"}]}]}", AD_ERR_PARSE,
                 (const char *const[]){"field MediaFiles[0].Deleted", NULL});
    expect_error(HDR "{\"MD5\": ,}]}", AD_ERR_PARSE,
                 (const char *const[]){"record 1", "field (json)", NULL});
    /* the record parser is strict JSON */
    const char *bad_json[] = {"{\"MD5\":\"\\ud800\"}", "{\"MD5\":\"\\u0000\"}",
                              "{\"C\":\"\xC3\x28\"}",  "{\"C\":\"a\tb\"}",
                              "{\"MediaSize\":01}",    "{\"MediaSize\":1,}",
                              "{\"MediaSize\":1.}",    "{\"C\":\"\\x\"}",
                              "{\"C\":tru}",           "{\"C\" 1}"};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        char t[256];
        snprintf(t, sizeof t, HDR "%s]}", bad_json[i]);
        expect_error(t, AD_ERR_PARSE, (const char *const[]){"record 1", "field (json)", NULL});
    }
    char deep[400] = HDR "{\"C\":";
    for (int i = 0; i < 100; i++)
        strcat(deep, "[");
    expect_error(deep, AD_ERR_TRUNCATED, (const char *const[]){"ends", NULL});
    for (int i = 0; i < 100; i++)
        strcat(deep, "]");
    strcat(deep, "}]}");
    expect_error(deep, AD_ERR_PARSE, (const char *const[]){"nesting too deep", NULL});
    expect_error(HDR "[1]]}", AD_ERR_PARSE, (const char *const[]){"record 1", NULL});
    expect_error("[1,2]", AD_ERR_PARSE, (const char *const[]){"line 1", "VICS", NULL});
    expect_error("{\"odata.metadata\":\"x#Media\"}", AD_ERR_CORRUPT,
                 (const char *const[]){"value", NULL});
    expect_error(HDR GOOD "]} trailing", AD_ERR_PARSE,
                 (const char *const[]){"after the end", NULL});
    expect_error(HDR GOOD " " GOOD "]}", AD_ERR_PARSE, (const char *const[]){"','", NULL});
    expect_error("   \n ", AD_ERR_EMPTY, (const char *const[]){"empty", NULL});
    /* a record larger than the limit */
    collector c = {0};
    ad_err e;
    ad_exchange_sink sink = col_sink();
    sink.max_record_bytes = 16;
    const char *t = HDR GOOD "]}";
    assert_int_equal(read_text(ad_vics_read, t, strlen(t), &sink, &c, &e), AD_ERR_LIMIT);
    col_free(&c);
}

static void test_vics_skip_bad(void **state)
{
    (void)state;
    const char *t = HDR GOOD ",\n{\"MD5\":\"zz\"},\n" GOOD ",\n{\"MD5\": nope},\n" GOOD "]}";
    collector c = {0};
    ad_err e;
    ad_xstats st;
    ad_exchange_sink sink = col_sink();
    sink.skip_bad = 1;
    sink.stats = &st;
    assert_int_equal(read_text(ad_vics_read, t, strlen(t), &sink, &c, &e), AD_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.n_bad, 2);
    assert_int_equal(st.bad, 2);
    assert_int_equal(st.records, 3);
    assert_int_equal(c.bad[0].record, 2);
    assert_int_equal(c.bad[0].line, 4);
    assert_non_null(strstr(c.bad[0].message, "field MD5"));
    assert_int_equal(c.bad[1].record, 4);
    assert_non_null(strstr(c.bad[1].message, "(json)"));
    assert_int_equal(c.media[2].m.record, 5);
    col_free(&c);
    /* without skip_bad the same file stops at record 2 */
    assert_int_equal(vics_text(t, &c, 0, &e), AD_ERR_PARSE);
    assert_int_equal(c.n, 1);
    col_free(&c);
    /* truncation is never skippable */
    assert_int_equal(vics_text(HDR GOOD ",{\"MD5\":", &c, 1, &e), AD_ERR_TRUNCATED);
    col_free(&c);
}

/* ---- ICSE CSV ---- */

static void test_icse_roundtrip(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ad_err e;
    ad_icse_writer *w;
    assert_int_equal(ad_icse_writer_open(&w, f, &e), AD_OK);
    ad_xmedia m[4];
    for (int i = 0; i < 4; i++) {
        ad_xmedia_init(&m[i]);
        m[i].has = AD_XHAS_MD5 | (i % 2 ? AD_XHAS_SHA1 : 0);
        memset(m[i].md5, 0x10 + i, 16);
        memset(m[i].sha1, 0xF0 + i, 20);
        m[i].photodna = i == 2 ? "QUJD+/==" : NULL;
        m[i].image_id = i ? "IMG-7" : NULL;
        m[i].is_distributed = (int8_t)(i % 3 - 1);
        m[i].victim_identified = AD_XTRUE;
        m[i].offender_identified = AD_XFALSE;
        /* hostile text (formulas) is neutralised for spreadsheets, read back as it was */
        m[i].series = i == 1 ? "semi;colon \"quoted\"" : i == 2 ? "=HYPERLINK(\"x\")" : "Bluebird";
        m[i].submissions = i == 3 ? -1 : 5 * i;
        m[i].file_available = i % 2 ? AD_XTRUE : AD_XUNKNOWN;
        m[i].media_type = i == 3 ? "-1+2" : "Image";
        if (i < 2)
            m[i].category = (ad_category){AD_CAT_BASELINE, i};
        if (i != 1) { /* Ariadne's own column: JSON, quoted in the CSV */
            m[i].xseries = sample_series;
            m[i].n_xseries = i ? 2 : 1;
        }
        assert_int_equal(ad_icse_writer_add_media(w, &m[i], &e), AD_OK);
    }
    assert_int_equal(ad_icse_writer_close(w, &e), AD_OK);
    fclose(f);
    assert_memory_equal(
        buf,
        "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender "
        "identified;Series name;Number of submissions;File Available;Media Type;Baseline;Ariadne "
        "series\n",
        164);
    assert_non_null(strstr(buf, ";\"'=HYPERLINK(\"\"x\"\")\";"));
    assert_non_null(strstr(buf, ";'-1+2;"));
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    assert_int_equal(read_text(ad_icse_read, buf, len, &sink, &c, &e), AD_OK);
    assert_int_equal(c.info.format, AD_XFMT_ICSE_CSV);
    assert_int_equal(c.n, 4);
    for (int i = 0; i < 4; i++)
        assert_media_equal(&m[i], &c.media[i].m);
    assert_int_equal(c.media[3].m.line, 5);
    col_free(&c);
    free(buf);
}

static void test_icse_quirks(void **state)
{
    (void)state;
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    read_file_into(ad_icse_read, "data/exchange/icse_quirks.csv", &sink, &c);
    assert_int_equal(c.n, 2);
    const ad_xmedia *a = &c.media[0].m, *b = &c.media[1].m;
    assert_int_equal(a->has, AD_XHAS_MD5);
    assert_int_equal(a->md5[0], 0x01);
    assert_string_equal(a->series, "Blue;bird \"one\"");
    assert_string_equal(a->image_id, "IMG-1");
    assert_int_equal(a->is_distributed, AD_XTRUE);    /* Yes */
    assert_int_equal(a->victim_identified, AD_XTRUE); /* 1 */
    assert_int_equal(a->offender_identified, AD_XFALSE);
    assert_int_equal(a->submissions, 12);
    assert_int_equal(a->file_available, AD_XTRUE); /* True */
    assert_string_equal(a->media_type, "Image");
    assert_true(ad_category_equal(a->category, (ad_category){AD_CAT_BASELINE, 1}));
    assert_null(a->photodna);
    assert_int_equal(a->line, 3);
    assert_int_equal(b->has, AD_XHAS_SHA1);
    assert_int_equal(b->sha1[19], 0xcd);
    assert_string_equal(b->photodna, "QUJD");
    assert_int_equal(b->victim_identified, AD_XUNKNOWN);
    assert_int_equal(b->submissions, -1);
    assert_true(ad_category_equal(b->category, (ad_category){AD_CAT_BASELINE, 0}));
    col_free(&c);
}

static void test_icse_errors(void **state)
{
    (void)state;
    const char *hdr =
        "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender "
        "identified;Series name;Number of submissions;File Available;Media Type;Baseline\n";
    char t[1024];
    collector c = {0};
    ad_err e;
    ad_exchange_sink sink = col_sink();
    snprintf(t, sizeof t,
             "%s0123456789abcdef0123456789abcdef;;;;;;;;;;;\n0123456789abcdef0123456789abcdef;;;;;;"
             ";;;;\n",
             hdr);
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "line 3"));
    assert_non_null(strstr(e.msg, "record 2"));
    assert_non_null(strstr(e.msg, "column count"));
    assert_non_null(strstr(e.msg, "expected 12 columns, found 11"));
    assert_int_equal(c.n, 1);
    col_free(&c);
    snprintf(t, sizeof t, "%s0123456789abcdef0123456789abcdeX;;;;;;;;;;;\n", hdr);
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "line 2, record 1, field column 1 (MD5)"));
    col_free(&c);
    snprintf(t, sizeof t, "%s0123456789abcdef0123456789abcdef;;;;;;;;many;;;\n", hdr);
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "column 9 (Number of submissions)"));
    col_free(&c);
    snprintf(t, sizeof t, "%s;;;;;;;;;;;\n", hdr);
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "no hash"));
    col_free(&c);
    /* Ariadne's own column: bad JSON or a bad series is a bad record naming the cell's field */
    snprintf(t, sizeof t, "MD5;Ariadne series\n0123456789abcdef0123456789abcdef;[{\"Name\":1}\n");
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "column 2 (Ariadne series)"));
    col_free(&c);
    snprintf(t, sizeof t,
             "MD5;Ariadne series\n0123456789abcdef0123456789abcdef;\"[{\"\"Name\"\":\"\"S\"\","
             "\"\"Victims\"\":[{\"\"Identified\"\":true}]}]\"\n");
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "[0].Victims[0].Code: a victim needs a Code"));
    col_free(&c);
    const char *nohdr = "a,b,c\n";
    assert_int_equal(read_text(ad_icse_read, nohdr, strlen(nohdr), &sink, &c, &e), AD_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "line 1"));
    col_free(&c);
    /* skip_bad: the bad rows are listed, the rest lands */
    snprintf(
        t, sizeof t,
        "%sbad;;;;;;;;;;;\n\"unclosed;;;;;;;;;;;\n0123456789abcdef0123456789abcdef;;;;;;;;;;;\n;\n",
        hdr);
    sink.skip_bad = 1;
    assert_int_equal(read_text(ad_icse_read, t, strlen(t), &sink, &c, &e), AD_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.n_bad, 3);
    assert_int_equal(c.bad[0].line, 2);
    assert_int_equal(c.bad[1].line, 3);
    assert_non_null(strstr(c.bad[1].message, "unclosed quote"));
    assert_int_equal(c.bad[2].record, 4);
    col_free(&c);
}

/* ---- hash lists ---- */

static void test_hashlist_roundtrip(void **state)
{
    (void)state;
    const struct {
        ad_xhash_kind kind;
        unsigned flags;
        ad_cat_scheme scheme, bare;
    } cases[] = {{AD_XHASH_MD5, 0, AD_CAT_VIC_US, 0},
                 {AD_XHASH_SHA1, AD_HASHLIST_CATEGORY, AD_CAT_VIC_US, 0},
                 {AD_XHASH_SHA256, AD_HASHLIST_CATEGORY, AD_CAT_UK, 0},
                 {AD_XHASH_PDQ, AD_HASHLIST_CATEGORY, AD_CAT_DHS, AD_CAT_DHS},
                 {AD_XHASH_PDQ, AD_HASHLIST_BARE_PDQ, AD_CAT_VIC_US, 0}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ad_err e;
        ad_hashlist_writer *w;
        assert_int_equal(
            ad_hashlist_writer_open(&w, f, cases[k].kind, cases[k].flags, cases[k].scheme, &e),
            AD_OK);
        ad_xmedia m[5];
        for (int i = 0; i < 5; i++) {
            ad_xmedia_init(&m[i]);
            m[i].has = 1u << cases[k].kind;
            memset(m[i].md5, 0xA0 + i, 16);
            memset(m[i].sha1, 0xB0 + i, 20);
            memset(m[i].sha256, 0xC0 + i, 32);
            memset(m[i].pdq.b, 0xD0 + i, 32);
            if ((cases[k].flags & AD_HASHLIST_CATEGORY) && i < 3)
                m[i].category =
                    (ad_category){cases[k].scheme, cases[k].scheme == AD_CAT_UK ? i + 1 : i};
            assert_int_equal(ad_hashlist_writer_add_media(w, &m[i], &e), AD_OK);
        }
        assert_int_equal(ad_hashlist_writer_close(w, &e), AD_OK);
        fclose(f);
        collector c = {0};
        ad_exchange_sink sink = col_sink();
        sink.scheme = cases[k].bare;
        sink.hash64 = (cases[k].flags & AD_HASHLIST_BARE_PDQ) ? AD_XHASH_PDQ : AD_XHASH_SHA256;
        if (read_text(ad_hashlist_read, buf, len, &sink, &c, &e) != AD_OK)
            fail_msg("case %zu: %s", k, e.msg);
        assert_int_equal(c.n, 5);
        for (int i = 0; i < 5; i++)
            assert_media_equal(&m[i], &c.media[i].m);
        col_free(&c);
        free(buf);
    }
    /* refuses a record without the hash it writes */
    ad_hashlist_writer *w;
    ad_err e;
    assert_int_equal(ad_hashlist_writer_open(&w, stdout, AD_XHASH_PDQ, 0, AD_CAT_NONE, &e), AD_OK);
    ad_xmedia m;
    ad_xmedia_init(&m);
    m.has = AD_XHAS_MD5;
    assert_int_equal(ad_hashlist_writer_add_media(w, &m, &e), AD_ERR_ARG);
    assert_int_equal(ad_hashlist_writer_close(w, &e), AD_OK);
}

static void test_hashlist_quirks(void **state)
{
    (void)state;
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    ad_xstats st;
    sink.stats = &st;
    read_file_into(ad_hashlist_read, "data/exchange/hashlist_quirks.txt", &sink, &c);
    assert_int_equal(c.n, 5);
    assert_int_equal(st.lines, 8);
    assert_int_equal(c.media[0].m.has, AD_XHAS_MD5);
    assert_int_equal(c.media[0].m.md5[1], 0x23);
    assert_int_equal(c.media[0].m.line, 3);
    assert_int_equal(c.media[1].m.has, AD_XHAS_SHA1);
    assert_true(ad_category_equal(c.media[1].m.category, (ad_category){AD_CAT_VIC_US, 1}));
    assert_int_equal(c.media[2].m.has, AD_XHAS_SHA256); /* bare 64 hex: SHA-256 by default */
    assert_int_equal(c.media[3].m.has, AD_XHAS_PDQ);    /* pdq: prefix */
    assert_int_equal(c.media[3].m.pdq.b[0], 0xf8);
    assert_true(ad_category_equal(c.media[3].m.category, (ad_category){AD_CAT_UK, 1}));
    assert_int_equal(c.media[4].m.has, AD_XHAS_SHA256); /* sha256: prefix, upper case */
    assert_true(ad_category_equal(c.media[4].m.category, (ad_category){AD_CAT_UK, 2}));
    col_free(&c);
    /* read as PDQ: bare 64 hex become PDQ, a sha256: prefix still wins */
    sink.hash64 = AD_XHASH_PDQ;
    read_file_into(ad_hashlist_read, "data/exchange/hashlist_quirks.txt", &sink, &c);
    assert_int_equal(c.media[2].m.has, AD_XHAS_PDQ);
    assert_int_equal(c.media[4].m.has, AD_XHAS_SHA256);
    col_free(&c);
}

static void test_hashlist_errors(void **state)
{
    (void)state;
    collector c = {0};
    ad_err e;
    ad_exchange_sink sink = col_sink();
    const char *t = "0123456789abcdef0123456789abcdef\n\n# x\n0123456789abcdef0123456789abcdeff\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "t: line 4, record 2, field hash: 33 characters"));
    col_free(&c);
    t = "0123456789abcdef0123456789abcdeg\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "line 1, record 1, field hash"));
    col_free(&c);
    t = "0123456789abcdef0123456789abcdef,9\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "field category"));
    col_free(&c);
    t = "pdq:0123456789abcdef0123456789abcdef\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "PDQ needs 64"));
    col_free(&c);
    /* skip_bad, and an over-long line */
    char big[AD_X_HASHLIST_MAX_LINE + 2000];
    memset(big, 'a', sizeof big);
    memcpy(big + sizeof big - 40, "\nzz\n0123456789abcdef0123456789abcdef\n", 37);
    big[sizeof big - 3] = 0;
    sink.skip_bad = 1;
    assert_int_equal(read_text(ad_hashlist_read, big, strlen(big), &sink, &c, &e), AD_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.n_bad, 2);
    assert_non_null(strstr(c.bad[0].message, "longer than"));
    assert_int_equal(c.bad[1].line, 2);
    assert_int_equal(c.media[0].m.line, 3);
    col_free(&c);
}

/* md5sum, sha1sum and sha256sum output as written by GNU coreutils (text and binary mode,
 * '\'-escaped names, --tag), names with blanks, ',', ';' and '*'; names are not kept. */
static void test_hashlist_coreutils(void **state)
{
    (void)state;
    const char *t =
        "d41d8cd98f00b204e9800998ecf8427e  empty file.txt\n"
        "0123456789ABCDEF0123456789abcdef *bin,ary;MD5 *x\n"
        "\\00112233445566778899aabbccddeeff  new\\nline\\\\back\n"
        "da39a3ee5e6b4b0d3255bfef95601890afd80709  sha1 name\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n"
        "MD5 (tag (1)) = name) = ffeeddccbbaa99887766554433221100\n"
        "\\SHA256 (a\\nb) = 00000000000000000000000000000000000000000000000000000000000000ff\n"
        "SHA1 (x) = 0000000000000000000000000000000000000001\n"
        "00112233445566778899aabbccddeef0,1\n";
    collector c = {0};
    ad_err e;
    ad_exchange_sink sink = col_sink();
    sink.hash64 = AD_XHASH_PDQ; /* a --tag SHA256 line stays SHA-256; bare 64 hex follow --pdq */
    assert_int_equal(ad_exchange_sniff(t, strlen(t)), AD_XFMT_HASHLIST);
    if (read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e) != AD_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(c.n, 9);
    const unsigned kinds[] = {AD_XHAS_MD5, AD_XHAS_MD5,    AD_XHAS_MD5,  AD_XHAS_SHA1, AD_XHAS_PDQ,
                              AD_XHAS_MD5, AD_XHAS_SHA256, AD_XHAS_SHA1, AD_XHAS_MD5};
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(c.media[i].m.has, kinds[i]);
    assert_int_equal(c.media[0].m.md5[0], 0xd4);
    assert_int_equal(c.media[1].m.md5[15], 0xef);
    assert_int_equal(c.media[2].m.md5[1], 0x11);
    assert_int_equal(c.media[5].m.md5[0], 0xff);
    assert_int_equal(c.media[6].m.sha256[31], 0xff);
    assert_int_equal(c.media[6].m.line, 7);
    assert_true(ad_category_equal(c.media[8].m.category, (ad_category){AD_CAT_VIC_US, 1}));
    for (size_t i = 0; i < 9; i++) /* no file name is kept anywhere */
        assert_null(c.media[i].m.name);
    col_free(&c);
    /* digests that are not kept, and lengths that are no hash, say so */
    t = "SHA512 (f) = 00\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "SHA512 digests are not kept"));
    col_free(&c);
    t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
        "abcdef  f\n";
    assert_int_equal(read_text(ad_hashlist_read, t, strlen(t), &sink, &c, &e), AD_ERR_PARSE);
    assert_non_null(strstr(e.msg, "96 characters"));
    col_free(&c);
    /* a name holding ';' and "MD5" does not make the file an ICSE CSV */
    t = "d41d8cd98f00b204e9800998ecf8427e  MD5;SHA1.csv\n";
    assert_int_equal(ad_exchange_sniff(t, strlen(t)), AD_XFMT_HASHLIST);
}

static void test_sniff(void **state)
{
    (void)state;
    assert_int_equal(ad_exchange_sniff("\xEF\xBB\xBF \r\n{\"value\":[]}", 17), AD_XFMT_VICS);
    assert_int_equal(ad_exchange_sniff("SHA1;md5;Image ID\n", 18), AD_XFMT_ICSE_CSV);
    assert_int_equal(ad_exchange_sniff("# md5; list\n0123", 17), AD_XFMT_HASHLIST);
    assert_int_equal(ad_exchange_sniff("0123456789abcdef0123456789abcdef,1\n", 35),
                     AD_XFMT_HASHLIST);
    assert_int_equal(ad_exchange_sniff(" \n ", 3), 0);
    size_t n;
    uint8_t *b = td_read_file(td_path("data/exchange/icse_quirks.csv"), &n);
    assert_int_equal(ad_exchange_sniff(b, n), AD_XFMT_ICSE_CSV);
    free(b);
    ad_xformat fmt;
    assert_int_equal(ad_xformat_parse("ICSE-CSV", &fmt, NULL), AD_OK);
    assert_int_equal(fmt, AD_XFMT_ICSE_CSV);
    assert_string_equal(ad_xformat_name(AD_XFMT_HASHLIST), "hashlist");
    ad_err e;
    assert_int_equal(ad_xformat_parse("xml", &fmt, &e), AD_ERR_PARSE);
    collector c = {0};
    ad_exchange_sink sink = col_sink();
    const char *t = "# x\n0123456789abcdef0123456789abcdef\n";
    FILE *f = fmemopen((void *)t, strlen(t), "r");
    assert_int_equal(ad_exchange_read(f, ad_exchange_sniff(t, strlen(t)), &sink, &c, &e), AD_OK);
    fclose(f);
    assert_int_equal(c.n, 1);
    col_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_vics_roundtrip_all),
        cmocka_unit_test(test_vics_writer_strict),
        cmocka_unit_test(test_vics_domain_example),
        cmocka_unit_test(test_vics_quirks),
        cmocka_unit_test(test_vics_strings),
        cmocka_unit_test(test_vics_form_detection),
        cmocka_unit_test(test_vics_malformed),
        cmocka_unit_test(test_vics_skip_bad),
        cmocka_unit_test(test_icse_roundtrip),
        cmocka_unit_test(test_icse_quirks),
        cmocka_unit_test(test_icse_errors),
        cmocka_unit_test(test_hashlist_roundtrip),
        cmocka_unit_test(test_hashlist_quirks),
        cmocka_unit_test(test_hashlist_errors),
        cmocka_unit_test(test_hashlist_coreutils),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
