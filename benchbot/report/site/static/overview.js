/* benchbot publish: the overview page (needs common.js). */
(function () {
  'use strict';
  const { el, hashState, setHash, fmtMs, pct, configText, seriesTitle, seriesHref, runHref,
    shortCommit, when, filterBar, kept, cat, main, markReady } = window.BB;
  const NS = 'http://www.w3.org/2000/svg';
  const FLAGGED = ['slower', 'uncertain', 'faster'];

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

  function overview() {
    const state = hashState();
    const last = cat.runs.length ? cat.runs[cat.runs.length - 1] : null;
    const verdicts = el('section', { id: 'latest-verdicts' });
    const grid = el('div', { id: 'grid' });
    main.append(el('h1', {}, 'Latency history'),
      el('p', { class: 'lede' }, `${cat.series.length} series over ${cat.runs.length} runs` +
        (last ? `; latest run ${last[0]} (${when(last[1])} UTC, ${shortCommit(last[2])})` : '') +
        '. Each cell: the latest median († not valid), its change against the previous run ' +
        'and the last runs (✗: the case failed in a later run). Click a cell for its series.'),
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
          'No series\' latest run is slower or faster than the run before it, or uncertain ' +
          'past its threshold.'),
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
            `${s.count} runs` + (v ? `\n${v[0]} ${pct(v[1])} against run ${v[2]}: ${v[3]}` : '') +
            (s.failed ? `\nfailed in the later run ${s.failed[0]} (${s.failed[2]})` : '');
          tr.append(el('td', { class: 'cell' + (valid ? '' : ' invalid') +
            (s.failed ? ' failed' : ''), 'data-series': s.id, title },
          el('a', { href: seriesHref(s.id) },
            el('span', { class: 'median' }, fmtMs(median) + (valid ? '' : '†')),
            v ? el('span', { class: 'change ' + v[0] }, pct(v[1])) : null,
            s.failed ? el('span', { class: 'change failed' }, '✗ a later run failed') : null,
            spark(s.spark))));
        }
        body.append(tr);
      }
      grid.replaceChildren(el('table', { id: 'overview' }, el('thead', {}, head), body));
    }
    render();
    markReady();
  }

  overview();
})();
