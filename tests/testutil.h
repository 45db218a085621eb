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
/* Reads a whole file; returns malloc'd buffer or NULL. */
uint8_t *td_read_file(const char *path, size_t *len);
/* Writes a file; returns 0 on success. */
int td_write_file(const char *path, const void *data, size_t len);

#endif
