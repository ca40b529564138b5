/// The console's script and style sheet, embedded in the binary (no CDN, no Node build).
///
/// The script draws what the server sends: the floor snapshot (`/api/floor`, then the
/// `floor` events of `/api/events`), breaches as they arrive, and each form's verb reply
/// (`/api/verb`). It shows refusals as the protocol words them (code and message) and
/// checks nothing itself.
enum ConsoleAssets {
    static let script = #"""
'use strict';
(() => {
  const page = document.body.dataset.page;
  const csrfMeta = document.querySelector('meta[name="csrf"]');
  const csrf = csrfMeta ? csrfMeta.content : '';
  let skew = 0; // server clock minus this browser's clock, ms

  function noteNow(now) { if (now) skew = Date.parse(now) - Date.now(); }
  function serverNow() { return Date.now() + skew; }

  async function verb(name, args) {
    const response = await fetch('/api/verb', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ verb: name, args: args || [] }),
    });
    if (response.status === 401) { location.href = '/login'; return { ok: false, code: 'NOAUTH', message: 'log in again' }; }
    const reply = await response.json();
    noteNow(reply.now);
    return reply;
  }

  function argsOf(form) {
    const out = [];
    for (const input of form.elements) {
      if (!input.name) continue;
      if (input.type === 'checkbox') { if (input.checked) out.push([input.name, input.value]); continue; }
      if (input.value.trim() !== '') out.push([input.name, input.value]);
    }
    return out;
  }

  function fieldsText(fields) { return Object.entries(fields || {}).map(([k, v]) => k + '=' + v).join(' '); }

  function say(output, reply) {
    if (!output) return;
    output.textContent = reply.ok ? 'OK ' + fieldsText(reply.fields) + (reply.rows ? ' (' + reply.rows.length + ' rows)' : '')
                                  : reply.code + ': ' + reply.message;
    output.className = reply.ok ? 'ok' : 'error';
  }

  function cell(row, text, cls) {
    const td = document.createElement('td');
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function age(seconds) {
    if (seconds === undefined || seconds === '') return '';
    let s = Math.max(0, Number(seconds));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60);
    if (d > 0) return d + 'd ' + h + 'h';
    if (h > 0) return h + 'h ' + String(m).padStart(2, '0') + 'm';
    return m + 'm ' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
  }

  function kv(table, fields) {
    table.replaceChildren();
    for (const [k, v] of Object.entries(fields || {})) {
      const tr = document.createElement('tr');
      const th = document.createElement('th'); th.textContent = k; tr.appendChild(th);
      cell(tr, v);
      tr.dataset.key = k;
      table.appendChild(tr);
    }
  }

  function live(on) {
    const badge = document.getElementById('live');
    if (!badge) return;
    badge.textContent = on ? 'live' : 'offline';
    badge.className = on ? 'on' : 'off';
  }

  function listen(onFloor, onBreach) {
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => live(true));
    source.addEventListener('error', () => live(false));
    source.addEventListener('floor', (e) => { const data = JSON.parse(e.data); noteNow(data.now); onFloor(data); });
    source.addEventListener('breach', (e) => onBreach && onBreach(JSON.parse(e.data)));
    source.addEventListener('expired', () => { source.close(); location.href = '/login'; });
  }

  async function loadFloor(onFloor) {
    const response = await fetch('/api/floor', { credentials: 'same-origin' });
    if (response.status === 401) { location.href = '/login'; return; }
    if (!response.ok) { live(false); return; }  // 503: the live feed brings the numbers when it can
    const data = await response.json();
    noteNow(data.now);
    onFloor(data);
  }

  // ---------------------------------------------------------------- board
  function board() {
    const queues = document.querySelector('#queues tbody');
    const agents = document.querySelector('#agents tbody');
    const breaches = document.getElementById('breaches');

    let shownQueues = '', shownAgents = '';
    function drawFloor(data) {
      document.getElementById('floor-time').textContent = 'as of ' + data.now;
      // Redraw a table only when its numbers changed (a button is not swapped under the pointer).
      const q = JSON.stringify(data.queues), a = JSON.stringify(data.agents || null);
      if (q !== shownQueues) { shownQueues = q; drawQueues(data); }
      if (data.agents && a !== shownAgents) { shownAgents = a; drawAgents(data); }
    }

    function drawQueues(data) {
      queues.replaceChildren();
      for (const q of data.queues) {
        const tr = document.createElement('tr');
        tr.dataset.team = q.team; tr.dataset.view = q.view;
        for (const key of ['team', 'view', 'ready', 'claimable', 'breached']) cell(tr, q[key], key);
        cell(tr, age(q.oldest_age), 'oldest_age');
        for (const key of ['held', 'scheduled', 'callbacks_next_hour', 'callbacks_overdue', 'breaches_today']) cell(tr, q[key], key);
        for (const key of ['breached', 'callbacks_overdue']) {
          if (q[key] !== '0') tr.querySelector('td.' + key).classList.add('alert');
        }
        queues.appendChild(tr);
      }
    }

    function drawAgents(data) {
      agents.replaceChildren();
      for (const a of data.agents) {
        const tr = document.createElement('tr');
        tr.dataset.agent = a.agent;
        for (const key of ['agent', 'team', 'role', 'status', 'holding', 'assigned', 'claims_today', 'calls_today', 'conversions_today']) cell(tr, a[key], key);
        const actions = cell(tr, '');
        for (const action of ['PAUSE', 'RESUME', 'DRAIN']) {
          const button = document.createElement('button');
          button.type = 'button'; button.textContent = action.toLowerCase(); button.dataset.action = action;
          button.addEventListener('click', async () => {
            const reply = await verb(action, [['agent', a.agent]]);
            const out = document.querySelector('#agents-section output') || document.createElement('output');
            if (!out.parentNode) document.getElementById('agents-section').appendChild(out);
            say(out, reply);
          });
          actions.appendChild(button);
        }
        agents.appendChild(tr);
      }
    }

    function drawBreach(b) {
      document.getElementById('breaches-empty').hidden = true;
      const li = document.createElement('li');
      li.className = 'breach';
      li.dataset.lead = b.lead;
      li.textContent = b.at + ' · lead ' + b.lead + ' · ' + b.view + ' · ' + b.kind.replace('_', ' ');
      breaches.prepend(li);
      while (breaches.children.length > 200) breaches.lastChild.remove();
    }

    for (const form of document.querySelectorAll('#actions form')) {
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        const name = (event.submitter && event.submitter.dataset.verb) || form.dataset.verb;
        const output = form.querySelector('output');
        const reply = await verb(name, argsOf(form));
        say(output, reply);
        let list = form.querySelector('ol.rows');
        if (list) list.remove();
        if (reply.ok && reply.rows) {
          list = document.createElement('ol'); list.className = 'rows';
          for (const row of reply.rows) { const li = document.createElement('li'); li.textContent = fieldsText(row); list.appendChild(li); }
          form.appendChild(list);
        }
      });
    }

    loadFloor(drawFloor).then(() => listen(drawFloor, drawBreach));
  }

  // ---------------------------------------------------------------- desk
  function desk() {
    let view = '';
    let current = null; // { lead, lease, due, fields }
    let idem = null;
    const card = document.getElementById('card');

    function drawCounts(data) {
      for (const q of data.queues) {
        const span = document.querySelector('[data-count="' + q.view + '"]');
        if (span) span.textContent = q.claimable + ' / ' + q.ready;
      }
    }

    for (const tab of document.querySelectorAll('#tabs .tab')) {
      tab.addEventListener('click', () => {
        view = tab.dataset.view;
        for (const other of document.querySelectorAll('#tabs .tab')) other.classList.toggle('selected', other === tab);
      });
    }

    function show(fields) {
      current = { lead: fields.lead, lease: fields.lease, due: fields.due, fields };
      idem = 'console-' + fields.lead + '-' + fields.lease + '-' + Math.random().toString(36).slice(2, 10);
      document.getElementById('card-lead').textContent = fields.lead;
      document.getElementById('card-lease').textContent = fields.lease;
      kv(document.getElementById('card-fields'), fields);
      for (const input of document.querySelectorAll('#convert-form [data-from]')) input.value = fields[input.dataset.from] || '';
      for (const out of card.querySelectorAll('output')) { out.textContent = ''; out.className = ''; }
      document.getElementById('precheck-failures').replaceChildren();
      card.hidden = false;
      tick();
    }

    function clear() {
      current = null;
      card.hidden = true;
      for (const form of card.querySelectorAll('form')) form.reset();
    }

    function tick() {
      const left = document.getElementById('lease-left');
      if (!current || !left) return;
      const ms = Date.parse(current.due) - serverNow();
      left.textContent = ms > 0 ? age(Math.floor(ms / 1000)) : 'expired';
      left.className = ms > 60000 ? '' : 'alert';
    }
    setInterval(tick, 1000);

    async function mine() {
      const reply = await verb('MINE', []);
      const list = document.getElementById('mine');
      list.replaceChildren();
      if (!reply.ok) return;
      for (const row of reply.rows) {
        const li = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'lead ' + row.lead + ' · ' + (row.name || '') + ' · ' + (row.model || '') + ' · lease until ' + row.due;
        button.addEventListener('click', () => show(row));
        li.appendChild(button);
        list.appendChild(li);
      }
    }

    document.getElementById('next').addEventListener('click', async () => {
      const reply = await verb('CLAIM', view ? [['view', view]] : []);
      say(document.getElementById('claim-result'), reply);
      if (reply.ok) { show(reply.fields); mine(); }
    });

    document.getElementById('touch').addEventListener('click', async () => {
      if (!current) return;
      const reply = await verb('TOUCH', [['lead', current.lead], ['lease', current.lease]]);
      say(document.getElementById('card-result'), reply);
      if (reply.ok) { current.due = reply.fields.due; tick(); }
    });

    document.getElementById('history-button').addEventListener('click', async () => {
      if (!current) return;
      const reply = await verb('LEAD SHOW', [['lead', current.lead], ['events', '50']]);
      const section = document.getElementById('history-section');
      if (!reply.ok) { say(document.getElementById('card-result'), reply); return; }
      document.getElementById('history-lead').textContent = current.lead;
      kv(document.getElementById('history-fields'), reply.fields);
      const list = document.getElementById('history');
      list.replaceChildren();
      for (const row of reply.rows) { const li = document.createElement('li'); li.textContent = fieldsText(row); list.appendChild(li); }
      section.hidden = false;
    });

    for (const form of card.querySelectorAll('form')) {
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        if (!current) return;
        const args = [['lead', current.lead], ['lease', current.lease]];
        if (form.dataset.idem) args.push(['idem', idem]);
        const reply = await verb(form.dataset.verb, args.concat(argsOf(form)));
        const output = form.querySelector('output');
        say(output, reply);
        if (!reply.ok && form.id === 'convert-form') {
          const li = document.createElement('li');
          li.textContent = reply.code + ': ' + reply.message;
          document.getElementById('precheck-failures').appendChild(li);
        }
        if (reply.ok) {
          const done = form.dataset.verb + ' ' + fieldsText(reply.fields);
          clear();
          say(document.getElementById('claim-result'), { ok: true, fields: { done } });
          mine();
        }
      });
    }

    loadFloor(drawCounts).then(() => listen(drawCounts, null));
    mine();
  }

  if (page === 'board') board();
  if (page === 'desk') desk();
})();
"""#

    static let style = #"""
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d232a; background: #f4f6f8; }
header { display: flex; gap: 1rem; align-items: center; background: #17324d; color: #fff; padding: .5rem 1rem; }
header h1 { font-size: 1.1rem; margin: 0; }
header a { color: #cfe3ff; margin-right: .6rem; } header a.here { color: #fff; font-weight: 600; }
header #me { margin-left: auto; } header form { margin: 0; }
#live { padding: 0 .5rem; border-radius: 1rem; font-size: .8rem; } #live.on { background: #2e8540; } #live.off { background: #8a1f11; }
main { padding: 1rem; display: grid; gap: 1rem; }
main.board { grid-template-columns: 2fr 1fr; } main.board #agents-section, main.board #actions { grid-column: 1 / -1; }
main.login { max-width: 26rem; margin: 3rem auto; background: #fff; border-radius: 8px; padding: 1.5rem; }
main.login label { display: block; margin: .6rem 0; } main.login input { width: 100%; }
section { background: #fff; border-radius: 8px; padding: .8rem 1rem; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 1rem; margin: 0 0 .5rem; } h2 small { font-weight: normal; color: #5a6572; }
h3 { font-size: .95rem; margin: 0 0 .4rem; width: 100%; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid #e3e7eb; }
th { font-weight: 600; color: #3b4754; font-size: .85rem; }
td.alert, .alert { color: #b3261e; font-weight: 600; }
#actions { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: .8rem; }
#actions h2 { grid-column: 1 / -1; }
form { display: flex; flex-wrap: wrap; gap: .4rem .8rem; align-items: end; border: 1px solid #e3e7eb; border-radius: 6px; padding: .6rem; margin: 0 0 .6rem; }
label { display: flex; flex-direction: column; font-size: .85rem; color: #3b4754; }
label.wide { flex-basis: 100%; } label.wide textarea, label.wide input { width: 100%; }
input, select, textarea, button { font: inherit; padding: .25rem .4rem; }
button { background: #1f5fa8; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button[data-verb="UNSTAR"], #agents button { background: #5a6572; } #agents button { margin-right: .2rem; padding: .1rem .4rem; }
output { flex-basis: 100%; font-family: ui-monospace, monospace; font-size: .8rem; word-break: break-all; }
output.ok { color: #2e6b30; } output.error, .error { color: #b3261e; }
#tabs { display: flex; gap: .5rem; } .tab { background: #dfe6ee; color: #17324d; } .tab.selected { background: #17324d; color: #fff; }
#breaches li { color: #b3261e; }
ol.rows, #history { font-family: ui-monospace, monospace; font-size: .8rem; flex-basis: 100%; }
.hint { color: #5a6572; font-size: .85rem; margin: 0; }
#mine button { background: #e8eef5; color: #17324d; margin: .1rem 0; }
#card-fields, #history-fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); column-gap: 1rem; }
#card-fields tr, #history-fields tr { display: flex; border-bottom: 1px solid #e3e7eb; }
#card-fields th, #history-fields th { width: 8.5rem; flex: none; border: 0; } #card-fields td, #history-fields td { border: 0; word-break: break-all; }
"""#
}
