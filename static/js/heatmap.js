// The summary heat map: each kind of variability placed by how much it hurts today (mean impact,
// 1..5) against how strongly the room agrees on its direction (Tastle-Wierman consensus, 0..1).
// The top-left cells (hurts a lot, little agreement) are the hottest: where the SLA is most at risk.
// Colours come from CSS classes (`heat-0` .. `heat-4`), never inline styles, to suit the CSP.

import { svg } from './chart.js';


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

/** An SVG heat map of the summary rows [{kind, title, impact, consensus, reached}]. */
export function heatMap(rows) {
  const placed = rows.filter((row) => row.impact != null && row.consensus != null);
  const chart = svg('svg', {
    class: 'heatmap', viewBox: `0 0 ${SIZE.width} ${SIZE.height}`, role: 'img',
    'aria-label': `Heat map of impact against consensus: ${placed.map((row) => `${row.title}, impact ${row.impact.toFixed(1)}, consensus ${Math.round(row.consensus * 100)}%`).join('; ') || 'no votes yet'}`,
  });
  chart.append(cells(), ...axes());
  for (const row of placed) {
    const { x, y } = place(row);
    const dot = svg('g', { class: row.reached ? 'heat-kind heat-kind--reached' : 'heat-kind' });
    dot.append(svg('circle', { cx: x, cy: y, r: 8 }),
      svg('text', { x: x + (x > SIZE.width - 160 ? -12 : 12), y: y + 5, 'text-anchor': x > SIZE.width - 160 ? 'end' : 'start' },
        row.title.replace(/ variability$/i, '')));
    chart.append(dot);
  }
  return chart;
}
