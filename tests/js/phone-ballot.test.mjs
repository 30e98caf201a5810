import { MemoryStorage } from './page.mjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Outbox } from '../../static/js/outbox.js';
import {
  Ballot, ackOverdue, choicesFrom, connectionNote, errorText, isStale, joinMessage, messageOf, submissionStatus,
  voteStatus,
} from '../../static/js/phone-ballot.js';

const scale = (round = 1, status = 'open') => ({
  id: 'arrival.impact', kind: 'scale', min: -2, max: 2, labels: { '-2': 'Much less', 2: 'Much more' }, round, status,
});
const text = (round = 1) => ({ id: 'arrival.examples', kind: 'text', round, status: 'open' });
const ballotWith = (backing = new MemoryStorage()) => new Ballot(new Outbox('box', backing));

test('a tap on an open question is queued and shown as pending until its ack', () => {
  const ballot = ballotWith();
  const item = ballot.vote(scale(), -2, 'm1');
  assert.deepEqual(messageOf(item), { type: 'vote', id: 'm1', question: 'arrival.impact', value: -2 });
  assert.deepEqual(ballot.shown(scale()), { value: '-2', pending: true });
  assert.deepEqual(ballot.acked({ id: 'm1', question: 'arrival.impact', round: 1 }), { kind: 'vote', question: 'arrival.impact' });
  assert.deepEqual(ballot.shown(scale()), { value: '-2', pending: false });
  assert.equal(ballot.outbox.size, 0);
});

test('a closed question takes no vote and queues nothing', () => {
  const ballot = ballotWith();
  assert.equal(ballot.vote(scale(1, 'closed'), 1, 'm1'), null);
  assert.equal(ballot.outbox.size, 0);
  assert.deepEqual(ballot.shown(scale(1, 'closed')), { value: null, pending: false });
});

test('the latest tap wins: a late ack of the vote it replaced changes nothing shown', () => {
  const ballot = ballotWith();
  ballot.vote(scale(), 1, 'm1');
  ballot.vote(scale(), 2, 'm2');
  assert.deepEqual(ballot.unsent().map((message) => message.id), ['m2']);
  assert.equal(ballot.acked({ id: 'm1', question: 'arrival.impact', round: 1 }), null);
  assert.deepEqual(ballot.shown(scale()), { value: '2', pending: true });
});

test('a refused vote falls back to the vote the server has', () => {
  const ballot = ballotWith();
  ballot.welcome({ 'arrival.impact': { round: 1, value: 0 } });
  ballot.vote(scale(), 2, 'm1');
  assert.deepEqual(ballot.refused('m1'), { question: 'arrival.impact', rebuild: false });
  assert.deepEqual(ballot.shown(scale()), { value: '0', pending: false });
  assert.equal(ballot.outbox.size, 0);
  assert.equal(ballot.refused('unknown'), null);
});

test('a refused example goes back into its field, unless something new was typed there', () => {
  const ballot = ballotWith();
  ballot.submit(text(), 'Month-end', 's1');
  assert.deepEqual(ballot.sent('arrival.examples'), [{ question: 'arrival.examples', text: 'Month-end', status: 'pending' }]);
  assert.deepEqual(ballot.refused('s1'), { question: 'arrival.examples', rebuild: true });
  assert.equal(ballot.drafts.get('arrival.examples'), 'Month-end');
  assert.deepEqual(ballot.sent('arrival.examples'), []);
  ballot.submit(text(), 'Mondays', 's2');
  ballot.drafts.set('arrival.examples', 'typed since');
  ballot.refused('s2');
  assert.equal(ballot.drafts.get('arrival.examples'), 'typed since');
});

test('an example acknowledged after a reload is marked received from the outbox alone', () => {
  const backing = new MemoryStorage();
  ballotWith(backing).submit(text(), 'Month-end', 's1');
  const reloaded = ballotWith(backing);
  assert.deepEqual(reloaded.acked({ id: 's1', question: 'arrival.examples', round: 1 }), { kind: 'submit', question: 'arrival.examples' });
  assert.deepEqual(reloaded.sent('arrival.examples'), [{ question: 'arrival.examples', text: 'Month-end', status: 'received' }]);
});

test('on joining, votes still waiting show over the server ballot, in the round they were tapped in', () => {
  const waiting = [
    { type: 'vote', id: 'm1', question: 'a', value: 1, round: 1 },
    { type: 'vote', id: 'm2', question: 'b', value: 'x', round: 3 },
    { type: 'submit', id: 's1', question: 'c', text: 'hi', round: 1 },
  ];
  const choices = choicesFrom({ a: { round: 1, value: -1 }, b: { round: 2, value: 'y' }, d: { round: 1, value: 'abstain' } }, waiting);
  assert.deepEqual(Object.fromEntries(choices), {
    a: { round: 1, confirmed: '-1', pending: { id: 'm1', value: 1 } },
    b: { round: 3, confirmed: null, pending: { id: 'm2', value: 'x' } },
    d: { round: 1, confirmed: 'abstain', pending: null },
  });
});

test('a new round forgets the old round\'s vote and drops votes queued for it; re-sending keeps first ids', () => {
  const backing = new MemoryStorage();
  const ballot = ballotWith(backing);
  ballot.welcome({ 'arrival.impact': { round: 1, value: 1 } });
  ballot.vote(scale(1), 2, 'm1');
  ballot.vote({ ...scale(1), id: 'other' }, 0, 'm2');
  ballot.follow([scale(2), { ...scale(1), id: 'other' }]);
  assert.deepEqual(ballot.shown(scale(2)), { value: null, pending: false });
  assert.deepEqual(ballot.unsent(), [{ type: 'vote', id: 'm2', question: 'other', value: 0 }]);
  assert.deepEqual(new Outbox('box', backing).all().map((item) => item.id), ['m2']);
});

test('isStale names only votes of a replaced round of a known question', () => {
  const questions = [scale(2)];
  assert.equal(isStale({ type: 'vote', question: 'arrival.impact', round: 1 }, questions), true);
  assert.equal(isStale({ type: 'vote', question: 'arrival.impact', round: 2 }, questions), false);
  assert.equal(isStale({ type: 'vote', question: 'elsewhere', round: 1 }, questions), false);
  assert.equal(isStale({ type: 'submit', question: 'arrival.impact', round: 1 }, questions), false);
});

test('what a vote says, in each state, with the scale\'s labels', () => {
  assert.deepEqual(voteStatus(scale(), { value: null, pending: false }, true),
    { text: 'Tap your answer. You can change it while voting is open.', mode: 'idle' });
  assert.deepEqual(voteStatus(scale(), { value: '-2', pending: true }, true), { text: 'Sending: −2 Much less…', mode: 'pending' });
  assert.equal(voteStatus(scale(), { value: '2', pending: true }, false).text,
    'Saved on this phone: +2 Much more. It is sent when the connection is back.');
  assert.equal(voteStatus(scale(), { value: '2', pending: false }, true).mode, 'received');
  assert.deepEqual(voteStatus(scale(1, 'closed'), { value: null, pending: false }, true),
    { text: 'Voting closed. You did not vote.', mode: 'closed' });
  assert.equal(voteStatus(scale(1, 'closed'), { value: 'abstain', pending: false }, true).text, 'Voting closed. Your vote: Abstain');
  assert.equal(submissionStatus({ status: 'pending' }, false), 'Waiting for connection…');
  assert.equal(submissionStatus({ status: 'received' }, false), 'Sent for review');
});

test('the connection note, the join message, errors and the ack deadline', () => {
  assert.match(connectionNote('reconnecting', { offline: true }), /offline/);
  assert.match(connectionNote('reconnecting'), /^Connection lost/);
  assert.equal(connectionNote('reconnecting', { started: false }), '');
  assert.equal(connectionNote('reconnecting', { ended: true }), '');
  assert.equal(connectionNote('stopped', { ended: true }), 'Not connected. Reload the page to try again.');
  assert.equal(connectionNote('open'), '');
  assert.deepEqual(joinMessage(null, { name: 'Ana', group: '' }), { type: 'join', name: 'Ana' });
  assert.deepEqual(joinMessage('t', null), { type: 'join', token: 't' });
  assert.equal(errorText({ code: 'question_closed', message: 'server words' }), 'Voting has closed');
  assert.equal(errorText({ code: 'new_code', message: 'server words' }), 'server words');
  assert.equal(errorText({}), 'Something went wrong');
  assert.equal(ackOverdue(1, true), true);
  assert.equal(ackOverdue(0, true), false);
  assert.equal(ackOverdue(2, false), false);
});
