/* test_exchange_stream.c: the VICS reader streams: a large file generated here (200k records in
 * one case, 100k in a hash set) is read with memory that does not grow with the file. Checked two
 * ways: jansson's live allocations (counting allocator) stay at one record's worth, and the
 * process's max RSS (getrusage) grows by far less than the file size (not under ASan, whose
 * quarantine keeps freed memory). Correctness only, no timings. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ariadne/exchange.h"
#include "testutil.h"

static size_t live_bytes, peak_bytes;

static void *count_malloc(size_t n)
{
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    p[0] = n;
    live_bytes += n;
    if (live_bytes > peak_bytes)
        peak_bytes = live_bytes;
    return (char *)p + 16;
}

static void count_free(void *q)
{
    if (!q)
        return;
    size_t *p = (size_t *)((char *)q - 16);
    live_bytes -= p[0];
    free(p);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void make_record(ad_xmedia *m, ad_xfile *file, ad_xmeta *meta, uint32_t i)
{
    ad_xmedia_init(m);
    m->media_id = i + 1;
    m->has = AD_XHAS_MD5 | AD_XHAS_SHA1 | AD_XHAS_SHA256;
    for (int k = 0; k < 32; k++) {
        uint8_t b = (uint8_t)((i >> (8 * (k & 3))) ^ (uint32_t)k * 29);
        if (k < 16)
            m->md5[k] = b;
        if (k < 20)
            m->sha1[k] = b ^ 0x55;
        m->sha256[k] = b ^ 0xAA;
    }
    m->size = 10000 + i;
    m->category = (ad_category){AD_CAT_VIC_US, (int)(i % 5)};
    m->is_distributed = (int8_t)(i & 1);
    m->victim_identified = AD_XFALSE;
    m->series = "Generated series";
    m->mime_type = "image/jpeg";
    m->date_updated = "2026-01-02T03:04:05.000Z";
    ad_xfile_init(file);
    file->file_name = "generated.jpg";
    file->file_path = "Partition 1\\Users\\test\\Pictures\\";
    file->source_id = "EXHIBIT-01";
    file->deleted = AD_XFALSE;
    m->files = file;
    m->n_files = 1;
    *meta = (ad_xmeta){"Make", "ExampleCam"};
    m->meta = meta;
    m->n_meta = 1;
}

typedef struct check {
    uint64_t n, bad_hash;
} check;

static ad_code on_media(void *ctx, const ad_xmedia *m, ad_err *err)
{
    (void)err;
    check *c = ctx;
    ad_xmedia want;
    ad_xfile f;
    ad_xmeta x;
    make_record(&want, &f, &x, (uint32_t)c->n);
    if (memcmp(want.md5, m->md5, 16) != 0 || m->size != want.size || m->n_files != 1 ||
        m->record != c->n + 1)
        c->bad_hash++;
    c->n++;
    return AD_OK;
}

static void stream(ad_vics_form form, uint32_t n, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", td_tmpdir(name), "big.json");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    ad_err e;
    ad_vics_writer *w;
    assert_int_equal(ad_vics_writer_open(&w, f, AD_VICS_V2_0, AD_VICS_US, form, &e), AD_OK);
    if (form == AD_VICS_CASES) {
        ad_xcase c;
        ad_xcase_init(&c);
        c.case_number = "BIG-1";
        assert_int_equal(ad_vics_writer_begin_case(w, &c, &e), AD_OK);
    }
    for (uint32_t i = 0; i < n; i++) {
        ad_xmedia m;
        ad_xfile file;
        ad_xmeta meta;
        make_record(&m, &file, &meta, i);
        assert_int_equal(ad_vics_writer_add_media(w, &m, &e), AD_OK);
    }
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    long rss0 = max_rss_kb();
    live_bytes = peak_bytes = 0;
    check c = {0};
    ad_exchange_sink sink = {0};
    sink.media = on_media;
    f = fopen(path, "rb");
    assert_non_null(f);
    if (ad_vics_read(f, &sink, &c, &e) != AD_OK)
        fail_msg("%s", e.msg);
    fclose(f);
    long grown_kb = max_rss_kb() - rss0;
    print_message("%s: %u records, %lld MB file, jansson peak %zu bytes, max RSS grew %ld KB\n",
                  name, n, (long long)st.st_size >> 20, peak_bytes, grown_kb);
    assert_int_equal(c.n, n);
    assert_int_equal(c.bad_hash, 0);
    assert_int_equal(live_bytes, 0);
    assert_true(peak_bytes < 64 * 1024); /* one record's objects, not the file's */
    assert_true(st.st_size > 50 * 1024 * 1024);
#ifndef __SANITIZE_ADDRESS__
    assert_true(grown_kb < 16 * 1024); /* a generous bound; the file is > 50 MB */
#endif
    remove(path);
}

static void test_stream_cases(void **state)
{
    (void)state;
    stream(AD_VICS_CASES, 200000, "test_exchange_stream_cases");
}

static void test_stream_media(void **state)
{
    (void)state;
    stream(AD_VICS_MEDIA, 100000, "test_exchange_stream_media");
}

int main(void)
{
    json_set_alloc_funcs(count_malloc, count_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_cases),
        cmocka_unit_test(test_stream_media),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
