// The console's agenda: the list of steps with how far each has got, the previous and next buttons,
// and the current step's heading, content and (on the summary step) the heat map.

import { h, renderIfChanged } from './dom.js';
import { heatMap } from './heatmap.js';
import { slideText, stepContent, strategiesGrid } from './step-view.js';

const $ = (id) => document.getElementById(id);

/** A mark for the agenda: how far a step's questions have got, and whether its record exists. */
function stepProgress(snapshot, step) {
  const marks = [];
  const open = step.questions.filter((question) => snapshot.questions[question.id]?.status === 'open').length;
  if (open) marks.push(`${open} open`);
  if (step.category && snapshot.consensus[step.category]) marks.push('recorded');
  return marks.join(' · ');
}

function renderSteps(snapshot, command) {
  const list = $('steps');
  renderIfChanged(list, snapshot.steps.map((step) => [step.index, step.title, step.kind]), () =>
    snapshot.steps.map((step) => h('li', {},
      h('button', {
        type: 'button', class: 'step-button', dataset: { step: String(step.index) },
        on: { click: (event) => command({ command: 'goto', step: step.index }, event.currentTarget) },
      },
      h('span', { class: 'step-number' }, String(step.index + 1)),
      h('span', { class: 'step-name' }, step.title),
      h('span', { class: 'step-progress' })))));
  for (const button of list.querySelectorAll('.step-button')) {
    const index = Number(button.dataset.step);
    const current = index === snapshot.current_step;
    button.classList.toggle('is-current', current);
    if (current) button.setAttribute('aria-current', 'step');
    else button.removeAttribute('aria-current');
    button.querySelector('.step-progress').textContent = stepProgress(snapshot, snapshot.steps[index]);
  }
  $('prev').disabled = snapshot.current_step <= 0;
  $('next').disabled = snapshot.current_step >= snapshot.steps.length - 1;
}

function renderStep(snapshot) {
  const step = snapshot.steps[snapshot.current_step];
  $('step-count').textContent = `Step ${step.index + 1} of ${snapshot.steps.length} · ${step.kind}`;
  $('step-title').textContent = step.title;
  renderIfChanged($('step-content'), step, () => {
    const content = stepContent(step);
    const slide = slideText(step);
    return [
      // A summary step projects the room's decisions, not its slide text: say so rather than promise it.
      slide ? h('p', { class: 'step-slide' }, h('span', { class: 'step-slide-label' },
        step.kind === 'summary' ? 'Slide text (the projector shows the decisions instead): ' : 'On the projector: '),
      slide) : null,
      // The long texts are the facilitator's to say: the projector shows only the slide's few words.
      content.length ? h('details', { class: 'step-details', open: true },
        h('summary', {}, 'Speaker notes'), content) : null,
      step.strategies.length ? h('details', { class: 'strategies-details' },
        h('summary', {}, 'The four strategies and their tactics'), strategiesGrid(step.strategies)) : null,
    ];
  });
}

function renderSummaryMap(snapshot) {
  const step = snapshot.steps[snapshot.current_step];
  const section = $('summary-map');
  const rows = step.kind === 'summary' ? snapshot.summary || [] : null;
  section.hidden = !rows;
  renderIfChanged(section, rows, () => (rows ? [
    h('h3', {}, 'Impact against agreement'),
    heatMap(rows),
    h('p', { class: 'hint' }, 'Top left is hottest: the variability hurts and the room does not agree on it yet.'),
  ] : []));
}

/** The agenda panel and step heading; `go(delta)` moves to the previous (-1) or next (+1) step. */
export function createAgenda({ command }) {
  let snapshot = null;

  function go(delta) {
    if (!snapshot) return;
    const target = snapshot.current_step + delta;
    if (target < 0 || target >= snapshot.steps.length) return;
    command({ command: 'goto', step: target }, delta < 0 ? $('prev') : $('next'));
  }

  $('prev').addEventListener('click', () => go(-1));
  $('next').addEventListener('click', () => go(1));

  return {
    go,
    render(next) {
      snapshot = next;
      renderSteps(snapshot, command);
      renderStep(snapshot);
      renderSummaryMap(snapshot);
    },
  };
}
