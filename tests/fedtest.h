/* fedtest.h: the fixture the federation tests (tests/test_fed*.c) share: the OK macro, and a
 * node (one instance: a fresh store with its identity key, its public key and uuid) opened,
 * trusted by another, counted in and closed. */
#ifndef AD_FEDTEST_H
#define AD_FEDTEST_H

#include "ariadne/fed.h"
#include "ariadne/store.h"
#include "ariadne/util.h"
#include "testutil.h"

/* Fails the test, naming the call and the library's message, unless x returns AD_OK: the
 * message of `err`, the calling file's own `static ad_err err` that its calls fill. */
#define OK(x)                                                                                      \
    do {                                                                                           \
        ad_code rc_ = (x);                                                                         \
        if (rc_ != AD_OK)                                                                          \
            fail_msg("%s: %s", #x, err.msg);                                                       \
    } while (0)

typedef struct ft_node {
    td_db db;
    ad_store *st;
    ad_fed_key key;
    char pub[AD_FED_PUBKEY_HEX + 1];
    char uuid[AD_UUID_LEN + 1];
    char keypath[600]; /* the identity key's file */
} ft_node;

/* A node on a fresh database (name: its prefix and the instance's name; pg: on the PostgreSQL
 * server of $AD_TEST_PG), with a new identity whose key file is dir/<name>.key (one left by an
 * earlier run removed first). 1: opened; 0: skipped (pg without $AD_TEST_PG); anything else
 * fails the test. */
int ft_node_open(ft_node *n, int pg, const char *name, const char *dir);
/* Wipes the key, closes the store and drops a PostgreSQL database. */
void ft_node_close(ft_node *n);
/* a trusts b as its peer `name` (scope NULL: the default). */
void ft_trust(ft_node *a, const char *name, const ft_node *b, const char *scope);
/* Imports the bundle in the file at path into n (ad_fed_bundle_import_file). */
ad_code ft_import_file(ft_node *n, const char *path, ad_fed_stats *st, ad_err *e);
/* The integer the query (one row, one column) gives on n's store. */
int64_t ft_count(ft_node *n, const char *sql);

/* A bundle made by hand around change lines (seq from 1) of origin `uuid`, signed by its key
 * and naming it `pub`, for the tests that send what a well-behaved exporter never writes:
 * malloc'd, its length in *len; NULL if encoding fails (err). */
uint8_t *ft_bundle(const ad_fed_key *key, const char *uuid, const char *pub,
                   const char *const *lines, size_t n, size_t *len, ad_err *err);

#endif
