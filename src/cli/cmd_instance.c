/* cmd_instance.c: `ariadne instance init|show`: this instance's federation identity (its UUID,
 * name and Ed25519 public key; the secret key in a file beside the store, docs/federation.md). */
#include <stdio.h>

#include "args.h"
#include "ariadne/fed.h"
#include "cli.h"

static int instance_init(int argc, char **argv)
{
    static const char *const opts[] = {"--name", "--fed-key", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_cli_start(&a, &st, "instance init",
                          "instance init [--name NAME] [--fed-key FILE]\n"
                          "  Makes this instance's Ed25519 key pair: the public key goes into the "
                          "store, the secret\n  key into FILE (default: beside an SQLite store, "
                          "<file>.fed.key; $ARIADNE_FED_KEY),\n  mode 0600. Peers trust the "
                          "public key ('ariadne peer add').",
                          argc, argv, opts, 0, 0, 0);
    if (rc >= 0)
        return rc;
    char path[AD_STORE_URL_MAX + 16];
    ad_err err;
    ad_fed_instance in;
    if (ad_fed_key_path(ad_arg(&a, "--db"), ad_arg(&a, "--fed-key"), path, sizeof path, &err) ||
        ad_fed_keygen(st, path, ad_arg(&a, "--name"), &err) || ad_fed_instance_get(st, &in, &err))
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json)
        ad_cli_json(json_pack("{s:s, s:s, s:s, s:s}", "uuid", in.uuid, "name", in.name, "pubkey",
                              in.pubkey, "key_file", path));
    else
        printf("instance %s\npublic key %s\nsecret key in %s\n", in.uuid, in.pubkey, path);
    return ad_cli_close(st, AD_EXIT_OK);
}

static int instance_show(int argc, char **argv)
{
    ad_args a;
    ad_store *st;
    int rc =
        ad_cli_start(&a, &st, "instance show", "instance show [--json]", argc, argv, NULL, 0, 0, 0);
    if (rc >= 0)
        return rc;
    ad_err err;
    ad_fed_instance in;
    if (ad_fed_instance_get(st, &in, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (a.json) {
        ad_cli_json(json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I, s:I}", "uuid", in.uuid, "name",
                              *in.name ? in.name : NULL, "pubkey", *in.pubkey ? in.pubkey : NULL,
                              "last_seq", (json_int_t)in.last_seq, "pending",
                              (json_int_t)in.pending, "change_sets", (json_int_t)in.change_sets,
                              "peers", (json_int_t)in.peers));
    } else {
        printf("instance     %s\nname         %s\npublic key   %s\n", in.uuid,
               *in.name ? in.name : "-",
               *in.pubkey ? in.pubkey : "none (run 'ariadne instance init')");
        printf("last seq     %lld (%lld changes pending)\nchange sets  %lld\npeers        %lld\n",
               (long long)in.last_seq, (long long)in.pending, (long long)in.change_sets,
               (long long)in.peers);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"init", instance_init, "make this instance's federation key pair"},
    {"show", instance_show, "this instance's UUID, name and public key"},
};

int ad_cmd_instance(int argc, char **argv)
{
    return ad_cli_dispatch("instance", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
