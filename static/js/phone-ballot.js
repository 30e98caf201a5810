// The phone's rules, without a page or a socket: what this phone has voted and sent, per question and
// round; what to send (and re-send, with the same ids) and when to give up on a connection; and what
// the person is told about each vote. The wiring (phone.js) feeds it the server's messages and the
// outbox; the view (phone-view.js) draws what it answers. Tested with `node --test` (tests/js/).

import { valueLabel } from './format.js';

// A vote without an ack for this long means the connection is probably dead even if the browser
// has not noticed (common on phones switching networks): reconnect and re-send.
export const ACK_TIMEOUT = 8000;
// A join refused for going too fast is tried again after this long.
export const JOIN_RETRY = 15000;

export const ERROR_TEXT = {
  question_closed: 'Voting has closed',
  rate_limited: 'Too many taps at once. Wait a moment and try again.',
  session_ended: 'This workshop has ended. Only phones that took part in it can come back.',
  unknown_question: 'That question is no longer available',
  unavailable: 'The server could not save that just now. Try again.',
};

/** What a refusal tells the person. */
export function errorText(message) {
  return ERROR_TEXT[message.code] || message.message || 'Something went wrong';
}

/** The socket message for an outbox item: only what the server reads, with the item's first id. */
export function messageOf(item) {
  if (item.type === 'submit') return { type: 'submit', id: item.id, question: item.question, text: item.text };
  return { type: 'vote', id: item.id, question: item.question, value: item.value };
}

/** The join message: the phone's token if it has one, and the name and group of a first join. */
export function joinMessage(token, details) {
  const message = { type: 'join' };
  if (token) message.token = token;
  if (details && details.name) message.name = details.name;
  if (details && details.group) message.group = details.group;
  return message;
}

/** True when an unanswered outbox on an open socket means the connection should be started again. */
export function ackOverdue(waiting, connected) {
  return waiting > 0 && connected;
}

/** True for an outbox item the server would now count in the wrong round: a vote queued for a round
 * of `questions` that has since been replaced. */
export function isStale(item, questions) {
  if (item.type !== 'vote') return false;
  const question = questions.find((candidate) => candidate.id === item.question);
  return Boolean(question) && item.round < question.round;
}

/** Per question: {round, confirmed, pending}, from the ballot the server sent (question id ->
 * {round, value}) and the votes still waiting in the outbox, which show as pending until their ack. */
export function choicesFrom(ballot, waiting) {
  const next = new Map();
  for (const [qid, vote] of Object.entries(ballot || {})) {
    next.set(qid, { round: vote.round, confirmed: String(vote.value), pending: null });
  }
  for (const item of waiting) {
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

/** The words under a question's buttons, and their mode (idle, pending, received, closed). */
export function voteStatus(question, shown, joined) {
  const label = shown.value === null ? '' : valueLabel(question, shown.value);
  if (question.status !== 'open') {
    const text = shown.value === null ? 'Voting closed. You did not vote.' : `Voting closed. Your vote: ${label}`;
    return { text, mode: 'closed' };
  }
  if (shown.pending) {
    const text = joined ? `Sending: ${label}…` : `Saved on this phone: ${label}. It is sent when the connection is back.`;
    return { text, mode: 'pending' };
  }
  if (shown.value !== null) return { text: `Vote received: ${label}. You can change it while voting is open.`, mode: 'received' };
  return { text: 'Tap your answer. You can change it while voting is open.', mode: 'idle' };
}

/** How a sent example is marked: received, or still on its way. */
export function submissionStatus(item, joined) {
  if (item.status === 'received') return 'Sent for review';
  return joined ? 'Sending…' : 'Waiting for connection…';
}

/** The line under the header, or '' for none: what is going on, and that taps are not lost meanwhile. */
export function connectionNote(status, { started = true, offline = false, ended = false } = {}) {
  // Once the workshop is over the records stay on screen; reconnecting goes on quietly.
  if (ended && status === 'reconnecting') return '';
  if (status === 'reconnecting' && started) {
    return offline
      ? 'This phone is offline. Votes you tap are saved here and sent when the network is back.'
      : 'Connection lost. Reconnecting… Votes you tap are saved here and sent when it is back.';
  }
  if (status === 'stopped') return 'Not connected. Reload the page to try again.';
  return '';
}

/** What this phone has voted and sent, kept in step with the outbox (outbox.js) and the server. */
export class Ballot {
  constructor(outbox) {
    this.outbox = outbox;
    this.choices = new Map(); // question id -> {round, confirmed, pending: {id, value} | null}
    this.submissions = new Map(); // message id -> {question, text, status: 'pending' | 'received'}
    this.drafts = new Map(); // question id -> unsent text, kept across re-renders
  }

  /** The server's ballot on (re)joining, with what still waits in the outbox on top. */
  welcome(ballot) {
    this.choices = choicesFrom(ballot, this.outbox.all());
  }

  /** A new state: a choice of a replaced round is forgotten, and so are votes queued for it. */
  follow(questions) {
    for (const question of questions) {
      const choice = this.choices.get(question.id);
      if (choice && choice.round !== question.round) this.choices.delete(question.id);
    }
    this.outbox.dropWhere((item) => isStale(item, questions));
  }

  /** A tap on an answer: the outbox item to send, or null when the question is not open. */
  vote(question, value, id) {
    if (question.status !== 'open') return null;
    const item = { type: 'vote', id, question: question.id, value, round: question.round };
    this.outbox.add(item);
    let choice = this.choices.get(question.id);
    if (!choice || choice.round !== question.round) {
      choice = { round: question.round, confirmed: null, pending: null };
      this.choices.set(question.id, choice);
    }
    choice.pending = { id, value };
    return item;
  }

  /** An example sent: the outbox item to send; the draft is done with. */
  submit(question, text, id) {
    const item = { type: 'submit', id, question: question.id, text, round: question.round };
    this.outbox.add(item);
    this.submissions.set(id, { question: question.id, text, status: 'pending' });
    this.drafts.delete(question.id);
    return item;
  }

  /** The server committed message `ack.id`: {kind: 'submit' | 'vote', question} of what it settled,
   * or null when it settles nothing shown (a late ack of a vote since replaced). */
  acked(ack) {
    const item = this.outbox.remove(ack.id);
    const submission = this.submissions.get(ack.id);
    if (submission || (item && item.type === 'submit')) {
      const entry = submission || { question: item.question, text: item.text };
      this.submissions.set(ack.id, { ...entry, status: 'received' });
      return { kind: 'submit', question: entry.question };
    }
    const choice = this.choices.get(ack.question);
    if (!choice || !choice.pending || choice.pending.id !== ack.id) return null;
    choice.confirmed = String(choice.pending.value);
    choice.pending = null;
    choice.round = ack.round;
    return { kind: 'vote', question: ack.question };
  }

  /** The server refused message `id`: drop it and show what the server does have. Returns
   * {question, rebuild} (rebuild: the question's form gets its text back), or null. */
  refused(id) {
    const item = this.outbox.remove(id);
    const submission = this.submissions.get(id);
    if (submission) {
      this.submissions.delete(id);
      if (!this.drafts.get(submission.question)) this.drafts.set(submission.question, submission.text);
      return { question: submission.question, rebuild: true };
    }
    if (!item) return null;
    const choice = this.choices.get(item.question);
    if (choice && choice.pending && choice.pending.id === id) choice.pending = null;
    return { question: item.question, rebuild: false };
  }

  /** The value to mark on a question, and whether it still waits for its ack. */
  shown(question) {
    const choice = this.choices.get(question.id);
    if (!choice || choice.round !== question.round) return { value: null, pending: false };
    if (choice.pending) return { value: String(choice.pending.value), pending: true };
    return { value: choice.confirmed, pending: false };
  }

  /** The examples this phone sent to a question, oldest first. */
  sent(qid) {
    return [...this.submissions.values()].filter((item) => item.question === qid);
  }

  /** Every message not yet acknowledged, as sent the first time (the server counts an id once). */
  unsent() {
    return this.outbox.all().map(messageOf);
  }
}
