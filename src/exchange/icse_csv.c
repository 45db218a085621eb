/* icse_csv.c: the ICSE-style semicolon CSV (header as IPED reads it, docs/formats.md): reader
 * (columns matched by name in any order and case, unknown columns ignored, quoted fields, BOM,
 * CRLF, blank lines) and strict writer (the exact header, fixed order, lower-case hex), both
 * with Ariadne's own column "Ariadne series" last (JSON, as VICS's "@Ariadne.Series"). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ariadne/util.h"
#include "vics_media.h"
#include "xinternal.h"

enum {
    C_MD5,
    C_SHA1,
    C_PDNA,
    C_IMAGE,
    C_DIST,
    C_VICTIM,
    C_OFFENDER,
    C_SERIES,
    C_SUBS,
    C_AVAIL,
    C_MTYPE,
    C_BASELINE,
    C_XSERIES, /* Ariadne's own (other readers ignore unknown columns): JSON, see xseries.c */
    C__N
};
static const char *const col_names[C__N] = {"MD5",
                                            "SHA1",
                                            "PhotoDNA",
                                            "Image ID",
                                            "Is distributed",
                                            "Victim identified",
                                            "Offender identified",
                                            "Series name",
                                            "Number of submissions",
                                            "File Available",
                                            "Media Type",
                                            "Baseline",
                                            "Ariadne series"};

#define MAX_COLS 64

/* Splits a line at ';' in place, unquoting "..." fields ("" is a quote). Returns the number of
 * fields (may exceed max: the rest are counted, not stored), or -1 for an unclosed quote. */
static int split(char *s, size_t len, char **f, size_t *flen, int max)
{
    int n = 0;
    size_t i = 0;
    for (;;) {
        char *start = s + i, *o = start;
        if (i < len && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return -1;
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        *o++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = s[i++];
            }
            while (i < len && s[i] != ';') /* junk after the closing quote is kept */
                *o++ = s[i++];
        } else {
            while (i < len && s[i] != ';')
                i++;
            o = s + i;
        }
        if (n < max) {
            f[n] = start;
            flen[n] = (size_t)(o - start);
            /* a cell that writers neutralised against formulas ('=x) is read back as written
             * (=x): ad_csv_cell added that quote */
            if (flen[n] >= 2 && start[0] == '\'' && strchr("=+-@\t\r", start[1])) {
                f[n]++;
                flen[n]--;
            }
        }
        n++;
        if (i >= len)
            return n;
        *o = 0;
        i++;
    }
}

typedef struct icse_rd {
    ad_xread r;
    ad_xlines l;
    ad_jdom dom;       /* the "Ariadne series" cell, parsed */
    ad_vics_conv conv; /* and converted as in VICS */
    int col[C__N];     /* index of each known column in the file, -1 absent */
    int ncols;
} icse_rd;

static ad_code header(icse_rd *d, char *s, size_t len, ad_err *err)
{
    char *f[MAX_COLS];
    size_t fl[MAX_COLS];
    int n = split(s, len, f, fl, MAX_COLS), known = 0;
    if (n < 0 || n > MAX_COLS)
        return ad_xread_fatal(&d->r, d->l.line, AD_ERR_PARSE, "unreadable CSV header", err);
    for (int k = 0; k < C__N; k++)
        d->col[k] = -1;
    for (int i = 0; i < n; i++) {
        const char *c = f[i];
        size_t cl = fl[i];
        ad_x_trim(&c, &cl);
        for (int k = 0; k < C__N; k++)
            if (strlen(col_names[k]) == cl && strncasecmp(c, col_names[k], cl) == 0 &&
                d->col[k] < 0) {
                d->col[k] = i;
                known++;
            }
    }
    if (d->col[C_MD5] < 0 && d->col[C_SHA1] < 0 && d->col[C_PDNA] < 0)
        return ad_xread_fatal(&d->r, d->l.line, AD_ERR_CORRUPT,
                              "not an ICSE CSV header (no MD5, SHA1 or PhotoDNA column; "
                              "columns are separated by ';')",
                              err);
    d->ncols = n;
    return AD_OK;
}

static ad_code row(icse_rd *d, char *s, size_t len, uint64_t rec, ad_err *err)
{
    char *f[MAX_COLS];
    size_t fl[MAX_COLS];
    char detail[160], field[64];
    int n = split(s, len, f, fl, MAX_COLS);
    if (n < 0)
        return ad_xread_bad(&d->r, rec, d->l.line, "(row)", AD_ERR_PARSE, "unclosed quote", err);
    if (n != d->ncols) {
        snprintf(detail, sizeof detail, "expected %d columns, found %d", d->ncols, n);
        return ad_xread_bad(&d->r, rec, d->l.line, "column count", AD_ERR_PARSE, detail, err);
    }
    ad_xmedia m;
    ad_xmedia_init(&m);
    m.record = rec;
    m.line = d->l.line;
    for (int k = 0; k < C__N; k++) {
        int i = d->col[k];
        if (i < 0)
            continue;
        const char *v = f[i];
        size_t vl = fl[i];
        ad_x_trim(&v, &vl);
        f[i][fl[i]] = 0; /* fields are NUL-terminated for the string members */
        ((char *)v)[vl] = 0;
        ad_err e;
        ad_code rc = AD_OK;
        int8_t flag;
        switch (k) {
        case C_MD5:
            rc = vl ? ad_x_parse_hash(&m, AD_XHASH_MD5, v, vl, &e) : AD_OK;
            break;
        case C_SHA1:
            rc = vl ? ad_x_parse_hash(&m, AD_XHASH_SHA1, v, vl, &e) : AD_OK;
            break;
        case C_PDNA:
            m.photodna = vl ? v : NULL;
            break;
        case C_IMAGE:
            m.image_id = vl ? v : NULL;
            break;
        case C_SERIES:
            m.series = vl ? v : NULL;
            break;
        case C_MTYPE:
            m.media_type = vl ? v : NULL;
            break;
        case C_SUBS:
            rc = ad_x_parse_count(v, vl, &m.submissions, &e);
            break;
        case C_DIST:
            rc = ad_x_parse_flag(v, vl, &m.is_distributed, &e);
            break;
        case C_VICTIM:
            rc = ad_x_parse_flag(v, vl, &m.victim_identified, &e);
            break;
        case C_OFFENDER:
            rc = ad_x_parse_flag(v, vl, &m.offender_identified, &e);
            break;
        case C_AVAIL:
            rc = ad_x_parse_flag(v, vl, &m.file_available, &e);
            break;
        case C_BASELINE:
            rc = ad_x_parse_flag(v, vl, &flag, &e);
            if (rc == AD_OK && flag != AD_XUNKNOWN)
                m.category = (ad_category){AD_CAT_BASELINE, flag};
            break;
        case C_XSERIES:
            if (vl && (rc = ad_jdom_parse(&d->dom, (char *)v, vl, d->l.line, &e)) == AD_OK &&
                (rc = ad_vics_xseries_from_dom(&d->conv, &d->dom, 0, "", &m, &e)) != AD_OK &&
                d->conv.field[0])
                ad_err_prefix(&e, "%s", d->conv.field);
            break;
        }
        if (rc != AD_OK) {
            snprintf(field, sizeof field, "column %d (%s)", i + 1, col_names[k]);
            return ad_xread_bad(&d->r, rec, d->l.line, field, rc, e.msg, err);
        }
    }
    if (!(m.has & (AD_XHAS_MD5 | AD_XHAS_SHA1)) && !m.photodna)
        return ad_xread_bad(&d->r, rec, d->l.line, "MD5", AD_ERR_PARSE,
                            "no hash (MD5, SHA1 or PhotoDNA) in the row", err);
    return ad_xread_emit(&d->r, &m, err);
}

ad_code ad_icse_read(FILE *f, const ad_exchange_sink *sink, void *ctx, ad_err *err)
{
    if (!f || !sink)
        return ad_err_set(err, AD_ERR_ARG, "ad_icse_read: no file or no sink");
    icse_rd d;
    memset(&d, 0, sizeof d);
    ad_xread_init(&d.r, sink, ctx);
    ad_code rc = ad_xlines_open(&d.l, f, d.r.max_record < 1 << 20 ? d.r.max_record : 1 << 20, err);
    if (rc != AD_OK)
        return rc;
    int have_header = 0;
    uint64_t rec = 0;
    char *s;
    size_t len;
    ad_err e;
    while ((rc = ad_xlines_next(&d.l, &s, &len, &e)) != AD_ERR_EMPTY) {
        if (rc == AD_ERR_IO) {
            rc = ad_xread_fatal(&d.r, d.l.line, rc, e.msg, err);
            break;
        }
        if (rc == AD_ERR_LIMIT) {
            if (!have_header) {
                rc = ad_xread_fatal(&d.r, d.l.line, rc, e.msg, err);
                break;
            }
            if ((rc = ad_xread_bad(&d.r, ++rec, d.l.line, "(row)", rc, e.msg, err)) != AD_OK)
                break;
            continue;
        }
        const char *t = s;
        size_t tl = len;
        ad_x_trim(&t, &tl);
        if (tl == 0)
            continue;
        if (!have_header) {
            ad_xinfo info = {.format = AD_XFMT_ICSE_CSV,
                             .scheme = AD_CAT_BASELINE, /* the Baseline column */
                             .declared_count = -1};
            if ((rc = header(&d, s, len, err)) != AD_OK ||
                (sink->begin && (rc = sink->begin(ctx, &info, err)) != AD_OK))
                break;
            have_header = 1;
            continue;
        }
        if ((rc = row(&d, s, len, ++rec, err)) != AD_OK)
            break;
    }
    if (rc == AD_ERR_EMPTY)
        rc = have_header ? AD_OK
                         : ad_xread_fatal(&d.r, d.l.line, AD_ERR_EMPTY,
                                          "empty file (no ICSE CSV header)", err);
    d.r.st.lines = d.l.line;
    ad_xread_finish(&d.r);
    ad_xlines_close(&d.l);
    ad_jdom_free(&d.dom);
    ad_vics_conv_free(&d.conv);
    return rc;
}

/* ---- writer ---- */

struct ad_icse_writer {
    FILE *f;
};

ad_code ad_icse_writer_open(ad_icse_writer **out, FILE *f, ad_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return ad_err_set(err, AD_ERR_NOMEM, "no memory");
    (*out)->f = f;
    for (int k = 0; k < C__N; k++)
        fprintf(f, "%s%s", k ? ";" : "", col_names[k]);
    fputs("\n", f);
    return AD_OK;
}

static const char *flag_text(int8_t v)
{
    return v == AD_XUNKNOWN ? NULL : v ? "true" : "false";
}

ad_code ad_icse_writer_add_media(ad_icse_writer *w, const ad_xmedia *m, ad_err *err)
{
    if (!(m->has & (AD_XHAS_MD5 | AD_XHAS_SHA1)) && !m->photodna)
        return ad_err_set(err, AD_ERR_ARG, "ICSE writer: a row needs an MD5, SHA1 or PhotoDNA");
    const char *bad = ad_x_xseries_invalid(m);
    if (bad)
        return ad_err_set(err, AD_ERR_ARG, "ICSE writer: Ariadne series: %s", bad);
    char *xs = m->n_xseries ? ad_x_xseries_text(m) : NULL;
    if (m->n_xseries && !xs)
        return ad_err_set(err, AD_ERR_NOMEM, "ICSE writer: no memory");
    char md5[65], sha1[65], subs[24] = "";
    ad_category b = {AD_CAT_NONE, 0};
    if (m->category.scheme != AD_CAT_NONE)
        ad_category_map(m->category, AD_CAT_BASELINE, &b, NULL); /* no mapping: left empty */
    if (m->submissions >= 0)
        snprintf(subs, sizeof subs, "%lld", (long long)m->submissions);
    const char *v[C__N] = {ad_x_hash_hex(m, AD_XHASH_MD5, md5),
                           ad_x_hash_hex(m, AD_XHASH_SHA1, sha1),
                           m->photodna,
                           m->image_id,
                           flag_text(m->is_distributed),
                           flag_text(m->victim_identified),
                           flag_text(m->offender_identified),
                           m->series,
                           m->submissions >= 0 ? subs : NULL,
                           flag_text(m->file_available),
                           m->media_type,
                           b.scheme == AD_CAT_BASELINE ? flag_text((int8_t)(b.code != 0)) : NULL,
                           xs};
    for (int k = 0; k < C__N; k++) {
        if (k)
            putc(';', w->f);
        ad_csv_cell(w->f, v[k], ';');
    }
    putc('\n', w->f);
    free(xs);
    return AD_OK;
}

ad_code ad_icse_writer_close(ad_icse_writer *w, ad_err *err)
{
    if (!w)
        return AD_OK;
    ad_code rc = ad_x_flush(w->f, "ICSE", err);
    free(w);
    return rc;
}
