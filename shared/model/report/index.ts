/** Evaluation harness, its statistics, and the Fig. 5 report (table and SVG panels). */
export * from './evaluate.js';
export * from './stats.js';
export * from './table.js';
export * from './figures.js';
