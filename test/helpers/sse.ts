/**
 * Reads a Server-Sent Events stream over fetch, the way a browser's
 * EventSource parses it (events separated by a blank line, `event:` and
 * `data:` fields, `:` comments), collecting what arrives for tests to wait on.
 */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

export interface SseReader {
  readonly status: number;
  readonly headers: Headers;
  readonly messages: SseMessage[];
  /** Comment lines (heartbeats), without the colon. */
  readonly comments: string[];
  /** Settles when the server ends the stream (or it is closed here). */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (data.length > 0) messages.push({ event, data: data.join('\n') });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    messages,
    comments,
    ended,
    close: () => abort.abort(),
  };
}
