// Small shared renderers: state colours (the replay report's palette), times, numbers.
import { html } from './html.js';

export const STATE_COLOURS = {
  requested: '#c6dbef',
  interpreting: '#9ecae1',
  planning: '#6baed6',
  deploying: '#3182bd',
  active: '#31a354',
  adapting: '#fd8d3c',
  terminating: '#bdbdbd',
  released: '#969696',
  rejected: '#de2d26',
  failed: '#a50f15',
};
export const STATES = Object.keys(STATE_COLOURS);
const DARK = new Set(['deploying', 'active', 'adapting', 'released', 'rejected', 'failed']);

export function StateBadge({ state }) {
  const colour = STATE_COLOURS[state] ?? '#ddd';
  return html`<span
    class="badge"
    data-state=${state}
    style=${`background:${colour};color:${DARK.has(state) ? '#fff' : '#08306b'}`}
    >${state}</span
  >`;
}

export function time(ms) {
  return ms == null ? '–' : new Date(ms).toLocaleTimeString([], { hour12: false });
}

export function duration(ms) {
  if (ms == null) return 'now';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function num(value, digits = 1) {
  return value == null ? '–' : Number(value).toFixed(digits);
}
