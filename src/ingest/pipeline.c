/* pipeline.c: ad_ingest, triage of a seizure: the job, the three stages and the writing.
 *
 * The walker (main thread) fills a batch of rows, bounded in count and in member bytes, so
 * memory stays flat whatever the seizure's size; a hashing thread hashes the batch on all cores
 * (each worker reads its own plain files); a writer thread matches the batch (match.c) and
 * writes it in one transaction: media, sightings, clues, frames and one job item per row. A
 * killed job loses at most its open batch, which the rerun does again: items are keyed by the
 * walker's stable row keys, and rows whose key is stored are skipped. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "features/triage.h"
#include "features/vtriage.h"
#include "pipeline_internal.h"

#define BATCH_ROWS AD_INGEST_BATCH_ROWS

void ad_ingest_opts_default(ad_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->radius = 31;
    o->min_quality = 50;
    o->video = 1;
    o->features = 1;
    o->thumbnails = 1;
    o->video_pct = 80.0;
    o->batch = BATCH_ROWS;
    ad_limits_default(&o->limits);
    ad_source_opts_default(&o->source);
}

/* ---- progress: stats change under r->pmu; the callback gets a copy ---- */

static void tell(struct run *r) /* r->pmu held */
{
    if (!r->o->progress)
        return;
    ad_ingest_stats snap = *r->stats;
    snap.seconds = ad_now() - r->t0;
    r->o->progress(r->o->progress_ctx, &snap);
}

static int count_file(void *ctx, const char *path, const struct stat *st, ad_code code,
                      const char *msg)
{
    (void)path, (void)msg;
    struct run *r = ctx;
    if (!code && st && S_ISREG(st->st_mode)) {
        r->count_files++;
        r->count_bytes += (uint64_t)st->st_size;
    }
    return __atomic_load_n(&r->count_stop, __ATOMIC_RELAXED);
}

/* The counting thread: files on disk under the roots and their bytes (archive members are not
 * counted: that would mean reading the archives), for a total and an ETA. */
static void *counter_main(void *arg)
{
    struct run *r = arg;
    for (size_t i = 0; i < r->nroots && !__atomic_load_n(&r->count_stop, __ATOMIC_RELAXED); i++)
        ad_walk(r->roots[i], count_file, r, NULL);
    pthread_mutex_lock(&r->pmu);
    if (!__atomic_load_n(&r->count_stop, __ATOMIC_RELAXED)) {
        r->stats->total_files = r->count_files;
        r->stats->total_bytes = r->count_bytes;
        r->stats->counted = 1;
        tell(r);
    }
    pthread_mutex_unlock(&r->pmu);
    return NULL;
}

/* ---- hashing (workers) ---- */

/* A hasher whose file may use `room` bytes of the memory budget (its limits say so). */
static ad_code new_hasher(const struct run *r, uint64_t room, ad_hasher **h, ad_err *err)
{
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ad_ingest_hash_limits(r, room, &ho.limits);
    ho.fast = r->o->fast;
    ho.dihedral = 1;
    ho.more = 1; /* the trimmed and area PDQs beside the plain one (more.c) */
    ho.grey = r->o->features; /* its reduced luma, for the local features (triage.c) */
    return ad_hasher_new(h, &ho, err);
}

/* Decoding: an image's PDQ and EXIF clues (bytes: the image), a video's vPDQ. */
static void decode_task(const struct run *r, ad_hasher *h, struct task *t, const uint8_t *bytes,
                        size_t len)
{
    ad_thumb_acc acc = {0}; /* with thumbnails: the image's, from the PDQ decode (thumbs.c) */
    t->code = ad_hasher_pdq_also(h, bytes, len, &t->fh, ad_ingest_thumb_sink(r), &acc, &t->err);
    if (t->code) {
        ad_thumb_acc_free(&acc);
        return;
    }
    if (bytes && ad_media_is_image(t->fh.type) && ad_exif_read(bytes, len, &t->exif, NULL) == AD_OK)
        t->has_exif = t->exif.fields > 0;
    ad_ingest_thumb_image(r, t, bytes, len, &acc);
    int gw, gh; /* the PDQ decode's reduced luma: the features' pixels */
    const uint8_t *grey = ad_hasher_grey(h, &gw, &gh);
    ad_feat_ingest_extract(r, t, grey, gw, gh);
    if (t->fh.type == AD_MEDIA_VIDEO && r->o->video) {
        ad_vpdq_opts vo;
        ad_vpdq_opts_default(&vo);
        vo.want_dihedral = 1; /* the 8 variants of each frame, from its DCT: cheap */
        vo.trim = 1;          /* a video with bars: its frames' trimmed PDQs (more.c) */
        vo.dense_per_hash = 4; /* frames between, to match a copy played at another speed */
        ad_thumb_picker pick = {0};
        ad_ingest_thumb_video_opts(r, &vo, &pick);
        ad_kf_ingest_opts(r, t, &vo); /* its keyframes' local features (vtriage.c) */
        vo.limits.max_pixels = ad_ingest_video_pixels(t->room); /* the memory budget's */
        ad_err ve;
        ad_code vc = t->fs_path ? ad_vpdq_hash_file(t->fs_path, &vo, &t->vid, &ve)
                                : ad_vpdq_hash_memory(t->data, t->len, &vo, &t->vid, &ve);
        if (vc == AD_OK || t->vid.partial)
            t->has_video = t->vid.n > 0;
        ad_ingest_thumb_video(t, &pick);
        ad_kf_ingest_done(t);
        if (vc && !t->has_video) {
            t->code = vc;
            t->err = ve;
        }
    }
}

/* Digests and type in one read, then decoding, unless may_skip and the digests are those of a
 * complete known media (an image or video whose copy is in the store with its PDQ or frames):
 * then the file is only marked skipped, and the writer confirms it (confirm_skipped). */
static void hash_one(const struct run *r, ad_hasher *h, struct task *t, int may_skip)
{
    const uint8_t *bytes = t->data;
    size_t len = t->len;
    if (t->fs_path) {
        t->code = ad_hasher_file_digests(h, t->fs_path, &t->fh, &t->err);
        bytes = ad_hasher_data(h, &len);
    } else {
        t->code = ad_hasher_buffer_digests(h, t->data, t->len, &t->fh, &t->err);
    }
    if (t->code)
        return;
    t->skipped = may_skip &&
                 (ad_media_is_image(t->fh.type) || (t->fh.type == AD_MEDIA_VIDEO && r->o->video)) &&
                 ad_ingest_digest_known(r, &t->fh.digests);
    if (!t->skipped)
        decode_task(r, h, t, bytes, len);
}

/* ---- hashing under the memory budget (docs/ingest.md, "Memory") ---- */

/* A file that needed more than its hasher's share (the limits the budget lowered gave it an
 * AD_ERR_LIMIT) is hashed again with the big pool, one such file at a time: read whole when its
 * read failed, or decoded again from the bytes in hand. Over even that, it stays an error row
 * `limit`, which says so. *mine is the worker's hasher (freed for a re-read: its buffer is then
 * the big pool's too). */
static void hash_big(struct run *r, ad_hasher **mine, struct task *t, int may_skip)
{
    const struct budget *b = &r->budget;
    const ad_limits *user = &r->o->limits;
    const int reread = !t->fh.has_digests;
    const uint64_t room = b->share + b->big, size = t->size > 0 ? (uint64_t)t->size : 0;
    uint64_t read = reread ? ad_ingest_read_need(size) : 0;
    if (reread && size > user->max_file_bytes) { /* the user's own limit, not the budget's */
        ad_err_set(&t->err, AD_ERR_LIMIT,
                   "image file of %llu bytes is over the limit of %llu bytes",
                   (unsigned long long)size, (unsigned long long)user->max_file_bytes);
        return;
    }
    if (reread && read >= room) {
        ad_err_set(&t->err, AD_ERR_LIMIT,
                   "image file of %llu bytes needs %llu MiB to be read whole",
                   (unsigned long long)size, (unsigned long long)(read >> 20));
        goto over;
    }
    ad_ingest_big_take(r);
    ad_hash_opts ho;
    ad_hash_opts_default(&ho);
    ho.limits = *user;
    ho.fast = r->o->fast;
    ho.dihedral = 1;
    ho.more = 1; /* the trimmed and area PDQs beside the plain one (more.c) */
    ho.grey = r->o->features;
    ad_hasher *h = NULL;
    if (reread) {
        /* its read (the worker's buffer given back first), then what is left to decode it */
        ad_hasher_free(*mine);
        *mine = NULL;
        t->room = room - read;
        if (ad_ingest_readable(read) < ho.limits.max_file_bytes)
            ho.limits.max_file_bytes = ad_ingest_readable(read);
    } else {
        /* the bytes are in hand: the worker's buffer (within its share) or a member's */
        t->room = b->big + b->share / 2;
    }
    if (t->room < ho.limits.max_memory)
        ho.limits.max_memory = t->room;
    const uint8_t *bytes = t->data;
    size_t len = t->len;
    if (!reread && t->fs_path)
        bytes = ad_hasher_data(*mine, &len);
    if (!(t->code = ad_hasher_new(&h, &ho, &t->err))) {
        if (reread) {
            hash_one(r, h, t, may_skip);
        } else {
            if (t->has_video || t->vid.frames)
                ad_vpdq_video_free(&t->vid);
            memset(&t->vid, 0, sizeof t->vid);
            t->has_video = t->has_exif = t->fh.has_pdq = 0;
            decode_task(r, h, t, bytes, len);
        }
    }
    ad_hasher_free(h);
    ad_ingest_big_give(r);
    if (t->code != AD_ERR_LIMIT || (ho.limits.max_memory >= user->max_memory &&
                                    ho.limits.max_file_bytes >= user->max_file_bytes))
        return; /* not the budget's doing */
over:;
    char msg[sizeof t->err.msg];
    snprintf(msg, sizeof msg,
             "%s (one file may use %llu MiB of this run's memory budget of %llu MiB: "
             "--max-memory)",
             t->err.msg, (unsigned long long)((reread ? room : t->room) >> 20),
             (unsigned long long)(b->total >> 20));
    ad_err_set(&t->err, AD_ERR_LIMIT, "%s", msg);
    t->code = AD_ERR_LIMIT;
}

/* Hashes t with the hasher in *slot (made when missing, with the share's limits), then, when
 * it needed more than the share, with the big pool. */
static void hash_admitted(struct run *r, ad_hasher **slot, struct task *t, int may_skip)
{
    t->room = r->budget.share / 2; /* a video's: the other half may hold an image's bytes */
    if (!*slot && (t->code = new_hasher(r, r->budget.share, slot, &t->err)))
        return;
    hash_one(r, *slot, t, may_skip);
    if (t->code == AD_ERR_LIMIT)
        hash_big(r, slot, t, may_skip);
}

static void hash_task(void *ctx, size_t i, int worker)
{
    struct run *r = ctx;
    struct task *t = &r->hashing->t[i];
    if (t->kind != AD_ROW_FILE)
        return;
    hash_admitted(r, &r->hashers[worker], t, 1);
    pthread_mutex_lock(&r->pmu);
    r->stats->hashed++;
    r->stats->hashed_bytes += t->fh.size;
    if (t->on_disk)
        r->stats->disk_bytes += t->fh.size;
    tell(r);
    pthread_mutex_unlock(&r->pmu);
}

/* A skipped file decoded after all, on the writer thread (rare: see confirm_skipped). */
static void rehash(struct run *r, struct task *t)
{
    t->skipped = 0;
    hash_admitted(r, &r->rehasher, t, 0);
}

/* A skipped file is confirmed by the store: its digest matched a complete media. Otherwise (a
 * prefix that was not the whole digest, a media of this job) it is decoded now, before the PDQ
 * and video matching. */
static void confirm_skipped(struct run *r)
{
    for (size_t i = 0; i < r->write->n; i++) {
        struct task *t = &r->write->t[i];
        if (t->skipped && !(t->exact_id && ad_idset_has(&r->complete, t->exact_id)))
            rehash(r, t);
    }
}

/* ---- writing (writer thread, one transaction per batch) ---- */

static ad_code add_clues(ad_store *st, int64_t media_id, const ad_exif *x, ad_err *err)
{
    char v[256];
    ad_code rc = AD_OK;
    if (x->make[0] || x->model[0]) {
        snprintf(v, sizeof v, "%s%s%s", x->make, x->make[0] && x->model[0] ? " " : "", x->model);
        rc = ad_store_clue_add(st, "media", media_id, "camera", v, NULL, err);
    }
    /* make and model apart too, for the report's columns (a make may hold spaces) */
    if (!rc && x->make[0]) {
        snprintf(v, sizeof v, "make: %s", x->make);
        rc = ad_store_clue_add(st, "media", media_id, "other", v, NULL, err);
    }
    if (!rc && x->model[0]) {
        snprintf(v, sizeof v, "model: %s", x->model);
        rc = ad_store_clue_add(st, "media", media_id, "other", v, NULL, err);
    }
    if (!rc && x->serial[0])
        rc = ad_store_clue_add(st, "media", media_id, "serial", x->serial, NULL, err);
    if (!rc && x->has_capture)
        rc = ad_store_clue_add(st, "media", media_id, "time", x->capture_time, NULL, err);
    if (!rc && x->has_gps) {
        snprintf(v, sizeof v, "%.7f,%.7f", x->latitude, x->longitude);
        rc = ad_store_clue_add(st, "media", media_id, "gps", v, NULL, err);
    }
    if (!rc && x->software[0]) {
        snprintf(v, sizeof v, "software: %s", x->software);
        rc = ad_store_clue_add(st, "media", media_id, "other", v, NULL, err);
    }
    return rc;
}

static void media_of_task(const struct task *t, ad_media *m)
{
    ad_media_init(m);
    m->has_sha256 = m->has_md5 = m->has_sha1 = 1;
    memcpy(m->sha256, t->fh.digests.sha256, 32);
    memcpy(m->md5, t->fh.digests.md5, 16);
    memcpy(m->sha1, t->fh.digests.sha1, 20);
    if (t->fh.has_pdq) {
        m->has_pdq = 1;
        m->pdq = t->fh.pdq.hash;
        m->pdq_quality = t->fh.pdq.quality;
    }
    m->size = (int64_t)t->fh.size;
    m->mime = t->fh.mime[0] ? t->fh.mime : NULL;
    m->width = t->fh.image.width;
    m->height = t->fh.image.height;
    if (t->has_video) {
        m->width = t->vid.width;
        m->height = t->vid.height;
        m->duration_ms = (int64_t)(t->vid.duration * 1000);
    }
    m->flags = AD_MEDIA_FILE_HELD;
}

static ad_code add_frames(ad_store *st, int64_t mid, const ad_vpdq_video *v, ad_err *err)
{
    ad_frame *fr = calloc(v->n ? v->n : 1, sizeof *fr);
    if (!fr)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t f = 0; f < v->n; f++) {
        fr[f].media_id = mid;
        fr[f].frame = v->frames[f].frame_number;
        fr[f].timestamp_ms = (int64_t)(v->frames[f].timestamp * 1000 + 0.5);
        fr[f].quality = v->frames[f].quality;
        fr[f].pdq = v->frames[f].hash;
    }
    ad_code rc = ad_store_frame_add_batch(st, fr, v->n, err);
    free(fr);
    return rc;
}

/* A known media that lacked its PDQ or frames (e.g. imported from a hash list) gets them from
 * this copy (the PDQ came with the upsert's merge), with its clues. A skipped file lands here
 * only when the record it merged into is not the complete one its digest matched (two records
 * sharing digests): it is decoded now and merged again. */
static ad_code complete_media(struct run *r, struct task *t, int64_t mid, ad_err *err)
{
    if (ad_idset_add(&r->completed, mid))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    if (t->skipped) {
        rehash(r, t);
        if (t->code) /* its class stays the digest match's */
            return AD_OK;
        ad_media m;
        media_of_task(t, &m);
        int64_t id;
        int created;
        rc = ad_store_media_upsert(r->st, &m, &id, &created, err);
    }
    if (!rc && t->has_exif)
        rc = add_clues(r->st, mid, &t->exif, err);
    if (!rc && t->has_video)
        rc = add_frames(r->st, mid, &t->vid, err);
    return rc;
}

/* One transaction: the batch's media (one upsert batch), their clues and frames when new, the
 * sightings (one batch) and one job item per row. */
static ad_code write_batch(struct run *r, ad_ingest_stats *d, ad_err *err)
{
    const size_t n = r->write->n ? r->write->n : 1;
    ad_job_item *items = calloc(n, sizeof *items);
    ad_media *media = calloc(n, sizeof *media);
    ad_sighting *sg = calloc(n, sizeof *sg);
    int64_t *mids = calloc(n, sizeof *mids), *sids = calloc(n, sizeof *sids);
    int64_t *learn = calloc(n, sizeof *learn); /* known media completed by this batch */
    size_t *of = calloc(n, sizeof *of);        /* task index of media[k] */
    if (!items || !media || !sg || !mids || !sids || !learn || !of) {
        free(items), free(media), free(sg), free(mids), free(sids), free(learn), free(of);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    size_t nm = 0, nl = 0;
    for (size_t i = 0; i < r->write->n; i++) {
        struct task *t = &r->write->t[i];
        ad_job_item *it = &items[i];
        it->job_id = r->job;
        it->key = t->key;
        it->ordinal = (int64_t)t->ordinal;
        it->path = t->path;
        ad_report_class cls = t->cls; /* match.c's ad_ingest_decide */
        d->counts[cls]++;
        if (cls == AD_RC_ERROR) {
            const ad_err *e = t->kind != AD_ROW_FILE ? &t->row_err : &t->err;
            it->error_code = ad_code_name(e->code ? e->code : t->code);
            it->error_message = e->msg;
            d->errors++;
        }
        if (!t->fh.has_digests)
            continue;
        media_of_task(t, &media[nm]);
        of[nm++] = i;
        if (t->match_id) {
            it->match_media_id = t->match_id;
            it->match_kind = t->match_kind;
            it->match_distance = t->match_dist;
            it->match_variant = t->match_var;
            it->match_ranges = t->ranges;
        }
    }
    ad_code rc = ad_store_begin(r->st, err);
    if (!rc && nm)
        rc = ad_store_media_upsert_batch(r->st, media, nm, mids, err);
    for (size_t k = 0; k < nm && !rc; k++) {
        struct task *t = &r->write->t[of[k]];
        items[of[k]].media_id = mids[k];
        /* new content: not there before the batch, and the first of its copies in the batch */
        if (!t->exists_id && !ad_idset_has(&r->job_new, mids[k])) {
            ad_idset_add(&r->job_new, mids[k]);
            if (t->has_exif)
                rc = add_clues(r->st, mids[k], &t->exif, err);
            if (!rc && t->has_video)
                rc = add_frames(r->st, mids[k], &t->vid, err);
        } else if (!ad_idset_has(&r->complete, mids[k]) && !ad_idset_has(&r->completed, mids[k]) &&
                   !ad_idset_has(&r->job_new, mids[k]) &&
                   (t->skipped || t->fh.has_pdq || t->has_video)) {
            rc = complete_media(r, t, mids[k], err);
            learn[nl++] = mids[k];
        }
        d->not_decoded += t->skipped;
        sg[k] = (ad_sighting){
            .media_id = mids[k],
            .agency_id = r->agency_id,
            .case_id = r->case_id,
            .exhibit = r->o->exhibit,
            .path = t->path,
            .mtime = t->mtime,
            .ctime = t->ctime,
            .atime = t->atime,
            .btime = t->btime,
            .parent_path = t->parent,
            .inner_path = t->inner,
            .size = (int64_t)t->fh.size,
            .job_id = r->job,
        };
    }
    if (!rc && nm)
        rc = ad_store_sighting_add_batch_ids(r->st, sg, nm, sids, err);
    if (!rc)
        rc = ad_ingest_write_thumbs(r, mids, of, nm, err);
    if (!rc)
        rc = ad_ingest_write_more(r, mids, of, nm, err);
    if (!rc)
        rc = ad_feat_ingest_write(r, mids, of, nm, err);
    if (!rc)
        rc = ad_kf_ingest_write(r, mids, of, nm, err);
    for (size_t k = 0; k < nm && !rc; k++)
        items[of[k]].sighting_id = sids[k];
    if (!rc)
        rc = ad_store_job_items_add(r->st, items, r->write->n, err);
    free(items), free(media), free(sg), free(mids), free(sids), free(of);
    if (rc) {
        free(learn);
        ad_store_rollback(r->st, NULL);
        return rc;
    }
    rc = ad_store_commit(r->st, err);
    for (size_t k = 0; k < nl && !rc; k++)
        rc = ad_ingest_learn(r, learn[k], err);
    free(learn);
    return rc;
}

/* ---- batches and stages ---- */

static void free_task(struct run *r, struct task *t)
{
    uint64_t reserved = t->reserved;
    free(t->path);
    free(t->fs_path);
    free(t->parent);
    free(t->inner);
    free(t->data);
    free(t->ranges);
    ad_thumb_free(&t->thumb);
    ad_feat_ingest_free_task(t);
    ad_kf_ingest_free_task(t);
    if (t->has_video || t->vid.frames)
        ad_vpdq_video_free(&t->vid);
    memset(t, 0, sizeof *t);
    ad_ingest_batch_release(r, reserved);
}

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int64_t tsec(const ad_row_time *t)
{
    return t->set ? t->sec : 0;
}

static void take_row(struct run *r, ad_source *src, const ad_row *row, uint64_t reserved)
{
    struct task *t = &r->fill->t[r->fill->n++];
    memset(t, 0, sizeof *t);
    t->kind = row->kind;
    t->row_err = row->err;
    ad_hex_encode(row->key, 32, t->key);
    t->ordinal = row->ordinal;
    t->path = sdup(row->path);
    t->fs_path = sdup(row->fs_path);
    t->on_disk = row->fs_path != NULL;
    t->parent = row->depth > 0 ? sdup(row->chain[row->depth - 1]) : NULL;
    t->inner = sdup(row->inner_path);
    t->size = row->size_known ? (int64_t)row->size : -1;
    t->mtime = tsec(&row->mtime);
    t->ctime = tsec(&row->ctime);
    t->atime = tsec(&row->atime);
    t->btime = tsec(&row->btime);
    if (row->kind == AD_ROW_FILE && !row->fs_path)
        t->data = ad_source_take(src, &t->len);
    t->reserved = reserved;
    r->fill->bytes += t->len;
}

/* Writer side: match the written batch and record it, then free it. */
static ad_code match_and_write(struct run *r, ad_err *err)
{
    struct batch *w = r->write;
    ad_ingest_match_digests(r);
    confirm_skipped(r);
    ad_ingest_match_near(r);
    ad_ingest_stats d;
    memset(&d, 0, sizeof d);
    ad_code rc = ad_ingest_decide(r, err);
    if (!rc)
        rc = ad_feat_ingest_triage(r, err);
    if (!rc)
        rc = ad_kf_ingest_triage(r, err);
    if (!rc)
        rc = write_batch(r, &d, err);
    for (size_t i = 0; i < w->n; i++) {
        d.bytes += w->t[i].fh.size;
        d.files += w->t[i].kind == AD_ROW_FILE;
        free_task(r, &w->t[i]);
    }
    w->n = 0;
    w->bytes = 0;
    if (rc)
        return rc;
    pthread_mutex_lock(&r->pmu);
    ad_ingest_stats *s = r->stats;
    for (int c = 0; c < AD_RC__COUNT; c++)
        s->counts[c] += d.counts[c];
    s->errors += d.errors;
    s->not_decoded += d.not_decoded;
    s->bytes += d.bytes;
    s->files += d.files;
    tell(r);
    pthread_mutex_unlock(&r->pmu);
    return AD_OK;
}

static void drop_batch(struct run *r, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free_task(r, &b->t[i]);
    b->n = b->bytes = 0;
}

/* Mailbox hand-offs between the stages, all under r->mu. */
static struct batch *take(struct run *r, struct batch **slot, const int *done)
{
    pthread_mutex_lock(&r->mu);
    while (!*slot && !*done)
        pthread_cond_wait(&r->cv, &r->mu);
    struct batch *b = *slot;
    *slot = NULL;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return b; /* NULL: the stage before has finished */
}

static void put(struct run *r, struct batch **slot, struct batch *b)
{
    pthread_mutex_lock(&r->mu);
    while (*slot)
        pthread_cond_wait(&r->cv, &r->mu);
    *slot = b;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void finish_stage(struct run *r, int *done)
{
    pthread_mutex_lock(&r->mu);
    *done = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void *hasher_main(void *arg)
{
    struct run *r = arg;
    struct batch *b;
    while ((b = take(r, &r->to_hash, &r->hash_done))) {
        r->hashing = b;
        ad_parallel_for(b->n, r->threads, hash_task, r, NULL);
        put(r, &r->to_write, b);
    }
    finish_stage(r, &r->write_done);
    return NULL;
}

static void *writer_main(void *arg)
{
    struct run *r = arg;
    struct batch *b;
    while ((b = take(r, &r->to_write, &r->write_done))) {
        r->write = b;
        ad_err e;
        ad_code rc = r->wrc ? AD_OK : match_and_write(r, &e);
        drop_batch(r, b); /* after a failure, batches are only freed */
        pthread_mutex_lock(&r->mu);
        if (rc && !r->wrc) {
            r->wrc = rc;
            r->werr = e;
        }
        r->free_b[r->nfree++] = b;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* A free batch for the walker (waits for the writer to give one back); NULL after a failure. */
static struct batch *free_batch(struct run *r)
{
    pthread_mutex_lock(&r->mu);
    while (!r->nfree && !r->wrc)
        pthread_cond_wait(&r->cv, &r->mu);
    struct batch *b = r->wrc ? NULL : r->free_b[--r->nfree];
    pthread_mutex_unlock(&r->mu);
    return b;
}

ad_code ad_ingest(ad_store *st, const char *const *roots, size_t nroots, const ad_ingest_opts *opts,
                  ad_ingest_stats *stats, ad_err *err)
{
    ad_ingest_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!opts->case_number || !opts->agency)
        return ad_err_set(err, AD_ERR_ARG, "ingest needs a case and an agency");
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    r->t0 = ad_now();
    r->st = st;
    r->o = opts;
    r->stats = stats;
    r->threads = opts->threads > 0 ? opts->threads : ad_cpu_count();
    for (int i = 0; i < 3; i++)
        r->free_b[r->nfree++] = &r->bat[i];
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->pmu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_mutex_init(&r->budget.big_mu, NULL);
    pthread_cond_init(&r->budget.big_cv, NULL);
    r->hashers = calloc((size_t)r->threads, sizeof *r->hashers);
    ad_source *src = NULL;
    ad_code rc = r->hashers ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ad_ingest_open_job(r, roots, nroots, err);
    if (!rc) {
        pthread_mutex_lock(&r->pmu);
        tell(r); /* the job is open: its id first */
        pthread_mutex_unlock(&r->pmu);
        if (opts->count && pthread_create(&r->counter, NULL, counter_main, r) == 0)
            r->counting = 1;
    }
    if (!rc)
        rc = ad_ingest_load_known(r, err);
    if (!rc)
        rc = ad_ingest_budget_plan(r, err);
    ad_source_opts so = opts->source; /* the walker's member bytes, under the budget */
    if (so.max_member_bytes > r->budget.walker)
        so.max_member_bytes = r->budget.walker;
    so.max_held_bytes = r->budget.walker;
    if (!rc)
        rc = ad_source_new(&src, (const char *const *)r->roots, r->nroots, &so, err);
    if (!rc) {
        if (pthread_create(&r->writer, NULL, writer_main, r) != 0)
            rc = ad_err_set(err, AD_ERR_INTERNAL, "cannot start the writer thread");
        else if (pthread_create(&r->hasher, NULL, hasher_main, r) != 0) {
            finish_stage(r, &r->write_done);
            pthread_join(r->writer, NULL);
            rc = ad_err_set(err, AD_ERR_INTERNAL, "cannot start the hashing thread");
        } else {
            r->threads_started = 1;
        }
    }
    if (!rc && !(r->fill = free_batch(r)))
        rc = ad_err_set(err, AD_ERR_INTERNAL, "no batch for the walker");
    const int batch = opts->batch > 0 && opts->batch < BATCH_ROWS ? opts->batch : BATCH_ROWS;
    while (!rc) {
        const ad_row *row;
        rc = ad_source_next(src, &row, err);
        if (rc || !row)
            break;
        int64_t k;
        memcpy(&k, row->key, 8);
        int done = ad_idset_has(&r->done_keys, k);
        pthread_mutex_lock(&r->pmu);
        stats->rows++;
        stats->skipped += done;
        if (done && row->fs_path)
            stats->disk_bytes += row->size;
        pthread_mutex_unlock(&r->pmu);
        if (done)
            continue;
        /* a member's bytes count against the budget's batches: when they have no room, this
         * batch goes to hashing first, then the walker waits for the writer to free some */
        uint64_t need = row->kind == AD_ROW_FILE && !row->fs_path ? row->len : 0;
        if (need && !ad_ingest_batch_reserve(r, need, 0)) {
            if (r->fill->n) {
                put(r, &r->to_hash, r->fill);
                if (!(r->fill = free_batch(r)))
                    break; /* the writer failed: its error is taken below */
            }
            if (!ad_ingest_batch_reserve(r, need, 1))
                break;
        }
        take_row(r, src, row, need);
        if (r->fill->n >= (size_t)batch || r->fill->bytes >= r->budget.batch_bytes) {
            put(r, &r->to_hash, r->fill);
            if (!(r->fill = free_batch(r)))
                break; /* the writer failed: its error is taken below */
        }
    }
    if (r->fill) {
        if (!rc && r->fill->n)
            put(r, &r->to_hash, r->fill);
        else
            drop_batch(r, r->fill);
        r->fill = NULL;
    }
    if (r->threads_started) {
        finish_stage(r, &r->hash_done);
        pthread_join(r->hasher, NULL);
        pthread_join(r->writer, NULL);
        if (!rc && r->wrc) {
            rc = r->wrc;
            if (err)
                *err = r->werr;
        }
    }
    if (r->counting) {
        __atomic_store_n(&r->count_stop, 1, __ATOMIC_RELAXED);
        pthread_join(r->counter, NULL);
    }
    if (!rc)
        rc = ad_store_job_finish(st, r->job, err);
    ad_source_free(src);
    for (int i = 0; r->hashers && i < r->threads; i++)
        ad_hasher_free(r->hashers[i]);
    ad_hasher_free(r->rehasher);
    free(r->hashers);
    ad_ingest_free_known(r);
    ad_feat_ingest_end(r);
    for (size_t i = 0; r->hits && i < AD_INGEST_QUERIES; i++)
        ad_index_hits_free(&r->hits[i]);
    free(r->hits);
    free(r->queries);
    ad_idset_free(&r->done_keys);
    ad_idset_free(&r->job_new);
    ad_ingest_close_job(r);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->pmu);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->budget.big_mu);
    pthread_cond_destroy(&r->budget.big_cv);
    stats->seconds = ad_now() - r->t0;
    free(r);
    return rc;
}
