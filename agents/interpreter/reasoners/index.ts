/** Reasoner selection (`SLICEMESH_REASONER`). */
import { SliceMeshError } from '../../../shared/contracts/errors.js';
import type { Reasoner } from '../types.js';
import { createOfflineReasoner } from './offline.js';
import { createOpenAIReasoner, type OpenAIReasonerOptions } from './openai.js';

export { createOfflineReasoner, OFFLINE_REASONER_NAME } from './offline.js';
export {
  createOpenAIReasoner,
  describeLlmFailure,
  type OpenAIReasonerOptions,
  type StructuredOutputMethod,
} from './openai.js';
export { buildFewShotMessages } from './prompt.js';

export const REASONER_KINDS = ['offline', 'openai'] as const;
export type ReasonerKind = (typeof REASONER_KINDS)[number];

/** Creates the reasoner of `kind`. */
export async function createReasoner(
  kind: ReasonerKind,
  openai: OpenAIReasonerOptions,
): Promise<Reasoner> {
  switch (kind) {
    case 'offline':
      return createOfflineReasoner();
    case 'openai':
      return createOpenAIReasoner(openai);
    default: {
      const never: never = kind;
      throw new SliceMeshError(
        'config',
        `unknown reasoner ${String(never)}; use offline or openai`,
      );
    }
  }
}
