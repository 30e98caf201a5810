import { MemoryStorage } from './page.mjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Outbox, storage } from '../../static/js/outbox.js';

const vote = (id, question, value, round = 1) => ({ type: 'vote', id, question, value, round });

test('a queued vote replaces the one queued before on the same question, not on others', () => {
  const outbox = new Outbox('box', new MemoryStorage());
  outbox.add(vote('a', 'q1', 1));
  outbox.add(vote('b', 'q2', 2));
  outbox.add({ type: 'submit', id: 'c', question: 'q1', text: 'x' });
  outbox.add(vote('d', 'q1', -1));
  assert.deepEqual(outbox.all().map((item) => item.id), ['b', 'c', 'd']);
  assert.equal(outbox.latestVote('q1').id, 'd');
  assert.equal(outbox.latestVote('q3'), null);
});

test('what is queued survives a reload, ids and all, and an ack removes it for good', () => {
  const backing = new MemoryStorage();
  const first = new Outbox('box', backing);
  first.add(vote('a', 'q1', 1));
  first.add(vote('b', 'q2', 0));
  const reloaded = new Outbox('box', backing);
  assert.deepEqual(reloaded.all(), first.all());
  assert.deepEqual(reloaded.remove('a'), vote('a', 'q1', 1));
  assert.equal(reloaded.remove('a'), null);
  assert.deepEqual(new Outbox('box', backing).all().map((item) => item.id), ['b']);
});

test('dropWhere removes what no longer applies and keeps the rest', () => {
  const outbox = new Outbox('box', new MemoryStorage());
  outbox.add(vote('a', 'q1', 1, 1));
  outbox.add(vote('b', 'q2', 1, 2));
  outbox.dropWhere((item) => item.round < 2);
  assert.equal(outbox.size, 1);
  assert.equal(outbox.all()[0].id, 'b');
});

test('a corrupt or unusable store leaves the phone working, without memory', () => {
  const backing = new MemoryStorage();
  backing.setItem('box', '{not json');
  assert.deepEqual(new Outbox('box', backing).all(), []);
  backing.setItem('box', '{"an": "object"}');
  assert.deepEqual(new Outbox('box', backing).all(), []);
  const broken = new Outbox('box', new MemoryStorage({ broken: true }));
  broken.add(vote('a', 'q1', 1));
  assert.equal(broken.size, 1);
  assert.equal(storage('token', 'none', new MemoryStorage({ broken: true })).load(), 'none');
});

test('saving nothing forgets the value', () => {
  const backing = new MemoryStorage();
  const token = storage('token', null, backing);
  token.save('abc');
  assert.equal(token.load(), 'abc');
  token.save(null);
  assert.equal(token.load(), null);
  assert.equal(backing.values.size, 0);
});
