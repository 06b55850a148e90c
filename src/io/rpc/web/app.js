// corrent's web UI: the native API (docs/DAEMON.md) and its event stream. The list is
// loaded once each time the stream (re)opens and then kept up to date by events (stats
// deltas, state changes, adds and removes): no polling. Events that arrive while the list
// loads wait for it.

const $ = (id) => document.getElementById(id);
const H = { 'X-Requested-With': 'corrent-ui' };  // no Basic prompt on a 401

const torrents = new Map();  // id -> torrent object (the API's T)
const rows = new Map();      // id -> <tr>
let selected = null;         // id of the torrent in the details pane
let sortKey = 'added_at';
let sortDir = 1;
let events = null;           // the EventSource
let listLoading = null;      // a promise while the list loads
let queued = [];             // events received meanwhile, applied after it
const history = [];          // [down, up] totals, once a second
let detailsTimer = 0;
// The list's fields (the rest of T is only shown in the details, which fetch their own).
const LIST_FIELDS = 'id,name,state,progress,size,done,down_rate,up_rate,peers,added_at,error';

// --- formatting ---------------------------------------------------------------------------

function size(n) {
  if (!(n > 0)) return '0 B';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}
const rate = (n) => (n >= 1 ? `${size(n)}/s` : '–');
function eta(t) {
  if (t.state !== 'downloading' || !(t.down_rate >= 1) || !(t.size > 0)) return t.progress >= 1 ? '' : '∞';
  let s = Math.round((t.size - t.done) / t.down_rate);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d`;
}
const etaSeconds = (t) => (t.state === 'downloading' && t.down_rate >= 1 ? (t.size - t.done) / t.down_rate : Infinity);
const stateText = {
  fetching_metadata: 'Metadata', checking: 'Checking', downloading: 'Downloading',
  seeding: 'Seeding', paused: 'Paused', finished: 'Finished', error: 'Error',
};
const date = (s) => (s > 0 ? new Date(s * 1000).toLocaleString() : '–');

// --- HTTP -----------------------------------------------------------------------------------

async function call(method, path, body, type) {
  const headers = { ...H };
  if (type) headers['Content-Type'] = type;
  const r = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  if (r.status === 401) { showLogin(); throw new Error('log in first'); }
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!r.ok) throw new Error((json && json.error) || `${r.status} ${r.statusText}`);
  return json;
}
const get = (path) => call('GET', path);
const postJSON = (path, obj) => call('POST', path, JSON.stringify(obj), 'application/json');

function banner(text, kind = 'error') {
  const b = $('banner');
  b.textContent = text;
  b.className = `banner ${kind}`;
  b.hidden = !text;
  if (text && kind === 'info') setTimeout(() => { if (b.textContent === text) b.hidden = true; }, 4000);
}

// --- login ------------------------------------------------------------------------------------

function showLogin() {
  if (events) { events.close(); events = null; }
  banner('');
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-password').focus();
}

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = $('login-error');
  err.hidden = true;
  let r;
  try {
    r = await fetch('/api/v1/login', {
      method: 'POST', credentials: 'same-origin', headers: { ...H, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: $('login-user').value, password: $('login-password').value }),
    });
  } catch (e) {
    err.textContent = `Cannot reach the daemon: ${e.message}`;
    err.hidden = false;
    return;
  }
  if (r.ok) { $('login-password').value = ''; $('login').hidden = true; start(true); return; }
  err.textContent = r.status === 429 ? 'Too many attempts: wait a minute.' : 'Wrong user name or password.';
  err.hidden = false;
});

$('logout').addEventListener('click', async () => {
  try { await call('POST', '/api/v1/logout', ''); } catch { /* gone anyway */ }
  showLogin();
});

// --- the list ---------------------------------------------------------------------------------

function cell(tr, i) { return tr.children[i]; }

const rowTemplate = document.createElement('tr');
rowTemplate.setAttribute('role', 'row');  // the list is laid out as a grid: keep its table roles
rowTemplate.innerHTML = '<td role="cell"></td><td role="cell" class="num wide"></td><td role="cell">'
  + '<div class="bar"><div class="fill"></div><span></span></div></td><td role="cell"></td>'
  + '<td role="cell" class="num rate"></td><td role="cell" class="num rate"></td>'
  + '<td role="cell" class="num wide"></td><td role="cell" class="num wide"></td>';

function makeRow(id) {
  const tr = rowTemplate.cloneNode(true);
  tr.dataset.id = id;
  return tr;
}
$('rows').addEventListener('click', (ev) => {
  const tr = ev.target.closest('tr');
  if (tr && tr.dataset.id) select(tr.dataset.id);
});

function paint(id) {
  const t = torrents.get(id);
  let tr = rows.get(id);
  if (!t) return;
  if (!tr) { tr = makeRow(id); rows.set(id, tr); }
  cell(tr, 0).textContent = t.name;
  cell(tr, 0).title = t.error || t.name;
  cell(tr, 1).textContent = t.size ? size(t.size) : '?';
  cell(tr, 1).title = t.size ? `${t.size} bytes` : 'size not known yet';
  const pct = Math.floor((t.progress || 0) * 1000) / 10;
  const bar = cell(tr, 2).firstChild;
  bar.firstChild.style.width = `${pct}%`;
  bar.lastChild.textContent = `${pct.toFixed(1)}%`;
  bar.dataset.done = t.progress >= 1 ? 'yes' : 'no';
  cell(tr, 3).textContent = stateText[t.state] || t.state;
  cell(tr, 3).className = `state ${t.state}`;
  cell(tr, 4).textContent = rate(t.down_rate);
  cell(tr, 5).textContent = rate(t.up_rate);
  cell(tr, 6).textContent = String(t.peers || 0);
  cell(tr, 7).textContent = eta(t);
  tr.classList.toggle('selected', id === selected);
  if (id === selected) setSelectionButtons();
}

function visible(t) {
  const st = $('state-filter').value;
  const q = $('search').value.trim().toLowerCase();
  return (!st || t.state === st) && (!q || t.name.toLowerCase().includes(q));
}

function sortValue(t) {
  if (sortKey === 'eta') return etaSeconds(t);
  const v = t[sortKey];
  return typeof v === 'string' ? v.toLowerCase() : v ?? 0;
}

let layoutQueued = false;
function layout() {
  if (layoutQueued) return;
  layoutQueued = true;
  requestAnimationFrame(() => {
    layoutQueued = false;
    const list = [...torrents.values()].filter(visible);
    list.sort((a, b) => {
      const x = sortValue(a), y = sortValue(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.added_at - b.added_at);
    });
    const body = $('rows');
    const frag = document.createDocumentFragment();
    for (const t of list) { if (!rows.has(t.id)) paint(t.id); frag.appendChild(rows.get(t.id)); }
    body.replaceChildren(frag);
    $('count').textContent = `${list.length} of ${torrents.size} torrents`;
    for (const th of document.querySelectorAll('#list th')) {
      th.classList.toggle('sorted', th.dataset.key === sortKey);
      th.classList.toggle('desc', th.dataset.key === sortKey && sortDir < 0);
    }
  });
}

async function loadList() {
  const r = await get(`/api/v1/torrents?fields=${LIST_FIELDS}`);
  const ids = new Set();
  for (const t of r.torrents) {
    const known = torrents.get(t.id);  // keeps fields the list leaves out (from an add or action)
    torrents.set(t.id, known ? Object.assign(known, t) : t);
    ids.add(t.id);
    paint(t.id);
  }
  for (const id of [...torrents.keys()]) if (!ids.has(id)) forget(id);
  layout();
  totals();
}

// The list, then the events that came meanwhile (they are newer than or as new as the list).
async function reload() {
  if (listLoading) return listLoading;
  listLoading = (async () => {
    try { await loadList(); } catch (e) { if ($('login').hidden) banner(e.message); }
    listLoading = null;
    const q = queued;
    queued = [];
    for (const f of q) f();
  })();
  return listLoading;
}

async function loadOne(id) {
  try {
    const t = await get(`/api/v1/torrents/${id}`);
    for (const k of ['peers_list', 'files', 'trackers', 'pieces']) delete t[k];
    torrents.set(id, t);
    paint(id);
    layout();
  } catch { /* gone meanwhile */ }
}

function forget(id) {
  torrents.delete(id);
  const tr = rows.get(id);
  if (tr) tr.remove();
  rows.delete(id);
  if (selected === id) closeDetails();
}

for (const th of document.querySelectorAll('#list th')) {
  th.addEventListener('click', () => {
    if (sortKey === th.dataset.key) sortDir = -sortDir; else { sortKey = th.dataset.key; sortDir = 1; }
    layout();
  });
}
$('state-filter').addEventListener('change', layout);
$('search').addEventListener('input', layout);

// --- totals and the rate graph ---------------------------------------------------------------

function totals() {
  let down = 0, up = 0;
  for (const t of torrents.values()) { down += t.down_rate || 0; up += t.up_rate || 0; }
  $('totals').textContent = `↓ ${rate(down)}  ↑ ${rate(up)}`;
  return [down, up];
}

function drawGraph() {
  history.push(totals());
  if (history.length > 120) history.shift();
  const c = $('graph');
  const g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const max = Math.max(1, ...history.map(([d, u]) => Math.max(d, u)));
  for (const [k, color] of [[0, '#2a7de1'], [1, '#2aa15a']]) {
    g.beginPath();
    g.strokeStyle = color;
    history.forEach((h, i) => {
      const x = (i / 119) * (c.width - 1);
      const y = c.height - 1 - (h[k] / max) * (c.height - 2);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
}

// --- events ------------------------------------------------------------------------------------

function connect() {
  if (events) events.close();
  const es = new EventSource('/api/v1/events');
  events = es;
  let opened = false;
  es.addEventListener('open', () => { opened = true; banner(''); reload(); });
  es.addEventListener('error', (e) => {
    if (events !== es || typeof e.data === 'string') return;  // a torrent's `error` event: below
    // Lost or refused: reconnect ourselves, after asking whether we are still logged in. The
    // browser's own retry would meet a 401 with a Basic challenge once the session is gone
    // (a restarted daemon forgets its sessions): a browser password prompt over the page.
    es.close();
    events = null;
    banner('Connection to the daemon lost: retrying…');
    retryStream();
  });
  // Should the stream not open (a proxy in the way), the list still shows, once.
  setTimeout(() => { if (events === es && !opened && torrents.size === 0) reload(); }, 5000);
  const on = (type, f) => es.addEventListener(type, (e) => {
    if (typeof e.data !== 'string') return;  // the stream's own `error` (a connection event, no data)
    let d;
    try { d = JSON.parse(e.data); } catch { return; }
    if (listLoading) queued.push(() => f(d)); else f(d);
  });
  on('stats', (d) => {
    for (const s of d.torrents) {
      const t = torrents.get(s.id);
      if (!t) continue;
      Object.assign(t, s);
      paint(s.id);
    }
    if (sortKey !== 'name' && sortKey !== 'added_at') layout();
    if (selected && d.torrents.some((s) => s.id === selected)) refreshDetailsSoon();
  });
  on('state', (d) => {
    const t = torrents.get(d.id);
    if (t) { t.state = d.to; paint(d.id); layout(); }
    if (d.id === selected) refreshDetailsSoon();
  });
  on('added', (d) => { if (!torrents.has(d.id)) loadOne(d.id); });
  on('metadata', (d) => loadOne(d.id));
  on('completed', (d) => loadOne(d.id));
  on('error', (d) => { loadOne(d.id); banner(`${torrents.get(d.id)?.name || d.id}: ${d.error}`); });
  on('removed', (d) => { forget(d.id); layout(); });
  // Sent first on a reconnect when events were missed: a list load that is under way was
  // asked for after it (on `open`), so it already has what they said.
  es.addEventListener('resync', () => { if (!listLoading) reload(); });
}

// Every 2 s (the daemon's `retry:`): is it back, and are we still logged in? Then the
// stream again (and the list with it); logged out: the login form.
let retryTimer = 0;
function retryStream() {
  if (retryTimer) return;
  retryTimer = setTimeout(async () => {
    retryTimer = 0;
    if (events || !$('login').hidden) return;
    let a;
    try {
      a = await (await fetch('/api/v1/auth', { headers: H, credentials: 'same-origin' })).json();
    } catch { retryStream(); return; }  // not back yet
    if (events || !$('login').hidden) return;
    if (a.required && !a.logged_in) showLogin(); else connect();
  }, 2000);
}

// --- actions -------------------------------------------------------------------------------------

function setSelectionButtons() {
  const t = selected && torrents.get(selected);
  $('pause').disabled = !t || t.state === 'paused';
  $('resume').disabled = !t || t.state !== 'paused';
  $('remove').disabled = !t;
}

async function act(what) {
  if (!selected) return;
  try {
    const t = await call('POST', `/api/v1/torrents/${selected}/${what}`, '');
    torrents.set(t.id, { ...torrents.get(t.id), ...t });
    paint(t.id);
    setSelectionButtons();
  } catch (e) { banner(e.message); }
}
$('pause').addEventListener('click', () => act('pause'));
$('resume').addEventListener('click', () => act('resume'));

$('remove').addEventListener('click', () => {
  const t = torrents.get(selected);
  if (!t) return;
  $('remove-what').textContent = t.name;
  $('remove-data').checked = false;
  $('remove-dialog').returnValue = '';  // Escape keeps the last value: never a stale 'ok'
  $('remove-dialog').showModal();
});
$('remove-dialog').addEventListener('close', async () => {
  if ($('remove-dialog').returnValue !== 'ok' || !selected) return;
  const id = selected;
  try {
    await call('DELETE', `/api/v1/torrents/${id}${$('remove-data').checked ? '?delete_data=true' : ''}`);
    forget(id);
    layout();
  } catch (e) { banner(e.message); }
});

function toBase64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function addFiles(files) {
  for (const f of files) {
    try {
      const t = await postJSON('/api/v1/torrents', { metainfo: toBase64(await f.arrayBuffer()) });
      torrents.set(t.id, t);
      paint(t.id);
      layout();
      banner(`Added ${t.name}`, 'info');
    } catch (e) { banner(`${f.name}: ${e.message}`); }
  }
}
$('add-file').addEventListener('change', (ev) => { addFiles([...ev.target.files]); ev.target.value = ''; });
$('add-magnet').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const uri = $('magnet').value.trim();
  if (!uri) return;
  try {
    const t = await postJSON('/api/v1/torrents', { uri });
    torrents.set(t.id, t);
    paint(t.id);
    layout();
    $('magnet').value = '';
  } catch (e) { banner(e.message); }
});
// Dragging files over the page outlines it (a counter: enter/leave fire for every child).
let dragDepth = 0;
const dragsFiles = (ev) => ev.dataTransfer && [...ev.dataTransfer.types].includes('Files');
document.addEventListener('dragenter', (ev) => {
  if (!dragsFiles(ev)) return;
  dragDepth++;
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (ev) => {
  if (!dragsFiles(ev)) return;
  if (--dragDepth <= 0) { dragDepth = 0; document.body.classList.remove('dragging'); }
});
document.addEventListener('dragover', (ev) => { if (dragsFiles(ev)) ev.preventDefault(); });
document.addEventListener('drop', (ev) => {
  if (!dragsFiles(ev)) return;
  ev.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  const all = [...ev.dataTransfer.files];
  const ok = all.filter((f) => f.name.toLowerCase().endsWith('.torrent'));
  if (ok.length < all.length) banner(`Not a .torrent file: ${all.filter((f) => !ok.includes(f)).map((f) => f.name).join(', ')}`);
  if (ok.length) addFiles(ok);
});

$('limits-open').addEventListener('click', async () => {
  try {
    const l = await get('/api/v1/session/limits');
    $('limit-down').value = Math.round(l.max_download_rate / 1000);
    $('limit-up').value = Math.round(l.max_upload_rate / 1000);
    $('limits-dialog').returnValue = '';
    $('limits-dialog').showModal();
  } catch (e) { banner(e.message); }
});
$('limits-dialog').addEventListener('close', async () => {
  if ($('limits-dialog').returnValue !== 'ok') return;
  try {
    await postJSON('/api/v1/session/limits', {
      max_download_rate: Math.max(0, Number($('limit-down').value) || 0) * 1000,
      max_upload_rate: Math.max(0, Number($('limit-up').value) || 0) * 1000,
    });
    banner('Limits saved', 'info');
  } catch (e) { banner(e.message); }
});

// --- details -------------------------------------------------------------------------------------

function select(id) {
  const before = selected;
  selected = id;
  if (before && rows.get(before)) rows.get(before).classList.remove('selected');
  rows.get(id)?.classList.add('selected');
  setSelectionButtons();
  $('details').hidden = false;
  $('details').parentElement.classList.add('with-details');
  refreshDetails();
}

function closeDetails() {
  selected = null;
  $('details').hidden = true;
  $('details').parentElement.classList.remove('with-details');
  setSelectionButtons();
}
$('d-close').addEventListener('click', closeDetails);

for (const b of document.querySelectorAll('.tabs button')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('.tabs button')) x.classList.toggle('active', x === b);
    for (const tab of document.querySelectorAll('.tab')) tab.hidden = tab.id !== `tab-${b.dataset.tab}`;
  });
}

function table(headers, items) {
  const t = document.createElement('table');
  const head = t.createTHead().insertRow();
  for (const h of headers) { const th = document.createElement('th'); th.textContent = h; head.appendChild(th); }
  const body = t.createTBody();
  for (const item of items) {
    const tr = body.insertRow();
    for (const v of item) tr.insertCell().textContent = v;
  }
  return t;
}

function refreshDetailsSoon() {
  if (detailsTimer) return;
  detailsTimer = setTimeout(() => { detailsTimer = 0; refreshDetails(); }, 2000);
}

async function refreshDetails() {
  const id = selected;
  if (!id) return;
  let d;
  try { d = await get(`/api/v1/torrents/${id}`); } catch { return; }
  if (selected !== id) return;
  $('d-name').textContent = d.name;
  const general = [
    ['Info hash', d.id], ['State', stateText[d.state] || d.state], ['Saved in', d.save_path],
    ['Size', size(d.size)], ['Done', `${size(d.done)} (${(d.progress * 100).toFixed(1)}%)`],
    ['Down', rate(d.down_rate)], ['Up', rate(d.up_rate)], ['Peers', String(d.peers || 0)],
    ['Downloaded', size(d.downloaded)], ['Uploaded', size(d.uploaded)],
    ['Added', date(d.added_at)], ['Pieces', `${d.pieces_done} of ${d.pieces_total}`],
    ['Error', d.error || '–'],
  ];
  const kv = table(['', ''], general);
  kv.className = 'kv';
  $('tab-general').replaceChildren(kv);
  $('tab-files').replaceChildren(table(['File', 'Size', 'Done'],
    d.files.map((f) => [f.path, size(f.size), f.size ? `${((f.done ?? 0) / f.size * 100).toFixed(1)}%` : '100%'])));
  $('tab-peers').replaceChildren(table(['Address', 'Client', 'Transport', 'Downloaded', 'Uploaded'],
    d.peers_list.map((p) => [p.address, p.client, p.transport, size(p.downloaded), size(p.uploaded)])));
  $('tab-trackers').replaceChildren(table(['Tracker', 'Status', 'Next announce'],
    d.trackers.map((t) => [t.urls.join(' '), t.status, t.next_announce_in ? `${Math.round(t.next_announce_in)}s` : '–'])));
  drawPieces(d.pieces, d.pieces_total);
}

function drawPieces(hex, n) {
  const c = $('piece-map');
  const g = c.getContext('2d');
  g.fillStyle = '#e4e7eb';
  g.fillRect(0, 0, c.width, c.height);
  if (!n) return;
  g.fillStyle = '#2a7de1';
  // One column per piece, or per run of pieces when there are more pieces than pixels.
  for (let x = 0; x < c.width; x++) {
    const from = Math.floor((x * n) / c.width), to = Math.max(from + 1, Math.floor(((x + 1) * n) / c.width));
    let have = 0;
    for (let p = from; p < to && p < n; p++) {
      const byte = parseInt(hex.substr((p >> 3) * 2, 2), 16);
      if (byte & (0x80 >> (p & 7))) have++;
    }
    if (have) { g.globalAlpha = have / (to - from); g.fillRect(x, 0, 1, c.height); }
  }
  g.globalAlpha = 1;
}

// --- start ---------------------------------------------------------------------------------------

let graphTimer = 0;
function start(afterLogin) {
  $('app').hidden = false;
  $('logout').hidden = !afterLogin && !window.correntAuthRequired;
  connect();  // the list loads when the stream opens
  if (!graphTimer) graphTimer = setInterval(drawGraph, 1000);
}

(async () => {
  try {
    const a = await (await fetch('/api/v1/auth', { headers: H, credentials: 'same-origin' })).json();
    window.correntAuthRequired = a.required;
    if (a.required && !a.logged_in) showLogin(); else start(false);
  } catch (e) {
    banner(`Cannot reach the daemon: ${e.message}`);
  }
})();
