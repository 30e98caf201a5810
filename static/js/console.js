// The facilitator's console: steps through the agenda, runs the questions, moderates examples and
// records the consensus. Everything shown comes from the server's snapshot; commands go back over the
// same socket and the next snapshot shows their effect. This module wires the parts to the socket.

import { ReconnectingSocket } from './socket.js';
import { ConnectionStatus } from './connection-status.js';
import { randomId } from './dom.js';
import { CLOSE_CODES } from './vocabulary.js';
import { createAgenda } from './console-agenda.js';
import { createQuestionCards } from './console-questions.js';
import { createModeration } from './console-moderation.js';
import { createConsensus } from './console-consensus.js';
import { createKeys } from './console-keys.js';
import { createRoomPanel } from './console-room.js';

const COMMAND_TIMEOUT = 10000;

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const $ = (id) => document.getElementById(id);

const inflight = new Map(); // command id -> {button, timer}
let snapshot = null;

const socket = new ReconnectingSocket(`/ws/${code}/control`, {
  isFatal: (event) => event.code === CLOSE_CODES.unknown_session || event.code === CLOSE_CODES.policy_violation,
});
const connection = new ConnectionStatus($('connection'));

function showError(text) {
  $('error-text').textContent = text;
  $('error').hidden = false;
}

/** Send a facilitator command; `button` stays busy until the server answers or the wait runs out. */
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

/** Command buttons do nothing useful while the socket is down; say so rather than fail later. */
function updateCommandButtons() {
  main.classList.toggle('is-offline', !socket.connected);
}

const parts = { code, command, showError };
const agenda = createAgenda(parts);
const questions = createQuestionCards(parts);
const moderation = createModeration(parts);
const consensus = createConsensus(parts);
const keys = createKeys({ ...parts, go: agenda.go, cards: questions.cards, snapshot: () => snapshot });
const room = createRoomPanel(parts);

/** On the summary step: end the workshop (phones show the records), or reopen it. */
function renderEnd() {
  const step = snapshot.steps[snapshot.current_step];
  $('end-controls').hidden = step.kind !== 'summary' && !snapshot.ended;
  $('end-workshop').hidden = snapshot.ended;
  $('reopen-workshop').hidden = !snapshot.ended;
  $('end-hint').textContent = snapshot.ended
    ? 'The workshop has ended. Phones show a thank-you and the records; reopening lets you ask again.'
    : 'Ending closes any open question; phones then thank people and show the agreed records.';
  $('ended-banner').hidden = !snapshot.ended;
  main.classList.toggle('is-ended', snapshot.ended);
}

$('end-workshop').addEventListener('click', (event) => command({ command: 'end' }, event.currentTarget));
$('reopen-workshop').addEventListener('click', (event) => command({ command: 'reopen' }, event.currentTarget));

function renderPeople() {
  const { joined, connected } = snapshot.participants;
  const text = `${joined} joined · ${connected} connected`;
  if ($('people').textContent !== text) $('people').textContent = text;
}

function render() {
  renderPeople();
  agenda.render(snapshot);
  questions.render(snapshot);
  keys.render(snapshot);
  moderation.render(snapshot);
  consensus.render(snapshot);
  room.render(snapshot);
  renderEnd();
  updateCommandButtons();
}

connection.follow(socket, {
  then: (status, detail) => {
    if (status === 'stopped' && detail && detail.code === CLOSE_CODES.policy_violation) {
      showError('The server refused the console connection: open the facilitator address printed by “workshop serve” (the one with ?key=) in this browser, then reload.');
    } else if (status === 'stopped' && detail && detail.code === CLOSE_CODES.unknown_session) {
      showError('There is no session with this code any more.');
    }
    updateCommandButtons();
  },
});

socket.onmessage = (message) => {
  if (message.type === 'snapshot') {
    snapshot = message.snapshot;
    connection.show('open');
    render();
  } else if (message.type === 'ack') {
    settle(message.id);
  } else if (message.type === 'error') {
    settle(message.id);
    showError(message.message || message.code);
  }
};

$('error-close').addEventListener('click', () => { $('error').hidden = true; });

socket.start();
