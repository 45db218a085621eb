/* cmd_vote.c: `ariadne vote HASH SCHEME CODE`: a category vote on a media. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

int ad_cmd_vote(int argc, char **argv)
{
    static const char *const opts[] = {"--voter", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "vote",
                          "vote HASH SCHEME CODE [--voter NAME] (schemes: vics-us 0-4, dhs 0-5, "
                          "uk A-C, baseline 1)",
                          argc, argv, opts, 3, 3, 0);
    if (rc >= 0)
        return rc;
    if (!ad_category_valid(a.pos[1], a.pos[2]))
        return ad_cli_close(
            st, ad_args_usage_error(&a, "'%s' is not a code of scheme '%s'", a.pos[2], a.pos[1]));
    int64_t id;
    if ((rc = ad_cli_media(&a, st, a.pos[0], &id)) >= 0)
        return ad_cli_close(st, rc);
    ad_err err;
    char trusted[16] = "";
    if (ad_store_vote(st, id, a.pos[1], a.pos[2], ad_arg(&a, "--voter"), &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    ad_store_trusted_category(st, id, a.pos[1], trusted, sizeof trusted, NULL);
    if (a.json)
        ad_cli_json(json_pack("{s:I, s:s, s:s, s:s?}", "media", (json_int_t)id, "scheme", a.pos[1],
                              "code", a.pos[2], "trusted", *trusted ? trusted : NULL));
    else
        printf("media %lld: vote %s=%s recorded%s%s\n", (long long)id, a.pos[1], a.pos[2],
               *trusted ? "; trusted category " : "", trusted);
    return ad_cli_close(st, AD_EXIT_OK);
}
