// The participant's phone: join, show the current step, vote, and see results once revealed.
// The server is the truth: every `state` message is a full picture, and a vote counts as received
// only when its `ack` arrives (sent after the vote is committed). This file is the wiring: the socket,
// the join form, toasts and announcements. The ballot and outbox rules are phone-ballot.js (no DOM),
// the screen is phone-view.js.

import { ReconnectingSocket } from './socket.js';
import { ConnectionStatus } from './connection-status.js';
import { randomId } from './dom.js';
import { Outbox, storage } from './outbox.js';
import { valueLabel } from './format.js';
import { CLOSE_CODES } from './vocabulary.js';
import { everySecond } from './countdown.js';
import {
  ACK_TIMEOUT, Ballot, JOIN_RETRY, ackOverdue, connectionNote, errorText, joinMessage, messageOf,
} from './phone-ballot.js';
import { PhoneView, buildLiveView, renderEnded } from './phone-view.js';

const TOAST_TIME = 4500;

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const tokenStore = storage(`workshop:${code}:token`, null);
// The session this phone is in, so Back to the join form returns here (see join.js).
const lastSession = storage('workshop:last-session', null);

const el = {
  connection: document.getElementById('connection'),
  joinView: document.getElementById('join-view'),
  joinForm: document.getElementById('join-form'),
  liveView: document.getElementById('live-view'),
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
let ackTimer = null;
let toastTimer = null;
let joinTimer = null;

const ballot = new Ballot(new Outbox(`workshop:${code}:outbox`));
const view = new PhoneView(buildLiveView(el.liveView), ballot, { vote, submit: submitText, joined: () => joined });

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
    if (wasJoined) view.refreshAll();
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
    ballot.welcome(message.ballot || {});
    applyState(message.state);
    // Votes tapped while the connection was down go now, with their first ids: counted once.
    flushOutbox();
  },

  state(message) {
    const { type, ...rest } = message;
    applyState(rest);
  },

  ack(message) {
    const settled = ballot.acked(message);
    if (!ballot.outbox.size) clearTimeout(ackTimer);
    if (!settled) return;
    view.refreshChoice(settled.question);
    if (settled.kind === 'submit') {
      announce('Example sent for review');
      return;
    }
    view.refreshResults(settled.question);
    const question = view.question(settled.question);
    const shown = question ? ballot.shown(question) : null;
    announce(shown && shown.value !== null ? `Vote received: ${valueLabel(question, shown.value)}` : 'Vote received');
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
    showToast(errorText(message));
  },
};

// --- joining -----------------------------------------------------------------------------------

function sendJoin() {
  socket.send(joinMessage(token, joinDetails));
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

// --- state, votes and the outbox ---------------------------------------------------------------

function applyState(next) {
  state = next;
  ballot.follow(state.questions);
  const ended = Boolean(state.ended);
  document.body.classList.toggle('is-ended', ended);
  // Once it is over, the connection no longer matters to the person: no badge, no "Reconnecting".
  el.connection.hidden = ended;
  el.endedView.hidden = !ended;
  el.liveView.hidden = ended;
  if (ended) renderEnded(el.endedRecords, el.endedEmpty, state.records || []);
  else view.render(state);
}

/** Send everything not yet acknowledged, with the ids it was first given; returns how many. */
function flushOutbox() {
  const messages = ballot.unsent();
  for (const message of messages) socket.send(message);
  if (messages.length) armAckTimer();
  return messages.length;
}

function armAckTimer() {
  clearTimeout(ackTimer);
  ackTimer = setTimeout(() => {
    if (ackOverdue(ballot.outbox.size, socket.connected)) socket.restart();
  }, ACK_TIMEOUT);
}

/** A refused message: drop it from the outbox and show the vote the server does have. */
function forget(id) {
  const refused = ballot.refused(id);
  if (!refused) return;
  if (refused.rebuild) view.rebuild(refused.question);
  else view.refreshChoice(refused.question);
}

function vote(question, value) {
  const item = ballot.vote(question, value, randomId());
  if (!item) return;
  view.refreshChoice(question.id);
  if (joined && socket.send(messageOf(item))) {
    armAckTimer();
  } else {
    announce(`Saved on this phone: ${valueLabel(question, String(value))}. It is sent when the connection is back.`);
  }
}

function submitText(question, text) {
  const item = ballot.submit(question, text, randomId());
  if (joined && socket.send(messageOf(item))) armAckTimer();
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

// --- status, toasts and announcements -----------------------------------------------------------

function setConnection(status, detail) {
  connection.show(status);
  showNote(status, detail);
}

/** Under the header, in words: what is going on and that taps are not lost meanwhile. */
function showNote(status, detail) {
  const note = connectionNote(status, {
    started, offline: Boolean((detail && detail.offline) || socket.offline), ended: Boolean(state && state.ended),
  });
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

everySecond(() => view.tick());

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
