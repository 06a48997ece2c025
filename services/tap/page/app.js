// The tap's page: connects to /stream with the token, shows each document as a card that gathers
// its synthesized rounds (pairs) and the rendered M-shot texts of its chain. Record text is only ever
// put in the page with textContent (never as HTML): the corpus is arbitrary web text.
//
// The token comes from the address (#token=… — a fragment never reaches a server or its logs — or
// ?token=…) or the token form, and is removed from the address bar once read. Browsers cannot set
// headers on a WebSocket, so the page presents it as the `token` query parameter of /stream.

const MAX_CARDS = 300;
const MAX_PENDING = 2000;
const TEXT_PREVIEW = 800;
const ROLES = ['raw', 'rounds', 'augmented', 'dlq'];

const $ = (id) => document.getElementById(id);
const stream = $('stream');
const form = $('filters');

const state = {
  token: '',
  ws: null,
  paused: false,
  pending: [],
  received: { raw: 0, rounds: 0, augmented: 0, dlq: 0 },
  dropped: 0,
  /** Client-side copy of the applied filters, to hide cards already shown. */
  filters: {},
  retryMs: 1000,
  /** doc id → card */
  cards: new Map(),
};

function readToken() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  const fromQuery = new URLSearchParams(location.search).get('token');
  const token = fromHash || fromQuery || sessionStorage.getItem('ipt-tap-token') || '';
  if (fromHash || fromQuery) history.replaceState(null, '', location.pathname);
  return token;
}

function setStatus(text, stateName) {
  const el = $('status');
  el.textContent = text;
  el.dataset.state = stateName;
}

function connect() {
  if (!state.token) {
    $('token-form').hidden = false;
    setStatus('token needed', 'closed');
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/stream?token=${encodeURIComponent(state.token)}`);
  state.ws = ws;
  setStatus('connecting…', 'connecting');
  ws.addEventListener('open', () => {
    state.retryMs = 1000;
    setStatus('connected', 'open');
    subscribe();
  });
  ws.addEventListener('message', (event) => onMessage(JSON.parse(event.data)));
  ws.addEventListener('close', (event) => {
    if (state.ws !== ws) return;
    state.ws = null;
    const why = event.reason ? `: ${event.reason}` : '';
    setStatus(`disconnected (${event.code}${why}); retrying`, 'closed');
    setTimeout(connect, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 30000);
  });
}

function readFilters() {
  const data = new FormData(form);
  const filters = {};
  for (const key of ['docId', 'chainId', 'url', 'domain', 'run']) {
    const value = String(data.get(key) || '').trim();
    if (value) filters[key] = key === 'domain' ? value.toLowerCase() : value;
  }
  const topics = data.getAll('topic').map(String);
  const sample = Number(data.get('sample')) || 1;
  return { filters, topics, sample: Math.min(1, Math.max(0.001, sample)) };
}

function subscribe() {
  const { filters, topics, sample } = readFilters();
  state.filters = filters;
  applyFiltersToCards();
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  const { run, ...rest } = filters;
  const message = {
    type: 'subscribe',
    topics: topics.length ? topics : ROLES,
    from: 'now',
    filters: rest,
    sample,
  };
  if (run) message.run = run;
  state.ws.send(JSON.stringify(message));
}

function onMessage(message) {
  switch (message.type) {
    case 'record':
      state.received[message.role] = (state.received[message.role] || 0) + 1;
      setCounter(`got-${message.role}`, state.received[message.role]);
      if (state.paused) {
        state.pending.push(message);
        if (state.pending.length > MAX_PENDING) state.pending.shift();
        $('paused-note').textContent = `paused — ${state.pending.length} waiting`;
      } else render(message);
      break;
    case 'subscribed':
      setStatus('live', 'live');
      break;
    case 'stats':
      for (const role of ROLES) setCounter(`read-${role}`, message.read[role] || 0);
      break;
    case 'dropped':
      state.dropped = message.total;
      $('dropped').textContent = String(message.total);
      break;
    case 'error':
      setStatus(`error: ${message.error}`, 'error');
      break;
    default:
      break;
  }
}

function setCounter(name, value) {
  const el = document.querySelector(`[data-counter="${name}"]`);
  if (el) el.textContent = String(value);
}

/** An element with text content only. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function cardFor(docId) {
  let card = state.cards.get(docId);
  if (card) return card;
  const node = el('article', 'doc');
  node.dataset.docId = docId;
  const head = el('header', 'doc-head');
  head.append(el('span', 'doc-id', docId), el('span', 'doc-url'), el('span', 'doc-meta'));
  node.append(head, el('p', 'doc-text placeholder', '(document not seen by this page)'));
  node.append(el('section', 'rounds'), el('section', 'rendered'));
  card = {
    node,
    facets: { docIds: new Set([docId]), chainIds: new Set(), urls: new Set(), runs: new Set() },
  };
  state.cards.set(docId, card);
  stream.prepend(node);
  while (state.cards.size > MAX_CARDS) {
    const [oldest, old] = state.cards.entries().next().value;
    old.node.remove();
    state.cards.delete(oldest);
  }
  return card;
}

function addFacets(card, facets) {
  for (const key of ['docIds', 'chainIds', 'urls', 'runs']) {
    for (const v of facets[key] || []) card.facets[key].add(v);
  }
  card.node.hidden = !cardMatches(card.facets, state.filters);
}

const RENDERERS = { raw: renderRaw, rounds: renderRound, augmented: renderAugmented, dlq: renderDeadLetter };

function render(message) {
  const value = message.value;
  if (!value) return;
  RENDERERS[message.role]?.(value, message);
}

function renderRaw(value, message) {
  const card = cardFor(value.doc_id);
  const text = card.node.querySelector('.doc-text');
  text.classList.remove('placeholder');
  text.textContent = value.text.length > TEXT_PREVIEW ? `${value.text.slice(0, TEXT_PREVIEW)}…` : value.text;
  card.node.querySelector('.doc-url').textContent = value.url || '';
  card.node.querySelector('.doc-meta').textContent =
    `${value.token_count} tokens · ${value.source}` +
    (value.chunk_count > 1 ? ` · chunk ${value.chunk_index + 1}/${value.chunk_count}` : '');
  addFacets(card, message.facets);
}

function renderRound(value, message) {
  const card = cardFor(value.doc_id || value.chain_id);
  const round = el('div', `round kind-${value.kind.toLowerCase()}`);
  round.dataset.chainId = value.chain_id;
  const label =
    value.kind === 'CLOSE'
      ? `chain closed (${value.close ? value.close.reason : 'OTHER'}) · ${value.chain_id}`
      : `round ${value.round_index} · ${value.pairs.length} pair${value.pairs.length === 1 ? '' : 's'} · ${value.chain_id} · run ${value.run.run_id}`;
  round.append(el('div', 'round-head', label));
  const list = el('ol', 'pairs');
  for (const pair of value.pairs) {
    const item = el('li');
    item.append(el('div', 'q', pair.question), el('div', 'a', pair.answer));
    list.append(item);
  }
  round.append(list);
  card.node.querySelector('.rounds').append(round);
  addFacets(card, message.facets);
}

/** Each rendered text is shown on the card of the document its first round read. */
function renderAugmented(value, message) {
  for (const text of value.texts) {
    const first = value.rounds[text.round_indexes[0]];
    const card = cardFor(first ? first.doc_id : value.doc_ids[0] || value.chain_id);
    const block = el('div', 'rendered-text');
    block.dataset.chainId = value.chain_id;
    block.append(
      el(
        'div',
        'rendered-head',
        `rendered (${text.framing}, ${text.token_count} tokens) · rounds ${text.round_indexes.join(', ')} · ${value.chain_id}`,
      ),
      el('pre', 'rendered-body', text.text),
    );
    card.node.querySelector('.rendered').append(block);
    addFacets(card, message.facets);
  }
}

function renderDeadLetter(value, message) {
  const card = cardFor(value.doc_id || `dlq ${message.topic}/${message.partition}/${message.offset}`);
  card.node.classList.add('has-dlq');
  card.node
    .querySelector('.rounds')
    .append(
      el(
        'div',
        'dead-letter',
        `dead letter: ${value.stage} ${value.error_class} — ${value.error_name}: ${value.message}`,
      ),
    );
  addFacets(card, message.facets);
}

/** The tap's matching rules (services/tap/protocol.ts `matches`), over a card's gathered ids. */
function cardMatches(facets, filters) {
  const ids = (set) => [...set];
  if (filters.docId) {
    const d = filters.docId;
    if (!ids(facets.docIds).some((id) => id === d || id.startsWith(`${d}#`))) return false;
  }
  if (filters.chainId) {
    const c = filters.chainId;
    const prefix = c.endsWith('/') ? c : `${c}/`;
    if (!ids(facets.chainIds).some((id) => id === c || id.startsWith(prefix))) return false;
  }
  if (filters.url) {
    const u = filters.url.toLowerCase();
    if (!ids(facets.urls).some((url) => url.toLowerCase().includes(u))) return false;
  }
  if (filters.domain) {
    const d = filters.domain.replace(/^\.+|\.+$/g, '');
    const hosts = ids(facets.urls).map(hostOf);
    if (!hosts.some((h) => h && (h === d || h.endsWith(`.${d}`)))) return false;
  }
  if (filters.run && facets.runs.size > 0 && !facets.runs.has(filters.run)) return false;
  return true;
}

function hostOf(url) {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

function applyFiltersToCards() {
  for (const card of state.cards.values()) card.node.hidden = !cardMatches(card.facets, state.filters);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  subscribe();
});

$('pause').addEventListener('click', () => {
  state.paused = !state.paused;
  $('pause').textContent = state.paused ? 'Resume' : 'Pause';
  if (!state.paused) {
    const pending = state.pending;
    state.pending = [];
    for (const message of pending) render(message);
    $('paused-note').textContent = '';
  } else $('paused-note').textContent = 'paused — 0 waiting';
});

$('clear').addEventListener('click', () => {
  stream.replaceChildren();
  state.cards.clear();
});

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = $('token-input').value.trim();
  sessionStorage.setItem('ipt-tap-token', state.token);
  $('token-form').hidden = true;
  connect();
});

state.token = readToken();
if (state.token) sessionStorage.setItem('ipt-tap-token', state.token);
connect();
