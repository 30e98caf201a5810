// The console's consensus: the form that records the room's decision on one kind of variability (with
// what the votes propose and the server's warnings), the record saved for it, and the list of records.

import { api } from './api.js';
import { h, renderIfChanged } from './dom.js';
import { percent, time } from './format.js';
import { CERTAINTIES, DIRECTIONS, KINDS, RECORD_STATUSES, VERDICTS, label, strategyName } from './vocabulary.js';

const CHECK_DELAY = 250; // ms of quiet in the form before the server is asked for its warnings
const CHOICES = ['direction', 'strategy', 'status'];
const TEXTS = ['notes', 'dissent', 'sla_input', 'owner', 'due'];

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
          ? [label(RECORD_STATUSES, record.status), label(DIRECTIONS, record.direction), strategyName(record.strategy)]
            .filter(Boolean).join(' · ')
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

function fillForm(values, step) {
  for (const name of CHOICES) {
    for (const input of consensusForm.elements[name]) input.checked = input.value === values[name];
  }
  for (const name of TEXTS) {
    consensusForm.elements[name].value = values[name] || '';
  }
  const sla = values.sla || {};
  for (const input of $('sla-field-list').querySelectorAll('textarea')) input.value = sla[input.dataset.field] || '';
  renderClauses(step, values.clauses || []);
}

/** One text box per SLA clause this kind maps to (service hours, booking rules, ...). */
function renderSlaFields(step) {
  const fields = step.sla_fields || [];
  $('sla-fields').hidden = !fields.length;
  $('sla-field-list').replaceChildren(...fields.map((field) => {
    const id = `sla-${field.id}`;
    return h('div', { class: 'sla-field' },
      h('label', { for: id }, field.label),
      h('textarea', { id, rows: 2, maxlength: 4000, dataset: { field: field.id } }));
  }));
}

/** The plan's tactics for the strategy chosen in the form, as clauses to tick; ticks kept where they still fit. */
function renderClauses(step, ticked) {
  const chosen = consensusForm.elements.strategy.value;
  const strategy = ((step && step.strategies) || []).find((item) => item.id === chosen);
  const tactics = strategy ? strategy.tactics : [];
  $('clause-choices').hidden = !tactics.length;
  $('clause-list').replaceChildren(...tactics.map((tactic) => h('label', { class: 'clause' },
    h('input', { type: 'checkbox', value: tactic, checked: ticked.includes(tactic) }), ` ${tactic}`)));
}

function tickedClauses() {
  return [...$('clause-list').querySelectorAll('input:checked')].map((input) => input.value);
}

function formBody() {
  const data = new FormData(consensusForm);
  const body = Object.fromEntries([...CHOICES, ...TEXTS].map((name) => [name, String(data.get(name) || '')]));
  body.sla = Object.fromEntries([...$('sla-field-list').querySelectorAll('textarea')]
    .map((input) => [input.dataset.field, input.value]));
  body.clauses = tickedClauses();
  return body;
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
    ...Object.entries(record.sla || {}).filter(([, text]) => text).map(([field, text]) => [slaLabel(field), text]),
    ['Clauses', (record.clauses || []).join('; ')],
    ['SLA input', record.sla_input],
    ['Owner', record.owner],
    ['Due', record.due],
    ['Evidence', direction ? evidenceText(direction) : 'No closed round of direction votes'],
    ['Recorded', time(record.recorded_at)],
  ].filter(([, value]) => value);
  return [
    h('h4', {}, 'Saved record'),
    h('dl', { class: 'record-list' }, rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value)))),
    (record.warnings || []).length ? h('ul', { class: 'warnings' }, record.warnings.map((warning) => h('li', {},
      h('strong', {}, warning.severity === 'to_note' ? 'To note: ' : 'To resolve: '), warning.message))) : null,
  ];
}

/** "Round 1: 6 of 6 present voted, agreement 83% · Consensus reached (narrow)": the round a record rests on. */
function evidenceText(direction) {
  const present = direction.present != null ? `${direction.n} of ${direction.present} present voted` : `${direction.n} voted`;
  const certainty = direction.certainty ? ` (${label(CERTAINTIES, direction.certainty).split(':')[0].toLowerCase()})` : '';
  return `Round ${direction.round}: ${present}, agreement ${percent(direction.agreement)}, consensus ${percent(direction.consensus)}`
    + ` · ${label(VERDICTS, direction.verdict)}${certainty}`;
}

/** What the warnings depend on besides the form: where each of the kind's votes stands. */
function roundsOf(snapshot, kind) {
  return ['impact', 'direction', 'strategy'].map((role) => {
    const question = snapshot.questions[`${kind}.${role}`];
    const tally = question && question.tally;
    return question ? [question.status, question.round, tally && tally.n, tally && tally.abstain, tally && tally.verdict] : null;
  });
}

function slaLabel(field) {
  return field.replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase());
}

function showWarnings(warnings) {
  const list = $('form-warnings');
  list.hidden = !warnings.length;
  renderIfChanged(list, warnings, () => warnings.map((text) => h('li', {}, text)));
}

/** The choices still to make: a deferred decision needs only its status. */
function requiredMissing(body) {
  return CHOICES.filter((name) => !body[name] && !(body.status === 'deferred' && name !== 'status'));
}

function missingText(missing) {
  const words = missing.map((name) => ({ direction: 'a direction', strategy: 'a strategy', status: 'a status' })[name]);
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : words[0];
  return `Choose ${list} first.`;
}

/** The consensus panel of the current kind's step, and the records list beside it. */
class ConsensusPanel {
  constructor({ code, command }) {
    this.code = code;
    this.command = command;
    // `version`: the recorded_at of the record the form was filled from (null: none yet), sent with the
    // PUT so a record saved meanwhile from another tab is not silently overwritten.
    this.form = { kind: null, dirty: false, saving: false, version: null };
    this.snapshot = null;
    this.checkTimer = null;
    this.checked = null; // what the shown warnings were computed for
    this.asked = 0; // the latest check sent; older answers are dropped
    consensusForm.addEventListener('input', (event) => {
      this.form.dirty = true;
      if (event.target.name === 'strategy' && this.step) renderClauses(this.step, tickedClauses());
      this.scheduleCheck();
    });
    consensusForm.addEventListener('submit', (event) => this.save(event));
  }

  url(kind) {
    return `/api/sessions/${encodeURIComponent(this.code)}/consensus/${encodeURIComponent(kind)}`;
  }

  // The server computes the warnings, with the code that stores them on the record. They depend on what
  // the form holds and on the votes, so they are asked again when either changes.
  async checkWarnings() {
    const kind = this.form.kind;
    const choices = formBody();
    const rounds = kind && this.snapshot ? roundsOf(this.snapshot, kind) : null;
    const key = JSON.stringify([kind, choices, rounds]);
    if (key === this.checked) return;
    this.checked = key;
    this.asked += 1;
    const mine = this.asked;
    if (!kind || requiredMissing(choices).length) {
      showWarnings([]);
      return;
    }
    try {
      const { warnings } = await api('POST', `${this.url(kind)}/check`, choices);
      if (mine === this.asked) showWarnings(warnings);
    } catch {
      if (mine === this.asked) this.checked = null; // ask again on the next change
    }
  }

  /** Ask after a pause. Typing restarts the pause; snapshots (ten a second while votes come in) do not. */
  scheduleCheck(restart = true) {
    if (!restart && this.checkTimer !== null) return;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      this.checkWarnings();
    }, CHECK_DELAY);
  }

  render(snapshot) {
    this.snapshot = snapshot;
    renderRecords(snapshot, this.command);
    const step = snapshot.steps[snapshot.current_step];
    const kind = step.kind === 'category' && step.category ? KINDS.get(step.category) : null;
    $('consensus').hidden = !kind;
    if (kind) this.renderForm(step, kind);
    else this.form.kind = null;
  }

  renderForm(step, kind) {
    const record = this.snapshot.consensus[kind.id] || null;
    const proposal = this.snapshot.proposals[kind.id] || {};
    const hint = step.sla_hint || kind.sla_hint;
    this.step = step;
    if (this.form.kind !== kind.id) {
      this.form.kind = kind.id;
      this.form.dirty = false;
      showWarnings([]);
      $('consensus-title').textContent = `Record the consensus on ${kind.name.toLowerCase()} variability`;
      $('sla-hint').textContent = `What this kind feeds into an SLA: ${hint}`;
      consensusForm.elements.sla_input.placeholder = hint; // a placeholder: the hint is never recorded as input
      $('consensus-status').textContent = '';
      renderSlaFields(step);
    }
    if (!this.form.dirty && !this.form.saving) {
      this.form.version = record ? record.recorded_at : null;
      fillForm(record || {
        direction: proposal.direction, strategy: proposal.strategy,
        status: proposal.reached ? 'agreed' : null,
      }, step);
    }
    $('proposal').textContent = proposalText(proposal);
    this.scheduleCheck(false);
    renderIfChanged($('saved-record'), record, () => (record ? recordView(record) : h('p', { class: 'hint' },
      'Nothing recorded for this kind yet.')));
  }

  /** Fill the form from the stored record, after a save was refused as stale. */
  loadSaved(kind) {
    const record = this.snapshot && this.snapshot.consensus[kind];
    if (!record || this.form.kind !== kind) return;
    this.form.dirty = false;
    this.form.version = record.recorded_at;
    fillForm(record, this.step);
    $('consensus-status').textContent = '';
    this.scheduleCheck();
  }

  async save(event) {
    event.preventDefault();
    const body = formBody();
    const missing = requiredMissing(body);
    const status = $('consensus-status');
    if (missing.length) {
      status.textContent = missingText(missing);
      status.dataset.mode = 'error';
      return;
    }
    const kind = this.form.kind;
    const button = consensusForm.querySelector('button[type="submit"]');
    button.disabled = true;
    this.form.saving = true;
    status.textContent = 'Saving…';
    status.dataset.mode = '';
    try {
      const record = await api('PUT', this.url(kind), { ...body, version: this.form.version });
      this.form.dirty = false;
      this.form.version = record.recorded_at;
      status.textContent = `Recorded at ${time(record.recorded_at)}.`;
      status.dataset.mode = 'ok';
      if (this.snapshot && this.form.kind === kind) {
        this.snapshot.consensus[kind] = record;
        renderIfChanged($('saved-record'), record, () => recordView(record));
      }
    } catch (error) {
      status.dataset.mode = 'error';
      if (error.code === 'stale_record') {
        status.replaceChildren(
          'Not saved: this kind was recorded from another console (or tab) after this form was loaded. Your entries are still here. ',
          h('button', {
            type: 'button', class: 'link-button',
            on: { click: () => this.loadSaved(kind) },
          }, 'Load the saved record'),
          ' to start again from it, or record again to replace it.');
        // Recording again on purpose replaces what is stored now.
        const stored = this.snapshot && this.snapshot.consensus[kind];
        this.form.version = stored ? stored.recorded_at : this.form.version;
      } else {
        status.textContent = `Not saved: ${error.message}`;
      }
    } finally {
      this.form.saving = false;
      button.disabled = false;
    }
  }
}

export function createConsensus(parts) {
  return new ConsensusPanel(parts);
}
