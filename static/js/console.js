// The facilitator's console: steps through the agenda, runs the questions, moderates examples and
// records the consensus. Everything shown comes from the server's snapshot; commands go back over the
// same socket and the next snapshot shows their effect.

import { heatMap } from './heatmap.js';
import { ReconnectingSocket } from './socket.js';
import { api } from './api.js';
import { h, isTyping, randomId, renderIfChanged } from './dom.js';
import { stepContent, strategiesGrid } from './step-view.js';
import { forgetCharts, liveChart } from './chart.js';
import { figuresList, groupsLine } from './figures.js';
import { DIRECTIONS, QUESTION_STATUSES, STATUSES, decimal, percent, time, valueLabel } from './format.js';

const COMMAND_TIMEOUT = 10000;
const RESULTS_THROTTLE = 2000;
const POLICY_VIOLATION = 1008;
const UNKNOWN_SESSION = 4404;

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const $ = (id) => document.getElementById(id);

const kinds = new Map([...$('kinds').children].map((item) => [item.dataset.kind, {
  id: item.dataset.kind, name: item.dataset.name, slaHint: item.dataset.slaHint,
}]));
const strategyNames = new Map([...$('strategy-names').children].map((item) => [item.dataset.strategy, item.dataset.name]));

let snapshot = null;
let shownStep = null; // index of the step whose question cards are built
const cards = new Map(); // question id -> card parts
const inflight = new Map(); // command id -> {button, timer}
const form = { kind: null, dirty: false, saving: false };
const rounds = new Map(); // question id -> {fetchedFor, at, data}

// --- the socket --------------------------------------------------------------------------------

const socket = new ReconnectingSocket(`/ws/${code}/control`, {
  isFatal: (event) => event.code === UNKNOWN_SESSION || event.code === POLICY_VIOLATION,
});

socket.onstatus = (status, detail) => {
  setConnection(status);
  if (status === 'stopped' && detail && detail.code === POLICY_VIOLATION) {
    showError('The server refused the console connection: open the facilitator address printed by “workshop serve” (the one with ?key=) in this browser, then reload.');
  } else if (status === 'stopped' && detail && detail.code === UNKNOWN_SESSION) {
    showError('There is no session with this code any more.');
  }
  updateCommandButtons();
};

socket.onmessage = (message) => {
  if (message.type === 'snapshot') {
    snapshot = message.snapshot;
    setConnection('open');
    render();
  } else if (message.type === 'ack') {
    settle(message.id);
  } else if (message.type === 'error') {
    settle(message.id);
    showError(message.message || message.code);
  }
};

function command(payload, button) {
  if (!socket.connected) {
    showError('Not connected to the server, so that was not sent. Reconnecting…');
    return;
  }
  const id = randomId();
  socket.send({ type: 'command', id, ...payload });
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  }
  const timer = setTimeout(() => {
    settle(id);
    showError('The server did not answer that command. It may still have been applied; check the state shown.');
  }, COMMAND_TIMEOUT);
  inflight.set(id, { button, timer });
}

function settle(id) {
  const entry = inflight.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  inflight.delete(id);
  if (entry.button) {
    entry.button.disabled = false;
    entry.button.removeAttribute('aria-busy');
  }
  updateCommandButtons();
}

// --- rendering ---------------------------------------------------------------------------------

function render() {
  renderPeople();
  renderSteps();
  renderCurrentStep();
  renderKeyTargets();
  renderModeration();
  renderRecords();
  renderConsensus();
  updateCommandButtons();
}

function renderPeople() {
  const { joined, connected } = snapshot.participants;
  const text = `${joined} joined · ${connected} connected`;
  if ($('people').textContent !== text) $('people').textContent = text;
}

function renderSteps() {
  const list = $('steps');
  renderIfChanged(list, snapshot.steps.map((step) => [step.index, step.title, step.kind]), () =>
    snapshot.steps.map((step) => h('li', {},
      h('button', {
        type: 'button', class: 'step-button', dataset: { step: String(step.index) },
        on: { click: (event) => command({ command: 'goto', step: step.index }, event.currentTarget) },
      },
      h('span', { class: 'step-number' }, String(step.index + 1)),
      h('span', { class: 'step-name' }, step.title),
      h('span', { class: 'step-progress' })))));
  for (const button of list.querySelectorAll('.step-button')) {
    const index = Number(button.dataset.step);
    const current = index === snapshot.current_step;
    button.classList.toggle('is-current', current);
    if (current) button.setAttribute('aria-current', 'step');
    else button.removeAttribute('aria-current');
    button.querySelector('.step-progress').textContent = stepProgress(snapshot.steps[index]);
  }
  $('prev').disabled = snapshot.current_step <= 0;
  $('next').disabled = snapshot.current_step >= snapshot.steps.length - 1;
}

/** A mark for the agenda: how far a step's questions have got, and whether its record exists. */
function stepProgress(step) {
  const marks = [];
  const open = step.questions.filter((question) => snapshot.questions[question.id]?.status === 'open').length;
  if (open) marks.push(`${open} open`);
  if (step.category && snapshot.consensus[step.category]) marks.push('recorded');
  return marks.join(' · ');
}

function currentStep() {
  return snapshot.steps[snapshot.current_step];
}

function renderCurrentStep() {
  const step = currentStep();
  $('step-count').textContent = `Step ${step.index + 1} of ${snapshot.steps.length} · ${step.kind}`;
  $('step-title').textContent = step.title;
  renderIfChanged($('step-content'), step, () => {
    const content = stepContent(step);
    return [
      content.length ? h('details', { class: 'step-details', open: true },
        h('summary', {}, 'What the room sees'), content) : null,
      step.strategies.length ? h('details', { class: 'strategies-details' },
        h('summary', {}, 'The four strategies and their tactics'), strategiesGrid(step.strategies)) : null,
    ];
  });
  if (shownStep !== step.index) {
    shownStep = step.index;
    cards.clear();
    forgetCharts('console:');
    $('questions').replaceChildren(...step.questions.map((question) => buildCard(question)));
  }
  for (const question of step.questions) updateCard(question);
  renderSummaryMap(step);
}

function renderSummaryMap(step) {
  const section = $('summary-map');
  const rows = step.kind === 'summary' ? snapshot.summary || [] : null;
  section.hidden = !rows;
  renderIfChanged(section, rows, () => (rows ? [
    h('h3', {}, 'Impact against consensus'),
    heatMap(rows),
    h('p', { class: 'hint' }, 'Top left is hottest: the variability hurts and the room does not agree on it yet.'),
  ] : []));
}

function buildCard(question) {
  const headingId = `card-${question.id.replace(/[^a-z0-9_-]/gi, '-')}`;
  const card = { question, buttons: {} };
  const actions = h('div', { class: 'q-actions', role: 'group', 'aria-label': 'Question controls' });
  const add = (name, label, className = 'button') => {
    const button = h('button', {
      type: 'button', class: className,
      on: { click: (event) => command({ command: name, question: question.id }, event.currentTarget) },
    }, label);
    card.buttons[name] = button;
    actions.append(button);
  };
  add('open', 'Open voting', 'button button--primary');
  add('close', 'Close voting');
  if (question.kind !== 'text') {
    add('reveal', 'Reveal results', 'button button--primary');
    add('hide', 'Hide results');
    add('new_round', 'New round');
  }
  card.badges = h('p', { class: 'badges' });
  card.keys = h('p', { class: 'q-keys', hidden: true });
  card.tally = h('div', { class: 'q-tally' });
  card.rounds = h('div', { class: 'q-rounds' });
  card.el = h('article', { class: 'q-card', 'aria-labelledby': headingId },
    h('header', { class: 'q-head' },
      h('h3', { id: headingId }, question.prompt),
      h('p', { class: 'q-id' }, `${question.id} · ${describeKind(question)}`),
      card.badges),
    card.keys, actions, card.tally, card.rounds);
  cards.set(question.id, card);
  return card.el;
}

function describeKind(question) {
  if (question.kind === 'scale') return `scale ${valueLabel(question, question.min)} … ${valueLabel(question, question.max)}`;
  if (question.kind === 'choice') return `choice of ${question.options.length}`;
  return `open text, up to ${question.max_length} characters, moderated`;
}

function updateCard(question) {
  const card = cards.get(question.id);
  const live = snapshot.questions[question.id];
  if (!card || !live) return;
  card.el.dataset.status = live.status;
  renderIfChanged(card.badges, [live.status, live.round, live.revealed], () => [
    h('span', { class: ['badge', `badge--${live.status}`] }, QUESTION_STATUSES[live.status] || live.status),
    h('span', { class: 'badge' }, `Round ${live.round}`),
    question.kind === 'text' ? null : h('span', { class: ['badge', live.revealed ? 'badge--revealed' : 'badge--hidden'] },
      live.revealed ? 'Results shown to the room' : 'Results hidden from the room'),
  ]);
  const { buttons } = card;
  buttons.open.hidden = live.status === 'open';
  buttons.open.textContent = live.status === 'closed' ? 'Reopen voting' : 'Open voting';
  buttons.close.hidden = live.status !== 'open';
  if (buttons.reveal) {
    buttons.reveal.hidden = live.status === 'pending' || live.revealed;
    buttons.hide.hidden = !live.revealed;
    buttons.new_round.hidden = live.status === 'pending';
  }
  if (question.kind === 'text') {
    const mine = snapshot.submissions.filter((item) => item.question_id === question.id);
    const count = (status) => mine.filter((item) => item.status === status).length;
    renderIfChanged(card.tally, [mine.length, count('pending'), count('approved')], () =>
      h('p', { class: 'tally-line' },
        `${mine.length} sent · ${count('pending')} to review · ${count('approved')} shown to the room`));
    return;
  }
  renderIfChanged(card.tally, { tally: live.tally || null, waiting: live.not_voted || null, status: live.status }, () =>
    tallyView(question, live));
  if (live.round > 1) fetchRounds(question, live);
  else card.rounds.replaceChildren();
}

function tallyView(question, live) {
  if (!live.tally) return h('p', { class: 'hint' }, 'Open voting to see the live tally.');
  const tally = live.tally;
  const parts = [h('p', { class: 'tally-line' }, h('strong', { class: 'voted-count' }, String(tally.voted)),
    ` ${tally.voted === 1 ? 'phone has' : 'phones have'} voted in round ${live.round}`)];
  if (live.not_voted && live.not_voted.count) {
    const names = live.not_voted.names.length ? `: ${live.not_voted.names.join(', ')}` : '';
    parts.push(h('p', { class: 'hint' }, `${live.not_voted.count} connected ${live.not_voted.count === 1 ? 'phone has' : 'phones have'} not voted yet${names}`));
  }
  parts.push(h('div', { class: 'tally-body' },
    h('div', { class: 'chart-box' }, liveChart(`console:${question.id}`, question, tally, { title: question.prompt })),
    figuresList(question, tally, { full: true })));
  const groups = groupsLine(question, tally);
  if (groups) parts.push(groups);
  return parts;
}

/** Earlier rounds and the shift between the last two, fetched now and then while voting runs. */
function fetchRounds(question, live) {
  const key = JSON.stringify([live.round, live.tally && live.tally.counts, live.status]);
  const entry = rounds.get(question.id) || { key: null, at: 0, timer: null };
  rounds.set(question.id, entry);
  if (entry.key === key) return;
  clearTimeout(entry.timer);
  const wait = Math.max(0, entry.at + RESULTS_THROTTLE - Date.now());
  entry.timer = setTimeout(async () => {
    entry.key = key;
    entry.at = Date.now();
    try {
      const data = await api('GET', `/api/sessions/${encodeURIComponent(code)}/results/${encodeURIComponent(question.id)}`);
      const card = cards.get(question.id);
      if (card) renderIfChanged(card.rounds, data, () => roundsView(question, data));
    } catch (error) {
      entry.key = null;
    }
  }, wait);
}

function roundsView(question, data) {
  const rows = data.rounds.map((round) => h('tr', {},
    h('th', { scope: 'row' }, `Round ${round.round}`),
    h('td', {}, String(round.n)),
    question.kind === 'scale' ? h('td', {}, decimal(round.mean)) : h('td', {}, round.leader ? valueLabel(question, round.leader) : '–'),
    question.kind === 'scale' ? h('td', {}, percent(round.consensus)) : null,
    h('td', {}, percent(round.agreement)),
    h('td', {}, round.reached ? 'Yes' : 'No')));
  const parts = [h('table', { class: 'rounds-table' },
    h('caption', {}, 'Rounds compared'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Round'), h('th', { scope: 'col' }, 'Votes'),
      h('th', { scope: 'col' }, question.kind === 'scale' ? 'Mean' : 'Leading'),
      question.kind === 'scale' ? h('th', { scope: 'col' }, 'Consensus') : null,
      h('th', { scope: 'col' }, 'Agreement'), h('th', { scope: 'col' }, 'Reached'))),
    h('tbody', {}, rows))];
  const shift = data.shift;
  if (shift) {
    const bits = [];
    if (shift.consensus_change !== null) bits.push(`consensus ${signedPoints(shift.consensus_change)}`);
    if (shift.agreement_change !== null) bits.push(`agreement ${signedPoints(shift.agreement_change)}`);
    if (shift.changed_share !== null) bits.push(`${percent(shift.changed_share)} of ${shift.voters_both} who voted in both rounds changed their vote`);
    parts.push(h('p', { class: 'hint' }, `Since the previous round: ${bits.join(' · ') || 'no comparison yet'}`));
  }
  return parts;
}

function signedPoints(change) {
  const points = Math.round(change * 100);
  return `${points > 0 ? '+' : points < 0 ? '\u2212' : '±'}${Math.abs(points)} points`;
}

// --- moderation --------------------------------------------------------------------------------

function renderModeration() {
  const pending = snapshot.submissions.filter((item) => item.status === 'pending');
  const approved = snapshot.submissions.filter((item) => item.status === 'approved');
  $('pending-count').textContent = String(pending.length);
  $('pending-empty').hidden = pending.length > 0;
  $('approved-empty').hidden = approved.length > 0;
  renderIfChanged($('pending'), pending, () => pending.map((item) => submissionItem(item, [
    ['approve', 'Approve', 'button button--small button--primary'],
    ['reject', 'Reject', 'button button--small'],
  ])));
  renderIfChanged($('approved'), approved, () => approved.map((item) => submissionItem(item, [
    ['reject', 'Withdraw', 'button button--small'],
  ])));
}

function submissionItem(item, actions) {
  const who = [item.name, item.group_name].filter(Boolean).join(', ') || 'anonymous';
  return h('li', { class: 'submission' },
    h('p', { class: 'submission-text' }, item.text),
    h('p', { class: 'submission-meta' }, `${who} · ${item.question_id}`),
    h('div', { class: 'submission-actions' }, actions.map(([name, label, className]) => h('button', {
      type: 'button', class: className, 'aria-label': `${label}: ${item.text.slice(0, 60)}`,
      on: { click: (event) => command({ command: name, submission: item.id }, event.currentTarget) },
    }, label))));
}

// --- consensus records -------------------------------------------------------------------------

function renderRecords() {
  const list = [...kinds.values()].map((kind) => ({ kind, record: snapshot.consensus[kind.id] || null }));
  renderIfChanged($('records'), list.map(({ kind, record }) => [kind.id, record && record.recorded_at]), () =>
    list.map(({ kind, record }) => {
      const step = snapshot.steps.find((item) => item.category === kind.id);
      return h('li', { class: record ? 'is-recorded' : 'is-missing' },
        step ? h('button', {
          type: 'button', class: 'link-button',
          on: { click: (event) => command({ command: 'goto', step: step.index }, event.currentTarget) },
        }, kind.name) : h('span', {}, kind.name),
        h('span', { class: 'record-line' }, record
          ? `${STATUSES[record.status]} · ${DIRECTIONS[record.direction]} · ${strategyNames.get(record.strategy) || record.strategy}`
          : 'Not recorded yet'));
    }));
}

const consensusForm = $('consensus-form');

function renderConsensus() {
  const step = currentStep();
  const kind = step.kind === 'category' && step.category ? kinds.get(step.category) : null;
  $('consensus').hidden = !kind;
  if (!kind) {
    form.kind = null;
    return;
  }
  const record = snapshot.consensus[kind.id] || null;
  const proposal = snapshot.proposals[kind.id] || {};
  const hint = step.sla_hint || kind.slaHint;
  if (form.kind !== kind.id) {
    form.kind = kind.id;
    form.dirty = false;
    $('consensus-title').textContent = `Record the consensus on ${kind.name.toLowerCase()} variability`;
    $('sla-hint').textContent = `What this kind feeds into an SLA: ${hint}`;
    $('consensus-status').textContent = '';
  }
  if (!form.dirty && !form.saving) {
    fillForm(record || {
      direction: proposal.direction, strategy: proposal.strategy,
      status: proposal.reached ? 'agreed' : null, sla_input: hint,
    });
  }
  $('proposal').textContent = proposalText(proposal);
  renderFormWarnings();
  renderIfChanged($('saved-record'), record, () => (record ? recordView(record) : h('p', { class: 'hint' },
    'Nothing recorded for this kind yet.')));
}

function proposalText(proposal) {
  if (!proposal.direction && !proposal.strategy) return 'The votes do not lean anywhere yet: open the direction and strategy questions first.';
  const parts = [];
  if (proposal.direction) parts.push(DIRECTIONS[proposal.direction]);
  if (proposal.strategy) parts.push(strategyNames.get(proposal.strategy) || proposal.strategy);
  const reached = proposal.reached === true ? 'consensus reached' : proposal.reached === false ? 'consensus not reached' : '';
  return `The votes lean to: ${parts.join(' · ')}${reached ? ` (${reached})` : ''}. The form starts from this; change anything.`;
}

function fillForm(values) {
  for (const name of ['direction', 'strategy', 'status']) {
    for (const input of consensusForm.elements[name]) input.checked = input.value === values[name];
  }
  for (const name of ['notes', 'dissent', 'sla_input']) {
    consensusForm.elements[name].value = values[name] || '';
  }
}

function recordView(record) {
  const evidence = record.evidence || {};
  const direction = evidence.direction;
  const rows = [
    ['Direction', DIRECTIONS[record.direction] || record.direction],
    ['Strategy', strategyNames.get(record.strategy) || record.strategy],
    ['Status', STATUSES[record.status] || record.status],
    ['Notes', record.notes],
    ['Dissent', record.dissent],
    ['SLA input', record.sla_input],
    ['Evidence', direction
      ? `Round ${direction.round}: ${direction.n} votes, consensus ${percent(direction.consensus)}, agreement ${percent(direction.agreement)}, ${direction.reached ? 'reached' : 'not reached'}`
      : 'No direction votes'],
    ['Recorded', time(record.recorded_at)],
  ].filter(([, value]) => value);
  return [
    h('h4', {}, 'Saved record'),
    h('dl', { class: 'record-list' }, rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
    (evidence.warnings || []).length ? h('ul', { class: 'warnings' }, evidence.warnings.map((text) => h('li', {}, text))) : null,
  ];
}

consensusForm.addEventListener('input', () => { form.dirty = true; renderFormWarnings(); });

// The same checks the server stores with the record, shown while the facilitator fills the form.
function formWarnings() {
  const direction = consensusForm.elements.direction.value;
  const chosen = [...consensusForm.elements.strategy].find((input) => input.checked);
  const family = chosen ? chosen.dataset.family : null;
  const status = consensusForm.elements.status.value;
  const proposal = (form.kind && snapshot.proposals[form.kind]) || {};
  const warnings = [];
  if (direction === 'less' && family === 'accommodate') warnings.push('Less variability allowed, but an accommodation strategy: reducing strategies fit "less".');
  if (direction === 'more' && family === 'reduce') warnings.push('More variability allowed, but a reduction strategy: accommodating strategies fit "more".');
  if (status === 'agreed' && proposal.reached === false) warnings.push('Recorded as agreed, but the votes did not reach the consensus threshold.');
  return warnings;
}

function renderFormWarnings() {
  const warnings = formWarnings();
  const list = $('form-warnings');
  list.hidden = !warnings.length;
  renderIfChanged(list, warnings, () => warnings.map((text) => h('li', {}, text)));
}

consensusForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(consensusForm);
  const missing = ['direction', 'strategy', 'status'].filter((name) => !data.get(name));
  const status = $('consensus-status');
  if (missing.length) {
    const words = missing.map((name) => ({ direction: 'a direction', strategy: 'a strategy', status: 'a status' })[name]);
    const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];
    status.textContent = `Choose ${list} first.`;
    status.dataset.mode = 'error';
    return;
  }
  const kind = form.kind;
  const body = {};
  for (const name of ['direction', 'strategy', 'status', 'notes', 'dissent', 'sla_input']) body[name] = String(data.get(name) || '');
  const button = consensusForm.querySelector('button[type="submit"]');
  button.disabled = true;
  form.saving = true;
  status.textContent = 'Saving…';
  status.dataset.mode = '';
  try {
    const record = await api('PUT', `/api/sessions/${encodeURIComponent(code)}/consensus/${encodeURIComponent(kind)}`, body);
    form.dirty = false;
    status.textContent = `Recorded at ${time(record.recorded_at)}.`;
    status.dataset.mode = 'ok';
    if (snapshot && form.kind === kind) {
      snapshot.consensus[kind] = record;
      renderIfChanged($('saved-record'), record, () => recordView(record));
    }
  } catch (error) {
    status.textContent = `Not saved: ${error.message}`;
    status.dataset.mode = 'error';
  } finally {
    form.saving = false;
    button.disabled = false;
  }
});

// --- status, errors, keyboard ------------------------------------------------------------------

const CONNECTION_TEXT = { connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', stopped: 'Disconnected' };

function setConnection(status) {
  const connection = $('connection');
  connection.dataset.status = status;
  const text = CONNECTION_TEXT[status] || status;
  const label = connection.querySelector('.connection-text');
  if (label.textContent !== text) label.textContent = text;
}

/** Command buttons do nothing useful while the socket is down; say so rather than fail later. */
function updateCommandButtons() {
  main.classList.toggle('is-offline', !socket.connected);
}

function showError(text) {
  $('error-text').textContent = text;
  $('error').hidden = false;
}

$('error-close').addEventListener('click', () => { $('error').hidden = true; });

function go(delta) {
  if (!snapshot) return;
  const target = snapshot.current_step + delta;
  if (target < 0 || target >= snapshot.steps.length) return;
  command({ command: 'goto', step: target }, delta < 0 ? $('prev') : $('next'));
}

$('prev').addEventListener('click', () => go(-1));
$('next').addEventListener('click', () => go(1));

// --- keyboard: the questions Space and Enter act on -----------------------------------------------

/**
 * Space opens the next question of the step, or closes the one that is open; it never reopens a
 * closed one (the card's button does that). Enter reveals or hides the results of the question being
 * voted on, else of the latest one asked. Both are shown on the cards, so nothing is a surprise.
 */
function keyTargets() {
  if (!snapshot) return { space: null, enter: null };
  const step = currentStep();
  const live = (question) => snapshot.questions[question.id] || { status: 'pending' };
  const open = step.questions.find((question) => live(question).status === 'open') || null;
  const space = open || step.questions.find((question) => live(question).status === 'pending') || null;
  let enter = open && open.kind !== 'text' ? open : null;
  if (!enter) {
    const asked = step.questions.filter((question) => question.kind !== 'text' && live(question).status !== 'pending');
    enter = asked.length ? asked[asked.length - 1] : null;
  }
  return {
    space: space && { question: space, command: live(space).status === 'open' ? 'close' : 'open' },
    enter: enter && { question: enter, command: live(enter).revealed ? 'hide' : 'reveal' },
  };
}

const KEY_ACTIONS = {
  open: 'opens voting', close: 'closes voting', reveal: 'reveals the results', hide: 'hides the results',
};
const KEY_NEXT = {
  open: 'open voting on', close: 'close voting on', reveal: 'reveal the results of', hide: 'hide the results of',
};

function renderKeyTargets() {
  const { space, enter } = keyTargets();
  for (const [qid, card] of cards) {
    const keys = [];
    if (space && space.question.id === qid) keys.push(['Space', KEY_ACTIONS[space.command]]);
    if (enter && enter.question.id === qid) keys.push(['Enter', KEY_ACTIONS[enter.command]]);
    card.el.classList.toggle('is-key-target', keys.length > 0);
    card.keys.hidden = keys.length === 0;
    renderIfChanged(card.keys, keys, () => [
      h('span', { class: 'visually-hidden' }, 'Keyboard: '),
      keys.map(([key, action], index) => [index ? ' · ' : '', h('kbd', {}, key), ` ${action}`]),
    ]);
  }
  const describe = (target) => (target ? `Next: ${KEY_NEXT[target.command]} “${target.question.prompt}”` : 'Nothing to do on this step');
  const spaceText = describe(space);
  const enterText = describe(enter);
  if ($('space-target').textContent !== spaceText) $('space-target').textContent = spaceText;
  if ($('enter-target').textContent !== enterText) $('enter-target').textContent = enterText;
}

function runKeyTarget(target) {
  if (!target) return;
  const card = cards.get(target.question.id);
  command({ command: target.command, question: target.question.id }, card ? card.buttons[target.command] : null);
  // Keep the card the key acted on in sight, so its badges and tally show the result.
  if (card) {
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    card.el.scrollIntoView({ block: 'nearest', behavior: smooth ? 'smooth' : 'auto' });
  }
}

// --- keyboard: full screen on the projector ---------------------------------------------------------

// The projector is another window. Only that window may go full screen, and only on a user gesture
// there; so the console asks it over a BroadcastChannel (same browser only) and reports its answer.
const projectorChannel = 'BroadcastChannel' in window ? new BroadcastChannel(`workshop-${code}`) : null;
let fullscreenTimer = null;

function projectorFullscreen() {
  const status = $('projector-status');
  if (!projectorChannel) {
    status.textContent = 'This browser cannot reach the projector window: press F on the projector.';
    return;
  }
  projectorChannel.postMessage({ type: 'fullscreen' });
  status.textContent = 'Asking the projector window…';
  clearTimeout(fullscreenTimer);
  fullscreenTimer = setTimeout(() => {
    status.textContent = 'No projector window is open in this browser. Open it with “Open projector”, then press F there.';
  }, 1500);
}

if (projectorChannel) {
  projectorChannel.addEventListener('message', (event) => {
    const message = event.data || {};
    if (message.type !== 'fullscreen-result') return;
    clearTimeout(fullscreenTimer);
    const status = $('projector-status');
    if (message.refused) {
      status.textContent = 'The browser wants a key press on the projector itself: press F on the projector window (it shows how).';
    } else {
      status.textContent = message.fullscreen ? 'The projector is full screen.' : 'The projector left full screen.';
    }
  });
}

$('projector-fullscreen').addEventListener('click', projectorFullscreen);

// A button clicked with a mouse or a finger lets go of the focus afterwards: otherwise the next Space
// would press it again (say, a second "New round") instead of acting on the highlighted question.
// A button pressed from the keyboard (event.detail 0) keeps the focus, as keyboard users expect.
document.addEventListener('click', (event) => {
  if (event.detail === 0) return;
  const button = event.target instanceof Element ? event.target.closest('button') : null;
  if (button && document.activeElement === button) button.blur();
});

/** Space and Enter belong to whatever has focus when that is a control (a button, link or field). */
function focusOnControl(event) {
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest('a[href], button, input, textarea, select, summary, label, [role="button"], [contenteditable=""], [contenteditable="true"]'));
}

document.addEventListener('keydown', (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (isTyping(event)) return;
  if (event.key === 'ArrowRight') {
    event.preventDefault();
    go(1);
  } else if (event.key === 'ArrowLeft') {
    event.preventDefault();
    go(-1);
  } else if (event.key === ' ' || event.key === 'Enter') {
    if (focusOnControl(event)) return;
    event.preventDefault();
    if (event.repeat) return;
    const targets = keyTargets();
    runKeyTarget(event.key === ' ' ? targets.space : targets.enter);
  } else if (event.key === 'f' || event.key === 'F') {
    if (event.repeat) return;
    event.preventDefault();
    projectorFullscreen();
  }
});

socket.start();
