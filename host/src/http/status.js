// logsift status page: polls /status.json and draws it.
//
// Much of what it shows was written by attackers: dead letters are input records, reasons
// quote them, rule titles come from rule files. So every value from the server becomes text
// only: Text nodes (append of a string), textContent, or a plain attribute (title, class from
// a fixed list, SVG geometry from numbers). Nothing here parses markup (no innerHTML,
// outerHTML, insertAdjacentHTML, document.write), and the server's Content-Security-Policy
// requires Trusted Types, so such a call would throw rather than run.
'use strict';

(function () {
  const POLL_MS = 2000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const LEVELS = new Set(['informational', 'low', 'medium', 'high', 'critical']);
  const STATUSES = new Set(['running', 'quarantined', 'refused']);

  // An element with literal attribute names; children are nodes or text.
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const name of Object.keys(attrs || {})) node.setAttribute(name, String(attrs[name]));
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function num(n, digits) {
    const value = Number(n);
    if (!Number.isFinite(value)) return '—';
    return value.toLocaleString('en-US', { maximumFractionDigits: digits || 0 });
  }

  function clock(t) {
    const value = Number(t);
    if (!value) return '—';
    return new Date(value * 1000).toISOString().slice(11, 19);
  }

  function stamp(t) {
    const value = Number(t);
    if (!value) return '—';
    return new Date(value * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  }

  function duration(secs) {
    let s = Math.max(0, Math.floor(Number(secs) || 0));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const hh = Math.floor(s / 3600); s -= hh * 3600;
    const mm = Math.floor(s / 60); s -= mm * 60;
    if (d) return d + 'd ' + hh + 'h';
    if (hh) return hh + 'h ' + mm + 'm';
    if (!s) return mm + ' min';
    return mm ? mm + 'm ' + s + 's' : s + 's';
  }

  function badge(kind, value, allowed) {
    const text = String(value);
    const cls = allowed.has(text) ? kind + '-' + text : kind + '-unknown';
    return h('span', { class: 'badge ' + cls }, text);
  }

  // A table: headers are [label, numeric?]; each row is a list of cells (node, text, or
  // {value, cls, title}).
  function table(headers, rows, emptyText) {
    if (!rows.length) return h('p', { class: 'empty' }, emptyText);
    const head = h('tr', null, ...headers.map(([label, numeric]) => h('th', numeric ? { class: 'num' } : null, label)));
    const body = rows.map((cells) =>
      h('tr', null, ...cells.map((cell) => {
        if (cell && typeof cell === 'object' && !(cell instanceof Node)) {
          const attrs = { class: cell.cls || '' };
          if (cell.title !== undefined) attrs.title = cell.title;
          return h('td', attrs, cell.value);
        }
        return h('td', null, cell);
      })));
    return h('table', null, h('thead', null, head), h('tbody', null, ...body));
  }

  // A sparkline of `values` (numbers; null counts as 0), right-aligned on `slots` slots.
  function sparkline(values, slots, width, height, extraClass) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'spark' + (extraClass ? ' ' + extraClass : ''));
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    const nums = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, v) : 0));
    const max = nums.reduce((a, b) => Math.max(a, b), 0) || 1;
    const step = width / Math.max(1, slots - 1);
    const points = nums.map((v, i) => {
      const x = width - (nums.length - 1 - i) * step;
      const y = height - 1 - (v / max) * (height - 2);
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    if (points.length) {
      const first = points[0].split(',')[0];
      const area = document.createElementNS(SVG_NS, 'polygon');
      area.setAttribute('class', 'area');
      area.setAttribute('points', first + ',' + height + ' ' + points.join(' ') + ' ' + width + ',' + height);
      const line = document.createElementNS(SVG_NS, 'polyline');
      line.setAttribute('class', 'line');
      line.setAttribute('points', points.join(' '));
      svg.append(area, line);
    }
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = 'max ' + num(max, 1);
    svg.append(title);
    return svg;
  }

  function tile(id, label, value, display) {
    const node = h('span', { class: 'value', id: id, 'data-value': String(Number(value) || 0) }, display);
    return h('div', { class: 'tile' }, h('div', { class: 'label' }, label), node);
  }

  function last(list) {
    return list.length ? list[list.length - 1] : null;
  }

  function drawTiles(s) {
    const t = s.totals || {};
    const rate = (s.partitions.series || []).reduce((sum, p) => sum + (Number(last(p.rate)) || 0), 0);
    byId('tiles').replaceChildren(
      tile('records-in', 'records consumed', t.records_in, num(t.records_in)),
      tile('rate', 'records/s now', rate, num(rate, 1)),
      tile('events-out', 'events out', t.events_out, num(t.events_out)),
      tile('alerts', 'alerts raised', t.alerts, num(t.alerts)),
      tile('dead-letters', 'dead letters', t.dead_letters, num(t.dead_letters)),
      tile('assigned', 'partitions assigned', s.assigned_partitions, num(s.assigned_partitions)),
      tile('uptime', 'up for', s.uptime_secs, duration(s.uptime_secs)),
    );
  }

  // How many samples the charts span: the whole window once there is that much history,
  // until then what there is (at least a minute), so a fresh service shows a readable curve.
  function span(p) {
    const slots = Number(p.samples) || 150;
    const longest = (p.series || []).reduce((n, series) => Math.max(n, (series.rate || []).length), 0);
    return Math.min(slots, Math.max(30, longest));
  }

  function drawThroughput(p) {
    const slots = span(p);
    const total = new Array(slots).fill(0);
    let longest = 0;
    for (const series of p.series || []) {
      const rate = (series.rate || []).slice(-slots);
      longest = Math.max(longest, rate.length);
      rate.forEach((v, i) => { total[slots - rate.length + i] += Number(v) || 0; });
    }
    const values = total.slice(slots - longest);
    byId('window').textContent = 'records/s consumed, last ' + duration(slots * (Number(p.interval_secs) || 2));
    byId('throughput').replaceChildren(
      h('span', { class: 'value' }, num(last(values) || 0, 1) + ' /s'),
      sparkline(values, slots, 900, 48),
    );
  }

  function drawPlugins(s) {
    const g = s.generation || {};
    byId('generation').textContent = 'generation ' + num(g.id) + ' · since ' + stamp(g.created);
    const rows = (g.plugins || []).map((p) => {
      let status = badge('status', p.status, STATUSES);
      if (p.status === 'quarantined') {
        const until = p.quarantined_until ? ' until ' + clock(p.quarantined_until) : '';
        status = h('span', null, status, ' ', h('span', { class: 'muted' }, 'in ' + num(p.quarantined_workers) + ' worker(s)' + until));
      }
      return [
        { value: p.stage, cls: 'text' },
        { value: p.plugin, cls: 'text' },
        p.kind,
        { value: p.version, cls: 'text' },
        { value: String(p.hash || '').slice(0, 12), cls: 'mono hash', title: String(p.hash || '') },
        status,
        { value: num(p.records), cls: 'num' },
        { value: num(p.faults), cls: 'num' },
        { value: num(p.alerts), cls: 'num' },
        { value: num(p.quarantines), cls: 'num' },
      ];
    });
    byId('plugins').replaceChildren(table(
      [['stage'], ['plugin'], ['kind'], ['version'], ['hash'], ['status'], ['records', 1], ['faults', 1], ['alerts', 1], ['quarantines', 1]],
      rows, 'no plugins loaded'));
    const refused = (s.refused || []).map((r) => [
      { value: r.path, cls: 'text mono' },
      badge('status', 'refused', STATUSES),
      { value: r.reason, cls: 'text' },
      r.kept_previous ? 'previous version kept' : 'not running',
      stamp(r.at),
    ]);
    byId('refused').replaceChildren(
      h('h2', null, 'Reload refusals'),
      table([['file'], ['status'], ['reason'], ['effect'], ['at']], refused, 'the last reload refused nothing'),
    );
  }

  function drawPartitions(p) {
    const slots = span(p);
    const rows = (p.series || []).map((series) => {
      const lag = series.lag || [];
      const lagNow = last(lag);
      return [
        { value: series.topic, cls: 'text' },
        { value: num(series.partition), cls: 'num' },
        { value: num(series.records), cls: 'num' },
        { value: num(last(series.rate || []) || 0, 1), cls: 'num' },
        sparkline((series.rate || []).slice(-slots), slots, 220, 26),
        { value: lagNow === null || lagNow === undefined ? '—' : num(lagNow), cls: 'num' },
        sparkline(lag.slice(-slots), slots, 220, 26, 'lag'),
      ];
    });
    const nodes = [table(
      [['topic'], ['partition', 1], ['records', 1], ['records/s', 1], ['throughput'], ['lag', 1], ['lag over time']],
      rows, 'no partition has delivered records yet')];
    if (p.omitted) nodes.push(h('p', { class: 'note' }, num(p.omitted) + ' quieter partitions not shown'));
    byId('partitions').replaceChildren(...nodes);
  }

  function drawRules(r) {
    const rows = (r.top || []).map((rule) => [
      { value: rule.title, cls: 'text', title: rule.rule_id },
      badge('lvl', rule.level, LEVELS),
      { value: rule.plugin + (rule.shadow ? ' (shadow)' : ''), cls: 'text stage' },
      { value: num(rule.hits), cls: 'num' },
      { value: rule.cost_us === null || rule.cost_us === undefined ? '—' : num(rule.cost_us, 1), cls: 'num' },
      clock(rule.last),
    ]);
    const nodes = [table([['rule'], ['level'], ['stage'], ['hits', 1], ['µs/event', 1], ['last']], rows, 'no alert yet')];
    let note = 'tracking ' + num(r.tracked) + ' of at most ' + num(r.capacity) + ' rules';
    if (r.folded_rules) note += '; ' + num(r.folded_rules) + ' least-hit rules (' + num(r.folded_hits) + ' hits) folded';
    nodes.push(h('p', { class: 'note' }, note));
    byId('rules').replaceChildren(...nodes);
    const costs = (r.costliest || []).map((c) => [
      { value: c.rule_id + (c.shadow ? ' (shadow)' : ''), cls: 'text' },
      { value: num(c.cost_us, 1), cls: 'num' },
      { value: num(c.sampled), cls: 'num' },
    ]);
    const costNodes = [table([['rule'], ['µs/event', 1], ['events sampled', 1]], costs, 'no rule measured yet')];
    if (r.measured) {
      const rules = r.measured === 1 ? ' rule measured' : ' rules measured';
      costNodes.push(h('p', { class: 'note' }, num(r.measured) + rules + ', each evaluated on its own over sampled events'));
    }
    byId('costs').replaceChildren(...costNodes);
  }

  function drawDeadLetters(d) {
    const rows = (d.by_reason || []).map((x) => [
      { value: x.plugin, cls: 'text stage' },
      { value: x.reason, cls: 'text reason' },
      { value: num(x.count), cls: 'num' },
      clock(x.last),
    ]);
    const nodes = [table([['stage'], ['reason'], ['count', 1], ['last']], rows, 'no dead letter yet')];
    if (d.folded_reasons) {
      nodes.push(h('p', { class: 'note' }, num(d.folded_reasons) + ' rarer reasons (' + num(d.folded_count) + ' dead letters) folded'));
    }
    byId('reasons').replaceChildren(...nodes);
    const latest = (d.latest || []).map((x) => [
      clock(x.at),
      { value: x.plugin, cls: 'text stage' },
      { value: x.source, cls: 'mono source' },
      { value: x.reason, cls: 'text reason' },
      { value: x.original + (x.original_bytes > 200 ? ' …' : ''), cls: 'original', title: num(x.original_bytes) + ' bytes' },
    ]);
    byId('latest').replaceChildren(table([['time'], ['stage'], ['source'], ['reason'], ['original (start)']], latest, 'no dead letter yet'));
  }

  function setState(text, cls) {
    const state = byId('state');
    state.textContent = text;
    state.setAttribute('class', 'pill ' + cls);
  }

  function draw(s) {
    drawTiles(s);
    drawThroughput(s.partitions || {});
    drawPlugins(s);
    drawPartitions(s.partitions || {});
    drawRules(s.rules || {});
    drawDeadLetters(s.dead_letters || {});
    if (s.stopping) setState('stopping', 'state-wait');
    else if (s.ready) setState('ready', 'state-ok');
    else setState('not ready', 'state-wait');
    byId('updated').textContent = 'updated ' + clock(s.now) + ' UTC';
  }

  async function poll() {
    try {
      const response = await fetch('/status.json', { cache: 'no-store', credentials: 'omit' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      draw(await response.json());
    } catch (e) {
      setState('disconnected', 'state-bad');
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
}());
