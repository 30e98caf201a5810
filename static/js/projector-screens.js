// The projector's screens, one per focus (see projector-focus.js): each fills the stage alone and speaks
// in plain words (plain-words.js); the figures behind the words stay on the console and in the report.

import { h } from './dom.js';
import { liveChart } from './chart.js';
import { heatMap, heatLegend } from './heatmap.js';
import { signed, isCentred } from './format.js';
import { countdownText } from './countdown.js';
import { slideText } from './step-view.js';
import { STOP_WORDS } from './stop-words.js';
import { frequentWords, groupsSentence, resultSentence, shiftSentence, votedSentence } from './plain-words.js';
import { CERTAINTIES, DIRECTIONS, RECORD_STATUSES, VERDICTS, label, strategyName } from './vocabulary.js';

/** What a centred scale on this step is about: "arrival variability". */
export function subjectOf(step) {
  return step.category ? step.title : '';
}

/** A step's slide: its short text; the definition, examples and prompts are the console's notes. */
export function contentScreen(step) {
  const text = slideText(step);
  return [
    text ? h('p', { class: 'pj-lead' }, text) : null,
    step.kind === 'category' && step.questions.length
      ? h('p', { class: 'pj-next' }, 'We talk it over, then you vote on your phone') : null,
  ];
}

/** The four strategies as the room votes on them: a name and its family; the tactics are notes. */
function strategyCards(strategies) {
  return h('ul', { class: 'pj-strategies' }, strategies.map((strategy) => h('li', {
    class: ['pj-strategy', `pj-strategy--${strategy.family}`],
  }, h('span', { class: 'pj-strategy-name' }, strategy.name),
  h('span', { class: 'pj-strategy-family' }, strategy.family === 'accommodate' ? 'accommodate' : 'reduce'))));
}

function optionsOf(question, step) {
  if (question.kind === 'scale') {
    const items = [];
    for (let value = question.min; value <= question.max; value += 1) {
      const text = (question.labels || {})[String(value)];
      items.push(h('li', { class: 'pj-option' }, h('span', { class: 'pj-option-value' }, signed(value, isCentred(question))),
        text ? ` ${text}` : ''));
    }
    return h('ul', { class: 'pj-options pj-options--scale' }, items);
  }
  if (question.kind !== 'choice') return null;
  const ids = new Set((question.options || []).map((option) => option.id));
  const strategies = step.strategies.filter((strategy) => ids.has(strategy.id));
  if (strategies.length === ids.size && strategies.length) return strategyCards(strategies);
  return h('ul', { class: 'pj-options' }, question.options.map((option) => h('li', { class: 'pj-option' }, option.label)));
}

/** A chart of one earlier round, as the room saw it revealed, with its sentence. */
function earlierRound(question, figures, step) {
  return h('figure', { class: 'pj-round pj-round--earlier' },
    h('figcaption', { class: 'pj-round-label' }, `Round ${figures.round}`),
    h('div', { class: 'pj-chart' }, liveChart(`projector:${question.id}:round${figures.round}`, question, figures,
      { title: `Round ${figures.round}`, animate: false })),
    h('p', { class: 'pj-round-sentence' }, resultSentence(question, figures, { subject: subjectOf(step) })));
}

/** The open question: its prompt, its options, and how many have answered. */
export function votingScreen({ question, others }, live, connected, step, examples) {
  const text = question.kind === 'text';
  const noun = text ? (live.voted === 1 ? 'example sent' : 'examples sent') : 'voted';
  const earlier = (live.rounds || []).filter((figures) => figures.round < live.round).slice(-1);
  const share = connected ? Math.min(1, (live.voted || 0) / connected) : 0;
  const bar = h('div', { class: 'pj-progress', 'aria-hidden': 'true' }, h('div', { class: 'pj-progress-bar' }));
  bar.firstChild.style.setProperty('--share', String(share));
  return h('article', { class: ['pj-open', earlier.length ? 'pj-open--with-round' : ''] },
    h('div', { class: 'pj-open-main' },
      h('p', { class: 'pj-open-label' }, text ? 'Send an example from your phone'
        : `Vote now on your phone${live.round > 1 ? ` · round ${live.round}` : ''}`),
      h('h2', { class: 'pj-open-prompt' }, question.prompt),
      text ? null : optionsOf(question, step),
      live.closes_at ? h('p', { class: 'pj-countdown', role: 'timer', dataset: { closesAt: live.closes_at } },
        countdownText(live.closes_at)) : null,
      h('p', { class: 'pj-open-count' }, h('strong', {}, String(live.voted || 0)),
        ` ${text ? noun : votedSentence(live.voted || 0, connected).replace(/^\d+ /, '')}`),
      text ? null : bar,
      others.length ? h('p', { class: 'pj-open-others' }, `Also open: ${others.map((item) => item.prompt).join(' · ')}`) : null,
      text && examples.length ? examplesWall(examples, { words: false }) : null),
    earlier.map((figures) => earlierRound(question, figures, step)));
}

/** The latest revealed result: a sentence, its chart, and round 1's chart beside a later round's. */
export function resultScreen(question, live, step) {
  const tally = live.tally;
  const subject = subjectOf(step);
  const earlier = (live.rounds || []).filter((figures) => figures.round < live.round).slice(-1);
  const meta = [tally.present != null ? `${tally.n} of ${tally.present} present voted`
    : `${tally.n} ${tally.n === 1 ? 'vote' : 'votes'}`];
  if (tally.verdict) {
    const certainty = tally.certainty ? ` (${label(CERTAINTIES, tally.certainty).split(':')[0].toLowerCase()})` : '';
    meta.push(`${label(VERDICTS, tally.verdict)}${certainty}`);
  }
  if (tally.abstain) meta.push(`${tally.abstain} abstained`);
  if (live.round > 1) meta.push(`round ${live.round}`);
  if (live.status === 'open') meta.push('voting still open');
  const groups = groupsSentence(question, tally);
  const shift = live.round > 1 ? shiftSentence(live.shift) : '';
  return h('article', { class: ['pj-result', tally.reached ? 'is-reached' : 'is-open', earlier.length ? 'pj-result--rounds' : ''] },
    h('h2', { class: 'pj-result-prompt' }, question.prompt),
    h('p', { class: ['pj-verdict', tally.reached ? 'pj-verdict--yes' : 'pj-verdict--no'] },
      resultSentence(question, tally, { subject })),
    h('div', { class: 'pj-charts' },
      earlier.map((figures) => earlierRound(question, figures, step)),
      h('figure', { class: 'pj-round' },
        earlier.length ? h('figcaption', { class: 'pj-round-label' }, `Round ${live.round}`) : null,
        h('div', { class: 'pj-chart' }, liveChart(`projector:${question.id}`, question, tally, { title: question.prompt })),
        // under the round it describes, never under an earlier round's chart
        groups && earlier.length ? h('p', { class: 'groups-line' }, groups) : null)),
    groups && !earlier.length ? h('p', { class: 'groups-line' }, groups) : null,
    h('p', { class: 'pj-result-meta' }, [...meta, shift].filter(Boolean).join(' · ')));
}

const HEAT_LABEL_PX = 20; // .pj-heatmap .heat-kind text in app.css

const SIZES = [[40, 'short'], [110, 'medium'], [Infinity, 'long']];

/** Approved examples as a wall of cards, short ones set larger, with the words they share. */
export function examplesWall(texts, { words = true } = {}) {
  const frequent = words ? frequentWords(texts, STOP_WORDS) : [];
  const top = frequent.length ? frequent[0].count : 1;
  return h('div', { class: 'pj-wall-box' },
    frequent.length ? h('p', { class: 'pj-words' }, h('span', { class: 'pj-words-label' }, 'Words that come up:'),
      frequent.map(({ word, count }) => h('span', { class: ['pj-word', `pj-word--${Math.ceil((count / top) * 3)}`] }, word))) : null,
    h('ul', { class: 'pj-wall' }, texts.map((text) => h('li', {
      class: ['pj-card', `pj-card--${SIZES.find(([limit]) => text.length <= limit)[1]}`],
    }, h('bdi', {}, text)))),
    h('p', { class: 'pj-wall-more', hidden: true }));
}

const WALL_TITLES = { examples: 'Examples from the room', dissent: 'What would change your vote' };

/** A wall of approved texts under its title: the room's examples, or what would change their vote. */
export function examplesScreen(texts, kind = 'examples') {
  return [h('h2', { class: 'pj-section-title' }, WALL_TITLES[kind]), examplesWall(texts, { words: kind === 'examples' })];
}

/** The recorded decision, with the sentence of the direction vote it came from. */
export function recordScreen(record, step, view) {
  const direction = step.questions.find((question) => question.id.endsWith('.direction'));
  const live = direction ? view.questions[direction.id] : null;
  const context = live && live.revealed && live.tally
    ? `The room: ${resultSentence(direction, live.tally, { subject: subjectOf(step) })}` : '';
  const position = `${label(DIRECTIONS, record.direction)} · ${strategyName(record.strategy)}`;
  const agreed = record.status === 'agreed';
  // Only an agreement is headed by its position; otherwise the status is the headline.
  return [
    h('p', { class: 'pj-record-label' }, `Recorded · ${label(RECORD_STATUSES, record.status)}`),
    h('p', { class: 'pj-record-decision' }, agreed ? position : label(RECORD_STATUSES, record.status)),
    agreed ? null : h('p', { class: 'pj-record-working' }, `Working position, not agreed: ${position}`),
    record.basis ? h('p', { class: 'pj-record-basis' }, basisWords(record.basis)) : null,
    context ? h('p', { class: 'pj-record-context' }, context) : null,
  ];
}

/** "Round 2: 5 of 6 present voted · Consensus reached (narrow)": the round a decision rests on. */
function basisWords(basis) {
  const present = basis.present != null ? `${basis.n} of ${basis.present} present voted` : `${basis.n} voted`;
  const certainty = basis.certainty ? ` (${label(CERTAINTIES, basis.certainty).split(':')[0].toLowerCase()})` : '';
  return `Round ${basis.round}: ${present} · ${label(VERDICTS, basis.verdict)}${certainty}`;
}

function summaryTable(rows) {
  return h('table', { class: 'pj-summary-table' },
    h('caption', { class: 'visually-hidden' }, 'What we agreed'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Kind of variability'), h('th', { scope: 'col' }, 'Variability allowed'),
      h('th', { scope: 'col' }, 'Strategy'), h('th', { scope: 'col' }, 'Status'))),
    h('tbody', {}, rows.map(({ title, record }) => h('tr', { class: record ? `is-${record.status}` : 'is-missing' },
      // the column's heading already says "Kind of variability"
      h('th', { scope: 'row' }, title.replace(/ variability$/i, '')),
      record ? [
        h('td', {}, label(DIRECTIONS, record.direction)),
        h('td', {}, strategyName(record.strategy)),
        h('td', {}, h('span', { class: ['pj-status', `pj-status--${record.status}`] }, label(RECORD_STATUSES, record.status))),
      ] : h('td', { colspan: 3, class: 'pj-missing' }, 'Not recorded')))));
}

/** The closing screen: the decisions as the hero, the heat map of impact against agreement beside. */
export function summaryScreen(rows) {
  return [
    h('div', { class: 'pj-summary-decisions' }, summaryTable(rows)),
    h('div', { class: 'pj-heatmap' }, heatMap(rows, { labelScale: HEAT_LABEL_PX / 15 }), heatLegend()),
  ];
}

/** After End workshop: thanks, and what the room agreed (only the decisions recorded). */
export function endedScreen(rows) {
  const recorded = rows.filter((row) => row.record);
  return [
    h('h2', { class: 'pj-ended-title' }, 'Thank you for taking part'),
    recorded.length ? summaryTable(recorded) : h('p', { class: 'pj-lead' }, 'The workshop has ended.'),
  ];
}
