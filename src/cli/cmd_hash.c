/* cmd_hash.c: `ariadne hash`: digests and PDQ of files and folders. */
#include "cli.h"

int ad_cmd_hash(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ad_cli_error("hash", "not built yet");
    return AD_EXIT_FAIL;
}
