/* app.js: the investigators' web interface (docs/web.md). One page; every datum comes from the
 * JSON API of `ariadne serve` with the person's session (cookie + CSRF header on changes), so
 * every action is an API call with the same roles, scope and audit as a key. No inline script
 * or style (the page's Content-Security-Policy forbids them); text is always set as text. */
'use strict';

const DEFAULT_PREFS = { blur: true, greyscale: true, reveal: 'click', thumb_size: 128,
  break_minutes: 30, scheme: 'vics-us' };
const SCHEMES = {
  'vics-us': [['0', 'Non-pertinent'], ['1', 'CAM'], ['2', 'Exploitive / age difficult'],
    ['3', 'CGI / animation'], ['4', 'Comparison']],
  dhs: [['0', '0'], ['1', '1'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', '5']],
  uk: [['A', 'A'], ['B', 'B'], ['C', 'C']],
  baseline: [['1', 'Baseline']],
};
const CLASS_ORDER = ['new', 'known-unidentified', 'known-unseriesed', 'known-identified',
  'ignorable', 'error'];
const SIZES = [64, 96, 128, 160, 224, 320];

const S = { me: null, csrf: null, prefs: {}, viewed: new Set(), started: Date.now(),
  breakBase: Date.now(), review: null };

/* ---- small helpers ------------------------------------------------------------------- */

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
const enc = encodeURIComponent;
const $ = (id) => document.getElementById(id);
function prefs() { return Object.assign({}, DEFAULT_PREFS, S.prefs); }
function role() { return S.me ? S.me.role : ''; }
function say(text) { $('status').textContent = text; }
function badge(cls) { return h('span', { class: 'badge ' + (cls || '') }, cls || '-'); }
function when(t) { return t ? String(t).replace('T', ' ').replace('Z', ' UTC') : '-'; }

async function api(method, path, body, raw) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && S.csrf) opt.headers['X-CSRF-Token'] = S.csrf;
  if (body !== undefined) {
    opt.body = raw ? body : JSON.stringify(body);
    opt.headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  }
  const r = await fetch(path, opt);
  let doc = null;
  try { doc = await r.json(); } catch (e) { doc = null; }
  if (r.status === 401 && path !== '/v1/session') {
    S.me = null;
    S.csrf = null;
    S.ended = 'Your session ended: please sign in again.';
    location.hash = '#/signin';
    throw Object.assign(new Error('Your session ended: please sign in again.'), { status: 401 });
  }
  if (!r.ok) {
    throw Object.assign(new Error((doc && doc.detail) || r.statusText), { status: r.status });
  }
  return doc;
}

/* A page's frame: its title (focused for screen readers) and its content. */
function page(title, ...kids) {
  const main = $('main');
  main.replaceChildren(h('h1', {}, title), ...kids.flat(Infinity).filter((k) => k !== null && k !== undefined));
  document.title = title + ' · Ariadne';
  main.focus();
  return main;
}

function table(heads, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: heads.length }, 'None.'))));
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter((p) => p).map(([k, v]) =>
    [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '-' : v)]));
}

/* ---- wellness: thumbnails, the session counter, the break reminder ------------------ */

/* A thumbnail of a media the caller's agency holds: small, greyscale and blurred until the
 * person reveals it (click, or hold); every new rendering starts blurred again. Other agencies'
 * material and analysts get no pixels (the server refuses; so does this). */
function thumb(hash) {
  const p = prefs();
  if (role() !== 'investigator' && role() !== 'admin') {
    return h('span', { class: 'nopix' }, 'no pictures for your role');
  }
  const size = SIZES.reduce((a, b) => (Math.abs(b - p.thumb_size) < Math.abs(a - p.thumb_size) ? b : a));
  const hidden = p.blur;
  const img = h('img', { src: '/v1/media/' + enc(hash) + '/thumb', alt: hidden ?
    'thumbnail, blurred' : 'thumbnail', width: size, height: size });
  const hint = h('span', { class: 'hint' },
    p.reveal === 'hold' ? 'hold to reveal' : 'click to reveal');
  /* the button's name is its content: the picture's alt text and the hint */
  const b = h('button', { type: 'button', class: ['thumb', 's' + size, p.greyscale ? 'grey' : '',
    hidden ? 'blur' : ''].join(' '), 'aria-pressed': 'false', 'data-thumb': hash }, img,
  hidden ? hint : null);
  const show = (on) => {
    b.classList.toggle('revealed', on);
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
  };
  if (p.reveal === 'hold') {
    b.addEventListener('pointerdown', () => show(true));
    for (const ev of ['pointerup', 'pointerleave', 'blur']) b.addEventListener(ev, () => show(false));
    b.addEventListener('keydown', (e) => { if (e.key === ' ') { e.preventDefault(); show(true); } });
    b.addEventListener('keyup', (e) => { if (e.key === ' ') show(false); });
  } else {
    b.addEventListener('click', () => show(!b.classList.contains('revealed')));
  }
  img.addEventListener('error', () => b.replaceWith(h('span', { class: 'nopix' },
    'no picture held by your agency')));
  return b;
}

function viewed(hash) {
  S.viewed.add(hash);
  counter();
}

function counter() {
  const min = Math.floor((Date.now() - S.started) / 60000);
  $('counter').textContent = 'Viewed ' + S.viewed.size + ' items · ' + min + ' min';
  const every = prefs().break_minutes;
  if (every > 0 && (Date.now() - S.breakBase) / 60000 >= every && $('break').hidden) {
    $('break-text').textContent = 'You have looked at ' + S.viewed.size + ' items over ' + min +
      ' minutes. A short break away from the screen helps.';
    $('break').hidden = false;
  }
}

/* ---- sign-in ------------------------------------------------------------------------ */

async function loadSession() {
  try {
    const s = await api('GET', '/v1/session');
    S.me = s;
    S.csrf = s.csrf;
    S.prefs = s.prefs || {};
  } catch (e) {
    S.me = null;
  }
}

function renderSignin(message) {
  $('top').hidden = true;
  const name = h('input', { type: 'text', id: 'name', name: 'name', autocomplete: 'username',
    required: true });
  const pw = h('input', { type: 'password', id: 'password', name: 'password',
    autocomplete: 'current-password', required: true });
  const err = h('p', { class: 'error-text', role: 'alert' }, message || '');
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Ariadne'),
    h('label', { for: 'name' }, 'User name'), name,
    h('label', { for: 'password' }, 'Password'), pw,
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Sign in')), err,
    h('p', { class: 'muted' }, 'Programs use API keys; platform accounts have no pages.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const s = await api('POST', '/v1/session', { name: name.value, password: pw.value });
      S.me = s;
      S.csrf = s.csrf;
      S.prefs = s.prefs || {};
      S.started = S.breakBase = Date.now();
      S.viewed = new Set();
      S.ended = null;
      go(role() === 'auditor' ? '#/audit' : '#/');
    } catch (x) {
      err.textContent = x.message;
      pw.value = '';
    }
  });
  $('main').replaceChildren(form);
  document.title = 'Sign in · Ariadne';
  name.focus();
}

/* ---- dashboard ---------------------------------------------------------------------- */

async function renderDashboard() {
  if (role() === 'auditor') { location.hash = '#/audit'; return; }
  const [cases, series, urgent] = await Promise.all([api('GET', '/v1/cases'),
    api('GET', '/v1/series'), api('GET', '/v1/attention?days=30')]);
  page('Dashboard',
    h('h2', {}, 'Series that need action first'),
    h('p', { class: 'muted' }, 'Unidentified victims with new sightings (the last 30 days) first: ' +
      'a child may be in danger now.'),
    table(['Series', 'Unidentified victims', 'New sightings', 'Last seen', 'Owner', 'Contact'],
      urgent.series.map((s) =>
        h('tr', {}, h('td', {}, h('a', { href: '#/series/' + enc(s.name) }, s.name)),
          h('td', {}, badge('unidentified'), ' ', String(s.victims_unidentified)),
          h('td', {}, s.sightings_recent ? badge('new') : '', ' ', String(s.sightings_recent)),
          h('td', {}, when(s.last_seen)), h('td', {}, s.owner || '-'), h('td', {}, s.contact || '-')))),
    h('h2', {}, 'My agency\'s cases'),
    table(['Case', 'Title', 'Status', 'Opened', 'Review'], cases.cases.map((c) =>
      h('tr', {}, h('td', {}, h('a', { href: '#/case/' + c.id }, c.number)),
        h('td', {}, c.title || '-'), h('td', {}, c.status), h('td', {}, when(c.opened)),
        h('td', {}, role() === 'investigator' || role() === 'analyst' ?
          h('a', { href: '#/review/' + c.id }, 'Review new items') : '')))),
    h('h2', {}, 'All series'),
    table(['Series', 'Owner', 'Contact', 'Victims', 'Media'], series.series.map((s) =>
      h('tr', {}, h('td', {}, h('a', { href: '#/series/' + enc(s.name) }, s.name)),
        h('td', {}, s.owner || '-'), h('td', {}, s.contact || '-'),
        h('td', {}, s.victims_unidentified ? badge('unidentified') : s.victims ?
          badge('identified') : '-', ' ', String(s.victims)), h('td', {}, s.media)))));
}

/* ---- case page ---------------------------------------------------------------------- */

async function seriesMap() {
  const all = await api('GET', '/v1/series');
  return new Map(all.series.map((s) => [s.name, s]));
}

async function renderCase(id, cursor) {
  const q = '/v1/cases/' + enc(id) + '/files?limit=50' + (cursor ? '&cursor=' + enc(cursor) : '');
  const [doc, sum, groups, cases] = await Promise.all([api('GET', q),
    api('GET', '/v1/cases/' + enc(id) + '/summary'), api('GET', '/v1/cases/' + enc(id) + '/groups?limit=50'),
    api('GET', '/v1/cases')]);
  const kase = cases.cases.find((x) => String(x.id) === String(id)) || { number: id };
  const files = doc.files.slice().sort((a, b) =>
    CLASS_ORDER.indexOf(a.error ? 'error' : a.class) - CLASS_ORDER.indexOf(b.error ? 'error' : b.class));
  const counts = Object.assign({}, sum.classes, { error: sum.errors });
  page('Case ' + kase.number,
    h('p', {}, h('a', { href: '#/review/' + enc(id) }, 'Review the new items of this case'),
      ' · ', h('a', { href: '#/' }, 'Dashboard')),
    h('h2', {}, 'Classes (' + sum.files + ' files)'),
    h('ul', { class: 'classes' }, CLASS_ORDER.filter((c) => counts[c]).map((c) =>
      h('li', {}, badge(c), ' ' + counts[c]))),
    h('h2', {}, 'Candidate series of new material'),
    groups.total > groups.groups.length ? h('p', { class: 'muted' }, 'The first ' +
      groups.groups.length + ' of ' + groups.total + ' groups; the review queue has them all.') : null,
    groups.groups.length ? h('ol', { class: 'groups' }, groups.groups.map((g) => h('li', {},
      h('p', {}, h('strong', {}, g.items.length + ' files'), ': ' + g.reasons),
      h('ul', {}, g.items.map((it) => h('li', { class: 'hash' }, it.sha256 ?
        h('a', { href: '#/media/' + it.sha256 }, it.path) : it.path))))))
      : h('p', { class: 'muted' }, 'No group: the ' + groups.new + ' new files share no near-duplicate, camera or folder and time.'),
    h('h2', {}, 'Known series in this case: whom to contact'),
    table(['Series', 'Class', 'Files', 'Owner', 'Contact'], sum.series.map((x) =>
      h('tr', {}, h('td', {}, h('a', { href: '#/series/' + enc(x.name) }, x.name)),
        h('td', {}, badge(x.class)), h('td', {}, x.files), h('td', {}, x.owner || '-'),
        h('td', {}, x.contact || '-')))),
    h('h2', {}, 'Files (new first)'),
    table(['Picture', 'File', 'Class', 'Series', 'Match', 'Error'], files.map((f) =>
      h('tr', {}, h('td', {}, f.sha256 ? thumb(f.sha256) : ''),
        h('td', { class: 'hash' }, f.sha256 ? h('a', { href: '#/media/' + f.sha256 }, f.path) : f.path),
        h('td', {}, badge(f.error ? 'error' : f.class)),
        h('td', {}, f.series ? h('a', { href: '#/series/' + enc(f.series) }, f.series) : '-'),
        h('td', {}, f.match ? f.match.kind + ' (distance ' + f.match.distance + ')' : '-'),
        h('td', {}, f.error ? (f.error.message || f.error.code) : '')))),
    h('div', { class: 'pager' },
      cursor ? h('a', { href: '#/case/' + enc(id) }, 'First page') : null,
      doc.next ? h('a', { href: '#/case/' + enc(id) + '/' + enc(doc.next), id: 'next-page' },
        'Next page') : h('span', { class: 'muted' }, 'Last page')));
}

/* ---- review queue ------------------------------------------------------------------- */

async function loadQueue(caseId) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 50; pages++) {
    const doc = await api('GET', '/v1/cases/' + enc(caseId) + '/files?limit=1000' +
      (cursor ? '&cursor=' + enc(cursor) : ''));
    for (const f of doc.files) if (f.class === 'new' && f.sha256 && !f.error) items.push(f);
    if (!doc.next) break;
    cursor = doc.next;
  }
  const seen = new Set();
  return items.filter((f) => (seen.has(f.sha256) ? false : seen.add(f.sha256)));
}

function keyOf(scheme, code, i) { return /^[0-9]$/.test(code) ? code : String(i + 1); }

async function renderReview(caseId) {
  if (!S.review || S.review.caseId !== caseId) {
    page('Review queue', h('p', {}, 'Loading the new items of case ' + caseId + '...'));
    const [items, groups] = await Promise.all([loadQueue(caseId),
      api('GET', '/v1/cases/' + enc(caseId) + '/groups?limit=' + GROUP_PAGE)]);
    S.review = { caseId, items, at: 0, marked: new Set(), done: new Map(), groupOf: new Map(),
      groups: { next: null, total: groups.total, loaded: 0, busy: false }, undo: [] };
    takeGroups(S.review, groups);
  }
  await showItem();
}

/* The candidate groups come in keyset pages (GET .../groups?after=G&limit=N): the first with
 * the queue, each further one as the user moves on, until none is left. */
const GROUP_PAGE = 100; /* the first page then comes from the stored head (docs/web.md) */

function takeGroups(R, page) {
  for (const g of page.groups) for (const it of g.items) if (it.sha256) R.groupOf.set(it.sha256, g);
  R.groups.loaded += page.groups.length;
  R.groups.next = page.next;
}

async function moreGroups(R) {
  if (R.groups.next === null || R.groups.busy) return;
  R.groups.busy = true;
  try {
    takeGroups(R, await api('GET', '/v1/cases/' + enc(R.caseId) + '/groups?after=' +
      R.groups.next + '&limit=' + GROUP_PAGE));
  } finally {
    R.groups.busy = false;
  }
}

/* The candidate group of a hash, fetching further pages until it is found or none is left. */
async function groupOfHash(R, hash) {
  while (!R.groupOf.has(hash) && R.groups.next !== null && !R.groups.busy) await moreGroups(R);
  return R.groupOf.get(hash);
}

async function showItem() {
  const R = S.review;
  const p = prefs();
  const codes = SCHEMES[p.scheme] || SCHEMES['vics-us'];
  if (!R.items.length) {
    page('Review queue', h('p', {}, 'No new items in this case.'),
      h('p', {}, h('a', { href: '#/case/' + enc(R.caseId) }, 'Back to the case')));
    return;
  }
  const f = R.items[R.at];
  let media = null;
  try { media = await api('GET', '/v1/media/' + f.sha256); } catch (e) { media = null; }
  if (!R.groupOf.has(f.sha256) && R.groups.next !== null) { /* the next page as the user moves on */
    try { await moreGroups(R); } catch (e) { /* shown as not known yet */ }
  }
  viewed(f.sha256);
  const votes = media ? media.votes : [];
  const trusted = media ? media.trusted : [];
  const keys = h('div', { class: 'keys' },
    codes.map(([code, label], i) => [h('kbd', {}, keyOf(p.scheme, code, i)),
      h('span', {}, p.scheme + ' ' + code + ': ' + label)]),
    h('kbd', {}, 'i'), h('span', {}, 'ignorable (vics-us 0)'),
    h('kbd', {}, 's'), h('span', {}, 'assign to a series'),
    h('kbd', {}, 'n'), h('span', {}, 'start a new series with it'),
    h('kbd', {}, 't'), h('span', {}, 'add a note'),
    h('kbd', {}, 'x'), h('span', {}, 'mark for a bulk action'),
    h('kbd', {}, 'g'), h('span', {}, 'mark its whole candidate group'),
    h('kbd', {}, 'r'), h('span', {}, 'reveal / hide the picture'),
    h('kbd', {}, 'j'), h('span', {}, 'next item'),
    h('kbd', {}, 'k'), h('span', {}, 'previous item'),
    h('kbd', {}, 'u'), h('span', {}, 'undo the last action: vote, series (also Ctrl+Z)'));
  const last = R.undo[R.undo.length - 1];
  const undoBox = h('div', { class: 'card', id: 'undo' }, last ?
    [h('p', {}, 'Last action: ' + last.label + '. '),
      h('button', { type: 'button', onclick: () => undo() }, 'u · Undo it')] :
    h('p', { class: 'muted' }, 'Nothing to undo in this session. An undone vote or series ' +
      'link stays on record, marked withdrawn or unlinked, and no longer counts.'));
  const buttons = h('div', { class: 'row' }, codes.map(([code, label], i) =>
    h('button', { type: 'button', onclick: () => act('vote', code) },
      keyOf(p.scheme, code, i) + ' · ' + label)),
  h('button', { type: 'button', onclick: () => act('ignorable') }, 'i · Ignorable'),
  h('button', { type: 'button', onclick: () => act('series') }, 's · Series'),
  h('button', { type: 'button', onclick: () => act('newseries') }, 'n · New series'),
  h('button', { type: 'button', onclick: () => act('note') }, 't · Note'),
  h('button', { type: 'button', onclick: () => act('mark') }, R.marked.has(f.sha256) ?
    'x · Unmark' : 'x · Mark'));
  const bulk = R.marked.size ? h('div', { class: 'card', id: 'bulk' },
    h('p', {}, R.marked.size + ' item(s) marked. The next category key or series applies to all of them.')) : null;
  page('Review queue · case ' + R.caseId,
    h('p', { class: 'muted' }, 'Item ' + (R.at + 1) + ' of ' + R.items.length +
      ' new items. Each vote is yours and is kept beside the others\': nothing is overwritten.'),
    bulk, undoBox,
    h('div', { class: 'review' },
      h('div', {}, thumb(f.sha256), h('h2', {}, 'Keys'), keys),
      h('div', {},
        facts([['File', f.path], ['SHA-256', h('span', { class: 'hash' }, f.sha256)],
          ['Media page', h('a', { href: '#/media/' + f.sha256 }, 'open')],
          ['Done here', R.done.get(f.sha256) || '-'],
          ['Candidate group', R.groupOf.has(f.sha256) ? R.groupOf.get(f.sha256).items.length +
            ' files: ' + R.groupOf.get(f.sha256).reasons : R.groups.next === null ? 'none'
            : 'not known yet (' + R.groups.loaded + ' of ' + R.groups.total + ' groups loaded; g looks further)'],
          ['Trusted category', trusted.length ? trusted.map((t) => t.scheme + ':' + t.code).join(', ') : '-']]),
        h('h2', {}, 'Votes'),
        voteTable(votes),
        h('h2', {}, 'Actions'), buttons)));
}

/* The votes of a media, each row as recorded: a withdrawn vote and its withdrawal stay. */
function voteTable(votes) {
  return table(['Voter', 'Agency', 'Category', 'When', 'Status'], votes.map((v) => h('tr', {},
    h('td', {}, v.voter || '-'), h('td', {}, v.agency || '-'),
    h('td', {}, v.scheme + ':' + v.code), h('td', {}, when(v.time || v.created)),
    h('td', {}, v.withdraws ? 'withdrawal of an earlier vote' : v.withdrawn ?
      'withdrawn ' + when(v.withdrawn) : 'counts'))));
}

/* Undoes the last undoable action of this session's queue: each vote (a category, ignorable)
 * is withdrawn, each series link this session made (assigned, new series) is unlinked; both
 * are recorded and stay on record (docs/web.md). The item is shown again. What failed stays
 * to undo. */
async function undo() {
  const R = S.review;
  const last = R && R.undo.pop();
  if (!last) { say('Nothing to undo.'); return; }
  const votes = last.votes || [], links = last.links || [];
  let nv = 0, nl = 0;
  try {
    for (; nv < votes.length; nv++) {
      await api('POST', '/v1/votes/' + enc(votes[nv].gid) + '/withdraw');
      R.done.set(votes[nv].hash, 'vote withdrawn');
    }
    for (; nl < links.length; nl++) {
      const l = links[nl];
      await api('POST', '/v1/series/' + enc(l.series) + '/media/' + enc(l.hash) + '/unlink');
      R.done.set(l.hash, 'unlinked from ' + l.name);
    }
    const at = R.items.findIndex((f) => f.sha256 === last.at);
    if (at >= 0) R.at = at;
    say('Undone: ' + last.label + ' (' + (votes.length ? votes.length + ' vote(s) withdrawn' :
      links.length + ' link(s) unlinked') + ').');
  } catch (e) {
    R.undo.push({ ...last, votes: votes.slice(nv), links: links.slice(nl) });
    say('Could not undo: ' + e.message);
  }
  return showItem();
}

/* Links made by this session's action: the hashes the server says were not in the series
 * before (an undo must not unlink what was there already). */
function madeLinks(r, name) {
  return (r.new || []).map((hash) => ({ series: r.gid || name, name, hash }));
}

/* The marked items, or the current one. */
function targets() {
  const R = S.review;
  return R.marked.size ? [...R.marked] : [R.items[R.at].sha256];
}

async function act(what, code) {
  const R = S.review;
  if (!R || !R.items.length) return;
  const f = R.items[R.at];
  try {
    if (what === 'vote' || what === 'ignorable') {
      const scheme = what === 'ignorable' ? 'vics-us' : prefs().scheme;
      const c = what === 'ignorable' ? '0' : code;
      const hs = targets();
      const cast = [];
      try {
        for (const hash of hs) {
          const r = await api('POST', '/v1/votes', { hash, scheme, code: c });
          cast.push({ hash, gid: r.gid });
          R.done.set(hash, 'voted ' + scheme + ':' + c);
        }
      } finally {
        if (cast.length) {
          R.undo.push({ at: f.sha256, label: (what === 'ignorable' ? 'ignorable (' : 'voted ') + scheme + ':' + c +
            (what === 'ignorable' ? ')' : '') + ' on ' + cast.length + ' item(s)', votes: cast });
        }
      }
      say('Voted ' + scheme + ':' + c + ' on ' + hs.length + ' item(s).');
      R.marked.clear();
      return next(1);
    }
    if (what === 'group') {
      const g = await groupOfHash(R, f.sha256);
      if (!g) { say('This item is in no candidate group.'); return; }
      for (const it of g.items) if (it.sha256) R.marked.add(it.sha256);
      return showItem();
    }
    if (what === 'mark') {
      if (R.marked.has(f.sha256)) R.marked.delete(f.sha256); else R.marked.add(f.sha256);
      return showItem();
    }
    if (what === 'series') {
      const smap = await seriesMap();
      const name = await ask('Assign to a series', 'Series', [...smap.keys()]);
      if (!name) return showItem();
      const hs = targets();
      const r = await api('POST', '/v1/series/' + enc(name) + '/media', { hashes: hs });
      for (const hash of hs) R.done.set(hash, 'linked to ' + name);
      const links = madeLinks(r, name);
      if (links.length) R.undo.push({ at: f.sha256, label: 'assigned ' + links.length + ' item(s) to series ' + name, links });
      say('Linked ' + hs.length + ' item(s) to ' + name + '.');
      R.marked.clear();
      return next(1);
    }
    if (what === 'newseries') {
      const name = await ask('Start a new series', 'Name of the new series');
      if (!name) return showItem();
      const contact = await ask('Contact for "' + name + '"', 'Contact (e-mail, phone)');
      await api('POST', '/v1/series', contact ? { name, contact } : { name });
      const hs = targets();
      const r = await api('POST', '/v1/series/' + enc(name) + '/media', { hashes: hs });
      for (const hash of hs) R.done.set(hash, 'new series ' + name);
      const links = madeLinks(r, name);
      if (links.length) {
        R.undo.push({ at: f.sha256, label: 'new series ' + name + ' with ' + links.length + ' item(s)' +
          ' (undoing unlinks them; the series stays, empty)', links });
      }
      say('Series ' + name + ' created with ' + hs.length + ' item(s).');
      R.marked.clear();
      return next(1);
    }
    if (what === 'note') {
      const text = await ask('Note on this item', 'Note');
      if (!text) return showItem();
      await api('POST', '/v1/notes', { object_type: 'media', object: f.sha256, text });
      R.done.set(f.sha256, 'note added');
      say('Note added.');
      return showItem();
    }
  } catch (e) {
    say(e.message);
  }
}

function next(step) {
  const R = S.review;
  R.at = Math.max(0, Math.min(R.items.length - 1, R.at + step));
  return showItem();
}

/* A small dialog asking for one value (a text, or one of choices); null when cancelled. */
function ask(title, label, choices) {
  return new Promise((resolve) => {
    const input = choices ? h('select', { id: 'ask-value' }, choices.map((c) => h('option', { value: c }, c)))
      : h('input', { type: 'text', id: 'ask-value' });
    const d = h('dialog', { 'aria-labelledby': 'ask-title' },
      h('form', { method: 'dialog' }, h('h2', { id: 'ask-title' }, title),
        h('label', { for: 'ask-value' }, label), input,
        h('p', { class: 'row' }, h('button', { type: 'submit', value: 'ok', class: 'primary' }, 'OK'),
          h('button', { type: 'submit', value: 'cancel' }, 'Cancel'))));
    d.addEventListener('close', () => {
      const v = d.returnValue === 'ok' ? input.value.trim() : '';
      d.remove();
      resolve(v || null);
    });
    document.body.append(d);
    d.showModal();
    input.focus();
  });
}

/* A confirmation step; true when confirmed. */
function confirmStep(title, text, yes) {
  return new Promise((resolve) => {
    const d = h('dialog', { 'aria-labelledby': 'confirm-title', role: 'alertdialog' },
      h('form', { method: 'dialog' }, h('h2', { id: 'confirm-title' }, title), h('p', {}, text),
        h('p', { class: 'row' }, h('button', { type: 'submit', value: 'yes', class: 'danger', id: 'confirm-yes' }, yes),
          h('button', { type: 'submit', value: 'no', id: 'confirm-no' }, 'Cancel'))));
    d.addEventListener('close', () => { const ok = d.returnValue === 'yes'; d.remove(); resolve(ok); });
    document.body.append(d);
    d.showModal();
    $('confirm-no').focus();
  });
}

function reviewKeys(e) {
  if (!S.review || !location.hash.startsWith('#/review/') || document.querySelector('dialog') ||
      e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
  if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z' && !e.shiftKey) {
    e.preventDefault();
    undo();
    return;
  }
  if (e.ctrlKey || e.metaKey) return;
  const p = prefs();
  const codes = SCHEMES[p.scheme] || SCHEMES['vics-us'];
  const hit = codes.find(([code], i) => keyOf(p.scheme, code, i) === e.key);
  const k = e.key;
  if (hit) act('vote', hit[0]);
  else if (k === 'i') act('ignorable');
  else if (k === 's') act('series');
  else if (k === 'n') act('newseries');
  else if (k === 't') act('note');
  else if (k === 'x') act('mark');
  else if (k === 'g') act('group');
  else if (k === 'j' || k === 'ArrowRight') next(1);
  else if (k === 'k' || k === 'ArrowLeft') next(-1);
  else if (k === 'u') undo();
  else if (k === 'r') { const t = document.querySelector('[data-thumb]'); if (t) t.click(); }
  else return;
  e.preventDefault();
}

/* ---- series page -------------------------------------------------------------------- */

async function renderSeries(name) {
  const [s, reach, smap] = await Promise.all([api('GET', '/v1/series/' + enc(name)),
    api('GET', '/v1/series/' + enc(name) + '/reach'), seriesMap()]);
  const mine = S.me && s.owner === S.me.agency.name;
  const canIdentify = role() === 'investigator' && (mine || !s.owner);
  const people = (list, kind) => table(['Code', 'Status', 'Identified', 'Country', 'Action'],
    list.map((v) => h('tr', {}, h('td', {}, v.code), h('td', {}, badge(v.status)),
      h('td', {}, when(v.identified_at)), h('td', {}, v.country || '-'),
      h('td', {}, v.status !== 'identified' && canIdentify ? h('button', { type: 'button',
        onclick: () => identify(kind, v.code, name) }, 'Identify ' + v.code + '...') : ''))));
  const addPerson = (kind) => role() === 'investigator' ? h('button', { type: 'button',
    onclick: async () => {
      const code = await ask('Add a ' + kind, 'Code (e.g. V-0012)');
      if (!code) return;
      try { await api('POST', '/v1/series/' + enc(name) + '/' + kind + 's', { code }); render(); } catch (e) { say(e.message); }
    } }, 'Add a ' + kind + '...') : null;
  page('Series: ' + s.name,
    facts([['Owner', s.owner || '-'], ['Contact', s.contact || '-'], ['Status', s.status],
      ['Media', String(s.media)], ['Global id', h('span', { class: 'hash' }, s.gid || '-')]]),
    mergeSection(s, smap, mine),
    h('h2', {}, 'Seen by agencies'),
    table(['Agency', 'Sightings', 'Media', 'First seen', 'Last seen'], reach.agencies.map((r) =>
      h('tr', {}, h('td', {}, r.agency || '(no agency)'), h('td', {}, r.sightings), h('td', {}, r.media),
        h('td', {}, when(r.first)), h('td', {}, when(r.last))))),
    h('h2', {}, 'Victims'), people(s.victim_list || [], 'victim'), addPerson('victim'),
    h('h2', {}, 'Offenders'), people(s.offender_list || [], 'offender'), addPerson('offender'),
    h('h2', {}, 'Media'),
    h('p', { class: 'muted' }, 'Pictures appear only where your agency holds the evidence.'),
    h('ul', { class: 'media-grid' }, reach.media.map((m) => h('li', {},
      m.sha256 ? thumb(m.sha256) : null,
      h('a', { href: '#/media/' + enc(m.sha256 || m.gid), class: 'hash' }, (m.sha256 || m.gid).slice(0, 16) + '...')))),
    h('h2', {}, 'Clues'),
    table(['Kind', 'Clue', 'By', 'When'], reach.clues.map((n) => h('tr', {}, h('td', {}, n.kind || '-'),
      h('td', {}, n.text), h('td', {}, n.author || '-'), h('td', {}, when(n.time))))),
    h('h2', { id: 'places-title' }, 'Places (' + (reach.places || []).length + ' GPS clues)'),
    await placesMap(reach.places || []),
    h('h2', {}, 'Notes'),
    table(['Note', 'By', 'When', 'Private'], reach.notes.map((n) => h('tr', {}, h('td', {}, n.text),
      h('td', {}, n.author || '-'), h('td', {}, when(n.time)), h('td', {}, n.private ? 'yes' : 'no')))),
    role() === 'investigator' || role() === 'analyst' ? h('button', { type: 'button', onclick: async () => {
      const text = await ask('Note on ' + s.name, 'Note');
      if (!text) return;
      try { await api('POST', '/v1/notes', { object_type: 'series', object: s.name, text }); say('Note added.'); render(); } catch (e) { say(e.message); }
    } }, 'Add a note...') : null);
}

/* ---- merging two series (docs/federation.md "Merging two series") ---------------------- */

/* What a series' page says of merges: the series it was merged into, those merged into it,
 * the requests waiting for an owner's consent (whose), a button to consent where the caller's
 * agency is awaited, and one to request a merge with another series (its owner's
 * investigators). The store decides who may consent (403 otherwise). */
function mergeSection(s, smap, mine) {
  const me = S.me ? S.me.agency.name : '';
  const inv = role() === 'investigator';
  const nameOf = (x) => x.name || x.gid;
  const ownerOf = (x) => (smap.get(x.name) || {}).owner || '';
  const link = (x) => h('a', { href: '#/series/' + enc(nameOf(x)) }, nameOf(x));
  const consent = (c, x) => c ? (c.agency || 'its owner') + ', ' + when(c.at)
    : 'awaited (' + (ownerOf(x) || 'its owner') + ')';
  const pending = (s.merges || []).filter((m) => !m.agreed);
  const rows = pending.map((m) => {
    const waiting = [!m.from_consent && m.from, !m.into_consent && m.into].filter(Boolean);
    const mineAwaited = inv && waiting.some((x) => ownerOf(x) === me);
    return h('tr', {}, h('td', {}, link(m.from), ' into ', link(m.into)),
      h('td', {}, consent(m.from_consent, m.from)), h('td', {}, consent(m.into_consent, m.into)),
      h('td', {}, waiting.map((x) => ownerOf(x) || 'the owner of ' + nameOf(x)).join(', ')),
      h('td', {}, mineAwaited ? h('button', { type: 'button',
        onclick: () => requestMerge(nameOf(m.from), nameOf(m.into), smap) },
      'Consent to merge ' + nameOf(m.from) + ' into ' + nameOf(m.into) + '...') : ''));
  });
  const from = s.merged_from || [];
  return h('section', { class: 'merges', 'aria-labelledby': 'merges-title' },
    h('h2', { id: 'merges-title' }, 'Merges'),
    s.merged_into ? h('p', {}, 'Merged into ', link(s.merged_into),
      ' by agreement of both owners: that series stands for this one.') : null,
    from.length ? h('p', {}, 'Merged into this series: ', from.map((x, i) => [i ? ', ' : '', link(x)])) : null,
    rows.length ? table(['Merge', 'Consent of the merged series\' owner', 'Consent of the surviving series\' owner',
      'Waiting for', 'Action'], rows, 'Merge requests waiting for an owner\'s consent')
      : (!s.merged_into && !from.length ? h('p', { class: 'muted' }, 'No merge requested.') : null),
    inv && mine && !s.merged_into ? h('button', { type: 'button', onclick: () => startMerge(s, smap) },
      'Merge with another series...') : null);
}

async function startMerge(s, smap) {
  const others = [...smap.keys()].filter((n) => n !== s.name);
  const other = await ask('Merge ' + s.name + ' with another series', 'The other series', others);
  if (!other) return;
  const keep = await ask('Which series stays?', 'The series that stays (the other becomes an alias of it)',
    [other, s.name]);
  if (!keep) return;
  await requestMerge(keep === s.name ? other : s.name, keep, smap);
}

/* The caller's agency's consent to merging `from` into `into`, after a confirmation step. */
async function requestMerge(from, into, smap) {
  const me = S.me ? S.me.agency.name : '';
  const of = (n) => (smap.get(n) || {}).owner || 'its owner';
  const ok = await confirmStep('Merge ' + from + ' into ' + into + '?',
    'This records the consent of ' + me + ' to merging ' + from + ' into ' + into + ': ' + into +
    ' stays and ' + from + ' becomes an alias of it, on every instance. The merge is done once ' +
    'the owner of each series has consented (' + from + ': ' + of(from) + '; ' + into + ': ' +
    of(into) + '). A merge cannot be undone.', 'Consent to the merge');
  if (!ok) return;
  try {
    const r = await api('POST', '/v1/series/' + enc(from) + '/merge', { into });
    const others = [of(from), of(into)].filter((o) => o !== me);
    await render();
    say(r.merged ? from + ' merged into ' + into + '.'
      : 'Consent recorded; waiting for ' + (others.join(' and ') || 'the other owner') + '.');
  } catch (e) { say(e.message); }
}

/* ---- the series' places on a map --------------------------------------------------- */

const SVGNS = 'http://www.w3.org/2000/svg';
let basemapText = null;

/* An SVG element (attributes and text only). */
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/* The visible part of the world for points [{lat, lon}]: [x0, y0, w, h] in map units
 * (x = longitude, y = -latitude), as the HTML report frames its map (src/report/report_map.c):
 * the points' extent with a margin, at least 40 x 20 degrees, 2:1, inside the world. */
function mapView(pts) {
  const lons = pts.map((p) => p.lon), lats = pts.map((p) => p.lat);
  const loX = Math.min(...lons), hiX = Math.max(...lons), loY = Math.min(...lats), hiY = Math.max(...lats);
  let w = Math.max(hiX - loX + 20, 40), hh = Math.max(hiY - loY + 10, 20);
  if (w < 2 * hh) w = 2 * hh; else hh = w / 2;
  if (w > 360) { w = 360; hh = 180; }
  const x0 = Math.min(Math.max((loX + hiX) / 2 - w / 2, -180), 180 - w);
  const y0 = Math.min(Math.max((loY + hiY) / 2 - hh / 2, -90), 90 - hh);
  return [x0, -(y0 + hh), w, hh];
}

/* The series' places over the bundled Natural Earth basemap (/ui/basemap.frag: the report's
 * own, compiled into the program; no tiles, no network), numbered, with the same places as a
 * list beside it for screen readers and keyboards. Places at one position share a marker. */
async function placesMap(places) {
  if (!places.length) {
    return h('p', { class: 'muted' }, 'No place: neither the series nor its media carry a GPS clue.');
  }
  if (basemapText === null) {
    const r = await fetch('/ui/basemap.frag', { credentials: 'same-origin' });
    basemapText = r.ok ? await r.text() : '';
  }
  const at = new Map();
  places.forEach((p, i) => {
    const k = p.lat.toFixed(5) + ',' + p.lon.toFixed(5);
    if (!at.has(k)) at.set(k, { lat: p.lat, lon: p.lon, nums: [] });
    at.get(k).nums.push(i + 1);
  });
  const box = mapView(places);
  const px = box[2] / 960;
  const svg = sv('svg', { class: 'map' + (box[2] <= 120 ? ' near' : ''), viewBox: box.join(' '),
    role: 'img', 'aria-labelledby': 'map-title', id: 'places-map' });
  svg.append(sv('title', { id: 'map-title' }, places.length + ' places of the series over a world map; ' +
    'the list beside it has each one'));
  svg.append(sv('rect', { x: box[0], y: box[1], width: box[2], height: box[3], class: 'sea-bg' }));
  const base = sv('g', { class: 'basemap', 'font-size': 10 * px });
  if (basemapText) {
    /* the program's own asset, not data: parsed as SVG and its elements moved in */
    const doc = new DOMParser().parseFromString('<svg xmlns="' + SVGNS + '">' + basemapText + '</svg>',
      'image/svg+xml');
    if (!doc.querySelector('parsererror')) {
      for (const n of [...doc.documentElement.childNodes]) base.append(document.importNode(n, true));
    }
  }
  svg.append(base);
  const pts = sv('g', { class: 'points', 'font-size': 12 * px });
  for (const g of at.values()) {
    const m = sv('g', { class: 'pt' });
    m.append(sv('circle', { cx: g.lon, cy: -g.lat, r: 4 * px }));
    m.append(sv('text', { x: g.lon + 6 * px, y: -g.lat + 4 * px },
      g.nums.slice(0, 3).join(', ') + (g.nums.length > 3 ? ' +' + (g.nums.length - 3) : '')));
    pts.append(m);
  }
  svg.append(pts);
  const list = h('ol', { class: 'places-list', 'aria-labelledby': 'places-title' }, places.map((p) => h('li', {},
    p.lat.toFixed(6) + ', ' + p.lon.toFixed(6) + ' · ',
    p.on === 'media' && p.sha256 ? ['media ', h('a', { href: '#/media/' + p.sha256, class: 'hash' },
      p.sha256.slice(0, 16) + '...')] : 'the series',
    p.by ? ' · by ' + p.by : '')));
  return h('div', { class: 'places' }, h('figure', {}, svg,
    h('figcaption', { class: 'muted' }, 'Positions as recorded (WGS 84), numbered as in the list. ' +
      'Basemap: Natural Earth 1:110m (public domain), drawn offline.')), list);
}

async function identify(kind, code, series) {
  const ok = await confirmStep('Identify ' + kind + ' ' + code + '?',
    'This records that ' + code + ' of ' + series + ' is identified, for your agency. Every agency ' +
    'sees it at once, and it cannot be undone.', 'Identify ' + code);
  if (!ok) return;
  try {
    await api('POST', '/v1/' + kind + 's/' + enc(code) + '/identify', {});
    say(code + ' identified.');
    render();
  } catch (e) { say(e.message); }
}

/* ---- media page --------------------------------------------------------------------- */

async function renderMedia(hash) {
  const d = await api('GET', '/v1/media/' + enc(hash));
  const m = d.media || {};
  const c = d.classification || {};
  viewed(m.sha256 || hash);
  const smap = new Map((d.series || []).map((s) => [s.name, s]));
  page('Media',
    h('div', { class: 'row' }, h('div', {}, m.sha256 ? thumb(m.sha256) : null),
      h('div', { class: 'grow' }, facts([
        ['Class', badge(c.class)], ['Decided by', c.decided_by || '-'],
        ['SHA-256', h('span', { class: 'hash' }, m.sha256)], ['MD5', h('span', { class: 'hash' }, m.md5)],
        ['SHA-1', h('span', { class: 'hash' }, m.sha1)], ['PDQ', h('span', { class: 'hash' }, m.pdq)],
        ['PDQ quality', m.pdq_quality], ['Type', m.mime], ['Size', m.size],
        ['Dimensions', m.width ? m.width + ' x ' + m.height : '-'],
        ['Duration', m.duration_ms ? (m.duration_ms / 1000).toFixed(1) + ' s' : '-'],
        ['Global id', h('span', { class: 'hash' }, m.gid)]]))),
    h('h2', {}, 'Series'),
    table(['Series', 'Owner', 'Contact', 'Victims unidentified'], [...smap.values()].map((s) =>
      h('tr', {}, h('td', {}, h('a', { href: '#/series/' + enc(s.name) }, s.name)),
        h('td', {}, s.owner || '-'), h('td', {}, s.contact || '-'), h('td', {}, s.victims_unidentified)))),
    h('h2', {}, 'Matches'),
    table(['Media', 'Kind', 'Distance', 'Variant', 'Time ranges', 'Class', 'Series'], (d.matches || []).map((x) =>
      h('tr', {}, h('td', { class: 'hash' }, x.sha256 ? h('a', { href: '#/media/' + x.sha256 }, x.sha256.slice(0, 16) + '...') : '-'),
        h('td', {}, x.kind), h('td', {}, x.distance), h('td', {}, x.variant || '-'),
        h('td', {}, x.ranges ? (typeof x.ranges === 'string' ? x.ranges : JSON.stringify(x.ranges)) : '-'), h('td', {}, badge(x.class)),
        h('td', {}, x.series ? (x.series.name || String(x.series)) : '-')))),
    h('h2', {}, 'Votes'),
    voteTable(d.votes || []),
    h('p', {}, 'Trusted: ', (d.trusted || []).length ? d.trusted.map((t) => t.scheme + ':' + t.code).join(', ') : 'none yet'),
    h('h2', {}, 'Notes'),
    table(['Note', 'By', 'When', 'Private'], (d.notes || []).map((n) => h('tr', {}, h('td', {}, n.text),
      h('td', {}, n.author || '-'), h('td', {}, when(n.time)), h('td', {}, n.private ? 'yes' : 'no')))),
    h('h2', {}, 'Clues'),
    table(['Kind', 'Clue', 'By'], (d.clues || []).map((n) => h('tr', {}, h('td', {}, n.kind || '-'),
      h('td', {}, n.value || '-'), h('td', {}, n.author || '-')))),
    h('h2', {}, 'Custody: my agency\'s sightings'),
    table(['Path', 'Case', 'Exhibit', 'Modified', 'Ingested'], (d.sightings || []).map((s) =>
      h('tr', {}, h('td', { class: 'hash' }, s.path), h('td', {}, s.case || '-'), h('td', {}, s.exhibit || '-'),
        h('td', {}, when(s.mtime)), h('td', {}, when(s.ingested))))),
    h('h2', {}, 'Seen by other agencies'),
    table(['Agency', 'Sightings', 'First', 'Last'], (d.sightings_elsewhere || []).map((s) =>
      h('tr', {}, h('td', {}, s.agency), h('td', {}, s.sightings), h('td', {}, when(s.first)), h('td', {}, when(s.last))))));
}

/* ---- search ------------------------------------------------------------------------- */

function renderSearch() {
  const input = h('input', { type: 'text', id: 'q', placeholder: 'MD5, SHA-1, SHA-256, pdq:HEX or a gid' });
  const out = h('div', { id: 'search-out', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'file' });
  const drop = h('div', { class: 'drop', id: 'drop' }, 'Drop a file here, or ',
    h('label', { for: 'file', class: 'inline' }, 'choose a file to hash:'), ' ', file,
    h('p', { class: 'muted' }, 'The server hashes it in memory and keeps nothing.'));
  const hashFile = async (f) => {
    out.replaceChildren(h('p', {}, 'Hashing ' + f.name + '...'));
    try {
      const r = await api('POST', '/v1/hash?match=true', await f.arrayBuffer(), true);
      const l = r.lookup || {};
      out.replaceChildren(h('div', { class: 'card' }, facts([
        ['File', f.name], ['SHA-256', h('span', { class: 'hash' }, r.sha256)],
        ['MD5', h('span', { class: 'hash' }, r.md5)], ['PDQ', h('span', { class: 'hash' }, r.pdq || '-')],
        ['Class', badge(l.class || (l.classification && l.classification.class) || 'unknown')],
        ['Known here', h('a', { href: '#/media/' + r.sha256 }, 'open the media page')]])));
    } catch (e) { out.replaceChildren(h('p', { class: 'error-text' }, e.message)); }
  };
  file.addEventListener('change', () => file.files[0] && hashFile(file.files[0]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) hashFile(e.dataTransfer.files[0]);
  });
  const form = h('form', { class: 'card' }, h('label', { for: 'q' }, 'Hash'), input, ' ',
    h('button', { type: 'submit', class: 'primary' }, 'Look up'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = '#/media/' + enc(input.value.trim());
  });
  page('Search', form, drop, out);
}

/* ---- admin and audit ---------------------------------------------------------------- */

async function renderAdmin() {
  const doc = await api('GET', '/v1/admin/users');
  const name = h('input', { type: 'text', id: 'u-name' });
  const roleSel = h('select', { id: 'u-role' }, ['investigator', 'analyst', 'admin', 'auditor', 'platform']
    .map((r) => h('option', { value: r }, r)));
  const shown = h('div', { 'aria-live': 'polite' });
  const add = h('form', { class: 'card' }, h('h2', {}, 'Add a user'), h('label', { for: 'u-name' }, 'Name'), name,
    h('label', { for: 'u-role' }, 'Role'), roleSel, h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Add')), shown);
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const r = await api('POST', '/v1/admin/users', { name: name.value, role: roleSel.value });
      shown.replaceChildren(h('p', {}, 'API key (shown once): '), h('p', { class: 'hash' }, r.api_key),
        h('p', { class: 'muted' }, 'A person sets a password with: ariadne user passwd ' + name.value));
    } catch (x) { shown.replaceChildren(h('p', { class: 'error-text' }, x.message)); }
  });
  const lists = await adminLists();
  page('Admin',
    h('h2', {}, 'Users of my agency'),
    table(['Name', 'Role', 'Key', 'Expires', 'Revoked', 'Action'], doc.users.map((u) => h('tr', {},
      h('td', {}, u.name), h('td', {}, u.role), h('td', { class: 'hash' }, u.key_id), h('td', {}, when(u.expires)),
      h('td', {}, when(u.revoked)), h('td', {}, u.revoked ? '' : h('button', { type: 'button', onclick: async () => {
        if (await confirmStep('Revoke ' + u.name + '\'s key?', 'Programs using it stop at once.', 'Revoke')) {
          try { await api('POST', '/v1/admin/users/' + enc(u.name) + '/revoke'); render(); } catch (x) { say(x.message); }
        }
      } }, 'Revoke key...'))))),
    add, lists);
}

/* The admin page's hash lists: each of my agency's lists with its entries and the platform
 * agencies granted to match against it (grant, revoke after a confirmation), and a new list
 * (GET/POST /v1/admin/lists, POST /v1/admin/lists/{list}/grants, DELETE .../grants/{agency}). */
async function adminLists() {
  const doc = await api('GET', '/v1/admin/lists');
  const rows = doc.lists.map((l, n) => {
    const field = h('input', { type: 'text', id: 'grant-' + n, size: 16 });
    const grant = h('form', { class: 'inline-form' },
      h('label', { for: 'grant-' + n, class: 'inline' }, 'Grant ' + l.name + ' to'), ' ', field, ' ',
      h('button', { type: 'submit' }, 'Grant'));
    grant.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('POST', '/v1/admin/lists/' + enc(l.name) + '/grants', { agency: field.value.trim() });
        say('Granted ' + l.name + ' to ' + field.value.trim() + '.');
        render();
      } catch (x) { say(x.message); }
    });
    const granted = l.grants.length ? h('ul', { class: 'plain' }, l.grants.map((g) => h('li', {},
      g.agency + ' (since ' + when(g.granted) + ') ',
      h('button', { type: 'button', onclick: async () => {
        if (!(await confirmStep('Revoke the grant?', g.agency + ' stops matching against ' + l.name +
          ' at once.', 'Revoke grant'))) return;
        try {
          await api('DELETE', '/v1/admin/lists/' + enc(l.name) + '/grants/' + enc(g.agency));
          say('Revoked ' + l.name + ' for ' + g.agency + '.');
          render();
        } catch (x) { say(x.message); }
      } }, 'Revoke ' + g.agency + '...')))) : h('span', { class: 'muted' }, 'no platform');
    return h('tr', {}, h('td', {}, l.name), h('td', {}, l.description || '-'), h('td', {}, String(l.entries)),
      h('td', {}, granted), h('td', {}, grant));
  });
  const name = h('input', { type: 'text', id: 'l-name', required: true });
  const desc = h('input', { type: 'text', id: 'l-desc' });
  const create = h('form', { class: 'card' }, h('h3', {}, 'Create a list'),
    h('label', { for: 'l-name' }, 'Name'), name, h('label', { for: 'l-desc' }, 'Description'), desc,
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Create')));
  create.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const body = { name: name.value.trim() };
      if (desc.value.trim()) body.description = desc.value.trim();
      await api('POST', '/v1/admin/lists', body);
      say('List ' + body.name + ' created.');
      render();
    } catch (x) { say(x.message); }
  });
  return h('section', { 'aria-labelledby': 'lists-title' },
    h('h2', { id: 'lists-title' }, 'Hash lists of my agency'),
    table(['List', 'Description', 'Entries', 'Granted to (platforms)', 'Grant'], rows), create);
}

/* The audit newest first, 100 rows a page: `#/audit` the newest, `#/audit/{before}` older
 * ones; Next goes back in time, Previous forward (GET /v1/audit?order=desc&before=). */
async function renderAudit(before) {
  const b = Number(before || 0);
  const doc = await api('GET', '/v1/audit?order=desc&limit=100' + (b ? '&before=' + b : ''));
  const rows = doc.rows || [];
  const out = h('p', { 'aria-live': 'polite' });
  page('Audit log',
    h('p', {}, h('button', { type: 'button', onclick: async () => {
      try { const v = await api('GET', '/v1/audit/verify'); out.textContent = JSON.stringify(v); } catch (e) { out.textContent = e.message; }
    } }, 'Verify the chain'), ' ', out),
    h('p', { class: 'muted' }, 'Newest first' + (rows.length ? ': rows ' + rows[0].seq + ' to ' +
      rows[rows.length - 1].seq : '') + '.'),
    table(['Seq', 'Time', 'Who', 'Action', 'Object', 'Detail'], rows.map((r) => h('tr', {},
      h('td', {}, r.seq), h('td', {}, when(r.time || r.at)), h('td', {}, r.who), h('td', {}, r.action),
      h('td', {}, r.object || '-'), h('td', { class: 'hash' }, r.detail || '')))),
    h('nav', { class: 'pager', 'aria-label': 'Audit pages' },
      doc.newer !== null && doc.newer !== undefined ? [h('a', { href: '#/audit' }, 'Newest'), ' ',
        h('a', { href: doc.newer ? '#/audit/' + doc.newer : '#/audit', id: 'prev-page' },
          'Previous page (newer)')] : null,
      ' ',
      doc.next ? h('a', { href: '#/audit/' + doc.next, id: 'next-page' }, 'Next page (older)') :
        h('span', { class: 'muted' }, 'Oldest row reached')));
}

/* ---- settings ----------------------------------------------------------------------- */

function renderSettings() {
  const p = prefs();
  const check = (id, label, on) => h('p', {}, h('input', { type: 'checkbox', id, checked: on }), ' ',
    h('label', { for: id, class: 'inline' }, label));
  const sel = (id, label, vals, cur) => [h('label', { for: id }, label),
    h('select', { id }, vals.map((v) => h('option', { value: v, selected: String(v) === String(cur) }, String(v))))];
  const form = h('form', { class: 'card' },
    h('p', { class: 'muted' }, 'These are yours only; nobody else\'s change.'),
    check('p-blur', 'Blur pictures until I reveal them', p.blur),
    check('p-grey', 'Show pictures in greyscale', p.greyscale),
    sel('p-reveal', 'Reveal by', ['click', 'hold'], p.reveal),
    sel('p-size', 'Picture size (pixels)', SIZES, p.thumb_size),
    sel('p-break', 'Break reminder after (minutes; 0: none)', [0, 15, 20, 30, 45, 60, 90], p.break_minutes),
    sel('p-scheme', 'Category scheme of the review keys', Object.keys(SCHEMES), p.scheme),
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const np = { blur: $('p-blur').checked, greyscale: $('p-grey').checked, reveal: $('p-reveal').value,
      thumb_size: Number($('p-size').value), break_minutes: Number($('p-break').value), scheme: $('p-scheme').value };
    try { S.prefs = await api('PUT', '/v1/session/prefs', np); say('Saved.'); } catch (x) { say(x.message); }
  });
  page('Settings', form);
}

/* ---- routing ------------------------------------------------------------------------ */

/* Show the page of `hash`: a changed hash renders through its hashchange event, an unchanged
 * one here (rendering both ways drew the page twice, the second time from newer data). */
function go(hash) {
  if (location.hash !== hash) location.hash = hash;
  else render();
}

/* One render at a time, each of the hash current when it starts: a page still waiting for a
 * slow answer must not overwrite, when it arrives, the page a later hash change asked for. */
let rendering = Promise.resolve();
function render() {
  rendering = rendering.then(renderNow, renderNow);
  return rendering;
}

async function renderNow() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] !== 'review') S.review = null;
  if (!S.me) await loadSession();
  if (!S.me || parts[0] === 'signin') {
    if (S.me && parts[0] === 'signin') { location.hash = '#/'; return; }
    renderSignin(parts[0] === 'signin' && S.ended ? S.ended : '');
    return;
  }
  if (role() === 'platform') {
    $('top').hidden = true;
    page('No pages for platform accounts', h('p', {}, 'Platform accounts match hashes with their ' +
      'API key; they cannot open cases, series or media.'));
    return;
  }
  $('top').hidden = false;
  $('who').textContent = S.me.user.name + ' · ' + S.me.role + ' · ' + S.me.agency.name;
  for (const li of document.querySelectorAll('#nav [data-role]')) li.hidden = li.dataset.role !== role();
  counter();
  try {
    switch (parts[0]) {
      case '': await renderDashboard(); break;
      case 'case': await renderCase(parts[1], parts[2]); break;
      case 'review': await renderReview(parts[1]); break;
      case 'series': await renderSeries(parts[1]); break;
      case 'media': await renderMedia(parts[1]); break;
      case 'search': renderSearch(); break;
      case 'admin': await renderAdmin(); break;
      case 'audit': await renderAudit(parts[1]); break;
      case 'settings': renderSettings(); break;
      default: page('Not found', h('p', {}, 'No such page.'));
    }
  } catch (e) {
    if (e.status !== 401) page('Cannot show this page', h('p', { class: 'error-text', role: 'alert' }, e.message));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('signout').addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* signed out either way */ }
    S.me = null;
    S.csrf = null;
    go('#/signin');
  });
  $('break-ok').addEventListener('click', () => { $('break').hidden = true; S.breakBase = Date.now(); });
  document.addEventListener('keydown', reviewKeys);
  window.addEventListener('hashchange', render);
  setInterval(() => S.me && counter(), 30000);
  render();
});
