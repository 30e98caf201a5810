// SVG bar charts of a tally. Scales are drawn as columns, so the shape of the spread (the thing
// consensus measures) is visible at a glance; choices as rows, so long option names stay readable.
// Colours come from CSS classes, so the same chart fits the phone, the console and the projector.

import { isCentred, percent, signed } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
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

/**
 * A chart for one question's figures. `mine` is the key of the viewer's own vote (highlighted).
 * Returns an <svg> that scales to its container's width.
 */
export function tallyChart(question, figures, { mine = null, title = '' } = {}) {
  const bars = barsOf(question, figures);
  const total = bars.reduce((sum, bar) => sum + bar.count, 0);
  const chart = question.kind === 'scale' ? columns(bars, total, mine) : rows(bars, total, mine);
  chart.setAttribute('role', 'img');
  const summary = `${title ? `${title}. ` : ''}${total} ${total === 1 ? 'vote' : 'votes'}. ${describe(bars, total)}`;
  chart.setAttribute('aria-label', summary);
  chart.prepend(svg('title', {}, summary));
  return chart;
}

function columns(bars, total, mine) {
  const width = 440;
  const pitch = width / bars.length;
  const barWidth = Math.min(72, pitch * 0.72);
  const top = 34;
  const plot = 170;
  const labelLines = bars.some((bar) => bar.label) ? 2 : 0;
  const height = top + plot + 34 + labelLines * 22 + 6;
  const max = Math.max(1, ...bars.map((bar) => bar.count));
  const chars = Math.max(4, Math.floor(pitch / 10.5));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart chart--columns' });
  root.append(svg('line', { x1: 0, x2: width, y1: top + plot + 0.5, y2: top + plot + 0.5, class: 'chart-axis' }));
  bars.forEach((bar, index) => {
    const centre = pitch * index + pitch / 2;
    const barHeight = bar.count ? Math.max(3, (bar.count / max) * plot) : 0;
    const group = svg('g', { class: bar.key === mine ? 'chart-item chart-item--mine' : 'chart-item' });
    group.append(svg('rect', {
      x: centre - barWidth / 2, y: top + plot - barHeight, width: barWidth, height: barHeight, rx: 4,
      class: 'chart-bar',
    }));
    group.append(svg('text', {
      x: centre, y: top + plot - barHeight - 8, 'text-anchor': 'middle', class: 'chart-count',
    }, String(bar.count)));
    group.append(svg('text', {
      x: centre, y: top + plot + 26, 'text-anchor': 'middle', class: 'chart-tick',
    }, bar.tick));
    wrap(bar.label, chars).forEach((line, lineIndex) => {
      group.append(svg('text', {
        x: centre, y: top + plot + 50 + lineIndex * 21, 'text-anchor': 'middle', class: 'chart-label',
      }, line));
    });
    root.append(group);
  });
  return root;
}

function rows(bars, total, mine) {
  const width = 440;
  const rowHeight = 64;
  const height = bars.length * rowHeight + 4;
  const max = Math.max(1, ...bars.map((bar) => bar.count));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart chart--rows' });
  bars.forEach((bar, index) => {
    const y = index * rowHeight;
    const group = svg('g', { class: bar.key === mine ? 'chart-item chart-item--mine' : 'chart-item' });
    const share = total ? ` · ${percent(bar.count / total)}` : '';
    group.append(svg('text', { x: 0, y: y + 22, class: 'chart-label' }, wrap(bar.label, 30, 1)[0] || ''));
    group.append(svg('text', { x: width, y: y + 22, 'text-anchor': 'end', class: 'chart-count' },
      `${bar.count}${share}`));
    group.append(svg('rect', { x: 0, y: y + 32, width, height: 22, rx: 4, class: 'chart-track' }));
    if (bar.count) {
      group.append(svg('rect', {
        x: 0, y: y + 32, width: Math.max(4, (bar.count / max) * width), height: 22, rx: 4, class: 'chart-bar',
      }));
    }
    root.append(group);
  });
  return root;
}
