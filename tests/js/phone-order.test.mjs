import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuestionOrder } from '../../static/js/phone-order.js';

const q = (id, status, round = 1, revealed = false) => ({ id, status, round, revealed });
const ids = (list) => list.map((question) => question.id);

test('a phone opened mid-step takes the plan order backwards for what is closed', () => {
  const order = new QuestionOrder();
  const shown = order.arrange(0, [q('a', 'closed'), q('b', 'closed'), q('c', 'open'), q('d', 'closed')]);
  assert.deepEqual(ids(shown.open), ['c']);
  assert.deepEqual(ids(shown.latest), ['d']);
  assert.deepEqual(ids(shown.earlier), ['b', 'a']);
  assert.deepEqual(shown.opened, []); // nothing is "just opened" on the first drawing
});

test('what changed last comes first, and a question opened since is reported once', () => {
  const order = new QuestionOrder();
  order.arrange(0, [q('a', 'closed'), q('b', 'closed')]);
  let shown = order.arrange(0, [q('a', 'closed', 1, true), q('b', 'closed')]);
  assert.deepEqual(ids(shown.latest), ['a']);
  shown = order.arrange(0, [q('a', 'closed', 1, true), q('b', 'open', 2)]);
  assert.deepEqual(shown.opened, ['b']);
  assert.deepEqual(ids(shown.open), ['b']);
  assert.deepEqual(order.arrange(0, [q('a', 'closed', 1, true), q('b', 'open', 2)]).opened, []);
});

test('a new step starts its memory afresh', () => {
  const order = new QuestionOrder();
  order.arrange(0, [q('a', 'closed'), q('b', 'closed')]);
  order.arrange(0, [q('a', 'closed', 2), q('b', 'closed')]);
  const shown = order.arrange(1, [q('x', 'closed'), q('y', 'closed')]);
  assert.deepEqual(ids(shown.latest), ['y']);
});
