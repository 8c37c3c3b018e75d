import { errors as natsErrors } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { fromNatsError } from '../../shared/bus/wire.js';

describe('fromNatsError and requests nobody answered', () => {
  it('a plain request without responders is unavailable (retryable)', () => {
    const error = fromNatsError(new natsErrors.NoRespondersError('a.b'), 'a.b');
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('a JetStream publish nobody answered (a stream electing its leader) is unavailable, not internal', () => {
    // What nats.js throws: "jetstream is not enabled", caused by the no-responders error.
    const wrapped = new Error('jetstream is not enabled', {
      cause: new natsErrors.NoRespondersError('ns.slice.intake.x'),
    });
    const error = fromNatsError(wrapped, 'ns.slice.intake.x');
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.message).toMatch(/JetStream did not answer on ns\.slice\.intake\.x/);
  });

  it('other failures stay internal and are not retried', () => {
    const error = fromNatsError(new Error('something else'), 'a.b');
    expect(error).toMatchObject({ code: 'internal', retryable: false });
  });
});
