// SVG bar charts of a tally. Scales are drawn as columns, so the shape of the spread (the thing
// consensus measures) is visible at a glance; choices as rows, so long option names stay readable.
// Colours come from CSS classes, so the same chart fits the phone, the console and the projector.
//
// Bar lengths are CSS properties (`height` of a column, `width` of a row), so a stylesheet
// transition animates them: `liveChart` keeps one chart per key and moves its bars to new figures
// in place, and a chart that appears for the first time grows from zero. Under
// prefers-reduced-motion the stylesheet turns the transitions off and the bars simply are.

import { isCentred, percent, signed } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 440;

export function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The bars of a question's tally: [{key, tick, label, count}], in the question's order. */
export function barsOf(question, figures) {
  const counts = (figures && figures.counts) || {};
  if (question.kind === 'scale') {
    const bars = [];
    for (let value = question.min; value <= question.max; value += 1) {
      bars.push({
        key: String(value),
        tick: signed(value, isCentred(question)),
        label: (question.labels || {})[String(value)] || '',
        count: counts[String(value)] || 0,
      });
    }
    return bars;
  }
  return (question.options || []).map((option) => ({
    key: option.id, tick: '', label: option.label, count: counts[option.id] || 0,
  }));
}

/** Break a label into at most `lines` lines of about `width` characters. */
function wrap(text, width, lines = 2) {
  const words = String(text).split(/\s+/).filter(Boolean);
  const out = [];
  let line = '';
  for (const word of words) {
    if (!line) line = word;
    else if ((`${line} ${word}`).length <= width) line = `${line} ${word}`;
    else {
      out.push(line);
      line = word;
    }
  }
  if (line) out.push(line);
  if (out.length > lines) {
    out.length = lines;
    out[lines - 1] = `${out[lines - 1].slice(0, Math.max(1, width - 1))}…`;
  }
  return out;
}

function describe(bars, total) {
  return bars
    .map((bar) => `${[bar.tick, bar.label].filter(Boolean).join(' ')}: ${bar.count}`
      + (total ? ` (${percent(bar.count / total)})` : ''))
    .join('; ');
}

function summaryOf(bars, title) {
  const total = bars.reduce((sum, bar) => sum + bar.count, 0);
  return { total, text: `${title ? `${title}. ` : ''}${total} ${total === 1 ? 'vote' : 'votes'}. ${describe(bars, total)}` };
}

const charts = new Map(); // key -> {shape, chart, due}

/**
 * The chart kept under `key` (e.g. "projector:arrival.direction"), moved to these figures. The same
 * <svg> comes back each time, so callers may re-insert it anywhere; its bars glide from the figures
 * they showed to the new ones. A chart seen for the first time grows from zero when `animate`.
 */
export function liveChart(key, question, figures, { mine = null, title = '', animate = true } = {}) {
  const bars = barsOf(question, figures);
  const shape = JSON.stringify([question.id, question.kind, bars.map((bar) => bar.key)]);
  let entry = charts.get(key);
  if (!entry || entry.shape !== shape) {
    entry = { shape, chart: build(question, bars, title), due: 0 };
    charts.set(key, entry);
    if (!animate) {
      apply(entry.chart, question, figures, { mine, title });
      return entry.chart.root;
    }
    // Everything but the bar lengths now (labels, counts, the accessible summary); lengths start at 0.
    apply(entry.chart, question, figures, { mine, title, lengths: false });
  } else {
    apply(entry.chart, question, figures, { mine, title, lengths: false });
  }
  // Lengths change once the caller has put the chart in the page (in a microtask, so a background
  // tab, which gets no animation frames, is never left behind), after its current style is settled:
  // so the change is a transition rather than a jump.
  const chart = entry.chart;
  entry.due += 1;
  const due = entry.due;
  queueMicrotask(() => {
    if (entry.due !== due) return; // a later update supersedes this one
    if (chart.root.isConnected) chart.root.getBoundingClientRect();
    apply(chart, question, figures, { mine, title, labels: false });
  });
  return chart.root;
}

/** Forget kept charts whose key starts with `prefix` and is not in `keep`. */
export function forgetCharts(prefix, keep = new Set()) {
  for (const key of [...charts.keys()]) {
    if (key.startsWith(prefix) && !keep.has(key)) charts.delete(key);
  }
}

// --- drawing -------------------------------------------------------------------------------------

function build(question, bars, title) {
  const chart = question.kind === 'scale' ? buildColumns(bars) : buildRows(bars);
  const root = chart.root;
  root.setAttribute('role', 'img');
  chart.title = svg('title');
  root.prepend(chart.title);
  chart.kind = question.kind;
  return chart;
}

const TOP = 34;
const PLOT = 170;

function buildColumns(bars) {
  const pitch = WIDTH / bars.length;
  const barWidth = Math.min(72, pitch * 0.72);
  const labelLines = bars.some((bar) => bar.label) ? 2 : 0;
  const height = TOP + PLOT + 34 + labelLines * 22 + 6;
  const chars = Math.max(4, Math.floor(pitch / 10.5));
  const baseline = TOP + PLOT;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart chart--columns' });
  root.append(svg('line', { x1: 0, x2: WIDTH, y1: baseline + 0.5, y2: baseline + 0.5, class: 'chart-axis' }));
  const items = bars.map((bar, index) => {
    const centre = pitch * index + pitch / 2;
    const group = svg('g', { class: 'chart-item' });
    // Columns grow upwards from the axis: in this flipped frame a rect's height is its length.
    const frame = svg('g', { transform: `translate(0 ${baseline}) scale(1 -1)` });
    const rect = svg('rect', { x: centre - barWidth / 2, y: 0, width: barWidth, height: 0, rx: 4, class: 'chart-bar' });
    frame.append(rect);
    const count = svg('text', { x: centre, y: baseline - 8, 'text-anchor': 'middle', class: 'chart-count' }, '0');
    group.append(frame, count, svg('text', {
      x: centre, y: baseline + 26, 'text-anchor': 'middle', class: 'chart-tick',
    }, bar.tick));
    wrap(bar.label, chars).forEach((line, lineIndex) => {
      group.append(svg('text', {
        x: centre, y: baseline + 50 + lineIndex * 21, 'text-anchor': 'middle', class: 'chart-label',
      }, line));
    });
    root.append(group);
    return { key: bar.key, group, rect, count };
  });
  return { root, items, columns: true };
}

function buildRows(bars) {
  const rowHeight = 64;
  const height = bars.length * rowHeight + 4;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart chart--rows' });
  const items = bars.map((bar, index) => {
    const y = index * rowHeight;
    const group = svg('g', { class: 'chart-item' });
    const count = svg('text', { x: WIDTH, y: y + 22, 'text-anchor': 'end', class: 'chart-count' }, '0');
    const rect = svg('rect', { x: 0, y: y + 32, width: 0, height: 22, rx: 4, class: 'chart-bar' });
    group.append(
      svg('text', { x: 0, y: y + 22, class: 'chart-label' }, wrap(bar.label, 30, 1)[0] || ''),
      count,
      svg('rect', { x: 0, y: y + 32, width: WIDTH, height: 22, rx: 4, class: 'chart-track' }),
      rect,
    );
    root.append(group);
    return { key: bar.key, group, rect, count };
  });
  return { root, items, columns: false };
}

/**
 * Show `figures` on a built chart. `labels`: counts, highlight and summary; `lengths`: the bars.
 * Lengths are inline CSS properties (set through the CSSOM, which the page's CSP allows).
 */
function apply(chart, question, figures, { mine = null, title = '', labels = true, lengths = true } = {}) {
  const bars = barsOf(question, figures);
  const { total, text } = summaryOf(bars, title);
  // Every bar is a share of its round's votes on a 0-100% axis, so two rounds side by side (or a
  // strategy led by 50% and one led by 83%) are drawn on the same scale.
  const max = Math.max(1, total);
  if (labels) {
    chart.root.setAttribute('aria-label', text);
    chart.title.textContent = text;
  }
  bars.forEach((bar, index) => {
    const item = chart.items[index];
    if (!item) return;
    if (labels) {
      item.group.classList.toggle('chart-item--mine', mine !== null && bar.key === String(mine));
      const share = !chart.columns && total ? ` · ${percent(bar.count / total)}` : '';
      const countText = `${bar.count}${share}`;
      if (item.count.textContent !== countText) item.count.textContent = countText;
    }
    if (!lengths) return;
    if (chart.columns) {
      const length = bar.count ? Math.max(3, (bar.count / max) * PLOT) : 0;
      item.rect.style.height = `${length}px`;
      item.count.style.transform = `translateY(${-length}px)`;
    } else {
      const length = bar.count ? Math.max(4, (bar.count / max) * WIDTH) : 0;
      item.rect.style.width = `${length}px`;
    }
  });
  chart.root.dataset.total = String(total);
}
