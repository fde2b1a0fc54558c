/* The report page's script (vmm/report/report.js, embedded in the page by
 * report_html.c).  It draws step S.step of the data as an SVG strip on a
 * compressed scale, and writes its state into <body data-*> so that a
 * headless browser's DOM dump shows what it drew (tests/report).
 * URL hash: #step=N&view=LO-HI&keys=K1,K2&click=B1,B2 (keys and clicks are
 * replayed once, through the same handlers, after load). */
'use strict';
/* Top-level code (no wrapper function): the page has no other script. */
{
  const body = document.body;
  const errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message));
    body.dataset.errors = String(errors.length);
  });
  const D = JSON.parse(document.getElementById('data').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const PAGE = 4096;
  const LEFT = 78;          /* row names */
  const GAPW = 34;          /* width of an empty stretch */
  const ROWS = { axis: 14, vma: 34, anon: 80, pages: 98, t1: 130, t2: 148, t3: 166, end: 184 };
  const S = { step: 0, lo: D.window[0], hi: D.window[1], zooms: [], history: [] };
  const steps = D.steps;

  function $(id) { return document.getElementById(id); }
  function hex(n) { return '0x' + n.toString(16); }
  function size(n) {
    const u = [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 1024]];
    for (const [s, v] of u) if (n >= v) return (n % v === 0 ? n / v : (n / v).toFixed(1)) + s;
    return n + 'B';
  }
  function prot(f) { return (f & 1 ? 'r' : '-') + (f & 2 ? 'w' : '-') + (f & 4 ? 'x' : '-'); }
  function protClass(f) {
    const p = prot(f).replace(/-/g, '');
    return 'p-' + (p === '' ? 'none' : p);
  }
  function kindClass(k) {
    if (k & 8) return 'k-protnone';
    if (k & 4) return 'k-zero';
    if (k & 2) return 'k-shared';
    return k & 1 ? 'k-priv' : 'k-ro';
  }
  function kindName(k) {
    const n = { 'k-protnone': 'PROT_NONE', 'k-zero': 'zero page', 'k-shared': 'shared frame',
                'k-priv': 'private, writable', 'k-ro': 'read-only' }[kindClass(k)];
    return n + (k & 16 ? ', 2M page' : '');
  }
  function el(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function tip(e, text) { e.appendChild(el('title', {}, text)); return e; }

  /* ---- the compressed scale ---- */
  /* Intervals that take room on the scale (VMAs, present pages, changes of
   * those), and page-table spans, whose ends are only marked. */
  function intervals(st, out, marks) {
    for (const v of st.vmas) out.push([v[0], v[1]]);
    for (const p of st.pages) out.push([p[0], p[1]]);
    for (const c of st.changes) if (c[2] & 3) out.push([c[0], c[1]]);
    for (const t of st.tables) if (t[2] === 1) marks.push([t[0], t[0] + t[1]]);
  }
  function layoutSteps() {
    /* The same scale for every step when it stays legible, so that an
     * address keeps its place while stepping; else this step and the last. */
    let n = 0;
    for (const st of steps) n += st.vmas.length + st.pages.length;
    if (n <= 3000) return steps;
    return S.step > 0 ? [steps[S.step - 1], steps[S.step]] : [steps[S.step]];
  }
  function buildScale(width) {
    const lo = S.lo, hi = S.hi, ivs = [], marks = [];
    for (const st of layoutSteps()) intervals(st, ivs, marks);
    const set = new Set([lo, hi]);
    for (const [a, b] of ivs.concat(marks)) {
      if (a > lo && a < hi) set.add(a);
      if (b > lo && b < hi) set.add(b);
    }
    const pts = Array.from(set).sort((a, b) => a - b);
    const used = new Array(pts.length - 1).fill(false);
    for (const [a, b] of ivs) {
      for (let i = findSeg(pts, Math.max(a, lo)); i < used.length && pts[i] < b; i++) used[i] = true;
    }
    const w = used.map((u, i) => segWidth(u, pts[i + 1] - pts[i]));
    const total = w.reduce((s, x) => s + x, 0);
    const f = (width - LEFT - 8) / total;
    const xs = [LEFT];
    for (let i = 0; i < w.length; i++) { w[i] *= f; xs.push(xs[i] + w[i]); }
    return { pts, used, w, xs, x: a => xAt(pts, xs, a) };
  }
  function segWidth(used, len) {
    if (!used) return GAPW;
    const pages = Math.max(1, len / PAGE);
    return 14 * Math.min(pages, 16) + 40 * Math.log2(Math.max(1, pages / 16));
  }
  function findSeg(pts, a) {
    let lo = 0, hi = pts.length - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (pts[m + 1] <= a) lo = m + 1; else hi = m;
    }
    return Math.min(lo, pts.length - 2);
  }
  function xAt(pts, xs, a) {
    if (a <= pts[0]) return xs[0];
    if (a >= pts[pts.length - 1]) return xs[xs.length - 1];
    const i = findSeg(pts, a);
    return xs[i] + (a - pts[i]) / (pts[i + 1] - pts[i]) * (xs[i + 1] - xs[i]);
  }
  function addrAt(sc, x) {
    for (let i = 0; i + 1 < sc.xs.length; i++) {
      if (x <= sc.xs[i + 1]) {
        const f = (x - sc.xs[i]) / Math.max(1e-9, sc.xs[i + 1] - sc.xs[i]);
        return sc.pts[i] + Math.round(f * (sc.pts[i + 1] - sc.pts[i]) / PAGE) * PAGE;
      }
    }
    return sc.pts[sc.pts.length - 1];
  }

  /* ---- drawing ---- */
  function span(sc, a, b) {
    const x0 = sc.x(Math.max(a, S.lo)), x1 = sc.x(Math.min(b, S.hi));
    return [x0, Math.max(x1 - x0, 1)];
  }
  function visible(a, b) { return b > S.lo && a < S.hi; }
  function drawGaps(svg, sc) {
    for (let i = 0; i < sc.used.length; i++) {
      if (sc.used[i]) continue;
      const x = sc.xs[i], w = sc.w[i];
      svg.appendChild(tip(el('rect', { class: 'gap', x, y: ROWS.vma, width: w, height: ROWS.end - ROWS.vma }),
        'nothing in ' + hex(sc.pts[i]) + '-' + hex(sc.pts[i + 1]) + ' (' + size(sc.pts[i + 1] - sc.pts[i]) + ', compressed)'));
      svg.appendChild(el('line', { class: 'gapline', x1: x + w / 2, x2: x + w / 2, y1: ROWS.vma, y2: ROWS.end }));
      if (w > 24) svg.appendChild(el('text', { x: x + 2, y: ROWS.end + 12 }, '≈' + size(sc.pts[i + 1] - sc.pts[i])));
    }
  }
  function drawAxis(svg, sc) {
    let last = -1e9, row = 0;
    for (let i = 0; i < sc.pts.length; i++) {
      const x = sc.xs[i];
      if (x - last < 64 && i !== 0) { if (++row > 1) continue; } else row = 0;
      if (row === 0) last = x;
      svg.appendChild(el('line', { class: 'gapline', x1: x, x2: x, y1: ROWS.axis + 2 + row * 11, y2: ROWS.vma }));
      svg.appendChild(el('text', { x: x + 2, y: ROWS.axis + row * 11 }, sc.pts[i].toString(16)));
    }
  }
  function drawVmas(svg, sc, st) {
    for (const v of st.vmas) {
      if (!visible(v[0], v[1])) continue;
      const [x, w] = span(sc, v[0], v[1]);
      const r = el('rect', { class: 'vma ' + protClass(v[2]), x, y: ROWS.vma, width: w, height: 40 });
      tip(r, 'VMA ' + hex(v[0]) + '-' + hex(v[1]) + ' ' + prot(v[2]) + ' (' + size(v[1] - v[0]) +
        ')\nflags ' + hex(v[2]) + (v[3] ? '\nanon_vma #' + v[3] : '\nno anon_vma'));
      r.addEventListener('click', () => zoomTo(v[0], v[1]));
      svg.appendChild(r);
      if (w > 30) svg.appendChild(el('text', { class: 'in', x: x + 3, y: ROWS.vma + 14 }, prot(v[2]) + (v[2] & 0x2000 ? ' L' : '')));
      if (w > 90) svg.appendChild(el('text', { class: 'in', x: x + 3, y: ROWS.vma + 28 }, size(v[1] - v[0])));
      if (v[3]) {
        const a = el('rect', { x, y: ROWS.anon, width: w, height: 12, fill: anonColor(v[3]), stroke: '#333', 'stroke-width': 0.5 });
        svg.appendChild(tip(a, 'anon_vma #' + v[3] + ' (VMAs with the same number share it)'));
        if (w > 34) svg.appendChild(el('text', { class: 'in', x: x + 3, y: ROWS.anon + 10 }, 'av' + v[3]));
      }
    }
  }
  function strHash(s) {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
    return h.toString(16);
  }
  function anonColor(n) { return 'hsl(' + ((n * 67) % 360) + ',55%,42%)'; }
  function drawPages(svg, sc, st) {
    let ticks = 0;
    for (const p of st.pages) {
      if (!visible(p[0], p[1])) continue;
      const [x, w] = span(sc, p[0], p[1]);
      const n = (Math.min(p[1], S.hi) - Math.max(p[0], S.lo)) / PAGE;
      svg.appendChild(tip(el('rect', { class: 'pg ' + kindClass(p[2]), x, y: ROWS.pages, width: w, height: 26 }),
        'present ' + hex(p[0]) + '-' + hex(p[1]) + ': ' + (p[1] - p[0]) / PAGE + ' pages, ' + kindName(p[2])));
      if (w / n >= 6 && n > 1 && ticks < 4000) {
        for (let i = 1; i < n; i++, ticks++) {
          const tx = sc.x(Math.max(p[0], S.lo) + i * PAGE);
          svg.appendChild(el('line', { class: 'tick', x1: tx, x2: tx, y1: ROWS.pages, y2: ROWS.pages + 26 }));
        }
      }
    }
  }
  function drawTables(svg, sc, st) {
    const names = { 1: 'PT', 2: 'PD', 3: 'PDPT' }, ys = { 1: ROWS.t1, 2: ROWS.t2, 3: ROWS.t3 };
    for (const t of st.tables) {
      if (!visible(t[0], t[0] + t[1])) continue;
      const [x, w] = span(sc, t[0], t[0] + t[1]);
      const r = el('rect', { class: 'tbl', x, y: ys[t[2]], width: w, height: 14 });
      svg.appendChild(tip(r, names[t[2]] + ' page for ' + hex(t[0]) + '-' + hex(t[0] + t[1]) + ': ' + t[3] + ' of 512 entries used'));
      if (w > 44) svg.appendChild(el('text', { x: x + 3, y: ys[t[2]] + 11 }, t[3] + '/512'));
    }
  }
  function drawChanges(svg, sc, st) {
    let n = 0;
    for (const c of st.changes) {
      if (!visible(c[0], c[1])) continue;
      const [x, w] = span(sc, c[0], c[1]);
      const y = c[2] & 3 ? ROWS.vma - 3 : ROWS.t1 - 3;
      const r = el('rect', { class: 'chg', x: x - 1, y, width: Math.max(w + 2, 4), height: ROWS.end - y + 3 });
      svg.appendChild(r);
      svg.appendChild(el('path', { class: 'chgmark', d: 'M' + (x + w / 2 - 5) + ' ' + (ROWS.vma - 12) + ' h10 l-5 7 z' }));
      n++;
    }
    return n;
  }
  function drawRowNames(svg) {
    const rows = [['VMAs', ROWS.vma + 24], ['anon_vma', ROWS.anon + 10], ['pages', ROWS.pages + 17],
                  ['PT', ROWS.t1 + 11], ['PD', ROWS.t2 + 11], ['PDPT', ROWS.t3 + 11]];
    for (const [t, y] of rows) svg.appendChild(el('text', { class: 'rowname', x: 4, y }, t));
  }
  function drawStrip() {
    const box = $('stripbox');
    const width = Math.max(box.clientWidth || 1000, 700);
    const st = steps[S.step];
    const svg = el('svg', { id: 'strip', width, height: ROWS.end + 18, viewBox: '0 0 ' + width + ' ' + (ROWS.end + 18) });
    const sc = buildScale(width);
    drawRowNames(svg);
    drawGaps(svg, sc);
    drawAxis(svg, sc);
    drawTables(svg, sc, st);
    drawVmas(svg, sc, st);
    drawPages(svg, sc, st);
    const nch = drawChanges(svg, sc, st);
    box.replaceChildren(svg);
    S.scale = sc;
    body.dataset.changes = String(nch);
    body.dataset.shapes = String(svg.querySelectorAll('rect').length);
    /* What was drawn, per drawing (the last 20): "STEP:HASH". */
    S.history.push((S.step + 1) + ':' + strHash(svg.outerHTML));
    if (S.history.length > 20) S.history.shift();
    body.dataset.history = S.history.join(' ');
  }

  /* ---- the text panels ---- */
  function li(text, cls) { const e = document.createElement('li'); e.textContent = text; if (cls) e.className = cls; return e; }
  function drawText() {
    const st = steps[S.step];
    $('pos').textContent = 'step ' + (S.step + 1) + ' of ' + steps.length;
    $('line').textContent = st.line === '' ? '(no transcript line)' : st.line.replace(/\n$/, '');
    $('trace').textContent = st.trace === null ? '(no trace for this step)' : st.trace;
    $('note').textContent = st.note;
    const c = st.counts;
    $('counts').textContent = 'mm ' + st.mm + ': ' + c[3] + ' VMAs, ' + c[0] + ' present private pages, ' +
      c[1] + ' zero-page PTEs, ' + c[2] + ' page-table pages (whole address space)';
    const ul = $('changes');
    ul.replaceChildren();
    for (const ch of st.changes) {
      const what = [ch[2] & 1 ? 'VMA' : '', ch[2] & 2 ? 'pages' : '', ch[2] & 4 ? 'page tables' : ''].filter(Boolean).join(', ');
      ul.appendChild(li(hex(ch[0]) + '-' + hex(ch[1]) + ' (' + size(ch[1] - ch[0]) + '): ' + what));
    }
    if (!st.changes.length) ul.appendChild(li(S.step ? 'nothing changed in the window' : 'nothing in the window'));
    for (const e of $('steps').children) e.classList.toggle('cur', +e.dataset.i === S.step);
    const cur = $('steps').children[S.step];
    if (cur && cur.scrollIntoView && $('steps').scrollHeight > $('steps').clientHeight) cur.scrollIntoView({ block: 'nearest' });
  }
  function render() {
    if (!steps.length) { $('pos').textContent = 'no steps'; body.dataset.ready = '1'; return; }
    drawText();
    drawStrip();
    $('first').disabled = $('prev').disabled = S.step === 0;
    $('last').disabled = $('next').disabled = S.step === steps.length - 1;
    $('zout').disabled = !S.zooms.length;
    $('view').textContent = hex(S.lo) + '-' + hex(S.hi);
    body.dataset.step = String(S.step + 1);
    body.dataset.view = hex(S.lo) + '-' + hex(S.hi);
    body.dataset.ready = '1';
  }

  /* ---- actions ---- */
  function go(i) { S.step = Math.max(0, Math.min(steps.length - 1, i)); render(); }
  function zoomTo(a, b) {
    const pad = Math.max(PAGE, Math.round((b - a) / 8 / PAGE) * PAGE);
    a = Math.max(D.window[0], a - pad); b = Math.min(D.window[1], b + pad);
    if (b - a < 4 * PAGE || (a === S.lo && b === S.hi)) return;
    S.zooms.push([S.lo, S.hi]); S.lo = a; S.hi = b; render();
  }
  function zoomIn() {
    const sc = S.scale, x0 = sc.xs[0], x1 = sc.xs[sc.xs.length - 1];
    zoomTo(addrAt(sc, x0 + (x1 - x0) / 4), addrAt(sc, x0 + 3 * (x1 - x0) / 4));
  }
  function zoomOut() { if (S.zooms.length) { [S.lo, S.hi] = S.zooms.pop(); render(); } }
  function zoomReset() { S.zooms = []; S.lo = D.window[0]; S.hi = D.window[1]; render(); }
  function zoomChanges() {
    const ch = steps[S.step].changes;
    if (ch.length) zoomTo(ch[0][0], ch[ch.length - 1][1]);
  }
  const buttons = { first: () => go(0), prev: () => go(S.step - 1), next: () => go(S.step + 1),
    last: () => go(steps.length - 1), zin: zoomIn, zout: zoomOut, zreset: zoomReset, zchg: zoomChanges };
  const keys = { ArrowLeft: 'prev', ArrowRight: 'next', k: 'prev', j: 'next', ' ': 'next', Home: 'first',
    End: 'last', '+': 'zin', '=': 'zin', '-': 'zout', '0': 'zreset', z: 'zchg' };
  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || !keys[e.key] || !steps.length) return;
    e.preventDefault();
    buttons[keys[e.key]]();
  }

  /* ---- set-up ---- */
  function fillSteps() {
    const ol = $('steps');
    steps.forEach((st, i) => {
      const e = li((st.line.split('\n')[0] || '(no transcript line)'));
      e.dataset.i = String(i);
      e.addEventListener('click', () => go(i));
      ol.appendChild(e);
    });
  }
  function fillLegend() {
    const items = [['p-rw', 'VMA rw-'], ['p-r', 'VMA r--'], ['p-rx', 'VMA r-x'], ['p-rwx', 'VMA rwx'],
      ['p-none', 'VMA ---'], ['k-priv', 'page: private, writable'], ['k-ro', 'page: read-only'],
      ['k-shared', 'page: frame mapped more than once'], ['k-zero', 'page: zero page'],
      ['k-protnone', 'page: PROT_NONE'], ['tbl', 'page-table page'], ['chg', 'changed since the previous step']];
    const lg = $('legend');
    for (const [cls, text] of items) {
      const s = document.createElement('span');
      const sw = document.createElement('i');
      sw.className = 'sw-' + cls;
      s.append(sw, text);
      lg.appendChild(s);
    }
  }
  function fillLimits() {
    const l = $('limits');
    l.textContent = 'This report keeps at most ' + D.max_steps + ' steps and ' + size(D.max_bytes) +
      ' of step data' + (D.dropped ? ': ' + D.dropped + ' later steps were not kept.' : '; every step is here.');
    if (D.dropped) l.className = 'warn';
  }
  function applyHash() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    if (h.has('view')) {
      const m = /^(?:0x)?([0-9a-f]+)-(?:0x)?([0-9a-f]+)$/i.exec(h.get('view'));
      if (m && parseInt(m[1], 16) < parseInt(m[2], 16)) { S.lo = parseInt(m[1], 16); S.hi = parseInt(m[2], 16); }
    }
    if (h.has('step')) S.step = Math.max(0, Math.min(steps.length - 1, (parseInt(h.get('step'), 10) || 1) - 1));
    render();
    for (const k of (h.get('keys') || '').split(',').filter(Boolean))
      document.dispatchEvent(new KeyboardEvent('keydown', { key: k === 'Space' ? ' ' : k, bubbles: true, cancelable: true }));
    for (const b of (h.get('click') || '').split(',').filter(Boolean))
      if ($(b)) $(b).click();
  }
  $('title').textContent = 'vmm report: ' + D.title;
  body.dataset.steps = String(steps.length);
  body.dataset.errors = String(errors.length);
  for (const id in buttons) $(id).addEventListener('click', buttons[id]);
  document.addEventListener('keydown', onKey);
  window.addEventListener('resize', () => steps.length && drawStrip());
  fillSteps();
  fillLegend();
  fillLimits();
  applyHash();
}
