/* benchbot publish: the series page (needs common.js). */
(function () {
  'use strict';
  const { el, hashState, setHash, fmtMs, pct, seriesTitle, runHref, shortCommit, when,
    loadScript, filterBar, kept, cat, main, bySeries, markReady } = window.BB;

  function plotDate(t) {
    return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
  }

  function seriesPage() {
    const state = hashState();
    if (!state.s && cat.series.length) state.s = cat.series[0].id;
    const picker = el('select', { id: 'series-pick' });
    // the filters narrow the menu of series; a series not among them gives way to the first
    function fillPicker() {
      const shown = cat.series.filter((s) => kept(state, s));
      picker.replaceChildren(...shown.map((s) => el('option', { value: s.id }, seriesTitle(s))));
      if (shown.length && !shown.some((s) => s.id === state.s)) state.s = shown[0].id;
    }
    fillPicker();
    const xPick = el('select', { id: 'x-pick' }, el('option', { value: 'time' }, 'run start'),
      el('option', { value: 'commit' }, 'commit'), el('option', { value: 'run' }, 'run number'));
    const title = el('h1', { id: 'title' });
    const chart = el('div', { id: 'chart' });
    const marks = el('div', { id: 'marks' });
    const filters = filterBar(state, () => { fillPicker(); show(); },
      [el('label', {}, 'Series', picker), el('label', {}, 'x axis', xPick)]);
    main.append(title, filters, chart,
    el('p', { class: 'note' }, 'Median latency per run with its 95% CI band. ▲ slower, ▼ ' +
      'faster than the previous run (benchbot compare\'s rule, computed at publish time); ' +
      '◆ an A/B session\'s verdict. Hover a point for its run; click it for the run\'s ' +
      'report. Drag to zoom, use the pan tool or the mouse wheel, double-click to reset.'),
    el('h2', {}, 'Verdicts marked, and failures'), marks);
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
      xPick.value = ['run', 'commit'].includes(state.x) ? state.x : 'time';
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

    // commit mode: a tick at the first run of each commit, at most 24 of them labelled
    function commitTicks(P, mode) {
      if (mode !== 'commit') return {};
      const firsts = P.c.map((c, i) => i).filter((i) => i === 0 || P.c[i] !== P.c[i - 1]);
      const step = Math.ceil(firsts.length / 24);
      const shown = firsts.filter((_, k) => k % step === 0);
      return { tickmode: 'array', tickvals: shown.map((i) => i + 1),
        ticktext: shown.map((i) => shortCommit(P.c[i]).slice(0, 8)), tickangle: -45 };
    }

    async function draw(d, mode) {
      const P = d.points;
      const ordinal = mode !== 'time';  // run number, or commit: runs in order
      const xs = ordinal ? P.r.map((_, i) => i + 1) : P.t.map(plotDate);
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
        return { a, x: ordinal ? Math.max(before, 1) : plotDate(a[1]) };
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
        xaxis: { type: ordinal ? 'linear' : 'date', title: { text: { time: 'run start (UTC)',
          run: 'run', commit: 'commit (its first run)' }[mode] }, ...commitTicks(P, mode) },
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
      for (const f of d.failed) rows.push(['failed', f[2], f[1], f[0], null, f[3], 'the run']);
      rows.sort((x, y) => (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
      if (!rows.length) {
        marks.replaceChildren(el('p', { class: 'empty' }, 'No run of this series was slower ' +
          'or faster than the one before it, and none failed.'));
        return;
      }
      const body = el('tbody');
      for (const [kind, commit, t, run, change, reason, how] of rows) {
        body.append(el('tr', { 'data-kind': kind, 'data-commit': commit, 'data-run': run,
          'data-how': how === 'A/B' ? 'ab' : kind === 'failed' ? 'run' : 'previous' },
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

  seriesPage();
})();
