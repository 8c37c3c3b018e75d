import { describe, expect, it } from 'vitest';
import { extractCues } from '../../agents/interpreter/cues.js';

describe('domain cues', () => {
  it('reads stated figures with their units', () => {
    expect(extractCues('Control loop of 500 microseconds').figures.latencyMs).toBe(0.5);
    expect(extractCues('reply within 4 ms, jitter below 100 µs').figures.latencyMs).toBe(0.1);
    expect(extractCues('roughly 700 Mbps, up to 1.2 Gbps at peak').figures.rateMbps).toBe(1200);
    expect(extractCues('about 1 TB per shift').figures.volumeGb).toBe(1000);
    expect(extractCues('12,000 battery-powered leak detectors').figures.devices).toBe(12_000);
    expect(extractCues('availability of 99.999 %').figures.availabilityPercent).toBe(99.999);
  });

  it('emphasises latency for tight bounds and relaxes it when the request says so', () => {
    expect(extractCues('commands must arrive within 2 ms').dimensions.latency).toBeGreaterThan(2);
    expect(
      extractCues('speed is secondary, a 60 ms response is fine').dimensions.latency,
    ).toBeLessThan(0);
    expect(extractCues('nightly upload, no rush').dimensions.latency).toBeLessThan(0);
  });

  it('tells loss aversion from cost pressure', () => {
    const loss = extractCues("we can't afford silent gaps in the data");
    expect(loss.dimensions.reliability).toBeGreaterThan(0);
    expect(loss.dimensions.economics).toBe(0);
    expect(
      extractCues('cheapest option please, pennies per device').dimensions.economics,
    ).toBeGreaterThan(1);
  });

  it('collects service-type evidence and labels for the rationale', () => {
    const c = extractCues('4K video streams from 20 cameras');
    expect(c.serviceTypes.eMBB).toBeGreaterThan(c.serviceTypes.URLLC);
    expect(c.matched.length).toBeGreaterThan(0);
    const plain = extractCues('hello');
    expect(Object.values(plain.dimensions).every((x) => x === 0)).toBe(true);
    expect(plain.matched).toEqual([]);
  });
});
