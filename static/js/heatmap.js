// The summary heat map: each kind of variability placed by how much it hurts today (mean impact,
// 1..5) against how strongly the room agrees on its direction (the agreement its verdict rests on, 0..1).
// The top-left cells (hurts a lot, little agreement) are the hottest: where the SLA is most at risk.
// Colours come from CSS classes (`heat-0` .. `heat-4`), never inline styles, to suit the CSP.

import { svg } from './chart.js';
import { h } from './dom.js';
import { HEAT_BANDS } from './vocabulary.js';


const SIZE = { width: 520, height: 360, left: 70, right: 20, top: 20, bottom: 56 };
// The same bands on every surface, the report's heat map included (workshop/vocabulary.py).
const COLUMNS = HEAT_BANDS;  // agreement: weak ... strong
const ROWS = HEAT_BANDS;     // impact: mild ... hurts

function place(row) {
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  return {
    x: SIZE.left + row.agreement * plotWidth,
    y: SIZE.top + (1 - (row.impact - 1) / 4) * plotHeight,
  };
}

function cells() {
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  const group = svg('g', { class: 'heat-cells' });
  for (let row = 0; row < ROWS; row += 1) {
    for (let column = 0; column < COLUMNS; column += 1) {
      // Heat grows with impact (rows from the bottom) and with the lack of agreement (columns from the right).
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
      'Agreement on direction'),
    svg('text', { class: 'heat-axis', x: SIZE.left - 8, y: SIZE.top + 12, 'text-anchor': 'end' }, 'hurts'),
    svg('text', { class: 'heat-axis', x: SIZE.left - 8, y: bottom, 'text-anchor': 'end' }, 'mild'),
    svg('text', { class: 'heat-axis heat-axis--title', x: 16, y: (SIZE.top + bottom) / 2, 'text-anchor': 'middle',
      transform: `rotate(-90 16 ${(SIZE.top + bottom) / 2})` }, 'Impact today'),
  ];
}

const LABEL_BASE = { height: 18, charWidth: 8.6, gap: 12 }; // for 15px labels

function overlap(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/**
 * Where each dot's label goes: beside its dot, on the side with room, moved down or up a line at a
 * time until it covers no other label and no dot. Kinds voted alike share a spot; their labels stack.
 */
function labelBoxes(placed, scale) {
  const LABEL = { height: LABEL_BASE.height * scale, charWidth: LABEL_BASE.charWidth * scale, gap: LABEL_BASE.gap };
  const spots = placed.map((row) => place(row));
  const dots = spots.map(({ x, y }) => ({ x0: x - 10, x1: x + 10, y0: y - 10, y1: y + 10 }));
  const taken = [...dots];
  const found = new Map();
  const order = spots.map((spot, index) => ({ ...spot, index })).sort((a, b) => a.y - b.y || a.x - b.x);
  const inside = (box) => box.x0 >= 0 && box.x1 <= SIZE.width && box.y0 >= SIZE.top - 4 && box.y1 <= SIZE.height - SIZE.bottom + 4;
  for (const { x, y, index } of order) {
    const text = placed[index].title.replace(/ variability$/i, '');
    const width = text.length * LABEL.charWidth;
    const right = x + LABEL.gap + width <= SIZE.width - SIZE.right;
    const sides = right ? [1, -1] : [-1, 1];
    const tries = [];
    for (let step = 0; step <= 8; step += 1) {
      for (const shift of step ? [step, -step] : [0]) for (const side of sides) tries.push({ side, baseline: y + 5 + shift * LABEL.height });
    }
    const boxOf = ({ side, baseline }) => {
      const x0 = side > 0 ? x + LABEL.gap : x - LABEL.gap - width;
      return { x0, x1: x0 + width, y0: baseline - LABEL.height + 4, y1: baseline + 2 };
    };
    const free = (box) => inside(box) && !taken.some((other) => other !== dots[index] && overlap(other, box));
    const choice = tries.find((candidate) => free(boxOf(candidate))) || tries[0];
    taken.push(boxOf(choice));
    found.set(index, { text, x: choice.side > 0 ? x + LABEL.gap : x - LABEL.gap, y: choice.baseline,
      anchor: choice.side > 0 ? 'start' : 'end' });
  }
  return found;
}

/** An SVG heat map of the summary rows [{kind, title, impact, agreement, reached}]; `labelScale`:
 * the kinds' labels set that much larger than 15px by the page (the projector's are). */
export function heatMap(rows, { labelScale = 1 } = {}) {
  const placed = rows.filter((row) => row.impact != null && row.agreement != null);
  const chart = svg('svg', {
    class: 'heatmap', viewBox: `0 0 ${SIZE.width} ${SIZE.height}`, role: 'img',
    'aria-label': `Heat map of impact against agreement: ${placed.map((row) => `${row.title}, impact ${row.impact.toFixed(1)}, agreement ${Math.round(row.agreement * 100)}%`).join('; ') || 'no votes yet'}`,
  });
  chart.append(cells(), ...axes());
  const labels = labelBoxes(placed, labelScale);
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
