/* testutil.h: helpers shared by the cmocka tests (paths to test data, scratch folders). */
#ifndef AD_TESTUTIL_H
#define AD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Path of a file under tests/ (AD_TEST_DATA); returns a static buffer per call slot (8 slots). */
const char *td_path(const char *rel);
/* A fresh, empty scratch folder for this test program (AD_TEST_TMP/<name>). */
const char *td_tmpdir(const char *name);
/* The whole file (malloc), with a NUL after its bytes; NULL when unreadable. */
uint8_t *td_read_file(const char *path, size_t *len);
/* Writes a file; returns 0 on success. */
int td_write_file(const char *path, const void *data, size_t len);

/* A fresh database for one test: SQLite in the program's scratch folder, or (pg) a new
 * database on the PostgreSQL server of $AD_TEST_PG. */
typedef struct td_db {
    int pg;
    char url[4200];
    char dbname[64];
} td_db;
/* 0: created (d->url to open with AD_STORE_CREATE); 1: skipped (pg without $AD_TEST_PG);
 * -1: failed (message on stderr). name prefixes the database (letters, digits, '_'). */
int td_db_create(td_db *d, int pg, const char *name);
/* Drops a PostgreSQL database (SQLite files stay in the scratch folder). */
void td_db_drop(td_db *d);
/* Runs SQL on the database through its own connection, outside the store: 1 when it ran. */
int td_db_sql(const td_db *d, const char *sql);

/* n synthetic media (SHA-256 and MD5 made from seeds from..from+n-1, image/jpeg) linked to a
 * new series `name`, in one transaction: the bulk the federation tests cut and send. */
struct ad_store;
struct ad_err;
int td_media_series(struct ad_store *st, const char *name, size_t n, size_t from,
                    struct ad_err *err);

#endif
