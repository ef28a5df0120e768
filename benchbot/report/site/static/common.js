/* benchbot publish: what the site's pages share (common.js), then each page's own script
 * (overview.js, series.js, run.js, compare.js).
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
  const byRun = new Map(cat.runs.map((r) => [r[0], r]));
  const FILTERS = [['model', 'Model', (s) => s.model], ['device', 'Device', (s) => s.device],
    ['runtime', 'Runtime', (s) => s.runtime], ['precision', 'Precision', (s) => s.precision]];

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
  // a run's report page where the publish made one, else the run page drawn from its data
  function runHref(id) {
    const run = byRun.get(id);
    return run && run[8] ? reportHref(id) : 'run.html#r=' + encodeURIComponent(id);
  }
  function reportHref(id) { return 'runs/' + encodeURIComponent(id) + '.html'; }
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

  // a run's data file (data/runs/ID.js), loaded once; null when the site has none
  async function runData(id) {
    window.BB_RUNS = window.BB_RUNS || {};
    if (id && !window.BB_RUNS[id]) {
      await loadScript('data/runs/' + encodeURIComponent(id) + '.js').catch(() => null);
    }
    return window.BB_RUNS[id] || null;
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

  Object.assign(BB, { el, hashState, setHash, fmtMs, pct, configText, seriesTitle, seriesHref,
    runHref, reportHref, shortCommit, when, loadScript, runData, filterBar, kept, cat, main,
    bySeries, byRun, markReady });
})();
