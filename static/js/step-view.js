// A step's content (definition, examples, prompts, strategies) as every surface shows it, and the
// few words its slide on the projector carries.

import { h, paragraphs } from './dom.js';

export function stepContent(step, { prompts = true } = {}) {
  const parts = [];
  if (step.kind === 'category') {
    if (step.definition) parts.push(h('div', { class: 'step-definition' }, paragraphs(step.definition)));
    const examples = [];
    if (step.it_example) {
      examples.push(h('div', { class: 'example example--it' },
        h('h4', { class: 'example-kind' }, 'In IT'), paragraphs(step.it_example)));
    }
    if (step.everyday_example) {
      examples.push(h('div', { class: 'example example--everyday' },
        h('h4', { class: 'example-kind' }, 'In everyday life'), paragraphs(step.everyday_example)));
    }
    if (examples.length) parts.push(h('div', { class: 'examples' }, examples));
  } else if (step.body) {
    parts.push(h('div', { class: 'step-body' }, paragraphs(step.body)));
  }
  if (prompts && step.prompts && step.prompts.length) {
    parts.push(h('div', { class: 'prompts' },
      h('h4', {}, 'To discuss'),
      h('ul', {}, step.prompts.map((prompt) => h('li', {}, prompt)))));
  }
  return parts;
}

export function strategiesGrid(strategies) {
  if (!strategies || !strategies.length) return null;
  return h('div', { class: 'strategies' }, strategies.map((strategy) => h('section', {
    class: ['strategy', `strategy--${strategy.family}`],
  },
  h('h4', {}, strategy.name, h('span', { class: 'strategy-family' },
    strategy.family === 'accommodate' ? 'accommodate' : 'reduce')),
  h('ul', {}, (strategy.tactics || []).map((tactic) => h('li', {}, tactic))))));
}

const SLIDE_WORDS = 40;

/** The few words a step's slide carries: its `projector_text`, else the first sentences of its text
 * (a plan written before slides had their own text), never more than about forty words. */
export function slideText(step) {
  if (step.projector_text) return step.projector_text;
  const source = (step.kind === 'category' ? step.definition : step.body) || '';
  const first = source.trim().split(/\n\s*\n/)[0].replace(/\s+/g, ' ');
  const sentences = first.match(/[^.!?]+[.!?]*(\s|$)/g) || [];
  let text = '';
  for (const sentence of sentences) {
    if (text && `${text}${sentence}`.split(' ').length > SLIDE_WORDS) break;
    text += sentence;
  }
  const words = text.trim().split(' ');
  return words.length > SLIDE_WORDS ? `${words.slice(0, SLIDE_WORDS).join(' ')}…` : text.trim();
}
