// The plan editor: the whole plan as a form, saved with PUT /api/plans/ID and the version it was
// loaded at. The server runs the plan checks; a refused value is marked at its field with their message.

import { api } from './api.js';
import { h } from './dom.js';
import { copyId } from './plan-ids.js';
import {
  checkField, clearInvalid, controlFor, itemTools, markInvalid, numberField, percentField, selectField,
  textArea, textField,
} from './plan-fields.js';
import { drawPreview } from './plan-preview.js';
import { KINDS, STRATEGIES } from './vocabulary.js';

const main = document.querySelector('.plan-editor');
const planId = main.dataset.plan;
const own = main.dataset.own === 'true';
const form = document.getElementById('plan-form');
const fields = document.getElementById('plan-fields');
const saveStatus = document.getElementById('save-status');
const saveError = document.getElementById('save-error');

const STEP_KINDS = [['intro', 'Introduction'], ['category', 'A kind of variability'], ['content', 'Content'],
  ['summary', 'Summary']];
const QUESTION_KINDS = [['scale', 'Scale'], ['choice', 'Choice'], ['text', 'Open text']];
const state = { data: null, version: null, dirty: false, previewed: 0 };
const preview = document.getElementById('plan-preview');

// --- structure -----------------------------------------------------------------------------------

function move(list, index, by, focus) {
  const to = index + by;
  if (to < 0 || to >= list.length) return;
  [list[index], list[to]] = [list[to], list[index]];
  changed(focus(to));
}

/** Move an item to another position (by drag and drop), the others keeping their order. */
function moveTo(list, from, to, focus) {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return;
  const [item] = list.splice(from, 1);
  list.splice(to, 0, item);
  changed(focus(to));
}

// Steps are dragged by their handle; the buttons beside it do the same from the keyboard.
let dragged = null;

function dragHandle(index) {
  return h('span', {
    class: 'drag-handle', draggable: 'true', title: 'Drag to move this step', 'aria-hidden': 'true',
    on: {
      dragstart: (event) => {
        dragged = index;
        event.dataTransfer.effectAllowed = 'move';
        event.dataTransfer.setData('text/plain', String(index));
      },
      dragend: () => { dragged = null; },
    },
  }, '⠿');
}

function dropTarget(card, index) {
  card.addEventListener('dragover', (event) => {
    if (dragged === null || dragged === index) return;
    event.preventDefault();
    card.classList.add('drop-target');
  });
  card.addEventListener('dragleave', () => card.classList.remove('drop-target'));
  card.addEventListener('drop', (event) => {
    event.preventDefault();
    const from = dragged;
    dragged = null;
    moveTo(state.data.steps, from, index, (to) => `steps[${to}].title`);
  });
  return card;
}

function removeAt(list, index, what) {
  if (!window.confirm(`Remove ${what}?`)) return;
  list.splice(index, 1);
  changed(null);
}

function changed(focusKey) {
  state.dirty = true;
  render(focusKey);
  checkSoon();
}

function freeId(prefix, taken) {
  for (let n = 1; ; n += 1) if (!taken.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

function addStep() {
  const steps = state.data.steps;
  const id = freeId('step-', new Set(steps.map((step) => step.id)));
  steps.push({ id, kind: 'content', title: 'New step' });
  changed(`steps[${steps.length - 1}].title`);
}

function newQuestion(kind, id) {
  if (kind === 'scale') return { id, kind, prompt: '', min: 1, max: 5, labels: {} };
  if (kind === 'choice') return { id, kind, prompt: '', options: [{ id: 'yes', label: 'Yes' }, { id: 'no', label: 'No' }] };
  return { id, kind, prompt: '' };
}

function addQuestion(step, stepIndex, kind) {
  step.questions = step.questions || [];
  const taken = new Set(state.data.steps.flatMap((item) => (item.questions || []).map((question) => question.id)));
  step.questions.push(newQuestion(kind, freeId(`${step.id}.q`, taken)));
  changed(`steps[${stepIndex}].questions[${step.questions.length - 1}].prompt`);
}

function setQuestionKind(question, kind, path) {
  const fresh = newQuestion(kind, question.id);
  for (const key of Object.keys(question)) if (!['id', 'prompt', 'allow_abstain'].includes(key)) delete question[key];
  Object.assign(question, { ...fresh, prompt: question.prompt });
  changed(`${path}.kind`);
}

// --- the form ------------------------------------------------------------------------------------

function planSection(data) {
  data.consensus = data.consensus || {};
  const groups = h('input', { type: 'text', id: 'plan-groups', value: (data.groups || []).join(', '),
    dataset: { path: 'groups' }, 'aria-describedby': 'plan-groups-hint' });
  groups.addEventListener('input', () => {
    data.groups = groups.value.split(',').map((name) => name.trim()).filter(Boolean);
  });
  return h('fieldset', { class: 'panel plan-section' },
    h('legend', {}, 'The plan'),
    textField('Title', 'title', data, 'title', { optional: false }),
    textArea('Description', 'description', data, 'description', { rows: 3 }),
    h('div', { class: 'field' }, h('label', { for: 'plan-groups' }, 'Participant groups'),
      h('p', { class: 'hint', id: 'plan-groups-hint' }, 'Separated by commas; results are also shown per group.'),
      groups, h('p', { class: 'field-error', id: 'plan-groups-error', hidden: true })),
    h('div', { class: 'field-row' },
      numberField('Smallest group shown', 'min_group_size', data, 'min_group_size', { min: 1 }),
      percentField('Consensus needed', 'consensus.min_consensus', data.consensus, 'min_consensus'),
      percentField('Agreement needed', 'consensus.min_agreement', data.consensus, 'min_agreement'),
      numberField('Fewest votes', 'consensus.min_votes', data.consensus, 'min_votes', { min: 1 }),
      percentField('Quorum of those present', 'consensus.quorum', data.consensus, 'quorum')));
}

function strategiesBlock(step, path) {
  step.strategies = step.strategies || [];
  const list = step.strategies;
  return h('fieldset', { class: 'tactics-block', dataset: { path: `${path}.strategies` } },
    h('legend', {}, 'Tactics for each strategy (one per line)'),
    [...STRATEGIES.values()].map((strategy) => {
      const found = list.find((item) => item.id === strategy.id);
      const holder = { tactics: found ? found.tactics : [] };
      const index = found ? list.indexOf(found) : list.length;
      const field = textArea(strategy.name, `${path}.strategies[${index}].tactics`, holder, 'tactics',
        { rows: 3, lines: true, width: 40 });
      field.querySelector('textarea').addEventListener('input', () => {
        const at = list.findIndex((item) => item.id === strategy.id);
        if (holder.tactics && holder.tactics.length) {
          if (at >= 0) list[at].tactics = holder.tactics;
          else list.push({ id: strategy.id, tactics: holder.tactics });
        } else if (at >= 0) list.splice(at, 1);
        const order = [...STRATEGIES.keys()];
        list.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
      });
      return field;
    }));
}

function labelsBlock(question, path) {
  const low = question.min;
  const high = question.max;
  if (!Number.isInteger(low) || !Number.isInteger(high) || high < low || high - low > 10) {
    return h('p', { class: 'hint' }, 'Labels appear once the scale has a whole-number range of at most 10.');
  }
  question.labels = question.labels || {};
  const points = Array.from({ length: high - low + 1 }, (_, n) => low + n);
  return h('fieldset', { class: 'labels', dataset: { path: `${path}.labels` } },
    h('legend', {}, 'Labels (leave a point blank to show only its number)'),
    h('div', { class: 'field-row' }, points.map((point) => textField(String(point),
      `${path}.labels."${point}"`, question.labels, String(point)))));
}

function optionsBlock(question, path, focusKey) {
  const options = question.options;
  return h('fieldset', { class: 'options', dataset: { path: `${path}.options` } },
    h('legend', {}, 'Options'),
    options.map((option, index) => h('div', { class: 'option-row' },
      textField('Id', `${path}.options[${index}].id`, option, 'id', { optional: false }),
      textField('Label', `${path}.options[${index}].label`, option, 'label', { optional: false }),
      itemTools(`option ${index + 1}`, index, options.length, {
        focusKey: `${focusKey}.options[${index}]`,
        onMove: (by) => move(options, index, by, (to) => `${focusKey}.options[${to}].${by < 0 ? 'up' : 'down'}`),
        onRemove: () => removeAt(options, index, `option ${index + 1}`),
      }))),
    h('button', { type: 'button', class: 'button button--small', on: { click: () => {
      options.push({ id: `option-${options.length + 1}`, label: '' });
      changed(`${path}.options[${options.length - 1}].label`);
    } } }, 'Add an option'));
}

function questionCard(question, index, questions, stepPath) {
  const path = `${stepPath}.questions[${index}]`;
  const name = `question ${index + 1}`;
  const byKind = {
    scale: () => [h('div', { class: 'field-row' },
      numberField('Lowest', `${path}.min`, question, 'min', { optional: false }),
      numberField('Highest', `${path}.max`, question, 'max', { optional: false })),
    labelsBlock(question, path)],
    choice: () => optionsBlock(question, path, path),
    text: () => numberField('Longest answer (characters)', `${path}.max_length`, question, 'max_length'),
  }[question.kind] || (() => null);
  const card = h('section', { class: 'question-card', dataset: { path } },
    h('div', { class: 'card-head' }, h('h4', {}, `Question ${index + 1}`),
      itemTools(name, index, questions.length, {
        focusKey: path,
        onMove: (by) => move(questions, index, by, (to) => `${stepPath}.questions[${to}].${by < 0 ? 'up' : 'down'}`),
        onRemove: () => removeAt(questions, index, name),
      })),
    h('div', { class: 'field-row' },
      textField('Id', `${path}.id`, question, 'id', { optional: false }),
      selectField('Kind', `${path}.kind`, question, 'kind', QUESTION_KINDS,
        { onChange: (kind) => setQuestionKind(question, kind, path) })),
    textField('Prompt', `${path}.prompt`, question, 'prompt', { optional: false }),
    checkField('People may abstain', `${path}.allow_abstain`, question, 'allow_abstain'),
    byKind());
  // Re-render the labels when the range changes, keeping focus in the field being typed in.
  for (const key of ['min', 'max']) {
    const input = card.querySelector(`[data-path="${CSS.escape(`${path}.${key}`)}"]`);
    if (input) input.addEventListener('change', () => changed(`${path}.${key}`));
  }
  return card;
}

function stepCard(step, index, steps) {
  const path = `steps[${index}]`;
  const isCategory = step.kind === 'category';
  const questions = step.questions || [];
  const kindPicker = h('select', { 'aria-label': `Kind of the new question in step ${index + 1}` },
    QUESTION_KINDS.map(([value, text]) => h('option', { value }, text)));
  return dropTarget(h('section', { class: 'panel step-card', 'aria-labelledby': `step-${index}-title`, dataset: { path } },
    h('div', { class: 'card-head' },
      h('h3', { id: `step-${index}-title` }, own && dragHandle(index), `Step ${index + 1}: ${step.title || step.id}`),
      itemTools(`step ${index + 1}`, index, steps.length, {
        focusKey: path,
        onMove: (by) => move(steps, index, by, (to) => `steps[${to}].${by < 0 ? 'up' : 'down'}`),
        onRemove: () => removeAt(steps, index, `step ${index + 1} (${step.title || step.id})`),
      })),
    h('div', { class: 'field-row' },
      textField('Id', `${path}.id`, step, 'id', { optional: false }),
      selectField('Kind', `${path}.kind`, step, 'kind', STEP_KINDS, { onChange: (kind) => {
        if (kind === 'category') step.category = step.category || [...KINDS.keys()][0];
        else delete step.category;
        changed(`${path}.kind`);
      } }),
      isCategory && selectField('Kind of variability', `${path}.category`, step, 'category',
        [...KINDS.values()].map((kind) => [kind.id, kind.name]))),
    textField('Title', `${path}.title`, step, 'title', { optional: false }),
    // The surfaces show a step's text on the other steps, its definition and examples on a kind's step.
    textArea('Slide text', `${path}.projector_text`, step, 'projector_text',
      { rows: 2, hint: 'What the projector shows: a sentence or two, at most 300 characters. The texts below are your notes on the console.' }),
    (!isCategory || step.body) && textArea('Text', `${path}.body`, step, 'body',
      { rows: 4, hint: 'A blank line starts a new paragraph.' }),
    isCategory && textArea('Definition', `${path}.definition`, step, 'definition'),
    (isCategory || step.it_example || step.everyday_example) && h('div', { class: 'field-row field-row--wide' },
      textArea('IT example', `${path}.it_example`, step, 'it_example', { width: 45 }),
      textArea('Everyday example', `${path}.everyday_example`, step, 'everyday_example', { width: 45 })),
    textArea('Discussion prompts (one per line)', `${path}.prompts`, step, 'prompts', { lines: true }),
    isCategory && textArea('SLA input hint', `${path}.sla_hint`, step, 'sla_hint'),
    isCategory && strategiesBlock(step, path),
    h('div', { class: 'questions', dataset: { path: `${path}.questions` } },
      h('h4', { class: 'questions-title' }, `Questions (${questions.length})`),
      questions.map((question, at) => questionCard(question, at, questions, path)),
      h('div', { class: 'add-row' }, kindPicker, h('button', { type: 'button', class: 'button button--small',
        on: { click: () => addQuestion(step, index, kindPicker.value) } }, 'Add a question')))), index);
}

function render(focusKey) {
  const data = state.data;
  fields.replaceChildren(
    h('fieldset', { class: 'plan-fieldset', disabled: !own },
      planSection(data),
      h('h2', { class: 'steps-title' }, `Steps (${data.steps.length})`),
      data.steps.map((step, index) => stepCard(step, index, data.steps)),
      h('button', { type: 'button', class: 'button', on: { click: addStep } }, 'Add a step')));
  document.getElementById('editor-title').textContent = data.title || planId;
  showPreview();
  if (focusKey) {
    const target = fields.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)
      || fields.querySelector(`[data-path="${CSS.escape(focusKey)}"]`);
    if (target && !target.disabled) target.focus();
  }
}

// --- the preview ---------------------------------------------------------------------------------

let previewTimer = null;

function showPreview() {
  const steps = state.data.steps;
  state.previewed = Math.min(state.previewed, steps.length - 1);
  drawPreview(preview, steps[state.previewed], state.previewed + 1, { count: steps.length, title: state.data.title || '' });
}

function previewSoon() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(showPreview, 150);
}

// The preview follows the step being edited.
fields.addEventListener('focusin', (event) => {
  const card = event.target.closest('.step-card');
  const index = card ? [...fields.querySelectorAll('.step-card')].indexOf(card) : -1;
  if (index >= 0 && index !== state.previewed) {
    state.previewed = index;
    showPreview();
  }
});
fields.addEventListener('input', previewSoon);
fields.addEventListener('change', previewSoon);

// --- loading and saving --------------------------------------------------------------------------

/** The plan to send: the form adds empty lists and tables to bind its fields; the file needs none. */
function pruned(data) {
  const plan = structuredClone(data);
  const dropEmpty = (table, keys) => {
    for (const key of keys) {
      const value = table[key];
      if (value && typeof value === 'object' && Object.keys(value).length === 0) delete table[key];
    }
  };
  dropEmpty(plan, ['consensus']);
  for (const step of plan.steps || []) {
    dropEmpty(step, ['strategies', 'prompts', 'questions']);
    for (const question of step.questions || []) dropEmpty(question, ['labels']);
  }
  return plan;
}

// --- checking as the facilitator types ---------------------------------------------------------

let checkTimer = null;
let checkRound = 0;

function showRefusal(refusal, focus) {
  saveError.textContent = refusal.message;
  saveError.hidden = false;
  const control = refusal.path ? controlFor(fields, refusal.path) : null;
  if (control) markInvalid(control, refusal.detail || refusal.message, { focus });
}

/** The server's plan checks on the plan as it stands, a moment after the last change; nothing is saved. */
async function check() {
  const round = (checkRound += 1);
  let answer;
  try {
    answer = await api('POST', `/api/plans/${encodeURIComponent(planId)}/check`, { plan: pruned(state.data) });
  } catch {
    return; // the save will say what is wrong
  }
  if (round !== checkRound) return; // a later change or a save is already under way
  clearInvalid(fields);
  saveError.hidden = true;
  if (!answer.valid) showRefusal(answer.error, false);
}

function checkSoon() {
  if (!own) return;
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 500);
}

async function save(event) {
  event.preventDefault();
  clearTimeout(checkTimer);
  checkRound += 1;
  clearInvalid(fields);
  saveError.hidden = true;
  const button = document.getElementById('save-plan');
  button.disabled = true;
  saveStatus.textContent = 'Saving…';
  try {
    const stored = await api('PUT', `/api/plans/${encodeURIComponent(planId)}`, { version: state.version, plan: pruned(state.data) });
    state.version = stored.version;
    state.dirty = false;
    saveStatus.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    render(null);
  } catch (problem) {
    saveStatus.textContent = '';
    showRefusal(problem, true);
  } finally {
    button.disabled = false;
  }
}

async function load() {
  try {
    const entry = await api('GET', `/api/plans/${encodeURIComponent(planId)}`);
    state.data = entry.plan;
    state.version = entry.version;
    render(null);
  } catch (problem) {
    fields.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, problem.message));
  }
}

async function duplicate() {
  const button = document.getElementById('duplicate-plan');
  button.disabled = true;
  try {
    const listed = await api('GET', '/api/plans');
    const copy = copyId(planId, new Set(listed.plans.map((plan) => plan.id)));
    await api('POST', '/api/plans', { id: copy, copy_of: planId });
    window.location.assign(`/plans/${encodeURIComponent(copy)}/edit`);
  } catch (problem) {
    const error = document.getElementById('duplicate-error');
    error.textContent = problem.message;
    error.hidden = false;
    button.disabled = false;
  }
}

fields.addEventListener('input', () => {
  state.dirty = true;
  checkSoon();
});
fields.addEventListener('change', checkSoon);
if (!own) document.getElementById('duplicate-plan').addEventListener('click', duplicate);
if (own) form.addEventListener('submit', save);
window.addEventListener('beforeunload', (event) => {
  if (state.dirty) event.preventDefault();
});
load();
