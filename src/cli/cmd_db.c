/* cmd_db.c: `ariadne db init`: creates the database (or brings its schema up to date). */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int db_init(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "db init", "db init [--db URL] [--json]", argc, argv, NULL, 0, 0,
                          AD_STORE_CREATE);
    if (rc >= 0)
        return rc;
    int v = 0;
    ad_err err;
    /* "ready" is not said of a damaged file: its pages are checked (quick_check) */
    if (ad_store_schema_version(st, &v, &err) != AD_OK || ad_store_check(st, 0, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    char shown[AD_STORE_URL_MAX];
    const char *url =
        ad_store_url_redact(ad_store_resolve_url(ad_arg(&a, "--db")), shown, sizeof shown);
    if (a.json)
        ad_cli_json(json_pack("{s:s, s:s, s:i}", "db", url, "backend", ad_store_backend(st),
                              "schema_version", v));
    else
        printf("%s: %s database ready (schema version %d)\n", url, ad_store_backend(st), v);
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"init", db_init,
     "create the database or apply pending schema migrations; check the SQLite file"},
};

int ad_cmd_db(int argc, char **argv)
{
    return ad_cli_dispatch("db", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
