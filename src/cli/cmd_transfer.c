/* cmd_transfer.c: `ariadne import` and `ariadne export`: exchange files (VICS JSON, ICSE CSV,
 * hash lists) into and out of the store, through the service layer's ad_svc_import_file and
 * ad_svc_export_prepare/write (the options checked there, as for the server's routes). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "ariadne/transfer.h"
#include "ariadne/util.h"
#include "cli.h"

/* A service's error: a bad option (a parameter named) is a usage error (exit 2), anything else
 * a failure (exit 1). A message that starts with the parameter's name says it as the option
 * ("format is ..." as "--format is ..."). */
static int svc_fail(const ad_args *a, const ad_err *err)
{
    if (err->code != AD_ERR_ARG || !err->field[0])
        return ad_cli_fail(a, err);
    char opt[sizeof err->field];
    snprintf(opt, sizeof opt, "%s", err->field);
    for (char *p = opt; *p; p++)
        if (*p == '_')
            *p = '-';
    size_t n = strlen(err->field);
    if (!strncmp(err->msg, err->field, n) && err->msg[n] == ' ')
        return ad_args_usage_error(a, "--%s%s", opt, err->msg + n);
    return ad_args_usage_error(a, "%s", err->msg);
}

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

static ad_code print_note(void *ctx, const char *message, ad_err *err)
{
    (void)err;
    const ad_args *a = ctx;
    if (a->json)
        ad_cli_json(json_pack("{s:s}", "note", message));
    else
        fprintf(stderr, "ariadne import: note: %s\n", message);
    return AD_OK;
}

/* The summary of an import: one JSON object (the last line with --json), or a sentence. */
static void import_summary(const ad_args *a, const char *path, const char *list,
                           const ad_import_stats *s)
{
    if (a->json) {
        json_t *v = json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file", path,
                              "format", ad_xformat_name(s->info.format), "list", list, "records",
                              (json_int_t)s->records, "bad", (json_int_t)s->bad, "new",
                              (json_int_t)s->created, "merged", (json_int_t)s->merged, "votes",
                              (json_int_t)s->votes, "series_links", (json_int_t)s->series_links,
                              "cases", (json_int_t)s->cases);
        json_t *sr = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "agencies_created",
            (json_int_t)s->agencies_created, "series_created", (json_int_t)s->series_created,
            "series_filled", (json_int_t)s->series_filled, "series_apart",
            (json_int_t)s->series_apart, "series_unlinked", (json_int_t)s->series_unlinked,
            "victims_added", (json_int_t)s->victims_added, "victims_identified",
            (json_int_t)s->victims_identified, "victims_left", (json_int_t)s->victims_left);
        json_object_update(v, sr);
        json_decref(sr);
        ad_cli_json(v);
        return;
    }
    printf("%s: %llu records imported (%llu new, %llu merged)%s%s, %llu bad skipped\n", path,
           (unsigned long long)s->records, (unsigned long long)s->created,
           (unsigned long long)s->merged, list ? " into list " : "", list ? list : "",
           (unsigned long long)s->bad);
    if (s->series_created || s->series_filled || s->series_apart || s->series_unlinked ||
        s->agencies_created || s->victims_added || s->victims_identified || s->victims_left)
        printf("%s: series: %llu new, %llu given their owner or contact, %llu kept apart, %llu "
               "not linked; %llu agencies new; victims: %llu new, %llu now identified, %llu left "
               "as they were\n",
               path, (unsigned long long)s->series_created, (unsigned long long)s->series_filled,
               (unsigned long long)s->series_apart, (unsigned long long)s->series_unlinked,
               (unsigned long long)s->agencies_created, (unsigned long long)s->victims_added,
               (unsigned long long)s->victims_identified, (unsigned long long)s->victims_left);
}

int ad_cmd_import(int argc, char **argv)
{
    static const char *const opts[] = {"--format", "--list", "--source", NULL};
    ad_args a;
    ad_store *st;
    int skip_bad = ad_args_take_flag(&argc, argv, "--skip-bad");
    int pdq = ad_args_take_flag(&argc, argv, "--pdq");
    int rc = ad_cli_start(
        &a, &st, "import",
        "import [--format vics|icse-csv|hashlist] [--list NAME] [--source TEXT] "
        "[--skip-bad] [--pdq] FILE|-\n"
        "  Imports, in one transaction, a VICS JSON file (1.x or 2.0), an ICSE-style CSV or a\n"
        "  plain hash list (also md5sum/sha1sum/sha256sum output; file names are "
        "ignored).\n"
        "  --list: the named list the records join (default: the file's name), so that\n"
        "  `export --list` can send it on; --skip-bad: report bad records and import the rest;\n"
        "  --pdq: bare 64-hex lines of a hash list are PDQ (default SHA-256; 'pdq:' prefixes\n"
        "  always are). Series come with their owner agency, contact and victims when the file\n"
        "  has Ariadne's own fields: owners are created when unknown, a series of another\n"
        "  owner with the same name is kept apart as 'NAME (OWNER)', and an identified victim\n"
        "  is never made unidentified (docs/formats.md). --json: bad records and notes, then\n"
        "  a summary, as JSON Lines.",
        argc, argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    const char *path = a.pos[0];
    ad_err err;
    char *pathcopy = strdup(path);
    const char *base = strcmp(path, "-") ? basename(pathcopy) : "stdin";
    /* every import is a list (default: the file's name): `export --list` sends it on as it came */
    ad_svc_import_query q = {ad_arg(&a, "--format"), ad_arg(&a, "--list") ? ad_arg(&a, "--list")
                                                                          : base,
                             ad_arg(&a, "--source"), skip_bad, pdq};
    ad_import_opts io = {.source_name = base,
                         .bad = print_bad,
                         .bad_ctx = &a,
                         .note = print_note,
                         .note_ctx = &a};
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        ad_err_set(&err, AD_ERR_IO, "cannot open %s", path);
        rc = ad_cli_fail(&a, &err);
    } else {
        ad_identity id;
        ad_call c;
        ad_cli_call(st, &id, &c);
        ad_import_stats s;
        if (ad_svc_import_file(&c, &q, f, &io, &s, &err) != AD_OK) {
            rc = svc_fail(&a, &err);
        } else {
            import_summary(&a, path, q.list, &s);
            rc = s.bad ? AD_EXIT_FAIL : AD_EXIT_OK;
        }
        if (f != stdin)
            fclose(f);
    }
    free(pathcopy);
    return ad_cli_close(st, rc);
}

/* The summary of an export: JSON (one line) when asked, on stdout when the data went to a file
 * and on stderr when it went to stdout; a sentence on stderr otherwise. */
static void export_summary(const ad_args *a, const ad_export_opts *eo, const char *o,
                           const ad_export_stats *s)
{
    if (a->json) {
        json_t *v = json_pack(
            "{s:s?, s:s, s:{s:s?, s:s?, s:s?, s:o, s:b, s:b}, s:I, s:I, s:I, s:I, s:I, s:s?}",
            "file", o, "format", ad_xformat_name(eo->format), "selection", "list", eo->list,
            "series", eo->series, "scheme", eo->scheme ? ad_cat_scheme_name(eo->scheme) : NULL,
            "codes", json_array(), "trusted", eo->trusted, "all", eo->all, "seen",
            (json_int_t)s->seen, "written", (json_int_t)s->written, "skipped",
            (json_int_t)s->skipped, "not_selected", (json_int_t)s->not_selected, "category_dropped",
            (json_int_t)s->category_dropped, "skip_reason", s->skipped ? s->skip_reason : NULL);
        json_t *codes = json_object_get(json_object_get(v, "selection"), "codes");
        for (size_t i = 0; i < eo->n_codes; i++) {
            char buf[16];
            json_array_append_new(codes, json_string(ad_category_code_text(
                                             (ad_category){eo->scheme, eo->codes[i]}, buf)));
        }
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (t)
            fprintf(o ? stdout : stderr, "%s\n", t);
        free(t);
        json_decref(v);
        return;
    }
    fprintf(stderr, "ariadne export: %llu records written", (unsigned long long)s->written);
    if (s->not_selected)
        fprintf(stderr, ", %llu media not chosen (%s)", (unsigned long long)s->not_selected,
                eo->scheme ? "no category of the scheme or code asked for" : "not in the series");
    if (s->skipped)
        fprintf(stderr, ", %llu refused by the writer (first: %s)", (unsigned long long)s->skipped,
                s->skip_reason);
    if (s->category_dropped)
        fprintf(stderr, ", %llu written without their category (no mapping into the file's scheme)",
                (unsigned long long)s->category_dropped);
    fputc('\n', stderr);
}

int ad_cmd_export(int argc, char **argv)
{
    static const char *const opts[] = {"--format",       "--list",    "--series", "--hash",
                                       "--vics-version", "--profile", "-o",       "--scheme",
                                       "--category",     NULL};
    ad_args a;
    ad_store *st;
    int all = ad_args_take_flag(&argc, argv, "--all");
    int trusted = ad_args_take_flag(&argc, argv, "--trusted");
    int rc = ad_cli_start(
        &a, &st, "export",
        "export --format vics|icse-csv|hashlist (--list NAME | --series NAME | --scheme SCHEME\n"
        "       [--category CODES] [--trusted] | --all) [--hash md5|sha1|sha256|pdq]\n"
        "       [--vics-version 1.3|2.0] [--profile default|us|uk] [-o FILE]\n"
        "  Writes the media you choose to stdout or FILE; there is no default, since the database\n"
        "  holds seized files nobody has reviewed. --list, --series: the media of a list or a\n"
        "  series; --scheme vics-us|dhs|uk|baseline: the media with a category in that scheme "
        "(the\n"
        "  latest vote, or with --trusted only a trusted category, mapped into it), narrowed by\n"
        "  --category (codes, e.g. 1,2 or A,B); given together, each narrows the others. Hash "
        "lists\n"
        "  of a --scheme carry its codes ('hash,code'). --all: everything, for a backup between\n"
        "  your own instances (exit 1 if any media could not be written). --json: a summary\n"
        "  (on stdout with -o FILE, else on stderr).",
        argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    ad_svc_export_query q = {ad_arg(&a, "--format"),
                             ad_arg(&a, "--list"),
                             ad_arg(&a, "--series"),
                             ad_arg(&a, "--scheme"),
                             ad_arg(&a, "--category"),
                             ad_arg(&a, "--hash"),
                             trusted,
                             all,
                             ad_arg(&a, "--vics-version"),
                             ad_arg(&a, "--profile")};
    ad_svc_export *x;
    ad_err err;
    if (ad_svc_export_prepare(&c, &q, &x, &err) != AD_OK)
        return ad_cli_close(st, svc_fail(&a, &err));
    /* -o FILE: written to a private (0600: it holds custody data) temporary file renamed over
     * FILE once complete, so that a killed or failed export never leaves a truncated FILE */
    const char *o = ad_arg(&a, "-o");
    ad_file_replace out = {.f = stdout};
    ad_export_stats s;
    ad_code ec = o ? ad_file_replace_open(&out, o, &err) : AD_OK;
    if (ec == AD_OK)
        ec = ad_svc_export_write(&c, x, out.f, &s, &err);
    if (o && out.path)
        ec = ad_file_replace_end(&out, ec, &err);
    rc = ec ? ad_cli_fail(&a, &err) : AD_EXIT_OK;
    if (rc == AD_EXIT_OK) {
        if (!o)
            fflush(stdout);
        export_summary(&a, ad_svc_export_opts(x), o, &s);
        if (all && s.skipped) {
            ad_cli_error("export", "--all: %llu media could not be written (first: %s)",
                         (unsigned long long)s.skipped, s.skip_reason);
            rc = AD_EXIT_FAIL;
        }
    }
    ad_svc_export_free(x);
    return ad_cli_close(st, rc);
}
