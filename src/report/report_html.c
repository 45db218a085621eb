/* report_html.c: the case report as one self-contained HTML page (inline CSS and SVG, no
 * network, no image content unless thumbnails were made, and those blurred and greyscale until
 * clicked). Ordered as an investigator acts: where the report comes from (store, jobs, roots, who,
 * version), the counts (each row links to its section), the new material grouped into candidate
 * series (highest priority), the known series whose child is not yet identified (contact the
 * owner), location clues over a world basemap, the rest, the errors, and the custody data of
 * every file. All times are ISO 8601 with their zone. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/pdq.h"
#include "report_html.h"

static const char *const labels[AD_RC__COUNT] = {
    "New: not in the database (highest priority: a child may be at risk now)",
    "Known series, victim not identified: contact the series owner",
    "Known, not in a series: review and attach",
    "Known series, victims identified: set aside",
    "Known non-pertinent: hidden by default",
    "Errors: unreadable or hostile files",
    "Not an image or video: digests only",
};

#define esc ad_html_esc
#define td ad_html_td
#define file_cell ad_html_td_file

/* "Merged from A, C": the merged series whose files the survivor's section (items from `first`
 * on, of the same class and series) holds, each named once, at most 16 (docs/federation.md
 * "Merging two series"); nothing when none. */
static void merged_from(FILE *o, const ad_report *r, size_t first)
{
    const ad_report_item *it = &r->items[first];
    const char *named[16];
    size_t n = 0;
    for (size_t j = first; j < r->n && n < 16; j++) {
        const ad_report_item *x = &r->items[j];
        if (x->cls != it->cls || x->series_id != it->series_id || !x->series_merged_from)
            continue;
        size_t k = 0;
        while (k < n && strcmp(named[k], x->series_merged_from))
            k++;
        if (k < n)
            continue; /* named already */
        fputs(n ? ", " : "<p class=\"note\">Merged from ", o);
        esc(o, x->series_merged_from);
        named[n++] = x->series_merged_from;
    }
    if (n)
        fputs(" (both owners agreed to merge it into this series).</p>", o);
}

static void td_camera(FILE *o, const ad_report_item *x)
{
    td(o, NULL, x->camera_make);
    td(o, NULL, x->camera_model);
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
                c * bar_h + 2, len, bar_h - 6, ad_html_class_color((ad_report_class)c), c * bar_h + 18,
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
        fputs("</h3>", o);
        merged_from(o, r, i);
        fputs("<p><b>Owner:</b> ", o);
        esc(o, it->series_owner ? it->series_owner : "unknown");
        fputs(" &middot; <b>Contact:</b> ", o);
        esc(o, it->series_contact ? it->series_contact : "unknown");
        fputs("</p><table><tr><th>file</th><th>matched by</th><th>distance</th><th>variant</th>"
              "<th>camera make</th><th>camera model</th><th>captured</th></tr>",
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
            ad_html_td_captured(o, x);
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
        fputs("</p><table><tr><th>file</th><th>PDQ</th><th>camera make</th><th>camera model</th>"
              "<th>camera serial</th>"
              "<th>captured</th><th>GPS</th></tr>",
              o);
        for (size_t i = 0; i < gr->n; i++) {
            const ad_report_item *x = &r->items[gr->items[i]];
            fputs("<tr>", o);
            file_cell(o, x);
            td(o, "hash", x->pdq);
            td_camera(o, x);
            td(o, NULL, x->camera_serial);
            ad_html_td_captured(o, x);
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
               "<th>quality</th><th>pixels</th><th>camera make</th><th>camera model</th>"
               "<th>captured</th></tr>",
            alone);
    for (size_t i = 0; i < r->n; i++) {
        const ad_report_item *x = &r->items[i];
        if (x->cls != AD_RC_NEW || x->group >= 0)
            continue;
        fputs("<tr>", o);
        file_cell(o, x);
        td(o, "hash", x->pdq);
        if (x->quality >= 0)
            fprintf(o, "<td>%d</td>", x->quality);
        else
            fputs("<td>&ndash;</td>", o);
        if (x->width > 0)
            fprintf(o, "<td>%dx%d</td>", x->width, x->height);
        else
            fputs("<td>&ndash;</td>", o);
        td_camera(o, x);
        ad_html_td_captured(o, x);
        fputs("</tr>", o);
    }
    fputs("</table>", o);
}

/* A class as a collapsible table; the element's id is the class name (the summary links to it). */
static void class_table(FILE *o, const ad_report *r, ad_report_class c)
{
    fprintf(o, "<details id=\"%s\"><summary>%s (%zu)</summary>", ad_report_class_name(c),
            labels[c], r->counts[c]);
    if (r->counts[c]) {
        fputs("<table><tr><th>file</th><th>matched by</th><th>series</th><th>owner</th></tr>", o);
        for (size_t i = 0; i < r->n; i++) {
            const ad_report_item *x = &r->items[i];
            if (x->cls != c)
                continue;
            fputs("<tr>", o);
            file_cell(o, x);
            td(o, NULL, x->match_kind);
            fputs("<td>", o);
            esc(o, x->series_name);
            if (x->series_merged_from) {
                fputs(" <small class=\"note\">merged from ", o);
                esc(o, x->series_merged_from);
                fputs("</small>", o);
            }
            fputs("</td>", o);
            td(o, NULL, x->series_owner);
            fputs("</tr>", o);
        }
        fputs("</table>", o);
    }
    fputs("</details>", o);
}

static void errors(FILE *o, const ad_report *r)
{
    fprintf(o, "<h2 id=\"error\">Errors (%zu files)</h2>", r->counts[AD_RC_ERROR]);
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
        fprintf(o, "<td>%lld</td>", (long long)x->size);
        ad_html_td_time(o, x->mtime);
        ad_html_td_time(o, x->ingested);
        td(o, "hash", x->md5);
        td(o, "hash", x->sha256);
        fprintf(o, "<td>%s</td></tr>", ad_report_class_name(x->cls));
    }
    fputs("</table></details>", o);
}

static void meta_row(FILE *o, const char *name, const char *value)
{
    fprintf(o, "<tr><th>%s</th><td>", name);
    esc(o, value && *value ? value : "-");
    fputs("</td></tr>", o);
}

/* Where the report comes from: the case, the store, who made it with which Ariadne, and every
 * job of the case (its roots, exhibit, who ran it, when, how it ended). */
static void provenance(FILE *o, const ad_report *r)
{
    fputs("<table class=\"meta\">", o);
    meta_row(o, "Agency", r->agency);
    meta_row(o, "Exhibit", r->exhibit);
    fprintf(o, "<tr><th>Files</th><td>%zu</td></tr>", r->n);
    meta_row(o, "Generated", r->generated);
    fputs("<tr><th>Made by</th><td>", o);
    esc(o, r->actor[0] ? r->actor : "-");
    fputs(" (operating-system user ", o);
    esc(o, r->os_user[0] ? r->os_user : "unknown");
    fputs(")</td></tr>", o);
    meta_row(o, "Store", r->store);
    meta_row(o, "Ariadne", r->version);
    meta_row(o, "Audit anchor", r->audit_anchor[0] ? r->audit_anchor : "-");
    fputs("</table>", o);
    fprintf(o, "<h2 id=\"jobs\">Ingest jobs (%zu)</h2>", r->njobs);
    if (!r->njobs) {
        fputs("<p>None recorded.</p>", o);
        return;
    }
    fputs("<table><tr><th>job</th><th>exhibit</th><th>roots</th><th>run by</th><th>started</th>"
          "<th>finished</th><th>status</th></tr>",
          o);
    for (size_t j = 0; j < r->njobs; j++) {
        const ad_report_job *jb = &r->jobs[j];
        fputs("<tr>", o);
        td(o, NULL, jb->id);
        td(o, NULL, jb->exhibit);
        fputs("<td class=\"path\">", o);
        const char *it = jb->roots, *root;
        size_t n;
        for (int k = 0; ad_report_job_root(&it, &root, &n); k++) {
            char *one = strndup(root, n);
            if (k)
                fputs("<br>", o);
            esc(o, one ? one : "?");
            free(one);
        }
        fputs("</td>", o);
        td(o, NULL, jb->who);
        ad_html_td_time(o, jb->started);
        ad_html_td_time(o, jb->finished);
        td(o, NULL, jb->status);
        fputs("</tr>", o);
    }
    fputs("</table>", o);
}

/* The summary: one row per class, each linking to its section. */
static void summary(FILE *o, const ad_report *r)
{
    fputs("<h2 id=\"summary\">Summary</h2>", o);
    chart(o, r);
    fputs("<table><tr><th>class</th><th>files</th><th>what to do</th></tr>", o);
    for (int c = 0; c < AD_RC__COUNT; c++) {
        const char *name = ad_report_class_name((ad_report_class)c);
        fprintf(o, "<tr><td><a href=\"#%s\"><span style=\"color:%s\">&#9632;</span> %s</a></td>"
                   "<td>%zu</td><td>%s</td></tr>",
                name, ad_html_class_color((ad_report_class)c), name, r->counts[c], labels[c]);
    }
    fputs("</table><p class=\"note\">Also: <a href=\"#gps\">location clues</a> &middot; "
          "<a href=\"#jobs\">ingest jobs</a> &middot; <a href=\"#custody\">custody</a></p>",
          o);
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
          "td.path{word-break:break-all}td.time{white-space:nowrap}"
          ".meta{width:auto}.meta th,.meta td{border:none;background:none;padding:1px 12px 1px 0}"
          ".meta th{font-weight:normal;color:#555}"
          ".chart text{font-size:13px;dominant-baseline:middle}"
          ".series,.group{border-left:4px solid #ef6c00;padding-left:1em;margin:1em 0}"
          ".group{border-color:#c62828}summary{cursor:pointer;font-weight:600;margin:.6em 0}"
          "img.thumb{width:64px;height:64px;object-fit:cover;filter:blur(8px) grayscale(1);"
          "cursor:pointer;margin-right:6px;vertical-align:middle}"
          "img.thumb.shown{filter:none}.note{color:#555;font-size:.92em}"
          "svg.map{width:100%;max-width:960px;height:auto;border:1px solid #ccd;background:#dbe7f1}"
          ".map .land{fill:#e9eadf;stroke:#8a9aa6}.map .border{fill:none;stroke:#b9b2a0}"
          ".map text{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-opacity:.7}"
          ".map .countries{fill:#666}.map .seas{fill:#5f83aa;font-style:italic}"
          ".map .c2{display:none}.map.near .c2{display:inline}"
          ".map .pt circle{stroke:#fff}.map .pt text{fill:#000;font-weight:700;text-anchor:start}"
          "@media print{details{display:block}}"
          "</style></head><body>",
          o);
    fputs("<h1>Triage report: case ", o);
    esc(o, r->case_number);
    fputs("</h1>", o);
    provenance(o, r);
    fputs("<p class=\"note\">This report shows no image content", o);
    int thumbs = 0;
    for (size_t i = 0; i < r->n && !thumbs; i++)
        thumbs = r->items[i].thumbnail != NULL;
    fputs(thumbs ? ": thumbnails are blurred and greyscale until you click one. They were made "
                   "at ingest from the bytes that were hashed; a file without one says why.</p>"
          : r->thumbnails ? ": thumbnails were asked for, but the database holds none for this "
                            "case's files (they are made at ingest, with <code>ingest "
                            "--thumbnails</code>).</p>"
                          : " (thumbnails were not requested).</p>",
          o);
    summary(o, r);
    /* in the order investigators act: new material first, then the known series whose child
     * is not identified, then the rest */
    new_material(o, r);
    ad_report_html_links(o, r);
    known_unidentified(o, r);
    ad_report_html_locations(o, r);
    fputs("<h2 id=\"known\">Known material</h2>", o);
    class_table(o, r, AD_RC_KNOWN_UNSERIESED);
    class_table(o, r, AD_RC_KNOWN_IDENTIFIED);
    class_table(o, r, AD_RC_IGNORABLE);
    errors(o, r);
    fputs("<h2 id=\"others\">Other files</h2>", o);
    class_table(o, r, AD_RC_OTHER);
    custody(o, r);
    fputs("<p class=\"note\">Made by Ariadne from the case database; running <code>ariadne report "
          "--case</code> again gives the same report. Times are UTC unless a capture time "
          "carries its own offset. Basemap: Natural Earth (public domain).</p>"
          "<script>document.querySelectorAll('img.thumb').forEach(function(i){"
          "i.addEventListener('click',function(){i.classList.toggle('shown');});});"
          "function ad_open(){var e=document.getElementById(location.hash.slice(1));"
          "if(e&&e.tagName==='DETAILS')e.open=true;}"
          "window.addEventListener('hashchange',ad_open);ad_open();</script>"
          "</body></html>\n",
          o);
    if (ferror(o))
        return ad_err_set(err, AD_ERR_IO, "cannot write the HTML report");
    return AD_OK;
}
