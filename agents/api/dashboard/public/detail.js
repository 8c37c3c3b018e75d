// One slice's detail: lifecycle timeline, QoE against its SLA, violations and
// adaptations, preference vector, placement and trace.
import { html } from './html.js';
import { LifecycleStrip, PreferenceBar, PreferenceLegend, DIMENSIONS } from './charts.js';
import { StateBadge, duration, num, time } from './format.js';

// Sentences are built as strings: template whitespace across lines is dropped.
function profileText(p) {
  return `${p.serviceType} · latency ${p.latency} · reliability ${p.reliability} · cost ${p.cost}`;
}

function liveText(live) {
  const parts = [
    live.withinSla == null ? 'no KPI sample yet' : live.withinSla ? 'within SLA' : 'outside SLA',
  ];
  if (live.qoe != null) parts.push(`QoE ${live.qoe.toFixed(2)}`);
  if (live.latencyMs != null) parts.push(`${live.latencyMs.toFixed(1)} ms`);
  if (live.load != null) parts.push(`load ×${live.load.toFixed(2)}`);
  return `live: ${parts.join(' · ')}`;
}

function Verdict({ met }) {
  if (met == null) return html`<span class="muted">not observed</span>`;
  return met ? html`<span class="ok">met</span>` : html`<span class="bad">not met</span>`;
}

function Timeline({ detail }) {
  const now = Date.now();
  return html`<section class="panel" data-testid="timeline">
    <h3>Lifecycle</h3>
    <${LifecycleStrip} steps=${detail.timeline} now=${now} />
    ${
      detail.historyDropped > 0
        ? html`<p class="muted">${detail.historyDropped} earlier transitions not kept</p>`
        : null
    }
    <ol class="timeline">
      ${detail.timeline.map(
        (step) =>
          html`<li>
            <time>${time(step.at)}</time>
            <${StateBadge} state=${step.state} />
            <span class="muted">${duration(step.durationMs)}</span>
            ${step.note ? html`<span class="note">${step.note}</span>` : null}
          </li>`,
      )}
    </ol>
  </section>`;
}

function Qoe({ qoe }) {
  const live = qoe.live;
  return html`<section class="panel">
    <h3>QoE against the SLA</h3>
    <p>
      ${qoe.profile ? profileText(qoe.profile) : html`<span class="muted">no profile yet</span>`}
      ${
        qoe.stated && Object.keys(qoe.stated).length > 0
          ? html` <span class="muted"
              >(stated:
              ${Object.entries(qoe.stated)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})</span
            >`
          : null
      }
    </p>
    <table class="qoe">
      <thead>
        <tr>
          <th>dimension</th>
          <th>observed</th>
          <th>limit</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${qoe.checks.map(
          (c) =>
            html`<tr>
              <td>${c.dimension}</td>
              <td>${num(c.observed)} ${c.observed == null ? '' : c.unit}</td>
              <td>${c.limitText ?? '–'}</td>
              <td><${Verdict} met=${c.met} /></td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p>
      ${
        qoe.served == null
          ? html`<span class="muted">not placed yet</span>`
          : qoe.served
            ? html`<span class="ok">served</span>: every constraint met at placement`
            : html`<span class="bad">not served</span>`
      }
    </p>
    ${
      qoe.telemetry === 'unavailable'
        ? html`<p class="muted">telemetry is not answering: no live QoE</p>`
        : live
          ? html`<p>${liveText(live)}</p>`
          : html`<p class="muted">telemetry has no figures for this slice</p>`
    }
  </section>`;
}

function Events({ detail }) {
  return html`<section class="panel">
    <h3>Violations and adaptations</h3>
    <p>
      SLA violations counted: <strong>${detail.violationCount ?? '–'}</strong>
      ${
        detail.violations.length > 0
          ? html` · unmet at placement: <span class="bad">${detail.violations.join(', ')}</span>`
          : null
      }
    </p>
    ${
      detail.adaptations.length === 0
        ? html`<p class="muted">no adaptations</p>`
        : html`<ol class="timeline">
            ${detail.adaptations.map(
              (a) =>
                html`<li>
                  <time>${time(a.at)}</time> adapting
                  ${a.note ? html`<span class="note">${a.note}</span>` : null}
                </li>`,
            )}
          </ol>`
    }
  </section>`;
}

function Preference({ preference }) {
  return html`<section class="panel">
    <h3>Preference vector</h3>
    ${
      preference
        ? html`<${PreferenceBar} preference=${preference} />
            <${PreferenceLegend} />
            <table class="weights">
              ${DIMENSIONS.map(
                (d) =>
                  html`<tr>
                    <td>${d}</td>
                    <td>
                      <span
                        class="bar"
                        style=${`width:${(preference[d] * 100).toFixed(1)}%`}
                      ></span>
                    </td>
                    <td>${preference[d].toFixed(3)}</td>
                  </tr>`,
              )}
            </table>`
        : html`<p class="muted">not interpreted yet</p>`
    }
  </section>`;
}

function Placement({ placement, plan }) {
  return html`<section class="panel">
    <h3>Placement</h3>
    ${
      placement
        ? html`<dl>
            <dt>site</dt>
            <dd>${placement.site}</dd>
            <dt>container</dt>
            <dd>${placement.containerId}</dd>
            <dt>VNF nodes</dt>
            <dd>${placement.vnfNodeIds.length > 0 ? placement.vnfNodeIds.join(', ') : '(none)'}</dd>
            <dt>applied</dt>
            <dd>${time(placement.appliedAt)}</dd>
          </dl>`
        : html`<p class="muted">not placed</p>`
    }
    ${
      plan
        ? html`<p class="muted">
            plan: ${plan.method}, ${plan.scaling} at ${plan.site} (view ${plan.viewVersion})
          </p>`
        : null
    }
  </section>`;
}

export function SliceDetail({ detail, onClose }) {
  const r = detail.record;
  return html`<aside class="detail" data-testid="detail" data-slice=${r.sliceId}>
    <header>
      <h2>${r.sliceId} <${StateBadge} state=${r.state} /></h2>
      <button onClick=${onClose} aria-label="close">×</button>
    </header>
    <p class="request">${r.text}</p>
    ${r.reason ? html`<p class="bad">reason: ${r.reason}</p>` : null}
    ${r.error ? html`<p class="bad">error: ${r.error}</p>` : null}
    <p class="trace">
      <span class="muted">trace</span>
      ${
        detail.traceId
          ? detail.traceUrl
            ? html`<a href=${detail.traceUrl} target="_blank" rel="noopener"
                ><code>${detail.traceId}</code></a
              >`
            : html`<code>${detail.traceId}</code>`
          : html`<span class="muted">none</span>`
      }
    </p>
    <${Timeline} detail=${detail} />
    <${Qoe} qoe=${detail.qoe} />
    <${Events} detail=${detail} />
    <${Preference} preference=${detail.preference} />
    <${Placement} placement=${detail.placement} plan=${detail.plan} />
  </aside>`;
}
