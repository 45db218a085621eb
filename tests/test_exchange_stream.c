/* test_exchange_stream.c: the VICS reader streams: a large file generated here (200k records in
 * one case, 100k in a hash set) is read with memory that does not grow with the file. Checked two
 * ways: the heap in use (mallinfo2, sampled every 1000 records) stays within a small bound of
 * where it started, and the process's max RSS (getrusage) grows by far less than the file size
 * (neither under ASan, whose allocator and quarantine keep freed memory). Correctness only, no
 * timings. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ariadne/exchange.h"
#include "exchange_gen.h"
#include "testutil.h"

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

typedef struct check {
    uint64_t n, bad_hash;
    size_t heap_max;
} check;

static ad_code on_media(void *ctx, const ad_xmedia *m, ad_err *err)
{
    (void)err;
    check *c = ctx;
    ad_xmedia want;
    ad_xfile f;
    ad_xmeta x;
    xgen_record(&want, &f, &x, (uint32_t)c->n);
    if (memcmp(want.md5, m->md5, 16) != 0 || m->size != want.size || m->n_files != 1 ||
        m->record != c->n + 1)
        c->bad_hash++;
    if (c->n % 1000 == 0 && heap_in_use() > c->heap_max)
        c->heap_max = heap_in_use();
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
        xgen_record(&m, &file, &meta, i);
        assert_int_equal(ad_vics_writer_add_media(w, &m, &e), AD_OK);
    }
    assert_int_equal(ad_vics_writer_close(w, &e), AD_OK);
    fclose(f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    long rss0 = max_rss_kb();
    size_t heap0 = heap_in_use();
    check c = {0};
    ad_exchange_sink sink = {0};
    sink.media = on_media;
    f = fopen(path, "rb");
    assert_non_null(f);
    if (ad_vics_read(f, &sink, &c, &e) != AD_OK)
        fail_msg("%s", e.msg);
    fclose(f);
    long grown_kb = max_rss_kb() - rss0;
    size_t heap_grew = c.heap_max > heap0 ? c.heap_max - heap0 : 0;
    print_message("%s: %u records, %lld MB file, heap grew %zu bytes, max RSS grew %ld KB\n", name,
                  n, (long long)st.st_size >> 20, heap_grew, grown_kb);
    assert_int_equal(c.n, n);
    assert_int_equal(c.bad_hash, 0);
    assert_true(st.st_size > 50 * 1024 * 1024);
#ifndef __SANITIZE_ADDRESS__
    assert_true(heap_grew < 1024 * 1024); /* buffers for one record, not the file */
    assert_true(grown_kb < 16 * 1024);    /* a generous bound; the file is > 50 MB */
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_cases),
        cmocka_unit_test(test_stream_media),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
