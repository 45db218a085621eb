/* cmd_vote.c: `ariadne vote HASH SCHEME CODE`: a category vote on a media (ad_svc_vote, as the
 * server's POST /v1/votes); `ariadne vote withdraw GID`: withdraws one's own vote
 * (ad_svc_vote_withdraw, as POST /v1/votes/{vote}/withdraw). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cli.h"

/* Withdraws a vote by its gid: a withdrawal row is added, the vote itself stays. */
static int vote_withdraw(int argc, char **argv)
{
    static const char *const opts[] = {"--voter", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "vote withdraw", "vote withdraw VOTE-GID [--voter NAME]", argc,
                          argv, opts, 1, 1, 0);
    if (rc >= 0)
        return rc;
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    json_t *doc;
    ad_err err;
    if (ad_svc_vote_withdraw(&c, a.pos[0], ad_arg(&a, "--voter"), &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(&a, &err));
    if (a.json) {
        ad_cli_json(doc);
    } else {
        printf("media %lld: vote %s (%s=%s) withdrawn\n",
               (long long)json_integer_value(json_object_get(doc, "media")), a.pos[0],
               json_string_value(json_object_get(doc, "scheme")),
               json_string_value(json_object_get(doc, "code")));
        json_decref(doc);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

int ad_cmd_vote(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "withdraw"))
        return vote_withdraw(argc - 1, argv + 1);
    static const char *const opts[] = {"--voter", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "vote",
                          "vote HASH SCHEME CODE [--voter NAME] (schemes: vics-us 0-4, dhs 0-5, "
                          "uk A-C, baseline 1); vote withdraw VOTE-GID (undo)",
                          argc, argv, opts, 3, 3, 0);
    if (rc >= 0)
        return rc;
    if (!ad_category_valid(a.pos[1], a.pos[2]))
        return ad_cli_close(
            st, ad_args_usage_error(&a, "'%s' is not a code of scheme '%s'", a.pos[2], a.pos[1]));
    ad_identity id;
    ad_call c;
    ad_cli_call(st, &id, &c);
    json_t *doc;
    ad_err err;
    if (ad_svc_vote(&c, a.pos[0], a.pos[1], a.pos[2], ad_arg(&a, "--voter"), &doc, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_svc_fail(&a, &err));
    const char *trusted = json_string_value(json_object_get(doc, "trusted"));
    if (a.json) {
        ad_cli_json(doc);
    } else {
        printf("media %lld: vote %s=%s recorded%s%s\n",
               (long long)json_integer_value(json_object_get(doc, "media")), a.pos[1], a.pos[2],
               trusted ? "; trusted category " : "", trusted ? trusted : "");
        json_decref(doc);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}
