// The plan editor's preview: the step being edited as the projector and a phone will show it. The
// slide is drawn with the surfaces' own step view, and the phone with the phone's own view module
// (phone-view.js), fed the step as a phone state with its questions open: what is previewed is what
// the room sees, on a 390 x 844 screen scaled to the pane.

import { h } from './dom.js';
import { Ballot } from './phone-ballot.js';
import { PhoneView, buildLiveView } from './phone-view.js';
import { slideText, stepContent, strategiesGrid } from './step-view.js';
import { STRATEGIES } from './vocabulary.js';

const STEP_FIELDS = ['id', 'kind', 'title', 'body', 'category', 'definition', 'it_example', 'everyday_example', 'prompts'];
const MAX_POINTS = 21; // a scale drawn in the preview while its range is still being typed

/** True when a scale's range can be drawn as buttons (while typing, it may not be). */
function drawable(question) {
  return question.kind !== 'scale' || (Number.isInteger(question.min) && Number.isInteger(question.max)
    && question.max >= question.min && question.max - question.min < MAX_POINTS);
}

/** A question of the plan as a phone receives it while it is open (see the server's phone view). */
function openQuestion(question, index) {
  const shown = {
    ...question, id: String(question.id || `question-${index + 1}`), prompt: question.prompt || '',
    allow_abstain: question.allow_abstain !== false, status: 'open', round: 1, revealed: false,
  };
  if (question.kind === 'scale' && !drawable(question)) Object.assign(shown, { min: 0, max: -1 });
  return shown;
}

/** The phone state a phone receives on `step` (plan data, as the editor holds it) with every
 * question of the step open. `position` counts from 1, of `count` steps. */
export function previewState(step, position, count) {
  const seen = new Set();
  const questions = (step.questions || []).map(openQuestion).map((question, index) => {
    // Two questions briefly share an id while one is being typed: each still gets its card.
    const id = seen.has(question.id) ? `${question.id}-${index + 1}` : question.id;
    seen.add(id);
    return { ...question, id };
  });
  return {
    ended: false, records: [], examples: [],
    step: { ...Object.fromEntries(STEP_FIELDS.map((key) => [key, step[key] ?? null])), index: position - 1, count },
    questions,
  };
}

const phones = new WeakMap(); // preview root -> {slides, view, title, hint}

/** The phone part of the preview, built once per root so that its scroll position survives edits. */
function phoneOf(root) {
  let phone = phones.get(root);
  if (phone) return phone;
  const live = h('div', { class: 'preview-phone-live' });
  const title = h('h1', {});
  const screen = h('div', { class: 'preview-phone-screen', tabindex: 0, 'aria-label': 'Phone screen, 390 by 844' },
    h('div', { class: 'phone' },
      h('header', { class: 'phone-header' },
        h('div', { class: 'phone-heading' }, h('p', { class: 'phone-session' }, 'Session preview'), title),
        h('p', { class: 'connection', dataset: { status: 'joined' } },
          h('span', { class: 'connection-dot', 'aria-hidden': 'true' }), h('span', { class: 'connection-text' }, 'Connected'))),
      live));
  const idle = () => {}; // a preview sends nothing
  const view = new PhoneView(buildLiveView(live, 'preview-'), new Ballot(null),
    { vote: idle, submit: idle, joined: () => true }, { follow: false, charts: 'preview:', ids: 'preview-' });
  phone = {
    slides: h('div', { class: 'preview-slides' }), notes: h('div', { class: 'preview-slides' }), view, title,
    hint: h('p', { class: 'hint preview-hint', hidden: true }),
    frame: h('div', { class: 'preview-phone-frame' }, screen),
  };
  root.replaceChildren(phone.slides, h('p', { class: 'preview-label' }, 'Phone (its questions open)'), phone.frame, phone.hint,
    phone.notes);
  phones.set(root, phone);
  return phone;
}

/** Draw `step` (plan data) into `root`; `position` counts from 1, of `count` steps; `title` is the plan's. */
export function drawPreview(root, step, position, { count = position, title = '' } = {}) {
  if (!step) {
    phones.delete(root);
    root.replaceChildren(h('p', { class: 'hint' }, 'Click into a step to preview it.'));
    return;
  }
  const phone = phoneOf(root);
  const strategies = (step.strategies || []).map((item) => ({ ...STRATEGIES.get(item.id), ...item }))
    .filter((item) => item.name);
  phone.slides.replaceChildren(
    h('h2', { class: 'preview-title' }, `Preview of step ${position}`),
    h('p', { class: 'preview-label' }, 'Projector'),
    h('div', { class: 'preview-projector' },
      h('h3', {}, step.title || step.id || ''),
      h('p', { class: 'preview-slide' }, slideText(step))));
  phone.notes.replaceChildren(
    h('p', { class: 'preview-label' }, 'Speaker notes (console)'),
    h('div', { class: 'preview-notes' },
      stepContent(step, { prompts: true }),
      step.kind === 'category' && strategiesGrid(strategies)));
  if (phone.title.textContent !== title) phone.title.textContent = title;
  phone.view.render(previewState(step, position, count));
  const unfinished = (step.questions || []).filter((question) => !drawable(question)).length;
  phone.hint.hidden = unfinished === 0;
  phone.hint.textContent = unfinished ? 'A scale whose range is not valid yet is shown without its buttons.' : '';
}
