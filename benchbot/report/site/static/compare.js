/* benchbot publish: the compare page (needs common.js). */
(function () {
  'use strict';
  const { el, hashState, setHash, fmtMs, pct, seriesTitle, seriesHref, shortCommit, when,
    runData, filterBar, kept, cat, main, bySeries, markReady } = window.BB;

  function comparePage() {
    const state = hashState();
    const runs = cat.runs.filter((r) => !r[5]);
    // a side may be named by a commit (7+ characters of it): its latest run
    for (const side of ['a', 'b']) {
      const want = state[side] || '';
      if (want && !runs.some((r) => r[0] === want) && want.length >= 7) {
        const ofCommit = runs.filter((r) => r[2] && r[2].startsWith(want));
        if (ofCommit.length) state[side] = ofCommit[ofCommit.length - 1][0];
      }
    }
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
    main.append(el('h1', {}, 'Compare two runs (or commits: their latest runs)'),
      filterBar(state, render, [el('label', {}, 'A (baseline)', menuA),
        el('label', {}, 'B (candidate)', menuB)]), table,
      el('p', { class: 'note' }, 'Change: B / A - 1 of the medians. The verdict is benchbot ' +
        'compare\'s, computed at publish time, where B is the run after A in that series; ' +
        'for any other pair, `benchbot compare A B --results DIR` gives it.'));
    menuA.addEventListener('change', () => { state.a = menuA.value; render(); });
    menuB.addEventListener('change', () => { state.b = menuB.value; render(); });

    async function load(id) {
      const got = await runData(id);
      return new Map((got ? got.cases : []).map((c) => [c[0], c]));
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

  comparePage();
})();
