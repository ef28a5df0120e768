/* benchbot publish: the script of the site's pages (overview, series, compare).
 *
 * Data comes from data/*.js files (window.BB_CATALOG, BB_SERIES, BB_RUNS), loaded by
 * <script> tags, so the pages work from file:// and load nothing from the network.
 * Each view's state (filters, series, runs) lives in the URL's hash: a permalink.
 * window.BB.ready resolves once the page has drawn what its hash asks for.
 */
(function () {
  'use strict';
  const BB = (window.BB = {});
  let markReady;
  BB.ready = new Promise((resolve) => {
    markReady = () => { BB.readyAt = BB.readyAt || performance.now(); resolve(); };
  });
  const cat = window.BB_CATALOG || { series: [], runs: [] };
  const main = document.getElementById('main');
  const bySeries = new Map(cat.series.map((s) => [s.id, s]));
  const NS = 'http://www.w3.org/2000/svg';
  const FILTERS = [['model', 'Model', (s) => s.model], ['device', 'Device', (s) => s.device],
    ['runtime', 'Runtime', (s) => s.runtime], ['precision', 'Precision', (s) => s.precision]];
  const FLAGGED = ['slower', 'uncertain', 'faster'];

  function el(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const kid of kids) {
      if (kid !== null && kid !== undefined) {
        node.append(kid instanceof Node ? kid : String(kid));
      }
    }
    return node;
  }

  function hashState() {
    const out = {};
    for (const part of location.hash.replace(/^#/, '').split('&')) {
      if (!part) continue;
      const i = part.indexOf('=');
      const key = decodeURIComponent(i < 0 ? part : part.slice(0, i));
      out[key] = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    }
    return out;
  }

  function setHash(state) {
    const q = Object.entries(state).filter(([, v]) => v !== '' && v !== null && v !== undefined)
      .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
    history.replaceState(null, '', q ? '#' + q : location.pathname + location.search);
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1) return (ms * 1000).toPrecision(3) + ' µs';
    if (ms >= 1000) return (ms / 1000).toPrecision(4) + ' s';
    return ms.toPrecision(4) + ' ms';
  }

  function pct(x) {
    return x === null || x === undefined ? '' : (x >= 0 ? '+' : '') + (x * 100).toFixed(1) + '%';
  }

  function configText(s) {
    return `${s.runtime}/${s.backend} t${s.threads} b${s.batch} ${s.precision}` +
      (s.int8_mode ? ' ' + s.int8_mode : '') + (s.runner !== 'agent' ? ' ' + s.runner : '');
  }

  function seriesTitle(s) {
    return `${s.model} on ${s.label || s.device}, ${configText(s)}`;
  }

  function seriesHref(id) { return 'series.html#s=' + encodeURIComponent(id); }
  function runHref(id) { return 'runs/' + encodeURIComponent(id) + '.html'; }
  function shortCommit(c) { return c ? c.slice(0, 10) : 'no commit'; }
  function when(t) { return t.slice(0, 16).replace('T', ' '); }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = () => reject(new Error('cannot load ' + src + ': publish the site again'));
      document.head.appendChild(tag);
    });
  }

  function filterBar(state, onChange, extra) {
    const bar = el('div', { class: 'filters' });
    for (const [key, title, get] of FILTERS) {
      const sel = el('select', { id: 'filter-' + key, 'data-filter': key },
        el('option', { value: '' }, 'all'));
      for (const v of [...new Set(cat.series.map(get))].sort()) {
        sel.append(el('option', { value: v }, v));
      }
      sel.value = state[key] || '';
      sel.addEventListener('change', () => { state[key] = sel.value; onChange(); });
      bar.append(el('label', {}, title, sel));
    }
    for (const node of extra || []) bar.append(node);
    return bar;
  }

  function kept(state, s) {
    return FILTERS.every(([k, , get]) => !state[k] || String(get(s)) === state[k]);
  }

  function spark(values) {
    const w = 96, h = 22;
    if (values.length < 2) return null;
    const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
    const d = values.map((v, i) => (i ? 'L' : 'M') +
      (1 + i * (w - 2) / (values.length - 1)).toFixed(1) + ',' +
      (h - 1 - (v - lo) / span * (h - 2)).toFixed(1)).join('');
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('width', w);
    svg.setAttribute('height', h);
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
    return svg;
  }

  // ------------------------------------------------------------------ overview
  function overview() {
    const state = hashState();
    const last = cat.runs.length ? cat.runs[cat.runs.length - 1] : null;
    const verdicts = el('section', { id: 'latest-verdicts' });
    const grid = el('div', { id: 'grid' });
    main.append(el('h1', {}, 'Latency history'),
      el('p', { class: 'lede' }, `${cat.series.length} series over ${cat.runs.length} runs` +
        (last ? `; latest run ${last[0]} (${when(last[1])} UTC, ${shortCommit(last[2])})` : '') +
        '. Each cell: the latest median († not valid), its change against the previous run ' +
        'and the last runs. Click a cell for its series.'),
      verdicts, filterBar(state, render), grid);

    function render() {
      setHash(state);
      const shown = cat.series.filter((s) => kept(state, s));
      // uncertain: only where the estimate is past the threshold (a suspect, as nightly's)
      const flagged = shown.filter((s) => s.verdict && FLAGGED.includes(s.verdict[0]) &&
        (s.verdict[0] !== 'uncertain' || Math.abs(s.verdict[1]) > s.verdict[4]))
        .sort((a, b) => FLAGGED.indexOf(a.verdict[0]) - FLAGGED.indexOf(b.verdict[0]));
      const list = el('ul', { class: 'verdicts' });
      for (const s of flagged) {
        const [kind, change, , reason] = s.verdict;
        list.append(el('li', { class: 'verdict', 'data-series': s.id, 'data-kind': kind },
          el('a', { href: seriesHref(s.id) }, seriesTitle(s)), ': ',
          el('span', { class: kind }, `${kind} ${pct(change)}`),
          ` at ${shortCommit(s.last[2])} (run `, el('a', { href: runHref(s.last[0]) }, s.last[0]),
          `): ${reason}`));
      }
      verdicts.replaceChildren(el('h2', {}, 'Latest verdicts'),
        flagged.length ? list : el('p', { class: 'empty' },
          'No series is slower, faster or uncertain at its latest run.'),
        el('p', { class: 'note' }, 'Each series\' latest run against its previous run, by ' +
          'benchbot compare\'s rule (uncertain: only where the estimated change is past the ' +
          'threshold).', cat.nightly ? ' Latest nightly verdict: ' : '',
          cat.nightly ? el('a', { href: cat.nightly }, cat.nightly) : ''));

      const columns = new Map();
      const rows = new Map();
      for (const s of shown) {
        const col = (s.label || s.device) + '\u0000' + configText(s);
        if (!columns.has(col)) columns.set(col, [s.label || s.device, configText(s)]);
        if (!rows.has(s.model)) rows.set(s.model, new Map());
        rows.get(s.model).set(col, s);
      }
      const cols = [...columns.keys()].sort();
      if (!shown.length) {
        grid.replaceChildren(el('p', { class: 'empty' }, 'No series matches the filters.'));
        return;
      }
      const head = el('tr', {}, el('th', {}, 'Model'));
      for (const c of cols) {
        const [device, config] = columns.get(c);
        head.append(el('th', { class: 'group' }, el('b', {}, device), el('br'), config));
      }
      const body = el('tbody');
      for (const model of [...rows.keys()].sort()) {
        const tr = el('tr', { 'data-model': model }, el('th', {}, model));
        for (const c of cols) {
          const s = rows.get(model).get(c);
          if (!s) { tr.append(el('td', {})); continue; }
          const [run, started, commit, median, lo, hi, valid] = s.last;
          const v = s.verdict;
          const title = `run ${run}\n${when(started)} UTC, commit ${shortCommit(commit)}\n` +
            `median ${fmtMs(median)}, 95% CI ${fmtMs(lo)} to ${fmtMs(hi)}\n` +
            `${s.count} runs` + (v ? `\n${v[0]} ${pct(v[1])} against run ${v[2]}: ${v[3]}` : '');
          tr.append(el('td', { class: 'cell' + (valid ? '' : ' invalid'), 'data-series': s.id,
            title },
          el('a', { href: seriesHref(s.id) },
            el('span', { class: 'median' }, fmtMs(median) + (valid ? '' : '†')),
            v ? el('span', { class: 'change ' + v[0] }, pct(v[1])) : null,
            spark(s.spark))));
        }
        body.append(tr);
      }
      grid.replaceChildren(el('table', { id: 'overview' }, el('thead', {}, head), body));
    }
    render();
    markReady();
  }

  // ------------------------------------------------------------------ series
  function plotDate(t) {
    return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
  }

  function seriesPage() {
    const state = hashState();
    if (!state.s && cat.series.length) state.s = cat.series[0].id;
    const picker = el('select', { id: 'series-pick' });
    for (const s of cat.series) picker.append(el('option', { value: s.id }, seriesTitle(s)));
    const xPick = el('select', { id: 'x-pick' }, el('option', { value: 'time' }, 'run start'),
      el('option', { value: 'run' }, 'run number'));
    const title = el('h1', { id: 'title' });
    const chart = el('div', { id: 'chart' });
    const marks = el('div', { id: 'marks' });
    main.append(title, el('div', { class: 'filters' }, el('label', {}, 'Series', picker),
      el('label', {}, 'x axis', xPick)), chart,
    el('p', { class: 'note' }, 'Median latency per run with its 95% CI band. ▲ slower, ▼ ' +
      'faster than the previous run (benchbot compare\'s rule, computed at publish time); ' +
      '◆ an A/B session\'s verdict. Hover a point for its run; click it for the run\'s ' +
      'report. Drag to zoom, use the pan tool or the mouse wheel, double-click to reset.'),
    el('h2', {}, 'Verdicts marked'), marks);
    let listening = false;
    picker.addEventListener('change', () => { state.s = picker.value; show(); });
    xPick.addEventListener('change', () => { state.x = xPick.value; show(); });

    async function show() {
      setHash(state);
      const meta = bySeries.get(state.s);
      if (!meta) {
        title.textContent = `No series ${state.s || ''} in this site: pick one below`;
        markReady();
        return;
      }
      picker.value = state.s;
      xPick.value = state.x === 'run' ? 'run' : 'time';
      title.textContent = seriesTitle(meta);
      window.BB_SERIES = window.BB_SERIES || {};
      if (!window.BB_SERIES[state.s]) {
        await loadScript('data/series/' + encodeURIComponent(state.s) + '.js');
      }
      await draw(window.BB_SERIES[state.s], xPick.value);
      if (!listening) {
        chart.on('plotly_click', (ev) => {
          const p = ev.points && ev.points[0];
          if (p && p.customdata) location.href = runHref(p.customdata[0]);
        });
        listening = true;
      }
      markReady();
    }

    async function draw(d, mode) {
      const P = d.points;
      const xs = mode === 'run' ? P.r.map((_, i) => i + 1) : P.t.map(plotDate);
      const custom = P.r.map((r, i) => [r, shortCommit(P.c[i]), when(P.t[i]), P.n[i], P.p[i],
        P.v[i] ? 'valid' : 'not valid †', fmtMs(P.lo[i]) + ' to ' + fmtMs(P.hi[i]),
        P.k[i] ? `${P.k[i][0]} ${pct(P.k[i][1])} against the previous run` : 'no verdict']);
      const hover = 'run %{customdata[0]}<br>commit %{customdata[1]}<br>%{customdata[2]} UTC' +
        '<br>median %{y:.4g} ms (95% CI %{customdata[6]})<br>n %{customdata[3]}, ' +
        '%{customdata[4]} processes, %{customdata[5]}<br>%{customdata[7]}<extra></extra>';
      const traces = [
        { x: xs, y: P.lo, mode: 'lines', line: { width: 0 }, hoverinfo: 'skip',
          showlegend: false, name: 'CI low' },
        { x: xs, y: P.hi, mode: 'lines', line: { width: 0 }, fill: 'tonexty',
          fillcolor: 'rgba(62,123,250,0.18)', hoverinfo: 'skip', name: '95% CI' },
        { x: xs, y: P.m, mode: 'lines+markers', name: 'median', customdata: custom,
          hovertemplate: hover, line: { color: '#3e7bfa', width: 1.5 },
          marker: { size: 6, color: P.v.map((v) => (v ? '#3e7bfa' : '#f9a825')) } },
      ];
      for (const [kind, symbol, color] of [['slower', 'triangle-up', '#c62828'],
        ['faster', 'triangle-down', '#2e7d32']]) {
        const at = P.k.map((k, i) => (k && k[0] === kind ? i : -1)).filter((i) => i >= 0);
        traces.push({ x: at.map((i) => xs[i]), y: at.map((i) => P.m[i]), mode: 'markers',
          name: kind, customdata: at.map((i) => custom[i]), hovertemplate: hover,
          marker: { symbol, size: 14, color, line: { color: '#fff', width: 1 } } });
      }
      const ab = d.ab.map((a) => {
        const before = P.t.filter((t) => t <= a[1]).length;
        return { a, x: mode === 'run' ? Math.max(before, 1) : plotDate(a[1]) };
      });
      traces.push({ x: ab.map((o) => o.x), y: ab.map((o) => o.a[3]), mode: 'markers',
        name: 'A/B', customdata: ab.map((o) => [o.a[0], shortCommit(o.a[2]), when(o.a[1]),
          o.a[4][0], pct(o.a[4][1])]),
        hovertemplate: 'A/B run %{customdata[0]}<br>commit %{customdata[1]}<br>' +
          '%{customdata[2]} UTC<br>B: %{y:.4g} ms, %{customdata[3]} %{customdata[4]} against A' +
          '<extra></extra>',
        marker: { symbol: 'diamond', size: 12, color: ab.map((o) => (o.a[4][0] === 'slower' ?
          '#c62828' : o.a[4][0] === 'faster' ? '#2e7d32' : '#ef6c00')) } });
      const layout = { margin: { l: 64, r: 16, t: 40, b: 48 }, hovermode: 'closest',
        dragmode: 'zoom', legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
        xaxis: { type: mode === 'run' ? 'linear' : 'date',
          title: { text: mode === 'run' ? 'run' : 'run start (UTC)' } },
        yaxis: { title: { text: 'median latency (ms)' } } };
      await Plotly.react(chart, traces, layout,
        { responsive: true, scrollZoom: true, displaylogo: false });

      const rows = [];
      P.k.forEach((k, i) => {
        if (k && (k[0] === 'slower' || k[0] === 'faster')) {
          rows.push([k[0], P.c[i], P.t[i], P.r[i], k[1], k[3], 'against run ' + k[2]]);
        }
      });
      for (const a of d.ab) rows.push([a[4][0], a[2], a[1], a[0], a[4][1], a[4][3], 'A/B']);
      rows.sort((x, y) => (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
      if (!rows.length) {
        marks.replaceChildren(el('p', { class: 'empty' }, 'No run of this series was slower ' +
          'or faster than the one before it.'));
        return;
      }
      const body = el('tbody');
      for (const [kind, commit, t, run, change, reason, how] of rows) {
        body.append(el('tr', { 'data-kind': kind, 'data-commit': commit, 'data-run': run,
          'data-how': how === 'A/B' ? 'ab' : 'previous' },
        el('td', {}, shortCommit(commit)), el('td', {}, when(t)),
        el('td', {}, el('a', { href: runHref(run) }, run)),
        el('td', { class: kind }, `${kind} ${pct(change)}`), el('td', {}, how),
        el('td', {}, reason)));
      }
      marks.replaceChildren(el('table', { id: 'verdict-marks' }, el('thead', {},
        el('tr', {}, ...['Commit', 'Run start (UTC)', 'Run', 'Verdict', 'By', 'Why']
          .map((h) => el('th', {}, h)))), body));
    }

    show().catch((err) => {
      title.textContent = String(err.message || err);
      markReady();
    });
  }

  // ------------------------------------------------------------------ compare
  function comparePage() {
    const state = hashState();
    const runs = cat.runs.filter((r) => !r[5]);
    if (!state.a && runs.length > 1) state.a = runs[runs.length - 2][0];
    if (!state.b && runs.length) state.b = runs[runs.length - 1][0];
    function runMenu(id) {
      const sel = el('select', { id });
      for (const r of runs) {
        sel.append(el('option', { value: r[0] },
          `${shortCommit(r[2])} · ${when(r[1])} · ${r[0]}`));
      }
      return sel;
    }
    const menuA = runMenu('run-a'), menuB = runMenu('run-b');
    const table = el('div', { id: 'comparison' });
    main.append(el('h1', {}, 'Compare two runs'),
      filterBar(state, render, [el('label', {}, 'A (baseline)', menuA),
        el('label', {}, 'B (candidate)', menuB)]), table,
      el('p', { class: 'note' }, 'Change: B / A - 1 of the medians. The verdict is benchbot ' +
        'compare\'s, computed at publish time, where B is the run after A in that series; ' +
        'for any other pair, `benchbot compare A B --results DIR` gives it.'));
    menuA.addEventListener('change', () => { state.a = menuA.value; render(); });
    menuB.addEventListener('change', () => { state.b = menuB.value; render(); });

    async function load(id) {
      window.BB_RUNS = window.BB_RUNS || {};
      if (id && !window.BB_RUNS[id]) {
        await loadScript('data/runs/' + encodeURIComponent(id) + '.js').catch(() => null);
      }
      const got = (window.BB_RUNS[id] || { cases: [] }).cases;
      return new Map(got.map((c) => [c[0], c]));
    }

    async function render() {
      setHash(state);
      menuA.value = state.a || '';
      menuB.value = state.b || '';
      const [a, b] = await Promise.all([load(state.a), load(state.b)]);
      const ids = [...new Set([...a.keys(), ...b.keys()])].filter((id) => bySeries.has(id) &&
        kept(state, bySeries.get(id)));
      ids.sort((x, y) => seriesTitle(bySeries.get(x)).localeCompare(seriesTitle(bySeries.get(y))));
      if (!ids.length) {
        table.replaceChildren(el('p', { class: 'empty' }, 'No case to compare.'));
        return;
      }
      const cell = (c) => (c ? `${fmtMs(c[1])} (${fmtMs(c[2])} to ${fmtMs(c[3])})` +
        (c[6] ? '' : ' †') : '–');
      const body = el('tbody');
      for (const id of ids) {
        const ca = a.get(id), cb = b.get(id);
        let verdict = ca ? (cb ? '' : 'only in A') : 'only in B';
        let kind = '';
        if (ca && cb && cb[7] && cb[7][2] === state.a) {
          kind = cb[7][0];
          verdict = `${kind}: ${cb[7][3]}`;
        }
        body.append(el('tr', { 'data-series': id, 'data-kind': kind },
          el('td', {}, el('a', { href: seriesHref(id) }, seriesTitle(bySeries.get(id)))),
          el('td', { class: 'num' }, cell(ca)), el('td', { class: 'num' }, cell(cb)),
          el('td', { class: 'num' }, ca && cb ? pct(cb[1] / ca[1] - 1) : ''),
          el('td', { class: kind }, verdict)));
      }
      table.replaceChildren(el('table', {}, el('thead', {}, el('tr', {},
        ...['Series', 'A median (95% CI)', 'B median (95% CI)', 'Change', 'Verdict']
          .map((h) => el('th', {}, h)))), body));
    }
    render().then(markReady, (err) => {
      table.textContent = String(err.message || err);
      markReady();
    });
  }

  const page = document.body.dataset.page;
  if (page === 'overview') overview();
  else if (page === 'series') seriesPage();
  else if (page === 'compare') comparePage();
})();
