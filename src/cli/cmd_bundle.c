/* cmd_bundle.c: `ariadne bundle export|import`: signed change sets as a file, for a peer that
 * is not reachable (air-gapped): export what the peer has not been sent yet, import a peer's
 * bundle after verifying all of it (docs/federation.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "cli.h"

static int bundle_export(int argc, char **argv)
{
    static const char *const opts[] = {"--peer", "--output", "--fed-key", NULL};
    int all = ad_args_take_flag(&argc, argv, "--all");
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "bundle export",
                          "bundle export --peer NAME -o FILE [--all] [--fed-key FILE] [--json]\n"
                          "  Writes this instance's change sets the peer has not been sent yet "
                          "(and, to a national\n  peer of this hub, the other origins' ones), "
                          "signed, into FILE. --all: everything held.",
                          argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    const char *peer = ad_arg(&a, "--peer"), *out = ad_arg(&a, "--output");
    if (!peer || !out)
        return ad_cli_close(st, ad_args_usage_error(&a, "--peer and -o are required"));
    char path[AD_STORE_URL_MAX + 16];
    ad_err err;
    ad_fed_key key;
    ad_fed_stats s;
    if (ad_fed_key_path(ad_arg(&a, "--db"), ad_arg(&a, "--fed-key"), path, sizeof path, &err) ||
        ad_fed_key_load(st, path, &key, &err))
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    /* written as it is made (one change set at a time in memory), whole or not at all */
    ad_file_replace r;
    ad_code c = ad_file_replace_open(&r, out, &err);
    int made = 0;
    if (c == AD_OK) {
        c = ad_fed_bundle_export_file(st, &key, peer, all, r.f, &s, &err);
        made = c == AD_OK;
        c = ad_file_replace_end(&r, c, &err);
    }
    ad_fed_key_wipe(&key);
    if (c != AD_OK && !made)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (c != AD_OK) {
        ad_cli_error(a.prog, "%s (what it held counts as sent: export again with --all)", err.msg);
        return ad_cli_close(st, AD_EXIT_FAIL);
    }
    if (a.json)
        ad_cli_json(json_pack("{s:s, s:I, s:I, s:I, s:I}", "file", out, "sets", (json_int_t)s.sets,
                              "changes", (json_int_t)s.changes, "bytes", (json_int_t)s.bytes,
                              "withheld", (json_int_t)s.withheld));
    else if (s.withheld)
        printf("%s: %lld change sets, %lld changes, %lld bytes; %lld changes withheld by the "
               "peer's policy\n",
               out, (long long)s.sets, (long long)s.changes, (long long)s.bytes,
               (long long)s.withheld);
    else
        printf("%s: %lld change sets, %lld changes, %lld bytes\n", out, (long long)s.sets,
               (long long)s.changes, (long long)s.bytes);
    return ad_cli_close(st, AD_EXIT_OK);
}

/* The file, opened for reading if it is a regular file (read twice: verified, then applied). */
static FILE *open_bundle(const char *path, ad_err *err)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ad_err_set(err, AD_ERR_IO, "cannot read %s: %s", path,
                   f ? "not a regular file" : strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    return f;
}

static int bundle_import(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "bundle import",
                          "bundle import FILE [--json]\n"
                          "  Verifies the whole bundle (signatures, hashes, keys of trusted "
                          "peers, the sender's scope,\n  each origin's run) and applies it in one "
                          "transaction; anything wrong rejects all of it.",
                          argc, argv, NULL, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    ad_fed_stats s;
    FILE *f = open_bundle(a.pos[0], &err);
    if (!f)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    ad_code c = ad_fed_bundle_import_file(st, f, &s, &err);
    fclose(f);
    if (c != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    char rk[64];
    ad_fed_kinds_format(s.refused_kinds, rk);
    if (a.json) {
        json_t *kinds = json_array();
        for (int i = 0; i < AD_FED_KINDS; i++)
            if (s.refused_kinds & (1u << i))
                json_array_append_new(kinds, json_string(ad_fed_kind_name(i)));
        ad_cli_json(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "file", a.pos[0], "sets",
                              (json_int_t)s.sets, "changes", (json_int_t)s.changes, "applied",
                              (json_int_t)s.applied, "skipped", (json_int_t)s.skipped, "withheld",
                              (json_int_t)s.withheld, "refused", (json_int_t)s.refused,
                              "refused_kinds", kinds));
    } else {
        printf("%s: %lld change sets, %lld changes applied, %lld already here\n", a.pos[0],
               (long long)s.sets, (long long)s.applied, (long long)s.skipped);
        if (s.refused)
            printf("%s: %lld changes refused by this instance's policy (kinds: %s), nothing of "
                   "them written\n",
                   a.pos[0], (long long)s.refused, rk);
        if (s.withheld)
            printf("%s: %lld changes withheld by the sender's policy (their place kept)\n",
                   a.pos[0], (long long)s.withheld);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"export", bundle_export, "write the change sets a peer has not been sent, signed"},
    {"import", bundle_import, "verify a peer's bundle whole, then apply it"},
};

int ad_cmd_bundle(int argc, char **argv)
{
    return ad_cli_dispatch("bundle", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
