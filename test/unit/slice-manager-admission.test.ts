import { describe, expect, it } from 'vitest';
import { AdmissionGate } from '../../agents/slice-manager/admission.js';

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('AdmissionGate', () => {
  it('admits up to its limit at once, and the rest in arrival order as places are released', async () => {
    const gate = new AdmissionGate(2);
    await gate.acquire('a');
    await gate.acquire('b');
    const c = gate.acquire('c');
    const d = gate.acquire('d');
    expect(await settled(c)).toBe(false);
    expect(gate.waiting).toBe(2);
    gate.release('b');
    expect(await settled(c)).toBe(true);
    expect(await settled(d)).toBe(false);
    gate.release('a');
    expect(await settled(d)).toBe(true);
    expect(gate.admitted).toBe(2);
  });

  it('lets a slice that holds a place pass again, and ignores releases of slices without one', async () => {
    const gate = new AdmissionGate(1);
    await gate.acquire('a');
    expect(await settled(gate.acquire('a'))).toBe(true);
    const b = gate.acquire('b');
    gate.release('nobody');
    gate.release('b'); // waiting, not admitted: nothing to give back
    expect(await settled(b)).toBe(false);
    gate.release('a');
    gate.release('a');
    expect(await settled(b)).toBe(true);
    expect(gate.admitted).toBe(1);
  });

  it('does not let a newcomer overtake those already waiting', async () => {
    const gate = new AdmissionGate(1);
    await gate.acquire('a');
    const b = gate.acquire('b');
    gate.release('a');
    const c = gate.acquire('c');
    expect(await settled(b)).toBe(true);
    expect(await settled(c)).toBe(false);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new AdmissionGate(0)).toThrow(RangeError);
    expect(() => new AdmissionGate(1.5)).toThrow(RangeError);
  });
});

describe('AdmissionGate.tryAcquire', () => {
  it('takes a free place synchronously, and refuses while the gate is full or others wait', async () => {
    const gate = new AdmissionGate(1);
    expect(gate.tryAcquire('a')).toBe(true);
    expect(gate.tryAcquire('a')).toBe(true);
    expect(gate.tryAcquire('b')).toBe(false);
    const b = gate.acquire('b');
    gate.release('a');
    await b;
    gate.release('b');
    const c = gate.acquire('c');
    expect(gate.tryAcquire('d')).toBe(false); // c was admitted at once: full
    await c;
  });
});
