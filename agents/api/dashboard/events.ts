/**
 * Server-Sent Events of the mesh's slice transitions, for every open page.
 * One bus subscription serves all clients, taken when the first one connects
 * and given back when the last one leaves (an idle api process receives no
 * slice events). A client that does not read its stream is dropped once its
 * unsent bytes pass a bound, instead of the server holding an ever-growing
 * buffer for it; the page reconnects and reloads the table.
 */
import type { Bus, Subscription } from '../../../shared/bus/index.js';
import { SliceEvent } from '../../../shared/contracts/index.js';
import type { Logger } from '../../../shared/runtime/logger.js';
import { sliceRow } from './slices.js';

/** What the hub needs of a client's response stream (a Node ServerResponse is one). */
export interface SseClient {
  write(chunk: string): boolean;
  readonly writableLength: number;
  end(): void;
  /** Closes at once, discarding what is queued (a slow client's backlog is not worth sending). */
  destroy(): void;
  once(event: 'close', listener: () => void): unknown;
}

export interface SliceEventHubOptions {
  /** Interval of the keep-alive comments (proxies close idle streams). */
  readonly heartbeatMs: number;
  /** Unsent bytes a client may have queued before it is dropped. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_HUB_OPTIONS: SliceEventHubOptions = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
};

/** The `data` of one `slice` event on the stream. */
export interface SliceTransitionData {
  readonly sliceId: string;
  readonly from: string | null;
  readonly to: string;
  readonly at: number;
  readonly cause: string;
  readonly row: ReturnType<typeof sliceRow>;
}

export function formatSse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class SliceEventHub {
  readonly #bus: Bus;
  readonly #logger: Logger;
  readonly #options: SliceEventHubOptions;
  readonly #clients = new Set<SseClient>();
  #subscription: Subscription | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #dropped = 0;

  constructor(bus: Bus, logger: Logger, options: SliceEventHubOptions = DEFAULT_HUB_OPTIONS) {
    this.#bus = bus;
    this.#logger = logger;
    this.#options = options;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Clients dropped for not reading their stream. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether the bus subscription is held (only while a client is connected). */
  get subscribed(): boolean {
    return this.#subscription !== undefined;
  }

  /** Starts streaming to `client`; it leaves on its own `close`. */
  add(client: SseClient): void {
    this.#clients.add(client);
    client.once('close', () => this.#remove(client));
    // The browser's reconnection delay, and a first line so the client knows the stream is open.
    this.#send(client, 'retry: 2000\n: connected\n\n');
    if (!this.#subscription) this.#start();
  }

  /** Ends every stream and gives the subscription back (the server is closing). */
  async close(): Promise<void> {
    for (const client of [...this.#clients]) client.end();
    this.#clients.clear();
    await this.#stop();
  }

  /** Waits until the server has the subscription (tests publish right after connecting). */
  async flush(): Promise<void> {
    await this.#bus.flush();
  }

  #start(): void {
    this.#subscription = this.#bus.subscribe(
      this.#bus.subjects.sliceEventsAll(),
      SliceEvent,
      (event) => this.#broadcast(event),
      { trace: false },
    );
    this.#heartbeat = setInterval(() => {
      for (const client of [...this.#clients]) this.#send(client, ': heartbeat\n\n');
    }, this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  async #stop(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const subscription = this.#subscription;
    this.#subscription = undefined;
    await subscription?.stop();
  }

  #remove(client: SseClient): void {
    if (!this.#clients.delete(client)) return;
    if (this.#clients.size === 0) {
      this.#stop().catch((error: unknown) =>
        this.#logger.warn('dashboard: stopping the slice event subscription failed', {
          error: String(error),
        }),
      );
    }
  }

  #broadcast(event: SliceEvent): void {
    const data: SliceTransitionData = {
      sliceId: event.sliceId,
      from: event.from,
      to: event.to,
      at: event.at,
      cause: event.cause,
      row: sliceRow(event.record),
    };
    const chunk = formatSse('slice', data);
    for (const client of [...this.#clients]) this.#send(client, chunk);
  }

  #send(client: SseClient, chunk: string): void {
    if (client.writableLength + Buffer.byteLength(chunk) > this.#options.maxBufferedBytes) {
      this.#dropped += 1;
      this.#logger.warn('dashboard: dropped an event stream client that does not keep up', {
        bufferedBytes: client.writableLength,
      });
      this.#remove(client);
      client.destroy();
      return;
    }
    client.write(chunk);
  }
}
