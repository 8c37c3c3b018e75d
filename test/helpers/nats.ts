/**
 * A real nats-server per test file, on a free port with its own JetStream
 * directory. Typical use:
 *
 *   const nats = useNatsServer();            // starts in beforeAll, cleans up in afterAll
 *   it('…', async () => {
 *     const bus = await nats.connectBus();   // drained automatically at the end
 *     await nats.restart();                  // same port, same JetStream data
 *   });
 *
 * or, without vitest hooks: `await withNatsServer(async (nats) => { … })`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Bus, type BusOptions, connectBus } from '../../shared/bus/index.js';
import { type NatsServer, startNatsServer } from '../../shared/runtime/embedded/index.js';
import {
  type ServerTls,
  prepareSecurity,
  seedFilePath,
} from '../../shared/runtime/security/index.js';

let namespaceCounter = 0;

/** A namespace no other test uses, so streams and subjects never collide. */
export function uniqueNamespace(prefix = 't'): string {
  namespaceCounter += 1;
  return `${prefix}${process.pid}x${namespaceCounter}x${Math.floor(Math.random() * 1e6)}`;
}

export interface TestNats {
  /** `nats://127.0.0.1:<port>`; stays the same across restart(). */
  readonly url: string;
  readonly port: number;
  /** Temp data dir (JetStream store in `<dataDir>/nats`). */
  readonly dataDir: string;
  /** The running server (changes on restart). */
  readonly server: NatsServer;
  /** Pid of the current nats-server process. */
  readonly pid: number;
  /** Stops the server; JetStream data is kept for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** stop() + start(). */
  restart(): Promise<void>;
  /** A bus on this server (unique namespace unless given), drained by dispose(). */
  connectBus(options?: Partial<BusOptions>): Promise<Bus>;
  /** Drains buses, stops the server, deletes the data dir. */
  dispose(): Promise<void>;
}

/** Starts a nats-server with JetStream in a fresh temp dir (open unless given a `configFile`). */
export async function startTestNats(
  options: { dataDir?: string; configFile?: string } = {},
): Promise<TestNats> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'slicemesh-test-nats-'));
  const serverOptions = {
    dataDir,
    graceMs: 3_000,
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
  };
  let server = await startNatsServer(serverOptions);
  const port = server.port;
  let running = true;
  const buses = new Set<Bus>();
  const nats: TestNats = {
    url: server.url,
    port,
    dataDir,
    get server() {
      return server;
    },
    get pid() {
      return server.process.pid;
    },
    async stop() {
      if (!running) return;
      running = false;
      await server.stop();
    },
    async start() {
      if (running) return;
      server = await startNatsServer({ ...serverOptions, port });
      running = true;
    },
    async restart() {
      await nats.stop();
      await nats.start();
    },
    async connectBus(options = {}) {
      const bus = await connectBus({
        url: server.url,
        namespace: options.namespace ?? uniqueNamespace(),
        name: options.name ?? 'test',
        ...options,
      });
      buses.add(bus);
      return bus;
    },
    async dispose() {
      // Close clients first; if the server is already gone, closing must not wait on it.
      await Promise.allSettled(
        [...buses].map((bus) => (running ? bus.drain() : bus.connection.close())),
      );
      buses.clear();
      await nats.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return nats;
}

/** Registers beforeAll/afterAll hooks and returns a handle usable inside tests. */
export function useNatsServer(): TestNats {
  let current: TestNats | undefined;
  beforeAll(async () => {
    current = await startTestNats();
  });
  afterAll(async () => {
    await current?.dispose();
  });
  const get = (): TestNats => {
    if (!current)
      throw new Error('useNatsServer(): the server is only available inside tests and hooks');
    return current;
  };
  return {
    get url() {
      return get().url;
    },
    get port() {
      return get().port;
    },
    get dataDir() {
      return get().dataDir;
    },
    get server() {
      return get().server;
    },
    get pid() {
      return get().pid;
    },
    stop: () => get().stop(),
    start: () => get().start(),
    restart: () => get().restart(),
    connectBus: (options) => get().connectBus(options),
    dispose: () => get().dispose(),
  };
}

/** Runs `fn` with a fresh server and always cleans up. */
export async function withNatsServer<T>(fn: (nats: TestNats) => Promise<T>): Promise<T> {
  const nats = await startTestNats();
  try {
    return await fn(nats);
  } finally {
    await nats.dispose();
  }
}

export interface SecuredTestNatsOptions {
  /** The namespace the permissions are generated for (default: a unique one). */
  readonly namespace?: string;
  /** Tenants with a client identity each (default: `default`). */
  readonly tenants?: readonly string[];
  /** Server certificate and key (and a CA to verify clients): the server then requires TLS. */
  readonly tls?: ServerTls;
}

/** A nats-server configured as a secured mesh is: one nkey user per identity, its permissions from the table. */
export interface SecuredTestNats extends TestNats {
  readonly namespace: string;
  readonly tenants: readonly string[];
  /** Seed files (`<identity>.nk`) and the server configuration. */
  readonly credentialsDir: string;
  readonly configFile: string;
  /** A bus connected as `identity` (its seed file, its inbox prefix) in the secured namespace. */
  connectAs(identity: string, options?: Partial<BusOptions>): Promise<Bus>;
}

/** Starts a nats-server with the credentials and permissions `slicemesh up` would generate. */
export async function startSecuredTestNats(
  options: SecuredTestNatsOptions = {},
): Promise<SecuredTestNats> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slicemesh-test-nats-'));
  const namespace = options.namespace ?? uniqueNamespace('sec');
  const tenants = options.tenants ?? ['default'];
  const security = prepareSecurity(join(dataDir, 'security'), {
    namespace,
    tenants,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const nats = await startTestNats({ dataDir, configFile: security.configFile });
  const connectAs = (identity: string, busOptions: Partial<BusOptions> = {}) =>
    nats.connectBus({
      namespace,
      name: identity,
      identity,
      seedFile: seedFilePath(security.dir, identity),
      ...busOptions,
    });
  // Everything else (url, server, restart, dispose…) is the plain test server's, read live.
  return Object.create(nats, {
    namespace: { value: namespace },
    tenants: { value: tenants },
    credentialsDir: { value: security.dir },
    configFile: { value: security.configFile },
    connectAs: { value: connectAs },
  }) as SecuredTestNats;
}

/** `startSecuredTestNats` for the file (beforeAll/afterAll), usable inside tests. */
export function useSecuredNatsServer(options: SecuredTestNatsOptions = {}): SecuredTestNats {
  let current: SecuredTestNats | undefined;
  beforeAll(async () => {
    current = await startSecuredTestNats(options);
  });
  afterAll(async () => {
    await current?.dispose();
  });
  const get = (): SecuredTestNats => {
    if (!current)
      throw new Error(
        'useSecuredNatsServer(): the server is only available inside tests and hooks',
      );
    return current;
  };
  return new Proxy({} as SecuredTestNats, {
    get: (_target, key) => {
      const value: unknown = Reflect.get(get(), key);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(get())
        : value;
    },
  });
}
