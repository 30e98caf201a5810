// The plan editor's preview: the step being edited as the projector and a phone will show it, drawn
// with the surfaces' own step view, so what is previewed is what the room sees.

import { h } from './dom.js';
import { slideText, stepContent, strategiesGrid } from './step-view.js';
import { STRATEGIES } from './vocabulary.js';

function phoneQuestion(question) {
  let answers;
  if (question.kind === 'scale' && Number.isInteger(question.min) && Number.isInteger(question.max)
      && question.max >= question.min && question.max - question.min <= 10) {
    const labels = question.labels || {};
    answers = Array.from({ length: question.max - question.min + 1 }, (_, n) => question.min + n)
      .map((point) => h('span', { class: 'preview-choice' }, h('b', {}, String(point)), ` ${labels[String(point)] || ''}`));
  } else if (question.kind === 'choice') {
    answers = (question.options || []).map((option) => h('span', { class: 'preview-choice' }, option.label || option.id));
  } else {
    answers = [h('span', { class: 'preview-text' }, 'Your answer…')];
  }
  return h('div', { class: 'preview-question' },
    h('p', { class: 'preview-prompt' }, question.prompt || '(no prompt yet)'),
    answers,
    question.kind !== 'text' && question.allow_abstain !== false && h('span', { class: 'preview-abstain' }, 'Abstain'));
}

/** Draw `step` (plan data, as the editor holds it) into `root`; `position` counts from 1. */
export function drawPreview(root, step, position) {
  if (!step) {
    root.replaceChildren(h('p', { class: 'hint' }, 'Click into a step to preview it.'));
    return;
  }
  const strategies = (step.strategies || []).map((item) => ({ ...STRATEGIES.get(item.id), ...item }))
    .filter((item) => item.name);
  root.replaceChildren(
    h('h2', { class: 'preview-title' }, `Preview of step ${position}`),
    h('p', { class: 'preview-label' }, 'Projector'),
    h('div', { class: 'preview-projector' },
      h('h3', {}, step.title || step.id || ''),
      h('p', { class: 'preview-slide' }, slideText(step))),
    h('p', { class: 'preview-label' }, 'Speaker notes (console)'),
    h('div', { class: 'preview-notes' },
      stepContent(step, { prompts: true }),
      step.kind === 'category' && strategiesGrid(strategies)),
    h('p', { class: 'preview-label' }, 'Phone (when a question is open)'),
    h('div', { class: 'preview-phone' },
      (step.questions || []).length
        ? step.questions.map(phoneQuestion)
        : h('p', { class: 'hint' }, 'This step asks no question: phones show its title.')));
}
