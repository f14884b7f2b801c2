// The dashboard's only script: polls /ui/data every few seconds and redraws the page from it.
// Every value from Git or Docker goes into the page through textContent (never as markup),
// and links are built only from http(s) URLs, so nothing in a commit or a container name can
// run here; the Content-Security-Policy forbids any other script as well.
'use strict';

const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function short(sha) {
  return sha ? String(sha).slice(0, 8) : '-';
}

function age(iso) {
  if (!iso) return '';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** A link to the commit on its forge when the repository URL is one; else the short SHA. */
function commitNode(source, sha) {
  if (!sha) return el('span', '-');
  const code = el('code', short(sha));
  code.title = sha;
  let url;
  try { url = new URL(source); } catch { return code; }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return code;
  const path = url.pathname.replace(/\.git$/, '').replace(/\/$/, '');
  const commitPath = /gitlab/i.test(url.hostname) ? `${path}/-/commit/${sha}` : /bitbucket/i.test(url.hostname) ? `${path}/commits/${sha}` : `${path}/commit/${sha}`;
  const a = document.createElement('a');
  a.href = `${url.protocol}//${url.host}${commitPath}`;
  a.rel = 'noreferrer';
  a.appendChild(code);
  return a;
}

function fill(tableId, rows) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', 'none', 'muted');
    td.colSpan = $(tableId).tHead.rows[0].cells.length;
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

function row(cells) {
  const tr = el('tr');
  for (const cell of cells) {
    const td = el('td');
    if (cell instanceof Node) td.appendChild(cell);
    else if (cell && typeof cell === 'object') { td.textContent = cell.text; if (cell.className) td.className = cell.className; }
    else td.textContent = cell === undefined || cell === null ? '' : String(cell);
    tr.appendChild(td);
  }
  return tr;
}

function render({ status, history }) {
  const source = status.source || '';
  $('cluster').textContent = status.cluster || '';
  $('phase').textContent = status.phase;
  $('phase').className = `badge ${status.phase === 'idle' ? 'ok' : status.phase === 'stalled' || status.phase === 'paused' ? 'bad' : 'warn'}`;
  $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  $('tracked').replaceChildren(commitNode(source, status.trackedRevision));
  $('applied').replaceChildren(commitNode(source, status.appliedRevision));
  $('lastGood').replaceChildren(commitNode(source, status.lastGoodRevision));
  $('source').textContent = source;
  const last = status.lastReconcile;
  $('lastReconcile').textContent = last ? `${last.result}, ${age(last.finishedAt)}, took ${(last.durationMs / 1000).toFixed(1)} s` : '-';

  $('paused').hidden = !status.paused;
  if (status.paused) $('paused').textContent = `paused on ${short(status.paused.revision)}: ${status.paused.reason}`;
  const error = status.lastError;
  $('error').hidden = !error;
  if (error) {
    $('errorTitle').textContent = `${error.code}${error.revision ? ` at ${short(error.revision)}` : ''} (${age(error.at)})`;
    $('errorMessage').textContent = error.message;
    $('errorProblems').replaceChildren(...(error.problems || []).map((p) => el('li', `${p.file}:${p.line}:${p.col}: ${p.message}`)));
  }

  const perNode = new Map();
  for (const s of status.services) for (const r of s.replicas) perNode.set(r.node, (perNode.get(r.node) || 0) + 1);
  fill('nodes', status.nodes.map((n) => row([n.name, { text: n.up ? 'up' : 'down', className: n.up ? 'ok' : 'bad' }, perNode.get(n.name) || 0, n.error || ''])));

  fill('services', status.services.map((s) => {
    const running = s.replicas.filter((r) => r.state === 'running').length;
    const where = s.replicas.map((r) => `${r.slot}@${r.node} ${r.state}${r.health ? ` (${r.health})` : ''}`).join(', ');
    const drift = s.drift.map((d) => `${d.kind} ${d.count} on ${d.node}`).concat(s.unplaceable.map((u) => `unplaceable ${u.slot}: ${u.reason}`)).join('; ');
    return row([`${s.stack}/${s.service}`, { text: s.inSync ? 'in sync' : 'out of sync', className: s.inSync ? 'ok' : 'bad' }, `${running}/${s.desiredReplicas}`, { text: where, className: 'wrap' }, { text: drift, className: 'wrap' }]);
  }));

  fill('quarantined', status.quarantined.map((q) => row([commitNode(source, q.revision), age(q.at), { text: q.reason, className: 'wrap' }])));

  fill('history', history.slice().reverse().slice(0, 25).map((h) => {
    const took = h.finishedAt ? `${((Date.parse(h.finishedAt) - Date.parse(h.startedAt)) / 1000).toFixed(1)} s` : '';
    const c = h.changes || {};
    const outcomeClass = h.outcome === 'deployed' || h.outcome === 'converged' ? 'ok' : h.outcome === 'reverted' || h.outcome === 'failed' || h.outcome === 'invalid' ? 'bad' : '';
    return row([commitNode(source, h.revision), { text: h.outcome, className: outcomeClass }, age(h.startedAt), took, `+${c.create || 0} ~${c.replace || 0} -${c.remove || 0}`, { text: h.reason || '', className: 'wrap' }]);
  }));
}

async function refresh() {
  try {
    const res = await fetch('/ui/data', { credentials: 'same-origin', cache: 'no-store' });
    if (res.status === 401) { window.location.assign('/'); return; }
    if (res.ok) render(await res.json());
    else $('updated').textContent = `the daemon answered ${res.status}`;
  } catch (err) {
    $('updated').textContent = `the daemon is not answering (${err && err.message ? err.message : err})`;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
