/* xlines.c: the line reader of the text formats (ICSE CSV, hash lists): a UTF-8 BOM on the
 * first line is dropped, CR/LF and LF endings are stripped, lines are counted and their length
 * is bounded (a longer line is an error, its rest is skipped so that reading may go on). */
#include <stdlib.h>
#include <string.h>

#include "xinternal.h"

ad_code ad_xlines_open(ad_xlines *l, FILE *f, size_t max_line, ad_err *err)
{
    memset(l, 0, sizeof *l);
    l->f = f;
    l->cap = max_line + 2;
    l->buf = malloc(l->cap);
    if (!l->buf)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory for a line buffer");
    return AD_OK;
}

void ad_xlines_close(ad_xlines *l)
{
    free(l->buf);
    l->buf = NULL;
}

ad_code ad_xlines_next(ad_xlines *l, char **s, size_t *len, ad_err *err)
{
    if (!fgets(l->buf, (int)l->cap, l->f)) {
        if (ferror(l->f))
            return ad_err_set(err, AD_ERR_IO, "read error after line %llu",
                              (unsigned long long)l->line);
        return AD_ERR_EMPTY;
    }
    l->line++;
    char *p = l->buf;
    size_t n = strlen(p);
    if (n && p[n - 1] != '\n' && !feof(l->f)) {
        int c;
        while ((c = getc(l->f)) != EOF && c != '\n')
            ;
        return ad_err_set(err, AD_ERR_LIMIT, "line longer than %zu bytes", l->cap - 2);
    }
    if (!l->started) {
        l->started = 1;
        if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            n -= 3;
        }
    }
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    p[n] = 0;
    *s = p;
    *len = n;
    return AD_OK;
}
