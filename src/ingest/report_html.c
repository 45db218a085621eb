/* report_html.c: the case report as one self-contained HTML page (inline CSS and SVG, no
 * network, no image content unless thumbnails were made, and those blurred and greyscale until
 * clicked). Ordered as an investigator acts: the counts, the known series whose child is not yet
 * identified (contact the owner), the new material grouped into candidate series, location clues,
 * the rest, the errors, and the custody data of every file. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/pdq.h"
#include "ariadne/report.h"

static void esc(FILE *o, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&#39;", o); break;
        default:
            if (*p < 0x20)
                fputs("&#xfffd;", o);
            else
                fputc(*p, o);
        }
    }
}

/* A time as text; capture times come from the camera's clock, whose zone is often unknown, so
 * they are written without "UTC". */
static void when_as(FILE *o, int64_t t, int utc)
{
    if (t <= 0) {
        fputs("&ndash;", o);
        return;
    }
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(o, "%s%s", buf, utc ? " UTC" : "");
}

#define when(o, t) when_as((o), (t), 1)
#define when_captured(o, t) when_as((o), (t), 0)

static const char *const colors[AD_RC__COUNT] = {"#c62828", "#ef6c00", "#f9a825", "#2e7d32",
                                                 "#9e9e9e", "#424242", "#b0bec5"};
static const char *const labels[AD_RC__COUNT] = {
    "New: not in the database (highest priority: a child may be at risk now)",
    "Known series, victim not identified: contact the series owner",
    "Known, not in a series: review and attach",
    "Known series, victims identified: set aside",
    "Known non-pertinent: hidden by default",
    "Errors: unreadable or hostile files",
    "Not an image or video: digests only",
};

static void thumb(FILE *o, const ad_report_item *it)
{
    if (!it->thumbnail)
        return;
    fputs("<img class=\"thumb\" alt=\"thumbnail (blurred: click to show)\" "
          "title=\"click to show or blur\" src=\"",
          o);
    esc(o, it->thumbnail);
    fputs("\">", o);
}

static void file_cell(FILE *o, const ad_report_item *it)
{
    fputs("<td class=\"path\">", o);
    thumb(o, it);
    esc(o, it->path);
    fputs("</td>", o);
}

/* Table cells: escaped text (with an optional class), a file's camera, a capture time. */
static void td(FILE *o, const char *cls, const char *text)
{
    if (cls)
        fprintf(o, "<td class=\"%s\">", cls);
    else
        fputs("<td>", o);
    esc(o, text);
    fputs("</td>", o);
}

static void td_camera(FILE *o, const ad_report_item *x)
{
    fputs("<td>", o);
    esc(o, x->camera_make);
    fputc(' ', o);
    esc(o, x->camera_model);
    fputs("</td>", o);
}

static void td_captured(FILE *o, int64_t t)
{
    fputs("<td>", o);
    when_captured(o, t);
    fputs("</td>", o);
}

static void chart(FILE *o, const ad_report *r)
{
    size_t max = 1;
    for (int c = 0; c < AD_RC__COUNT; c++)
        if (r->counts[c] > max)
            max = r->counts[c];
    const int bar_h = 26, w = 420;
    fprintf(o, "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\" "
               "aria-label=\"files per class\">",
            w + 280, AD_RC__COUNT * bar_h + 4);
    for (int c = 0; c < AD_RC__COUNT; c++) {
        int len = (int)((double)r->counts[c] / (double)max * w);
        if (r->counts[c] && len < 2)
            len = 2;
        fprintf(o,
                "<rect x=\"180\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"></rect>"
                "<text x=\"172\" y=\"%d\" text-anchor=\"end\">%s</text>"
                "<text x=\"%d\" y=\"%d\">%zu</text>",
                c * bar_h + 2, len, bar_h - 6, colors[c], c * bar_h + 18,
                ad_report_class_name((ad_report_class)c), 186 + len, c * bar_h + 18, r->counts[c]);
    }
    fputs("</svg>", o);
}

static void known_unidentified(FILE *o, const ad_report *r)
{
    fprintf(o, "<h2 id=\"known-unidentified\">Known series with an unidentified victim (%zu files)</h2>",
            r->counts[AD_RC_KNOWN_UNIDENTIFIED]);
    if (!r->counts[AD_RC_KNOWN_UNIDENTIFIED]) {
        fputs("<p>None.</p>", o);
        return;
    }
    fputs("<p>These files belong to series whose child has not been identified yet. Contact the "
          "series owner and share the clues below.</p>",
          o);
    /* one table per series, in order of first appearance */
    size_t *first, nfirst;
    if (ad_report_unidentified_series(r, &first, &nfirst, NULL))
        return;
    for (size_t f = 0; f < nfirst; f++) {
        const size_t i = first[f];
        const ad_report_item *it = &r->items[i];
        fputs("<div class=\"series\"><h3>Series ", o);
        esc(o, it->series_name ? it->series_name : "(unnamed)");
        fputs("</h3><p><b>Owner:</b> ", o);
        esc(o, it->series_owner ? it->series_owner : "unknown");
        fputs(" &middot; <b>Contact:</b> ", o);
        esc(o, it->series_contact ? it->series_contact : "unknown");
        fputs("</p><table><tr><th>file</th><th>matched by</th><th>distance</th><th>variant</th>"
              "<th>camera</th><th>captured</th></tr>",
              o);
        for (size_t j = i; j < r->n; j++) {
            const ad_report_item *x = &r->items[j];
            if (x->cls != AD_RC_KNOWN_UNIDENTIFIED || x->series_id != it->series_id)
                continue;
            fputs("<tr>", o);
            file_cell(o, x);
            fputs("<td>", o);
            esc(o, x->match_kind);
            if (x->match_ranges) {
                fputs("<br><small>", o);
                esc(o, x->match_ranges);
                fputs("</small>", o);
            }
            const int v = x->match_variant;
            fprintf(o, "</td><td>%d</td><td>%s</td>", x->match_distance,
                    strcmp(x->match_kind, "pdq") && strcmp(x->match_kind, "frame") ? "&ndash;"
                    : v >= 0 && v < AD_PDQ_NVARIANTS ? ad_pdq_variant_names[v]
                                                     : "?");
            td_camera(o, x);
            td_captured(o, x->captured);
            fputs("</tr>", o);
        }
        fputs("</table></div>", o);
    }
    free(first);
}

static void new_material(FILE *o, const ad_report *r)
{
    fprintf(o, "<h2 id=\"new\">New material (%zu files)</h2>", r->counts[AD_RC_NEW]);
    if (!r->counts[AD_RC_NEW]) {
        fputs("<p>None.</p>", o);
        return;
    }
    fprintf(o, "<p>Not in the database. Files that appear to come from one event or producer are "
               "grouped into %zu candidate series; each group says why.</p>",
            r->ngroups);
    for (size_t g = 0; g < r->ngroups; g++) {
        const ad_report_group *gr = &r->groups[g];
        fprintf(o, "<div class=\"group\"><h3>Candidate series %d (%zu files)</h3><p><b>Why:</b> ",
                gr->id, gr->n);
        esc(o, gr->reasons);
        fputs("</p><table><tr><th>file</th><th>PDQ</th><th>camera</th><th>serial</th>"
              "<th>captured</th><th>GPS</th></tr>",
              o);
        for (size_t i = 0; i < gr->n; i++) {
            const ad_report_item *x = &r->items[gr->items[i]];
            fputs("<tr>", o);
            file_cell(o, x);
            td(o, "hash", x->pdq);
            td_camera(o, x);
            td(o, NULL, x->camera_serial);
            td_captured(o, x->captured);
            fputs("<td>", o);
            if (x->has_gps)
                fprintf(o, "%.5f, %.5f", x->lat, x->lon);
            fputs("</td></tr>", o);
        }
        fputs("</table></div>", o);
    }
    size_t alone = 0;
    for (size_t i = 0; i < r->n; i++)
        alone += r->items[i].cls == AD_RC_NEW && r->items[i].group < 0;
    if (!alone)
        return;
    fprintf(o, "<h3>New files in no group (%zu)</h3><table><tr><th>file</th><th>PDQ</th>"
               "<th>quality</th><th>size</th></tr>",
            alone);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        if (x->cls != AD_RC_NEW || x->group >= 0)
            continue;
        fputs("<tr>", o);
        file_cell(o, x);
        td(o, "hash", x->pdq);
        fprintf(o, "<td>%d</td><td>%dx%d</td></tr>", x->quality, x->width, x->height);
    }
    fputs("</table>", o);
}

static void gps(FILE *o, const ad_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].has_gps;
    fprintf(o, "<h2 id=\"gps\">Location clues (%zu files with GPS)</h2>", n);
    if (!n) {
        fputs("<p>No file carries GPS coordinates.</p>", o);
        return;
    }
    /* a plain plot of the points (no map tiles: the report never calls out to the network) */
    fputs("<svg class=\"map\" width=\"720\" height=\"360\" viewBox=\"-180 -90 360 180\">"
          "<rect x=\"-180\" y=\"-90\" width=\"360\" height=\"180\" fill=\"#eef3f7\"></rect>"
          "<line x1=\"-180\" y1=\"0\" x2=\"180\" y2=\"0\" stroke=\"#ccd\" stroke-width=\"0.3\"></line>"
          "<line x1=\"0\" y1=\"-90\" x2=\"0\" y2=\"90\" stroke=\"#ccd\" stroke-width=\"0.3\"></line>",
          o);
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].has_gps)
            fprintf(o, "<circle cx=\"%.4f\" cy=\"%.4f\" r=\"1.5\" fill=\"%s\"><title>", r->items[i].lon,
                    -r->items[i].lat, colors[r->items[i].cls]),
                esc(o, r->items[i].path), fputs("</title></circle>", o);
    fputs("</svg><table><tr><th>file</th><th>class</th><th>latitude</th><th>longitude</th>"
          "<th>captured</th><th>camera</th></tr>",
          o);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        if (!x->has_gps)
            continue;
        fputs("<tr>", o);
        file_cell(o, x);
        fprintf(o, "<td>%s</td><td>%.6f</td><td>%.6f</td>", ad_report_class_name(x->cls), x->lat,
                x->lon);
        td_captured(o, x->captured);
        td_camera(o, x);
        fputs("</tr>", o);
    }
    fputs("</table>", o);
}

static void class_table(FILE *o, const ad_report *r, ad_report_class c, const char *id)
{
    fprintf(o, "<details id=\"%s\"><summary>%s (%zu)</summary>", id, labels[c], r->counts[c]);
    if (r->counts[c]) {
        fputs("<table><tr><th>file</th><th>matched by</th><th>series</th><th>owner</th></tr>", o);
        for (size_t i = 0; i < r->n; i++) {
            const ad_report_item *x = &r->items[i];
            if (x->cls != c)
                continue;
            fputs("<tr>", o);
            file_cell(o, x);
            td(o, NULL, x->match_kind);
            td(o, NULL, x->series_name);
            td(o, NULL, x->series_owner);
            fputs("</tr>", o);
        }
        fputs("</table>", o);
    }
    fputs("</details>", o);
}

static void errors(FILE *o, const ad_report *r)
{
    fprintf(o, "<h2 id=\"errors\">Errors (%zu files)</h2>", r->counts[AD_RC_ERROR]);
    if (!r->counts[AD_RC_ERROR]) {
        fputs("<p>Every file was read.</p>", o);
        return;
    }
    fputs("<table><tr><th>file</th><th>error</th><th>message</th></tr>", o);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        if (x->cls != AD_RC_ERROR)
            continue;
        fputs("<tr>", o);
        td(o, "path", x->path);
        td(o, NULL, x->error_code);
        td(o, NULL, x->error_message);
        fputs("</tr>", o);
    }
    fputs("</table>", o);
}

static void custody(FILE *o, const ad_report *r)
{
    fprintf(o, "<h2 id=\"custody\">Custody</h2><details><summary>Every file as found (%zu): path, "
               "archive, size, times, digests</summary><table><tr><th>path</th><th>archive</th>"
               "<th>size</th><th>modified</th><th>ingested</th><th>MD5</th><th>SHA-256</th>"
               "<th>class</th></tr>",
            r->n);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        fputs("<tr>", o);
        td(o, "path", x->path);
        td(o, "path", x->parent_path);
        fprintf(o, "<td>%lld</td><td>", (long long)x->size);
        when(o, x->mtime);
        fputs("</td><td>", o);
        when(o, x->ingested);
        fputs("</td>", o);
        td(o, "hash", x->md5);
        td(o, "hash", x->sha256);
        fprintf(o, "<td>%s</td></tr>", ad_report_class_name(x->cls));
    }
    fputs("</table></details>", o);
}

ad_code ad_report_write_html(const ad_report *r, FILE *o, ad_err *err)
{
    fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>Ariadne triage report: case ",
          o);
    esc(o, r->case_number);
    fputs("</title><style>"
          "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}"
          "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:2px solid #ddd}"
          "table{border-collapse:collapse;width:100%;margin:.5em 0}"
          "th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}"
          "th{background:#f4f4f4}td.hash{font-family:monospace;font-size:11px;word-break:break-all}"
          "td.path{word-break:break-all}.meta td{border:none;padding:1px 8px 1px 0}"
          ".chart text{font-size:13px;dominant-baseline:middle}"
          ".series,.group{border-left:4px solid #ef6c00;padding-left:1em;margin:1em 0}"
          ".group{border-color:#c62828}summary{cursor:pointer;font-weight:600;margin:.6em 0}"
          "img.thumb{width:64px;height:64px;object-fit:cover;filter:blur(8px) grayscale(1);"
          "cursor:pointer;margin-right:6px;vertical-align:middle}"
          "img.thumb.shown{filter:none}.note{color:#555;font-size:.92em}"
          "@media print{details{display:block}}"
          "</style></head><body>",
          o);
    fputs("<h1>Triage report: case ", o);
    esc(o, r->case_number);
    fputs("</h1><table class=\"meta\"><tr><td>Agency</td><td>", o);
    esc(o, r->agency);
    fputs("</td></tr><tr><td>Exhibit</td><td>", o);
    esc(o, r->exhibit[0] ? r->exhibit : "-");
    fputs("</td></tr><tr><td>Job</td><td>", o);
    esc(o, r->job[0] ? r->job : "-");
    fputs("</td></tr><tr><td>Generated</td><td>", o);
    esc(o, r->generated);
    fputs("</td></tr><tr><td>Database</td><td>", o);
    esc(o, r->store);
    fprintf(o, "</td></tr><tr><td>Files</td><td>%zu</td></tr></table>", r->n);
    fputs("<p class=\"note\">This report shows no image content", o);
    int thumbs = 0;
    for (size_t i = 0; i < r->n && !thumbs; i++)
        thumbs = r->items[i].thumbnail != NULL;
    fputs(thumbs ? ": thumbnails are blurred and greyscale until you click one.</p>"
                 : " (thumbnails were not requested).</p>",
          o);
    fputs("<h2 id=\"summary\">Summary</h2>", o);
    chart(o, r);
    fputs("<table><tr><th>class</th><th>files</th><th>what to do</th></tr>", o);
    for (int c = 0; c < AD_RC__COUNT; c++)
        fprintf(o, "<tr><td><span style=\"color:%s\">&#9632;</span> %s</td><td>%zu</td><td>%s</td></tr>",
                colors[c], ad_report_class_name((ad_report_class)c), r->counts[c], labels[c]);
    fputs("</table>", o);
    known_unidentified(o, r);
    new_material(o, r);
    gps(o, r);
    fputs("<h2 id=\"others\">Known material</h2>", o);
    class_table(o, r, AD_RC_KNOWN_UNSERIESED, "known-unseriesed");
    class_table(o, r, AD_RC_KNOWN_IDENTIFIED, "known-identified");
    class_table(o, r, AD_RC_IGNORABLE, "ignorable");
    class_table(o, r, AD_RC_OTHER, "other");
    errors(o, r);
    custody(o, r);
    fputs("<p class=\"note\">Made by Ariadne from the case database; running <code>ariadne report "
          "--case</code> again gives the same report.</p>"
          "<script>document.querySelectorAll('img.thumb').forEach(function(i){"
          "i.addEventListener('click',function(){i.classList.toggle('shown');});});</script>"
          "</body></html>\n",
          o);
    if (ferror(o))
        return ad_err_set(err, AD_ERR_IO, "cannot write the HTML report");
    return AD_OK;
}
