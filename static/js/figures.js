// The headline figures under a chart: the same wording on the phone, the console and the projector.

import { h } from './dom.js';
import { decimal, percent, valueLabel } from './format.js';
import { CERTAINTIES, VERDICTS, label } from './vocabulary.js';

function range(pair) {
  return pair ? `${percent(pair[0])}–${percent(pair[1])}` : null;
}

/** The figures under a chart as rows [term, detail, class?], in the order shown; `full` adds median,
 * IQR and the interval (for the facilitator). No DOM: `figuresList` draws them. */
export function figureRows(question, figures, { full = false } = {}) {
  const rows = [];
  const add = (term, detail, className) => rows.push(className ? [term, detail, className] : [term, detail]);
  if (!figures) return rows;
  add('Votes', figures.present != null ? `${figures.n ?? 0} of ${figures.present} present` : String(figures.n ?? 0));
  if (figures.abstain) add('Abstained', String(figures.abstain));
  if (question.kind === 'scale') {
    add('Mean', decimal(figures.mean));
    if (full) {
      add('Median', decimal(figures.median, 1));
      add('IQR', decimal(figures.iqr, 1));
    }
    add('Consensus', percent(figures.consensus));
    add('Agreement', percent(figures.agreement));
  } else if (question.kind === 'choice') {
    add('Leading', figures.leader ? valueLabel(question, figures.leader) : (figures.n ? 'Tied' : '–'));
    add('Leader’s share', percent(figures.leader_share ?? figures.agreement));
    if (figures.side_counts) add('Family', `${figures.side || 'tied'} ${percent(figures.agreement)}`);
  }
  if (full && figures.interval && figures.interval.agreement) {
    add('95% interval', `agreement ${range(figures.interval.agreement)}`);
  }
  if (figures.n && figures.verdict) {
    add('Verdict', label(VERDICTS, figures.verdict), figures.reached ? 'figure--yes' : 'figure--no');
    if (figures.certainty) add('Certainty', label(CERTAINTIES, figures.certainty));
  } else if (figures.n) {
    add('Consensus reached', figures.reached ? 'Yes' : 'Not yet', figures.reached ? 'figure--yes' : 'figure--no');
  }
  return rows;
}

// A value with a word this long ("accommodation") takes two tiles' width where two fit, so the word
// is never split over two lines; the stylesheet decides when two fit (a container query).
const LONG_WORD = /[^\s\-–]{10,}/;

/** A <dl> of figures (see `figureRows`). */
export function figuresList(question, figures, options = {}) {
  return h('dl', { class: 'figures' }, figureRows(question, figures, options).map(([term, detail, className]) =>
    h('div', { class: ['figure', className, LONG_WORD.test(detail) ? 'figure--wide' : null] },
      h('dt', {}, term), h('dd', {}, detail))));
}

/** How the groups voted: "IT: mean −1.67, consensus 84% · Business: … · gap between means 3.17". */
export function groupsLine(question, figures) {
  const groups = Object.entries((figures && figures.by_group) || {}).filter(([, group]) => group.n);
  if (groups.length < 2) return null;
  const parts = groups.map(([name, group]) => (question.kind === 'scale'
    ? `${name}: mean ${decimal(group.mean)}, consensus ${percent(group.consensus)}`
    : `${name}: ${group.leader ? valueLabel(question, group.leader) : 'tied'} ${percent(group.agreement)}`));
  if (figures.group_gap != null) parts.push(`gap between means ${decimal(figures.group_gap)}`);
  return h('p', { class: 'groups-line' }, parts.join(' · '));
}
