// tests/web/scenario.js: the browser scenario of tests/web/run.sh (docs/web.md). Environment:
// BASE_MAIN (a server), BASE_IDLE (the same store, --session-idle 2), PLATFORM_KEY, CHROMIUM,
// SHOTS (screenshots folder), AXE (axe.min.js). Exits non-zero on the first failed check.
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');
const path = require('path');

const { BASE_MAIN, BASE_IDLE, PLATFORM_KEY, CHROMIUM, SHOTS, AXE } = process.env;
const PW = 'web-test-password';
const ROOT = path.resolve(__dirname, '../..');
const VIEW = { width: 1280, height: 800 };

let current = null; // the page a failure is reported from
function step(msg) { console.log('web_ui: ' + msg); }

async function newPage(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: VIEW, ...opts });
  const page = await ctx.newPage();
  current = page;
  page.cspErrors = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) page.cspErrors.push(m.text());
  });
  page.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  return page;
}

async function signIn(page, base, name) {
  await page.goto(base + '/');
  await page.fill('#name', name);
  await page.fill('#password', PW);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#top:not([hidden])');
}

async function nav(page, hash, title) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((t) => {
    const h1 = document.querySelector('main h1');
    return h1 && h1.textContent.includes(t);
  }, title);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, name + '.png') });
}

async function main() {
  const browser = await chromium.launch({ executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    // ---- agency A: dashboard, case, review from the keyboard, a new series, identify
    step('A signs in and sees its case');
    const a = await newPage(browser);
    await signIn(a, BASE_MAIN, 'anna');
    await a.waitForSelector('text=A-2026-1');
    await shot(a, 'dashboard');
    await a.click('text=A-2026-1');
    await a.waitForSelector('main h1:has-text("Case")');
    await a.waitForSelector('text=Files (new first)');
    // the whole case counted by class: the seizure's 14 files, 6 of them new
    await a.waitForSelector('main h2:has-text("Classes (15 files)")');
    await a.waitForSelector('main .classes li:has-text("new 7")');
    // the photo, its smaller copy and another of the same camera: one candidate series, with its reasons
    await a.waitForSelector('main .groups li:has-text("3 files: near-duplicate images")');
    // its own pictures, from the thumbnails a default ingest (no --thumbnails) made
    await a.waitForFunction(() => [...document.querySelectorAll('main [data-thumb] img')]
      .some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 10000 });
    await shot(a, 'case');
    const caseId = (await a.evaluate(() => location.hash)).split('/')[2];

    step('A reviews from the keyboard; a revealed picture is blurred again on the next item');
    const groupAsks = []; // the queue asks for its candidate groups in pages, never all at once
    const onAsk = (r) => { if (r.url().includes('/groups')) groupAsks.push(r.url()); };
    a.on('request', onAsk);
    await nav(a, '#/review/' + caseId, 'Review queue');
    await a.waitForSelector('[data-thumb] img');
    a.off('request', onAsk);
    assert.ok(groupAsks.length && groupAsks.every((u) => /[?&]limit=100\b/.test(u)),
      'the queue pages its groups: ' + groupAsks);
    let t = a.locator('[data-thumb]');
    assert.ok((await t.getAttribute('class')).includes('blur'), 'a thumbnail starts blurred');
    await shot(a, 'review');
    await a.keyboard.press('r');
    assert.ok((await t.getAttribute('class')).includes('revealed'), 'r reveals the picture');
    const first = await t.getAttribute('data-thumb');
    await a.keyboard.press('j');
    await a.waitForFunction((h) => {
      const e = document.querySelector('[data-thumb]');
      return e && e.dataset.thumb !== h;
    }, first);
    t = a.locator('[data-thumb]');
    const cls = await t.getAttribute('class');
    assert.ok(cls.includes('blur') && !cls.includes('revealed'), 'the next item is blurred: ' + cls);
    await a.keyboard.press('k');
    await a.waitForFunction((h) => document.querySelector('[data-thumb]').dataset.thumb === h, first);
    await a.waitForSelector('main dd:has-text("3 files")'); // its candidate group
    await a.keyboard.press('g'); // the whole group marked: the vote is for all three
    await a.waitForSelector('#bulk:has-text("3 item(s) marked")');
    await a.keyboard.press('1'); // vics-us 1 on the group, then the next item
    await a.waitForSelector('#status:has-text("Voted vics-us:1 on 3 item(s)")');
    await a.waitForSelector('#undo:has-text("Last action: voted vics-us:1 on 3 item(s)")');
    // undo (Ctrl+Z, or u): the three votes withdrawn, kept on record as such, the item shown again
    await a.keyboard.press('Control+z');
    await a.waitForSelector('#status:has-text("Undone: voted vics-us:1 on 3 item(s) (3 vote(s) withdrawn)")');
    await a.waitForFunction((h) => document.querySelector('[data-thumb]').dataset.thumb === h, first);
    await a.waitForSelector('main td:has-text("withdrawn")');
    await a.waitForSelector('main td:has-text("withdrawal of an earlier vote")');
    await a.waitForSelector('#undo:has-text("Nothing to undo")');
    await a.keyboard.press('g');
    await a.waitForSelector('#bulk:has-text("3 item(s) marked")');
    await a.keyboard.press('1');
    await a.waitForSelector('#status:has-text("Voted vics-us:1 on 3 item(s)")');
    await a.waitForFunction((h) => document.querySelector('[data-thumb]').dataset.thumb !== h, first);
    const second = await a.locator('[data-thumb]').getAttribute('data-thumb');
    assert.notStrictEqual(second, first, 'a vote moves to the next item');
    await a.keyboard.press('n');
    await a.waitForSelector('dialog #ask-value');
    await a.keyboard.type('Series W');
    await a.keyboard.press('Enter');
    await a.waitForSelector('dialog #ask-value');
    await a.keyboard.type('vid@police-a.example');
    await a.keyboard.press('Enter');
    await a.waitForSelector('#status:has-text("Series Series W created")');

    step('A assigns an item to the series and undoes it: the media leaves the series, on record');
    const third = await a.locator('[data-thumb]').getAttribute('data-thumb');
    const inW = (h) => a.evaluate(async (x) => (await (await fetch('/v1/media/' + x)).text())
      .includes('"Series W"'), h);
    await a.keyboard.press('s');
    await a.waitForSelector('dialog #ask-value');
    await a.selectOption('dialog #ask-value', 'Series W');
    await a.click('dialog button[value="ok"]');
    await a.waitForSelector('#status:has-text("Linked 1 item(s) to Series W")');
    await a.waitForSelector('#undo:has-text("Last action: assigned 1 item(s) to series Series W")');
    assert.ok(await inW(third), 'the assigned media is in the series');
    await a.keyboard.press('u');
    await a.waitForSelector('#status:has-text("(1 link(s) unlinked)")');
    await a.waitForFunction((h) => document.querySelector('[data-thumb]').dataset.thumb === h, third);
    assert.ok(!(await inW(third)), 'an undone assignment leaves the media out of the series');
    assert.ok(await inW(second), 'the media of the new series stays in it');
    await a.waitForSelector('#undo:has-text("Last action: new series Series W")');

    step('A adds a victim to the series and identifies it after a confirmation');
    await nav(a, '#/series/Series%20W', 'Series: Series W');
    await a.click('text=Add a victim...');
    await a.waitForSelector('dialog #ask-value');
    await a.keyboard.type('V-W1');
    await a.keyboard.press('Enter');
    await a.waitForSelector('text=Identify V-W1...');
    // unidentified and seen today: first on the dashboard
    await nav(a, '#/', 'Dashboard');
    await a.waitForSelector('main tr:has-text("Series W") .badge.new');
    await nav(a, '#/series/Series%20W', 'Series: Series W');
    await a.click('text=Identify V-W1...');
    await a.waitForSelector('#confirm-yes');
    await shot(a, 'identify-confirm');
    await a.click('#confirm-yes');
    await a.waitForSelector('main .badge.identified');
    await a.click('text=Add a note...');
    await a.waitForSelector('dialog #ask-value');
    await a.keyboard.type('same wallpaper as the reference set');
    await a.keyboard.press('Enter');
    await a.waitForSelector('main td:has-text("same wallpaper as the reference set")');
    // a place clue on the series: drawn on the map over the bundled basemap, and in the list
    const clue = await a.evaluate(async () => {
      const s = await (await fetch('/v1/session')).json();
      return (await fetch('/v1/notes', { method: 'POST', headers: { 'Content-Type': 'application/json',
        'X-CSRF-Token': s.csrf }, body: JSON.stringify({ object_type: 'series', object: 'Series W',
        text: '48.8566,2.3522', clue: 'gps' }) })).status;
    });
    assert.strictEqual(clue, 201);
    await a.reload();
    await a.waitForSelector('main h1:has-text("Series: Series W")');
    await a.waitForSelector('main .places-list li:has-text("48.856600, 2.352200 · the series")');
    await a.waitForSelector('#places-map .basemap path.land');
    assert.ok(await a.locator('#places-map .pt circle').count() >= 1, 'a marker on the map');
    assert.ok(await a.locator('#places-map .basemap text:has-text("France")').count() === 1,
      'the basemap names the country around the place');
    await a.locator('#places-title').scrollIntoViewIfNeeded();
    await a.evaluate(() => document.getElementById('places-title').scrollIntoView());
    await shot(a, 'series-map');
    await a.evaluate(() => window.scrollTo(0, 0));
    const att = await a.evaluate(async () => (await (await fetch('/v1/attention')).json()).series.map((x) => x.name));
    assert.ok(!att.includes('Series W'), 'an identified series needs no action: ' + att);
    await shot(a, 'series');

    step('A opens the media page and searches by file');
    await nav(a, '#/media/' + second, 'Media');
    await a.waitForSelector('text=Custody: my agency\'s sightings');
    await a.waitForSelector('main td:has-text("EX-1 laptop")');
    await shot(a, 'media');
    // the media page lists a withdrawn vote as such, beside its withdrawal and the vote that counts
    await nav(a, '#/media/' + first, 'Media');
    await a.waitForSelector('main td:has-text("withdrawal of an earlier vote")');
    await a.waitForSelector('main td:has-text("withdrawn")');
    await a.waitForSelector('main td:has-text("counts")');
    await nav(a, '#/search', 'Search');
    await a.setInputFiles('#file', path.join(ROOT, 'samples/seizure/IMG_0001.jpg'));
    await a.waitForSelector('#search-out dt:has-text("SHA-256")');
    await shot(a, 'search');
    await nav(a, '#/settings', 'Settings');
    await shot(a, 'settings');

    step('a change without the CSRF header is refused; with it, it passes');
    const csrf = await a.evaluate(async () => {
      const no = await fetch('/v1/series', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Forged' }) });
      const s = await (await fetch('/v1/session')).json();
      const yes = await fetch('/v1/series', { method: 'POST', headers: { 'Content-Type': 'application/json',
        'X-CSRF-Token': s.csrf }, body: JSON.stringify({ name: 'Series CSRF' }) });
      return [no.status, yes.status];
    });
    assert.deepStrictEqual(csrf, [403, 201]);
    assert.deepStrictEqual(a.cspErrors, [], 'no Content-Security-Policy violation');

    // ---- agency B: the series known-identified, with A's contact; no pixels of A's material
    step('B sees the series identified, with A\'s contact, and no picture of A\'s evidence');
    const b = await newPage(browser);
    await signIn(b, BASE_MAIN, 'ben');
    await nav(b, '#/series/Series%20W', 'Series: Series W');
    await b.waitForSelector('main dd:has-text("vid@police-a.example")');
    await b.waitForSelector('main dd:has-text("Police A")');
    await b.waitForSelector('main .badge.identified');
    await b.waitForSelector('main td:has-text("same wallpaper as the reference set")'); // shared
    await b.waitForSelector('main tr:has-text("Police A") >> nth=0');
    assert.ok(await b.locator('main table >> nth=0').locator('td:has-text("Police A")').count() >= 1,
      'B sees the series seen by Police A (counts only)');
    await nav(b, '#/media/' + second, 'Media');
    await b.waitForSelector('main .badge.known-identified');
    await b.waitForSelector('main td:has-text("vid@police-a.example")');
    await b.waitForSelector('text=no picture held by your agency');
    assert.strictEqual(await b.locator('main td:has-text("EX-1 laptop")').count(), 0,
      'B sees no custody data of A');
    const thumbStatus = await b.evaluate(async (h) => (await fetch('/v1/media/' + h + '/thumb')).status, second);
    assert.strictEqual(thumbStatus, 404, 'B gets no thumbnail of A\'s evidence');
    const caseStatus = await b.evaluate(async (id) => [(await fetch('/v1/cases/' + id + '/summary')).status,
      (await fetch('/v1/cases/' + id + '/files')).status], caseId);
    assert.deepStrictEqual(caseStatus, [403, 403], 'B reads nothing of A\'s case');

    // ---- a platform: no page, by key or by password
    step('a platform key opens no page; a platform user cannot sign in');
    const p = await newPage(browser, { extraHTTPHeaders: { Authorization: 'Bearer ' + PLATFORM_KEY } });
    await p.goto(BASE_MAIN + '/');
    await p.waitForSelector('h1:has-text("No pages for platform accounts")');
    const pst = await p.evaluate(async () => [(await fetch('/v1/cases')).status,
      (await fetch('/v1/series')).status]);
    assert.deepStrictEqual(pst, [403, 403]);
    const p2 = await newPage(browser);
    await p2.goto(BASE_MAIN + '/');
    await p2.fill('#name', 'robot');
    await p2.fill('#password', PW);
    await p2.press('#password', 'Enter');
    await p2.waitForSelector('[role=alert]:has-text("refused")');

    // ---- the idle timeout
    step('an idle session ends');
    const i = await newPage(browser);
    await signIn(i, BASE_IDLE, 'anna');
    await i.waitForTimeout(3500);
    await i.reload();
    await i.waitForSelector('#password');

    // ---- admin and auditor pages
    step('admin and auditor pages');
    const ad = await newPage(browser);
    await signIn(ad, BASE_MAIN, 'adam');
    await nav(ad, '#/admin', 'Admin');
    await ad.waitForSelector('main td:has-text("anna")');
    // the list of lists: a new list, granted to the platform, then the grant revoked
    await ad.fill('#l-name', 'web-list');
    await ad.fill('#l-desc', 'made on the admin page');
    await ad.click('main button:has-text("Create")');
    await ad.waitForSelector('main tr:has-text("web-list"):has-text("made on the admin page"):has-text("no platform")');
    const row = ad.locator('main tr:has-text("web-list")');
    await row.locator('input').fill('Platform Co');
    await row.locator('button:has-text("Grant")').click();
    await ad.waitForSelector('main tr:has-text("web-list") li:has-text("Platform Co")');
    await shot(ad, 'admin');
    await ad.click('main button:has-text("Revoke Platform Co...")');
    await ad.click('#confirm-yes');
    await ad.waitForSelector('main tr:has-text("web-list"):has-text("no platform")');
    const au = await newPage(browser);
    await signIn(au, BASE_MAIN, 'audrey');
    await au.waitForSelector('main h1:has-text("Audit log")');
    // newest first; Next goes to older rows, Previous back to the newer ones
    const seqs = async () => (await au.$$eval('main tbody tr', (trs) =>
      trs.map((tr) => Number(tr.querySelector('td').textContent))));
    const top = await seqs();
    assert.ok(top.length === 100 && top.every((v, k) => k === 0 || v === top[k - 1] - 1),
      'the audit page is the newest 100 rows, newest first: ' + top.slice(0, 5));
    assert.strictEqual(await au.locator('#prev-page').count(), 0, 'no newer page than the newest');
    await au.click('#next-page');
    await au.waitForFunction((t) => Number(document.querySelector('main tbody tr td').textContent) === t,
      top[99] - 1);
    await au.click('#prev-page');
    // back to the rows shown first (the newest page may have grown since: reads are audited)
    await au.waitForFunction((t) => [...document.querySelectorAll('main tbody tr')].some((tr) =>
      Number(tr.querySelector('td').textContent) === t) &&
      Number(document.querySelector('main tbody tr td').textContent) >= t, top[0]);
    // the identification is some rows down (how many come after it varies with the batching
    // of audited reads): follow "Next page" (older) until it shows
    for (let i = 0; i < 20 && !(await au.$('main td:has-text("victim.identify")')); i++) {
      const next = await au.$('main a:has-text("Next page")');
      if (!next) break;
      const before = await au.textContent('main tbody tr td');
      await next.click();
      await au.waitForFunction((b) => {
        const td = document.querySelector('main tbody tr td');
        return td && td.textContent !== b;
      }, before);
    }
    await au.waitForSelector('main td:has-text("victim.identify")');
    await au.click('text=Verify the chain');
    await au.waitForSelector('main p:has-text("rows")');
    await shot(au, 'audit');

    // ---- wellness preferences: per person, kept by the server; the break reminder
    step('preferences are per person; the break reminder comes after the time set');
    const w = await newPage(browser);
    await w.clock.install();
    await signIn(w, BASE_MAIN, 'anna');
    await nav(w, '#/settings', 'Settings');
    await w.uncheck('#p-blur');
    await w.selectOption('#p-break', '15');
    await w.click('main button:has-text("Save")');
    await w.waitForSelector('#status:has-text("Saved.")');
    await nav(w, '#/media/' + second, 'Media');
    await w.waitForSelector('[data-thumb] img');
    assert.ok(!(await w.locator('[data-thumb]').getAttribute('class')).includes('blur'),
      'anna chose no blur');
    await nav(ad, '#/media/' + second, 'Media'); // adam, same agency: his defaults are untouched
    await ad.waitForSelector('[data-thumb] img');
    assert.ok((await ad.locator('[data-thumb]').getAttribute('class')).includes('blur'),
      'another person keeps the blurred default');
    assert.ok(await w.locator('#break').isHidden(), 'no reminder yet');
    await w.clock.fastForward('16:00');
    await w.waitForSelector('#break:not([hidden]) #break-text:has-text("break")');
    await w.click('#break-ok');
    assert.ok(await w.locator('#break').isHidden());

    // ---- accessibility: axe-core on every page (its script injected: CSP bypassed here only)
    step('axe-core on every page');
    const x = await newPage(browser, { bypassCSP: true });
    await signIn(x, BASE_MAIN, 'anna');
    const pages = [['#/', 'Dashboard'], ['#/case/' + caseId, 'Case'], ['#/review/' + caseId, 'Review'],
      ['#/series/Series%20W', 'Series'], ['#/media/' + second, 'Media'], ['#/search', 'Search'],
      ['#/settings', 'Settings']];
    const bad = [];
    for (const [hash, title] of pages) {
      await nav(x, hash, title);
      await x.waitForLoadState('networkidle');
      if (!(await x.evaluate(() => !!window.axe))) await x.addScriptTag({ path: AXE });
      const v = await x.evaluate(async () => (await window.axe.run(document)).violations
        .map((r) => ({ id: r.id, impact: r.impact, nodes: r.nodes.length })));
      for (const r of v) if (r.impact === 'serious' || r.impact === 'critical') bad.push(hash + ': ' + JSON.stringify(r));
      if (v.length) step('  ' + hash + ': minor: ' + JSON.stringify(v.filter((r) => r.impact !== 'serious' && r.impact !== 'critical')));
    }
    assert.deepStrictEqual(bad, [], 'serious accessibility violations');
    // ---- merging two series (docs/web.md "Series page"): A asks, B's owner consents
    step('A asks to merge Series W into B\'s Series Z; B sees who must consent and consents');
    const ma = await newPage(browser);
    await signIn(ma, BASE_MAIN, 'anna');
    await nav(ma, '#/series/Series%20W', 'Series: Series W');
    await ma.click('main .merges button:has-text("Merge with another series")');
    await ma.selectOption('#ask-value', 'Series Z');
    await ma.click('dialog button:has-text("OK")');
    await ma.waitForSelector('#ask-title:has-text("Which series stays?")');
    await ma.selectOption('#ask-value', 'Series Z');
    await ma.click('dialog button:has-text("OK")');
    await ma.waitForSelector('#confirm-title:has-text("Merge Series W into Series Z?")');
    await ma.click('#confirm-yes');
    await ma.waitForSelector('#status:has-text("waiting for Police B")');
    await ma.waitForSelector('main .merges tr:has-text("Series W into Series Z") td:has-text("awaited (Police B)")');
    const mb = await newPage(browser);
    await signIn(mb, BASE_MAIN, 'ben');
    await nav(mb, '#/series/Series%20Z', 'Series: Series Z');
    await mb.waitForSelector('main .merges tr:has-text("Series W into Series Z") td:has-text("Police B")');
    await mb.click('main .merges button:has-text("Consent to merge Series W into Series Z")');
    await mb.click('#confirm-yes');
    await mb.waitForSelector('#status:has-text("Series W merged into Series Z.")');
    await mb.waitForSelector('main .merges p:has-text("Merged into this series: Series W")');
    current = ma;
    await ma.reload(); // the same address: read again
    await ma.waitForSelector('main .merges p:has-text("Merged into Series Z")');
    assert.strictEqual(await ma.locator('main .merges button').count(), 0, 'a merged series offers no merge');

    step('all checks passed');
  } catch (e) {
    if (current) {
      const text = await current.evaluate(() => document.body.innerText).catch(() => '?');
      console.error('web_ui: the page said:\n' + text.slice(0, 3000));
      await current.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => {});
    }
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error('web_ui: FAILED: ' + (e && e.stack || e)); process.exit(1); });
