/**
 * The infrastructure version the slice-manager knows of: what the replies
 * of the infrastructure (apply, release, decline) and the orchestrator's
 * plans said last. The next placement asks the orchestrator to plan on this
 * version or a later one, so it never plans on a state older than what this
 * manager itself already changed — without fetching the network.
 */
export class ViewVersions {
  #current = 0;

  /** The version the next placement asks for. */
  get current(): number {
    return this.#current;
  }

  /** A version seen in passing (a release, a plan): the highest one counts. */
  observe(version: number): void {
    if (version > this.#current) this.#current = version;
  }

  /**
   * The version a placement's last reply (its apply, or the decline of a
   * refused slice) reports: the infrastructure's own, answered while this
   * placement held the lock. It is taken even when lower, which happens only
   * when the infrastructure restarted from an older saved state (its
   * versions went back): asking for a version it no longer reaches would
   * make every placement wait out the orchestrator's bound.
   */
  settle(version: number): void {
    this.#current = version;
  }
}
