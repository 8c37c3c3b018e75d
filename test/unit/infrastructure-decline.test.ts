import { describe, expect, it } from 'vitest';
import { REMEMBERED_DECLINES, ResourceOwner } from '../../agents/infrastructure/resources.js';
import { NODE_SEQ_BLOCK } from '../../shared/model/index.js';
import { HIGH_URLLC, applyRequest } from './infrastructure-fixtures.js';

describe('ResourceOwner.decline', () => {
  it('counts a refused slice as a placement decision once, as an episode skips a rejected request', () => {
    const owner = ResourceOwner.fresh(5);
    const before = owner.view();
    const first = owner.decline('r1');
    expect(first).toEqual({
      type: 'infra.decline.reply.v1',
      sliceId: 'r1',
      counted: true,
      viewVersion: before.version + 1,
    });
    expect(owner.view().nextNodeSeq).toBe(before.nextNodeSeq + NODE_SEQ_BLOCK);
    // A repeated decline (a retried call) changes nothing.
    const again = owner.decline('r1');
    expect(again.counted).toBe(false);
    expect(owner.view().nextNodeSeq).toBe(before.nextNodeSeq + NODE_SEQ_BLOCK);
    expect(again.viewVersion).toBe(first.viewVersion);
  });

  it('never counts a slice that holds resources', () => {
    const owner = ResourceOwner.fresh(5);
    const placed = owner.apply(applyRequest(owner.state, 'a', HIGH_URLLC, { site: 'local' }), 1);
    expect(placed.reply.outcome).toBe('applied');
    const seq = owner.view().nextNodeSeq;
    expect(owner.decline('a').counted).toBe(false);
    expect(owner.view().nextNodeSeq).toBe(seq);
  });

  it('makes the next placement draw the node parameters the episode draws after a rejection', () => {
    const live = ResourceOwner.fresh(9);
    live.decline('r1');
    const cloud = live.apply(applyRequest(live.state, 'b', HIGH_URLLC, { site: 'cloud' }), 1);
    const episode = ResourceOwner.fresh(9);
    episode.state.skipPlacement();
    const expected = episode.apply(
      applyRequest(episode.state, 'b', HIGH_URLLC, { site: 'cloud' }),
      1,
    );
    expect(cloud.reply).toEqual(expected.reply);
    expect(live.view().vnfNodes).toEqual(episode.view().vnfNodes);
  });

  it('hands the latest declines to a persisted state, bounded, and a restored owner keeps them', () => {
    const owner = ResourceOwner.fresh(5);
    const ids = Array.from({ length: REMEMBERED_DECLINES + 5 }, (_, i) => `r${i}`);
    for (const id of ids) owner.decline(id);
    const kept = owner.recentDeclines();
    expect(kept).toEqual(ids.slice(-REMEMBERED_DECLINES));

    const restored = ResourceOwner.restore(owner.snapshot(), undefined, kept);
    const seq = restored.view().nextNodeSeq;
    expect(restored.decline(ids.at(-1) as string).counted).toBe(false);
    expect(restored.view().nextNodeSeq).toBe(seq);
    // Beyond the bound a decline is counted again: the bound is the documented limit.
    expect(restored.decline('r0').counted).toBe(true);
  });
});
