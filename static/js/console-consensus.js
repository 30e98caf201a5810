// The console's consensus: the form that records the room's decision on one kind of variability (with
// what the votes propose and the server's warnings), the record saved for it, and the list of records.

import { api } from './api.js';
import { h, renderIfChanged } from './dom.js';
import { percent, time } from './format.js';
import { DIRECTIONS, KINDS, RECORD_STATUSES, label, strategyName } from './vocabulary.js';

const CHECK_DELAY = 250; // ms of quiet in the form before the server is asked for its warnings
const CHOICES = ['direction', 'strategy', 'status'];
const FIELDS = [...CHOICES, 'notes', 'dissent', 'sla_input'];

const $ = (id) => document.getElementById(id);
const consensusForm = $('consensus-form');

function renderRecords(snapshot, command) {
  const list = [...KINDS.values()].map((kind) => ({ kind, record: snapshot.consensus[kind.id] || null }));
  renderIfChanged($('records'), list.map(({ kind, record }) => [kind.id, record && record.recorded_at]), () =>
    list.map(({ kind, record }) => {
      const step = snapshot.steps.find((item) => item.category === kind.id);
      return h('li', { class: record ? 'is-recorded' : 'is-missing' },
        step ? h('button', {
          type: 'button', class: 'link-button',
          on: { click: (event) => command({ command: 'goto', step: step.index }, event.currentTarget) },
        }, kind.name) : h('span', {}, kind.name),
        h('span', { class: 'record-line' }, record
          ? `${label(RECORD_STATUSES, record.status)} · ${label(DIRECTIONS, record.direction)} · ${strategyName(record.strategy)}`
          : 'Not recorded yet'));
    }));
}

function proposalText(proposal) {
  if (!proposal.direction && !proposal.strategy) return 'The votes do not lean anywhere yet: open the direction and strategy questions first.';
  const parts = [];
  if (proposal.direction) parts.push(label(DIRECTIONS, proposal.direction));
  if (proposal.strategy) parts.push(strategyName(proposal.strategy));
  const reached = proposal.reached === true ? 'consensus reached' : proposal.reached === false ? 'consensus not reached' : '';
  return `The votes lean to: ${parts.join(' · ')}${reached ? ` (${reached})` : ''}. The form starts from this; change anything.`;
}

function fillForm(values) {
  for (const name of CHOICES) {
    for (const input of consensusForm.elements[name]) input.checked = input.value === values[name];
  }
  for (const name of ['notes', 'dissent', 'sla_input']) {
    consensusForm.elements[name].value = values[name] || '';
  }
}

function formBody() {
  const data = new FormData(consensusForm);
  return Object.fromEntries(FIELDS.map((name) => [name, String(data.get(name) || '')]));
}

function recordView(record) {
  const evidence = record.evidence || {};
  const direction = evidence.direction;
  const rows = [
    ['Direction', label(DIRECTIONS, record.direction)],
    ['Strategy', strategyName(record.strategy)],
    ['Status', label(RECORD_STATUSES, record.status)],
    ['Notes', record.notes],
    ['Dissent', record.dissent],
    ['SLA input', record.sla_input],
    ['Evidence', direction
      ? `Round ${direction.round}: ${direction.n} votes, consensus ${percent(direction.consensus)}, agreement ${percent(direction.agreement)}, ${direction.reached ? 'reached' : 'not reached'}`
      : 'No direction votes'],
    ['Recorded', time(record.recorded_at)],
  ].filter(([, value]) => value);
  return [
    h('h4', {}, 'Saved record'),
    h('dl', { class: 'record-list' }, rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
    (evidence.warnings || []).length ? h('ul', { class: 'warnings' }, evidence.warnings.map((text) => h('li', {}, text))) : null,
  ];
}

function showWarnings(warnings) {
  const list = $('form-warnings');
  list.hidden = !warnings.length;
  renderIfChanged(list, warnings, () => warnings.map((text) => h('li', {}, text)));
}

function missingText(missing) {
  const words = missing.map((name) => ({ direction: 'a direction', strategy: 'a strategy', status: 'a status' })[name]);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];
  return `Choose ${list} first.`;
}

/** The consensus panel of the current kind's step, and the records list beside it. */
export function createConsensus({ code, command }) {
  const form = { kind: null, dirty: false, saving: false };
  let snapshot = null;
  let checkTimer = null;
  let checked = null; // what the shown warnings were computed for
  let asked = 0; // the latest check sent; older answers are dropped

  const consensusUrl = (kind) => `/api/sessions/${encodeURIComponent(code)}/consensus/${encodeURIComponent(kind)}`;

  // The server computes the warnings, with the code that stores them on the record. They depend on the
  // three choices and on whether the votes reached consensus, so that is when they are asked again.
  async function checkWarnings() {
    const kind = form.kind;
    const choices = Object.fromEntries(CHOICES.map((name) => [name, consensusForm.elements[name].value]));
    const reached = kind && snapshot ? (snapshot.proposals[kind] || {}).reached : null;
    const key = JSON.stringify([kind, choices, reached]);
    if (key === checked) return;
    checked = key;
    asked += 1;
    const mine = asked;
    if (!kind || CHOICES.some((name) => !choices[name])) {
      showWarnings([]);
      return;
    }
    try {
      const { warnings } = await api('POST', `${consensusUrl(kind)}/check`, choices);
      if (mine === asked) showWarnings(warnings);
    } catch {
      if (mine === asked) checked = null; // ask again on the next change
    }
  }

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkWarnings, CHECK_DELAY);
  }

  function renderForm(step, kind) {
    const record = snapshot.consensus[kind.id] || null;
    const proposal = snapshot.proposals[kind.id] || {};
    const hint = step.sla_hint || kind.sla_hint;
    if (form.kind !== kind.id) {
      form.kind = kind.id;
      form.dirty = false;
      showWarnings([]);
      $('consensus-title').textContent = `Record the consensus on ${kind.name.toLowerCase()} variability`;
      $('sla-hint').textContent = `What this kind feeds into an SLA: ${hint}`;
      $('consensus-status').textContent = '';
    }
    if (!form.dirty && !form.saving) {
      fillForm(record || {
        direction: proposal.direction, strategy: proposal.strategy,
        status: proposal.reached ? 'agreed' : null, sla_input: hint,
      });
    }
    $('proposal').textContent = proposalText(proposal);
    scheduleCheck();
    renderIfChanged($('saved-record'), record, () => (record ? recordView(record) : h('p', { class: 'hint' },
      'Nothing recorded for this kind yet.')));
  }

  function render(next) {
    snapshot = next;
    renderRecords(snapshot, command);
    const step = snapshot.steps[snapshot.current_step];
    const kind = step.kind === 'category' && step.category ? KINDS.get(step.category) : null;
    $('consensus').hidden = !kind;
    if (kind) renderForm(step, kind);
    else form.kind = null;
  }

  async function save(event) {
    event.preventDefault();
    const body = formBody();
    const missing = CHOICES.filter((name) => !body[name]);
    const status = $('consensus-status');
    if (missing.length) {
      status.textContent = missingText(missing);
      status.dataset.mode = 'error';
      return;
    }
    const kind = form.kind;
    const button = consensusForm.querySelector('button[type="submit"]');
    button.disabled = true;
    form.saving = true;
    status.textContent = 'Saving…';
    status.dataset.mode = '';
    try {
      const record = await api('PUT', consensusUrl(kind), body);
      form.dirty = false;
      status.textContent = `Recorded at ${time(record.recorded_at)}.`;
      status.dataset.mode = 'ok';
      if (snapshot && form.kind === kind) {
        snapshot.consensus[kind] = record;
        renderIfChanged($('saved-record'), record, () => recordView(record));
      }
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
      status.dataset.mode = 'error';
    } finally {
      form.saving = false;
      button.disabled = false;
    }
  }

  consensusForm.addEventListener('input', () => { form.dirty = true; scheduleCheck(); });
  consensusForm.addEventListener('submit', save);
  return { render };
}
