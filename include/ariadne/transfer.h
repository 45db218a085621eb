/* transfer.h: importing exchange files (VICS JSON, ICSE CSV, hash lists) into the store and
 * exporting the store's records to them. An import is one transaction: it lands whole or not
 * at all, unless bad records are to be skipped, in which case they are reported and the rest
 * lands. */
#ifndef ARIADNE_TRANSFER_H
#define ARIADNE_TRANSFER_H

#include <stdio.h>

#include "ariadne/exchange.h"
#include "ariadne/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ad_import_opts {
    ad_xformat format;       /* 0: guessed from the first bytes */
    const char *list;        /* named list the records join (hash lists and ICSE: required by
                                the command, which defaults it to the file's name) */
    const char *list_source; /* provenance text of the list (file, producer, version) */
    const char *source_name; /* file name for messages and votes ("import:NAME") */
    int skip_bad;            /* report bad records through bad() and go on */
    int pdq64;               /* hash lists: a bare 64-hex line is PDQ, not SHA-256 */
    ad_code (*bad)(void *ctx, const ad_xbad *b, ad_err *err);
    void *bad_ctx;
} ad_import_opts;

typedef struct ad_import_stats {
    uint64_t records, bad, created, merged, votes, series_links, cases;
    ad_xinfo info;
} ad_import_stats;

ad_code ad_import(ad_store *st, FILE *in, const ad_import_opts *opts, ad_import_stats *stats,
                  ad_err *err);

typedef struct ad_export_opts {
    ad_xformat format;
    const char *list;   /* only media of this list (NULL: all) */
    const char *series; /* only media of this series */
    /* VICS */
    ad_vics_version version; /* default 2.0 */
    ad_vics_profile profile; /* default Default (2.0) */
    /* hash lists */
    ad_xhash_kind hash; /* default SHA-256 ... */
    int hash_set;       /* ... unless set */
    int with_category;
    ad_cat_scheme scheme; /* for hash-list categories (default VIC US) */
} ad_export_opts;

typedef struct ad_export_stats {
    uint64_t written, skipped;
} ad_export_stats;

ad_code ad_export(ad_store *st, FILE *out, const ad_export_opts *opts, ad_export_stats *stats,
                  ad_err *err);

/* (scheme, code) of the store's votes <-> the exchange's categories. 0 when there is no
 * equivalent (e.g. UK "not indecent", custom codes). */
int ad_category_to_store(ad_category c, char scheme[16], char code[8]);
int ad_category_from_store(const char *scheme, const char *code, ad_category *out);

#ifdef __cplusplus
}
#endif
#endif
