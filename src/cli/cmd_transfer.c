/* cmd_transfer.c: `ariadne import` and `ariadne export`: exchange files (VICS JSON, ICSE CSV,
 * hash lists) into and out of the store. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "ariadne/transfer.h"
#include "cli.h"

static ad_code print_bad(void *ctx, const ad_xbad *b, ad_err *err)
{
    (void)err;
    const ad_args *a = ctx;
    if (a->json) {
        ad_cli_json(json_pack("{s:s, s:I, s:I, s:s?, s:s, s:s}", "bad", "record", "record",
                              (json_int_t)b->record, "line", (json_int_t)b->line, "field", b->field,
                              "error", ad_code_name(b->code), "message", b->message));
    } else {
        fprintf(stderr, "ariadne import: skipped: %s\n", b->message);
    }
    return AD_OK;
}

int ad_cmd_import(int argc, char **argv)
{
    static const char *const opts[] = {"--format", "--list", "--source", NULL};
    ad_args a;
    ad_store *st;
    int skip_bad = ad_args_take_flag(&argc, argv, "--skip-bad");
    int pdq = ad_args_take_flag(&argc, argv, "--pdq");
    int rc = ad_cli_start(&a, &st, "import",
                          "import [--format vics|icse-csv|hashlist] [--list NAME] [--source TEXT] "
                          "[--skip-bad] [--pdq] FILE|-\n"
                          "  Imports, in one transaction, a VICS JSON file (1.x or 2.0), an ICSE-style CSV or a\n"
                          "  plain hash list (also md5sum/sha1sum/sha256sum output; file names are "
                          "ignored).\n"
                          "  --list: the named list the records join (default: the file's name; "
                          "hash lists and CSV\n  always join one); --skip-bad: report bad records "
                          "and import the rest; --pdq: bare\n  64-hex lines of a hash list are PDQ "
                          "(default SHA-256; 'pdq:' prefixes always are)",
                          argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    const char *path = a.pos[0];
    ad_err err;
    ad_import_opts io = {.skip_bad = skip_bad, .pdq64 = pdq, .bad = print_bad, .bad_ctx = &a};
    if (ad_arg(&a, "--format") && ad_xformat_parse(ad_arg(&a, "--format"), &io.format, &err)) {
        return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
    }
    char *pathcopy = strdup(path);
    const char *base = strcmp(path, "-") ? basename(pathcopy) : "stdin";
    io.source_name = base;
    io.list = ad_arg(&a, "--list");
    if (!io.list && (io.format != AD_XFMT_VICS))
        io.list = base;
    io.list_source = ad_arg(&a, "--source");
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        ad_err_set(&err, AD_ERR_IO, "cannot open %s", path);
        rc = ad_cli_fail(&a, &err);
    } else {
        ad_import_stats s;
        if (ad_import(st, f, &io, &s, &err) != AD_OK) {
            rc = ad_cli_fail(&a, &err);
        } else {
            if (a.json)
                ad_cli_json(json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
                                      path, "format", ad_xformat_name(s.info.format), "list",
                                      io.list, "records", (json_int_t)s.records, "bad",
                                      (json_int_t)s.bad, "new", (json_int_t)s.created, "merged",
                                      (json_int_t)s.merged, "votes", (json_int_t)s.votes,
                                      "series_links", (json_int_t)s.series_links));
            else
                printf("%s: %llu records imported (%llu new, %llu merged)%s%s, %llu bad skipped\n",
                       path, (unsigned long long)s.records, (unsigned long long)s.created,
                       (unsigned long long)s.merged, io.list ? " into list " : "",
                       io.list ? io.list : "", (unsigned long long)s.bad);
            rc = s.bad ? AD_EXIT_FAIL : AD_EXIT_OK;
        }
        if (f != stdin)
            fclose(f);
    }
    free(pathcopy);
    return ad_cli_close(st, rc);
}

int ad_cmd_export(int argc, char **argv)
{
    static const char *const opts[] = {"--format",  "--list", "--series", "--hash", "--vics-version",
                                       "--profile", "-o",     "--scheme", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "export",
                          "export --format vics|icse-csv|hashlist [--list NAME] [--series NAME] "
                          "[--hash md5|sha1|sha256|pdq] [--scheme vics-us|dhs|uk|baseline]\n"
                          "       [--vics-version 1.3|2.0] [--profile default|us|uk] [-o FILE]\n"
                          "  Writes the media of the store (or of one list or series) to stdout or "
                          "FILE. Hash lists\n  get categories (as 'hash,code') when --scheme is "
                          "given.",
                          argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    ad_export_opts eo = {.list = ad_arg(&a, "--list"), .series = ad_arg(&a, "--series")};
    const char *fmt = ad_arg(&a, "--format");
    if (!fmt)
        return ad_cli_close(st, ad_args_usage_error(&a, "--format is required"));
    if (ad_xformat_parse(fmt, &eo.format, &err))
        return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
    const char *h = ad_arg(&a, "--hash");
    if (h) {
        static const char *const kinds[] = {"md5", "sha1", "sha256", "pdq"};
        eo.hash_set = 0;
        for (int k = 0; k < 4; k++)
            if (!strcmp(h, kinds[k]))
                eo.hash = (ad_xhash_kind)k, eo.hash_set = 1;
        if (!eo.hash_set)
            return ad_cli_close(st, ad_args_usage_error(&a, "unknown --hash '%s'", h));
    }
    if (ad_arg(&a, "--scheme")) {
        if (ad_cat_scheme_parse(ad_arg(&a, "--scheme"), &eo.scheme, &err))
            return ad_cli_close(st, ad_args_usage_error(&a, "%s", err.msg));
        eo.with_category = 1;
    }
    const char *v = ad_arg(&a, "--vics-version");
    if (v) {
        if (!strcmp(v, "2.0") || !strcmp(v, "2"))
            eo.version = AD_VICS_V2_0;
        else if (!strcmp(v, "1.3"))
            eo.version = AD_VICS_V1_3;
        else if (!strcmp(v, "1.2"))
            eo.version = AD_VICS_V1_2;
        else
            return ad_cli_close(st, ad_args_usage_error(&a, "--vics-version takes 1.2, 1.3 or 2.0"));
    }
    const char *p = ad_arg(&a, "--profile");
    if (p) {
        if (!strcasecmp(p, "default"))
            eo.profile = AD_VICS_DEFAULT;
        else if (!strcasecmp(p, "us"))
            eo.profile = AD_VICS_US;
        else if (!strcasecmp(p, "uk"))
            eo.profile = AD_VICS_UK;
        else
            return ad_cli_close(st, ad_args_usage_error(&a, "--profile takes default, us or uk"));
        if (eo.version && eo.version != AD_VICS_V2_0)
            return ad_cli_close(st, ad_args_usage_error(&a, "profiles exist in VICS 2.0 only"));
    }
    const char *o = ad_arg(&a, "-o");
    FILE *f = o ? fopen(o, "wb") : stdout;
    if (!f) {
        ad_err_set(&err, AD_ERR_IO, "cannot create %s", o);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    ad_export_stats s;
    rc = ad_export(st, f, &eo, &s, &err) ? ad_cli_fail(&a, &err) : AD_EXIT_OK;
    if (o && fclose(f) != 0 && rc == AD_EXIT_OK) {
        ad_err_set(&err, AD_ERR_IO, "cannot write %s", o);
        rc = ad_cli_fail(&a, &err);
    }
    if (rc == AD_EXIT_OK)
        fprintf(stderr, "ariadne export: %llu records written, %llu without a hash of that kind\n",
                (unsigned long long)s.written, (unsigned long long)s.skipped);
    return ad_cli_close(st, rc);
}
