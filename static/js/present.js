// The projector: read-only, driven by its own channel (/ws/CODE/present), whose `view` carries only
// what the room may see. It shows what the room needs at each moment: how to join, the step's
// content, which questions are open, and revealed results only.

import { heatMap } from './heatmap.js';
import { groupsLine } from './figures.js';
import { ReconnectingSocket } from './socket.js';
import { ConnectionStatus } from './connection-status.js';
import { h, isTyping, renderIfChanged } from './dom.js';
import { stepContent, strategiesGrid } from './step-view.js';
import { forgetCharts, liveChart } from './chart.js';
import { percent, valueLabel } from './format.js';
import { CLOSE_CODES, DIRECTIONS, RECORD_STATUSES, label, strategyName } from './vocabulary.js';

const MAX_EXAMPLES = 6;

const main = document.querySelector('main[data-code]');
const code = main.dataset.code;
const $ = (id) => document.getElementById(id);

const socket = new ReconnectingSocket(`/ws/${code}/present`, {
  isFatal: (event) => event.code === CLOSE_CODES.unknown_session || event.code === CLOSE_CODES.policy_violation,
});
const connection = new ConnectionStatus($('connection'), { open: 'Live' }).follow(socket);

socket.onmessage = (message) => {
  if (message.type === 'view') {
    connection.show('open');
    render(message.view);
  }
};

/** Draw the room's view: the same shape as the console's snapshot, holding only what the room may see. */
function render(view) {
  const step = view.steps[view.current_step];
  const live = (question) => view.questions[question.id] || { status: 'pending' };
  const open = step.questions.filter((question) => live(question).status === 'open' && !live(question).revealed);
  const revealed = step.questions.filter((question) => question.kind !== 'text' && live(question).revealed && live(question).tally);
  const phase = revealed.length ? 'results' : open.length ? 'voting' : 'content';
  main.dataset.stepKind = step.kind;
  main.dataset.phase = phase;
  main.dataset.resultCount = String(Math.min(revealed.length, 3));

  const connected = view.participants.connected;
  setText($('people-count'), String(connected));
  setText($('people-word'), connected === 1 ? 'phone connected' : 'phones connected');
  setText($('join-count'), String(connected));
  setText($('join-count-word'), connected === 1 ? 'phone connected' : 'phones connected');
  $('step-count').textContent = `Step ${step.index + 1} of ${view.steps.length}`;
  $('step-title').textContent = step.title;
  $('join').hidden = step.kind !== 'intro';
  $('footer').hidden = step.kind === 'intro';

  // While results are up the room looks at them; while voting, the definition is enough context.
  const content = phase === 'results' ? null : { step, prompts: phase === 'content' };
  renderIfChanged($('step-content'), content, () => {
    if (!content) return [];
    if (phase === 'voting' && step.kind === 'category') {
      return stepContent({ ...step, it_example: '', everyday_example: '' }, { prompts: false });
    }
    return stepContent(step, { prompts: content.prompts });
  });

  const votingOnStrategy = open.some((question) => question.id.endsWith('.strategy'));
  const strategies = step.strategies.length && (phase === 'content' || (phase === 'voting' && votingOnStrategy))
    ? step.strategies : null;
  show($('strategies'), strategies, () => [h('h2', { class: 'pj-section-title' }, 'Four ways to respond'), strategiesGrid(strategies)]);

  const openData = open.map((question) => ({ question, count: live(question).voted || 0, round: live(question).round }));
  show($('live'), openData.length ? openData : null, () => openData.map(liveView));

  const resultData = revealed.map((question) => ({ question, live: live(question) }));
  // A chart hidden and revealed again grows again.
  forgetCharts('projector:', new Set(revealed.map((question) => `projector:${question.id}`)));
  show($('results'), resultData.length ? resultData : null, () => resultData.map(resultView));

  const stepQuestions = new Set(step.questions.map((question) => question.id));
  const examples = view.submissions
    .filter((item) => stepQuestions.has(item.question_id))
    .slice(-MAX_EXAMPLES)
    .map((item) => item.text);
  show($('examples'), examples.length && phase !== 'voting' ? examples : null, () => [
    h('h2', { class: 'pj-section-title' }, 'From the room'),
    h('ul', { class: 'pj-example-list' }, examples.map((text) => h('li', {}, text))),
  ]);

  const record = step.category ? view.consensus[step.category] || null : null;
  const recordData = record ? {
    direction: record.direction, strategy: record.strategy, status: record.status, notes: record.notes,
  } : null;
  // The closing step shows every kind's record side by side: what the room is taking away.
  const summary = step.kind === 'summary' ? (view.summary || []).map((row) => ({
    title: row.title, impact: row.impact, consensus: row.consensus, reached: row.reached, record: row.record,
  })) : null;
  show($('summary'), summary && summary.length ? summary : null, () => summaryView(summary));

  main.dataset.hasRecord = String(Boolean(recordData));
  show($('record'), recordData, () => recordView(recordData));
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function show(section, data, build) {
  section.hidden = !data;
  renderIfChanged(section, data || null, () => (data ? build() : []));
}

function liveView({ question, count, round }) {
  const noun = question.kind === 'text' ? (count === 1 ? 'example sent' : 'examples sent') : (count === 1 ? 'vote' : 'votes');
  return h('article', { class: 'pj-open' },
    h('p', { class: 'pj-open-label' }, question.kind === 'text' ? 'Send an example from your phone' : `Vote now on your phone${round > 1 ? ` · round ${round}` : ''}`),
    h('h2', { class: 'pj-open-prompt' }, question.prompt),
    h('p', { class: 'pj-open-count' }, h('strong', {}, String(count)), ` ${noun}`));
}

function resultView({ question, live }) {
  const tally = live.tally;
  const headline = [];
  if (tally.n) {
    if (question.kind === 'scale') {
      headline.push(h('div', { class: 'pj-figure' }, h('span', { class: 'pj-figure-value' }, percent(tally.consensus)), h('span', { class: 'pj-figure-name' }, 'consensus')));
      headline.push(h('div', { class: 'pj-figure' }, h('span', { class: 'pj-figure-value' }, percent(tally.agreement)), h('span', { class: 'pj-figure-name' }, 'agreement')));
    } else if (tally.leader) {
      headline.push(h('div', { class: 'pj-figure' }, h('span', { class: 'pj-figure-value' }, percent(tally.agreement)), h('span', { class: 'pj-figure-name' }, `for ${valueLabel(question, tally.leader)}`)));
    }
    headline.push(h('p', { class: ['pj-verdict', tally.reached ? 'pj-verdict--yes' : 'pj-verdict--no'] },
      tally.reached ? 'Consensus reached' : 'No consensus yet'));
  }
  const meta = [`${tally.n} ${tally.n === 1 ? 'vote' : 'votes'}`];
  if (tally.abstain) meta.push(`${tally.abstain} abstained`);
  if (live.round > 1) meta.push(`round ${live.round}`);
  if (live.status === 'open') meta.push('voting still open');
  return h('article', { class: 'pj-result' },
    h('h2', { class: 'pj-result-prompt' }, question.prompt),
    h('div', { class: 'pj-chart' }, liveChart(`projector:${question.id}`, question, tally, { title: question.prompt })),
    h('div', { class: 'pj-headline' }, headline),
    groupsLine(question, tally),
    h('p', { class: 'pj-result-meta' }, meta.join(' · ')));
}

function summaryView(rows) {
  return [h('div', { class: 'pj-heatmap' }, heatMap(rows)), summaryTable(rows)];
}

function summaryTable(rows) {
  return h('table', { class: 'pj-summary-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Kind of variability'), h('th', { scope: 'col' }, 'Variability allowed'),
      h('th', { scope: 'col' }, 'Strategy'), h('th', { scope: 'col' }, 'Status'))),
    h('tbody', {}, rows.map(({ title, record }) => h('tr', { class: record ? `is-${record.status}` : 'is-missing' },
      h('th', { scope: 'row' }, title),
      record ? [
        h('td', {}, label(DIRECTIONS, record.direction)),
        h('td', {}, strategyName(record.strategy)),
        h('td', {}, h('span', { class: ['pj-status', `pj-status--${record.status}`] }, label(RECORD_STATUSES, record.status))),
      ] : h('td', { colspan: 3, class: 'pj-missing' }, 'Not recorded')))));
}

function recordView(record) {
  return [
    h('p', { class: 'pj-record-label' }, `Recorded · ${label(RECORD_STATUSES, record.status)}`),
    h('p', { class: 'pj-record-decision' },
      `${label(DIRECTIONS, record.direction)} · ${strategyName(record.strategy)}`),
    record.notes ? h('p', { class: 'pj-record-notes' }, record.notes) : null,
  ];
}

// --- full screen -------------------------------------------------------------------------------

const PROMPT_TIME = 30000;
const channel = 'BroadcastChannel' in window ? new BroadcastChannel(`workshop-${code}`) : null;
let promptTimer = null;

/** Enter or leave full screen; resolves to 'on', 'off' or 'refused' (no user gesture here). */
async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) {
      await document.exitFullscreen();
      return 'off';
    }
    if (!document.documentElement.requestFullscreen) return 'refused';
    await document.documentElement.requestFullscreen();
    return 'on';
  } catch {
    return document.fullscreenElement ? 'on' : 'refused';
  }
}

function showPrompt(shown) {
  $('fullscreen-prompt').hidden = !shown;
  clearTimeout(promptTimer);
  if (shown) promptTimer = setTimeout(() => { $('fullscreen-prompt').hidden = true; }, PROMPT_TIME);
}

async function fullscreenHere() {
  showPrompt(false);
  const result = await toggleFullscreen();
  if (result === 'refused') showPrompt(true);
  return result;
}

$('fullscreen').addEventListener('click', fullscreenHere);
$('fullscreen-prompt').addEventListener('click', fullscreenHere);
document.addEventListener('fullscreenchange', () => {
  const on = Boolean(document.fullscreenElement);
  main.classList.toggle('is-fullscreen', on);
  $('fullscreen').firstChild.textContent = on ? 'Exit full screen ' : 'Full screen ';
  if (on) showPrompt(false);
});
document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event)) return;
  if (event.key === 'f' || event.key === 'F') {
    event.preventDefault();
    if (!event.repeat) fullscreenHere();
  } else if (event.key === 'Escape') {
    showPrompt(false);
  }
});

// The console's F key arrives here. Browsers allow full screen only on a gesture in this window, so a
// refusal turns into a prompt on the projector, and the console is told either way.
if (channel) {
  channel.addEventListener('message', async (event) => {
    const message = event.data || {};
    if (message.type !== 'fullscreen') return;
    const result = await fullscreenHere();
    channel.postMessage({ type: 'fullscreen-result', fullscreen: result === 'on', refused: result === 'refused' });
  });
}

socket.start();
