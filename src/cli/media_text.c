/* media_text.c: `ariadne media show` for people: the JSON document of cmd_media.c as labelled
 * sections, one "Label  value" line per field and one entry per line (custody data indented
 * below its sighting), flags in words, every stored text escaped (textout.h). */
#include "media_text.h"

#include <stdio.h>
#include <string.h>

#include "textout.h"

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static int has(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return v && !json_is_null(v);
}

/* prefix, the escaped text, suffix; nothing when the text is absent. */
static void opt(const char *prefix, const char *s, const char *suffix)
{
    if (!s)
        return;
    fputs(prefix, stdout);
    ad_txt_put(stdout, s);
    fputs(suffix, stdout);
}

static void label(const char *l)
{
    printf("  %-14s", l);
}

/* "  Label         value" for a string or integer field; nothing when it is null. */
static void field(json_t *o, const char *k, const char *l)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return;
    label(l);
    if (json_is_string(v))
        ad_txt_put(stdout, json_string_value(v));
    else
        printf("%lld", (long long)json_integer_value(v));
    putchar('\n');
}

/* "     label       value" below an entry (a stored path: as ingest escaped it). */
static void sub_as(const char *l, const char *s, int path)
{
    if (!s)
        return;
    printf("     %-12s", l);
    (path ? ad_txt_put_path : ad_txt_put)(stdout, s);
    putchar('\n');
}

static void sub(const char *l, const char *s)
{
    sub_as(l, s, 0);
}

static void section(const char *title, long long n)
{
    if (n >= 0)
        printf("\n%s (%lld)\n", title, n);
    else
        printf("\n%s\n", title);
}

typedef void (*entry_fn)(json_t *e, size_t i);

/* A titled list of entries, "none" when empty. */
static void entries(json_t *doc, const char *key, const char *title, entry_fn fn)
{
    json_t *a = json_object_get(doc, key), *e;
    size_t i;
    section(title, (long long)json_array_size(a));
    json_array_foreach(a, i, e) fn(e, i);
    if (!json_array_size(a))
        puts("  none");
}

static const char *digest_name(const char *k)
{
    return !strcmp(k, "sha256") ? "SHA-256"
           : !strcmp(k, "md5")  ? "MD5"
           : !strcmp(k, "sha1") ? "SHA-1"
           : !strcmp(k, "pdq")  ? "PDQ"
           : !strcmp(k, "id")   ? "media id"
                                : k;
}

static void series_text(json_t *s)
{
    ad_txt_put(stdout, str(s, "name"));
    printf(" (series %lld)", num(s, "id"));
    opt(", owner ", str(s, "owner"), "");
    opt(", contact ", str(s, "contact"), "");
    if (num(s, "victims"))
        printf("; victims: %lld, %lld unidentified", num(s, "victims"),
               num(s, "victims_unidentified"));
    else
        fputs("; no victim on record", stdout);
}

static void match_text(json_t *m)
{
    const char *kind = str(m, "kind");
    printf("media %lld: ", num(m, "media_id"));
    if (has(m, "variant"))
        printf("%s at distance %lld, form %s",
               !strcmp(kind, "frame") ? "a video frame's PDQ" : "PDQ", num(m, "distance"),
               str(m, "variant"));
    else if (!strcmp(kind, "vpdq"))
        printf("video frames (vPDQ), best at distance %lld", num(m, "distance"));
    else
        printf("the same %s", digest_name(kind));
    printf(" (%s)", !strcmp(str(m, "source"), "recorded") ? "recorded by ingest" : "searched now");
}

static void media(json_t *m)
{
    if (!has(m, "id")) {
        section("Media", -1);
        puts("  not in the store (no media has this hash)");
        return;
    }
    printf("Media %lld\n", num(m, "id"));
    field(m, "sha256", "SHA-256");
    field(m, "md5", "MD5");
    field(m, "sha1", "SHA-1");
    if (has(m, "pdq")) {
        label("PDQ");
        fputs(str(m, "pdq"), stdout);
        if (has(m, "pdq_quality"))
            printf("  (quality %lld)", num(m, "pdq_quality"));
        putchar('\n');
    }
    field(m, "mime", "Type");
    if (has(m, "size"))
        label("Size"), printf("%lld bytes\n", num(m, "size"));
    if (has(m, "width"))
        label("Dimensions"), printf("%lldx%lld\n", num(m, "width"), num(m, "height"));
    if (has(m, "duration_ms"))
        label("Duration"), printf("%.1f s\n", num(m, "duration_ms") / 1000.0);
    label("Flags");
    json_t *f = json_object_get(m, "flags"), *e;
    size_t i;
    json_array_foreach(f, i, e) printf("%s%s", i ? ", " : "", json_string_value(e));
    puts(json_array_size(f) ? "" : "none");
    label("Found by");
    puts(digest_name(str(m, "found_by")));
    field(m, "created", "Recorded");
    field(m, "updated", "Updated");
}

static void classification(json_t *doc)
{
    json_t *c = json_object_get(doc, "classification");
    const char *how = str(c, "decided_by");
    section("Classification", -1);
    field(c, "class", "Class");
    label("Decided by");
    if (!strcmp(how, "exact"))
        puts("this media itself");
    else if (!strcmp(how, "neighbour"))
        match_text(json_object_get(c, "match")), putchar('\n');
    else
        puts("nothing known: no media has this hash, no PDQ is near it");
    if (has(c, "series")) {
        label("Series");
        series_text(json_object_get(c, "series"));
        opt(" (merged from ", str(json_object_get(json_object_get(c, "series"), "merged_from"),
                                  "name"), ")");
        putchar('\n');
    }
    if (has(c, "own_class") && strcmp(how, "exact")) {
        label("On its own");
        printf("%s (this media without its neighbours)\n", str(c, "own_class"));
    }
}

static void series_entry(json_t *s, size_t i)
{
    (void)i;
    fputs("  ", stdout);
    series_text(s);
    opt(" [", str(s, "status"), "]");
    opt(" (merged into ", str(json_object_get(s, "merged_into"), "name"), ")");
    putchar('\n');
}

static void match_entry(json_t *m, size_t i)
{
    printf("  %zu. ", i + 1);
    match_text(m);
    putchar('\n');
    sub("class", has(m, "class") ? str(m, "class") : "-");
    if (has(m, "series"))
        sub("series", str(json_object_get(m, "series"), "name"));
    sub("SHA-256", str(m, "sha256"));
    sub("ranges", str(m, "ranges"));
}

static void matches(json_t *doc)
{
    json_t *p = json_object_get(doc, "pdq_search");
    long long forms = num(p, "forms"), total = num(p, "neighbours"),
              listed = (long long)json_array_size(json_object_get(doc, "matches"));
    section("Matches", total);
    const char *recorded = has(doc, "media") ? "; and matches recorded by ingest" : "";
    if (forms)
        printf("  PDQ within distance %lld of %s%s\n", num(json_object_get(doc, "query"), "radius"),
               forms == 8 ? "any of the 8 dihedral forms" : "this PDQ (1 form)", recorded);
    else
        printf("  PDQ not searched (%s)%s\n", has(p, "skipped") ? str(p, "skipped") : "no PDQ",
               recorded);
    json_t *a = json_object_get(doc, "matches"), *m;
    size_t i;
    json_array_foreach(a, i, m) match_entry(m, i);
    if (listed < total)
        printf("  ... and %lld more, farther away\n", total - listed);
    else if (!total)
        puts("  none");
}

static void sighting_entry(json_t *s, size_t i)
{
    printf("  %zu. agency ", i + 1);
    ad_txt_put(stdout, str(s, "agency"));
    fputs(", case ", stdout);
    ad_txt_put(stdout, str(s, "case"));
    fputs(", exhibit ", stdout);
    ad_txt_put(stdout, str(s, "exhibit"));
    putchar('\n');
    static const char *const keys[][2] = {
        {"path", "path"},      {"parent", "in archive"}, {"inner_path", "inside as"},
        {"mtime", "modified"}, {"ctime", "changed"},     {"atime", "accessed"},
        {"btime", "created"},  {"ingested", "ingested"}, {"job", "job"},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        sub_as(keys[k][1], str(s, keys[k][0]), k < 3);
    if (has(s, "size"))
        printf("     %-12s%lld bytes\n", "size", num(s, "size"));
}

/* Other agencies' sightings, as counts (a caller that does not see their evidence). */
static void elsewhere_entry(json_t *s, size_t i)
{
    (void)i;
    fputs("  agency ", stdout);
    ad_txt_put(stdout, str(s, "agency"));
    printf(": %lld sighting%s, first %s, last %s\n", num(s, "sightings"),
           num(s, "sightings") == 1 ? "" : "s", has(s, "first") ? str(s, "first") : "-",
           has(s, "last") ? str(s, "last") : "-");
}

static void vote_entry(json_t *v, size_t i)
{
    (void)i;
    opt("  ", str(v, "scheme"), " ");
    ad_txt_put(stdout, str(v, "code"));
    opt(" by ", str(v, "voter"), "");
    opt(" (", str(v, "agency"), ")");
    printf(", %s\n", has(v, "time") ? str(v, "time") : "time unknown");
}

static void trusted(json_t *doc)
{
    json_t *a = json_object_get(doc, "trusted"), *v;
    size_t i;
    label("Trusted");
    json_array_foreach(a, i, v) printf("%s%s %s", i ? ", " : "", str(v, "scheme"), str(v, "code"));
    puts(json_array_size(a) ? "" : "none yet");
}

/* Notes and clues: "time  author  [kind: ]text". */
static void text_entry(json_t *n, size_t i)
{
    (void)i;
    printf("  %s  ", has(n, "time") ? str(n, "time") : "-");
    ad_txt_put(stdout, str(n, "author"));
    fputs("  ", stdout);
    opt("", str(n, "kind"), ": ");
    ad_txt_put(stdout, has(n, "kind") ? str(n, "value") : str(n, "text"));
    fputs(json_is_true(json_object_get(n, "private")) ? "  (private)\n" : "\n", stdout);
}

static void list_entry(json_t *l, size_t i)
{
    (void)i;
    opt("  ", str(l, "name"), "");
    opt(" (source: ", str(l, "source"), ")");
    putchar('\n');
}

void ad_cli_media_text(json_t *doc)
{
    media(json_object_get(doc, "media"));
    classification(doc);
    entries(doc, "series", "Series", series_entry);
    matches(doc);
    entries(doc, "sightings", "Sightings", sighting_entry);
    if (json_array_size(json_object_get(doc, "sightings_elsewhere")))
        entries(doc, "sightings_elsewhere", "Seen by other agencies", elsewhere_entry);
    entries(doc, "votes", "Votes", vote_entry);
    trusted(doc);
    entries(doc, "notes", "Notes", text_entry);
    entries(doc, "clues", "Clues", text_entry);
    entries(doc, "lists", "Lists", list_entry);
}
