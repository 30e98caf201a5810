// The summary heat map: each kind of variability placed by how much it hurts today (mean impact,
// 1..5) against how strongly the room agrees on its direction (Tastle-Wierman consensus, 0..1).
// The top-left cells (hurts a lot, little agreement) are the hottest: where the SLA is most at risk.
// Colours come from CSS classes (`heat-0` .. `heat-4`), never inline styles, to suit the CSP.

import { svg } from './chart.js';
import { h } from './dom.js';


const SIZE = { width: 520, height: 360, left: 70, right: 20, top: 20, bottom: 56 };
const COLUMNS = 3;  // consensus: weak, moderate, strong
const ROWS = 3;     // impact: low, medium, high

function place(row) {
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  return {
    x: SIZE.left + row.consensus * plotWidth,
    y: SIZE.top + (1 - (row.impact - 1) / 4) * plotHeight,
  };
}

function cells() {
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  const group = svg('g', { class: 'heat-cells' });
  for (let row = 0; row < ROWS; row += 1) {
    for (let column = 0; column < COLUMNS; column += 1) {
      // Heat grows with impact (rows from the bottom) and with the lack of consensus (columns from the right).
      const heat = (ROWS - 1 - row) + (COLUMNS - 1 - column);
      group.append(svg('rect', {
        class: `heat-cell heat-${heat}`,
        x: SIZE.left + (column * plotWidth) / COLUMNS, y: SIZE.top + (row * plotHeight) / ROWS,
        width: plotWidth / COLUMNS, height: plotHeight / ROWS,
      }));
    }
  }
  return group;
}

function axes() {
  const bottom = SIZE.height - SIZE.bottom;
  return [
    svg('text', { class: 'heat-axis', x: SIZE.left, y: bottom + 22 }, 'weak'),
    svg('text', { class: 'heat-axis', x: SIZE.width - SIZE.right, y: bottom + 22, 'text-anchor': 'end' }, 'strong'),
    svg('text', { class: 'heat-axis heat-axis--title', x: (SIZE.left + SIZE.width - SIZE.right) / 2, y: bottom + 44, 'text-anchor': 'middle' },
      'Consensus on direction'),
    svg('text', { class: 'heat-axis', x: SIZE.left - 8, y: SIZE.top + 12, 'text-anchor': 'end' }, 'hurts'),
    svg('text', { class: 'heat-axis', x: SIZE.left - 8, y: bottom, 'text-anchor': 'end' }, 'mild'),
    svg('text', { class: 'heat-axis heat-axis--title', x: 16, y: (SIZE.top + bottom) / 2, 'text-anchor': 'middle',
      transform: `rotate(-90 16 ${(SIZE.top + bottom) / 2})` }, 'Impact today'),
  ];
}

const LABEL = { height: 18, charWidth: 8.6, gap: 12 };

function overlap(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** Where each dot's label goes: beside its dot, moved down (or up) until it overlaps no other label. */
function labelBoxes(placed) {
  const top = SIZE.top + LABEL.height;
  const bottom = SIZE.height - SIZE.bottom;
  const boxes = [];
  const order = placed.map((row, index) => ({ row, index, ...place(row) })).sort((a, b) => a.y - b.y);
  const found = new Map();
  for (const { row, index, x, y } of order) {
    const text = row.title.replace(/ variability$/i, '');
    const width = text.length * LABEL.charWidth;
    const left = x + LABEL.gap + width > SIZE.width - SIZE.right;
    const x0 = left ? x - LABEL.gap - width : x + LABEL.gap;
    const box = (baseline) => ({ x0, x1: x0 + width, y0: baseline - LABEL.height + 4, y1: baseline + 4 });
    let baseline = y + 5;
    for (let tries = 0; tries < 12 && boxes.some((other) => overlap(other, box(baseline))); tries += 1) {
      baseline += LABEL.height;
    }
    if (baseline > bottom || boxes.some((other) => overlap(other, box(baseline)))) {
      baseline = y + 5;
      while (baseline > top && boxes.some((other) => overlap(other, box(baseline)))) baseline -= LABEL.height;
    }
    boxes.push(box(baseline));
    found.set(index, { text, x: left ? x - LABEL.gap : x + LABEL.gap, y: baseline, anchor: left ? 'end' : 'start' });
  }
  return found;
}

/** An SVG heat map of the summary rows [{kind, title, impact, consensus, reached}]. */
export function heatMap(rows) {
  const placed = rows.filter((row) => row.impact != null && row.consensus != null);
  const chart = svg('svg', {
    class: 'heatmap', viewBox: `0 0 ${SIZE.width} ${SIZE.height}`, role: 'img',
    'aria-label': `Heat map of impact against consensus: ${placed.map((row) => `${row.title}, impact ${row.impact.toFixed(1)}, consensus ${Math.round(row.consensus * 100)}%`).join('; ') || 'no votes yet'}`,
  });
  chart.append(cells(), ...axes());
  const labels = labelBoxes(placed);
  placed.forEach((row, index) => {
    const { x, y } = place(row);
    const spot = labels.get(index);
    const dot = svg('g', { class: row.reached ? 'heat-kind heat-kind--reached' : 'heat-kind' });
    // A label moved off its dot keeps a thin line to it, so it is clear which dot it names.
    if (Math.abs(spot.y - 5 - y) > 1) dot.append(svg('line', { class: 'heat-leader', x1: x, y1: y, x2: spot.x, y2: spot.y - 5 }));
    dot.append(svg('circle', { cx: x, cy: y, r: 8 }),
      svg('text', { x: spot.x, y: spot.y, 'text-anchor': spot.anchor }, spot.text));
    chart.append(dot);
  });
  return chart;
}

function swatch(className, shape) {
  const box = svg('svg', { class: 'heat-swatch', viewBox: '0 0 20 20', 'aria-hidden': 'true' });
  box.append(shape === 'dot' ? svg('circle', { cx: 10, cy: 10, r: 7 }) : svg('rect', { x: 1, y: 1, width: 18, height: 18, class: className }));
  return box;
}

/** What the heat map's colours and dots mean. */
export function heatLegend() {
  return h('ul', { class: 'heat-legend' },
    h('li', {}, swatch('heat-4', 'cell'), 'Hurts a lot, little agreement: most at risk'),
    h('li', {}, swatch('heat-0', 'cell'), 'Mild, strong agreement: settled'),
    h('li', {}, h('span', { class: 'heat-key heat-key--reached' }, swatch('', 'dot')), 'Clear agreement on direction'),
    h('li', {}, h('span', { class: 'heat-key' }, swatch('', 'dot')), 'No clear agreement yet'));
}
