/* exchange_gen.h: generated benign records for the large exchange-format tests and the benchmark
 * (record i is the same everywhere, so a reader's output can be checked against it). Header-only;
 * included by tests/test_exchange_stream.c and bench/bench_exchange.c. */
#ifndef AD_TEST_EXCHANGE_GEN_H
#define AD_TEST_EXCHANGE_GEN_H

#include "ariadne/exchange.h"

static inline void xgen_record(ad_xmedia *m, ad_xfile *file, ad_xmeta *meta, uint32_t i)
{
    ad_xmedia_init(m);
    m->media_id = i + 1;
    m->has = AD_XHAS_MD5 | AD_XHAS_SHA1 | AD_XHAS_SHA256 | AD_XHAS_PDQ;
    for (int k = 0; k < 32; k++) {
        uint8_t b = (uint8_t)((i >> (8 * (k & 3))) ^ (uint32_t)k * 29);
        if (k < 16)
            m->md5[k] = b;
        if (k < 20)
            m->sha1[k] = b ^ 0x55;
        m->sha256[k] = b ^ 0xAA;
        m->pdq.b[k] = b ^ 0x0F;
    }
    m->size = 10000 + i;
    m->category = (ad_category){AD_CAT_VIC_US, (int)(i % 5)};
    m->is_distributed = (int8_t)(i & 1);
    m->victim_identified = AD_XFALSE;
    m->offender_identified = AD_XFALSE;
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

#endif
