// The participant's phone: join, show the current step, vote, and see results once revealed.
// The server is the truth: every `state` message is a full picture, and a vote counts as received
// only when its `ack` arrives (sent after the vote is committed).

import { ReconnectingSocket } from './socket.js';
import { ConnectionStatus } from './connection-status.js';
import { h, clear, isTyping, randomId, renderIfChanged } from './dom.js';
import { QuestionOrder } from './phone-order.js';
import { Outbox, storage } from './outbox.js';
import { stepContent } from './step-view.js';
import { forgetCharts, liveChart } from './chart.js';
import { figuresList } from './figures.js';
import { isCentred, signed, valueLabel } from './format.js';
import { CLOSE_CODES, LIMITS } from './vocabulary.js';
import { countdownText, everySecond } from './countdown.js';

// A vote without an ack for this long means the connection is probably dead even if the browser
// has not noticed (common on phones switching networks): reconnect and re-send.
const ACK_TIMEOUT = 8000;
const TOAST_TIME = 4500;
const JOIN_RETRY = 15000;

const ERROR_TEXT = {
  question_closed: 'Voting has closed',
  rate_limited: 'Too many taps at once. Wait a moment and try again.',
  session_ended: 'This workshop has ended. Only phones that took part in it can come back.',
  unknown_question: 'That question is no longer available',
  unavailable: 'The server could not save that just now. Try again.',
};

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const tokenStore = storage(`workshop:${code}:token`, null);
const outbox = new Outbox(`workshop:${code}:outbox`);
// The session this phone is in, so Back to the join form returns here (see join.js).
const lastSession = storage('workshop:last-session', null);

const el = {
  connection: document.getElementById('connection'),
  joinView: document.getElementById('join-view'),
  joinForm: document.getElementById('join-form'),
  liveView: document.getElementById('live-view'),
  step: document.getElementById('step'),
  stepDetails: document.getElementById('step-details'),
  questions: document.getElementById('questions'),
  earlier: document.getElementById('earlier'),
  earlierList: document.getElementById('earlier-list'),
  waiting: document.getElementById('waiting'),
  examples: document.getElementById('examples'),
  examplesList: document.getElementById('examples-list'),
  toast: document.getElementById('toast'),
  announcer: document.getElementById('announcer'),
  connectionNote: document.getElementById('connection-note'),
  stoppedView: document.getElementById('stopped-view'),
  endedView: document.getElementById('ended-view'),
  endedRecords: document.getElementById('ended-records'),
  endedEmpty: document.getElementById('ended-empty'),
};

// Closes after which reconnecting would only be refused again, and what the person is told.
const FINAL_CLOSES = {
  [CLOSE_CODES.replaced]: ['This session is open on another tab or device',
    'Votes go from there. To vote here instead, reload this page; the other one stops.'],
  [CLOSE_CODES.removed]: ['The facilitator removed this phone',
    'It can no longer vote in this session.'],
  [CLOSE_CODES.unknown_session]: ['No such session',
    'Check the code on the big screen and join again.'],
};

let token = tokenStore.load();
let joinDetails = null; // name and group of a first join, until the welcome arrives
let joined = false;
let started = false;
let state = null;
// Per question: the round, the value the server has confirmed, and a tapped value awaiting its ack.
let choices = new Map();
const submissions = new Map(); // message id -> {question, text, status}
const drafts = new Map(); // question id -> unsent text, kept across re-renders
const views = new Map(); // question id -> rendered question
const questionOrder = new QuestionOrder();
let ackTimer = null;
let toastTimer = null;
let joinTimer = null;

const socket = new ReconnectingSocket(`/ws/${code}`, {
  isFatal: (event) => Object.hasOwn(FINAL_CLOSES, event.code),
});
const connection = new ConnectionStatus(el.connection, { joining: 'Joining…', joined: 'Connected' });

socket.onopen = () => {
  joined = false;
  setConnection('joining');
  sendJoin();
};

// "Connected" waits for the welcome: the socket's own "open" is not shown.
connection.follow(socket, {
  hold: ['open'],
  then: (status, detail) => {
    if (status === 'open') return;
    const wasJoined = joined;
    joined = false;
    if (status === 'stopped' && detail && Object.hasOwn(FINAL_CLOSES, detail.code)) {
      showStopped(...FINAL_CLOSES[detail.code]);
      return;
    }
    showNote(status, detail);
    if (wasJoined) refreshAllChoices();
  },
});

socket.onmessage = (message) => {
  const handler = HANDLERS[message.type];
  if (handler) handler(message);
};

const HANDLERS = {
  welcome(message) {
    joined = true;
    clearTimeout(joinTimer);
    token = message.participant.token;
    tokenStore.save(token);
    lastSession.save({ code, at: Date.now() });
    joinDetails = null;
    showLive();
    setConnection('joined');
    choices = choicesFrom(message.ballot || {});
    applyState(message.state);
    // Votes tapped while the connection was down go now, with their first ids: counted once.
    flushOutbox();
  },

  state(message) {
    const { type, ...rest } = message;
    applyState(rest);
  },

  ack(message) {
    const item = outbox.remove(message.id);
    if (!outbox.size) clearTimeout(ackTimer);
    const submission = submissions.get(message.id);
    if (submission || (item && item.type === 'submit')) {
      const entry = submission || { question: item.question, text: item.text };
      submissions.set(message.id, { ...entry, status: 'received' });
      refreshChoice(entry.question);
      announce('Example sent for review');
      return;
    }
    const choice = choices.get(message.question);
    if (choice && choice.pending && choice.pending.id === message.id) {
      choice.confirmed = String(choice.pending.value);
      choice.pending = null;
      choice.round = message.round;
      refreshChoice(message.question);
      refreshResults(message.question);
      const view = views.get(message.question);
      announce(view ? `Vote received: ${valueLabel(view.question, choice.confirmed)}` : 'Vote received');
    }
  },

  error(message) {
    if (message.code === 'not_joined') {
      joined = false;
      sendJoin();
      return;
    }
    if (message.code === 'removed') {
      socket.stop();
      showStopped(...FINAL_CLOSES[CLOSE_CODES.removed]);
      return;
    }
    if (message.id) forget(message.id);
    if (!joined && !message.id) joinRefused(message);
    showToast(ERROR_TEXT[message.code] || message.message || 'Something went wrong');
  },
};

// --- joining -----------------------------------------------------------------------------------

function sendJoin() {
  const message = { type: 'join' };
  if (token) message.token = token;
  if (joinDetails) {
    if (joinDetails.name) message.name = joinDetails.name;
    if (joinDetails.group) message.group = joinDetails.group;
  }
  socket.send(message);
}

function joinRefused(message) {
  if (message.code === 'rate_limited') {
    clearTimeout(joinTimer);
    joinTimer = setTimeout(() => { if (!joined) sendJoin(); }, JOIN_RETRY);
    return;
  }
  if (!token) {
    el.joinView.hidden = false;
    el.liveView.hidden = true;
    setFormBusy(false);
  }
}

function startSocket() {
  if (started) {
    if (socket.connected) sendJoin();
    return;
  }
  started = true;
  socket.start();
}

function showLive() {
  // From the join form, whose button may sit low on a small screen, to the top of what is on now.
  if (!el.joinView.hidden) window.scrollTo(0, 0);
  el.joinView.hidden = true;
  el.liveView.hidden = false;
}

function setFormBusy(busy) {
  const button = el.joinForm.querySelector('button[type="submit"]');
  button.disabled = busy;
  button.textContent = busy ? 'Joining…' : 'Join';
}

el.joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(el.joinForm);
  joinDetails = { name: String(form.get('name') || '').trim(), group: String(form.get('group') || '') };
  setFormBusy(true);
  startSocket();
});

// --- state and ballot --------------------------------------------------------------------------

function choicesFrom(ballot) {
  const next = new Map();
  for (const [qid, vote] of Object.entries(ballot)) {
    next.set(qid, { round: vote.round, confirmed: String(vote.value), pending: null });
  }
  // Votes still waiting in the outbox show as pending until their ack comes back.
  for (const item of outbox.all()) {
    if (item.type !== 'vote') continue;
    const choice = next.get(item.question) || { round: item.round, confirmed: null, pending: null };
    if (choice.round !== item.round) {
      choice.round = item.round;
      choice.confirmed = null;
    }
    choice.pending = { id: item.id, value: item.value };
    next.set(item.question, choice);
  }
  return next;
}

function applyState(next) {
  state = next;
  for (const question of state.questions) {
    const choice = choices.get(question.id);
    if (choice && choice.round !== question.round) choices.delete(question.id);
    // A vote queued for a round that has since been replaced would land in the new round.
    outbox.dropWhere((item) => item.type === 'vote' && item.question === question.id && item.round < question.round);
  }
  render();
}

/** Send everything not yet acknowledged, with the ids it was first given; returns how many. */
function flushOutbox() {
  const items = outbox.all();
  for (const item of items) socket.send(messageOf(item));
  if (items.length) armAckTimer();
  return items.length;
}

function messageOf(item) {
  if (item.type === 'submit') return { type: 'submit', id: item.id, question: item.question, text: item.text };
  return { type: 'vote', id: item.id, question: item.question, value: item.value };
}

function armAckTimer() {
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => {
    if (outbox.size && socket.connected) socket.restart();
  }, ACK_TIMEOUT);
}

/** A refused message: drop it from the outbox and show the vote the server does have. */
function forget(id) {
  const item = outbox.remove(id);
  const submission = submissions.get(id);
  if (submission) {
    submissions.delete(id);
    if (!drafts.get(submission.question)) drafts.set(submission.question, submission.text);
    rebuildQuestion(submission.question);
    return;
  }
  if (!item) return;
  const choice = choices.get(item.question);
  if (choice && choice.pending && choice.pending.id === id) {
    choice.pending = null;
    refreshChoice(item.question);
  }
}

function vote(question, value) {
  if (question.status !== 'open') return;
  const id = randomId();
  outbox.add({ type: 'vote', id, question: question.id, value, round: question.round });
  let choice = choices.get(question.id);
  if (!choice || choice.round !== question.round) {
    choice = { round: question.round, confirmed: null, pending: null };
    choices.set(question.id, choice);
  }
  choice.pending = { id, value };
  refreshChoice(question.id);
  if (joined && socket.send(messageOf({ type: 'vote', id, question: question.id, value }))) {
    armAckTimer();
  } else {
    announce(`Saved on this phone: ${valueLabel(question, String(value))}. It is sent when the connection is back.`);
  }
}

function submitText(question, text) {
  const id = randomId();
  const item = { type: 'submit', id, question: question.id, text, round: question.round };
  outbox.add(item);
  submissions.set(id, { question: question.id, text, status: 'pending' });
  drafts.delete(question.id);
  if (joined && socket.send(messageOf(item))) armAckTimer();
}

// --- rendering ---------------------------------------------------------------------------------

function render() {
  const ended = Boolean(state.ended);
  document.body.classList.toggle('is-ended', ended);
  // Once it is over, the connection no longer matters to the person: no badge, no "Reconnecting".
  el.connection.hidden = ended;
  el.endedView.hidden = !ended;
  el.liveView.hidden = ended;
  if (ended) {
    renderEnded();
    return;
  }
  renderStep();
  renderQuestions();
  renderExamples();
}

/** The end of the workshop: thanks, and what the room agreed, kind by kind. */
function renderEnded() {
  const records = state.records || [];
  el.endedEmpty.hidden = records.length > 0;
  renderIfChanged(el.endedRecords, records, () => records.map((record) => h('li', { class: 'ended-record' },
    h('h3', {}, `${record.kind_label} variability`),
    h('p', {}, `${record.direction_label} · ${record.strategy_name}`),
    h('p', { class: 'hint' }, record.status_label))));
}

/** A close that ends this page's part (replaced, removed, no such session): say why, stop for good. */
function showStopped(title, text) {
  // Removed, or no such session: the join form should no longer send this phone back here. (A phone
  // replaced by another tab still has its place, there.)
  const gone = title !== FINAL_CLOSES[CLOSE_CODES.replaced][0];
  if (gone && (lastSession.load() || {}).code === code) lastSession.save(null);
  clearTimeout(ackTimer);
  clearTimeout(joinTimer);
  el.joinView.hidden = true;
  el.liveView.hidden = true;
  el.endedView.hidden = true;
  el.toast.hidden = true;
  el.connectionNote.hidden = true;
  document.getElementById('stopped-title').textContent = title;
  document.getElementById('stopped-text').textContent = text;
  el.stoppedView.hidden = false;
}

function renderStep() {
  const step = state.step;
  renderIfChanged(el.step, { index: step.index, count: step.count, title: step.title }, () => [
    h('p', { class: 'step-count' }, `Step ${step.index + 1} of ${step.count}`),
    h('h2', { class: 'step-title' }, step.title),
  ]);
  renderIfChanged(el.stepDetails, step, () => {
    const content = stepContent(step);
    if (!content.length) return [];
    // With questions open the buttons matter most; the step text waits below them.
    return h('details', { class: 'step-details', open: true },
      h('summary', {}, step.kind === 'category' ? `About ${step.title.toLowerCase()}` : 'About this step'),
      content);
  });
}

function renderQuestions() {
  // What can be answered now comes first, where the thumb is; then the latest result; older ones fold.
  const { open, latest, earlier, opened } = questionOrder.arrange(state.step.index, state.questions);
  const wanted = [...open, ...latest, ...earlier].map((question) => question.id);
  for (const question of state.questions) {
    const definition = { ...question };
    delete definition.results;
    delete definition.revealed;
    const signature = JSON.stringify(definition);
    let view = views.get(question.id);
    if (!view || view.signature !== signature) {
      const built = buildQuestion(question);
      built.signature = signature;
      if (view) view.el.replaceWith(built.el);
      view = built;
      views.set(question.id, view);
    }
    view.question = question;
    refreshChoice(question.id);
    refreshResults(question.id);
  }
  for (const [qid, view] of views) {
    if (!wanted.includes(qid)) {
      view.el.remove();
      views.delete(qid);
    }
  }
  placeAll(el.questions, [...open, ...latest]);
  placeAll(el.earlierList, earlier);
  el.earlier.hidden = earlier.length === 0;
  el.waiting.hidden = wanted.length > 0;
  // A question just opened is brought into view, wherever the person had scrolled to.
  if (opened.length && !isTyping({ target: document.activeElement })) {
    views.get(opened[0]).el.scrollIntoView({ block: 'start' });
  }
}

function placeAll(list, questions) {
  const current = [...list.children];
  const nodes = questions.map((question) => views.get(question.id).el);
  if (current.length !== nodes.length || current.some((node, index) => node !== nodes[index])) {
    list.replaceChildren(...nodes);
  }
}

function renderExamples() {
  const examples = state.examples || [];
  el.examples.hidden = examples.length === 0;
  renderIfChanged(el.examplesList, examples, () => examples.map((item) => h('li', {}, h('bdi', {}, item.text))));
}

function buildQuestion(question) {
  const headingId = `q-${question.id.replace(/[^a-z0-9_-]/gi, '-')}`;
  const card = h('section', { class: ['card', 'question', `question--${question.status}`], 'aria-labelledby': headingId });
  const meta = [question.status === 'open' ? (question.kind === 'text' ? 'Open for examples' : 'Voting open') : 'Voting closed'];
  if (question.round > 1) meta.unshift(`Round ${question.round}`);
  const timed = question.status === 'open' && question.closes_at;
  card.append(
    h('p', { class: 'question-meta' }, meta.join(' · '), timed ? ' · ' : null,
      timed ? h('span', { class: 'countdown', role: 'timer', dataset: { closesAt: question.closes_at } },
        countdownText(question.closes_at)) : null),
    h('h3', { id: headingId, class: 'question-prompt' }, question.prompt),
  );
  const view = { el: card, question, buttons: [], status: null, results: null, submitted: null };
  if (question.kind === 'text') buildText(view, question);
  else if (question.status === 'open') buildChoices(view, question);
  else {
    view.status = h('p', { class: 'vote-status vote-status--closed' });
    card.append(view.status);
  }
  view.results = h('div', { class: 'results' });
  card.append(view.results);
  return view;
}

function buildChoices(view, question) {
  const options = [];
  if (question.kind === 'scale') {
    for (let value = question.min; value <= question.max; value += 1) {
      const label = (question.labels || {})[String(value)] || '';
      options.push({ value, number: signed(value, isCentred(question)), label });
    }
  } else {
    for (const option of question.options || []) options.push({ value: option.id, number: '', label: option.label });
  }
  const group = h('div', { class: ['choices', `choices--${question.kind}`], role: 'group', 'aria-label': question.prompt });
  for (const option of options) {
    const button = h('button', {
      type: 'button', class: 'choice', 'aria-pressed': 'false', dataset: { value: String(option.value) },
      on: { click: () => vote(view.question, option.value) },
    },
    option.number ? h('span', { class: 'choice-number' }, option.number) : null,
    // A space between number and words, so a screen reader says "minus 1 Less", not "minus 1Less".
    option.number && option.label ? ' ' : null,
    option.label ? h('span', { class: 'choice-label' }, option.label) : null,
    h('span', { class: 'choice-mark', 'aria-hidden': 'true' }));
    view.buttons.push(button);
    group.append(button);
  }
  if (question.allow_abstain) {
    const abstain = h('button', {
      type: 'button', class: 'choice choice--abstain', 'aria-pressed': 'false', dataset: { value: 'abstain' },
      on: { click: () => vote(view.question, 'abstain') },
    }, h('span', { class: 'choice-label' }, 'Abstain'), h('span', { class: 'choice-mark', 'aria-hidden': 'true' }));
    view.buttons.push(abstain);
    group.append(abstain);
  }
  view.status = h('p', { class: 'vote-status' });
  view.el.append(group, view.status);
}

function buildText(view, question) {
  view.submitted = h('ul', { class: 'submitted' });
  if (question.status !== 'open') {
    view.status = h('p', { class: 'vote-status vote-status--closed' }, 'Submissions are closed.');
    view.el.append(view.status, view.submitted);
    return;
  }
  const fieldId = `${view.el.getAttribute('aria-labelledby')}-text`;
  const countId = `${fieldId}-count`;
  const limit = question.max_length || LIMITS.submission_text;
  const textarea = h('textarea', {
    id: fieldId, name: 'text', maxlength: limit, rows: 4, required: true, 'aria-describedby': countId,
  });
  textarea.value = drafts.get(question.id) || '';
  const counter = h('p', { id: countId, class: 'hint char-count' });
  const updateCount = () => { counter.textContent = `${textarea.value.length} of ${limit} characters`; };
  updateCount();
  textarea.addEventListener('input', () => {
    drafts.set(question.id, textarea.value);
    updateCount();
  });
  const form = h('form', {
    class: 'text-form',
    on: {
      submit: (event) => {
        event.preventDefault();
        const text = textarea.value.trim();
        if (!text) return;
        submitText(view.question, text);
        textarea.value = '';
        updateCount();
        refreshChoice(question.id);
      },
    },
  },
  h('label', { for: fieldId, class: 'visually-hidden' }, 'Your example'),
  textarea, counter,
  h('button', { type: 'submit', class: 'button button--primary button--big' }, 'Send'));
  view.status = h('p', { class: 'vote-status' }, 'The facilitator reads examples before they are shown to the room.');
  view.el.append(form, view.status, view.submitted);
}

function displayed(question) {
  const choice = choices.get(question.id);
  if (!choice || choice.round !== question.round) return { value: null, pending: false };
  if (choice.pending) return { value: String(choice.pending.value), pending: true };
  return { value: choice.confirmed, pending: false };
}

function refreshChoice(qid) {
  const view = views.get(qid);
  if (!view) return;
  const question = view.question;
  if (question.kind === 'text') {
    const mine = [...submissions.values()].filter((item) => item.question === qid);
    clear(view.submitted);
    for (const item of mine) {
      view.submitted.append(h('li', { class: item.status === 'received' ? 'is-received' : 'is-pending' },
        h('span', { class: 'submitted-text' }, h('bdi', {}, item.text)),
        h('span', { class: 'submitted-status' }, item.status === 'received' ? 'Sent for review' : (joined ? 'Sending…' : 'Waiting for connection…'))));
    }
    return;
  }
  const { value, pending } = displayed(question);
  for (const button of view.buttons) {
    const chosen = button.dataset.value === value;
    button.setAttribute('aria-pressed', chosen ? 'true' : 'false');
    button.classList.toggle('is-pending', chosen && pending);
  }
  if (!view.status) return;
  const label = value === null ? '' : valueLabel(question, value);
  let text;
  let mode = 'idle';
  if (question.status !== 'open') {
    text = value === null ? 'Voting closed. You did not vote.' : `Voting closed. Your vote: ${label}`;
    mode = 'closed';
  } else if (pending) {
    text = joined ? `Sending: ${label}…` : `Saved on this phone: ${label}. It is sent when the connection is back.`;
    mode = 'pending';
  } else if (value !== null) {
    text = `Vote received: ${label}. You can change it while voting is open.`;
    mode = 'received';
  } else {
    text = 'Tap your answer. You can change it while voting is open.';
  }
  view.status.textContent = text;
  view.status.dataset.mode = mode;
}

function refreshAllChoices() {
  for (const qid of views.keys()) refreshChoice(qid);
}

function refreshResults(qid) {
  const view = views.get(qid);
  if (!view || !view.results) return;
  const question = view.question;
  const { value, pending } = displayed(question);
  const shown = question.revealed && question.results ? { results: question.results, mine: pending ? null : value } : null;
  const chartKey = `phone:${qid}`;
  if (!shown) forgetCharts(chartKey);
  renderIfChanged(view.results, shown, () => {
    if (!shown) return [];
    return [
      h('h4', { class: 'results-title' }, 'Results'),
      // Bars grow when the results are revealed, and glide when they change.
      liveChart(chartKey, question, shown.results, { mine: shown.mine, title: question.prompt }),
      shown.mine ? h('p', { class: 'hint' }, 'Your vote is highlighted.') : null,
      figuresList(question, shown.results),
    ];
  });
}

function rebuildQuestion(qid) {
  const view = views.get(qid);
  if (!view) return;
  const built = buildQuestion(view.question);
  built.signature = view.signature;
  view.el.replaceWith(built.el);
  views.set(qid, built);
  refreshChoice(qid);
  refreshResults(qid);
}

// --- status, toasts and announcements -----------------------------------------------------------

function setConnection(status, detail) {
  connection.show(status);
  showNote(status, detail);
}

/** Under the header, in words: what is going on and that taps are not lost meanwhile. */
function showNote(status, detail) {
  let note = '';
  if (state && state.ended && status === 'reconnecting') {
    // The workshop is over: the records stay on screen; reconnecting goes on quietly.
    el.connectionNote.hidden = true;
    return;
  }
  if (status === 'reconnecting' && started) {
    note = (detail && detail.offline) || socket.offline
      ? 'This phone is offline. Votes you tap are saved here and sent when the network is back.'
      : 'Connection lost. Reconnecting… Votes you tap are saved here and sent when it is back.';
  } else if (status === 'stopped') {
    note = 'Not connected. Reload the page to try again.';
  }
  el.connectionNote.hidden = !note;
  if (el.connectionNote.textContent !== note) el.connectionNote.textContent = note;
}

function showToast(text, duration = TOAST_TIME) {
  clearTimeout(toastTimer);
  el.toast.textContent = text;
  el.toast.hidden = false;
  if (duration) toastTimer = setTimeout(() => { el.toast.hidden = true; }, duration);
}

function announce(text) {
  // Clearing first makes screen readers repeat the same words for a second vote.
  el.announcer.textContent = '';
  setTimeout(() => { el.announcer.textContent = text; }, 50);
}

everySecond(() => {
  for (const clock of el.questions.querySelectorAll('.countdown')) {
    const text = countdownText(clock.dataset.closesAt);
    if (clock.textContent !== text) clock.textContent = text;
  }
});

// --- start -------------------------------------------------------------------------------------

if (token) {
  showLive();
  startSocket();
} else {
  el.joinView.hidden = false;
  setConnection('connecting');
  el.connection.hidden = true;
  const observer = () => { el.connection.hidden = false; };
  el.joinForm.addEventListener('submit', observer, { once: true });
}
