// The dashboard: the live slice table (pushed by the event stream), a slice's
// detail on click, and the finished replays' reports with their charts.
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, loadToken, openEvents, saveToken } from './api.js';
import { MetricChart, PreferenceBar, PreferenceLegend, TimelineChart } from './charts.js';
import { SliceDetail } from './detail.js';
import { STATES, StateBadge, num, time } from './format.js';
import { html } from './html.js';

/** Pages of the list read on (re)connect; more on demand. */
const FIRST_PAGES = 5;

function TokenForm({ onToken, message }) {
  const [value, setValue] = useState('');
  return html`<form
    class="token"
    onSubmit=${(e) => {
      e.preventDefault();
      if (value.trim()) onToken(value.trim());
    }}
  >
    <h1>SliceMesh</h1>
    <p>
      ${message ?? 'The dashboard needs the api token (the file mesh.json names as apiTokenFile).'}
    </p>
    <input
      type="password"
      placeholder="token"
      value=${value}
      onInput=${(e) => setValue(e.target.value)}
    />
    <button type="submit">Open</button>
  </form>`;
}

/** Newest change wins: a stream event and a list page may carry the same slice in either order. */
function merge(rows, row) {
  const known = rows.get(row.sliceId);
  if (known && (known.updatedAt ?? 0) > (row.updatedAt ?? 0)) return rows;
  const next = new Map(rows);
  next.set(row.sliceId, row);
  return next;
}

function SliceTable({ rows, selected, onSelect, filter }) {
  const list = [...rows.values()]
    .filter((r) => !filter || r.state === filter)
    .sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0) || a.sliceId.localeCompare(b.sliceId));
  if (list.length === 0)
    return html`<p class="muted">
      No slices yet. Request one: <code>slicemesh request --text "…"</code>
    </p>`;
  return html`<table class="slices" data-testid="slices">
    <thead>
      <tr>
        <th>slice</th>
        <th>tenant</th>
        <th>state</th>
        <th>service</th>
        <th>site</th>
        <th>served</th>
        <th>updated</th>
        <th>request</th>
      </tr>
    </thead>
    <tbody>
      ${list.map(
        (r) =>
          html`<tr
            key=${r.sliceId}
            data-slice=${r.sliceId}
            class=${r.sliceId === selected ? 'selected' : ''}
            onClick=${() => onSelect(r.sliceId)}
          >
            <td><code>${r.sliceId}</code></td>
            <td>${r.tenant ?? 'default'}</td>
            <td><${StateBadge} state=${r.state} /></td>
            <td>${r.serviceType ?? '–'}</td>
            <td>${r.site ?? '–'}</td>
            <td>
              ${r.served == null ? '–' : r.served ? html`<span class="ok">yes</span>` : html`<span class="bad">no</span>`}
            </td>
            <td>${time(r.updatedAt)}</td>
            <td class="text">${r.text}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function ReportView({ report }) {
  const s = report.summary;
  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  return html`<div class="report" data-testid="report">
    <div class="cards">
      <div><b>${s.requests}</b>requests</div>
      <div><b>${s.served}</b>served</div>
      <div><b>${pct(s.availability)}</b>availability (${s.judgedAgainst})</div>
      <div><b>${num(s.avgLatencyMs)}</b>avg latency ms</div>
      <div><b>${num(s.avgCost, 2)}</b>avg cost</div>
      <div><b>${num(s.avgReliabilityCost, 2)}</b>avg reliability cost</div>
    </div>
    ${report.warning ? html`<p class="bad">${report.warning}</p>` : null}
    <h3>Lifecycle per slice</h3>
    <${TimelineChart}
      slices=${report.slices}
      startedAt=${report.context.startedAt}
      endedAt=${report.context.endedAt}
    />
    <h3>QoE figures per slice</h3>
    <div class="metrics">
      <${MetricChart} slices=${report.slices} metric="latencyMs" title="latency (ms)" />
      <${MetricChart} slices=${report.slices} metric="cost" title="cost" />
      <${MetricChart} slices=${report.slices} metric="reliabilityCost" title="reliability cost" />
    </div>
    <h3>Preference vectors</h3>
    <${PreferenceLegend} />
    <table class="prefs">
      ${report.slices
        .filter((sl) => sl.preference)
        .map(
          (sl) =>
            html`<tr>
              <td><code>${sl.id}</code></td>
              <td><${PreferenceBar} preference=${sl.preference} label=${sl.id} /></td>
            </tr>`,
        )}
    </table>
  </div>`;
}

function reportLine(r) {
  return `${r.scenario} · ${r.method} · ${r.summary.served}/${r.summary.requests} served`;
}

function Reports({ token }) {
  const [reports, setReports] = useState(null);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    getJson('/reports', token).then(
      (r) => setReports(r.reports),
      (e) => setError(e.message),
    );
  }, [token]);
  const show = (id) =>
    getJson(`/reports/${encodeURIComponent(id)}`, token).then(setOpen, (e) => setError(e.message));
  return html`<section class="reports">
    <h2>Replay reports</h2>
    ${error ? html`<p class="bad">${error}</p>` : null}
    ${
      reports == null
        ? html`<p class="muted">loading…</p>`
        : reports.length === 0
          ? html`<p class="muted">
              No finished replay reports (<code>slicemesh replay FILE --report reports/NAME</code>).
            </p>`
          : html`<ul class="report-list">
              ${reports.map(
                (r) =>
                  html`<li>
                    <button
                      class=${open?.id === r.id ? 'selected' : ''}
                      onClick=${() => show(r.id)}
                    >
                      <b>${r.name}</b>
                      <span>${reportLine(r)}</span>
                      <span class="muted">${new Date(r.writtenAt).toLocaleString()}</span>
                    </button>
                  </li>`,
              )}
            </ul>`
    }
    ${open ? html`<${ReportView} report=${open} />` : null}
  </section>`;
}

function Dashboard({ token, onUnauthorised }) {
  const [rows, setRows] = useState(new Map());
  const [cursor, setCursor] = useState(undefined);
  const [live, setLive] = useState('connecting');
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [detail, setDetail] = useState(null);
  const [filter, setFilter] = useState('');
  const selectedRef = useRef(null);
  selectedRef.current = selected;

  const fail = useCallback(
    (e) => (e instanceof ApiError && e.status === 401 ? onUnauthorised() : setError(e.message)),
    [onUnauthorised],
  );

  const loadPages = useCallback(
    async (from, pages) => {
      let next = from;
      for (let i = 0; i < pages; i++) {
        const page = await getJson(
          `/slices?limit=200${next ? `&cursor=${encodeURIComponent(next)}` : ''}`,
          token,
        );
        setRows((current) => page.slices.reduce(merge, current));
        next = page.nextCursor;
        if (!next) break;
      }
      setCursor(next);
    },
    [token],
  );

  const loadDetail = useCallback(
    (id) =>
      getJson(`/slices/${encodeURIComponent(id)}`, token).then(
        (d) => selectedRef.current === id && setDetail(d),
        fail,
      ),
    [token, fail],
  );

  useEffect(() => {
    // Also checks the token: an event stream that is refused only reports an error, no status.
    loadPages(undefined, 1).catch(fail);
    const events = openEvents(token);
    events.addEventListener('open', () => {
      setLive('live');
      setError(null);
      // Whatever happened while the stream was down: read the list again.
      loadPages(undefined, FIRST_PAGES).catch(fail);
    });
    events.addEventListener('error', () => setLive('reconnecting'));
    events.addEventListener('slice', (message) => {
      const event = JSON.parse(message.data);
      setRows((current) =>
        merge(current, { ...event.row, updatedAt: event.row.updatedAt ?? event.at }),
      );
      if (selectedRef.current === event.sliceId) loadDetail(event.sliceId);
    });
    return () => events.close();
  }, [token, loadPages, loadDetail, fail]);

  const select = (id) => {
    setSelected(id);
    setDetail(null);
    loadDetail(id);
  };

  const counts = {};
  for (const r of rows.values()) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return html`<div class="layout">
    <header class="top">
      <h1>SliceMesh</h1>
      <span class=${`live ${live}`} data-testid="live">${live}</span>
      <span class="muted">${rows.size} slices</span>
      <nav class="filters">
        <button class=${filter === '' ? 'selected' : ''} onClick=${() => setFilter('')}>all</button>
        ${STATES.filter((s) => counts[s]).map(
          (s) =>
            html`<button class=${filter === s ? 'selected' : ''} onClick=${() => setFilter(s)}>
              ${s} ${counts[s]}
            </button>`,
        )}
      </nav>
    </header>
    ${error ? html`<p class="bad">${error}</p>` : null}
    <div class=${selected ? 'columns with-detail' : 'columns'}>
      <section class="table">
        <${SliceTable} rows=${rows} selected=${selected} onSelect=${select} filter=${filter} />
        ${cursor ? html`<button onClick=${() => loadPages(cursor, 1).catch(fail)}>more slices</button>` : null}
      </section>
      ${
        selected
          ? detail
            ? html`<${SliceDetail} detail=${detail} onClose=${() => setSelected(null)} />`
            : html`<aside class="detail"><p class="muted">loading ${selected}…</p></aside>`
          : null
      }
    </div>
    <${Reports} token=${token} />
  </div>`;
}

function App() {
  const [token, setToken] = useState(loadToken);
  const [message, setMessage] = useState(null);
  if (!token) {
    return html`<${TokenForm} message=${message} onToken=${(t) => (saveToken(t), setToken(t))} />`;
  }
  return html`<${Dashboard}
    token=${token}
    onUnauthorised=${() => {
      sessionStorage.clear();
      setMessage('The token was refused (401). Enter the current one.');
      setToken(null);
    }}
  />`;
}

const root = document.getElementById('app');
// The server-rendered "loading" line goes; render() adds to what the element holds.
root.replaceChildren();
render(html`<${App} />`, root);
