/* walk.c: recursive folder walk in a stable (byte) order, never following directory links. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk(const char *path, ad_walk_fn fn, void *ctx, int depth)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return fn(ctx, path, NULL, AD_ERR_IO, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        struct stat tgt;
        if (stat(path, &tgt) != 0)
            return fn(ctx, path, &st, AD_ERR_IO, "dangling symbolic link");
        if (S_ISDIR(tgt.st_mode) && depth > 0)
            return fn(ctx, path, &st, AD_ERR_UNSUPPORTED,
                      "symbolic link to a directory: not followed");
        if (!S_ISDIR(tgt.st_mode))
            return fn(ctx, path, &tgt, AD_OK, NULL);
        st = tgt; /* a link given explicitly on the command line is followed */
    }
    if (!S_ISDIR(st.st_mode))
        return fn(ctx, path, &st, AD_OK, NULL);
    if (depth > 256)
        return fn(ctx, path, &st, AD_ERR_LIMIT, "folder nesting deeper than 256");
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, by_name);
    if (n < 0)
        return fn(ctx, path, &st, AD_ERR_IO, strerror(errno));
    int stop = 0;
    size_t plen = strlen(path);
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (!stop && strcmp(name, ".") && strcmp(name, "..")) {
            size_t need = plen + strlen(name) + 2;
            char *child = malloc(need);
            if (!child) {
                stop = fn(ctx, path, &st, AD_ERR_NOMEM, "out of memory");
            } else {
                int slash = plen > 0 && path[plen - 1] == '/';
                snprintf(child, need, "%s%s%s", path, slash ? "" : "/", name);
                stop = walk(child, fn, ctx, depth + 1);
                free(child);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return stop;
}

ad_code ad_walk(const char *path, ad_walk_fn fn, void *ctx, ad_err *err)
{
    (void)err;
    walk(path, fn, ctx, 0);
    return AD_OK;
}
