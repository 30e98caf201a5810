import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupsSentence, resultSentence, scaleBands } from '../../static/js/plain-words.js';

const direction = { kind: 'scale', min: -2, max: 2, labels: { '-1': 'Less', 0: 'As today', 1: 'More' } };
const impact = { kind: 'scale', min: 1, max: 5, labels: { 1: 'Not at all', 5: 'Badly' } };
const strategy = { kind: 'choice', options: [{ id: 'buffer', label: 'Buffer capacity' }, { id: 'queue', label: 'Queue' }] };

test('scale votes fall into three bands around the middle', () => {
  assert.deepEqual(scaleBands(direction, { '-2': 3, '-1': 2, 0: 1, 2: 4 }), { low: 5, middle: 1, high: 4 });
  assert.deepEqual(scaleBands({ min: 1, max: 4 }, { 1: 1, 2: 1, 3: 1, 4: 1 }), { low: 2, middle: 0, high: 2 });
});

test('a centred scale speaks of less, as today and more, about its subject', () => {
  const tally = { n: 12, reached: true, counts: { '-2': 5, '-1': 4, 0: 2, 1: 1 } };
  assert.equal(resultSentence(direction, tally, { subject: 'Arrival variability' }),
    'Clear agreement: 9 of 12 want less arrival variability');
  assert.equal(resultSentence(direction, { n: 12, reached: false, counts: { '-1': 5, 0: 4, 1: 3 } }),
    'Split: 5 want less, 4 as today, 3 more');
});

test('a scale without a centre speaks of ranges of points', () => {
  assert.equal(resultSentence(impact, { n: 6, reached: false, counts: { 4: 2, 5: 2, 1: 2 } }),
    'Most answer 4–5 (badly) (4 of 6), no clear agreement yet');
});

test('choices: the leader, a tie, agreement on a family', () => {
  assert.equal(resultSentence(strategy, { n: 12, reached: false, leader: 'buffer', counts: { buffer: 7, queue: 5 } }),
    'Most choose Buffer capacity (7 of 12)');
  assert.equal(resultSentence(strategy, { n: 4, reached: false, leader: null, counts: { buffer: 2, queue: 2 } }),
    'Tied: 2 choose Buffer capacity, 2 choose Queue');
  assert.equal(resultSentence(strategy, {
    n: 10, reached: true, leader: 'buffer', side: 'accommodate', side_counts: { accommodate: 8, reduce: 2 }, counts: { buffer: 6, queue: 4 },
  }), 'Clear agreement: 8 of 10 would accommodate it; most choose Buffer capacity (6)');
});

test('no votes, only abstentions, no tally', () => {
  assert.equal(resultSentence(direction, { n: 0, abstain: 0, counts: {} }), 'No votes yet');
  assert.equal(resultSentence(direction, { n: 0, abstain: 3, counts: {} }), 'All 3 abstained');
  assert.equal(resultSentence(direction, null), '');
});

test('groups: each leaning, or too small to show; nothing with fewer than two groups', () => {
  const tally = { by_group: { IT: { n: 4, counts: { '-1': 3, 0: 1 } }, Business: { n: 0, hidden: true } } };
  assert.match(groupsSentence(direction, tally), /^IT: 3 of 4 less · Business: too few to show/);
  assert.equal(groupsSentence(direction, { by_group: { IT: { n: 4, counts: { 0: 4 } } } }), '');
});
