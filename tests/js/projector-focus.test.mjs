import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvedTexts, focusOf, isDissent } from '../../static/js/projector-focus.js';

const question = (id, kind = 'scale') => ({ id, kind, prompt: id });
const step = { questions: [question('arrival.impact'), question('arrival.direction'), question('arrival.examples', 'text'),
  question('arrival.dissent', 'text')] };

test('the server\'s focus comes back with the step\'s own questions', () => {
  const voting = focusOf({ focus: { kind: 'voting', question: 'arrival.direction', others: ['arrival.examples', 'gone'] } }, step);
  assert.equal(voting.kind, 'voting');
  assert.equal(voting.question, step.questions[1]);
  assert.deepEqual(voting.others, [step.questions[2]]);
  assert.deepEqual(focusOf({ focus: { kind: 'record' } }, step), { kind: 'record' });
  assert.deepEqual(focusOf({ focus: { kind: 'result', question: 'elsewhere.impact' } }, step), { kind: 'content' });
  assert.deepEqual(focusOf({}, step), { kind: 'content' });
});

test('approved texts are split between examples and the answers on what would change a vote', () => {
  const view = { submissions: [
    { question_id: 'arrival.examples', text: 'Month-end' }, { question_id: 'arrival.dissent', text: 'Real data' },
    { question_id: 'other.examples', text: 'Elsewhere' }, { question_id: 'arrival.examples', text: 'Mondays' }] };
  assert.deepEqual(approvedTexts(view, step, 'examples'), ['Month-end', 'Mondays']);
  assert.deepEqual(approvedTexts(view, step, 'dissent'), ['Real data']);
  assert.equal(isDissent(question('arrival.dissent', 'text')), true);
  assert.equal(isDissent(question('arrival.dissent', 'scale')), false);
});
