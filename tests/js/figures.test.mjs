import './page.mjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { figureRows } from '../../static/js/figures.js';

const scale = { id: 's', kind: 'scale', min: -2, max: 2 };
const choice = { id: 'c', kind: 'choice', options: [{ id: 'buffer', label: 'Buffer' }, { id: 'queue', label: 'Queue' }] };

test('a scale reads votes, mean, consensus and agreement; the facilitator also gets median and IQR', () => {
  const figures = { n: 9, present: 12, abstain: 1, mean: -1.333, median: -1, iqr: 1, consensus: 0.81, agreement: 0.78, reached: true };
  assert.deepEqual(figureRows(scale, figures), [
    ['Votes', '9 of 12 present'], ['Abstained', '1'], ['Mean', '−1.33'], ['Consensus', '81%'], ['Agreement', '78%'],
    ['Consensus reached', 'Yes', 'figure--yes'],
  ]);
  assert.deepEqual(figureRows(scale, figures, { full: true }).map(([term]) => term),
    ['Votes', 'Abstained', 'Mean', 'Median', 'IQR', 'Consensus', 'Agreement', 'Consensus reached']);
});

test('a choice names the leader by its label, or says it is tied', () => {
  assert.deepEqual(figureRows(choice, { n: 5, leader: 'queue', leader_share: 0.6, verdict: 'no_majority', reached: false }).slice(0, 3),
    [['Votes', '5'], ['Leading', 'Queue'], ['Leader’s share', '60%']]);
  assert.deepEqual(figureRows(choice, { n: 4, leader: null, agreement: 0.5 })[1], ['Leading', 'Tied']);
});

test('no votes: no verdict line; no figures: no rows', () => {
  assert.deepEqual(figureRows(scale, { n: 0, consensus: null, agreement: null, mean: null }).map(([term]) => term),
    ['Votes', 'Mean', 'Consensus', 'Agreement']);
  assert.deepEqual(figureRows(scale, null), []);
});
