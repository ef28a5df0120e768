/* benchbot publish: the run page (needs common.js). One run at a glance, drawn from its
 * data file: its case of every series with the verdict against the previous run, the
 * cases that failed, and links to its report page (where the publish made one), its raw
 * results file, the tools' logs and a comparison with the previous run. */
(function () {
  'use strict';
  const { el, hashState, setHash, fmtMs, pct, seriesTitle, seriesHref, reportHref,
    shortCommit, when, runData, filterBar, kept, cat, main, bySeries, byRun,
    markReady } = window.BB;

  function runPage() {
    const state = hashState();
    if (!state.r && cat.runs.length) state.r = cat.runs[cat.runs.length - 1][0];
    const menu = el('select', { id: 'run-pick' });
    for (const r of [...cat.runs].reverse()) {
      menu.append(el('option', { value: r[0] }, `${r[0]} · ${shortCommit(r[2])}` +
        (r[5] ? ' · A/B session' : '')));
    }
    const title = el('h1', { id: 'title' });
    const facts = el('p', { class: 'lede', id: 'facts' });
    const links = el('ul', { id: 'run-links' });
    const table = el('div', { id: 'cases' });
    main.append(title, facts, filterBar(state, render, [el('label', {}, 'Run', menu)]), links,
      table, el('p', { class: 'note' }, 'Median latency of each case with its 95% CI († not ' +
        'valid), and its change against the previous run of its series, with benchbot ' +
        'compare\'s verdict (computed at publish time).'));
    menu.addEventListener('change', () => { state.r = menu.value; render(); });

    function linkList(run, data) {
      const items = [];
      const id = run[0];
      if (data.report) {
        items.push(el('li', {}, el('a', { href: reportHref(id), id: 'report-link' },
          'the run\'s report'), ' (report --format html: every case, its processes and ' +
          'footnotes)'));
      } else {
        items.push(el('li', { id: 'no-report' }, 'No report page: this run was older than ' +
          'the newest runs when the site was first published. In the site\'s folder, ',
          el('code', {}, `benchbot report -r ${data.raw} --format html --out ${id}.html`),
          ' makes it from the raw file below.'));
      }
      items.push(el('li', {}, el('a', { href: data.raw, id: 'raw-link' },
        `raw results (${run[3]})`)));
      if (data.previous) {
        items.push(el('li', {}, el('a', { href: 'compare.html#a=' +
          encodeURIComponent(data.previous) + '&b=' + encodeURIComponent(id) },
        `compare with the previous run (${data.previous})`)));
      }
      if (data.logs.length) {
        items.push(el('li', {}, `the tools' logs (${data.logs.length}): `,
          ...data.logs.flatMap((log, i) => [i ? ', ' : '',
            el('a', { href: log }, log.split('/').pop())])));
      }
      return items;
    }

    function caseRows(data) {
      const body = el('tbody');
      const rows = data.cases.filter((c) => bySeries.has(c[0]) && kept(state, bySeries.get(c[0])));
      rows.sort((x, y) => seriesTitle(bySeries.get(x[0]))
        .localeCompare(seriesTitle(bySeries.get(y[0]))));
      for (const c of rows) {
        const [id, median, lo, hi, n, processes, valid, verdict] = c;
        const kind = verdict ? verdict[0] : '';
        body.append(el('tr', { 'data-series': id, 'data-kind': kind },
          el('td', {}, el('a', { href: seriesHref(id) }, seriesTitle(bySeries.get(id)))),
          el('td', { class: 'num' }, `${fmtMs(median)} (${fmtMs(lo)} to ${fmtMs(hi)})` +
            (valid ? '' : ' †')),
          el('td', { class: 'num' }, n), el('td', { class: 'num' }, processes),
          el('td', { class: 'num' }, verdict ? pct(verdict[1]) : ''),
          el('td', { class: kind }, verdict ? `${kind}: ${verdict[3]}` : 'first run of the ' +
            'series, or measured in one process')));
      }
      for (const [id, failure] of data.failed.filter((f) => bySeries.has(f[0]) &&
        kept(state, bySeries.get(f[0])))) {
        body.append(el('tr', { 'data-series': id, 'data-kind': 'failed' },
          el('td', {}, el('a', { href: seriesHref(id) }, seriesTitle(bySeries.get(id)))),
          el('td', { class: 'failed', colspan: 5 }, `failed: ${failure}`)));
      }
      if (!body.children.length) return el('p', { class: 'empty' }, 'No case of this run ' +
        'is in a series shown' + (data.cases.length ? ' (see the filters).' : ': an A/B ' +
        'session\'s verdicts are marked on the series page, and its report has them.'));
      return el('table', {}, el('thead', {}, el('tr', {}, ...['Series',
        'Median (95% CI)', 'n', 'Processes', 'Change', 'Verdict against the previous run']
        .map((h) => el('th', {}, h)))), body);
    }

    async function render() {
      setHash(state);
      const run = byRun.get(state.r);
      if (!run) {
        title.textContent = `No run ${state.r || ''} in this site: pick one below`;
        return;
      }
      menu.value = run[0];
      title.textContent = `Run ${run[0]}`;
      facts.textContent = `${when(run[1])} UTC, commit ${shortCommit(run[2])}` +
        (run[4] ? `, host ${run[4]}` : '') + `: ${run[7]} of ${run[6]} case(s) ok` +
        (run[5] ? ', an A/B session' : '') + '.';
      const data = await runData(run[0]);
      if (!data) throw new Error(`data/runs/${run[0]}.js is missing: publish the site again`);
      links.replaceChildren(...linkList(run, data));
      table.replaceChildren(caseRows(data));
    }

    render().then(markReady, (err) => {
      table.textContent = String(err.message || err);
      markReady();
    });
  }

  runPage();
})();
